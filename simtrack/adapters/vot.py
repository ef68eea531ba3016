"""TraX server that runs SimTrack or another tracker under the VOT toolkit (traxpython in trackers.ini).

One process answers every initialisation the toolkit sends on its connection (one per multistart
anchor, repetition or object), so the model is loaded once per sequence and experiment. The
``vot`` metadata key is never advertised: the toolkit restarts the tracker for every
initialisation when it sees it.

Settings come from the command line or, for each option, its environment variable (``env_*``
lines in trackers.ini): ``--checkpoint`` is ``SIMTRACK_CHECKPOINT`` and so on for ``--variant``,
``--device``, ``--threads`` and the speed options ``--engine``, ``--precision``, ``--fast``, ``--compile``,
``--cuda-graphs`` and ``--crop`` (docs/options.md says what each means). Two are the server's own:

  SIMTRACK_VOT_REGIONS  region formats to advertise, comma-separated subset of
                        rectangle,polygon,mask (default: rectangle)
  SIMTRACK_VOT_EVENTS   file to which a ``start`` line per process and an ``init`` line per
                        initialisation are appended (checks that the toolkit does not restart us)

``SIMTRACK_WEIGHTS``, the old name of ``SIMTRACK_CHECKPOINT``, is read for one more release.

Another tracker: ``--tracker`` / ``SIMTRACK_TRACKER`` names it (``mil``, ``package.module:Object``;
docs/own_tracker.md) and ``--tracker-option`` / ``SIMTRACK_TRACKER_OPTION`` gives its options
(``SIMTRACK_TRACKER_OPTION = search=2.0 scales="[1, 1.05]"``: KEY=VALUE items split as a shell
splits words). The checkpoint, variant and speed options are SimTrack's and refused with another
tracker.

Every reply to a frame carries a ``confidence`` property: ``Tracker.confidence``, the geometric
mean of the two corner heat-map peaks for SimTrack, the tracker's own ``confidence`` for another
tracker (1 when it has none). The reply to an initialisation carries none: vot-toolkit 0.9 stores
the properties of that reply, and a confidence there made its long-term analysis count the
initialisation frame as a reported frame. stdout is the protocol pipe, so all
logging goes to stderr. A bad request (no region, a region outside the frame, a frame that is
missing, truncated, corrupt or of another size than the initialisation frame) or a failed model load ends the session with the error message as the TraX quit reason,
which the toolkit prints.
"""
import logging
import os
import sys
import time
from dataclasses import dataclass, field

import numpy as np

from ..cli import options, run_cli
from ..cores import limit_threads, set_threads
from ..errors import ConfigError, SimTrackError, TrackerInputError, error_message
from ..formats.images import FrameSize, read_image
from ..speed import SpeedOptions
from ..trackers.spec import TrackerSpec, parse_spec, simtrack_settings_given

try:
    import trax
    from trax.image import FileImage
except ImportError as error:  # pragma: no cover - depends on the environment
    raise ImportError("simtrack.adapters.vot needs the TraX bindings: pip install 'vot-trax==4.0.2' "
                      "(or pip install -e '.[vot]' for the whole VOT toolkit)") from error

REGION_FORMATS = (trax.Region.RECTANGLE, trax.Region.POLYGON, trax.Region.MASK)
log = logging.getLogger("simtrack.vot")


# --------------------------------------------------------------------------- regions

