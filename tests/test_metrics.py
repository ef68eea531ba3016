"""Hand-worked cases for each toolkit's rules (expected numbers derived in the comments)."""
import warnings

import numpy as np
import pytest

from benchmarks.scoring import metrics
from simtrack.data.sequence import Sequence
from simtrack.errors import ConfigError, DatasetError, ResultsError

GT = [10.0, 10.0, 10.0, 10.0]  # a 10x10 box: centre (14.5, 14.5), right/bottom pixel 19


def seq(name, boxes, dataset="lasot", absent=None, **meta):
    boxes = np.array(boxes, float)
    return Sequence(name=name, dataset=dataset, frames=[""] * len(boxes), boxes=boxes,
                    absent=None if absent is None else np.array(absent, bool), meta=meta)


def run(dataset, protocol, sequences, predictions, times=None):
    rules = metrics.get_protocol(dataset, protocol)
    truth = metrics.GroundTruth.from_sequences(sequences, rules.needs_cover)
    stats = metrics.evaluate_run(rules, truth, [np.array(p, float) for p in predictions], times)
    return metrics.summarize(rules, stats)[0], stats, rules


NAN = [np.nan] * 4
# Sequence A (10 frames, LaSOT-style), frame by frame:
#  1 garbage prediction -> replaced by GT: IoU 1, error 0
#  2 exact: IoU 1          3 NaN row -> previous box (frame 2): IoU 1     4 w = 0 -> previous: IoU 1
#  5 shifted 5 px right: IoU 10*5 / (100 + 100 - 50) = 1/3, error 5, normalised 5/10 = 0.5
#  6 absent (GT non-zero), 7 absent (GT all zero): removed but counted: misses everywhere
#  8 visible GT with negative size (1,1,-1,-1): IoU -1 (miss), error -1 (precision hit)
#  9 far away: IoU 0, error 127.3       10 a 20x20 box around GT: IoU 0.25, error sqrt(50) = 7.07
SEQ_A_GT = [GT] * 5 + [GT, [0, 0, 0, 0], [1, 1, -1, -1], GT, GT]
SEQ_A_ABSENT = [0, 0, 0, 0, 0, 1, 1, 0, 0, 0]
SEQ_A_PRED = [[100, 100, 5, 5], GT, NAN, [10, 10, 0, 10], [15, 10, 10, 10], GT, GT, [1, 1, -1, -1],
              [100, 100, 10, 10], [10, 10, 20, 20]]
# IoU > t counts over the 21 thresholds 0, 0.05, ..., 1: t < 0.25 -> 6 frames (1-5, 10);
# t = 0.25, 0.30 -> 5 (1-5); 0.35 <= t < 1 -> 4; t = 1 -> 0.  Sum = 5*6 + 2*5 + 13*4 = 92.
SEQ_A_AUC = 92 / (21 * 10)


def test_lasot_matlab_rules_hand_worked():
    scores, stats, _ = run("lasot", "official", [seq("a", SEQ_A_GT, absent=SEQ_A_ABSENT)], [SEQ_A_PRED])
    assert scores["AUC"] == pytest.approx(SEQ_A_AUC, abs=1e-12)
    # error <= 20 px: frames 1-4 (0), 5 (5), 8 (-1: invalid GT is a hit), 10 (7.07) -> 7 / 10
    assert scores["P"] == pytest.approx(0.7, abs=1e-12)
    # normalised error <= 0.20: frames 1-4 and 8 -> 5 / 10 (frame 5 is at 0.5, frame 10 at 0.707)
    assert scores["NP"] == pytest.approx(0.5, abs=1e-12)
    assert scores["OP50"] == pytest.approx(0.4) and scores["OP75"] == pytest.approx(0.4)
    assert stats.frames.tolist() == [10.0]  # absent frames stay in the denominator


