"""Generic layout for your own videos: one folder per sequence with its frames and ``groundtruth.txt``.

Frames are the image files of the sequence folder (or of its ``img/`` subfolder when the folder
itself holds none), in natural order (``2.jpg`` before ``10.jpg``). The ground truth has one
``x,y,w,h`` row per frame (any separator), or a single row when only the initial box is known.
"""
from .files import check_counts, list_images, list_subfolders, read_boxes, require_file
from .sequence import Sequence

LAYOUT = ("<root>/<seq>/00001.jpg ...          (or <root>/<seq>/img/00001.jpg ...)\n"
          "<root>/<seq>/groundtruth.txt        (x,y,w,h per frame, or only the first row)\n"
          "<root>/<other seq>/...")


def names(root, split):
    return list_subfolders(root)


def load(root, split, name, dataset):
    folder = root / name
    gt_path = require_file(folder / "groundtruth.txt", "ground truth (groundtruth.txt)")
    boxes = read_boxes(gt_path)
    frames = list_images(folder)
    if not frames and (folder / "img").is_dir():
        frames = list_images(folder / "img")
    check_counts(frames, boxes, gt_path)
    return Sequence(name=name, dataset=dataset, frames=frames, boxes=boxes)
