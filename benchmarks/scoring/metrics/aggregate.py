"""From per-frame values to per-sequence counts (RunStats), and from counts to scores and curves."""
from dataclasses import dataclass
from typing import Optional

import numpy as np

from .ground_truth import box_columns
from .lengths import CUT_TRUTH, PAD_MISS, PAD_ZERO, LengthChange
from .rules import FrameErrors

MATLAB_EPS = np.finfo(float).eps  # MATLAB's ``eps`` (sequence filter in plot_draw_save.m)


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


def fit_boxes(protocol, truth, boxes, changes=None):
    """Each sequence's (length, 4) boxes of one run and the (F,) mask of rows added to short files
    (None: none added), after the protocol's length rule (``protocol.lengths``): long files cut or
    refused, short ones padded (zero boxes, or NaN rows that every rule scores as misses), refused,
    or padded with rows that leave the scores (the ground truth is cut to the file). Each sequence
    touched is appended to ``changes`` (a list) as a ``LengthChange``; a refused file raises
    ResultsError. The one place that cuts and pads.
    """
    rule = protocol.lengths
    fill = 0.0 if rule.short == PAD_ZERO else np.nan
    parts, added = [], None
    for index, (name, box, length) in enumerate(zip(truth.names, boxes, truth.lengths)):
        box = np.asarray(box, float).reshape(-1, 4)
        rows, length = len(box), int(length)
        if rows != length:
            rule.refuse(f"sequence {name}", rows, length)
            if changes is not None:
                changes.append(LengthChange(name, rows, length, rule.action(rows, length)))
            if rows < length:
                box = np.vstack([box, np.full((length - rows, 4), fill)])
                if added is None:
                    added = np.zeros(int(truth.lengths.sum()), bool)
                start = int(truth.lengths[:index].sum())
                added[start + rows:start + length] = True
        parts.append(box[:length])
    return parts, added


def fitted_boxes(protocol, truth, boxes):
    """Each sequence's (length, 4) boxes as the length rule scores them (cut, or padded with zero boxes
    or NaN rows), for per-frame views (``fit_boxes``)."""
    return fit_boxes(protocol, truth, boxes)[0]


def evaluate_run(protocol, truth, boxes, times=None, frames=None, changes=None, fitted=None):
    """RunStats of one run: ``boxes`` holds one (K, 4) array per sequence of ``truth``.

    ``times`` optionally holds one array of per-frame seconds per sequence (or None where unknown).
    Sequences are processed in groups of about CHUNK_FRAMES frames, which keeps the temporaries
    in cache (several times faster than whole-dataset arrays). A dict given as ``frames`` is filled
    with what ``frame_values`` returns, from the same pass over the frames; a list given as
    ``changes`` receives the ``LengthChange`` of every sequence the length rule padded or cut, and a
    list given as ``fitted`` each sequence's boxes as scored (``fit_boxes``).
    """
    parts = []
    for part, errors in _chunk_errors(protocol, truth, boxes, changes, fitted):
        parts.append(_count(protocol, part, errors))
        if frames is not None:
            frames.update(_split_errors(part, errors))
    merged = {key: None if parts[0][key] is None else np.concatenate([part[key] for part in parts])
              for key in parts[0]}
    return RunStats(**merged, **_time_stats(times, len(truth.names)))


def frame_values(protocol, truth, boxes):
    """Each sequence's per-frame values after the toolkit's rules, {name: FrameErrors}, for per-frame charts.

    ``boxes`` is as for ``evaluate_run``. Every array has one value per ground-truth frame, under
    the conventions of the package docstring; frames that the rules leave out of the scores
    (``counted`` False: GOT-10k's frame 1 and cover-0 frames, NaN ground-truth rows in got10k's
    LaSOT and UAV123 experiments) hold NaN IoU and errors.
    """
    values = {}
    for part, errors in _chunk_errors(protocol, truth, boxes):
        values.update(_split_errors(part, errors))
    return values


