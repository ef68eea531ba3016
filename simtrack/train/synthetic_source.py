"""On-the-fly synthetic training videos (``simtrack.data.synthetic.generator``) as a pair-sampling pool.

Videos are rendered in memory from training seeds ``0 .. sequences-1`` (inside the generator's
``TRAINING_SEEDS``, disjoint from the demo benchmark's seeds). Rendering a video costs about as
much as a training step on one sample, so each process keeps the last few videos: recipes that
use this source set ``data.pairs_per_sequence`` so that consecutive samples share a video.
"""
from functools import lru_cache

import numpy as np

from ..data.sequence import Sequence
from ..data.synthetic.generator import TRAINING_SEEDS, render_sequence
from ..errors import ConfigError, DatasetError
from .sampler import MIN_FRAMES, MIN_VISIBLE, Pair, sample_frame_pair, visible_frames

CACHED_VIDEOS = 4
MAX_REDRAWS = 1000


@lru_cache(maxsize=CACHED_VIDEOS)
def rendered(seed, num_frames):
    """Training video ``seed`` as a ``Sequence`` whose frames are in-memory RGB arrays."""
    video = render_sequence(seed, num_frames)
    return Sequence(name=f"synthetic-{seed:06d}", dataset="synthetic", frames=video.frames,
                    boxes=video.boxes, absent=video.absent)


class SyntheticPool:
    """Pool interface of ``SequencePool`` over ``count`` rendered videos of ``num_frames`` frames."""

    def __init__(self, count, num_frames):
        if not 1 <= count <= len(TRAINING_SEEDS):
            raise ConfigError(f"synthetic training needs 1 .. {len(TRAINING_SEEDS)} sequences, got {count}")
        if num_frames < MIN_FRAMES:
            raise ConfigError(f"synthetic training videos need at least {MIN_FRAMES} frames, got {num_frames}")
        self.name, self.count, self.num_frames = "synthetic", count, num_frames

    def __len__(self):
        return self.count

    def draw(self, rng, max_gap, sequence_rng=None):
        sequence_rng = rng if sequence_rng is None else sequence_rng
        for _ in range(MAX_REDRAWS):
            sequence = rendered(TRAINING_SEEDS[int(sequence_rng.integers(self.count))], self.num_frames)
            visible = visible_frames(sequence)
            if np.count_nonzero(visible) > MIN_VISIBLE:
                return Pair(sequence, *sample_frame_pair(visible, max_gap, rng))
        raise DatasetError(f"{MAX_REDRAWS} synthetic videos in a row had at most {MIN_VISIBLE} visible frames")
