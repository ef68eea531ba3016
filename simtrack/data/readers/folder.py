"""Generic layout for your own videos: one folder per sequence with its frames and ``groundtruth.txt``.

Frames are the image files of the sequence folder (or of its ``img/`` subfolder when the folder
itself holds none), in natural order (``2.jpg`` before ``10.jpg``). The ground truth has one
``x,y,w,h`` row per frame (any separator), or a single row when only the initial box is known.
"""
from ..files import checked_frames, list_images, list_subfolders, listed_frames, read_boxes, require_file
from ..sequence import Sequence

LAYOUT = ("<root>/<seq>/00001.jpg ...          (or <root>/<seq>/img/00001.jpg ...)\n"
          "<root>/<seq>/groundtruth.txt        (x,y,w,h per frame, or only the first row)\n"
          "<root>/<other seq>/...")


def names(root, split):
    return list_subfolders(root)


def load(root, split, name, dataset, frames_required=True):
    folder = root / name
    gt_path = require_file(folder / "groundtruth.txt", "ground truth (groundtruth.txt)")
    boxes = read_boxes(gt_path)
    own = list_images(folder)         # one listing, used for the frames unless they are in img/
    if own or not (folder / "img").is_dir():
        frames = checked_frames(own, folder, boxes, gt_path, frames_required)
    else:
        frames = listed_frames(folder / "img", boxes, gt_path, frames_required)
    return Sequence(name=name, dataset=dataset, frames=frames, boxes=boxes)
