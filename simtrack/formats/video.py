"""Frames in and out: a video file, a folder of frames or a camera as input; MP4/AVI/GIF as output.

Input frames come out as RGB uint8 arrays (the tracker's convention), whatever the source. A
source that cannot be opened, has no frame, or breaks half way raises ``TrackerInputError`` with
the file and the frame, so the caller can stop cleanly and keep what it already wrote.

Output: ``VideoOutput`` picks the container from the file suffix (``.mp4``/``.mov``/``.m4v`` as
MPEG-4 Part 2, ``.avi`` as Motion-JPEG, ``.gif`` through Pillow, downscaled and subsampled so
that a long sequence still gives a small file); it opens on the first frame (whose size it takes)
and is closed, so playable, even when the caller fails half way.
"""
import os
from pathlib import Path

import cv2
import numpy as np

from ..errors import ConfigError, TrackerInputError
from .frame_files import IMAGE_EXTENSIONS, image_names
from .images import FrameSize, read_image
from .regular_files import file_problem

# FFmpeg's own log lines ("marker does not match f_code" per damaged block) would bury our one-line
# errors; the failures they describe are reported by FrameSource instead. Read when a capture opens.
os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")
VIDEO_CODECS = {".mp4": "mp4v", ".m4v": "mp4v", ".mov": "mp4v", ".avi": "MJPG", ".mkv": "MJPG"}
GIF_MAX_FRAMES = 300            # longer inputs keep every k-th frame
GIF_MAX_WIDTH = 480
# Frames a video may fall short of what its header announces before it counts as damaged (headers
# of some containers estimate the count from the duration).
ANNOUNCED_SLACK = 1
# After a frame fails to decode, how many further frames are tried to tell a corrupt frame in the
# middle (later frames decode) from the end of a truncated file (nothing decodes any more).
PROBE_AFTER_FAILURE = 30