def region_to_box(region):
    """A TraX rectangle, polygon or mask as float64 (x, y, w, h): the region's bounding box.

    Masks cover whole pixels, so a mask spanning columns 3..7 gives x=3, w=5.
    """
    kind = getattr(region, "type", None)
    if kind == trax.Region.RECTANGLE:
        return np.array(region.bounds(), dtype=np.float64)
    if kind == trax.Region.POLYGON:
        points = np.array(list(region), dtype=np.float64)
        low, high = points.min(axis=0), points.max(axis=0)
        return np.concatenate([low, high - low])
    if kind == trax.Region.MASK:
        rows, cols = np.nonzero(region.array())
        if rows.size == 0:
            raise TrackerInputError("the initial mask region is empty: it must mark the target's pixels")
        x0, y0 = region.offset()
        return np.array([x0 + cols.min(), y0 + rows.min(), cols.max() - cols.min() + 1,
                         rows.max() - rows.min() + 1], dtype=np.float64)
    what = f"special region {region.code} (0 = unknown/absent)" if kind == trax.Region.SPECIAL else str(region)
    raise TrackerInputError(f"cannot initialise from {what}: the initial region must be the target's "
                            f"rectangle, polygon or mask")


def box_to_region(box, kind):
    """(x, y, w, h) as a TraX region of ``kind``, the inverse of :func:`region_to_box`."""
    x, y, w, h = (float(v) for v in box)
    if kind == trax.Region.POLYGON:
        return trax.Polygon.create([(x, y), (x + w, y), (x + w, y + h), (x, y + h)])
    if kind == trax.Region.MASK:
        left, top = int(round(x)), int(round(y))
        width = max(1, int(round(x + w)) - left)
        height = max(1, int(round(y + h)) - top)
        return trax.Mask.create(np.ones((height, width), dtype=np.uint8), x=left, y=top)
    return trax.Rectangle.create(x, y, w, h)


def check_inside(box, shape, path):
    """Refuse an initial box that does not overlap the frame: nothing to build a template from."""
    height, width = shape[:2]
    x, y, w, h = box
    if min(x + w, width) - max(x, 0) <= 0 or min(y + h, height) - max(y, 0) <= 0:
        raise TrackerInputError(f"initial region x={x:g}, y={y:g}, w={w:g}, h={h:g} lies outside the "
                                f"{width}x{height} frame {path}: the box must overlap the image")


def parse_region_formats(text):
    """``"rectangle,mask"`` -> ("rectangle", "mask"), refusing unknown names."""
    names = tuple(part.strip().lower() for part in text.split(",") if part.strip())
    unknown = [name for name in names if name not in REGION_FORMATS]
    if unknown or not names:
        raise ConfigError(f"SIMTRACK_VOT_REGIONS={text!r}: expected a comma-separated subset of "
                          f"{','.join(REGION_FORMATS)} (e.g. rectangle)")
    return names


# --------------------------------------------------------------------------- settings and model

@dataclass(frozen=True)
class Settings:
    """The server's configuration: the shared tracker options plus the TraX-specific ones."""

    checkpoint: str = ""
    variant: str = ""
    device: str = "auto"
    threads: int = 0
    speed: SpeedOptions = field(default_factory=SpeedOptions)
    regions: str = trax.Region.RECTANGLE
    events: str = ""
    tracker: TrackerSpec = field(default_factory=lambda: parse_spec("simtrack"))


def build_spec_tracker(settings):
    """Another tracker than SimTrack, from its spec (a ``GenericTracker``); SimTrack's own options
    are refused with it."""
    from ..trackers.spec import build
    spec = settings.tracker
    given = simtrack_settings_given((("SIMTRACK_CHECKPOINT", settings.checkpoint), ("SIMTRACK_VARIANT", settings.variant)),
                                    settings.speed, options.environment_name)
    if given:
        raise ConfigError(f"{', '.join(given)}: SimTrack's setting(s), but SIMTRACK_TRACKER is {spec.text}; give "
                          f"that tracker's settings in SIMTRACK_TRACKER_OPTION (KEY=VALUE ...)")
    if settings.threads:
        limit_threads(settings.threads)
    start = time.perf_counter()
    tracker = build(spec, device=None if settings.device == "auto" else settings.device)
    log.info("built tracker %s (%s) in %.1f s", spec.text, spec.factory, time.perf_counter() - start)
    return tracker


