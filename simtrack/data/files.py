"""Annotation files and cheap frame listings, shared by every dataset reader.

Benchmarks disagree on separators (LaSOT commas, OTB tabs or spaces, TrackingNet leading spaces and
CRLF); the box tables are read by ``simtrack.formats.box_tables``, which accepts them all. Errors name the
file, what was expected and what was found. Annotation bundles are downloads: a file is read only when
it is a regular file (a link is followed, a FIFO or device is refused by name) no larger than the
longest video can need (``simtrack.limits``), and flags must be 0 or 1.
"""
import os
from collections.abc import Sequence as SequenceABC
from importlib import resources
from pathlib import Path
from typing import Optional

import numpy as np

from ..errors import DatasetError
from ..formats import box_tables
from ..formats.frame_files import image_names, natural_key
from ..formats.regular_files import file_problem
from ..limits import BYTES_PER_NUMBER, MAX_LIST_NAMES, MAX_NAME_BYTES, list_bytes, number_list_bytes


def read_boxes(path, what="annotation file"):
    """Read ``x, y, w, h`` rows (any separator, ``NaN`` allowed) as a float64 (K, 4) array."""
    return box_tables.read_boxes(path, what, DatasetError)


def read_numbers(path, dtype=np.int64, allowed=None):
    """Read a flat list of numbers, one per line or all on one line (LaSOT flags, GOT-10k labels);
    ``allowed`` (a ``range`` of ints) refuses any other value, naming the first one found."""
    data = box_tables.read_bytes(path, "annotation file", DatasetError, number_list_bytes(),
                                 f"the longest video x {BYTES_PER_NUMBER} bytes per number")
    numbers = box_tables.parse_numbers(data, str(path), DatasetError)
    if allowed is not None:
        bad = (numbers < allowed.start) | (numbers >= allowed.stop) | (numbers != np.floor(numbers))   # NaN too
        if bad.any():
            index = int(np.flatnonzero(bad)[0])
            raise DatasetError(f"{path}: value {index + 1} is {numbers[index]:g}; expected only "
                               f"{', '.join(map(str, allowed))}")
    return numbers.astype(dtype)


def read_flags(path, count):
    """Read ``count`` 0/1 flags as a bool array; the count must match the sequence length."""
    flags = read_numbers(path, allowed=range(2))
    if len(flags) != count:
        raise DatasetError(f"{path}: expected {count} flags (one per frame), found {len(flags)}")
    return flags.astype(bool)


def read_sentence(path):
    """Read a one-sentence description (LaSOT nlp.txt, TNL2K language.txt), whitespace collapsed."""
    return " ".join(_read_text(path).split())


def read_lines(path):
    """Read the non-empty, stripped lines of a list file (split lists, list.txt)."""
    lines = _read_text(path, "surrogateescape").splitlines()    # an undecodable name is refused by name
    return [line.strip() for line in lines if line.strip()]


def shipped_split(filename):
    """Names listed in one of the split files shipped in ``simtrack/data/splits``."""
    text = (resources.files("simtrack.data") / "splits" / filename).read_text(encoding="utf-8")
    return [line.strip() for line in text.splitlines() if line.strip()]


def require_file(path, what):
    """Raise a DatasetError naming ``path`` unless it is a regular file; returns ``path`` as given, or as a Path."""
    problem = file_problem(path)
    if problem == "does not exist":
        raise DatasetError(f"missing {what}: {path} does not exist")
    if problem:
        raise DatasetError(f"{what} {path} {problem}, not a regular file; refused unread")
    return path if isinstance(path, str) else Path(path)


def list_images(folder):
    """Image paths in ``folder`` in natural order, from one directory listing (no image is opened)."""
    try:
        names = image_names(folder)
    except FileNotFoundError:
        raise DatasetError(f"missing frame folder: {folder} does not exist") from None
    return [os.path.join(str(folder), name) for name in names]


def list_subfolders(folder):
    """Names of the visible subfolders of ``folder`` in natural order."""
    return sorted((entry.name for entry in os.scandir(folder)
                   if entry.is_dir() and not entry.name.startswith(".")), key=natural_key)


def listed_frames(folder, boxes, gt_path, frames_required=True, allow_first_only=True):
    """The images of ``folder`` (one listing) checked against the ground truth; without images and
    ``frames_required=False``, a ``MissingFrames`` whose count is the number of ground-truth rows
    (unknown when the file holds only the first box of a test split)."""
    try:
        frames = list_images(folder)
    except DatasetError:
        if frames_required:
            raise
        frames = []
    return checked_frames(frames, folder, boxes, gt_path, frames_required, allow_first_only)


