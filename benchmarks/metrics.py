"""Benchmark metrics: each toolkit's per-frame rules, vectorised over every frame of every sequence.

Why one rule set per toolkit: the official numbers of the benchmarks come from different code (the
LaSOT/TNL2K and OTB MATLAB toolkits, the GOT-10k toolkit, the TrackingNet devkit) and papers quote
pytracking or pysot. They disagree on frame 1, absent frames, invalid boxes, thresholds, rounding and
averaging, so a number is only comparable with numbers computed under the same rules. A ``Protocol``
is one toolkit's rules for one dataset (see ``get_protocol``); ``evaluate_run`` turns the boxes of one
run into per-sequence counts (``RunStats``) from which ``summarize`` derives the scores of any subset
of sequences, and ``per_sequence`` the score of each sequence. docs/evaluation.md lists the rules.

Per-frame conventions used by every rule: a frame counts as a success miss when its IoU is -1 or NaN,
as a precision miss when its centre error is +inf or NaN, and as a precision hit at every threshold
when its error is -1 (the OTB/LaSOT MATLAB treatment of invalid ground truth).
"""
from dataclasses import dataclass, field
from functools import partial
from typing import Callable, Optional

import numpy as np

from simtrack.errors import ConfigError, DatasetError, ResultsError

PROTOCOLS = ("official", "pytracking", "stark", "got10k", "pysot")

# Dataset key -> evaluation family (which official toolkit applies).
FAMILIES = {
    "lasot": "lasot", "lasot_ext": "lasot", "tnl2k": "lasot", "demo": "lasot",
    "otb100": "otb", "nfs": "otb", "folder": "otb",
    "uav123": "uav",
    "got10k_val": "got10k",
    "trackingnet": "trackingnet",
}
NO_GROUND_TRUTH = {"got10k_test": "got10k_test", "trackingnet_test": "trackingnet"}

MATLAB_EPS = np.finfo(float).eps  # MATLAB's ``eps`` (sequence filter in plot_draw_save.m)
GOT10K_EPS = np.finfo(float).eps  # added to the union by got10k's rect_iou
CHUNK_FRAMES = 1 << 15  # frames per group of sequences processed together (cache-sized temporaries)


