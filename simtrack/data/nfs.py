"""Need for Speed (NfS), 30 fps version: ``<name>/30/<name>/00001.jpg`` and ``<name>/30/<name>.txt``.

Annotation lines are ``id xmin ymin xmax ymax frame lost occluded generated "label"``. Many of the
30 fps annotation files are labelled at 240 fps; like the got10k toolkit we keep every 8th row when
the file has about 8 rows per frame, then trim a one-frame length difference.
"""
import numpy as np

from ..errors import DatasetError
from .files import list_images, natural_key, require_file
from .sequence import Sequence

LAYOUT = ("<root>/<name>/30/<name>/00001.jpg ...\n"
          "<root>/<name>/30/<name>.txt        (id xmin ymin xmax ymax frame lost occluded generated label)\n"
          "<root>/<name>/240/...              (not used: results are reported at 30 fps)")


def names(root, split):
    """Names of the 30 fps annotation files, ``<root>/*/30/*.txt``."""
    return sorted((path.stem for path in root.glob("*/30/*.txt")), key=natural_key)


def load(root, split, name, dataset):
    """Read one sequence, subsampling 240 fps labels to the 30 fps frames."""
    gt_path = _find_annotation(root, name)
    boxes = _read_corners(gt_path)
    frames = list_images(gt_path.parent / name)
    if len(boxes) != len(frames) and frames and abs(len(boxes) / len(frames) - 8) < 1:
        boxes = boxes[::8]
    if 0 < abs(len(boxes) - len(frames)) <= 1:
        count = min(len(boxes), len(frames))
        boxes, frames = boxes[:count], frames[:count]
    if len(boxes) != len(frames) or not frames:
        raise DatasetError(f"{gt_path}: {len(boxes)} annotation rows (after 240->30 fps subsampling) "
                           f"for {len(frames)} frames in {gt_path.parent / name}")
    return Sequence(name=name, dataset=dataset, frames=frames, boxes=boxes, meta={"fps": 30})


def _find_annotation(root, name):
    direct = root / name / "30" / f"{name}.txt"
    if direct.is_file():
        return direct
    matches = list(root.glob(f"*/30/{name}.txt"))
    return matches[0] if matches else require_file(direct, "NfS 30 fps annotation")


def _read_corners(path):
    """Columns 1-4 (xmin, ymin, xmax, ymax) of every line, as x, y, w, h."""
    rows = []
    with open(path, encoding="utf-8", errors="replace") as handle:
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
