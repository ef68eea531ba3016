"""pysot-toolkit's JSON annotation files (``OTB100.json``, ``UAV123.json``, ``LaSOT.json``, ``NFS30.json``...).

Each file maps a video name to ``video_dir``, ``init_rect``, ``img_names`` (frame paths relative to
the file's folder), ``gt_rect`` (one ``[x, y, w, h]`` per frame, or only the first for test splits),
``attr`` (attribute names) and, in ``LaSOT.json`` only, ``absent``: one integer per frame that is
**1 where the target is visible** (pysot keeps the frames with ``absent == 1``), so our ``absent`` is
``value != 1``. The frame count is ``len(img_names)``, which also gives test splits their length
without any frame on disk. Frames are checked only when ``frames_required``.
"""
import json
from functools import lru_cache
from pathlib import Path

import numpy as np

from ...errors import DatasetError
from ..files import missing_frame
from ..readers.lasot import ATTRIBUTES
from ..sequence import Sequence

REQUIRED_KEYS = ("img_names", "gt_rect")
LAYOUT = ("<folder>/<Benchmark>.json   (pysot-toolkit: {video: {video_dir, init_rect, img_names, gt_rect, attr"
          "[, absent]}})")
# pysot spelling -> ours, where they differ (pysot names OTB's one-target Human4 folder after its .2 file)
RENAMED = {"Human4-2": "Human4"}
_ATTRIBUTE_NAMES = {key.lower(): full for abbr, full in ATTRIBUTES for key in (abbr, full)}
_ATTRIBUTE_NAMES["aspect ratio change"] = "Aspect Ration Change"    # LaSOT toolkit spelling kept


def names(path, prefix=""):
    """Our names of the file's videos (those starting with ``prefix``), in the file's order."""
    return [RENAMED.get(video, video) for video in _videos(str(path)) if video.startswith(prefix)]


def load(path, name, dataset, frames_required=True):
    path = Path(path)
    videos = _videos(str(path))
    video = next((key for key in (name, *[k for k, v in RENAMED.items() if v == name]) if key in videos), name)
    record = videos[video]
    where = f"{path}, video {video!r}"
    if not isinstance(record, dict):
        raise DatasetError(f"{where}: expected an object with {', '.join(REQUIRED_KEYS)}, found {type(record).__name__}")
    missing = [key for key in REQUIRED_KEYS if key not in record]
    if missing:
        raise DatasetError(f"{where}: no {' or '.join(repr(key) for key in missing)} key; pysot JSON videos hold "
                           "video_dir, init_rect, img_names, gt_rect and attr")
    frames = [str(path.parent / image) for image in record["img_names"]]
    boxes = _boxes(record["gt_rect"], where)
    if not frames or len(boxes) not in (1, len(frames)):
        raise DatasetError(f"{where}: {len(boxes)} gt_rect rows for {len(frames)} img_names (expected one per "
                           "frame, or only the first)")
    if frames_required and missing_frame(frames):
        raise DatasetError(f"{where}: frame {missing_frame(frames)} does not exist (img_names are relative to "
                           f"{path.parent})")
    absent = None
    if "absent" in record:
        flags = np.asarray(record["absent"])
        if flags.shape != (len(frames),):
            raise DatasetError(f"{where}: 'absent' holds {flags.size} values for {len(frames)} frames")
        absent = flags != 1
    elif np.isnan(boxes).any():
        absent = np.isnan(boxes).any(axis=1)     # UAV123: no box while the target is out of view
    attributes = {_ATTRIBUTE_NAMES.get(str(attr).lower(), str(attr)): True for attr in record.get("attr") or []}
    meta = {"video_dir": record["video_dir"]} if "video_dir" in record else {}
    return Sequence(name=name, dataset=dataset, frames=frames, boxes=boxes, absent=absent, attributes=attributes,
                    meta=meta)


def is_pysot_json(path):
    return Path(path).suffix.lower() == ".json" and Path(path).is_file()


def _boxes(rows, where):
    try:
        boxes = np.array(rows, dtype=np.float64)
    except (TypeError, ValueError):
        boxes = None
    if boxes is None or boxes.ndim != 2 or boxes.shape[1] != 4:
        raise DatasetError(f"{where}: gt_rect must be a list of [x, y, w, h] boxes")
    return boxes


def _videos(path):
    """The file's top-level object (video name -> record); parsed once per version of the file."""
    try:
        stat = Path(path).stat()
    except OSError as error:
        raise DatasetError(f"cannot read pysot JSON {path}: {error.strerror or error}") from None
    return _parse(path, stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=2)
def _parse(path, mtime_ns, size):
    try:
        with open(path, "rb") as handle:
            data = json.load(handle)
    except OSError as error:
        raise DatasetError(f"cannot read pysot JSON {path}: {error.strerror or error}") from None
    except ValueError as error:
        raise DatasetError(f"{path}: not valid JSON ({error})") from None
    if not isinstance(data, dict):
        raise DatasetError(f"{path}: expected pysot's layout, an object mapping video names to records")
    return data
