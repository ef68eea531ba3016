"""Frames stored as image files in a folder: which files count as frames, and their order.

One listing of the folder, no image opened; names sort naturally (``2.jpg`` before ``10.jpg``).
Hidden files (macOS ``._0001.jpg`` resource forks among them) are never frames.
"""
import os
import re

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp")
_DIGITS = re.compile(r"(\d+)")


def natural_key(name: str) -> list:
    """Sort key that orders embedded numbers by value (``2.jpg`` before ``10.jpg``)."""
    return [int(part) if part.isdigit() else part for part in _DIGITS.split(name)]


def image_names(folder) -> list[str]:
    """The names of the image files in ``folder``, in natural order; FileNotFoundError if it is missing."""
    with os.scandir(folder) as entries:
        names = [entry.name for entry in entries
                 if entry.name.lower().endswith(IMAGE_EXTENSIONS) and not entry.name.startswith(".")]
    return sorted(names, key=natural_key)