def test_matlab_carry_forward_uses_the_raw_first_prediction_and_cuts_long_results():
    # Sequence B: frame 1 predicted at (40, 40) (scored as GT), frame 2 NaN -> takes the *raw* frame 1
    # box (IoU 0, error sqrt(30^2 + 30^2) = 42.4), frame 3 exact. Two extra result lines are cut.
    pred = [[40, 40, 10, 10], NAN, GT, GT, GT]
    scores, _, _ = run("lasot", "official", [seq("b", [GT] * 3)], [pred])
    # IoU > t: frames 1 and 3 for t < 1 (20 thresholds), none at t = 1 -> AUC = 40 / 63
    assert scores["AUC"] == pytest.approx(40 / 63, abs=1e-12)
    assert scores["P"] == pytest.approx(2 / 3, abs=1e-12)
    # both sequences: the curves are averaged over sequences, each sequence weighing the same
    both, _, _ = run("lasot", "official", [seq("a", SEQ_A_GT, absent=SEQ_A_ABSENT), seq("b", [GT] * 3)],
                     [SEQ_A_PRED, pred])
    assert both["AUC"] == pytest.approx((SEQ_A_AUC + 40 / 63) / 2, abs=1e-12)
    assert both["P"] == pytest.approx((0.7 + 2 / 3) / 2, abs=1e-12)


def test_matlab_min_max_skip_nan_like_matlab():
    # Frame 1 raw box has y = NaN; frame 2 has w = 0 so it takes that raw box. MATLAB's min/max
    # ignore the NaN, so the overlap is computed from the GT's own y edges: IoU = 100/100 = 1,
    # while the centre error is NaN (a precision miss).
    scores, _, _ = run("otb100", "official", [seq("c", [GT] * 2, "otb100")], [[[10, np.nan, 10, 10], [5, 5, 0, 5]]])
    assert scores["AUC"] == pytest.approx(20 / 21, abs=1e-12)  # both frames pass every t < 1
    assert scores["P"] == pytest.approx(0.5)


def test_otb_matlab_rules_score_uav_nan_rows_as_success_miss_precision_hit():
    gt = [GT, NAN, NAN, GT]
    pred = [GT, [11, 10, 10, 10], [50, 50, 10, 10], GT]
    official, _, _ = run("uav123", "official", [seq("uav", gt, "uav123")], [pred])
    assert official["AUC"] == pytest.approx(2 * 20 / (21 * 4))  # frames 1 and 4 (t < 1)
    assert official["P"] == pytest.approx(1.0)                   # NaN rows are hits
    dropped, _, _ = run("uav123", "got10k", [seq("uav", gt, "uav123")], [pred])
    assert dropped["P"] == pytest.approx(1.0) and dropped["AUC"] == pytest.approx(20 / 21)  # 2 of 2 frames


def test_pytracking_and_stark_rules():
    # Sequence A without its NaN and negative boxes: same success as MATLAB, but pytracking makes the
    # visible invalid-GT frame 8 a precision miss (error +inf): P = 6/10; NP keeps it a hit (-1): 5/10.
    pred = list(SEQ_A_PRED)
    pred[2] = pred[7] = GT
    scores, _, _ = run("lasot", "pytracking", [seq("a", SEQ_A_GT, absent=SEQ_A_ABSENT)], [pred])
    assert scores["AUC"] == pytest.approx(SEQ_A_AUC, abs=1e-12)
    assert scores["P"] == pytest.approx(0.6) and scores["NP"] == pytest.approx(0.5)
    # GT with x = 0: pytracking needs x, y, w, h > 0 (frame invalid: IoU -1), STARK only w, h > 0.
    gt = [GT, [0, 5, 10, 10]]
    pytracking, _, _ = run("otb100", "pytracking", [seq("x0", gt, "otb100")], [gt])
    stark, _, _ = run("otb100", "stark", [seq("x0", gt, "otb100")], [gt])
    assert pytracking["AUC"] == pytest.approx(10 / 21) and stark["AUC"] == pytest.approx(20 / 21)
    with pytest.raises(ResultsError, match="sequence a frame 3.*pytracking"):
        run("lasot", "pytracking", [seq("a", SEQ_A_GT, absent=SEQ_A_ABSENT)], [SEQ_A_PRED])


