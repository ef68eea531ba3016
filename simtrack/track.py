"""Track an object in your own video: ``python -m simtrack.track INPUT --box x,y,w,h``.

INPUT is a video file (anything OpenCV reads: mp4, avi, mov, mkv...), a folder of frames or a
camera index (0, 1...). The boxes go to ``--boxes`` (default ``<input name>_boxes.txt``), one
``x,y,w,h`` line per frame with the given box on the first line, written as each frame is tracked:
when the video breaks half way, the boxes up to the broken frame are kept. ``--out`` also writes the
annotated video (.mp4, .avi, .mov, .mkv or .gif); ``--show`` shows it in a window. Without
``--box`` the box is drawn with the mouse on the first frame, which needs a display.
"""
import os
import sys
import time
from pathlib import Path

from .cli import options, run_cli
from .cores import set_threads
from .errors import ConfigError, SimTrackError, TrackerInputError
from .formats.box_tables import format_boxes, parse_table
from .formats.palette import tracker_color
from .formats.video import FrameSource, VideoOutput

WINDOW = "simtrack.track"
QUIT_KEYS = (ord("q"), 27)   # q or Esc closes the window and stops tracking


def build_parser():
    parser = options.parser("python -m simtrack.track", __doc__.split("\n\n")[0],
                            epilog="Example: python -m simtrack.track clip.mp4 --box 120,80,60,90 --out tracked.mp4")
    parser.add_argument("input", metavar="INPUT", help="video file, folder of frames, or camera index (0, 1...)")
    parser.add_argument("--box", metavar="X,Y,W,H",
                        help="the target on the first frame, in pixels, 0,0 the top-left corner; write --box=-5,80,60,90 "
                             "when x is negative (default: draw it with the mouse; needs a display)")
    parser.add_argument("--boxes", metavar="FILE",
                        help="where the boxes go, one x,y,w,h line per frame (default: <input name>_boxes.txt)")
    parser.add_argument("--out", metavar="FILE", help="also write the annotated video (.mp4, .avi, .mov, .mkv, .gif)")
    parser.add_argument("--show", action="store_true", help="show the tracked frames in a window (q or Esc stops)")
    parser.add_argument("--max-frames", type=options.positive_int("--max-frames"), metavar="N",
                        help="stop after N frames (default: the whole video; a camera runs until q or Ctrl-C)")
    parser.add_argument("--label", default="SimTrack", help="the tracker's name in the video legend")
    options.add_checkpoint(parser)
    options.add_device(parser)
    options.add_threads(parser, default_help="torch's or the engine's choice")
    options.add_speed(parser)
    return parser


def parse_box(text):
    """``"x,y,w,h"`` (commas or spaces) -> four floats with positive width and height."""
    expected = f"--box {text!r}: expected four numbers x,y,w,h, e.g. --box 120,80,60,90 (--box=-5,80,60,90 " \
        "when x is negative)"
    try:
        values = parse_table(text, columns=4, source="--box", error=ConfigError)
    except ConfigError:
        raise ConfigError(expected) from None
    if values.shape != (1, 4):
        raise ConfigError(expected)
    x, y, w, h = values[0]
    if not (w > 0 and h > 0):
        raise ConfigError(f"--box {text!r}: width and height must be positive")
    return values[0]


def check_inside(box, image, source):
    """Refuse a first box that does not overlap the first frame (a typo, or another video's box)."""
    height, width = image.shape[:2]
    x, y, w, h = box
    if x >= width or y >= height or x + w <= 0 or y + h <= 0:
        raise ConfigError(f"--box {','.join(f'{v:g}' for v in box)} lies outside the first frame of {source} "
                          f"({width} x {height} pixels); boxes are x,y,w,h in pixels, 0,0 the top-left corner")


def has_display():
    """True where a window can open: a desktop OS, or X11/Wayland on Linux and BSD."""
    if sys.platform.startswith(("win", "darwin")):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def draw_box_with_mouse(image):
    """Let the user drag the first box on ``image`` (RGB); returns it, or raises when cancelled."""
    import cv2
    try:
        x, y, w, h = cv2.selectROI(WINDOW, cv2.cvtColor(image, cv2.COLOR_RGB2BGR), showCrosshair=True)
    except cv2.error as error:
        raise ConfigError(f"cannot open a window to draw the box ({error.err}); pass --box x,y,w,h") from None
    if w <= 0 or h <= 0:
        raise ConfigError("no box was drawn (selection cancelled); drag a box and press Enter, or pass --box x,y,w,h")
    print(f"box drawn: --box {x},{y},{w},{h}", file=sys.stderr)
    return [float(x), float(y), float(w), float(h)]


class Window:
    """The ``--show`` window; ``show`` returns False once the user pressed q or Esc."""

    def __init__(self):
        import cv2
        self.cv2 = cv2

    def show(self, image):
        try:
            self.cv2.imshow(WINDOW, self.cv2.cvtColor(image, self.cv2.COLOR_RGB2BGR))
            return (self.cv2.waitKey(1) & 0xFF) not in QUIT_KEYS
        except self.cv2.error as error:
            raise ConfigError(f"--show: cannot open a window ({error.err}); run without --show") from None

    def close(self):
        try:
            self.cv2.destroyAllWindows()
        except self.cv2.error:
            pass


