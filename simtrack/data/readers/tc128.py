"""TC128 (Temple-Color 128) and TC128-CE: ``<Seq>/<Seq>_gt.txt``, ``<Seq>/<Seq>_frames.txt``, ``<Seq>/img/``.

The published archive (``Temple-color-128.zip``) holds one folder per sequence (129 of them, despite
the name) with the ground truth ``<Seq>_gt.txt`` (comma-separated ``x,y,w,h``), the frame range
``<Seq>_frames.txt`` (one line ``first,last``; some are named in lower case, so it is found by its
suffix, as the got10k toolkit does) and the frames ``img/0001.jpg ...``; a sequence uses frames
``first..last`` (David 300-770, Busstation_ce2 6-400, Hurdle_ce2 27-330). Names are the folder names
(``Yo-yos_ce1``, with a hyphen).

TC128-CE is the subset STARK (and SimTrack) evaluates: the 78 sequences added to the OTB ones, whose
names hold ``_ce`` (STARK tests the whole path for ``_ce``; we test the folder name, so a root whose
path happens to contain ``_ce`` does not select everything).
"""
from ...errors import DatasetError
from ..files import FrameList, list_subfolders, read_boxes, read_numbers
from ..sequence import Sequence

SPLITS = ("test",)
LAYOUT = ("<root>/<Seq>/<Seq>_gt.txt                       (x,y,w,h, comma)\n"
          "<root>/<Seq>/<Seq>_frames.txt                   (first,last frame)\n"
          "<root>/<Seq>/img/0001.jpg ...")
CE_MARK = "_ce"


def names(root, split):
    """Every folder of ``root`` holding a ``*_gt.txt`` file (the got10k toolkit's ``*/*_gt.txt``)."""
    return sorted(name for name in list_subfolders(root) if _find(root / name, "_gt.txt") is not None)


def ce_names(root, split):
    """TC128-CE: the sequences whose folder name holds ``_ce`` (78 in the published set)."""
    return [name for name in names(root, split) if CE_MARK in name]


def load(root, split, name, dataset, frames_required=True):
    """Read one sequence: the ground truth over the frame range of its ``_frames.txt``."""
    folder = root / name
    gt_path = _find(folder, "_gt.txt", name)
    if gt_path is None:
        raise DatasetError(f"missing TC128 ground truth {folder / (name + '_gt.txt')}; expected layout:\n{LAYOUT}")
    boxes = read_boxes(gt_path)
    range_path = _find(folder, "_frames.txt", name)
    if range_path is None:
        raise DatasetError(f"missing TC128 frame range {folder / (name + '_frames.txt')} (one line: first,last)")
    numbers = read_numbers(range_path)
    if len(numbers) != 2 or numbers[1] < numbers[0]:
        raise DatasetError(f"{range_path}: expected one line 'first,last' (the frame range), found {numbers.tolist()}")
    first, last = int(numbers[0]), int(numbers[1])
    if last - first + 1 != len(boxes):
        raise DatasetError(f"{gt_path}: {len(boxes)} rows, but {range_path.name} gives frames {first}-{last} "
                           f"({last - first + 1} frames)")
    frames = FrameList.checked(folder / "img", "{:04d}.jpg", range(first, last + 1), gt_path, frames_required)
    return Sequence(name=name, dataset=dataset, frames=frames, boxes=boxes, meta={"first_frame": first})


def _find(folder, suffix, name=None):
    """``<name><suffix>`` in ``folder``, else its lower-case spelling, else the only file ending in ``suffix``."""
    if name is not None:
        for candidate in (f"{name}{suffix}", f"{name.lower()}{suffix}"):
            if (folder / candidate).is_file():
                return folder / candidate
    try:
        found = sorted(path for path in folder.iterdir() if path.name.endswith(suffix) and path.is_file())
    except OSError:
        return None
    return found[0] if found else None
