"""pysot-toolkit's JSON annotation files (``OTB100.json``, ``UAV123.json``, ``LaSOT.json``, ``NFS30.json``...).

Each file maps a video name to ``video_dir``, ``init_rect``, ``img_names`` (frame paths relative to
the file's folder), ``gt_rect`` (one ``[x, y, w, h]`` per frame, or only the first for test splits),
``attr`` (attribute names) and, in ``LaSOT.json`` only, ``absent``: one integer per frame that is
**1 where the target is visible** (pysot keeps the frames with ``absent == 1``), so our ``absent`` is
``value != 1``. The frame count is ``len(img_names)``, which also gives test splits their length
without any frame on disk. Frames are checked only when ``frames_required``.

These files are downloaded or edited by hand, so each video's record is checked key by key before
use: a number is a JSON int or float (never a string or a boolean), ``absent`` holds only the
integers 0 and 1, ``attr`` is a list of strings, and an error names the file, the video and the
key. The file is read only up to ``limits.MAX_JSON_BYTES`` and ``MAX_JSON_VALUES``.
"""
from functools import lru_cache
from itertools import chain
from pathlib import Path

import numpy as np

from ...errors import DatasetError
from ...formats.json_data import parse_json
from ...formats.regular_files import read_regular
from ...limits import MAX_JSON_BYTES, MAX_JSON_VALUES
from ...names import text_problem
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
    check_record(record, where)
    frames = [str(path.parent / image) for image in record["img_names"]]
    boxes = np.array(record["gt_rect"], dtype=np.float64).reshape(-1, 4)
    if frames_required and missing_frame(frames):
        raise DatasetError(f"{where}: frame {missing_frame(frames)} does not exist (img_names are relative to "
                           f"{path.parent})")
    absent = None
    if "absent" in record:
        absent = np.array(record["absent"], dtype=np.int64) != 1
    elif np.isnan(boxes).any():
        absent = np.isnan(boxes).any(axis=1)     # UAV123: no box while the target is out of view
    attributes = {_ATTRIBUTE_NAMES.get(attr.lower(), attr): True for attr in record.get("attr") or []}
    meta = {"video_dir": record["video_dir"]} if "video_dir" in record else {}
    return Sequence(name=name, dataset=dataset, frames=frames, boxes=boxes, absent=absent, attributes=attributes,
                    meta=meta)


def check_record(record, where):
    """Refuse a video record whose keys do not have pysot's types, naming the key."""
    if not isinstance(record, dict):
        raise DatasetError(f"{where}: expected an object with {', '.join(REQUIRED_KEYS)}, found {type(record).__name__}")
    missing = [key for key in REQUIRED_KEYS if key not in record]
    if missing:
        raise DatasetError(f"{where}: no {' or '.join(repr(key) for key in missing)} key; pysot JSON videos hold "
                           "video_dir, init_rect, img_names, gt_rect and attr")
    images, rows = record["img_names"], record["gt_rect"]
    if not _list_of(images, str) or not images:
        raise DatasetError(f"{where}: img_names must be a non-empty list of frame file names (strings), "
                           f"found {_described(images)}")
    if not _boxes(rows):
        raise DatasetError(f"{where}: gt_rect must be a list of [x, y, w, h] boxes of numbers (not strings or "
                           f"booleans), found {_described(rows)}")
    if len(rows) not in (1, len(images)):
        raise DatasetError(f"{where}: {len(rows)} gt_rect rows for {len(images)} img_names (expected one per "
                           "frame, or only the first)")
    if "init_rect" in record and not _boxes([record["init_rect"]]):
        raise DatasetError(f"{where}: init_rect must be [x, y, w, h] numbers, found {_described(record['init_rect'])}")
    if "absent" in record:
        flags = record["absent"]
        if not _list_of(flags, int) or not set(flags) <= {0, 1} or len(flags) != len(images):
            raise DatasetError(f"{where}: absent must hold one integer 0 or 1 (1 = visible) per frame "
                               f"({len(images)}), found {_described(flags)}")
    attributes = record.get("attr") or []
    if not _list_of(attributes, str) or any(text_problem(attr) for attr in attributes):
        raise DatasetError(f"{where}: attr must be a list of attribute names (short strings without control "
                           f"characters), found {_described(attributes)}")
    if "video_dir" in record and not isinstance(record["video_dir"], str):
        raise DatasetError(f"{where}: video_dir must be a string, found {_described(record['video_dir'])}")


def _list_of(value, kind):
    """``value`` is a list whose items are all exactly of type ``kind`` (a bool is not an int)."""
    return isinstance(value, list) and set(map(type, value)) <= {kind}


def _boxes(rows):
    return (isinstance(rows, list) and bool(rows) and set(map(type, rows)) == {list} and set(map(len, rows)) == {4}
            and set(map(type, chain.from_iterable(rows))) <= {int, float})


def _described(value):
    """A short description of a JSON value for a message: its type and start."""
    text = repr(value)
    return f"{type(value).__name__} {text[:40]}{'...' if len(text) > 40 else ''}"


def is_pysot_json(path):
    return Path(path).suffix.lower() == ".json" and Path(path).is_file()


def _videos(path):
    """The file's top-level object (video name -> record); parsed once per version of the file."""
    try:
        stat = Path(path).stat()
    except OSError as error:
        raise DatasetError(f"cannot read pysot JSON {path}: {error.strerror or error}") from None
    return _parse(path, stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=2)
def _parse(path, mtime_ns, size):
    data = read_regular(path, MAX_JSON_BYTES, "pysot JSON", DatasetError,
                        "pysot's largest file, LaSOT.json, is ~40 MB")
    data = parse_json(data, path, DatasetError, MAX_JSON_VALUES)
    if not isinstance(data, dict):
        raise DatasetError(f"{path}: expected pysot's layout, an object mapping video names to records")
    return data