def test_pytracking_lasot_ext_keeps_invisible_frames_as_normalised_hits():
    gt, absent, pred = [GT, GT], [0, 1], [GT, [60, 60, 10, 10]]
    lasot, _, _ = run("lasot", "pytracking", [seq("s", gt, absent=absent)], [pred])
    ext, _, _ = run("lasot_ext", "pytracking", [seq("s", gt, "lasot_ext", absent=absent)], [pred])
    assert lasot["NP"] == pytest.approx(0.5) and ext["NP"] == pytest.approx(1.0)
    assert lasot["P"] == ext["P"] == pytest.approx(0.5)


def test_pysot_scores_frame_one_as_written_and_uses_presence():
    # frame 1 predicted wrong (IoU 0, error 42.4), frame 2 exact, frame 3 absent (removed: a miss),
    # frame 4 zero-size (no carry-forward: IoU 0, error |(9.5, 9.5) - (14.5, 14.5)| = 7.07).
    gt, absent = [GT] * 4, [0, 0, 1, 0]
    pred = [[40, 40, 10, 10], GT, GT, [10, 10, 0, 0]]
    pysot, _, _ = run("lasot", "pysot", [seq("s", gt, absent=absent)], [pred])
    assert pysot["AUC"] == pytest.approx(20 / 84) and pysot["P"] == pytest.approx(0.5)
    # got10k's (GitHub) LaSOT experiment: frame 1 := GT, absence ignored -> frames 1-3 perfect
    got10k, _, _ = run("lasot", "got10k", [seq("s", gt, absent=absent)], [pred])
    assert got10k["AUC"] == pytest.approx(60 / 84) and got10k["P"] == pytest.approx(1.0)


def test_trackingnet_devkit_rules_hand_worked():
    # GT (10.4, 10.6, 20.5, 19.5) rounds (half to even) to (10, 11, 20, 20); centre x + (w+1)/2.
    #  f1 garbage -> GT: IoU 1, distance 0     f2 (10.5 -> 10): identical: IoU 1 (counts at t = 1: >=)
    #  f3 shifted 10 px: IoU 200/600 = 1/3, distance 10, normalised 10/20 = 0.5
    #  f4 (0, 0, 0, 0): IoU 0 (counts at t = 0), distance |(20.5, 21.5) - (0.5, 0.5)| = 29, not covered
    gt = [[10.4, 10.6, 20.5, 19.5]] * 4
    pred = [[500, 500, 1, 1], [10.5, 11, 20, 20], [20, 11, 20, 20], [0, 0, 0, 0]]
    scores, _, _ = run("trackingnet_train_0", "official", [seq("t", gt, "trackingnet_train_0")], [pred])
    # success counts at t = k/20 (>=): k=0 -> 4, k=1..6 -> 3, k=7..20 -> 2; curve = counts/4,
    # sum 12.5; trapezoid with dx 0.05: 0.05 * (12.5 - (1 + 0.5)/2) = 0.5875
    assert scores["AUC"] == pytest.approx(0.5875, abs=1e-12)
    # precision at 0, 2.5, ..., 50 px: k<4 -> 2, 4<=k<12 -> 3, k>=12 -> 4; sum 17 -> 0.05*(17-0.75)
    assert scores["P"] == pytest.approx(0.8125, abs=1e-12)
    # normalised at 0, 0.025, ..., 0.5: 2 everywhere, 3 at 0.5; sum 10.75 -> 0.05*(10.75-0.625)
    assert scores["NP"] == pytest.approx(0.50625, abs=1e-12)
    assert scores["Coverage"] == pytest.approx(0.75)