class BoxFile:
    """The boxes file, one line per frame, flushed as each frame is tracked (a failure keeps them)."""

    @staticmethod
    def check(path):
        """Refuse, before any work, a path the boxes cannot be written to."""
        path = Path(path)
        if path.is_dir():
            raise ConfigError(f"--boxes {path} is a folder; give a file name such as boxes.txt")
        folder = path.parent
        if not folder.is_dir() or not os.access(folder, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
            reason = "does not exist" if not folder.is_dir() else "is not writable"
            raise ConfigError(f"--boxes {path}: the folder {folder} {reason}; give another --boxes FILE")

    def __init__(self, path):
        self.path = Path(path)
        try:
            self.file = open(self.path, "wb")
        except OSError as error:
            raise ConfigError(f"--boxes {path}: cannot write there ({error.strerror})") from None
        self.count = 0

    def write(self, box):
        self.file.write(format_boxes(box))
        self.file.flush()
        self.count += 1

    def close(self):
        self.file.close()


def load_tracker(args):
    """The tracker of ``--checkpoint`` (the embedded demo model, with a notice, by default)."""
    from .weights import DEMO_NOTICE, is_embedded, resolve_checkpoint
    path = resolve_checkpoint(args.checkpoint)
    if is_embedded(path):
        print(DEMO_NOTICE, file=sys.stderr)
    speed = options.speed_options(args)
    if args.threads:
        set_threads(args.threads, torch_too=speed.engine == "torch")
    from .tracker import Tracker
    return Tracker.from_checkpoint(path, variant=args.variant, device=args.device, **speed.as_dict())


def track(args):
    """Track INPUT; returns the number of frames tracked. Everything is checked before the model loads."""
    if args.show and not has_display():
        raise ConfigError("--show needs a display (none found: DISPLAY and WAYLAND_DISPLAY are unset); "
                          "run without --show and use --out FILE to get the annotated video")
    if args.box is None and not has_display():
        raise ConfigError("no --box given, and there is no display to draw one with the mouse (DISPLAY and "
                          "WAYLAND_DISPLAY are unset); pass --box x,y,w,h (pixels of the first frame)")
    box = parse_box(args.box) if args.box is not None else None
    with FrameSource(args.input) as source:
        boxes_path = Path(args.boxes or f"{source.name}_boxes.txt")
        if args.out and Path(args.out).resolve() == boxes_path.resolve():
            raise ConfigError(f"--out and --boxes are the same file ({args.out}); give them different names")
        BoxFile.check(boxes_path)
        total = min(filter(None, (source.announced, args.max_frames)), default=None)
        video = VideoOutput(args.out, source.fps or 25.0, total) if args.out else None
        window = Window() if args.show else None
        frames = iter(source)
        first = next(frames, None)
        if first is None:
            raise TrackerInputError(f"{args.input}: no frame to track")
        box = draw_box_with_mouse(first) if box is None else box
        check_inside(box, first, args.input)
        tracker = load_tracker(args)
        output = BoxFile(boxes_path)
        try:
            _loop(tracker, _chain(first, frames), box, output, video, window, args, total)
        except SimTrackError as error:
            kept = f"the boxes of the {_frames(output.count)} tracked are kept in {boxes_path}" if output.count \
                else "no box was written"
            raise type(error)(f"{error}; {kept}") from None
        finally:
            output.close()
            if video is not None:
                video.close()
            if window is not None:
                window.close()
    print(f"boxes of {_frames(output.count)} written to {boxes_path}" +
          (f"; annotated video written to {args.out}" if video is not None else ""), file=sys.stderr)
    return output.count


def _frames(count):
    return f"{count} frame" + ("" if count == 1 else "s")


def _chain(first, frames):
    yield first
    yield from frames


def _loop(tracker, frames, box, output, video, window, args, total):
    """Track frame by frame with a progress bar showing frames/s; stops at --max-frames, q or Ctrl-C."""
    from tqdm import tqdm

    from .formats.drawing import Mark, annotate
    color = tracker_color(0)
    tracked, model_seconds = 0, 0.0
    bar = tqdm(total=total, unit="frame", desc=Path(args.input).name or args.input, file=sys.stderr,
               dynamic_ncols=True)
    start = time.perf_counter()
    try:
        for index, image in enumerate(frames):
            if args.max_frames and index >= args.max_frames:
                break
            clock = time.perf_counter()
            box = tracker.init(image, box) if index == 0 else tracker.update(image)
            model_seconds += time.perf_counter() - clock
            output.write(box)
            tracked += 1
            bar.update(1)
            if video is not None or window is not None:
                caption = f"frame {index + 1}" + (f"/{total}" if total else "")
                annotate(image, [Mark(args.label, color, box)], caption)
                if video is not None:
                    video.write(image)
                if window is not None and not window.show(image):
                    bar.write(f"stopped by the user after {_frames(tracked)}")
                    break
    except KeyboardInterrupt:
        bar.write(f"interrupted after {_frames(tracked)}; the boxes so far are kept")
    finally:
        bar.close()
        seconds = time.perf_counter() - start
        if tracked:
            print(f"tracked {_frames(tracked)} in {seconds:.1f} s: {tracked / seconds:.1f} frames/s "
                  f"({tracked / max(model_seconds, 1e-9):.1f} frames/s in the tracker)", file=sys.stderr)


def main(argv=None):
    args = build_parser().parse_args(argv)
    track(args)
    return 0


if __name__ == "__main__":
    run_cli(main)
