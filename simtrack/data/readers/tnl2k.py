"""TNL2K (test set): one folder per sequence with ``imgs/``, ``groundtruth.txt`` and ``language.txt``.

Frame names vary (jpg or png), so frames come from a sorted listing of ``imgs/`` that must match the
ground-truth rows. The dataset folders carry no absence flags (the MATLAB toolkit keeps them in its
own ``annos/absent``), so ``absent`` is None.
"""
from ..files import list_subfolders, listed_frames, read_boxes, read_sentence, require_file
from ..sequence import Sequence

LAYOUT = ("<root>/<seq>/imgs/00001.jpg ...             (jpg or png, sorted by name)\n"
          "<root>/<seq>/groundtruth.txt                 (x,y,w,h per line)\n"
          "<root>/<seq>/language.txt                    (one sentence)")


def names(root, split):
    return list_subfolders(root)


def load(root, split, name, dataset, frames_required=True):
    folder = root / name
    gt_path = require_file(folder / "groundtruth.txt", "TNL2K ground truth")
    boxes = read_boxes(gt_path)
    frames = listed_frames(folder / "imgs", boxes, gt_path, frames_required, allow_first_only=False)
    language = folder / "language.txt"
    return Sequence(name=name, dataset=dataset, frames=frames, boxes=boxes,
                    language=read_sentence(language) if language.is_file() else None)
