"""AVisT (adverse-visibility tracking, 120 test sequences), in the layout pytracking's loader reads.

    <root>/anno/<seq>.txt                                  x y w h per line (whitespace; commas read too)
    <root>/full_occlusion/<seq>_full_occlusion.txt         0/1 per frame
    <root>/out_of_view/<seq>_out_of_view.txt               0/1 per frame
    <root>/sequences/<seq>/img_00001.jpg ...

``absent`` = full_occlusion OR out_of_view (pytracking: ``target_visible`` is both zero). The names
are the annotation files' (two keep their typos: ``caemoflaging_octopus``, ``vehichle_in_sun_glare``).
The attribute and scenario tables of pytracking's ``dataset_attribute_specs`` are not part of the
dataset and are not read.
"""
from ...formats.frame_files import natural_key
from ..files import FrameList, read_boxes, read_flags, require_file
from ..sequence import Sequence

SPLITS = ("test",)
LAYOUT = ("<root>/anno/<seq>.txt                            (x y w h per line)\n"
          "<root>/full_occlusion/<seq>_full_occlusion.txt, <root>/out_of_view/<seq>_out_of_view.txt\n"
          "<root>/sequences/<seq>/img_00001.jpg ...")


def names(root, split):
    return sorted((path.stem for path in (root / "anno").glob("*.txt")), key=natural_key)


def load(root, split, name, dataset, frames_required=True):
    gt_path = require_file(root / "anno" / f"{name}.txt", "AVisT ground truth")
    boxes = read_boxes(gt_path)
    count = len(boxes)
    absent = (read_flags(require_file(root / "full_occlusion" / f"{name}_full_occlusion.txt", "AVisT occlusion flags"),
                         count)
              | read_flags(require_file(root / "out_of_view" / f"{name}_out_of_view.txt", "AVisT out-of-view flags"),
                           count))
    frames = FrameList.checked(root / "sequences" / name, "img_{:05d}.jpg", range(1, count + 1), gt_path,
                               frames_required)
    return Sequence(name=name, dataset=dataset, frames=frames, boxes=boxes, absent=absent)