def _split_errors(part, errors):
    """{name: FrameErrors} of the sequences of one group (see ``frame_values``)."""
    cuts = np.cumsum(part.lengths)[:-1]
    split = {}
    for key, array in vars(errors).items():
        if array is not None and errors.counted is not None and key in ("iou", "center", "normalized"):
            array = np.where(errors.counted, array, np.nan)
        split[key] = None if array is None else np.split(array, cuts)
    return {name: FrameErrors(**{key: None if arrays is None else arrays[index] for key, arrays in split.items()})
            for index, name in enumerate(part.names)}


def _chunk_errors(protocol, truth, boxes, changes=None, fitted=None):
    """(GroundTruth, FrameErrors) of each group of sequences of ``truth`` (see evaluate_run)."""
    sequences, added = fit_boxes(protocol, truth, boxes, changes)
    if fitted is not None:
        fitted.extend(sequences)
    pred = box_columns(sequences)
    short = protocol.lengths.short
    for frames, part in truth.chunks():
        with np.errstate(all="ignore"):
            if added is not None and short == PAD_ZERO:
                errors = protocol.frame_rule(pred[:, frames], part, padded=added[frames])
            else:
                errors = protocol.frame_rule(pred[:, frames], part)
        if added is not None and short == PAD_MISS:   # NaN rows: misses whatever the rule makes of them
            lost = added[frames]
            errors.iou = np.where(lost, np.nan, errors.iou)
            for key in ("center", "normalized"):
                if getattr(errors, key) is not None:
                    setattr(errors, key, np.where(lost, np.nan, getattr(errors, key)))
            if errors.covered is not None:
                errors.covered = errors.covered & ~lost
        if added is not None and short == CUT_TRUTH:
            kept = ~added[frames]
            errors.counted = kept if errors.counted is None else errors.counted & kept
        yield part, errors


def _count(protocol, truth, errors):
    """Per-sequence counts (RunStats fields but the times) of one group of sequences."""
    n_seq = len(truth.names)
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


_CURVE_OF = {"AUC": "success", "OP50": "success", "OP75": "success", "P": "precision", "NP": "normalized"}


def score_terms(protocol, stats):
    """Every score but FPS as a ratio of sums over sequences: ``{name: (num, den)}``, (S,) arrays with
    ``summarize``'s score = ``num.sum() / den.sum()`` (up to rounding).

    Sequence-mean scores are means of per-sequence values (each is linear in its curve): ``num`` is
    the sequence's value, ``den`` 1, or 0 for a sequence the MATLAB ranking drops (curve summing to
    0). GOT-10k's pooled AO / SR and TrackingNet's Coverage are frame-weighted: ``num`` the
    sequence's sum (IoUs, hits, covered frames), ``den`` its counted frames. Resampling sequences
    (``benchmarks.scoring.statistics``) then only needs weighted sums of these.
    """
    frames = stats.frames
    terms = {}
    if protocol.pooled:
        terms["AO"] = (stats.iou_sum, frames)
        for name, value in (("SR0.5", 0.5), ("SR0.75", 0.75)):
            terms[name] = (stats.success[:, _index(protocol.success_thresholds, value)].astype(float), frames)
    else:
        ratios = {name: _ratio(getattr(stats, name), frames)
                  for name in ("success", "precision", "normalized") if getattr(stats, name) is not None}
        with np.errstate(invalid="ignore"):
            kept = {name: (values.sum(1) > MATLAB_EPS) if protocol.drop_empty_sequences else np.ones(len(frames), bool)
                    for name, values in ratios.items()}
        for name, values in curve_scores(protocol, **ratios).items():
            keep = kept[_CURVE_OF[name]]
            terms[name] = (np.where(keep, values, 0.0), keep.astype(float))
        if stats.covered is not None:
            terms["Coverage"] = (stats.covered, frames)
    return {name: terms[name] for name in protocol.metrics if name in terms}


def per_sequence(protocol, stats):
    """Each sequence's scores (fractions, arrays of length S): AO/SR for GOT-10k, AUC/P/NP otherwise."""
    curves = {name: _ratio(getattr(stats, name), stats.frames)
              for name in ("success", "precision", "normalized") if getattr(stats, name) is not None}
    scores = curve_scores(protocol, **curves)
    if protocol.pooled:
        with np.errstate(all="ignore"):
            scores = {"AO": stats.iou_sum / stats.frames, **scores}
    return scores
