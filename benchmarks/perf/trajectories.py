"""LaSOT-like ground truth for the speed scripts: random-walk boxes with one absent span each.

The evaluation scripts fabricate 280 such sequences x 2,500 frames; speed does not depend on what
the boxes show, only on their count and on frames being absent now and then.
"""
import numpy as np


def random_walk_truth(rng, n_frames, centre, size, min_size=5, absent_span=40):
    """``(boxes (n_frames, 4) integer-valued float64 x, y, w, h, absent (n_frames,) bool)``."""
    centres = np.asarray(centre, dtype=float) + np.cumsum(rng.normal(0, 2, (n_frames, 2)), 0)
    sizes = np.clip(size + np.cumsum(rng.normal(0, 0.5, (n_frames, 2)), 0), min_size, None)
    boxes = np.round(np.concatenate([centres - sizes / 2, sizes], 1))
    absent = np.zeros(n_frames, bool)
    start = rng.integers(1, max(2, n_frames - 50))
    absent[start:start + absent_span] = True
    return boxes, absent
