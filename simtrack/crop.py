"""Square context crops around a box, exactly as the official SimTrack/STARK ``sample_target``.

Geometry that must be reproduced bit for bit: ``ceil`` of the crop side, round-half-to-even
placement (Python ``round``), zero padding, and the right/bottom padding of one pixel more than
needed (the last image column/row is dropped whenever the window reaches that edge).
"""
import math

import cv2
import numpy as np
import torch

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


def crop_window(box, factor):
    """Integer window (x1, y1, side) of the crop for ``box`` = (x, y, w, h) and context ``factor``."""
    x, y, w, h = box
    side = math.ceil(math.sqrt(w * h) * factor)
    if side < 1:
        raise ValueError(f"crop of box {tuple(box)} with factor {factor} is empty")
    x1 = round(x + 0.5 * w - side * 0.5)
    y1 = round(y + 0.5 * h - side * 0.5)
    return x1, y1, side


def sample_target(image, box, factor, output_size):
    """Crop ``factor``-times the box's context, pad with zeros, resize to output_size².

    Returns the uint8 patch and the resize factor ``output_size / side``.
    """
    x1, y1, side = crop_window(box, factor)
    height, width = image.shape[:2]
    x2, y2 = x1 + side, y1 + side
    left, top = max(0, -x1), max(0, -y1)
    right, bottom = max(x2 - width + 1, 0), max(y2 - height + 1, 0)
    inside = image[y1 + top:y2 - bottom, x1 + left:x2 - right]
    if inside.size == 0:
        # The window misses the image entirely (possible only for a box given outside it).
        patch = np.zeros((side, side, 3), np.uint8)
    else:
        patch = cv2.copyMakeBorder(inside, top, bottom, left, right, cv2.BORDER_CONSTANT)
    patch = cv2.resize(patch, (output_size, output_size))
    return patch, output_size / side


class Normalizer:
    """uint8 HWC patch -> float32 (1, 3, H, W) tensor with ImageNet mean/std, as the official code."""

    def __init__(self, device="cpu"):
        self.device = torch.device(device)
        self.mean = torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1).to(self.device)
        self.std = torch.tensor(IMAGENET_STD).view(1, 3, 1, 1).to(self.device)

    def __call__(self, patch):
        tensor = torch.from_numpy(np.ascontiguousarray(patch)).to(self.device).float()
        tensor = tensor.permute(2, 0, 1).unsqueeze(0)
        return ((tensor / 255.0) - self.mean) / self.std
