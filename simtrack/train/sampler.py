"""Template/search pair sampling over several datasets mixed by ratio (STARK's causal sampler).

A dataset is picked with probability proportional to its ratio (not its size), then a sequence
uniformly inside it. Video sequences need more than 4 visible frames and at least 20 frames; the
template is a random visible frame that is not the last one, the search frame a random visible
frame among the next ``max_gap - 1`` frames (the window grows by 5 after each empty draw).
One-frame sequences (COCO instances) use the same image twice.

Every draw takes a ``numpy.random.Generator``: the trainer seeds one per sample index, so a
sample depends only on (seed, epoch, index), whatever the worker or process that makes it.
"""
from dataclasses import dataclass

import numpy as np

from ..data.sequence import Sequence
from ..errors import DatasetError

MIN_VISIBLE = 4     # a video needs more visible frames than this (2 x (1 template + 1 search))
MIN_FRAMES = 20
GAP_GROWTH = 5
MAX_GAP_GROWTH = 1000


def visible_frames(sequence):
    """Bool array: frames whose box is finite with positive size and that are not flagged absent.

    GOT-10k's ``cover`` level 0 (target fully occluded) also counts as not visible.
    """
    boxes = np.asarray(sequence.boxes, dtype=np.float64)
    visible = np.isfinite(boxes).all(1) & (boxes[:, 2] > 0) & (boxes[:, 3] > 0)
    if sequence.absent is not None:
        visible &= ~np.asarray(sequence.absent, dtype=bool)
    cover = sequence.meta.get("cover")
    if cover is not None:
        visible &= np.asarray(cover) > 0
    return visible


@dataclass
class Pair:
    """Where one training sample comes from: a sequence and its template / search frame indices."""

    sequence: Sequence
    template_frame: int
    search_frame: int


class SequencePool:
    """The sequences of one dataset that can give a pair, with their visibility precomputed."""

    def __init__(self, name, sequences):
        self.name = name
        self.sequences, self.visible = [], []
        for sequence in sequences:
            if not sequence.fully_annotated:
                raise DatasetError(f"{name}: sequence {sequence.name} has {len(sequence.boxes)} boxes for "
                                   f"{len(sequence)} frames; training needs one box per frame (a test split?)")
            visible = visible_frames(sequence)
            single = len(sequence) == 1
            if (single and visible[0]) or (visible.sum() > MIN_VISIBLE and len(sequence) >= MIN_FRAMES):
                self.sequences.append(sequence)
                self.visible.append(visible)
        if not self.sequences:
            raise DatasetError(f"{name}: none of its {len(sequences)} sequences can give a training pair "
                               f"(videos need >{MIN_VISIBLE} visible frames and >={MIN_FRAMES} frames)")

    def __len__(self):
        return len(self.sequences)

    def draw(self, rng, max_gap, sequence_rng=None):
        """A pair; ``sequence_rng`` (default ``rng``) picks the sequence, ``rng`` the frames."""
        index = int((rng if sequence_rng is None else sequence_rng).integers(len(self.sequences)))
        sequence, visible = self.sequences[index], self.visible[index]
        if len(sequence) == 1:
            return Pair(sequence, 0, 0)
        template, search = sample_frame_pair(visible, max_gap, rng)
        return Pair(sequence, template, search)


def sample_frame_pair(visible, max_gap, rng):
    """Causal pair: visible template t (not the last frame) and visible search in (t, t + gap)."""
    candidates = np.flatnonzero(visible[:-1])
    growth = 0
    while growth <= MAX_GAP_GROWTH:
        template = int(candidates[rng.integers(len(candidates))])
        window = np.flatnonzero(visible[template + 1:template + max_gap + growth]) + template + 1
        if len(window):
            return template, int(window[rng.integers(len(window))])
        growth += GAP_GROWTH
    raise DatasetError("no visible search frame follows any template frame within the maximum gap")


class MixedPairSampler:
    """Draws pairs from several pools, each chosen with probability ratio / sum(ratios)."""

    def __init__(self, pools, ratios, max_gap):
        if len(pools) != len(ratios) or not pools:
            raise ValueError("one ratio per pool, at least one pool")
        self.pools = list(pools)
        weights = np.asarray(ratios, dtype=np.float64)
        self.probabilities = weights / weights.sum()
        self.max_gap = max_gap

    def draw(self, rng, sequence_rng=None):
        """A pair; ``sequence_rng`` (default ``rng``) picks dataset and sequence, ``rng`` the frames."""
        chooser = rng if sequence_rng is None else sequence_rng
        pool = self.pools[int(chooser.choice(len(self.pools), p=self.probabilities))]
        return pool.draw(rng, self.max_gap, chooser)