def test_got10k_val_rules_drop_frame_one_clip_and_pool():
    # image 100x100. s1: frame 1 dropped; frame 2 GT (90,0,20,10) clips to (90,0,10,10), prediction
    # (90,0,10,10): IoU 1; frame 3 cover 0: ignored; frame 4 zero width: IoU 0.
    # s2 (2 frames): frame 2 half overlap: IoU 50/150.  Pooled AO over 3 frames = (1 + 0 + 1/3) / 3.
    s1 = seq("s1", [GT, [90, 0, 20, 10], GT, GT], "got10k_val", cover=[8, 8, 0, 8], image_size=(100, 100))
    s2 = seq("s2", [GT, GT], "got10k_val", cover=[8, 8], image_size=(100, 100))
    preds = [[[0, 0, 1, 1], [90, 0, 10, 10], [0, 0, 1, 1], [10, 10, 0, 10]], [GT, [15, 10, 10, 10]]]
    scores, stats, _ = run("got10k_val", "official", [s1, s2], preds, times=[[0.1] * 4, [0.1, 0.3]])
    assert scores["AO"] == pytest.approx((1 + 0 + 1 / 3) / 3)
    assert scores["SR0.5"] == pytest.approx(1 / 3) and scores["SR0.75"] == pytest.approx(1 / 3)
    assert stats.frames.tolist() == [2, 1]
    assert scores["FPS"] == pytest.approx(6 / 0.8)  # frames / total seconds
    got10k, _, _ = run("got10k_val", "got10k", [s1, s2], preds, times=[[0.1] * 4, [0.1, 0.3]])
    assert got10k["FPS"] == pytest.approx((5 * 10 + 1 / 0.3) / 6)  # got10k: mean of 1/t


def test_got10k_val_nan_boxes():
    s1 = seq("s1", [GT, GT, GT], "got10k_val", cover=[8, 8, 8], image_size=(100, 100))
    preds = [[GT, NAN, GT]]
    official, _, _ = run("got10k_val", "official", [s1], preds)
    literal, _, _ = run("got10k_val", "got10k", [s1], preds)
    assert official["AO"] == pytest.approx(0.5) and np.isnan(literal["AO"])
    assert official["SR0.5"] == literal["SR0.5"] == pytest.approx(0.5)


def test_got10k_val_needs_cover_and_image_size():
    with pytest.raises(DatasetError, match="cover"):
        run("got10k_val", "official", [seq("s", [GT, GT], "got10k_val")], [[GT, GT]])


@pytest.mark.parametrize("dataset", ["lasot", "otb100", "uav123", "got10k_val", "trackingnet_train_0"])
@pytest.mark.parametrize("protocol", metrics.PROTOCOLS)
def test_garbage_boxes_never_crash_nor_warn(dataset, protocol):
    rng = np.random.default_rng(0)
    gt = np.abs(rng.normal(50, 20, (40, 4))) + 1
    gt[5] = 0
    gt[6] = np.nan
    gt[7, 2] = -3
    pred = rng.normal(50, 40, (40, 4))
    pred[3:10] = [[np.nan] * 4, [np.inf, 1, 1, 1], [1, 1, -np.inf, 1], [0, 0, 0, 0], [-5, -5, -1, -1],
                  [np.nan, 1, 1, 1], [1e308, 1e308, 1e308, 1e308]]
    sequence = seq("g", gt, dataset, absent=rng.random(40) < 0.2, cover=rng.integers(0, 9, 40),
                   image_size=(120, 90))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        if protocol in ("pytracking", "stark"):
            with pytest.raises(ResultsError):
                run(dataset, protocol, [sequence], [pred])
            return
        scores, _, rules = run(dataset, protocol, [sequence], [pred])
    assert set(scores) == set(rules.metrics)
    checked = {k: v for k, v in scores.items() if k != "FPS" and not (k == "AO" and protocol == "got10k")}
    assert all(0 <= v <= 1 for v in checked.values()), checked


