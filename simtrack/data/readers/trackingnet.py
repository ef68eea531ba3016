"""TrackingNet: chunks ``TEST`` and ``TRAIN_0`` ... ``TRAIN_11``, each with ``anno/`` and ``frames/``.

Frames are named ``0.jpg, 1.jpg, ...`` (0-based, unpadded) and sorted by number. TEST annotations
hold only the first box, so TEST frames come from a directory listing; training chunks name frames
from the number of annotation rows.
"""
from ...errors import DatasetError
from ...formats.frame_files import natural_key
from ..files import FrameList, listed_frames, read_boxes, require_file
from ..sequence import Sequence

LAYOUT = ("<root>/TEST/anno/<seq>.txt                      (x,y,w,h; TEST: first row only)\n"
          "<root>/TEST/frames/<seq>/0.jpg, 1.jpg, ...\n"
          "<root>/TRAIN_0 ... TRAIN_11/{anno,frames}/      (same layout)")

TRAIN_CHUNKS = tuple(f"train_{k}" for k in range(12))
SPLITS = ("test", "train") + TRAIN_CHUNKS


def names(root, split):
    """Annotation file names of every chunk the split covers, in natural order per chunk."""
    return [path.stem for chunk in _chunks(root, split)
            for path in sorted((root / chunk / "anno").glob("*.txt"), key=lambda p: natural_key(p.stem))]


def load(root, split, name, dataset, frames_required=True):
    """Read one sequence from whichever chunk of the split holds its annotation."""
    chunk = next((c for c in _chunks(root, split) if (root / c / "anno" / f"{name}.txt").is_file()), None)
    if chunk is None:
        raise DatasetError(f"no annotation {name}.txt under {root}/{{{','.join(_chunks(root, split))}}}/anno")
    gt_path = require_file(root / chunk / "anno" / f"{name}.txt", "TrackingNet annotation")
    boxes = read_boxes(gt_path)
    frame_dir = root / chunk / "frames" / name
    if chunk == "TEST":
        frames = listed_frames(frame_dir, boxes, gt_path, frames_required)
    else:
        frames = FrameList.checked(frame_dir, "{}.jpg", range(len(boxes)), gt_path, frames_required)
    return Sequence(name=name, dataset=dataset, frames=frames, boxes=boxes, meta={"chunk": chunk, "fps": 30})


def _chunks(root, split):
    if split == "test":
        chunks = ["TEST"]
    elif split == "train":
        chunks = [c.upper() for c in TRAIN_CHUNKS if (root / c.upper()).is_dir()]
        if not chunks:
            raise DatasetError(f"TrackingNet split 'train' found no TRAIN_0 ... TRAIN_11 folder under {root}")
    else:
        chunks = [split.upper()]
    missing = [c for c in chunks if not (root / c / "anno").is_dir()]
    if missing:
        raise DatasetError(f"TrackingNet chunk folder {root / missing[0] / 'anno'} does not exist; "
                           f"expected layout:\n{LAYOUT}")
    return chunks
