"""Dataset readers shared by training and evaluation: every layout becomes a list of ``Sequence`` records.

    from simtrack.data import load_dataset
    sequences = load_dataset("lasot")                         # LaSOT test, from ./data/LaSOT
    sequences = load_dataset("got10k", split="vottrain", root="/datasets/GOT-10k")
    sequences = load_dataset("demo")                          # synthetic set, generated on first use

See docs/datasets.md for the layouts, splits and naming conventions.
"""
from .catalog import dataset_names
from .files import FrameList, MissingFrames
from .registry import dataset_key, load_dataset, resolve_root
from .sequence import Sequence

__all__ = ["FrameList", "MissingFrames", "Sequence", "SyntheticSequence", "dataset_key", "dataset_names",
           "ensure_demo_dataset", "load_dataset", "render_sequence", "resolve_root"]
_SYNTHETIC = ("SyntheticSequence", "ensure_demo_dataset", "render_sequence")


def __getattr__(name):
    """The synthetic-video names are imported on first use: they need OpenCV, reading annotations does not."""
    if name in _SYNTHETIC:
        from .synthetic import generator as synthetic
        return getattr(synthetic, name)
    raise AttributeError(f"module 'simtrack.data' has no attribute {name!r}")
