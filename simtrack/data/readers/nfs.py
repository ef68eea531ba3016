"""Need for Speed (NfS): ``<name>/30/<name>/00001.jpg`` and ``<name>/30/<name>.txt`` (``240/`` likewise).

Annotation lines are ``id xmin ymin xmax ymax frame lost occluded generated "label"``. Many of the
30 fps annotation files are labelled at 240 fps; like the got10k toolkit we keep every 8th row when
the file has about 8 rows per frame, then trim a one-frame length difference. Read without frames,
a 30 fps file counts as labelled at 240 fps when the 240 fps file beside it has as many rows; the
one-frame trim needs the frames, so the frame count may then be one more than with them.
"""
import io

import numpy as np

from ...errors import DatasetError
from ...formats.box_tables import read_bytes
from ...formats.frame_files import natural_key
from ..files import MissingFrames, list_images, require_file
from ..sequence import Sequence

LAYOUT = ("<root>/<name>/30/<name>/00001.jpg ...\n"
          "<root>/<name>/30/<name>.txt        (id xmin ymin xmax ymax frame lost occluded generated label)\n"
          "<root>/<name>/240/...              (the 240 fps version: split 240)")

SPLITS = ("test", "240")            # test: the 30 fps benchmark that papers report
_RATE = {"test": "30", "240": "240"}
_SUBSAMPLE = 8                      # 240 fps rows per 30 fps frame


def names(root, split):
    """Names of the annotation files of the split's frame rate, ``<root>/*/<fps>/*.txt``."""
    return sorted((path.stem for path in root.glob(f"*/{_RATE[split]}/*.txt")), key=natural_key)


def load(root, split, name, dataset, frames_required=True):
    """Read one sequence, subsampling 240 fps labels to the 30 fps frames."""
    rate = _RATE[split]
    gt_path = _find_annotation(root, name, rate)
    boxes = _read_corners(gt_path)
    folder = gt_path.parent / name
    frames = list_images(folder) if frames_required or folder.is_dir() else []
    if not frames and not frames_required:
        if rate == "30" and _labelled_at_240(gt_path, name, len(boxes)):
            boxes = boxes[::_SUBSAMPLE]
        return Sequence(name=name, dataset=dataset, frames=MissingFrames(len(boxes), f"{folder} holds no image"),
                        boxes=boxes, meta={"fps": int(rate)})
    if len(boxes) != len(frames) and frames and abs(len(boxes) / len(frames) - _SUBSAMPLE) < 1:
        boxes = boxes[::_SUBSAMPLE]
    if 0 < abs(len(boxes) - len(frames)) <= 1:
        count = min(len(boxes), len(frames))
        boxes, frames = boxes[:count], frames[:count]
    if len(boxes) != len(frames) or not frames:
        raise DatasetError(f"{gt_path}: {len(boxes)} annotation rows (after 240->30 fps subsampling) "
                           f"for {len(frames)} frames in {folder}")
    return Sequence(name=name, dataset=dataset, frames=frames, boxes=boxes, meta={"fps": int(rate)})


def _labelled_at_240(gt_path, name, rows):
    """Whether a 30 fps annotation holds 240 fps rows, judged by the 240 fps file of the same video."""
    other = gt_path.parent.parent / "240" / f"{name}.txt"
    if not other.is_file():
        raise DatasetError(f"{gt_path}: without the frames in {gt_path.parent / name} the 30 fps frame count "
                           f"is unknown, and there is no {other} to tell whether this file is labelled at 240 fps; "
                           "put the frames in place, add the 240 fps annotation, or read pysot's NFS30.json")
    return abs(len(_read_corners(other)) - rows) <= 1


def _find_annotation(root, name, rate):
    direct = root / name / rate / f"{name}.txt"
    if direct.is_file():
        return direct
    matches = list(root.glob(f"*/{rate}/{name}.txt"))
    return matches[0] if matches else require_file(direct, f"NfS {rate} fps annotation")


def _read_corners(path):
    """Columns 1-4 (xmin, ymin, xmax, ymax) of every line, as x, y, w, h.

    The file is a download: read only when regular and no larger than the longest video's ground
    truth; its lines are split as ``open()`` in text mode splits them, so line numbers match an editor's.
    """
    rows = []
    data = read_bytes(path, "NfS annotation", DatasetError)
    with io.TextIOWrapper(io.BytesIO(data), encoding="utf-8", errors="replace") as handle:
        for number, line in enumerate(handle, start=1):
            fields = line.split()
            if not fields:
                continue
            try:
                rows.append([float(value) for value in fields[1:5]])
            except ValueError:
                rows.append([])
            if len(rows[-1]) != 4:
                raise DatasetError(f"{path}, line {number}: expected 'id xmin ymin xmax ymax frame lost occluded "
                                   f"generated label', found {line.strip()!r}")
    boxes = np.array(rows, dtype=np.float64).reshape(-1, 4)
    boxes[:, 2:] -= boxes[:, :2]
    return boxes
