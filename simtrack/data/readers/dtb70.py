"""DTB70 (drone tracking, 70 sequences): ``<Seq>/img/00001.jpg ...`` and ``<Seq>/groundtruth_rect.txt``.

The dataset follows the OTB layout (its README: "The dataset format follows OTB50"): frame names
have five digits and start at 1 for every sequence (the toolkit's ``configDTBSeqs.m``), the ground
truth is comma-separated ``x,y,w,h``, fractional in places; ``Car6`` frames 274-292 are ``0,0,0,0``
(target gone). Attribute flags are not part of the dataset folders (the toolkit ships them, see
``bundles.dtb70_toolkit``).
"""
from ..files import FrameList, list_subfolders, read_boxes, require_file
from ..sequence import Sequence

SPLITS = ("test",)
LAYOUT = ("<root>/<Seq>/img/00001.jpg ...\n"
          "<root>/<Seq>/groundtruth_rect.txt                (x,y,w,h, comma)")


def names(root, split):
    """Every folder holding a ``groundtruth_rect.txt`` (the got10k toolkit's ``*/groundtruth_rect.txt``)."""
    return sorted(name for name in list_subfolders(root) if (root / name / "groundtruth_rect.txt").is_file())


def load(root, split, name, dataset, frames_required=True):
    gt_path = require_file(root / name / "groundtruth_rect.txt", "DTB70 ground truth")
    boxes = read_boxes(gt_path)
    frames = FrameList.checked(root / name / "img", "{:05d}.jpg", range(1, len(boxes) + 1), gt_path, frames_required)
    return Sequence(name=name, dataset=dataset, frames=frames, boxes=boxes)
