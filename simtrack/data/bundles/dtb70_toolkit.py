"""The DTB70 toolkit's annotations (flyers/drone-tracking, ``experiments/anno``): ground truth without frames.

    <toolkit>/experiments/anno/<Seq>.txt        x,y,w,h per line (comma; 70 files)
    <toolkit>/experiments/anno/att/<Seq>.txt    one line of 11 comma-separated 0/1 attribute flags

The dataset's frames are distributed separately (a Baidu link only), so this is how most people can
score DTB70. ``root`` may be the toolkit folder, its ``experiments`` folder or ``anno`` itself. The
toolkit's ``perfPlot.m`` names ten of the eleven attribute columns; the eleventh is unnamed there.
"""
from pathlib import Path

from ...errors import DatasetError
from ..files import MissingFrames, natural_key, read_boxes, require_file
from ..readers.lasot import read_attributes
from ..sequence import Sequence

LAYOUT = ("<toolkit>/experiments/anno/<Seq>.txt          (x,y,w,h per line)\n"
          "<toolkit>/experiments/anno/att/<Seq>.txt      (11 attribute flags)")
# perfPlot.m attName, in column order; the 11th column has no name in the toolkit
ATTRIBUTES = (("SV", "Scale Variation"), ("ARV", "Aspect Ratio Variation"), ("OCC", "Occlusion"),
              ("DEF", "Deformation"), ("FCM", "Fast Camera Motion"), ("IPR", "In-Plane Rotation"),
              ("OPR", "Out-of-Plane Rotation"), ("OV", "Out of View"), ("BC", "Background Clutter"),
              ("SOA", "Similar Objects Around"), ("A11", "Attribute 11 (unnamed in the toolkit)"))


def anno_folder(path):
    """The ``anno`` folder at ``path`` (the toolkit, its ``experiments`` folder or ``anno``), or None."""
    path = Path(path)
    for folder in (path / "experiments" / "anno", path / "anno", path):
        if (folder / "att").is_dir() and not (folder / "absent").is_dir() and next(folder.glob("*.txt"), None):
            return folder
    return None


def names(anno, split):
    if split != "test":
        raise DatasetError(f"the DTB70 toolkit annotations in {anno} hold the test split only, not {split!r}")
    return sorted((path.stem for path in anno.glob("*.txt")), key=natural_key)


def load(anno, split, name, dataset, frames_required=True):
    gt_path = require_file(Path(anno) / f"{name}.txt", "DTB70 toolkit ground truth (anno/<Seq>.txt)")
    boxes = read_boxes(gt_path)
    if len(boxes) == 0:
        raise DatasetError(f"{gt_path}: no ground-truth rows")
    return Sequence(name=name, dataset=dataset, frames=MissingFrames(len(boxes), f"the DTB70 toolkit annotations "
                                                                                f"{anno} carry no frames"),
                    boxes=boxes, attributes=read_attributes(Path(anno) / "att" / f"{name}.txt", ATTRIBUTES))
