"""Per-frame rules, one function per toolkit (conventions in the package docstring).

Each rule takes the (4, F) predictions of all sequences, which it may modify in place (the callers
hand over a fresh array), and the GroundTruth, and returns the FrameErrors of those frames. Result
files shorter than the ground truth reach the rules already padded (``lengths``): only pytracking's
rule needs to know which rows were added (``padded``), because it pads after its carry-forward.
"""
from dataclasses import dataclass
from typing import Optional

import numpy as np

from simtrack.errors import ResultsError

from .geometry import (
    all_nan,
    any_nan,
    carry_forward,
    center_errors,
    centers,
    clip_to_image,
    iou_continuous,
    iou_plus_one,
    norm,
    xywh_positive,
)

GOT10K_EPS = np.finfo(float).eps  # added to the union by got10k's rect_iou


@dataclass(eq=False)
class FrameErrors:
    """Per-frame values of one run after a toolkit's rules (conventions in the package docstring)."""

    iou: np.ndarray
    center: Optional[np.ndarray] = None
    normalized: Optional[np.ndarray] = None
    counted: Optional[np.ndarray] = None   # frames in numerator and denominator; None = every frame
    covered: Optional[np.ndarray] = None   # TrackingNet "coverage" flags


def matlab_rule(pred, truth, use_absence, any_nan_carried=True):
    """LaSOT/TNL2K and OTB/UAV123 MATLAB toolkits (calc_seq_err_robust.m, calcSeqErrRobust.m).

    The LaSOT code carries the previous box over a row with any NaN (``sum(isnan(r))``); the OTB code
    tests ``isnan(r)`` as a vector, which MATLAB's ``if`` takes as true only when the whole row is
    NaN (``any_nan_carried=False``).
    """
    gt, first = truth.columns, truth.first
    bad = (any_nan(pred) if any_nan_carried else all_nan(pred)) | (pred[2] <= 0) | (pred[3] <= 0)
    pred = carry_forward(pred, bad & ~any_nan(gt), first)
    pred[:, first] = gt[:, first]
    valid = xywh_positive(gt)
    iou = np.where(valid, iou_plus_one(pred, gt, ignore_nan=True), -1.0)
    center, normalized = center_errors(pred, gt, valid, -1.0)
    if use_absence:  # removed from the arrays, kept in the denominator: a miss for every curve
        iou[truth.absent], center[truth.absent], normalized[truth.absent] = -1.0, np.inf, np.inf
    return FrameErrors(iou, center, normalized)


def pytracking_rule(pred, truth, all_positive, visibility, invisible_is_miss, invalid_center_hit, padded=None):
    """pytracking ``calc_seq_err_robust`` (and the STARK/OSTrack/SimTrack copy: ``all_positive=False``).

    ``padded`` flags the zero rows added to short files: pytracking pads after its carry-forward, so
    they stay zero boxes (IoU 0; centre (-0.5, -0.5), which can be within 20 px of a small target).
    """
    gt, first = truth.columns, truth.first
    broken = any_nan(pred) | (pred[2] < 0) | (pred[3] < 0)
    if broken.any():
        raise ResultsError(
            f"{truth.frame_name(int(np.argmax(broken)))}: the box has NaN or a negative size, which "
            "pytracking's analysis refuses ('Invalid results'); use --protocol official, whose rules "
            "carry the previous box forward")
    zero = ((pred[2] == 0) | (pred[3] == 0)) & ~any_nan(gt)
    pred = carry_forward(pred, zero if padded is None else zero & ~padded, first)
    pred[:, first] = gt[:, first]
    valid = xywh_positive(gt) if all_positive else (gt[2] > 0) & (gt[3] > 0)
    if visibility:
        valid &= ~truth.absent
    iou = iou_plus_one(pred, gt)
    if np.isnan(iou[valid]).any():
        raise ResultsError(f"{truth.frame_name(int(np.flatnonzero(valid & np.isnan(iou))[0]))}: the box gives "
                           "a NaN overlap, which pytracking's analysis refuses; use --protocol official")
    iou = np.where(valid, iou, -1.0)
    center, normalized = center_errors(pred, gt, valid, -1.0 if invalid_center_hit else np.inf)
    if invisible_is_miss:
        center[truth.absent], normalized[truth.absent] = np.inf, np.inf
    return FrameErrors(iou, center, normalized)


