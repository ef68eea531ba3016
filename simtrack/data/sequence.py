"""The plain record every dataset reader produces and every consumer (runner, metrics, training) reads.

Readers only parse annotation files into these records; they never run models. Runners and
metrics never parse annotation files.
"""
from collections.abc import Sequence as SequenceABC
from dataclasses import dataclass, field
from typing import Any, Optional

import numpy as np


@dataclass
class Sequence:
    """One video with its annotations.

    Attributes:
        name: sequence name as the benchmark spells it (used for result file names).
        dataset: dataset key, e.g. ``"lasot"``, ``"got10k_val"``.
        frames: image paths, one per frame, in order; a ``MissingFrames`` when the sequence was read
            without its frames (annotation-only bundles, ``load_dataset(frames_required=False)``).
        boxes: float64 array (K, 4) of ``x, y, w, h`` ground-truth boxes in pixels. K equals
            ``len(frames)`` for annotated splits and 1 for test splits that only give the first box.
            Rows of NaN mean "no box" (e.g. UAV123 out-of-view frames).
        absent: bool array (len(frames),) that is True where the target is absent (LaSOT
            full_occlusion|out_of_view, GOT-10k absence, TNL2K absent), or None when the dataset
            has no such flag.
        attributes: per-sequence attribute flags, name -> bool (e.g. LaSOT's 14 attributes).
        language: natural-language description where the dataset has one.
        meta: anything else a protocol needs (e.g. ``image_size`` (W, H), GOT-10k ``cover``
            labels as an int array, ``fps``, ``object_class``).
    """

    name: str
    dataset: str
    frames: SequenceABC[str]
    boxes: np.ndarray
    absent: Optional[np.ndarray] = None
    attributes: dict[str, bool] = field(default_factory=dict)
    language: Optional[str] = None
    meta: dict[str, Any] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.frames)

    @property
    def init_box(self) -> np.ndarray:
        """The first-frame box the tracker is initialised with."""
        return self.boxes[0]

    @property
    def fully_annotated(self) -> bool:
        """True when every frame has a ground-truth row (False for test splits)."""
        return self.length_known and len(self.boxes) == len(self.frames)

    @property
    def length_known(self) -> bool:
        """False for a test-split sequence read without its frames: only the first box says nothing
        of the frame count (``len()`` is then 0; result files tell the count)."""
        return getattr(self.frames, "known_length", True)
