"""Any tracker spec under vot-toolkit 0.9's ``python`` protocol (no TraX): the toolkit imports this
class in a worker process of its own and calls it directly.

trackers.ini (vot_workspace/README.md):

    [MyTrackerPy]
    protocol = python
    command = simtrack.adapters.vot_python:SpecTracker
    arg_tracker = mytrackers.ncc:NCCTracker
    arg_search = 2.0
    arg_threads = 1
    convert = rectangle
    timeout = 300

What the toolkit does with it (vot/tracker/python.py of 0.9.0), and what this class does about it:

* every ``arg_<name> = value`` line becomes the keyword argument ``<name>`` (lower-cased: options
  whose names hold capitals cannot be passed this way) with a text value: ``tracker`` is the spec,
  ``threads`` and ``device`` are read here, every other one is an option of the tracker, read as
  ``--tracker-option`` values are (``2.0`` a float, ``[1, 2]`` a list...). ``env_*``, ``paths``
  and ``python`` lines are ignored by this protocol: the module and the tracker must be importable
  by the ``vot`` process itself, and threads are set from ``arg_threads`` (default 1);
* frames arrive as file paths; they are read with ``simtrack.formats.images.read_image`` (the
  verified decode the runner uses) and handed to the tracker in its image type;
* the initial region arrives as ``(x, y, w, h)`` with ``convert = rectangle``, except for mask
  ground truth (VOTS), where 0.9.0 converts a mask to a 4-corner polygon from its first to its
  last pixel: its bounding box is taken with ``w = max - min + 1``, as TraX converts masks;
* replies are tuples (a numpy array does not decode in the toolkit); ``update`` carries the
  tracker's confidence (1 when it has none), ``init`` none (0.9 keeps the properties of the
  initialisation reply and its long-term analysis would count that frame);
* the toolkit passes only RuntimeError, TypeError, ValueError, ImportError and AttributeError back
  with their message; any other exception kills its worker silently and the toolkit waits for its
  timeout. Every error here becomes a RuntimeError with the tracker's message and traceback, which
  the toolkit writes to the workspace's ``logs/``.
"""
import traceback

from ..errors import error_message
from ..formats.images import read_image
from ..trackers.spec import build, parse_spec, parse_value


def region_box(region):
    """The ``(x, y, w, h)`` of what 0.9's python protocol sends with ``convert = rectangle``."""
    if isinstance(region, tuple) and len(region) == 4:
        return tuple(float(value) for value in region)
    if isinstance(region, list) and len(region) >= 3 and all(len(point) == 2 for point in region):
        xs, ys = [float(point[0]) for point in region], [float(point[1]) for point in region]
        return (min(xs), min(ys), max(xs) - min(xs) + 1, max(ys) - min(ys) + 1)
    raise ValueError(f"expected a rectangle (x, y, w, h): set convert = rectangle in trackers.ini; got {region!r:.80}")


def _runtime_error(error):
    """``error`` as a RuntimeError the toolkit reports (with the traceback in its log)."""
    cause = error.__cause__ or error
    return RuntimeError(f"{error_message(error)}\n{''.join(traceback.format_exception(cause))}")


class SpecTracker:
    """The tracker named by ``arg_tracker`` (default: SimTrack) for the 0.9 ``python`` protocol."""

    multiobject = False

    def __init__(self, tracker="simtrack", threads="1", device="", **options):
        from ..cores import limit_threads
        try:
            threads = int(threads)
            limit_threads(threads)
            spec = parse_spec(tracker, {key: parse_value(value) for key, value in options.items()}, "arg_tracker")
            self.tracker = build(spec, device=device or None)
            limit_threads(threads)                   # building may have loaded torch
        except Exception as error:
            raise _runtime_error(error) from None

    def _frame(self, frame):
        if not isinstance(frame, str):
            raise ValueError("this tracker reads one colour image per frame; the sequence has several channels")
        return self.tracker.prepare(read_image(frame), frame)

    def init(self, frame, new):
        region, _ = new
        try:
            box = self.tracker.init(self._frame(frame), region_box(region))
        except Exception as error:
            raise _runtime_error(error) from None
        return tuple(float(value) for value in box)

    def update(self, frame):
        try:
            box = self.tracker.update(self._frame(frame))
        except Exception as error:
            raise _runtime_error(error) from None
        confidence = 1.0 if self.tracker.confidence is None else float(self.tracker.confidence)
        return tuple(float(value) for value in box), {"confidence": confidence}
