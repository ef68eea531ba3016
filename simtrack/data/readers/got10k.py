"""GOT-10k: ``train/``, ``val/`` and ``test/``, each with ``list.txt`` and one folder per sequence.

Train and val folders carry per-frame ``absence.label``, ``cover.label`` (0-8 visible ratio) and
``cut_by_image.label`` plus ``meta_info.ini``; test folders only give the first box. The
``vottrain``/``votval`` splits (the training subsets that exclude sequences overlapping VOT, used by
STARK-lineage training recipes) are shipped lists of folder names under ``train/``.
"""
import re

from ...errors import DatasetError
from ..files import (
    FrameList,
    list_subfolders,
    listed_frames,
    read_boxes,
    read_flags,
    read_lines,
    read_numbers,
    require_file,
    shipped_split,
)
from ..sequence import Sequence

LAYOUT = ("<root>/{train,val,test}/list.txt\n"
          "<root>/val/GOT-10k_Val_000001/00000001.jpg ...\n"
          "<root>/val/GOT-10k_Val_000001/groundtruth.txt, absence.label, cover.label, meta_info.ini")

SPLITS = ("val", "test", "train", "vottrain", "votval", "train_full")
_SPLIT_FOLDER = {"val": "val", "test": "test", "train": "train", "train_full": "train",
                 "vottrain": "train", "votval": "train"}
_SHIPPED = {"vottrain": "got10k_vottrain.txt", "votval": "got10k_votval.txt"}


def names(root, split):
    """Names from the shipped list (vot splits), else ``list.txt``, else the sorted folders."""
    if split in _SHIPPED:
        return shipped_split(_SHIPPED[split])
    folder = _split_root(root, split)
    listing = folder / "list.txt"
    return read_lines(listing) if listing.is_file() else list_subfolders(folder)


def load(root, split, name, dataset, frames_required=True):
    """Read one sequence; test sequences keep only their first box and list their frames."""
    folder = _split_root(root, split) / name
    if not folder.is_dir():
        raise DatasetError(f"missing GOT-10k sequence folder {folder} (listed for split {split!r})")
    gt_path = require_file(folder / "groundtruth.txt", "GOT-10k ground truth")
    boxes = read_boxes(gt_path)
    meta_path = folder / "meta_info.ini"
    meta = read_meta_info(meta_path) if meta_path.is_file() else {}
    if split == "test":
        frames = listed_frames(folder, boxes, gt_path, frames_required)
        return Sequence(name=name, dataset=dataset, frames=frames, boxes=boxes, meta=meta)
    if not meta:
        require_file(meta_path, "GOT-10k meta_info.ini")
    count = len(boxes)
    frames = FrameList.checked(folder, "{:08d}.jpg", range(1, count + 1), gt_path, frames_required)
    absent = read_flags(require_file(folder / "absence.label", "GOT-10k absence labels"), count)
    cover_path = require_file(folder / "cover.label", "GOT-10k cover labels")
    cover = read_numbers(cover_path, allowed=range(9))
    if len(cover) != count:
        raise DatasetError(f"{cover_path}: expected {count} cover levels (0-8, one per frame), found {len(cover)}")
    meta["cover"] = cover
    meta["cut_by_image"] = read_flags(require_file(folder / "cut_by_image.label", "GOT-10k cut_by_image labels"),
                                      count)
    return Sequence(name=name, dataset=dataset, frames=frames, boxes=boxes, absent=absent, meta=meta)


def read_meta_info(path):
    """Parse ``meta_info.ini`` (``key: value`` lines) and derive ``image_size`` (W, H) and ``fps``."""
    meta = {}
    for line in read_lines(path):
        key, sep, value = line.partition(":")
        if sep and not line.startswith("["):
            meta[key.strip()] = value.strip()
    if "resolution" in meta:
        size = [int(v) for v in re.findall(r"\d+", meta["resolution"])]
        if len(size) != 2:
            raise DatasetError(f"{path}: expected 'resolution: (W, H)', found {meta['resolution']!r}")
        meta["image_size"] = tuple(size)
    fps = re.fullmatch(r"(\d+(?:\.\d+)?)\s*Hz", meta.get("anno_fps", ""))
    if fps:
        meta["fps"] = float(fps.group(1))
    return meta


def _split_root(root, split):
    folder = root / _SPLIT_FOLDER[split]
    if not folder.is_dir():
        raise DatasetError(f"GOT-10k split {split!r} needs the folder {folder}, which does not exist; "
                           f"expected layout:\n{LAYOUT}")
    return folder
