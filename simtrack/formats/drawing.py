"""Boxes, a legend and a caption drawn on frames: the one drawing code of the annotated videos
(``simtrack.track``, ``benchmarks.visualize``) and of the HTML report's thumbnails.

Images are RGB uint8 H x W x 3 (the project's convention) and are drawn on in place with OpenCV;
colours are ``#rrggbb`` strings from ``simtrack.formats.palette``, so a tracker has the same colour on a
frame as in the plots. Line widths and text sizes follow the frame size, so labels stay legible
from a 200-pixel thumbnail to a 4K frame.
"""
from dataclasses import dataclass
from typing import Optional

import cv2
import numpy as np

from .palette import GROUND_TRUTH, rgb

OUTLINE = (16, 16, 16)          # dark edge around ground truth and text, visible on bright frames
PANEL_OPACITY = 0.6             # legend and caption plates: dark, see-through
FONT = cv2.FONT_HERSHEY_SIMPLEX


@dataclass
class Mark:
    """One box on a frame: whose it is, its colour, the box (x, y, w, h; None or NaN: nothing to draw)
    and a note shown after the label in the legend (e.g. ``IoU 0.72``)."""

    label: str
    color: str
    box: Optional[np.ndarray] = None
    note: str = ""
    outline: bool = False       # ground truth: white with a dark edge


def ground_truth_mark(box, note=""):
    return Mark("ground truth", GROUND_TRUTH, box, note, outline=True)


def line_width(image):
    """Box line width in pixels: 2 on a 640 x 480 frame, 1 on thumbnails, more on large frames."""
    return max(1, int(round(min(image.shape[:2]) / 240)))


def text_scale(image):
    return max(0.4, min(image.shape[:2]) / 900)


def drawable(box):
    """The box as four floats, or None when there is nothing to draw (missing, NaN, zero size)."""
    if box is None:
        return None
    box = np.asarray(box, dtype=np.float64).reshape(-1)
    if box.shape != (4,) or not np.all(np.isfinite(box)) or box[2] <= 0 or box[3] <= 0:
        return None
    return box


def draw_box(image, box, color, width=None, outline=False):
    """Draw ``box`` (x, y, w, h in pixels) as a rectangle in ``color``; nothing for a missing box."""
    box = drawable(box)
    if box is None:
        return image
    width = width or line_width(image)
    x, y, w, h = box
    top_left = (int(round(x)), int(round(y)))
    bottom_right = (int(round(x + w)), int(round(y + h)))
    if outline:
        cv2.rectangle(image, top_left, bottom_right, OUTLINE, width + 2, cv2.LINE_AA)
    cv2.rectangle(image, top_left, bottom_right, rgb(color), width, cv2.LINE_AA)
    return image


def _panel(image, left, top, right, bottom):
    """Darken a rectangle of ``image`` (clipped to it) so that text on it reads on any frame."""
    height, width = image.shape[:2]
    left, top = max(0, left), max(0, top)
    right, bottom = min(width, right), min(height, bottom)
    if right > left and bottom > top:
        region = image[top:bottom, left:right]
        region[:] = (region * (1 - PANEL_OPACITY)).astype(np.uint8)


def _text(image, text, origin, scale, color=(255, 255, 255)):
    thickness = max(1, int(round(scale * 1.6)))
    cv2.putText(image, text, origin, FONT, scale, color, thickness, cv2.LINE_AA)


def draw_legend(image, marks):
    """A plate in the top-left corner: one row per mark, a colour swatch, its label and note."""
    scale = text_scale(image)
    rows = [f"{mark.label}  {mark.note}".rstrip() for mark in marks]
    (_, text_height), baseline = cv2.getTextSize("Ag", FONT, scale, 1)
    row_height = text_height + baseline + int(6 * scale)
    swatch = text_height
    pad = int(round(6 * scale)) + 2
    widest = max((cv2.getTextSize(row, FONT, scale, max(1, int(round(scale * 1.6))))[0][0] for row in rows),
                 default=0)
    _panel(image, 0, 0, 3 * pad + swatch + widest, 2 * pad + row_height * len(rows))
    for index, (mark, row) in enumerate(zip(marks, rows)):
        top = pad + index * row_height
        cv2.rectangle(image, (pad, top + 2), (pad + swatch, top + 2 + swatch), rgb(mark.color), -1)
        if mark.outline:
            cv2.rectangle(image, (pad, top + 2), (pad + swatch, top + 2 + swatch), OUTLINE, 1)
        _text(image, row, (2 * pad + swatch, top + text_height + 2), scale)
    return image


def draw_caption(image, text):
    """One line of text on a plate in the bottom-left corner (frame number, speed...)."""
    scale = text_scale(image)
    thickness = max(1, int(round(scale * 1.6)))
    (width, height), baseline = cv2.getTextSize(text, FONT, scale, thickness)
    pad = int(round(6 * scale)) + 2
    bottom = image.shape[0]
    _panel(image, 0, bottom - height - baseline - 2 * pad, width + 2 * pad, bottom)
    _text(image, text, (pad, bottom - baseline - pad), scale)
    return image


def annotate(image, marks, caption=None, legend=True, width=None):
    """Draw every mark's box (ground truth first, so trackers lie on top), the legend and a caption."""
    for mark in sorted(marks, key=lambda mark: not mark.outline):
        draw_box(image, mark.box, mark.color, width, outline=mark.outline)
    if legend and marks:
        draw_legend(image, marks)
    if caption:
        draw_caption(image, caption)
    return image
