"""Reading frames and checking the images given to the tracker (RGB uint8, H x W x 3)."""
from pathlib import Path

import cv2
import numpy as np

from .errors import TrackerInputError


def read_image(path):
    """Read an image file as an RGB uint8 array; raises TrackerInputError if it cannot be decoded."""
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if image is None:
        reason = "does not exist" if not Path(path).exists() else "cannot be decoded as an image"
        raise TrackerInputError(f"frame {path} {reason}")
    return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)


def as_rgb_uint8(image):
    """Return ``image`` as an H x W x 3 uint8 RGB array, converting only where the meaning is clear.

    Grayscale (H x W or H x W x 1) is replicated to three channels and RGBA drops its alpha.
    Other dtypes (16-bit, float) are refused: their value range is ambiguous.
    """
    if not isinstance(image, np.ndarray):
        raise TrackerInputError(f"image must be a numpy array (H x W x 3 uint8 RGB), got {type(image).__name__}")
    if image.dtype != np.uint8:
        raise TrackerInputError(
            f"image must be uint8 RGB, got dtype {image.dtype}; scale it to 0..255 and convert with "
            f"image.astype(np.uint8) yourself (the value range of {image.dtype} images is ambiguous)")
    if image.ndim == 2:
        image = image[:, :, None]
    if image.ndim != 3 or image.shape[2] not in (1, 3, 4) or min(image.shape[:2]) < 1:
        raise TrackerInputError(f"image must be H x W x 3 (RGB), got shape {image.shape}")
    if image.shape[2] == 1:
        image = np.repeat(image, 3, axis=2)
    elif image.shape[2] == 4:
        image = image[:, :, :3]
    return image
