"""OTB100 (OTB2015): ``<Seq>/img/0001.jpg`` and ``groundtruth_rect.txt`` with varying separators.

A folder with two non-empty ``groundtruth_rect.1.txt``/``.2.txt`` files (Jogging, Skating2) holds
two targets and yields ``Jogging-1`` and ``Jogging-2`` (pysot spelling; got10k writes ``Jogging.1``,
pytracking ``Jogging_1``). A folder whose only non-empty numbered file is ``.2`` (Human4, whose
``.1`` is empty) yields one sequence named after the folder. The frame ranges below follow the OTB
benchmark configuration (as in pytracking's ``otbdataset.py``).
"""
from ...errors import DatasetError
from ..files import FrameList, list_subfolders, read_boxes, require_file
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
    return Sequence(name=name, dataset=dataset, frames=frames, boxes=rows[omit:],
                    meta={"frame_folder": folder, "first_frame": first + omit})


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