class FrameSource:
    """The frames of ``spec``: a video file, a folder of image files (natural order: 2 before 10) or
    a camera index (``0``, ``1``...); ``announced`` is the number of frames it says it has.

    Iterating yields RGB uint8 frames; a frame that does not decode raises ``TrackerInputError``
    naming its number (1-based) and the source.
    """

    def __init__(self, spec):
        self.spec = str(spec)
        self.frames, self.capture, self.fps = None, None, None
        path = Path(self.spec).expanduser()
        problem = file_problem(path)
        if problem == "is a folder":
            self.frames = [path / name for name in image_names(path)]
            if not self.frames:
                raise TrackerInputError(f"{self.spec}: the folder holds no frames; expected image files "
                                        f"({', '.join(IMAGE_EXTENSIONS)}) named in frame order")
            self.kind = "folder"
        elif problem != "does not exist":
            if problem:
                raise TrackerInputError(f"{self.spec} {problem}, not a video file or a folder of frames; refused "
                                        "unread")
            if not os.access(path, os.R_OK):
                raise TrackerInputError(f"{self.spec}: cannot be read (check its permissions)")
            if path.stat().st_size == 0:
                raise TrackerInputError(f"{self.spec}: the file is empty (0 bytes), so there is no frame to track")
            self.capture = cv2.VideoCapture(str(path))
            if not self.capture.isOpened():
                raise TrackerInputError(
                    f"{self.spec}: OpenCV cannot open it as a video (not a video file, a video without frames, an "
                    "unknown codec, or a file cut short before its index); try re-encoding it, e.g. "
                    "ffmpeg -i IN -c:v libx264 OUT.mp4")
            self.kind = "video"
        elif self.spec.isdigit():
            self.capture = cv2.VideoCapture(int(self.spec))
            if not self.capture.isOpened():
                raise TrackerInputError(f"camera {self.spec} cannot be opened (no such camera, or it is in use); "
                                        "give a video file or a folder of frames instead")
            self.kind = "camera"
        else:
            raise TrackerInputError(f"{self.spec} does not exist; expected a video file, a folder of frames or "
                                    "a camera index (0, 1...)")
        if self.capture is not None:
            fps = self.capture.get(cv2.CAP_PROP_FPS)
            self.fps = fps if np.isfinite(fps) and fps > 0 else None

    @property
    def announced(self):
        """Frames the source says it has: the folder's files, the video header's count, None for cameras."""
        if self.frames is not None:
            return len(self.frames)
        if self.kind == "camera":
            return None
        count = int(self.capture.get(cv2.CAP_PROP_FRAME_COUNT))
        return count if count > 0 else None

    @property
    def name(self):
        """A short name for output files: the file or folder name without suffix, ``camera0``."""
        return f"camera{self.spec}" if self.kind == "camera" else Path(self.spec.rstrip("/\\")).stem or "video"

    def __iter__(self):
        if self.frames is not None:
            size = FrameSize()             # a frame of another size would put boxes in the wrong place
            for path in self.frames:
                yield size.check(read_image(path), path)
            return
        index = 0
        while True:
            ok, frame = self.capture.read()
            if not ok:
                self._check_end(index)
                return
            index += 1
            yield cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)

    def _check_end(self, decoded):
        """Called when the capture returns no frame after ``decoded`` frames: the end, or damage?"""
        if self.kind == "camera":
            if decoded == 0:
                raise TrackerInputError(f"camera {self.spec} delivered no frame")
            return
        if decoded == 0:
            raise TrackerInputError(f"{self.spec}: no frame could be decoded (an empty or damaged video)")
        announced = self.announced
        later = any(self.capture.read()[0] for _ in range(PROBE_AFTER_FAILURE))
        if later:
            raise TrackerInputError(f"{self.spec}: frame {decoded + 1} cannot be decoded (corrupt), although "
                                    "later frames can; the video is damaged there, re-encode or repair it")
        if announced and announced - decoded > ANNOUNCED_SLACK:
            raise TrackerInputError(f"{self.spec}: the video ends after frame {decoded} but its header announces "
                                    f"{announced} frames; the file is truncated or damaged")

    def close(self):
        if self.capture is not None:
            self.capture.release()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class VideoOutput:
    """Annotated frames (RGB uint8) to ``path``; the container follows the suffix (see module doc).

    ``frames`` (the expected count, optional) sets the GIF's frame step. Use as a context manager:
    the file is finalised on exit, also after an error, so what was written plays.
    """

    SUFFIXES = tuple(VIDEO_CODECS) + (".gif",)

    def __init__(self, path, fps=25.0, frames=None):
        self.path = Path(path)
        self.suffix = self.path.suffix.lower()
        if self.suffix not in self.SUFFIXES:
            raise ConfigError(f"{path}: cannot write videos of type {self.path.suffix or '(no suffix)'!r}; "
                              f"use one of {', '.join(self.SUFFIXES)}")
        if not self.path.parent.is_dir():
            raise ConfigError(f"{path}: the folder {self.path.parent} does not exist")
        self.fps = float(fps) if fps and fps > 0 else 25.0
        self.step = max(1, -(-frames // GIF_MAX_FRAMES)) if frames else 1
        self.writer, self.gif_frames, self.size, self.written = None, [], None, 0

    def write(self, image):
        height, width = image.shape[:2]
        if self.size is None:
            self.size = (width, height)
            if self.suffix != ".gif":
                self._open()
        if (width, height) != self.size:
            image = cv2.resize(image, self.size, interpolation=cv2.INTER_AREA)
        if self.suffix == ".gif":
            if self.written % self.step == 0:
                self.gif_frames.append(self._gif_frame(image))
        else:
            self.writer.write(cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
        self.written += 1

    def _open(self):
        codec = VIDEO_CODECS[self.suffix]
        self.writer = cv2.VideoWriter(str(self.path), cv2.VideoWriter_fourcc(*codec), self.fps, self.size)
        if not self.writer.isOpened():
            raise ConfigError(f"{self.path}: OpenCV cannot write a {codec} video there (check the folder's "
                              "permissions, or try the .avi suffix)")

    def _gif_frame(self, image):
        from PIL import Image  # Pillow comes with matplotlib; only GIFs need it
        width, height = self.size
        if width > GIF_MAX_WIDTH:
            image = cv2.resize(image, (GIF_MAX_WIDTH, max(1, round(height * GIF_MAX_WIDTH / width))),
                               interpolation=cv2.INTER_AREA)
        return Image.fromarray(image).quantize(colors=255, method=Image.Quantize.FASTOCTREE)

    def close(self):
        if self.writer is not None:
            self.writer.release()
            self.writer = None
        if self.gif_frames:
            first, *rest = self.gif_frames
            first.save(self.path, save_all=True, append_images=rest, loop=0,
                       duration=int(round(1000 * self.step / self.fps)), optimize=False)
            self.gif_frames = []

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
