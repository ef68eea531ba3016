"""``GenericTracker``: any object with ``init(image, box)`` and ``update(image) -> box`` behind the
interface of ``simtrack.Tracker``, so the runner, the VOT server, the VOT 0.9 Python runtime and
the got10k adapter drive every tracker the same way.

What it bridges:

* images: callers hand decoded RGB uint8 arrays (or frames ``prepare``d ahead of the timed call);
  the tracker receives what it declares in its ``image_type`` attribute: ``"pil"`` (a PIL RGB
  image, as the got10k toolkit passes; the default for classes that do not say), ``"rgb"`` (our
  protocol: H x W x 3 uint8 RGB array; the default for simtrack's own classes), ``"bgr"`` (OpenCV
  order) or ``"path"`` (the frame's file path);
* boxes: ``init`` gets a float64 copy of ``x, y, w, h`` and may return anything (got10k trackers
  return None); ``update`` must return 4 finite numbers with ``w, h >= 0``, or ``(box, score)``.
  Every box is checked (a few microseconds), so a tracker that returns NaN or a wrong shape fails
  at the frame where it happens, with that frame named;
* errors: anything the tracker raises (``SystemExit`` included) becomes a ``TrackerError`` naming
  the tracker, the call and the frame, with the tracker's own message; its traceback stays chained.

``confidence``: the tracker's own ``confidence`` attribute when it has a number there, else the
score of a ``(box, score)`` reply, else None (1.0 on the initialisation frame).
"""
from typing import Any, Optional

import numpy as np

from ..errors import TrackerError

IMAGE_TYPES = ("pil", "rgb", "bgr", "path")


class PreparedFrame:
    """A frame already in the wrapped tracker's image type (``GenericTracker.prepare``)."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value


def image_type_of(tracker: Any) -> str:
    """The image type ``tracker`` wants: its ``image_type`` attribute; else ``rgb`` for simtrack's
    classes and ``pil`` for everything else (a class written for the got10k toolkit gets PIL there)."""
    declared = getattr(tracker, "image_type", None)
    if declared is not None:
        if declared not in IMAGE_TYPES:
            raise TrackerError(f"{type(tracker).__name__}.image_type is {declared!r}; expected one of "
                               f"{', '.join(IMAGE_TYPES)}")
        return str(declared)
    return "rgb" if type(tracker).__module__.split(".")[0] == "simtrack" else "pil"


def require_methods(tracker: Any, label: str) -> None:
    """A TrackerError naming tracker ``label`` unless ``tracker`` has callable ``init`` and ``update``."""
    missing = [method for method in ("init", "update") if not callable(getattr(tracker, method, None))]
    if missing:
        raise TrackerError(f"tracker {label}: {type(tracker).__name__} has no {' or '.join(missing)}() method; a "
                           f"tracker needs init(image, box) and update(image) -> box")


def check_box(value: Any, where: str) -> np.ndarray:
    """``value`` as float64 ``x, y, w, h``: 4 finite numbers with ``w, h >= 0``; a TrackerError
    saying what came back otherwise."""
    if value is None:
        raise TrackerError(f"{where} returned None; it must return the box x, y, w, h")
    try:
        box = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        shown = repr(value)[:80]
        raise TrackerError(f"{where} returned {type(value).__name__} {shown}, not 4 numbers x, y, w, h") from None
    if box.shape not in ((4,), (1, 4), (4, 1)):
        raise TrackerError(f"{where} returned an array of shape {box.shape}; a box is 4 numbers x, y, w, h")
    box = box.reshape(4)
    if not np.all(np.isfinite(box)):
        raise TrackerError(f"{where} returned a non-finite box {box.tolist()}")
    if box[2] < 0 or box[3] < 0:
        raise TrackerError(f"{where} returned a box with negative width or height {box.tolist()}")
    return box


class GenericTracker:
    """``init(image, box) -> box`` / ``update(image) -> box`` over any tracker object (see the module).

    ``image`` is an RGB uint8 array or a ``PreparedFrame``; boxes come back as float64 arrays.
    """

    def __init__(self, tracker: Any, name: str = "tracker") -> None:
        require_methods(tracker, name)
        self.tracker = tracker
        self.name = name
        self.image_type = image_type_of(tracker)
        self.confidence: Optional[float] = None
        self.frame: Optional[int] = None          # index of the last frame since init, None before init

    # ------------------------------------------------------------------ images

    def prepare(self, image: np.ndarray, path: Any = None) -> PreparedFrame:
        """The RGB ``image`` (read from ``path``) in the tracker's image type, ready for init/update."""
        if self.image_type == "rgb":
            return PreparedFrame(image)
        if self.image_type == "bgr":
            return PreparedFrame(np.ascontiguousarray(image[:, :, ::-1]))
        if self.image_type == "path":
            if path is None:
                raise TrackerError(f"tracker {self.name} takes frame paths (image_type = 'path'), but it was given "
                                   f"a decoded image without its path")
            return PreparedFrame(str(path))
        from PIL import Image
        return PreparedFrame(Image.fromarray(image))        # mode RGB, what got10k's track() passes

    def _image(self, image: Any) -> Any:
        return image.value if isinstance(image, PreparedFrame) else self.prepare(image).value

    # ------------------------------------------------------------------ tracking

    def _call(self, what: str, method: Any, *args: Any) -> Any:
        try:
            return method(*args)
        except KeyboardInterrupt:
            raise
        except BaseException as error:             # the tracker's own bug: its message, our context
            raise TrackerError(f"tracker {self.name}: {what} on frame {self.frame} raised "
                               f"{type(error).__name__}: {error}") from error

    def init(self, image: Any, box: Any) -> np.ndarray:
        """Start tracking ``box`` (x, y, w, h) on ``image``; returns the box as float64."""
        box = check_box(box, f"the initial box given to tracker {self.name}")
        if box[2] <= 0 or box[3] <= 0:
            raise TrackerError(f"tracker {self.name}: the initial box {box.tolist()} has no area")
        self.frame, self.confidence = 0, None
        prepared = self._image(image)
        self._call("init()", self.tracker.init, prepared, box.copy())
        self.confidence = 1.0
        return box

    def update(self, image: Any) -> np.ndarray:
        """The box on the next frame, checked (see ``check_box``)."""
        if self.frame is None:
            raise TrackerError(f"tracker {self.name}: update() called before init()")
        self.frame += 1
        reply = self._call("update()", self.tracker.update, self._image(image))
        score = None
        if isinstance(reply, tuple) and len(reply) == 2 and np.size(reply[0]) == 4:
            reply, score = reply
        box = check_box(reply, f"tracker {self.name}: update() on frame {self.frame}")
        own = getattr(self.tracker, "confidence", None)
        chosen = own if isinstance(own, (int, float, np.number)) and not isinstance(own, bool) else score
        try:
            self.confidence = None if chosen is None else float(chosen)
        except (TypeError, ValueError):
            self.confidence = None
        return box
