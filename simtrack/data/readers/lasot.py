"""LaSOT, LaSOT-ext and the synthetic demo set (which is written in the LaSOT layout).

Layout: ``<root>/<class>/<class>-<k>/`` with ``img/00000001.jpg``, ``groundtruth.txt``,
``full_occlusion.txt`` and ``out_of_view.txt`` (one line of 0/1 flags each) and ``nlp.txt``.
Attribute flags are optional: ``<root>/att/<class>-<k>.txt`` holds the 14 comma-separated 0/1 flags
of the LaSOT evaluation toolkit (copy its ``annos/att`` folder there).
"""
import numpy as np

from ...errors import DatasetError
from ...formats.frame_files import natural_key
from ..files import (
    FrameList,
    list_subfolders,
    read_boxes,
    read_flags,
    read_lines,
    read_numbers,
    read_sentence,
    require_file,
    shipped_split,
)
from ..sequence import Sequence

LAYOUT = ("<root>/<class>/<class>-<k>/img/00000001.jpg ...\n"
          "<root>/<class>/<class>-<k>/groundtruth.txt            (x,y,w,h per line)\n"
          "<root>/<class>/<class>-<k>/full_occlusion.txt, out_of_view.txt, nlp.txt")

# (abbreviation, name) in the order of the LaSOT toolkit's att files (run_tracker_performance_evaluation.m).
ATTRIBUTES = (("IV", "Illumination Variation"), ("POC", "Partial Occlusion"), ("DEF", "Deformation"),
              ("MB", "Motion Blur"), ("CM", "Camera Motion"), ("ROT", "Rotation"),
              ("BC", "Background Clutter"), ("VC", "Viewpoint Change"), ("SV", "Scale Variation"),
              ("FOC", "Full Occlusion"), ("FM", "Fast Motion"), ("OV", "Out-of-View"),
              ("LR", "Low Resolution"), ("ARC", "Aspect Ration Change"))

TEST_LIST = "testing_set.txt"


def test_names(root):
    """The test list: ``<root>/testing_set.txt`` when present (demo set), else the 280 LaSOT names."""
    own = root / TEST_LIST
    return read_lines(own) if own.is_file() else shipped_split("lasot_test.txt")


def all_names(root, split=None):
    """Every ``<class>/<class>-<k>`` folder under ``root`` (LaSOT-ext: all of them are test)."""
    names = [name for cls in list_subfolders(root) if cls != "att"
             for name in list_subfolders(root / cls) if name.rsplit("-", 1)[0] == cls]
    return sorted(names, key=natural_key)


def names(root, split):
    """Test names from the test list; train = every sequence folder of the root not in it."""
    test = test_names(root)
    if split == "test":
        return test
    held_out = set(test)
    return [name for name in all_names(root) if name not in held_out]


def load(root, split, name, dataset, frames_required=True):
    """Read one sequence folder; absent = full_occlusion OR out_of_view."""
    cls = name.rsplit("-", 1)[0]
    folder = root / cls / name
    if not folder.is_dir():
        raise DatasetError(f"missing sequence folder {folder} (expected {cls}/{name}/ under {root}); "
                           f"expected layout:\n{LAYOUT}")
    gt_path = require_file(folder / "groundtruth.txt", "LaSOT ground truth")
    boxes = read_boxes(gt_path)
    count = len(boxes)
    frames = FrameList.checked(folder / "img", "{:08d}.jpg", range(1, count + 1), gt_path, frames_required)
    absent = (read_flags(require_file(folder / "full_occlusion.txt", "LaSOT occlusion flags"), count)
              | read_flags(require_file(folder / "out_of_view.txt", "LaSOT out-of-view flags"), count))
    nlp = folder / "nlp.txt"
    return Sequence(name=name, dataset=dataset, frames=frames, boxes=boxes, absent=absent,
                    attributes=read_attributes(root / "att" / f"{name}.txt"),
                    language=read_sentence(nlp) if nlp.is_file() else None,
                    meta={"object_class": cls, "fps": 30})


def read_attributes(path, attributes=ATTRIBUTES):
    """The flags of a toolkit att file (LaSOT's 14 by default) as name -> bool; {} when there is no such file."""
    if not path.is_file():
        return {}
    flags = read_numbers(path, allowed=range(2))
    if len(flags) != len(attributes):
        raise DatasetError(f"{path}: expected {len(attributes)} comma-separated attribute flags "
                           f"({', '.join(abbr for abbr, _ in attributes)}), found {len(flags)}")
    return {full: bool(flag) for (_, full), flag in zip(attributes, np.asarray(flags))}
