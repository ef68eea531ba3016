"""How sure a number is: bootstrap intervals over sequences, and paired comparisons of trackers.

Two trackers 0.3 AUC apart on 100 sequences are often the same tracker. Sequences are the unit: a
benchmark is a sample of videos, and a score is an average over them (or, for GOT-10k, a ratio of
sums over them). Everything here works on the per-sequence terms ``metrics.score_terms`` gives
(already in memory after scoring), never on frames, which are correlated within a video.

* **Interval of a score**: percentile bootstrap over sequences. ``B`` resamples of ``S`` sequence
  indices are drawn once, ``np.random.default_rng(seed).integers(0, S, size=(B, S))``, and shared by
  every tracker and every score (which also makes differences paired). A resample's score is the
  score's ratio of sums over the drawn sequences, ``sum(w * num) / sum(w * den)`` with ``w`` how often
  each sequence was drawn: the mean of per-sequence values for AUC, P, NP, OP50, OP75; the
  frame-weighted ratio for GOT-10k's AO / SR and TrackingNet's Coverage (whole sequences resampled,
  every run of a sequence with it). Trackers with several runs: the resample's score is the mean over
  runs of each run's. The interval is ``np.percentile(scores, [100 a / 2, 100 (1 - a / 2)])`` with
  ``a = 1 - confidence`` (numpy's default, linear).
* **Paired comparison of A and B**: the difference of their scores, a percentile interval of the
  difference from the same resamples, and a two-sided sign-flip (paired permutation) test: under
  "A and B are exchangeable on each sequence", each sequence's pair of terms is swapped with
  probability 1/2 (``rng.integers(0, 2, size=(B, S))`` drawn after the indices; all 2**S patterns when
  2**S <= B, an exact test), and ``p = (1 + #{|d*| >= |d|}) / (B + 1)`` (``#{...} / 2**S`` when exact).
  A tracker against itself gives a difference of 0, the interval [0, 0] and p = 1. With several pairs
  the Holm-adjusted p-values are given too.

docs/evaluation.md describes the method, its assumptions and what to cite.
"""
import math
from dataclasses import dataclass, field
from itertools import combinations
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from simtrack.errors import ConfigError

from . import metrics

DEFAULT_RESAMPLES = 1000
DEFAULT_CONFIDENCE = 0.95
DEFAULT_SEED = 0
TIE_TOLERANCE = 1e-12   # |d*| >= |d| - this counts as a tie (sums taken in another order differ in the last bits)


@dataclass(frozen=True)
class StatisticsSettings:
    """How intervals and comparisons are computed: ``resamples`` bootstrap resamples (0: none),
    ``confidence`` level, ``seed``; ``compare``: None (no comparison), () (every pair of trackers), one
    name (it against every other tracker) or several names (every pair among them); ``bands``: also
    the pointwise interval of every curve (for the plots)."""

    resamples: int = DEFAULT_RESAMPLES
    confidence: float = DEFAULT_CONFIDENCE
    seed: int = DEFAULT_SEED
    compare: Optional[Tuple[str, ...]] = None
    bands: bool = False

    def __post_init__(self):
        if self.resamples < 0:
            raise ConfigError(f"bootstrap resamples must be 0 (no intervals) or more, got {self.resamples}")
        if not 0 < self.confidence < 1:
            raise ConfigError(f"confidence must lie between 0 and 1 (e.g. 0.95), got {self.confidence}")

    def describe(self):
        """One sentence for captions and reports."""
        if not self.resamples:
            return "no intervals (--bootstrap 0)"
        return (f"[low, high]: {100 * self.confidence:g} % percentile bootstrap interval over sequences "
                f"({self.resamples} resamples, seed {self.seed})")


@dataclass
class Comparison:
    """A against B on one score (fractions): A's and B's scores, the difference A - B with its
    bootstrap interval, the sign-flip test's p-value (and Holm's adjustment over the pairs)."""

    first: str
    second: str
    metric: str
    first_score: float
    second_score: float
    difference: float
    low: float
    high: float
    p_value: float
    p_holm: float
    sequences: int
    exact: bool      # the p-value enumerates every sign pattern


@dataclass
class Statistics:
    """The intervals ({tracker: {score: (low, high)}}, fractions) and comparisons of one evaluation;
    ``bands`` {tracker: {curve: (low (T,), high (T,))}} when asked for."""

    settings: StatisticsSettings
    sequences: int
    intervals: Dict[str, Dict[str, Tuple[float, float]]] = field(default_factory=dict)
    comparisons: List[Comparison] = field(default_factory=list)
    bands: Optional[Dict[str, Dict[str, Tuple[np.ndarray, np.ndarray]]]] = None


