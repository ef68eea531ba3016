"""COCO detection annotations as one-frame sequences, for training on still images.

Every non-crowd instance of ``annotations/instances_<split>.json`` becomes a sequence named
``<image_id>_<annotation_id>`` whose single frame is ``<split>/<file_name>``.
"""
import json
import os
from functools import lru_cache

import numpy as np

from ...errors import DatasetError
from ...formats.regular_files import open_regular
from ..files import require_file
from ..sequence import Sequence

LAYOUT = ("<root>/annotations/instances_train2017.json\n"
          "<root>/train2017/000000000009.jpg ...\n"
          "(val2017 works the same way)")

SPLITS = ("train2017", "val2017")


def names(root, split):
    return list(_index(str(root), split))


def load(root, split, name, dataset, frames_required=True):
    image_path, image_size, category, box = _index(str(root), split)[name]
    return Sequence(name=name, dataset=dataset, frames=[image_path], boxes=np.array([box], dtype=np.float64),
                    meta={"image_size": image_size, "object_class": category})


@lru_cache(maxsize=2)
def _index(root, split):
    """name -> (image path, (W, H), category name, box) for the non-crowd instances. The file is read
    whole, without a size cap: COCO's train2017 file is 450 MB, and only training (not scoring) reads it."""
    path = require_file(os.path.join(root, "annotations", f"instances_{split}.json"), "COCO annotations")
    try:
        with open_regular(path, "COCO annotations", DatasetError) as handle:   # a FIFO is refused, not waited on
            data = json.load(handle)
        images = {image["id"]: image for image in data["images"]}
        categories = {category["id"]: category["name"] for category in data["categories"]}
        index = {}
        for ann in data["annotations"]:
            if ann.get("iscrowd", 0):
                continue
            image = images[ann["image_id"]]
            index[f"{ann['image_id']}_{ann['id']}"] = (
                os.path.join(root, split, image["file_name"]), (image["width"], image["height"]),
                categories.get(ann["category_id"], str(ann["category_id"])), ann["bbox"])
    except RecursionError:
        raise DatasetError(f"{path}: JSON nested too deeply to be a COCO instances file") from None
    except (ValueError, KeyError, TypeError) as error:
        raise DatasetError(f"{path}: not a COCO instances file (images, categories, annotations with "
                           f"image_id, id, bbox): {error!r}") from None
    return index