def test_chunking_does_not_change_results():
    rng = np.random.default_rng(1)
    sequences, preds = [], []
    for index in range(7):
        n = int(rng.integers(3, 40))
        gt = np.c_[rng.uniform(0, 50, (n, 2)), rng.uniform(5, 30, (n, 2))]
        sequences.append(seq(f"s{index}", gt, absent=rng.random(n) < 0.1))
        pred = gt + rng.normal(0, 5, gt.shape)
        pred[rng.random(n) < 0.2, 2] = 0
        preds.append(pred)
    rules = metrics.get_protocol("lasot", "official")
    whole = metrics.GroundTruth.from_sequences(sequences)
    small = metrics.GroundTruth.from_sequences(sequences)
    small.chunk_frames = 10
    reference = metrics.evaluate_run(rules, whole, preds)
    chunked = metrics.evaluate_run(rules, small, preds)
    assert len(small.chunks()) > 3 and len(whole.chunks()) == 1
    np.testing.assert_array_equal(reference.success, chunked.success)
    np.testing.assert_array_equal(reference.normalized, chunked.normalized)


@pytest.mark.parametrize("test", ["gt", "ge", "le"])
def test_count_curve_matches_direct_comparison(test):
    rng = np.random.default_rng(2)
    thresholds = metrics.matlab_colon(0, 0.05, 1)
    values = np.concatenate([rng.uniform(-0.1, 1.1, 500), thresholds, [np.nan, np.inf, -np.inf, -1]])
    seq_id = rng.integers(0, 3, len(values))
    counts = metrics.count_curve(values, seq_id, 3, thresholds, test)
    compare = {"gt": np.greater, "ge": np.greater_equal, "le": np.less_equal}[test]
    with np.errstate(invalid="ignore"):
        passed = compare(values[:, None], thresholds[None, :])
    expected = np.stack([passed[seq_id == s].sum(0) for s in range(3)])
    np.testing.assert_array_equal(counts, expected)


def test_threshold_arrays_match_their_toolkits():
    colon = metrics.matlab_colon(0, 0.05, 1)
    assert len(colon) == 21 and colon[10] == 0.5 and colon[0] == 0 and colon[20] == 1
    assert colon[3] == 3 * 0.05 and colon[15] == 1 - 5 * 0.05  # filled from both ends, as MATLAB does
    assert metrics.matlab_colon(0, 1, 50).tolist() == list(range(51))
    torch = pytest.importorskip("torch")
    expected = torch.arange(0.0, 1.0 + 0.05, 0.05, dtype=torch.float64).numpy()
    np.testing.assert_array_equal(metrics.PYTRACKING_OVERLAP, expected)


def test_protocol_lookup_errors_and_metric_names():
    assert metrics.get_protocol("lasot").metrics == ["AUC", "P", "NP", "OP50", "OP75", "FPS"]
    assert metrics.get_protocol("got10k_val").metrics == ["AO", "SR0.5", "SR0.75", "FPS"]
    assert metrics.get_protocol("otb100", "got10k").metrics == ["AUC", "P", "OP50", "OP75", "FPS"]
    with pytest.raises(ConfigError, match="benchmarks.submit"):
        metrics.get_protocol("got10k_test")
    with pytest.raises(ConfigError, match="unknown protocol"):
        metrics.get_protocol("lasot", "vot")
    with pytest.raises(ConfigError, match="known:"):
        metrics.get_protocol("imagenet")


def test_test_split_sequences_are_refused():
    test_sequence = Sequence("t", "got10k_test", frames=["a", "b"], boxes=np.array([GT]))
    with pytest.raises(DatasetError, match="benchmarks.submit"):
        metrics.GroundTruth.from_sequences([test_sequence])


def run_changes(dataset, protocol, sequences, predictions):
    rules = metrics.get_protocol(dataset, protocol)
    truth = metrics.GroundTruth.from_sequences(sequences, rules.needs_cover)
    changes = []
    stats = metrics.evaluate_run(rules, truth, [np.array(p, float) for p in predictions], changes=changes)
    return metrics.summarize(rules, stats)[0], stats, changes


