"""Intervals over sequences and paired comparisons, checked against a plain bootstrap written here.

The reference below is the textbook computation on the per-sequence values (one index matrix from
``np.random.default_rng(seed).integers(0, S, (B, S))``, the mean of each resample, numpy's
percentiles; sign flips drawn next from the same generator), so the intervals and p-values of
``benchmarks.scoring.statistics`` must equal it to rounding.
"""
import time

import numpy as np
import pytest

from benchmarks.scoring import metrics
from benchmarks.scoring.result_files import TrackerRuns
from benchmarks.scoring.scores import TrackerResult, compute
from benchmarks.scoring.statistics import StatisticsSettings, analyse, comparison_pairs, holm
from simtrack.data.sequence import Sequence
from simtrack.errors import ConfigError


def sequences(count, rng, dataset="lasot", **meta):
    out = []
    for index in range(count):
        n = int(rng.integers(8, 30))
        gt = np.c_[rng.uniform(5, 60, (n, 2)), rng.uniform(8, 30, (n, 2))].round()
        out.append(Sequence(f"s{index}", dataset, [""] * n, gt, absent=rng.random(n) < 0.1,
                            meta={key: value(n) if callable(value) else value for key, value in meta.items()}))
    return out


def tracker(name, protocol, truth, seqs, rng, noise, runs=1):
    boxes = [[seq.boxes + rng.normal(0, noise, seq.boxes.shape) for seq in seqs] for _ in range(runs)]
    for run in boxes:
        for box in run:
            box[:, 2:] = np.abs(box[:, 2:]) + 1
    return compute(protocol, truth, TrackerRuns(name, None, boxes, [[None] * len(seqs)] * runs))


def evaluated(count, seed=0, dataset="lasot", runs=(1, 3), **meta):
    rng = np.random.default_rng(seed)
    seqs = sequences(count, rng, dataset, **meta)
    protocol = metrics.get_protocol(dataset)
    truth = metrics.GroundTruth.from_sequences(seqs, protocol.needs_cover)
    results = [tracker(f"t{k}", protocol, truth, seqs, rng, 2.0 + 3 * k, n) for k, n in enumerate(runs)]
    return protocol, results


def plain_bootstrap(values, resamples, seed, confidence=0.95):
    """values: (runs, S) per-sequence values; the interval of their mean (mean over runs of each run's)."""
    rng = np.random.default_rng(seed)
    index = rng.integers(0, values.shape[1], size=(resamples, values.shape[1]))
    means = np.mean([run[index].mean(axis=1) for run in values], axis=0)
    alpha = 100 * (1 - confidence) / 2
    return np.percentile(means, [alpha, 100 - alpha])


def test_sequence_mean_intervals_equal_a_plain_bootstrap_of_the_per_sequence_values():
    protocol, results = evaluated(40)
    settings = StatisticsSettings(resamples=300, confidence=0.9, seed=7)
    stats = analyse(protocol, results, settings)
    for result in results:
        per_sequence = [metrics.per_sequence(protocol, run) for run in result.runs]
        for name in ("AUC", "P", "NP", "OP50", "OP75"):
            values = np.array([run[name] for run in per_sequence])
            expected = plain_bootstrap(values, 300, 7, 0.9)
            np.testing.assert_allclose(stats.intervals[result.name][name], expected, rtol=0, atol=1e-12)
            # the interval brackets the headline number it belongs to (a loose sanity check)
            headline = np.mean([run[name] for run in result.scores])
            assert expected[0] - 0.05 <= headline <= expected[1] + 0.05
    assert set(stats.intervals["t1"]) == {"AUC", "P", "NP", "OP50", "OP75"}     # no interval on FPS


def test_got10k_pooled_intervals_resample_whole_sequences_and_their_runs():
    protocol, results = evaluated(25, seed=1, dataset="got10k_val", cover=lambda n: np.full(n, 8),
                                  image_size=(100, 100))
    settings = StatisticsSettings(resamples=200, seed=3)
    stats = analyse(protocol, results, settings)
    rng = np.random.default_rng(3)
    index = rng.integers(0, 25, size=(200, 25))
    for result in results:   # frame-weighted: sum of IoUs over sum of frames of the drawn sequences, per run
        ao = np.mean([run.iou_sum[index].sum(1) / run.frames[index].sum(1) for run in result.runs], axis=0)
        np.testing.assert_allclose(stats.intervals[result.name]["AO"], np.percentile(ao, [2.5, 97.5]), atol=1e-12)
        at = int(np.argmin(np.abs(protocol.success_thresholds - 0.5)))
        sr = np.mean([run.success[index, at].sum(1) / run.frames[index].sum(1) for run in result.runs], axis=0)
        np.testing.assert_allclose(stats.intervals[result.name]["SR0.5"], np.percentile(sr, [2.5, 97.5]), atol=1e-12)


