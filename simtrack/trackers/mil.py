"""``--tracker mil``: OpenCV's TrackerMIL (Babenko et al., multiple-instance learning), a classical
baseline that needs no weights, behind ``init(image, box)`` / ``update(image) -> box``.

What this wrapper handles, measured on opencv-python 5.0.0.93 (docs/own_tracker.md):

* repeatability: MIL draws its Haar features with the C library's ``rand()``, which
  ``cv2.setRNGSeed`` does not touch, so two runs of one sequence differ from the second frame on;
  and its sampler copies the calling thread's OpenCV RNG (``theRNG``), which any OpenCV call that
  draws random numbers earlier in the process advances. ``srand(seed)`` and ``cv2.setRNGSeed(seed)``
  right before ``init`` make every run give the same boxes, in any process and order (resume,
  ``--shard`` and the got10k comparison depend on that; seed 0 is OpenCV's initial RNG state);
* boxes OpenCV cannot take: ``init`` wants integers, raises for a box sticking out of the frame,
  and never returns for a box under 25 pixels (4 x 4). The box is rounded, clipped to the frame
  and enlarged to at least 5 x 5 pixels around its centre (the reported first box is the given one).
  A box covering nearly the whole frame leaves MIL no background to learn from: OpenCV raises
  (``!negSamples.empty()``) and that sequence fails with its message;
* ``update`` before ``init`` crashes the process in OpenCV: refused here with an exception;
* a lost target (``update`` returns ``ok = False`` and a zero box): the last box is repeated with
  confidence 0. MIL has no score (``getTrackingScore`` is -1): confidence is 1 while tracked.

Images are BGR arrays (``image_type = "bgr"``): MIL gives other boxes on RGB input.
"""
import ctypes
import ctypes.util
import functools
from typing import Optional

import numpy as np

MIN_SIDE = 5


@functools.lru_cache(maxsize=None)
def _libc():
    """The C library, looked up once: ``find_library`` runs ``ldconfig`` (milliseconds), and ``init``
    runs inside the timed first frame."""
    return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")


def library_versions():
    """What the boxes depend on besides this file (recorded in provenance)."""
    import cv2
    return {"opencv": cv2.__version__}


def fit_box(box, width, height, min_side=MIN_SIDE):
    """``box`` as integers inside a ``width`` x ``height`` frame, at least ``min_side`` on each side."""
    x, y, w, h = (float(value) for value in box)
    cx, cy = x + w / 2, y + h / 2
    w, h = min(max(w, min_side), width), min(max(h, min_side), height)
    x0 = int(round(min(max(cx - w / 2, 0), width - w)))
    y0 = int(round(min(max(cy - h / 2, 0), height - h)))
    return [x0, y0, max(1, min(int(round(w)), width - x0)), max(1, min(int(round(h)), height - y0))]


class MILTracker:
    """OpenCV's TrackerMIL, repeatable and safe (see the module). ``params`` set fields of
    ``cv2.TrackerMIL.Params`` (e.g. ``samplerSearchWinSize=25``)."""

    image_type = "bgr"

    def __init__(self, seed=0, **params):
        import cv2
        self._cv2 = cv2
        self.seed = int(seed)
        self.params = cv2.TrackerMIL.Params()
        for key, value in params.items():
            if not hasattr(self.params, key):
                known = ", ".join(name for name in dir(self.params) if not name.startswith("_"))
                raise ValueError(f"TrackerMIL has no parameter {key!r}; its parameters: {known}")
            setattr(self.params, key, value)
        self._tracker = None
        self.box = np.zeros(4)
        self.confidence: Optional[float] = None

    def init(self, image, box):
        height, width = image.shape[:2]
        if width < 2 * MIN_SIDE or height < 2 * MIN_SIDE:
            raise ValueError(f"MIL needs frames of at least {2 * MIN_SIDE} x {2 * MIN_SIDE} pixels, got {width} x {height}")
        _libc().srand(self.seed)                  # repeatable Haar features
        self._cv2.setRNGSeed(self.seed)           # repeatable samples, whatever ran before in this thread
        self._tracker = self._cv2.TrackerMIL.create(self.params)
        self._tracker.init(image, fit_box(box, width, height))
        self.box = np.array(box, dtype=np.float64).reshape(4)
        self.confidence = 1.0
        return self.box.copy()

    def update(self, image):
        if self._tracker is None:
            raise RuntimeError("MILTracker.update() called before init()")   # OpenCV itself would crash
        ok, box = self._tracker.update(image)
        if ok:
            self.box, self.confidence = np.array(box, dtype=np.float64), 1.0
        else:
            self.confidence = 0.0
        return self.box.copy()