def test_matlab_toolkits_refuse_short_files_and_cut_long_ones():
    sequences = [seq("s", [GT] * 3, "otb100")]
    with pytest.raises(ResultsError, match="2 boxes for a sequence of 3 frames; the OTB MATLAB toolkit fails.*"
                                           "pytracking or stark pad"):
        run("otb100", "official", sequences, [[GT, GT]])
    with pytest.raises(ResultsError, match="LaSOT/TNL2K MATLAB toolkit fails"):
        run("lasot", "official", [seq("s", [GT] * 3)], [[GT, GT]])
    scores, _, changes = run_changes("otb100", "official", sequences, [[GT] * 4])
    assert scores["AUC"] == pytest.approx(20 / 21)
    assert changes == [metrics.LengthChange("s", 4, 3, "1 extra row cut")]


def test_got10k_asserts_equal_length_except_on_lasot_where_its_head_cuts_the_ground_truth():
    sequences = [seq("s", [GT] * 4, "otb100")]
    for rows in (3, 5):
        with pytest.raises(ResultsError, match="got10k 0.1.3 asserts one box per frame.*GitHub head would"):
            run("otb100", "got10k", sequences, [[GT] * rows])
    with pytest.raises(ResultsError, match="asserts one box per frame"):
        run("got10k_val", "got10k", [seq("g", [GT] * 4, "got10k_val", cover=[8] * 4, image_size=(99, 99))],
            [[GT] * 3])
    # ExperimentLaSOT (GitHub head): a short file cuts the ground truth; the frame left out leaves the denominator
    scores, stats, changes = run_changes("lasot", "got10k", [seq("s", [GT] * 4)], [[GT] * 3])
    assert stats.frames.tolist() == [3.0] and scores["AUC"] == pytest.approx(20 / 21)  # IoU 1 - eps fails t = 1
    assert "ground truth cut to the file's 3 rows" in changes[0].action


def test_pysot_cuts_long_files_refuses_short_ones_and_both_on_lasot():
    scores, _, changes = run_changes("otb100", "pysot", [seq("s", [GT] * 3, "otb100")], [[GT] * 5])
    assert scores["AUC"] == pytest.approx(20 / 21) and changes[0].action == "2 extra rows cut"
    with pytest.raises(ResultsError, match="reads past the end"):
        run("otb100", "pysot", [seq("s", [GT] * 3, "otb100")], [[GT] * 2])
    for rows in (2, 4):
        with pytest.raises(ResultsError, match="absent mask"):
            run("lasot", "pysot", [seq("s", [GT] * 3, absent=[0, 0, 0])], [[GT] * rows])


@pytest.mark.parametrize("protocol", ["pytracking", "stark"])
def test_pytracking_pads_short_files_with_zero_boxes_after_its_carry_forward(protocol):
    # Frame 3 of a 3-frame OTB sequence is missing: pytracking appends [0, 0, 0, 0] after its zero-size
    # carry-forward, so the row stays a zero box: IoU 0 (a success miss), centre (-0.5, -0.5), i.e.
    # sqrt(10^2 + 8^2) = 12.81 px from the GT centre (9.5, 7.5): a precision hit at 20 px; normalised
    # |(-0.05, -0.05) - (0.95, 0.75)| = 1.28: a miss. (Carried forward, the frame-2 box would score
    # IoU 15 / 185 = 0.08 instead.)
    gt = [GT, GT, [5, 3, 10, 10]]
    scores, _, changes = run_changes("otb100", protocol, [seq("s", gt, "otb100")], [[GT, GT]])
    assert scores["AUC"] == pytest.approx(40 / 63, abs=1e-12)
    assert scores["P"] == pytest.approx(1.0) and scores["NP"] == pytest.approx(2 / 3)
    assert changes == [metrics.LengthChange("s", 2, 3, "padded with 1 zero box")]
    with pytest.raises(ResultsError, match="Mis-match in tracker prediction and GT lengths"):   # LaSOT raises
        run("lasot", protocol, [seq("s", [GT] * 3, absent=[0, 0, 0])], [[GT, GT]])
    long, _, _ = run_changes("lasot", protocol, [seq("s", [GT] * 3, absent=[0, 0, 0])], [[GT] * 4])
    assert long["AUC"] == pytest.approx(20 / 21)
    rules = metrics.get_protocol("otb100", protocol)    # a one-line file is read as a vector and fails
    assert not rules.lengths.accepts(1, 3) and "one-line file" in rules.lengths.refusal("f", 1, 3)