def tc128_rule(pred, truth):
    """The TC128 evaluation scripts (``plotSuccPre.m``): carry-forward over rows that are all NaN or have
    w or h <= 0 (MATLAB's vector ``if``), frame 1 := GT, then every frame scored: '+1' IoU with MATLAB's
    NaN-skipping min/max and the plain centre distance, no invalid-ground-truth rule (a NaN is a miss)."""
    gt, first = truth.columns, truth.first
    bad = (all_nan(pred) | (pred[2] <= 0) | (pred[3] <= 0)) & ~any_nan(gt)
    pred = carry_forward(pred, bad, first)
    pred[:, first] = gt[:, first]
    return FrameErrors(iou_plus_one(pred, gt, ignore_nan=True), norm(centers(gt) - centers(pred)))


def got10k_otb_rule(pred, truth, drop_nan_gt, normalized):
    """got10k ``ExperimentOTB`` (+ ``ExperimentUAV123``/GitHub ``ExperimentLaSOT``: ``drop_nan_gt``)."""
    gt = truth.columns
    pred[:, truth.first] = gt[:, truth.first]
    diff = centers(pred) - centers(gt)
    return FrameErrors(
        iou=iou_continuous(pred, gt, GOT10K_EPS), center=norm(diff),
        normalized=norm(diff / np.maximum(1.0, gt[2:])) if normalized else None,
        counted=~any_nan(gt) if drop_nan_gt else None)


def got10k_val_rule(pred, truth, nan_is_miss):
    """got10k ``ExperimentGOT10k`` (val): frame 1 dropped, both boxes clipped, frames with cover > 0.

    The toolkit lets a NaN box turn the AO into NaN; ``nan_is_miss`` scores it as IoU 0 instead.
    """
    iou = iou_continuous(clip_to_image(pred, truth.bound), clip_to_image(truth.columns, truth.bound), GOT10K_EPS)
    if nan_is_miss:
        iou = np.where(np.isnan(iou), 0.0, iou)
    return FrameErrors(iou=iou, counted=~truth.first & (truth.cover > 0))


def pysot_rule(pred, truth, use_absence):
    """pysot-toolkit ``OPEBenchmark``: frame 1 as written, no repair, -1 for invalid ground truth."""
    gt = truth.columns
    iou = np.where(xywh_positive(gt), iou_continuous(pred, gt), -1.0)
    gt_center, pred_center = centers(gt), centers(pred)
    center = np.where((gt_center[0] > 0) & (gt_center[1] > 0), norm(gt_center - pred_center), -1.0)
    size = gt[2:] + 1e-16
    gt_scaled = gt_center / size
    normalized = np.where((gt_scaled[0] > 0) & (gt_scaled[1] > 0), norm(gt_scaled - pred_center / size), -1.0)
    if use_absence:  # pysot keeps only the frames its json flags with absent == 1 (i.e. present)
        iou[truth.absent], center[truth.absent], normalized[truth.absent] = -1.0, np.inf, np.inf
    return FrameErrors(iou, center, normalized)


def trackingnet_rule(pred, truth):
    """TrackingNet devkit ``metrics.py``: everything rounded to integers, frame 1 := GT, '+1' edges.

    pandas' row-wise max/min skip NaN, hence fmax/fmin for the intersection corners.
    """
    gt = np.round(truth.columns)
    pred = np.round(pred)
    pred[:, truth.first] = gt[:, truth.first]
    right_g, bottom_g = gt[0] + gt[2] - 1.0, gt[1] + gt[3] - 1.0
    right_p, bottom_p = pred[0] + pred[2] - 1.0, pred[1] + pred[3] - 1.0
    width = np.maximum(np.round(np.fmin(right_g, right_p) - np.fmax(gt[0], pred[0]) + 1), 0)
    height = np.maximum(np.round(np.fmin(bottom_g, bottom_p) - np.fmax(gt[1], pred[1]) + 1), 0)
    inter = width * height
    iou = inter / (gt[3] * gt[2] + pred[3] * pred[2] - inter)
    dx = (gt[0] + (gt[2] + 1.0) / 2.0) - (pred[0] + (pred[2] + 1.0) / 2.0)
    dy = (gt[1] + (gt[3] + 1.0) / 2.0) - (pred[1] + (pred[3] + 1.0) / 2.0)
    center = np.sqrt(dx * dx + dy * dy)
    normalized = np.sqrt(dx / gt[2] * dx / gt[2] + dy / gt[3] * dy / gt[3])
    covered = (pred[3] + pred[2] + pred[0] + pred[1]) > 0
    return FrameErrors(iou, center, normalized, covered=covered)
