"""frame_values: the per-frame IoU and centre errors behind the scores, one entry per sequence."""
import numpy as np
import pytest

from benchmarks.scoring import metrics
from simtrack.data.sequence import Sequence

GT = [10.0, 10.0, 10.0, 10.0]


def seq(name, boxes, dataset, absent=None, **meta):
    boxes = np.array(boxes, float)
    return Sequence(name=name, dataset=dataset, frames=[""] * len(boxes), boxes=boxes, absent=absent, meta=meta)


def random_run(dataset, count=6, seed=0):
    """Sequences with a NaN ground-truth row and absent frames, and noisy predictions that keep a positive size."""
    rng = np.random.default_rng(seed)
    sequences, predictions = [], []
    for index in range(count):
        n = int(rng.integers(4, 30))
        gt = np.c_[rng.uniform(1, 50, (n, 2)), rng.uniform(5, 30, (n, 2))]
        gt[n // 2] = np.nan
        sequences.append(seq(f"s{index}", gt, dataset, absent=rng.random(n) < 0.2))
        predictions.append(np.abs(np.nan_to_num(gt, nan=20.0) + rng.normal(0, 4, gt.shape)))
    return sequences, predictions


@pytest.mark.parametrize("dataset, protocol", [("lasot", "official"), ("lasot", "got10k"), ("uav123", "pytracking"),
                                               ("otb100", "pysot"), ("trackingnet_train_0", "official")])
def test_curves_count_the_frames_that_pass_each_threshold(dataset, protocol):
    sequences, predictions = random_run(dataset)
    rules = metrics.get_protocol(dataset, protocol)
    truth = metrics.GroundTruth.from_sequences(sequences)
    truth.chunk_frames = 20   # values must be cut per sequence across groups too
    stats = metrics.evaluate_run(rules, truth, predictions)
    values = metrics.frame_values(rules, truth, predictions)
    assert list(values) == truth.names and len(truth.chunks()) > 1
    passes_overlap = np.greater_equal if rules.success_inclusive else np.greater
    for index, (name, frames) in enumerate(values.items()):
        assert len(frames.iou) == len(frames.center) == truth.lengths[index]
        counted = np.ones(len(frames.iou), bool) if frames.counted is None else frames.counted
        assert np.isnan(frames.iou[~counted]).all() and np.isnan(frames.center[~counted]).all()
        assert counted.sum() == stats.frames[index]
        iou, center = frames.iou[counted], frames.center[counted]
        with np.errstate(invalid="ignore"):
            success = passes_overlap(iou[:, None], rules.success_thresholds).sum(0)
            precision = (center[:, None] <= rules.precision_thresholds).sum(0)
        np.testing.assert_array_equal(success, stats.success[index], err_msg=name)
        np.testing.assert_array_equal(precision, stats.precision[index], err_msg=name)
    if protocol == "got10k":   # its LaSOT experiment drops the NaN ground-truth rows
        assert not values["s0"].counted.all()


def test_got10k_frames_left_out_are_nan_and_the_rest_average_to_the_ao():
    # s1: frame 1 dropped, frame 2 cover 0: dropped, frame 3 exact: IoU 1, frame 4 shifted 5 px: IoU 50/150.
    # s2: frame 1 dropped, frame 2 NaN box: IoU 0 under the official rules, frame 3 exact: IoU 1.
    s1 = seq("s1", [GT] * 4, "got10k_val", cover=[8, 0, 8, 8], image_size=(100, 100))
    s2 = seq("s2", [GT] * 3, "got10k_val", cover=[8, 8, 8], image_size=(100, 100))
    predictions = [np.array([[0, 0, 1, 1], [0, 0, 1, 1], GT, [15, 10, 10, 10]]), np.array([GT, [np.nan] * 4, GT])]
    rules = metrics.get_protocol("got10k_val")
    truth = metrics.GroundTruth.from_sequences([s1, s2], rules.needs_cover)
    values = metrics.frame_values(rules, truth, predictions)
    np.testing.assert_allclose(values["s1"].iou, [np.nan, np.nan, 1, 1 / 3])
    np.testing.assert_allclose(values["s2"].iou, [np.nan, 0, 1])
    assert values["s1"].counted.tolist() == [False, False, True, True] and values["s1"].center is None
    ao = metrics.per_sequence(rules, metrics.evaluate_run(rules, truth, predictions))["AO"]
    np.testing.assert_allclose([np.nanmean(values[name].iou) for name in ("s1", "s2")], ao)
    np.testing.assert_allclose(ao, [2 / 3, 1 / 2])
