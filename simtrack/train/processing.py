"""Turn a sampled frame pair into network inputs and the target: augmentation, jitter, crops, encoding.

Follows the STARK pipeline SimTrack's public training code uses (docs/training.md):

1. joint draws for both frames: grayscale (p 0.05; applied to the two crops, which equals
   converting the frames first) and horizontal flip of the full frames (p 0.5);
2. box jitter (none for the template, scale 0.5 / centre 3.5 for the search region), then the
   tracker's own ``sample_target`` crop (template factor 2 -> template size, search factor 4 ->
   search size);
3. the box in crop coordinates: centre ``(s - 1)/2 + (box centre - jittered centre) * rf``, size
   ``w * rf``, all divided by the crop size ``s``;
4. independent draws per crop: brightness ``x/255 * U(0.8, 1.2)`` clamped to [0, 1], horizontal
   flip (p 0.5, ``x -> 1 - x - w``), ImageNet normalisation.

A pair is refused (and the caller draws another) when a crop holds no image pixel on the
backbone's patch grid, as STARK refuses crops whose down-sampled padding mask is all padding.
"""
import math
from dataclasses import dataclass

import cv2
import numpy as np

from ..crop import IMAGENET_MEAN, IMAGENET_STD, crop_window, sample_target

_MEAN = np.asarray(IMAGENET_MEAN, dtype=np.float32)
_STD = np.asarray(IMAGENET_STD, dtype=np.float32)


@dataclass(frozen=True)
class CropSpec:
    """Geometry and jitter of one crop (template or search)."""

    factor: float
    size: int
    grid: int
    centre_jitter: float
    scale_jitter: float


def jitter_box(box, centre_jitter, scale_jitter, rng):
    """STARK's ``_get_jittered_box``: log-normal size per axis, uniform centre shift."""
    x, y, w, h = box
    if centre_jitter == 0 and scale_jitter == 0:
        return np.array(box, dtype=np.float64)
    size = np.array([w, h]) * np.exp(rng.standard_normal(2) * scale_jitter)
    offset = math.sqrt(size[0] * size[1]) * centre_jitter
    centre = np.array([x + w / 2, y + h / 2]) + offset * (rng.random(2) - 0.5)
    return np.concatenate([centre - size / 2, size])


def box_in_crop(box, crop_box, resize_factor, size):
    """``box`` (frame pixels) relative to the crop taken around ``crop_box``, normalised by ``size``."""
    box = np.asarray(box, dtype=np.float64)
    crop_box = np.asarray(crop_box, dtype=np.float64)
    offset = (box[:2] + box[2:] / 2) - (crop_box[:2] + crop_box[2:] / 2)
    centre = (size - 1) / 2 + offset * resize_factor
    wh = box[2:] * resize_factor
    return np.concatenate([centre - wh / 2, wh]) / size


def covers_image(crop_box, factor, size, grid, frame_shape):
    """True when some cell of the crop's patch grid (nearest sampling) lies on image pixels."""
    x1, y1, side = crop_window(crop_box, factor)
    height, width = frame_shape[:2]
    # Output pixel p of the first sample per cell maps back to window pixel p * side / size.
    samples = np.floor(np.arange(grid) * size / grid) * side / size
    inside_x = (x1 + samples >= 0) & (x1 + samples < width - 1)
    inside_y = (y1 + samples >= 0) & (y1 + samples < height - 1)
    return bool(inside_x.any() and inside_y.any())


def flip_frame_box(box, width):
    """Box of the mirrored frame: ``x -> W - x - w``.

    The reference maps the corners as pixel indices (``W - 1 - x``), which leaves flipped boxes
    one pixel left of the mirrored target; we mirror the box exactly.
    """
    x, y, w, h = box
    return np.array([width - x - w, y, w, h], dtype=np.float64)


class PairProcessor:
    """Augments and crops one (template frame, search frame) pair into float32 arrays.

    Args:
        template, search: the two crops' ``CropSpec``.
        grayscale_prob, frame_flip_prob: joint draws over both frames.
        crop_flip_prob, brightness_jitter: independent draws per crop.
    """

    def __init__(self, template, search, grayscale_prob=0.05, frame_flip_prob=0.5,
                 crop_flip_prob=0.5, brightness_jitter=0.2):
        self.template, self.search = template, search
        self.grayscale_prob = grayscale_prob
        self.frame_flip_prob = frame_flip_prob
        self.crop_flip_prob = crop_flip_prob
        self.brightness_jitter = brightness_jitter

    def __call__(self, template_frame, template_box, search_frame, search_box, rng):
        """Returns a dict of arrays, or None when a crop misses the image (draw another pair)."""
        gray = rng.random() < self.grayscale_prob
        if rng.random() < self.frame_flip_prob:
            template_box = flip_frame_box(template_box, template_frame.shape[1])
            search_box = flip_frame_box(search_box, search_frame.shape[1])
            template_frame, search_frame = template_frame[:, ::-1], search_frame[:, ::-1]
        out = {}
        for key, spec, frame, box in (("template", self.template, template_frame, template_box),
                                      ("search", self.search, search_frame, search_box)):
            crop_box = jitter_box(box, spec.centre_jitter, spec.scale_jitter, rng)
            if not (np.all(np.isfinite(crop_box)) and crop_box[2] > 0 and crop_box[3] > 0) or \
                    math.ceil(math.sqrt(crop_box[2] * crop_box[3]) * spec.factor) < 1 or \
                    not covers_image(crop_box, spec.factor, spec.size, spec.grid, frame.shape):
                return None
            patch, resize_factor = sample_target(np.ascontiguousarray(frame), crop_box, spec.factor, spec.size)
            target = box_in_crop(box, crop_box, resize_factor, spec.size)
            out[key], out[key + "_box"] = self._finish(patch, target, gray, rng)
        return {"template": out["template"], "search": out["search"],
                "template_anno": out["template_box"], "search_box": out["search_box"]}

    def _finish(self, patch, box, gray, rng):
        """Per-crop colour and flip draws, then CHW float32 with ImageNet normalisation."""
        if gray:
            patch = cv2.cvtColor(cv2.cvtColor(patch, cv2.COLOR_RGB2GRAY), cv2.COLOR_GRAY2RGB)
        brightness = rng.uniform(max(0.0, 1 - self.brightness_jitter), 1 + self.brightness_jitter)
        image = np.minimum(patch.astype(np.float32) * np.float32(brightness / 255.0), 1.0)
        if rng.random() < self.crop_flip_prob:
            image = image[:, ::-1]
            box = np.array([1 - box[0] - box[2], box[1], box[2], box[3]])
        image = (image - _MEAN) / _STD
        return np.ascontiguousarray(image.transpose(2, 0, 1)), box.astype(np.float32)
