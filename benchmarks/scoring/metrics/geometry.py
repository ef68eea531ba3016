"""Box geometry on (4, F) arrays (rows x, y, w, h: contiguous, hence fast).

Each function keeps the arithmetic order of the toolkit it comes from, so that results are
bit-identical to it, not merely close.
"""
import numpy as np


def centers(boxes):
    return boxes[:2] + (boxes[2:] - 1) / 2


def norm(diff):
    return np.sqrt(diff[0] ** 2 + diff[1] ** 2)


def any_nan(boxes):
    return np.isnan(boxes[0]) | np.isnan(boxes[1]) | np.isnan(boxes[2]) | np.isnan(boxes[3])


def all_nan(boxes):
    return np.isnan(boxes[0]) & np.isnan(boxes[1]) & np.isnan(boxes[2]) & np.isnan(boxes[3])


def xywh_positive(boxes):
    return (boxes[0] > 0) & (boxes[1] > 0) & (boxes[2] > 0) & (boxes[3] > 0)


def iou_plus_one(pred, gt, ignore_nan=False):
    """IoU with inclusive pixel edges (OTB/LaSOT ``calc_rect_int.m``, pytracking).

    ``ignore_nan`` reproduces MATLAB's ``min``/``max``, which skip NaN operands.
    """
    high, low = (np.fmax, np.fmin) if ignore_nan else (np.maximum, np.minimum)
    width = high(0, low(pred[0] + pred[2] - 1, gt[0] + gt[2] - 1) - high(pred[0], gt[0]) + 1)
    height = high(0, low(pred[1] + pred[3] - 1, gt[1] + gt[3] - 1) - high(pred[1], gt[1]) + 1)
    inter = width * height
    return inter / (pred[2] * pred[3] + gt[2] * gt[3] - inter)


def iou_continuous(pred, gt, eps=0.0):
    """IoU with continuous edges, clipped to [0, 1] (got10k ``rect_iou`` with eps, pysot without)."""
    width = np.maximum(np.minimum(pred[0] + pred[2], gt[0] + gt[2]) - np.maximum(pred[0], gt[0]), 0)
    height = np.maximum(np.minimum(pred[1] + pred[3], gt[1] + gt[3]) - np.maximum(pred[1], gt[1]), 0)
    inter = width * height
    union = pred[2] * pred[3] + gt[2] * gt[3] - inter
    return np.clip(inter / (union + eps), 0.0, 1.0)


def clip_to_image(boxes, bound):
    """got10k's image clipping: x, y into [0, W] / [0, H], then w, h into what is left of the image."""
    x = np.clip(boxes[0], 0, bound[0])
    y = np.clip(boxes[1], 0, bound[1])
    return np.stack([x, y, np.clip(boxes[2], 0, bound[0] - x), np.clip(boxes[3], 0, bound[1] - y)])


def center_errors(pred, gt, valid, invalid_center):
    """Centre distance and LaSOT-normalised distance (centres divided by the GT size, then subtracted),
    as the MATLAB toolkit and pytracking compute them; invalid frames get ``invalid_center`` and -1."""
    pred_center, gt_center = centers(pred), centers(gt)
    center = np.where(valid, norm(pred_center - gt_center), invalid_center)
    pred_center /= gt[2:]
    gt_center /= gt[2:]
    return center, np.where(valid, norm(pred_center - gt_center), -1.0)


def carry_forward(pred, replace, first):
    """Replace flagged frames by the last unflagged frame of the same sequence (the MATLAB loop).

    Frame 1 is never replaced, so the copy never crosses into the previous sequence.
    """
    replace = replace & ~first
    if not replace.any():
        return pred
    index = np.arange(pred.shape[1])
    return pred[:, np.maximum.accumulate(np.where(replace, 0, index))]
