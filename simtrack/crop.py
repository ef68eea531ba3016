"""Square context crops around a box, exactly as the official SimTrack/STARK ``sample_target``.

Geometry that must be reproduced bit for bit: ``ceil`` of the crop side, round-half-to-even
placement (Python ``round``), zero padding, and the right/bottom padding of one pixel more than
needed (the last image column/row is dropped whenever the window reaches that edge).

``sample_target`` is the reference (OpenCV, host memory). ``sample_target_torch`` computes the
same pixels from a frame tensor on any device (the GPU fast path): it reads only the pixels the
bilinear filter touches and reproduces OpenCV's fixed-point arithmetic, so the two agree exactly.

``normalize`` is the official normalisation, written once for numpy arrays (the engines, which run
without torch) and torch tensors (the torch path, on the model's device). Importing this module
needs no torch; the torch functions import it when called.
"""
import math
from functools import lru_cache

import cv2
import numpy as np

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
# float32, as torch.tensor(IMAGENET_MEAN) rounds them; shaped for (1, 3, H, W) crops
_MEAN = np.array(IMAGENET_MEAN, np.float32).reshape(1, 3, 1, 1)
_STD = np.array(IMAGENET_STD, np.float32).reshape(1, 3, 1, 1)


def crop_window(box, factor):
    """Integer window (x1, y1, side) of the crop for ``box`` = (x, y, w, h) and context ``factor``."""
    x, y, w, h = box
    side = math.ceil(math.sqrt(w * h) * factor)
    if side < 1:
        raise ValueError(f"crop of box {tuple(box)} with factor {factor} is empty")
    x1 = round(x + 0.5 * w - side * 0.5)
    y1 = round(y + 0.5 * h - side * 0.5)
    return x1, y1, side


def readable_limit(start, side, size):
    """One past the last image coordinate the crop may read along an axis of ``size`` pixels.

    The official padding drops the last image row/column whenever the window reaches that edge.
    """
    return size - 1 if start + side >= size else size