def weighted_sums(weights, columns):
    """(B, K) = weights (B, S) times columns (S, K), in numpy's own loops: BLAS would start its threads
    for these small products, which costs more than the product on a busy machine."""
    return np.einsum("bs,sk->bk", weights, columns)


def resample_counts(n_seq, resamples, rng):
    """(B, S) float matrix: how often each sequence is drawn in each resample (one bincount); ``rng``
    (a numpy Generator) also draws what follows, so it is the caller's."""
    index = rng.integers(0, n_seq, size=(resamples, n_seq))
    rows = np.arange(resamples)[:, None] * n_seq
    return np.bincount((index + rows).ravel(), minlength=resamples * n_seq).reshape(resamples, n_seq).astype(float)


def percentile_interval(values, confidence):
    """(low, high) along axis 0: numpy's linear percentiles at (1 -+ confidence) / 2."""
    alpha = 100 * (1 - confidence) / 2
    low, high = np.percentile(values, [alpha, 100 - alpha], axis=0)
    return low, high


def comparison_pairs(names, compare):
    """The (A, B) pairs of ``compare`` (see StatisticsSettings) among tracker ``names``."""
    if compare is None:
        return []
    unknown = [name for name in compare if name not in names]
    if unknown:
        raise ConfigError(f"--compare names {', '.join(unknown)}, not among the trackers evaluated: {', '.join(names)}")
    chosen = list(dict.fromkeys(compare))
    if len(chosen) == 1:
        return [(chosen[0], name) for name in names if name != chosen[0]]
    return list(combinations(chosen or list(names), 2))


def holm(p_values):
    """Holm's step-down adjustment of a list of p-values (NaN stays NaN)."""
    p = np.asarray(p_values, float)
    adjusted = np.full_like(p, np.nan)
    finite = np.flatnonzero(~np.isnan(p))
    order = finite[np.argsort(p[finite], kind="stable")]
    running = 0.0
    for rank, index in enumerate(order):
        running = max(running, min(1.0, (len(order) - rank) * p[index]))
        adjusted[index] = running
    return adjusted.tolist()


def analyse(protocol, results, settings, n_seq=None):
    """``Statistics`` of ``results`` (``scores.TrackerResult`` list) under ``settings``."""
    runs_of = {result.name: result.runs for result in results}
    n_seq = n_seq if n_seq is not None else len(results[0].runs[0].frames)
    out = Statistics(settings, n_seq)
    if not settings.resamples or not results or n_seq == 0:
        return out
    rng = np.random.default_rng(settings.seed)
    weights = resample_counts(n_seq, settings.resamples, rng)
    terms = {name: [metrics.score_terms(protocol, stats) for stats in runs] for name, runs in runs_of.items()}
    names_of_scores = [name for name in protocol.metrics if name != "FPS"]
    resampled = _resampled_scores(terms, names_of_scores, weights)     # {(tracker, score): (B,)}
    if resampled:
        keys = list(resampled)
        low, high = percentile_interval(np.stack([resampled[key] for key in keys], 1), settings.confidence)
        for (tracker, name), lo, hi in zip(keys, low, high):
            out.intervals.setdefault(tracker, {})[name] = (float(lo), float(hi))
    if settings.bands:
        out.bands = _curve_bands(protocol, runs_of, weights, settings.confidence)
    pairs = comparison_pairs([result.name for result in results], settings.compare)
    if pairs:
        headline = {result.name: {name: float(np.mean([run[name] for run in result.scores]))
                                  for name in names_of_scores} for result in results}
        out.comparisons = _compare(pairs, names_of_scores, terms, resampled, headline, weights, rng, settings)
    return out


def _resampled_scores(terms, names, weights):
    """Every tracker's every score on every resample: one matrix product for all of them. Identical
    terms share one column, so that identical trackers get bit-identical resamples (a matrix product
    may round two equal columns differently)."""
    nums: List[np.ndarray] = []
    dens: List[np.ndarray] = []
    groups: list = []
    seen: dict = {}
    for tracker, runs in terms.items():
        for name in names:
            columns = []
            for run_terms in runs:
                if name in run_terms:
                    num, den = (np.asarray(array, float) for array in run_terms[name])
                    key = (num.tobytes(), den.tobytes())
                    if key not in seen:
                        seen[key] = len(nums)
                        nums.append(num)
                        dens.append(den)
                    columns.append(seen[key])
            if columns:
                groups.append(((tracker, name), columns))
    if not nums:
        return {}
    with np.errstate(all="ignore"):
        ratios = weighted_sums(weights, np.stack(nums, 1)) / weighted_sums(weights, np.stack(dens, 1))
    return {key: ratios[:, columns].mean(1) for key, columns in groups}