def matlab_colon(start, step, stop):
    """The values of MATLAB's ``start:step:stop`` (filled symmetrically from both ends, as MATLAB does).

    They differ from ``np.arange`` in the last bit for some entries, which decides ties such as an
    IoU of exactly 0.55 against the 0.55 threshold.
    """
    n = int(round((stop - start) / step))
    tol = 2.0 * np.finfo(float).eps * max(abs(start), abs(stop))
    if start + n * step - stop > tol:
        n -= 1
    end = start + n * step
    if end - stop > -tol:
        end = stop
    out = np.empty(n + 1)
    half = np.arange(n // 2 + 1)
    out[half] = start + half * step
    out[n - half] = end - half * step
    if n % 2 == 0:
        out[n // 2] = (start + end) / 2
    return out


# torch.arange(0.0, 1.05, 0.05, dtype=torch.float64) as computed by torch (pytracking's overlap
# thresholds); entries 13 and 15 differ from np.arange in the last bit.
PYTRACKING_OVERLAP = np.array([
    0.0, 0.05, 0.1, 0.15000000000000002, 0.2, 0.25, 0.30000000000000004, 0.35000000000000003, 0.4,
    0.45, 0.5, 0.55, 0.6000000000000001, 0.6500000000000001, 0.7000000000000001, 0.7500000000000001,
    0.8, 0.8500000000000001, 0.9, 0.9500000000000001, 1.0])
PIXELS_0_50 = np.arange(51, dtype=float)
NORMALIZED_0_050 = np.arange(51) / 100.0


@dataclass(eq=False)
class GroundTruth:
    """Ground truth of all sequences concatenated frame after frame, built once per dataset."""

    names: list
    lengths: np.ndarray     # (S,) frames per sequence
    columns: np.ndarray     # (4, F) rows x, y, w, h
    seq_id: np.ndarray      # (F,) sequence index of each frame
    first: np.ndarray       # (F,) True on the first frame of each sequence
    absent: np.ndarray      # (F,) True where the dataset flags the target absent
    cover: Optional[np.ndarray] = None   # (F,) GOT-10k visible-ratio level 0-8
    bound: Optional[np.ndarray] = None   # (2, F) image width and height
    chunk_frames: int = field(default=CHUNK_FRAMES, repr=False)  # frames per group (see evaluate_run)
    _chunks: Optional[list] = field(default=None, init=False, repr=False)

    @classmethod
    def from_sequences(cls, sequences, needs_cover=False):
        """Concatenate ``Sequence`` records; refuse test splits and, for GOT-10k rules, missing meta."""
        if not sequences:
            raise DatasetError("no sequences to evaluate: the dataset or the --sequences selection is empty")
        for seq in sequences:
            if not seq.fully_annotated or len(seq.boxes) == 0:
                raise DatasetError(
                    f"sequence {seq.name} of {seq.dataset} has ground truth for {len(seq.boxes)} of "
                    f"{len(seq)} frames (a test split); evaluate it on the benchmark server instead: "
                    f"python -m benchmarks.submit --dataset {seq.dataset} --tracker-name NAME")
        lengths = np.array([len(seq.boxes) for seq in sequences])
        _check_lengths(sequences, lengths, "absent flags", lambda seq: seq.absent)
        starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
        first = np.zeros(lengths.sum(), bool)
        first[starts] = True
        absent = np.concatenate([np.zeros(n, bool) if seq.absent is None else np.asarray(seq.absent, bool)[:n]
                                 for seq, n in zip(sequences, lengths)])
        truth = cls(names=[seq.name for seq in sequences], lengths=lengths,
                    columns=_columns(seq.boxes for seq in sequences),
                    seq_id=np.repeat(np.arange(len(sequences)), lengths), first=first, absent=absent)
        if needs_cover:
            truth.cover, truth.bound = _got10k_meta(sequences, lengths)
        return truth

    def chunks(self):
        """(frame slice, GroundTruth of those sequences) groups of whole sequences, ~chunk_frames each."""
        if self._chunks is None:
            ends = np.cumsum(self.lengths)
            groups, first_seq = [], 0
            while first_seq < len(self.names):
                start = ends[first_seq] - self.lengths[first_seq]
                last = max(first_seq + 1, int(np.searchsorted(ends, start + self.chunk_frames, side="right")))
                groups.append(self._part(first_seq, last, int(start), int(ends[last - 1])))
                first_seq = last
            self._chunks = groups
        return self._chunks

    def _part(self, first_seq, last_seq, start, end):
        frames = slice(start, end)
        part = GroundTruth(self.names[first_seq:last_seq], self.lengths[first_seq:last_seq],
                           self.columns[:, frames], self.seq_id[frames] - first_seq, self.first[frames],
                           self.absent[frames], None if self.cover is None else self.cover[frames],
                           None if self.bound is None else self.bound[:, frames])
        return frames, part

    def frame_name(self, index):
        """'sequence frame k' (1-based) for a concatenated frame index, for error messages."""
        seq = int(self.seq_id[index])
        start = int(self.lengths[:seq].sum())
        return f"sequence {self.names[seq]} frame {index - start + 1}"


def _columns(arrays):
    """(4, F) contiguous x, y, w, h rows from (K, 4) arrays."""
    return np.concatenate([np.asarray(boxes, float).reshape(-1, 4).T for boxes in arrays], axis=1)


def _check_lengths(sequences, lengths, what, values):
    short = [seq.name for seq, n in zip(sequences, lengths) if values(seq) is not None and len(values(seq)) < n]
    if short:
        raise DatasetError(f"{what} shorter than the ground truth for sequence(s) {', '.join(short[:10])}; "
                           "expected one value per frame")


def _got10k_meta(sequences, lengths):
    missing = [seq.name for seq in sequences if "cover" not in seq.meta or "image_size" not in seq.meta]
    if missing:
        raise DatasetError(
            f"GOT-10k rules need meta['cover'] (cover.label) and meta['image_size'] (meta_info.ini "
            f"resolution) for every sequence; missing for {', '.join(missing[:10])}"
            + (f" and {len(missing) - 10} more" if len(missing) > 10 else ""))
    _check_lengths(sequences, lengths, "GOT-10k cover labels", lambda seq: seq.meta["cover"])
    cover = np.concatenate([np.asarray(seq.meta["cover"], float)[:n] for seq, n in zip(sequences, lengths)])
    bound = np.repeat(np.array([seq.meta["image_size"] for seq in sequences], float).T, lengths, axis=1)
    return cover, bound


@dataclass(eq=False)
class FrameErrors:
    """Per-frame values of one run after a toolkit's rules (conventions in the module docstring)."""

    iou: np.ndarray
    center: Optional[np.ndarray] = None
    normalized: Optional[np.ndarray] = None
    counted: Optional[np.ndarray] = None   # frames in numerator and denominator; None = every frame
    covered: Optional[np.ndarray] = None   # TrackingNet "coverage" flags


# ----------------------------------------------------------------------------------------------
# Box geometry on (4, F) arrays (rows x, y, w, h: contiguous, hence fast), in the arithmetic order
# of each toolkit so that results are bit-identical to it, not merely close.

def _centers(boxes):
    return boxes[:2] + (boxes[2:] - 1) / 2


def _norm(diff):
    return np.sqrt(diff[0] ** 2 + diff[1] ** 2)


def _any_nan(boxes):
    return np.isnan(boxes[0]) | np.isnan(boxes[1]) | np.isnan(boxes[2]) | np.isnan(boxes[3])


def _all_positive(boxes):
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


def _center_errors(pred, gt, valid, invalid_center):
    """Centre distance and LaSOT-normalised distance (centres divided by the GT size, then subtracted),
    as the MATLAB toolkit and pytracking compute them; invalid frames get ``invalid_center`` and -1."""
    pred_center, gt_center = _centers(pred), _centers(gt)
    center = np.where(valid, _norm(pred_center - gt_center), invalid_center)
    pred_center /= gt[2:]
    gt_center /= gt[2:]
    return center, np.where(valid, _norm(pred_center - gt_center), -1.0)


def _carry_forward(pred, replace, first):
    """Replace flagged frames by the last unflagged frame of the same sequence (the MATLAB loop).

    Frame 1 is never replaced, so the copy never crosses into the previous sequence.
    """
    replace = replace & ~first
    if not replace.any():
        return pred
    index = np.arange(pred.shape[1])
    return pred[:, np.maximum.accumulate(np.where(replace, 0, index))]


# ----------------------------------------------------------------------------------------------
# Per-frame rules, one function per toolkit. Each takes the (4, F) predictions of all sequences,
# which it may modify in place (evaluate_run hands over a fresh array).

def matlab_rule(pred, truth, use_absence):
    """LaSOT/TNL2K and OTB/UAV123 MATLAB toolkits (calc_seq_err_robust.m)."""
    gt, first = truth.columns, truth.first
    bad = _any_nan(pred) | (pred[2] <= 0) | (pred[3] <= 0)
    pred = _carry_forward(pred, bad & ~_any_nan(gt), first)
    pred[:, first] = gt[:, first]
    valid = _all_positive(gt)
    iou = np.where(valid, iou_plus_one(pred, gt, ignore_nan=True), -1.0)
    center, normalized = _center_errors(pred, gt, valid, -1.0)
    if use_absence:  # removed from the arrays, kept in the denominator: a miss for every curve
        iou[truth.absent], center[truth.absent], normalized[truth.absent] = -1.0, np.inf, np.inf
    return FrameErrors(iou, center, normalized)


def pytracking_rule(pred, truth, all_positive, visibility, invisible_is_miss, invalid_center_hit):
    """pytracking ``calc_seq_err_robust`` (and the STARK/OSTrack/SimTrack copy: ``all_positive=False``)."""
    gt, first = truth.columns, truth.first
    broken = _any_nan(pred) | (pred[2] < 0) | (pred[3] < 0)
    if broken.any():
        raise ResultsError(
            f"{truth.frame_name(int(np.argmax(broken)))}: the box has NaN or a negative size, which "
            "pytracking's analysis refuses ('Invalid results'); use --protocol official, whose rules "
            "carry the previous box forward")
    pred = _carry_forward(pred, ((pred[2] == 0) | (pred[3] == 0)) & ~_any_nan(gt), first)
    pred[:, first] = gt[:, first]
    valid = _all_positive(gt) if all_positive else (gt[2] > 0) & (gt[3] > 0)
    if visibility:
        valid &= ~truth.absent
    iou = iou_plus_one(pred, gt)
    if np.isnan(iou[valid]).any():
        raise ResultsError(f"{truth.frame_name(int(np.flatnonzero(valid & np.isnan(iou))[0]))}: the box gives "
                           "a NaN overlap, which pytracking's analysis refuses; use --protocol official")
    iou = np.where(valid, iou, -1.0)
    center, normalized = _center_errors(pred, gt, valid, -1.0 if invalid_center_hit else np.inf)
    if invisible_is_miss:
        center[truth.absent], normalized[truth.absent] = np.inf, np.inf
    return FrameErrors(iou, center, normalized)


def got10k_otb_rule(pred, truth, drop_nan_gt, normalized):
    """got10k ``ExperimentOTB`` (+ ``ExperimentUAV123``/GitHub ``ExperimentLaSOT``: ``drop_nan_gt``)."""
    gt = truth.columns
    pred[:, truth.first] = gt[:, truth.first]
    diff = _centers(pred) - _centers(gt)
    return FrameErrors(
        iou=iou_continuous(pred, gt, GOT10K_EPS), center=_norm(diff),
        normalized=_norm(diff / np.maximum(1.0, gt[2:])) if normalized else None,
        counted=~_any_nan(gt) if drop_nan_gt else None)


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
    iou = np.where(_all_positive(gt), iou_continuous(pred, gt), -1.0)
    gt_center, pred_center = _centers(gt), _centers(pred)
    center = np.where((gt_center[0] > 0) & (gt_center[1] > 0), _norm(gt_center - pred_center), -1.0)
    size = gt[2:] + 1e-16
    gt_scaled = gt_center / size
    normalized = np.where((gt_scaled[0] > 0) & (gt_scaled[1] > 0), _norm(gt_scaled - pred_center / size), -1.0)
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


# ----------------------------------------------------------------------------------------------
# Protocols: which rule, thresholds and scoring each toolkit applies to each dataset family.

@dataclass(frozen=True, eq=False)
class Protocol:
    """One toolkit's rules for one dataset."""

    key: str                      # one of PROTOCOLS
    dataset: str
    description: str
    frame_rule: Callable
    success_thresholds: np.ndarray
    precision_thresholds: Optional[np.ndarray] = None
    normalized_thresholds: Optional[np.ndarray] = None
    success_inclusive: bool = False   # IoU >= t (TrackingNet) instead of IoU > t
    pooled: bool = False              # GOT-10k: frames of all sequences pooled (AO, SR)
    trapezoid: bool = False           # TrackingNet: scores are trapezoid areas over [0, 1]
    normalized_mean: bool = False     # got10k ExperimentLaSOT: NP = mean of its 0-0.5 curve
    drop_empty_sequences: bool = False  # MATLAB ranking ignores sequences whose curve sums to 0
    allow_longer: bool = True         # results longer than the ground truth are cut
    speed: str = "frames_per_second"  # or "got10k_sequence_mean" / "got10k_pooled"
    needs_cover: bool = False

    @property
    def metrics(self):
        """Score names in report order."""
        if self.pooled:
            return ["AO", "SR0.5", "SR0.75", "FPS"]
        names = ["AUC"]
        if self.precision_thresholds is not None:
            names.append("P")
        if self.normalized_thresholds is not None:
            names.append("NP")
        names += ["Coverage"] if self.trapezoid else ["OP50", "OP75"]
        return names + ["FPS"]

    @property
    def main_metric(self):
        return "AO" if self.pooled else "AUC"


def get_protocol(dataset, protocol=None):
    """The Protocol for a dataset key under ``protocol`` (default ``official``)."""
    key = protocol or "official"
    if key not in PROTOCOLS:
        raise ConfigError(f"unknown protocol {key!r}; choose one of {', '.join(PROTOCOLS)}")
    if dataset in NO_GROUND_TRUTH:
        raise ConfigError(f"{dataset} has no public ground truth, so it cannot be evaluated locally; build the "
                          f"server zip with python -m benchmarks.submit --dataset {NO_GROUND_TRUTH[dataset]}")
    base = base_dataset(dataset)
    if base is None:
        raise ConfigError(f"no evaluation protocol for dataset {dataset!r}; known: {', '.join(sorted(FAMILIES))} "
                          "(and their labelled splits, e.g. trackingnet_train_0, got10k_train, lasot_train)")
    return _BUILDERS[key](dataset, base)


def base_dataset(dataset):
    """The benchmark a dataset key belongs to: itself, or the prefix of a split key (``trackingnet_train_0``)."""
    if dataset in FAMILIES:
        return dataset
    if dataset.startswith("got10k_"):  # labelled GOT-10k splits (train, vottrain...) carry val's labels
        return "got10k_val"
    return next((base for base in sorted(FAMILIES, key=len, reverse=True) if dataset.startswith(base + "_")), None)


def _official(dataset, base):
    family = FAMILIES[base]
    if family == "got10k":
        return Protocol("official", dataset, "GOT-10k toolkit rules (frame 1 dropped, boxes clipped to the image, "
                        "cover > 0, frames of all sequences and runs pooled; NaN boxes count as IoU 0)",
                        partial(got10k_val_rule, nan_is_miss=True), np.linspace(0, 1, 101),
                        pooled=True, allow_longer=False, needs_cover=True)
    if family == "trackingnet":
        return Protocol("official", dataset, "TrackingNet devkit rules (coordinates rounded, IoU >= t, "
                        "trapezoid areas over 21 thresholds)", trackingnet_rule, np.linspace(0, 1, 21),
                        np.linspace(0, 50, 21), np.linspace(0, 0.5, 21), success_inclusive=True, trapezoid=True)
    lasot = family == "lasot"
    toolkit = "LaSOT/TNL2K MATLAB toolkit rules (absent frames are misses" if lasot else \
        "OTB MATLAB toolkit rules (invalid ground truth: success miss, precision hit"
    return Protocol("official", dataset, toolkit + "; frame 1 = GT; invalid boxes carry the previous box; "
                    "AUC = mean of 21 thresholds, P at 20 px, NP at 0.20)",
                    partial(matlab_rule, use_absence=lasot), matlab_colon(0, 0.05, 1), PIXELS_0_50,
                    NORMALIZED_0_050, drop_empty_sequences=True)


def _pytracking(dataset, base, stark=False):
    name = "STARK/OSTrack/SimTrack analysis rules (GT valid when w, h > 0" if stark else \
        "pytracking analysis rules (GT valid when x, y, w, h > 0"
    rule = partial(pytracking_rule, all_positive=not stark, visibility=base in ("lasot", "lasot_ext", "demo"),
                   invisible_is_miss=base in ("lasot", "demo"), invalid_center_hit=base == "uav123")
    return Protocol("stark" if stark else "pytracking", dataset,
                    name + "; frame 1 = GT; zero-size boxes carry the previous box; NaN boxes refused)",
                    rule, PYTRACKING_OVERLAP, PIXELS_0_50, NORMALIZED_0_050)


def _got10k(dataset, base):
    family = FAMILIES[base]
    if family == "got10k":
        return Protocol("got10k", dataset, "got10k 0.1.3 ExperimentGOT10k (val) literally: a NaN box makes AO NaN",
                        partial(got10k_val_rule, nan_is_miss=False), np.linspace(0, 1, 101), pooled=True,
                        allow_longer=False, speed="got10k_pooled", needs_cover=True)
    lasot = family == "lasot"
    name = ("got10k ExperimentLaSOT (GitHub HEAD): NaN GT rows dropped, NP = mean of the 0-0.5 curve" if lasot else
            "got10k ExperimentUAV123: NaN GT rows dropped" if family == "uav" else
            "got10k 0.1.3 ExperimentOTB: frame 1 = GT, no repair, IoU with eps")
    return Protocol("got10k", dataset, name,
                    partial(got10k_otb_rule, drop_nan_gt=lasot or family == "uav", normalized=lasot),
                    np.linspace(0, 1, 21), PIXELS_0_50, np.linspace(0, 0.5, 51) if lasot else None,
                    normalized_mean=lasot, allow_longer=lasot, speed="got10k_sequence_mean")


def _pysot(dataset, base):
    lasot = FAMILIES[base] == "lasot"
    return Protocol("pysot", dataset, "pysot-toolkit OPEBenchmark rules (frame 1 as written, no repair"
                    + (", absent frames are misses)" if lasot else ")"),
                    partial(pysot_rule, use_absence=lasot), np.arange(0, 1.05, 0.05), np.arange(0, 51, 1.0),
                    np.arange(0, 51, 1) / 100, allow_longer=False)


_BUILDERS = {"official": _official, "pytracking": _pytracking, "stark": partial(_pytracking, stark=True),
             "got10k": _got10k, "pysot": _pysot}


# ----------------------------------------------------------------------------------------------
# From per-frame values to per-sequence counts and scores.

@dataclass(eq=False)
class RunStats:
    """Per-sequence counts of one run of one tracker; every score derives from these."""

    frames: np.ndarray                 # (S,) frames in the denominator
    success: np.ndarray                # (S, T) frames passing each overlap threshold
    precision: Optional[np.ndarray]    # (S, T) frames within each pixel threshold
    normalized: Optional[np.ndarray]   # (S, T) frames within each normalised threshold
    iou_sum: np.ndarray                # (S,) sum of counted IoUs (AO)
    covered: Optional[np.ndarray]      # (S,) TrackingNet covered frames
    time_count: np.ndarray             # (S,) finite positive per-frame times
    time_sum: np.ndarray               # (S,) their sum (seconds)
    inv_count: np.ndarray              # (S,) times got10k keeps (not NaN, > 0)
    inv_sum: np.ndarray                # (S,) sum of 1 / t over those

    def subset(self, select):
        return RunStats(**{key: None if value is None else value[select] for key, value in vars(self).items()})


def threshold_buckets(thresholds, values, side):
    """``np.searchsorted(thresholds, values, side)`` for evenly spaced thresholds, ~3x faster.

    The bucket is guessed from the spacing, then corrected with exact comparisons against its two
    neighbouring thresholds (floating-point error moves a guess by at most one bucket).
    """
    count = len(thresholds)
    step = (thresholds[-1] - thresholds[0]) / (count - 1)
    if not np.allclose(np.diff(thresholds), step, rtol=1e-6, atol=0):
        return np.searchsorted(thresholds, values, side)
    guess = np.floor((values - thresholds[0]) / step)
    np.clip(guess + 1, 0, count, out=guess)
    guess = guess.astype(np.intp)
    padded = np.concatenate([[-np.inf], thresholds, [np.inf]])  # padded[g] = thresholds[g - 1]
    below, above = padded[guess], padded[guess + 1]
    if side == "left":   # thresholds strictly below the value
        guess -= below >= values
        guess += above < values
    else:                # thresholds below or equal to the value
        guess -= below > values
        guess += above <= values
    return np.clip(guess, 0, count, out=guess)


def count_curve(values, seq_id, n_seq, thresholds, test):
    """(S, T) number of frames per sequence passing each threshold; NaN never passes.

    ``test`` is 'gt' (value > t), 'ge' (value >= t) or 'le' (value <= t). Buckets every value by
    the number of thresholds below it and counts buckets per sequence with one bincount, instead
    of building an (F, T) comparison matrix.
    """
    size = len(thresholds) + 1
    if test == "le":
        bucket = threshold_buckets(thresholds, np.where(np.isnan(values), np.inf, values), "left")
    else:
        bucket = threshold_buckets(thresholds, np.where(np.isnan(values), -np.inf, values),
                                   "left" if test == "gt" else "right")
    hist = np.bincount(seq_id * size + bucket, minlength=n_seq * size).reshape(n_seq, size)
    if test == "le":  # passes threshold j when its bucket (thresholds below the value) is <= j
        return np.cumsum(hist, 1)[:, :-1]
    return np.cumsum(hist[:, ::-1], 1)[:, ::-1][:, 1:]  # passes j when more than j thresholds lie below


def fit_boxes(protocol, truth, boxes):
    """(4, F) boxes of one run, cutting results longer than the ground truth where the toolkit does."""
    parts = []
    for name, box, length in zip(truth.names, boxes, truth.lengths):
        box = np.asarray(box, float).reshape(-1, 4)
        if len(box) < length or (len(box) > length and not protocol.allow_longer):
            raise ResultsError(f"sequence {name}: {len(box)} boxes for {length} ground-truth frames "
                               f"({protocol.key} rules need {'at least' if protocol.allow_longer else 'exactly'} "
                               f"one box per frame)")
        parts.append(box[:length])
    return _columns(parts)


def evaluate_run(protocol, truth, boxes, times=None):
    """RunStats of one run: ``boxes`` holds one (K, 4) array per sequence of ``truth``.

    ``times`` optionally holds one array of per-frame seconds per sequence (or None where unknown).
    Sequences are processed in groups of about CHUNK_FRAMES frames, which keeps the temporaries
    in cache (several times faster than whole-dataset arrays).
    """
    pred = fit_boxes(protocol, truth, boxes)
    parts = [_count(protocol, part, pred[:, frames]) for frames, part in truth.chunks()]
    merged = {key: None if parts[0][key] is None else np.concatenate([part[key] for part in parts])
              for key in parts[0]}
    return RunStats(**merged, **_time_stats(times, len(truth.names)))


def _count(protocol, truth, pred):
    """Per-sequence counts (RunStats fields but the times) of one group of sequences."""
    n_seq = len(truth.names)
    with np.errstate(all="ignore"):
        errors = protocol.frame_rule(pred, truth)
    keep = errors.counted
    seq_id = truth.seq_id if keep is None else truth.seq_id[keep]

    def select(values):
        return values if keep is None or values is None else values[keep]

    def curve(values, thresholds, test):
        return None if values is None or thresholds is None else \
            count_curve(select(values), seq_id, n_seq, thresholds, test)

    iou = select(errors.iou)
    return dict(
        frames=np.bincount(seq_id, minlength=n_seq).astype(float),
        success=curve(errors.iou, protocol.success_thresholds, "ge" if protocol.success_inclusive else "gt"),
        precision=curve(errors.center, protocol.precision_thresholds, "le"),
        normalized=curve(errors.normalized, protocol.normalized_thresholds, "le"),
        iou_sum=np.bincount(seq_id, weights=iou, minlength=n_seq),
        covered=None if errors.covered is None else np.bincount(seq_id, weights=select(errors.covered),
                                                                 minlength=n_seq))


def _time_stats(times, n_seq):
    stats = {key: np.zeros(n_seq) for key in ("time_count", "time_sum", "inv_count", "inv_sum")}
    for index, seconds in enumerate(times or []):
        if seconds is None:
            continue
        seconds = np.asarray(seconds, float).ravel()
        usable = np.isfinite(seconds) & (seconds > 0)
        stats["time_count"][index] = usable.sum()
        stats["time_sum"][index] = seconds[usable].sum()
        with np.errstate(divide="ignore"):
            kept = seconds[~np.isnan(seconds) & (seconds > 0)]
            stats["inv_count"][index] = len(kept)
            stats["inv_sum"][index] = (1.0 / kept).sum()
    return stats


def _ratio(counts, frames):
    with np.errstate(all="ignore"):
        return counts / frames[:, None]


def _index(thresholds, value):
    return int(np.argmin(np.abs(np.asarray(thresholds) - value)))


def curve_scores(protocol, success, precision=None, normalized=None):
    """Scores read off curves: (T,) mean curves, or (S, T) per-sequence curves (thresholds last)."""
    def area(curve):
        if protocol.trapezoid:
            return np.trapezoid(curve, x=np.linspace(0, 1, curve.shape[-1]), axis=-1)
        return np.mean(curve, axis=-1)

    def at(curve, thresholds, value):
        return curve[..., _index(thresholds, value)]

    if protocol.pooled:
        return {"SR0.5": at(success, protocol.success_thresholds, 0.5),
                "SR0.75": at(success, protocol.success_thresholds, 0.75)}
    scores = {"AUC": area(success)}
    if precision is not None:
        scores["P"] = area(precision) if protocol.trapezoid else at(precision, protocol.precision_thresholds, 20)
    if normalized is not None:
        scores["NP"] = area(normalized) if protocol.trapezoid or protocol.normalized_mean else \
            at(normalized, protocol.normalized_thresholds, 0.2)
    if not protocol.trapezoid:
        scores["OP50"] = at(success, protocol.success_thresholds, 0.5)
        scores["OP75"] = at(success, protocol.success_thresholds, 0.75)
    return scores


def mean_curves(protocol, stats):
    """Curves averaged the toolkit's way: over sequences, or pooled over frames (GOT-10k)."""
    curves = {}
    with np.errstate(all="ignore"):
        for name in ("success", "precision", "normalized"):
            counts = getattr(stats, name)
            if counts is None:
                continue
            if protocol.pooled:
                curves[name] = counts.sum(0) / stats.frames.sum()
                continue
            ratios = _ratio(counts, stats.frames)
            if protocol.drop_empty_sequences:
                ratios = ratios[ratios.sum(1) > MATLAB_EPS]
            curves[name] = ratios.mean(0) if len(ratios) else np.full(counts.shape[1], np.nan)
    return curves


def summarize(protocol, stats, select=None):
    """(scores, curves) of one run, on all sequences or on those picked by ``select`` (mask or indices).

    Scores are fractions (FPS in frames per second; NaN where the run has no timing).
    """
    if select is not None:
        stats = stats.subset(select)
    curves = mean_curves(protocol, stats)
    scores = curve_scores(protocol, **curves)
    with np.errstate(all="ignore"):
        if protocol.pooled:
            scores["AO"] = stats.iou_sum.sum() / stats.frames.sum()
        if stats.covered is not None:
            scores["Coverage"] = stats.covered.sum() / stats.frames.sum()
    scores["FPS"] = speed(protocol, stats)
    return {name: float(scores[name]) for name in protocol.metrics}, curves


def speed(protocol, stats):
    """Tracking speed: frames / total seconds, or got10k's mean-of-1/t conventions."""
    with np.errstate(all="ignore"):
        if protocol.speed == "got10k_pooled":
            return stats.inv_sum.sum() / stats.inv_count.sum() if stats.inv_count.sum() else np.nan
        if protocol.speed == "got10k_sequence_mean":
            per_sequence = np.where(stats.inv_count > 0, stats.inv_sum / stats.inv_count, 0.0)
            timed = np.count_nonzero(per_sequence)
            return per_sequence.sum() / timed if timed else np.nan
        return stats.time_count.sum() / stats.time_sum.sum() if stats.time_sum.sum() > 0 else np.nan


def per_sequence(protocol, stats):
    """Each sequence's scores (fractions, arrays of length S): AO/SR for GOT-10k, AUC/P/NP otherwise."""
    curves = {name: _ratio(getattr(stats, name), stats.frames)
              for name in ("success", "precision", "normalized") if getattr(stats, name) is not None}
    scores = curve_scores(protocol, **curves)
    if protocol.pooled:
        with np.errstate(all="ignore"):
            scores = {"AO": stats.iou_sum / stats.frames, **scores}
    return scores