def sample_target(image, box, factor, output_size):
    """Crop ``factor``-times the box's context, pad with zeros, resize to output_size².

    Returns the uint8 patch and the resize factor ``output_size / side``. A window inside the
    image is resized straight from a view of the frame (no intermediate copy).
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
    elif top or bottom or left or right:
        patch = cv2.copyMakeBorder(inside, top, bottom, left, right, cv2.BORDER_CONSTANT)
    else:
        patch = inside
    patch = cv2.resize(patch, (output_size, output_size))
    return patch, output_size / side


# OpenCV's INTER_LINEAR for uint8 images works in fixed point: 11-bit filter weights, and a
# vertical pass that drops 4 bits before a high-half 16-bit multiply, then rounds away 2 more bits.
_WEIGHT_ONE = 2048


@lru_cache(maxsize=64)
def _linear_taps(side, output_size, clamp_weights):
    """Source offsets (2, n) and integer weights (2, n) of OpenCV's bilinear resize along one axis.

    OpenCV clamps the fractional position at the borders horizontally (``clamp_weights``) but
    only the row indices vertically; both are reproduced because they change the rounding.
    """
    scale = 1.0 / (output_size / side)
    pos = ((np.arange(output_size) + 0.5) * scale - 0.5).astype(np.float32)
    low = np.floor(pos)
    frac = pos - low
    low = low.astype(np.int64)
    if clamp_weights:
        frac[low < 0], low[low < 0] = 0, 0
        at_end = low >= side - 1
        frac[at_end], low[at_end] = 0, side - 1
    offsets = np.stack([np.clip(low, 0, side - 1), np.clip(low + 1, 0, side - 1)])
    weights = np.rint(np.stack([1 - frac, frac]) * np.float32(_WEIGHT_ONE)).astype(np.int64)
    offsets.setflags(write=False)
    weights.setflags(write=False)
    return offsets, weights


def _overlaps(start, side, size):
    """Whether the window [start, start + side) reads at least one image pixel along an axis."""
    return max(start, 0) < min(start + side, readable_limit(start, side, size))


def _axis_taps(start, side, size, output_size, clamp_weights, device):
    """Image indices and weights along one axis; taps on padding get weight 0 (zero padding)."""
    offsets, weights = _linear_taps(side, output_size, clamp_weights)
    index = offsets + start
    weights = weights * ((index >= 0) & (index < readable_limit(start, side, size)))
    index = np.clip(index, 0, size - 1)
    import torch
    both = torch.from_numpy(np.stack([index, weights])).to(device, torch.int64)
    return both[0], both[1].to(torch.int32)


def sample_target_torch(frame, box, factor, output_size):
    """``sample_target`` on an H x W x 3 uint8 tensor (any device): same pixels, no padded copy.

    Returns an int32 (output_size, output_size, 3) tensor with values 0..255 on the frame's
    device, and the resize factor. Bit-exact with OpenCV's vectorised INTER_LINEAR (OpenCV's
    switch to INTER_AREA for an exact 2x reduction gives the same numbers); see docs/speed.md.
    """
    import torch
    x1, y1, side = crop_window(box, factor)
    height, width = frame.shape[:2]
    if not (_overlaps(x1, side, width) and _overlaps(y1, side, height)):
        # Only a first box outside the frame gets here; the reference's slicing then has quirks
        # of its own (negative indices wrap), so let it produce the pixels.
        patch, resize_factor = sample_target(frame.cpu().numpy(), box, factor, output_size)
        return torch.from_numpy(patch).to(frame.device, torch.int32), resize_factor
    cols, col_weights = _axis_taps(x1, side, width, output_size, True, frame.device)
    rows, row_weights = _axis_taps(y1, side, height, output_size, False, frame.device)
    pixels = frame[rows.reshape(-1, 1), cols.reshape(1, -1)].to(torch.int32)   # (2n, 2n, 3)
    pixels = pixels.reshape(2, output_size, 2, output_size, 3)
    horizontal = (pixels * col_weights.reshape(1, 1, 2, output_size, 1)).sum(2)  # (2, n, n, 3)
    vertical = ((horizontal >> 4) * row_weights.reshape(2, output_size, 1, 1)) >> 16
    patch = ((vertical.sum(0) + 2) >> 2).clamp_(0, 255)
    return patch, output_size / side


def normalize(patch):
    """uint8 H x W x 3 patch -> float32 (1, 3, H, W) with ImageNet mean/std, as the official code.

    ``patch`` is a numpy array (-> numpy, on the host) or a torch tensor (-> tensor on its device).
    The arithmetic and its order are the official ones, in float32 and in place on the one float
    copy: ``/ 255``, ``- mean``, ``/ std``. Each step is one correctly rounded IEEE operation per
    element in numpy and in torch on the CPU, so both give the same bits.
    """
    if isinstance(patch, np.ndarray):
        image = np.ascontiguousarray(patch.transpose(2, 0, 1), dtype=np.float32)[None]
        mean, std = _MEAN, _STD
    else:
        import torch
        image = patch.to(torch.float32, copy=True).permute(2, 0, 1).unsqueeze(0)
        mean, std = _torch_mean_std(image.device)
    image /= 255.0
    image -= mean
    image /= std
    return image


@lru_cache(maxsize=8)
def _torch_mean_std(device):
    import torch
    return torch.from_numpy(_MEAN).to(device), torch.from_numpy(_STD).to(device)


def crop_normalised(image, box, factor, output_size):
    """``sample_target`` then ``normalize``, on the host: (float32 (1, 3, S, S) array, resize factor)."""
    patch, resize_factor = sample_target(image, box, factor, output_size)
    return normalize(patch), resize_factor


class Normalizer:
    """``normalize`` for crops that go to ``device``: a numpy patch is uploaded, then normalised there."""

    def __init__(self, device="cpu"):
        import torch
        self.device = torch.device(device)

    def __call__(self, patch):
        import torch
        if isinstance(patch, np.ndarray):
            patch = torch.from_numpy(np.ascontiguousarray(patch))
        return normalize(patch.to(self.device))
