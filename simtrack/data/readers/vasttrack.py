"""VastTrack (Peng et al., 2024; 3,500 test videos of 701 classes), in its published layout.

    <root>/<class>/<class>-<k>/Groundtruth.txt             x,y,w,h per line (comma)
    <root>/<class>/<class>-<k>/img/00000001.jpg ...         (the README says imgs/; both are read)
    <root>/<class>/<class>-<k>/nlp.txt                      one sentence -> Sequence.language
    <root>/att/<class>-<k>.txt                              optional: the toolkit's 10 attribute flags

Names are the toolkit's (``Adhesive Tape-38``: 2,120 of the 3,500 hold a space); the class is the
name without its ``-<k>``. ``test`` is the toolkit's 3,500-name list (shipped as
``splits/vasttrack_test.txt``; a root with its own ``testing_set.txt`` uses that). A target is absent
where its ground-truth row is all zero: the toolkit's ``annos/absent`` flags are exactly those rows
(checked on all 3,500 sequences).
"""

from ...errors import DatasetError
from ..files import FrameList, read_boxes, read_lines, read_sentence, require_file, shipped_split
from ..sequence import Sequence
from .lasot import read_attributes

SPLITS = ("test",)
LAYOUT = ("<root>/<class>/<class>-<k>/Groundtruth.txt      (x,y,w,h per line)\n"
          "<root>/<class>/<class>-<k>/img/00000001.jpg ...   (or imgs/)\n"
          "<root>/<class>/<class>-<k>/nlp.txt")
# (abbreviation, name) in the order of the toolkit's att files (run_tracker_performance_evaluation.m att_name)
ATTRIBUTES = (("LR", "Low Resolution"), ("SV", "Scale Variation"), ("FM", "Fast Motion"),
              ("ARC", "Aspect Ration Change"), ("IV", "Illumination Variation"), ("INV", "Invisibility"),
              ("DEF", "Deformation"), ("ROT", "Rotation"), ("BC", "Background Clutter"), ("MB", "Motion Blur"))
TEST_LIST = "testing_set.txt"
FRAME_FOLDERS = ("img", "imgs")


def object_class(name):
    """The class of a sequence name, as the toolkit derives it: ``Adhesive Tape-38`` -> ``Adhesive Tape``."""
    return "-".join(name.split(".")[0].split("-")[:-1])


def names(root, split):
    own = root / TEST_LIST
    return read_lines(own) if own.is_file() else shipped_split("vasttrack_test.txt")


def load(root, split, name, dataset, frames_required=True):
    cls = object_class(name)
    folder = root / cls / name
    if not folder.is_dir():
        raise DatasetError(f"missing VastTrack sequence folder {folder} (expected {cls}/{name}/ under {root}); "
                           f"expected layout:\n{LAYOUT}")
    gt_path = require_file(folder / "Groundtruth.txt", "VastTrack ground truth")
    boxes = read_boxes(gt_path)
    frame_folder = next((folder / sub for sub in FRAME_FOLDERS if (folder / sub).is_dir()), folder / FRAME_FOLDERS[0])
    frames = FrameList.checked(frame_folder, "{:08d}.jpg", range(1, len(boxes) + 1), gt_path, frames_required)
    nlp = folder / "nlp.txt"
    return Sequence(name=name, dataset=dataset, frames=frames, boxes=boxes, absent=(boxes == 0).all(axis=1),
                    attributes=read_attributes(root / "att" / f"{name}.txt", ATTRIBUTES),
                    language=read_sentence(nlp) if nlp.is_file() else None, meta={"object_class": cls})
