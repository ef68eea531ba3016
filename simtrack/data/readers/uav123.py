"""UAV123: ``anno/UAV123/<seq>.txt`` and frames in ``data_seq/UAV123/<folder>/000001.jpg``.

Split ``uav20l`` reads the 20 long videos of ``anno/UAV20L/<seq>.txt``, each using every frame of
``data_seq/UAV123/<seq>/``.

123 sequences share 91 frame folders: the long recordings below are cut into parts that each use a
frame range of one folder (same ranges in pytracking's ``uavdataset.py`` and got10k's
``uav123.json``). Every other sequence uses frames 1..K of the folder named like it. Rows of
``NaN`` mark frames where the target is out of view; they become ``absent``. Names are the
annotation file names (``bird1_1``), as the UAV123 and got10k toolkits spell them; pytracking adds
a ``uav_`` prefix.
"""
import numpy as np

from ...errors import DatasetError
from ...formats.frame_files import natural_key
from ..files import FrameList, read_boxes, require_file
from ..sequence import Sequence

SPLITS = ("test", "uav20l")
_ANNO_FOLDERS = {"test": "UAV123", "uav20l": "UAV20L"}
LAYOUT = ("<root>/anno/UAV123/<seq>.txt                    (x,y,w,h; NaN rows = out of view)\n"
          "<root>/data_seq/UAV123/<folder>/000001.jpg ...\n"
          "<root>/data_seq/UAV123/bird1/ holds bird1_1, bird1_2, bird1_3 (frame ranges)")

# name: (folder, first frame, last frame) for the sequences that share a frame folder.
SHARED_FOLDERS = {
    "bird1_1": ("bird1", 1, 253), "bird1_2": ("bird1", 775, 1477), "bird1_3": ("bird1", 1573, 2437),
    "car1_1": ("car1", 1, 751), "car1_2": ("car1", 751, 1627), "car1_3": ("car1", 1627, 2629),
    "car6_1": ("car6", 1, 487), "car6_2": ("car6", 487, 1807), "car6_3": ("car6", 1807, 2953),
    "car6_4": ("car6", 2953, 3925), "car6_5": ("car6", 3925, 4861),
    "car8_1": ("car8", 1, 1357), "car8_2": ("car8", 1357, 2575),
    "car16_1": ("car16", 1, 415), "car16_2": ("car16", 415, 1993),
    "group1_1": ("group1", 1, 1333), "group1_2": ("group1", 1333, 2515), "group1_3": ("group1", 2515, 3925),
    "group1_4": ("group1", 3925, 4873),
    "group2_1": ("group2", 1, 907), "group2_2": ("group2", 907, 1771), "group2_3": ("group2", 1771, 2683),
    "group3_1": ("group3", 1, 1567), "group3_2": ("group3", 1567, 2827), "group3_3": ("group3", 2827, 4369),
    "group3_4": ("group3", 4369, 5527),
    "person2_1": ("person2", 1, 1189), "person2_2": ("person2", 1189, 2623),
    "person4_1": ("person4", 1, 1501), "person4_2": ("person4", 1501, 2743),
    "person5_1": ("person5", 1, 877), "person5_2": ("person5", 877, 2101),
    "person7_1": ("person7", 1, 1249), "person7_2": ("person7", 1249, 2065),
    "person8_1": ("person8", 1, 1075), "person8_2": ("person8", 1075, 1525),
    "person12_1": ("person12", 1, 601), "person12_2": ("person12", 601, 1621),
    "person14_1": ("person14", 1, 847), "person14_2": ("person14", 847, 1813),
    "person14_3": ("person14", 1813, 2923),
    "person17_1": ("person17", 1, 1501), "person17_2": ("person17", 1501, 2347),
    "person19_1": ("person19", 1, 1243), "person19_2": ("person19", 1243, 2791),
    "person19_3": ("person19", 2791, 4357),
    "truck4_1": ("truck4", 1, 577), "truck4_2": ("truck4", 577, 1261),
    "uav1_1": ("uav1", 1, 1555), "uav1_2": ("uav1", 1555, 2377), "uav1_3": ("uav1", 2473, 3469),
}


def names(root, split):
    """Annotation file names in ``anno/UAV123`` (the UAV20L folder is not part of UAV123)."""
    return sorted((path.stem for path in _anno_dir(root, split).glob("*.txt")), key=natural_key)


def load(root, split, name, dataset, frames_required=True):
    """Read one sequence, mapping shared-folder parts to their frame range."""
    gt_path = require_file(_anno_dir(root, split) / f"{name}.txt", "UAV123 annotation")
    boxes = read_boxes(gt_path)
    shared = SHARED_FOLDERS if split == "test" else {}
    folder, first, last = shared.get(name, (name, 1, len(boxes)))
    if last - first + 1 != len(boxes):
        raise DatasetError(f"{gt_path}: {len(boxes)} rows, but {name} covers frames {first}-{last} of "
                           f"{folder}/ ({last - first + 1} frames)")
    frames = FrameList.checked(root / "data_seq" / "UAV123" / folder, "{:06d}.jpg", range(first, last + 1), gt_path,
                                frames_required)
    absent = np.isnan(boxes).any(axis=1)
    return Sequence(name=name, dataset=dataset, frames=frames, boxes=boxes, absent=absent,
                    meta={"frame_folder": folder, "first_frame": first})


def _anno_dir(root, split):
    folder = root / "anno" / _ANNO_FOLDERS[split]
    if not folder.is_dir():
        raise DatasetError(f"UAV123 annotation folder {folder} does not exist; expected layout:\n{LAYOUT}")
    return folder
