"""SimTrack: the one-stream ViT tracker of "Backbone is All Your Need" (ECCV 2022) as a toolkit.

Public interface (stable; other tools are written against these names)::

    model = simtrack.build_model("b16")
    simtrack.load_weights(model, "sim-vit-b-16.pth")
    tracker = simtrack.Tracker(model, device="cpu")   # or Tracker.from_checkpoint(path, variant="b16")
    tracker.init(image, (x, y, w, h))
    box = tracker.update(image)
"""
from .checkpoints import load_weights, save_checkpoint
from .errors import SimTrackError
from .model import VARIANTS, build_model
from .tracker import Tracker

__version__ = "0.1.0"
__all__ = ["Tracker", "VARIANTS", "SimTrackError", "build_model", "load_weights", "save_checkpoint"]