def test_a_tracker_against_itself_differs_by_zero_with_p_one():
    for count in (30, 6):            # a sampled sign-flip test, and the exact one (2**6 <= 500 patterns)
        protocol, results = evaluated(count, seed=2, runs=(1, 2))
        twin = TrackerResult("twin", results[0].runs, results[0].scores, results[0].curves)
        stats = analyse(protocol, results + [twin], StatisticsSettings(resamples=500, compare=("t0", "twin")))
        assert len(stats.comparisons) == 5
        for item in stats.comparisons:
            assert item.difference == 0 and item.low == 0 and item.high == 0 and item.p_value == 1.0
            assert item.exact == (count == 6)


def test_paired_comparison_equals_a_plain_sign_flip_test():
    protocol, results = evaluated(30, seed=4, runs=(1, 1))
    settings = StatisticsSettings(resamples=400, seed=11, compare=())
    stats = analyse(protocol, results, settings)
    rng = np.random.default_rng(11)
    index = rng.integers(0, 30, size=(400, 30))
    signs = 1 - 2 * rng.integers(0, 2, size=(400, 30))
    for item in stats.comparisons:
        a, b = (metrics.per_sequence(protocol, results[int(name[1])].runs[0])[item.metric]
                for name in (item.first, item.second))
        d = a - b
        assert item.difference == pytest.approx(d.mean(), abs=1e-12)
        np.testing.assert_allclose([item.low, item.high], np.percentile(d[index].mean(1), [2.5, 97.5]), atol=1e-12)
        extreme = (np.abs((signs * d).mean(1)) >= abs(d.mean()) - 1e-12).sum()
        assert item.p_value == pytest.approx((1 + extreme) / 401, abs=1e-15)
    assert any(item.p_value < 0.05 for item in stats.comparisons)      # noise 2 vs 5 px: a real difference


def synthetic_run(success, frames):
    """RunStats with the given (S, 21) success counts (other curves equal to it) and frame counts."""
    success = np.asarray(success, float)
    zeros = np.zeros(len(success))
    return metrics.RunStats(np.asarray(frames, float), success, success, success, zeros, None, zeros, zeros,
                            zeros, zeros)


def test_exact_sign_flip_p_value_and_holm():
    # five sequences of 10 frames where A passes one more frame than B at every threshold up to 0.5: the
    # OP50 difference is 0.1 on each; only the all-plus and all-minus sign patterns are as extreme, p = 2/32
    protocol = metrics.get_protocol("lasot")
    rng = np.random.default_rng(5)
    base = np.sort(rng.integers(0, 9, (5, 21)), axis=1)[:, ::-1]
    better = base.copy()
    better[:, :11] += 1
    results = [TrackerResult(name, [run], [metrics.summarize(protocol, run)[0]], [])
               for name, run in (("a", synthetic_run(better, [10] * 5)), ("b", synthetic_run(base, [10] * 5)))]
    stats = analyse(protocol, results, StatisticsSettings(resamples=100, compare=("a", "b")))
    op50 = next(item for item in stats.comparisons if item.metric == "OP50")
    assert op50.exact and op50.difference == pytest.approx(0.1) and op50.p_value == pytest.approx(2 / 32)
    assert op50.low == pytest.approx(0.1) and op50.high == pytest.approx(0.1)
    assert holm([0.01, 0.04, 0.03]) == pytest.approx([0.03, 0.06, 0.06])
    assert np.isnan(holm([np.nan, 0.5])[0])


def test_pairs_and_settings_are_checked():
    assert comparison_pairs(["a", "b", "c"], None) == []
    assert comparison_pairs(["a", "b", "c"], ()) == [("a", "b"), ("a", "c"), ("b", "c")]
    assert comparison_pairs(["a", "b", "c"], ("b",)) == [("b", "a"), ("b", "c")]
    assert comparison_pairs(["a", "b", "c"], ("c", "a")) == [("c", "a")]
    with pytest.raises(ConfigError, match="not among the trackers"):
        comparison_pairs(["a", "b"], ("x",))
    with pytest.raises(ConfigError):
        StatisticsSettings(confidence=95)
    protocol, results = evaluated(4)
    assert analyse(protocol, results, StatisticsSettings(resamples=0)).intervals == {}


def test_curve_bands_and_the_cost_of_a_lasot_sized_set():
    protocol, results = evaluated(12, seed=6)
    stats = analyse(protocol, results, StatisticsSettings(resamples=200, bands=True))
    low, high = stats.bands["t0"]["success"]
    mean = np.mean([curve["success"] for curve in results[0].curves], 0)
    assert low.shape == (21,) and (low <= high).all() and (low <= mean + 0.2).all()
    # 280 sequences, 5 trackers, 1,000 resamples, every pair compared: far below a second
    rng = np.random.default_rng(0)
    counts = lambda: rng.integers(0, 2000, (280, 21)).cumsum(1)[:, ::-1].astype(float)   # noqa: E731
    runs = [synthetic_run(counts(), np.full(280, 2500.0)) for _ in range(5)]
    many = [TrackerResult(f"t{k}", [run], [metrics.summarize(protocol, run)[0]], []) for k, run in enumerate(runs)]
    start = time.perf_counter()
    big = analyse(protocol, many, StatisticsSettings(resamples=1000, compare=()))
    assert time.perf_counter() - start < 2.0 and len(big.comparisons) == 10 * 5