def _curve_bands(protocol, runs_of, weights, confidence):
    """Pointwise intervals of each tracker's mean curves (sequence means; pooled: frame-weighted), all
    of them from one percentile call."""
    columns, where = [], []
    for tracker, runs in runs_of.items():
        for curve in ("success", "precision", "normalized"):
            if getattr(runs[0], curve) is None:
                continue
            per_run = []
            for stats in runs:
                counts = getattr(stats, curve).astype(float)
                with np.errstate(all="ignore"):
                    if protocol.pooled:
                        num, den = counts, stats.frames
                    else:
                        ratio = counts / stats.frames[:, None]
                        keep = (ratio.sum(1) > metrics.MATLAB_EPS) if protocol.drop_empty_sequences else \
                            np.ones(len(ratio), bool)
                        num, den = np.where(keep[:, None], ratio, 0.0), keep.astype(float)
                    per_run.append(weighted_sums(weights, num) / weighted_sums(weights, den[:, None]))
            where.append((tracker, curve, counts.shape[1]))
            columns.append(np.mean(per_run, 0))
    low, high = percentile_interval(np.concatenate(columns, 1), confidence)
    bands: Dict[str, Dict[str, Tuple[np.ndarray, np.ndarray]]] = {}
    start = 0
    for tracker, curve, count in where:
        bands.setdefault(tracker, {})[curve] = (low[start:start + count], high[start:start + count])
        start += count
    return bands


def _compare(pairs, names, terms, resampled, headline, weights, rng, settings):
    """Comparison records of every pair on every score (vectorised over pairs and scores)."""
    n_seq = weights.shape[1]
    exact = 2 ** n_seq <= settings.resamples
    if exact:    # every sign pattern once: an exact test
        flips = ((np.arange(2 ** n_seq)[:, None] >> np.arange(n_seq)[None, :]) & 1).astype(float)
    else:
        flips = rng.integers(0, 2, size=(settings.resamples, n_seq)).astype(float)
    rows, cells = [], []
    for first, second in pairs:
        for name in names:
            if (first, name) not in resampled or (second, name) not in resampled:
                continue
            rows.append((first, second, name))
            cells.append(tuple(_mean_terms(terms[tracker], name) for tracker in (first, second)))
    if not rows:
        return []
    num_a, den_a = (np.stack([cell[0][k] for cell in cells], 1) for k in (0, 1))
    num_b, den_b = (np.stack([cell[1][k] for cell in cells], 1) for k in (0, 1))
    with np.errstate(all="ignore"):
        observed = num_a.sum(0) / den_a.sum(0) - num_b.sum(0) / den_b.sum(0)
        swap_num, swap_den = weighted_sums(flips, num_b - num_a), weighted_sums(flips, den_b - den_a)
        flipped = ((num_a.sum(0) + swap_num) / (den_a.sum(0) + swap_den)
                   - (num_b.sum(0) - swap_num) / (den_b.sum(0) - swap_den))
        hits = (np.abs(flipped) >= np.abs(observed) - TIE_TOLERANCE).sum(0)
    p_values = hits / len(flips) if exact else (1 + hits) / (len(flips) + 1)
    p_values = np.where(np.isnan(observed), np.nan, p_values)
    differences = np.stack([resampled[(a, name)] - resampled[(b, name)] for a, b, name in rows], 1)
    low, high = percentile_interval(differences, settings.confidence)
    comparisons = []
    for (a, b, name), p, lo, hi in zip(rows, p_values, low, high):
        first_score, second_score = headline[a][name], headline[b][name]
        comparisons.append(Comparison(a, b, name, first_score, second_score, first_score - second_score,
                                      float(lo), float(hi), float(p), math.nan, n_seq, exact))
    for name in names:
        chosen = [item for item in comparisons if item.metric == name]
        for item, adjusted in zip(chosen, holm([item.p_value for item in chosen])):
            item.p_holm = adjusted
    return comparisons


def _mean_terms(runs, name):
    """(num, den) of a score averaged over a tracker's runs (one pair of terms per sequence)."""
    return np.mean([run[name][0] for run in runs], 0), np.mean([run[name][1] for run in runs], 0)


def settings_from(resamples: Optional[int] = None, confidence: Optional[float] = None, seed: Optional[int] = None,
                  compare: Optional[Sequence[str]] = None, bands: bool = False) -> StatisticsSettings:
    """``StatisticsSettings`` with defaults for what is None (``compare`` None: no comparison)."""
    return StatisticsSettings(DEFAULT_RESAMPLES if resamples is None else int(resamples),
                              DEFAULT_CONFIDENCE if confidence is None else float(confidence),
                              DEFAULT_SEED if seed is None else int(seed),
                              None if compare is None else tuple(compare), bands)
