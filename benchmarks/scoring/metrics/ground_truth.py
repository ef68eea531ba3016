"""The ground truth of a dataset as one run of frames, handed out in cache-sized groups of sequences.

Concatenating every sequence lets each toolkit's rules run over all frames at once; ``chunks`` cuts
that run into groups of whole sequences small enough for the temporaries to stay in cache.
"""
from dataclasses import dataclass, field
from typing import Optional

import numpy as np

from simtrack.errors import DatasetError, listed

CHUNK_FRAMES = 1 << 15  # frames per group of sequences processed together (cache-sized temporaries)


@dataclass(eq=False)
class GroundTruth:
    """Ground truth of all sequences concatenated frame after frame, built once per dataset."""

    names: list[str]
    lengths: np.ndarray     # (S,) frames per sequence
    columns: np.ndarray     # (4, F) rows x, y, w, h
    seq_id: np.ndarray      # (F,) sequence index of each frame
    first: np.ndarray       # (F,) True on the first frame of each sequence
    absent: np.ndarray      # (F,) True where the dataset flags the target absent
    cover: Optional[np.ndarray] = None   # (F,) GOT-10k visible-ratio level 0-8
    bound: Optional[np.ndarray] = None   # (2, F) image width and height
    chunk_frames: int = field(default=CHUNK_FRAMES, repr=False)  # frames per group (see evaluate_run)
    _chunks: Optional[list] = field(default=None, init=False, repr=False)

    @classmethod
    def from_sequences(cls, sequences, needs_cover=False):
        """Concatenate ``Sequence`` records; refuse test splits and, for GOT-10k rules, missing meta."""
        if not sequences:
            raise DatasetError("no sequences to evaluate: the dataset or the --sequences selection is empty")
        for seq in sequences:
            if not seq.fully_annotated or len(seq.boxes) == 0:
                count = f"{len(seq)} frames" if seq.length_known else "its frames (only the first box is published)"
                raise DatasetError(
                    f"sequence {seq.name} of {seq.dataset} has ground truth for {len(seq.boxes)} of "
                    f"{count} (a test split); evaluate it on the benchmark server instead: "
                    f"python -m benchmarks.submit --dataset {seq.dataset} --tracker-name NAME")
        lengths = np.array([len(seq.boxes) for seq in sequences])
        _check_lengths(sequences, lengths, "absent flags", lambda seq: seq.absent)
        starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
        first = np.zeros(lengths.sum(), bool)
        first[starts] = True
        absent = np.concatenate([np.zeros(n, bool) if seq.absent is None else np.asarray(seq.absent, bool)[:n]
                                 for seq, n in zip(sequences, lengths)])
        truth = cls(names=[seq.name for seq in sequences], lengths=lengths,
                    columns=box_columns(seq.boxes for seq in sequences),
                    seq_id=np.repeat(np.arange(len(sequences)), lengths), first=first, absent=absent)
        if needs_cover:
            truth.cover, truth.bound = _got10k_meta(sequences, lengths)
        return truth

    def chunks(self):
        """(frame slice, GroundTruth of those sequences) groups of whole sequences, ~chunk_frames each."""
        if self._chunks is None:
            ends = np.cumsum(self.lengths)
            groups, first_seq = [], 0
            while first_seq < len(self.names):
                start = ends[first_seq] - self.lengths[first_seq]
                last = max(first_seq + 1, int(np.searchsorted(ends, start + self.chunk_frames, side="right")))
                groups.append(self._part(first_seq, last, int(start), int(ends[last - 1])))
                first_seq = last
            self._chunks = groups
        return self._chunks

    def _part(self, first_seq, last_seq, start, end):
        frames = slice(start, end)
        part = GroundTruth(self.names[first_seq:last_seq], self.lengths[first_seq:last_seq],
                           self.columns[:, frames], self.seq_id[frames] - first_seq, self.first[frames],
                           self.absent[frames], None if self.cover is None else self.cover[frames],
                           None if self.bound is None else self.bound[:, frames])
        return frames, part

    def frame_name(self, index):
        """'sequence frame k' (1-based) for a concatenated frame index, for error messages."""
        seq = int(self.seq_id[index])
        start = int(self.lengths[:seq].sum())
        return f"sequence {self.names[seq]} frame {index - start + 1}"


def box_columns(arrays):
    """(4, F) contiguous x, y, w, h rows from (K, 4) arrays."""
    return np.concatenate([np.asarray(boxes, float).reshape(-1, 4).T for boxes in arrays], axis=1)


def _check_lengths(sequences, lengths, what, values):
    short = [seq.name for seq, n in zip(sequences, lengths) if values(seq) is not None and len(values(seq)) < n]
    if short:
        raise DatasetError(f"{what} shorter than the ground truth for sequence(s) {', '.join(short[:10])}; "
                           "expected one value per frame")


def _got10k_meta(sequences, lengths):
    missing = [seq.name for seq in sequences if "cover" not in seq.meta or "image_size" not in seq.meta]
    if missing:
        raise DatasetError(
            f"GOT-10k rules need meta['cover'] (cover.label) and meta['image_size'] (meta_info.ini "
            f"resolution) for every sequence; missing for {listed(missing)}"
            " (pysot's GOT-10k.json has neither: read the GOT-10k folders, whose labels need no frame)")
    _check_lengths(sequences, lengths, "GOT-10k cover labels", lambda seq: seq.meta["cover"])
    cover = np.concatenate([np.asarray(seq.meta["cover"], float)[:n] for seq, n in zip(sequences, lengths)])
    bound = np.repeat(np.array([seq.meta["image_size"] for seq in sequences], float).T, lengths, axis=1)
    return cover, bound