def checked_frames(frames, folder, boxes, gt_path, frames_required=True, allow_first_only=True):
    """``listed_frames`` of the listing ``frames`` of ``folder`` already made by the caller."""
    if frames or frames_required:
        check_counts(frames, boxes, gt_path, allow_first_only)
        return frames
    if len(boxes) == 0:
        raise DatasetError(f"{gt_path}: no ground-truth rows")
    known = len(boxes) > 1 or not allow_first_only
    return MissingFrames(len(boxes) if known else None, f"{folder} holds no image")


def check_counts(frames, boxes, gt_path, allow_first_only=True):
    """Check that a listed frame folder and its ground truth agree.

    One row is accepted for test splits that only publish the initial box; otherwise there must be
    one row per frame.
    """
    if len(frames) == 0:
        raise DatasetError(f"{gt_path}: the sequence has no frames next to it")
    if len(boxes) == len(frames) or (allow_first_only and len(boxes) == 1):
        return
    raise DatasetError(f"{gt_path}: {len(boxes)} ground-truth rows for {len(frames)} frames "
                       f"(expected one row per frame{' or only the first row' if allow_first_only else ''})")


class FrameList(SequenceABC):
    """Frame paths named by a number pattern, built on demand instead of stored.

    LaSOT, GOT-10k and TrackingNet training splits hold millions of frames; a pattern plus a range
    keeps listing them instant and their memory constant. Behaves like a read-only list of ``str``.
    """

    def __init__(self, folder, pattern, numbers):
        self.folder = str(folder)
        self.pattern = pattern
        self.numbers = numbers

    @classmethod
    def checked(cls, folder, pattern, numbers, gt_path, frames_required=True):
        """Build the list and, when ``frames_required``, make sure its first and last frames exist
        (two stat calls); scoring passes False and reads no frame."""
        frames = cls(folder, pattern, numbers)
        if len(frames) == 0:
            raise DatasetError(f"{gt_path}: no ground-truth rows, so the sequence has no frames")
        if frames_required:
            missing = missing_frame(frames)
            if missing:
                raise DatasetError(f"{gt_path}: has rows for {len(frames)} frames named like "
                                   f"{os.path.basename(frames[0])} but frame {missing} does not exist")
        return frames

    def __len__(self):
        return len(self.numbers)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return FrameList(self.folder, self.pattern, self.numbers[index])
        return os.path.join(self.folder, self.pattern.format(self.numbers[index]))

    def __eq__(self, other):
        if isinstance(other, SequenceABC) and not isinstance(other, str):
            return len(self) == len(other) and all(a == str(b) for a, b in zip(self, other))
        return NotImplemented

    def __repr__(self):
        return f"FrameList({self.folder!r}, {self.pattern!r}, {self.numbers!r})"


class MissingFrames(SequenceABC):
    """The frames of a sequence read without them (annotation-only bundles, ``frames_required=False``):
    their count where the annotations give it, else None (test splits that publish only the first
    box; then ``len()`` is 0). Asking for a frame raises a DatasetError naming what is missing."""

    def __init__(self, count: Optional[int], reason: str) -> None:
        self.frame_count = count
        self.reason = reason

    @property
    def known_length(self) -> bool:
        return self.frame_count is not None

    def __len__(self) -> int:
        return self.frame_count or 0

    def __getitem__(self, index):
        raise DatasetError(f"no frames: {self.reason} (the sequence was read from its annotations only)")

    def __repr__(self):
        return f"MissingFrames({self.frame_count!r}, {self.reason!r})"


def missing_frame(frames):
    """The first of the first and last frame paths that is not a file, or None (two stat calls)."""
    for path in (frames[0], frames[-1]):
        if not os.path.isfile(path):
            return path
    return None


def require_frames(sequence):
    """Raise a DatasetError unless the sequence's first and last frames are on disk (the runner's
    per-sequence check before tracking)."""
    frames = sequence.frames
    if isinstance(frames, MissingFrames):
        raise DatasetError(f"sequence {sequence.name} has no frames on disk: {frames.reason}; put the "
                           "dataset's frames in place to track it")
    if len(frames) == 0:
        raise DatasetError(f"sequence {sequence.name} has no frames")
    missing = missing_frame(frames)
    if missing:
        raise DatasetError(f"sequence {sequence.name}: frame {missing} does not exist ({len(frames)} frames "
                           f"expected); put the dataset's frames in place to track it")


def _read_text(path, errors="replace"):
    data = box_tables.read_bytes(path, "annotation file", DatasetError, list_bytes(),
                                 f"{MAX_LIST_NAMES:,} names of at most {MAX_NAME_BYTES} bytes")
    return data.decode("utf-8-sig", errors=errors)