def test_trackingnet_devkit_scores_missing_rows_as_misses():
    # frames 1-3 exact (IoU 1 >= every threshold, error 0), frame 4 missing: NaN, a miss and not covered
    scores, _, changes = run_changes("trackingnet_train_0", "official", [seq("t", [GT] * 4, "trackingnet_train_0")],
                                     [[GT] * 3])
    assert scores["AUC"] == pytest.approx(0.75) and scores["P"] == pytest.approx(0.75)
    assert scores["Coverage"] == pytest.approx(0.75) and changes[0].action == "1 missing row scored as misses"


def test_tc128_scripts_cut_the_ground_truth_to_a_short_file_refuse_long_ones_and_have_no_invalid_gt_rule():
    scores, stats, changes = run_changes("tc128", "official", [seq("s", [GT] * 4, "tc128")], [[GT] * 3])
    assert stats.frames.tolist() == [3.0] and scores["AUC"] == pytest.approx(20 / 21) and scores["P"] == 1.0
    assert "ground truth cut to the file's 3 rows (1 frame left out of the scores)" == changes[0].action
    assert "NP" not in scores
    with pytest.raises(ResultsError, match="TC128 scripts .* fail on a file longer"):
        run("tc128", "official", [seq("s", [GT] * 4, "tc128")], [[GT] * 5])
    # a zero ground-truth box: centre (-0.5, -0.5) is 21.2 px from the box's: a precision miss here, a hit
    # under the OTB rules (invalid ground truth)
    gt = [GT, [0, 0, 0, 0], GT]
    tc128, _, _ = run("tc128", "official", [seq("z", gt, "tc128")], [[GT] * 3])
    otb, _, _ = run("otb100", "official", [seq("z", gt, "otb100")], [[GT] * 3])
    assert tc128["P"] == pytest.approx(2 / 3) and otb["P"] == 1.0 and tc128["AUC"] == otb["AUC"]


def test_a_row_with_one_nan_is_carried_over_by_the_lasot_code_only():
    # frame 2 = (NaN, 10, 10, 10): the LaSOT code (sum(isnan(r))) takes frame 1's box (a hit everywhere);
    # the OTB and TC128 code (vector if) keep the row: MATLAB's min/max skip the NaN, so the IoU is 1,
    # and the centre error is NaN, a precision miss
    pred = [GT, [np.nan, 10, 10, 10], GT]
    for dataset, expected_p in (("lasot", 1.0), ("otb100", 2 / 3), ("tc128", 2 / 3)):
        scores, _, _ = run(dataset, "official", [seq("n", [GT] * 3, dataset, absent=[0, 0, 0])], [pred])
        assert scores["AUC"] == pytest.approx(20 / 21) and scores["P"] == pytest.approx(expected_p), dataset


def test_subset_summaries_for_attributes():
    sequences = [seq("a", [GT] * 2), seq("b", [GT] * 2)]
    _, stats, rules = run("lasot", "official", sequences, [[GT, GT], [GT, [50, 50, 10, 10]]])
    only_b, _ = metrics.summarize(rules, stats, np.array([False, True]))
    assert only_b["AUC"] == pytest.approx(10 / 21)
    per_sequence = metrics.per_sequence(rules, stats)
    assert per_sequence["AUC"] == pytest.approx([20 / 21, 10 / 21])
