"""SimTrack: the one-stream ViT tracker of "Backbone is All Your Need" (ECCV 2022) as a toolkit.

Public interface (stable; other tools are written against these names)::

    model = simtrack.build_model("b16")
    simtrack.load_weights(model, "sim-vit-b-16.pth")
    tracker = simtrack.Tracker(model, device="cpu")   # or Tracker.from_checkpoint(path, variant="b16")
    tracker.init(image, (x, y, w, h))
    box = tracker.update(image)

The names that need torch are imported on first use, so that scoring results (``simtrack.data``,
``benchmarks.evaluate``) runs where torch is not installed.
"""
from importlib import import_module

from .errors import SimTrackError

__version__ = "0.1.0"
# public name -> module that defines it (imported when the name is first used)
_LAZY = {"Tracker": ".tracker", "VARIANTS": ".model.config", "build_model": ".model",
         "load_weights": ".checkpoints", "load_model": ".checkpoints", "save_checkpoint": ".checkpoints",
         "EMBEDDED_CHECKPOINT": ".weights"}
__all__ = ["EMBEDDED_CHECKPOINT", "SimTrackError", "Tracker", "VARIANTS", "build_model", "load_model",
           "load_weights", "save_checkpoint"]


def __getattr__(name):
    if name not in _LAZY:
        raise AttributeError(f"module 'simtrack' has no attribute {name!r}")
    value = getattr(import_module(_LAZY[name], __name__), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(__all__))
