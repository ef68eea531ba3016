"""The LaSOT evaluation toolkit's annotation bundle (LaSOT and LaSOT-ext): ground truth without frames.

    <toolkit>/annos/<class>-<k>.txt          x,y,w,h per line
    <toolkit>/annos/absent/<class>-<k>.txt   one 0/1 flag per line: 1 = absent (full occlusion or out of view)
    <toolkit>/annos/att/<class>-<k>.txt      14 attribute flags (optional)
    <toolkit>/sequence_evaluation_config/testing_set.txt   the test names (optional)

``root`` may be the toolkit folder or its ``annos`` folder. LaSOT's test names come from the toolkit's
``testing_set.txt`` when it is there, else from the shipped 280-name list; LaSOT-ext's are every
annotation file of the folder. The sequences have no frames (``MissingFrames``): enough to score.
VastTrack's MATLAB toolkit ships the same layout (``MatlabEvaluationToolkit/annos``, 10 attribute
flags, a CRLF ``testing_set.txt``): ``attributes`` and ``fps`` say how to read it.
"""
import os
from pathlib import Path

from ...errors import DatasetError
from ...formats.frame_files import natural_key
from ..files import MissingFrames, read_boxes, read_flags, read_lines, require_file
from ..readers.lasot import ATTRIBUTES, read_attributes, test_names
from ..sequence import Sequence

LAYOUT = ("<toolkit>/annos/<class>-<k>.txt            (x,y,w,h per line)\n"
          "<toolkit>/annos/absent/<class>-<k>.txt     (one 0/1 flag per line, 1 = absent)\n"
          "<toolkit>/annos/att/<class>-<k>.txt        (optional: 14 attribute flags)")
TEST_LIST = Path("sequence_evaluation_config") / "testing_set.txt"


def annos_folder(path):
    """The ``annos`` folder at ``path`` (the toolkit folder or ``annos`` itself), or None."""
    path = Path(path)
    for folder in (path / "annos", path):
        if (folder / "absent").is_dir():
            return folder
    return None


def names(annos, split, every_file=False, fallback=test_names):
    """The toolkit's test list, else ``fallback(toolkit folder)`` (LaSOT: the shipped 280 names); every
    annotation file with ``every_file`` (LaSOT-ext) or when there is no list and no fallback."""
    if split != "test":
        raise DatasetError(f"the toolkit annotations in {annos} hold the test split only, not {split!r}")
    listing = annos.parent / TEST_LIST
    if every_file or (fallback is None and not listing.is_file()):
        return sorted((path.stem for path in annos.glob("*.txt")), key=natural_key)
    return read_lines(listing) if listing.is_file() else fallback(annos.parent)


def load(annos, split, name, dataset, frames_required=True, attributes=ATTRIBUTES, fps=30):
    """One sequence: boxes, absent flags and attributes; its frames are not part of the bundle."""
    folder = str(annos)     # plain strings: 280 sequences x 3 files, where pathlib's parsing shows
    gt_path = require_file(os.path.join(folder, f"{name}.txt"), "LaSOT toolkit ground truth (annos/<seq>.txt)")
    boxes = read_boxes(gt_path)
    if len(boxes) == 0:
        raise DatasetError(f"{gt_path}: no ground-truth rows")
    absent = read_flags(require_file(os.path.join(folder, "absent", f"{name}.txt"), "LaSOT toolkit absent flags"),
                        len(boxes))
    frames = MissingFrames(len(boxes), f"the toolkit annotations {annos} carry no frames")
    meta = {"object_class": name.rsplit("-", 1)[0]}
    if fps:
        meta["fps"] = fps
    return Sequence(name=name, dataset=dataset, frames=frames, boxes=boxes, absent=absent,
                    attributes=read_attributes(Path(folder, "att", f"{name}.txt"), attributes), meta=meta)
