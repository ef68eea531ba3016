"""OTB100 (OTB2015): ``<Seq>/img/0001.jpg`` and ``groundtruth_rect.txt`` with varying separators.

A folder with two non-empty ``groundtruth_rect.1.txt``/``.2.txt`` files (Jogging, Skating2) holds
two targets and yields ``Jogging-1`` and ``Jogging-2`` (pysot spelling; got10k writes ``Jogging.1``,
pytracking ``Jogging_1``). A folder whose only non-empty numbered file is ``.2`` (Human4, whose
``.1`` is empty) yields one sequence named after the folder. The frame ranges below follow the OTB
benchmark configuration (as in pytracking's ``otbdataset.py``). Tiger1's benchmark starts at frame 6
(OTB's ``initOmit``); the five rows it skips stay in ``meta["omitted_boxes"]``, because the got10k
toolkit reads every annotated frame from frame 1 (``from_frame_one``).
"""
from dataclasses import replace

import numpy as np

from ...errors import DatasetError
from ..files import FrameList, MissingFrames, list_subfolders, read_boxes, require_file
from ..sequence import Sequence

SPLITS = ("test", "otb50", "cvpr13")   # the OTB50 and CVPR13 subsets come from pysot's OTB50.json / CVPR13.json
LAYOUT = ("<root>/<Seq>/img/0001.jpg ...\n"
          "<root>/<Seq>/groundtruth_rect.txt                (x,y,w,h; comma, tab or space)\n"
          "<root>/Jogging/groundtruth_rect.1.txt, groundtruth_rect.2.txt   (two targets)")

# folder: (first frame, last frame, digits in frame names, leading frames skipped: OTB's initOmit).
SPECIAL_RANGES = {
    "BlurCar1": (247, 988, 4, 0), "BlurCar3": (3, 359, 4, 0), "BlurCar4": (18, 397, 4, 0),
    "Board": (1, 698, 5, 0), "David": (300, 770, 4, 0), "Diving": (1, 215, 4, 0),
    "Football1": (1, 74, 4, 0), "Freeman3": (1, 460, 4, 0), "Freeman4": (1, 283, 4, 0),
    "Tiger1": (1, 354, 4, 5),
}


def names(root, split):
    """One name per sequence folder, two for folders with two targets."""
    if split != "test":
        raise DatasetError(f"OTB split {split!r} is read from pysot's {split.upper()}.json, not from the OTB "
                           f"folders in {root}")
    found = []
    for folder in list_subfolders(root):
        targets = _numbered_gt(root / folder)
        if len(targets) == 2:
            found += [f"{folder}-{k}" for k in targets]
        elif targets or (root / folder / "groundtruth_rect.txt").is_file() or (root / folder / "img").is_dir():
            found.append(folder)
    return found


def load(root, split, name, dataset, frames_required=True):
    """Read one sequence, applying the special frame ranges and the two-target files."""
    folder, target = _split_target(root, name)
    gt_path = _gt_path(root / folder, target)
    rows = read_boxes(gt_path)
    first, last, digits, omit = SPECIAL_RANGES.get(folder, (1, len(rows), 4, 0))
    if last - first + 1 != len(rows):
        raise DatasetError(f"{gt_path}: {len(rows)} rows, but OTB's {folder} covers frames {first}-{last}")
    frames = FrameList.checked(root / folder / "img", f"{{:0{digits}d}}.jpg", range(first + omit, last + 1), gt_path,
                                frames_required)
    meta = {"frame_folder": folder, "first_frame": first + omit}
    if omit:
        meta["omitted_boxes"] = rows[:omit]
    return Sequence(name=name, dataset=dataset, frames=frames, boxes=rows[omit:], meta=meta)


def from_frame_one(sequence):
    """The sequence as the got10k toolkit reads it: every annotated frame from the first (Tiger1: all
    354 frames, where OTB and pysot start at frame 6). Other sequences are returned as they are.

    A Tiger1 read without its first rows (pysot's OTB100.json holds frames 6-354 only) raises a
    DatasetError: those rows exist only in the OTB folder's ``groundtruth_rect.txt``.
    """
    folder = sequence.meta.get("frame_folder", sequence.name)
    first, last, _, omit = SPECIAL_RANGES.get(folder, (0, 0, 0, 0))
    if not omit or len(sequence.boxes) == last - first + 1:
        return sequence
    omitted = sequence.meta.get("omitted_boxes")
    if omitted is None:
        raise DatasetError(f"sequence {sequence.name}: got10k reads all {len(sequence.boxes) + omit} annotated "
                           f"frames from frame 1, but this copy of the annotations starts at frame {1 + omit} "
                           "(OTB's initOmit, as pysot's OTB100.json has it); point --data-root at the OTB folders "
                           "(<Seq>/groundtruth_rect.txt) to score it under --protocol got10k")
    frames = sequence.frames
    if isinstance(frames, FrameList):
        frames = FrameList(frames.folder, frames.pattern, range(frames.numbers[0] - omit, frames.numbers[-1] + 1))
    else:
        frames = MissingFrames(len(frames) + omit, getattr(frames, "reason", "read without frames"))
    meta = {key: value for key, value in sequence.meta.items() if key != "omitted_boxes"}
    meta["first_frame"] = meta.get("first_frame", 1 + omit) - omit
    return replace(sequence, frames=frames, boxes=np.vstack([omitted, sequence.boxes]), meta=meta)


def _numbered_gt(folder):
    """Target numbers k of the non-empty ``groundtruth_rect.<k>.txt`` files in ``folder``."""
    return [k for k in (1, 2) if (folder / f"groundtruth_rect.{k}.txt").is_file()
            and (folder / f"groundtruth_rect.{k}.txt").stat().st_size > 0]


def _split_target(root, name):
    base, dash, k = name.rpartition("-")
    if dash and k in ("1", "2") and (root / base).is_dir() and len(_numbered_gt(root / base)) == 2:
        return base, int(k)
    if not (root / name).is_dir():
        raise DatasetError(f"missing OTB sequence folder {root / name}")
    return name, None


def _gt_path(folder, target):
    if target is not None:
        return folder / f"groundtruth_rect.{target}.txt"
    numbered = _numbered_gt(folder)
    if len(numbered) == 1 and not (folder / "groundtruth_rect.txt").is_file():
        return folder / f"groundtruth_rect.{numbered[0]}.txt"
    return require_file(folder / "groundtruth_rect.txt", "OTB ground truth")