def build_tracker(settings):
    """Build the tracker once for the whole process."""
    if not settings.tracker.is_simtrack:
        return build_spec_tracker(settings)
    if settings.tracker.options:
        raise ConfigError("SIMTRACK_TRACKER_OPTION (--tracker-option) is for a tracker other than simtrack; "
                          "SimTrack takes SIMTRACK_CHECKPOINT, SIMTRACK_VARIANT and the speed options")
    from ..tracker import Tracker
    from ..weights import is_embedded, resolve_checkpoint
    path = resolve_checkpoint(settings.checkpoint, "SIMTRACK_CHECKPOINT (--checkpoint)")
    if settings.threads:
        set_threads(settings.threads, torch_too=settings.speed.engine == "torch")
    start = time.perf_counter()
    tracker = Tracker.from_checkpoint(path, variant=settings.variant or None, device=settings.device,
                                      **settings.speed.as_dict())
    log.info("loaded %s (variant %s) on %s, engine %s, in %.1f s", path, tracker.config.name, tracker.device,
             tracker.options.engine, time.perf_counter() - start)
    if is_embedded(path):
        log.warning("running the tiny demo model; set SIMTRACK_CHECKPOINT for real SimTrack weights")
    return tracker


class EventLog:
    """Appends ``<event> <pid> <time>`` lines to a file, when one is configured."""

    def __init__(self, path):
        self.path = path

    def record(self, event):
        if self.path:
            try:
                with open(self.path, "a") as handle:
                    handle.write(f"{event} {os.getpid()} {time.time():.3f}\n")
            except OSError as error:
                raise ConfigError(f"SIMTRACK_VOT_EVENTS (--events) {self.path}: cannot append to it "
                                  f"({error.strerror or error}); give a writable file or leave it unset") from None


# --------------------------------------------------------------------------- protocol loop

def frame_image(request):
    """The colour frame of a request, read from the path the client sent."""
    channel = (request.image or {}).get(trax.ImageChannel.COLOR)
    if not isinstance(channel, FileImage):
        raise TrackerInputError("the request carries no colour image path: SimTrack accepts "
                                "file-path images on the 'color' channel")
    return read_image(channel.path()), channel.path()


def initial_region(request):
    """The one object of an initialisation request."""
    objects = request.objects or []
    if len(objects) != 1:
        raise TrackerInputError(f"an initialisation request must carry exactly one object region, got "
                                f"{len(objects)}; SimTrack is a single-object tracker")
    return objects[0][0]


def serve(server, tracker, events):
    """Answer requests until the client quits: any number of initialisations, each followed by frames."""
    reply_format, size = None, None
    prepare = getattr(tracker, "prepare", None)        # another tracker: frames in its image type
    while True:
        request = server.wait()
        if request.type == trax.TraxStatus.QUIT:
            return
        if request.type == trax.TraxStatus.FRAME and reply_format is None:
            raise TrackerInputError("a frame request arrived before any initialisation: the client must "
                                    "first send the target's region with an initialize request")
        image, path = frame_image(request)
        if request.type == trax.TraxStatus.INITIALIZE:
            size = FrameSize()                     # a new initialisation may start another sequence
            size.check(image, path)
            region = initial_region(request)
            box = region_to_box(region)
            check_inside(box, image.shape, path)
            tracker.init(image if prepare is None else prepare(image, path), box)
            events.record("init")
            reply_format = region.type
            server.status([(box_to_region(box, reply_format), {})])     # no confidence here (see the module)
            continue
        size.check(image, path)
        box = tracker.update(image if prepare is None else prepare(image, path))
        confidence = 1.0 if tracker.confidence is None else tracker.confidence
        server.status([(box_to_region(box, reply_format), {"confidence": f"{confidence:.6f}"})])


def start_up(settings):
    """The region formats to advertise and the tracker; what this raises, the server reports over TraX."""
    return parse_region_formats(settings.regions), build_tracker(settings)


def run(settings, failure=None):
    """Start the server; a failed start-up (or ``failure``, a settings error) is reported to the
    client as the quit reason."""
    events = EventLog(settings.events)
    tracker, formats = None, (trax.Region.RECTANGLE,)
    try:
        events.record("start")
        if failure is None:
            formats, tracker = start_up(settings)
    except Exception as error:  # reported through the protocol below, where the toolkit shows it
        failure = error
    if failure is not None:
        log.error("start-up failed: %s", error_message(failure), exc_info=not isinstance(failure, SimTrackError))
    simtrack = settings.tracker.is_simtrack
    server = trax.Server(list(formats), [trax.Image.PATH], [trax.ImageChannel.COLOR],
                         tracker_name="SimTrack" if simtrack else settings.tracker.default_name,
                         tracker_description="SimTrack one-stream ViT tracker (simtrack toolkit)" if simtrack
                         else f"{settings.tracker.factory} through the simtrack toolkit's TraX server")
    try:
        if failure is None:
            serve(server, tracker, events)
        elif server.wait().type != trax.TraxStatus.QUIT:
            server.quit(reason=error_message(failure))
            return 2
    except trax.TraxException as error:
        log.error("TraX connection failed: %s", error)
        return 1
    except Exception as error:
        log.error("%s", error_message(error), exc_info=not isinstance(error, SimTrackError))
        server.quit(reason=error_message(error))
        return 2 if isinstance(error, SimTrackError) else 1
    server.quit()
    return 0


def build_parser():
    """The shared tracker options, defaulting to their SIMTRACK_* environment variables."""
    parser = options.parser("simtrack-vot", __doc__.splitlines()[0], raise_errors=True)
    options.add_tracker(parser, env=True)
    options.add_checkpoint(parser, env=True)
    options.add_device(parser, env=True)
    options.add_threads(parser, default_help="torch's choice", env=True)
    options.add_speed(parser, env=True)
    vot = parser.add_argument_group("TraX")
    vot.add_argument("--regions", default=os.environ.get("SIMTRACK_VOT_REGIONS", "") or trax.Region.RECTANGLE,
                     help="region formats to advertise, a comma-separated subset of rectangle,polygon,mask "
                          "(default: $SIMTRACK_VOT_REGIONS, else rectangle)")
    vot.add_argument("--events", default=os.environ.get("SIMTRACK_VOT_EVENTS", ""), metavar="FILE",
                     help="append start/init lines to this file (default: $SIMTRACK_VOT_EVENTS, else none)")
    options.add_deprecated(parser, "--weights", "--checkpoint", dest="checkpoint")
    return parser


def parse_settings(argv=None):
    """Settings from the command line and the environment (``SIMTRACK_WEIGHTS`` read when
    ``SIMTRACK_CHECKPOINT`` is unset, with a notice)."""
    if "SIMTRACK_CHECKPOINT" not in os.environ and os.environ.get("SIMTRACK_WEIGHTS"):
        log.warning("SIMTRACK_WEIGHTS is deprecated and will be removed in the next release; "
                    "use SIMTRACK_CHECKPOINT")
        os.environ["SIMTRACK_CHECKPOINT"] = os.environ["SIMTRACK_WEIGHTS"]
    args = build_parser().parse_args(argv)
    return Settings(checkpoint=args.checkpoint or "", variant=args.variant or "", device=args.device,
                    threads=args.threads or 0, speed=options.speed_options(args), regions=args.regions,
                    events=args.events, tracker=options.tracker_spec(args, "SIMTRACK_TRACKER (--tracker)"))


def main(argv=None):
    logging.basicConfig(stream=sys.stderr, level=logging.INFO, format="simtrack-vot: %(message)s")
    sys.stdout = sys.stderr  # keep stray prints out of the protocol pipe
    try:
        settings, failure = parse_settings(argv), None
    except SimTrackError as error:   # a bad SIMTRACK_* value: told to the toolkit over TraX
        settings, failure = Settings(events=os.environ.get("SIMTRACK_VOT_EVENTS", "")), error
    return run(settings, failure)


if __name__ == "__main__":
    run_cli(main)
