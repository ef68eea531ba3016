"""Our numbers against the got10k toolkit 0.1.3 itself, run here on fabricated datasets and results.

The fabricated files carry the traps of the evaluation reference: comma and tab ground truth, a
two-target OTB folder, NaN / zero-area / negative ground truth, wrong frame-1 predictions, zero-size,
negative, infinite and NaN boxes, boxes outside the image, GOT-10k absent spans with cover 0, a
truncated (cut-by-image) box and three repetitions. got10k runs with the documented workarounds:
``six`` installed, experiments built with ``__new__`` (their constructors download data) and
datasets built with ``download=False``; site-packages is not touched.
"""
import json

import numpy as np
import pytest

from benchmarks.scoring import metrics
from benchmarks.scoring.result_files import load_results
from benchmarks.scoring.scores import compute
from simtrack.data.sequence import Sequence

pytest.importorskip("six")
got10k_datasets = pytest.importorskip("got10k.datasets")
got10k_experiments = pytest.importorskip("got10k.experiments")

TOLERANCE = 1e-9


def write_rows(path, rows, sep=",", fmt="%.3f"):
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savetxt(path, np.asarray(rows, float), fmt=fmt, delimiter=sep)


def touch_frames(folder, count, pattern):
    folder.mkdir(parents=True, exist_ok=True)
    for index in range(1, count + 1):
        (folder / pattern.format(index)).touch()


def random_boxes(rng, count, image=(320, 240)):
    """Integer boxes, as OTB/UAV/LaSOT ground truth is (with float boxes, the '+1 pixel' IoU of the
    MATLAB rules can differ from got10k's in the last bit and flip a tie at IoU = 1)."""
    xy = rng.uniform(1, [image[0] - 40, image[1] - 40], (count, 2))
    return np.round(np.c_[xy, rng.uniform(8, 40, (count, 2))])


def noisy(rng, gt, noise):
    pred = gt + rng.normal(0, noise, gt.shape)
    pred[:, 2:] = np.abs(pred[:, 2:])
    return pred


def add_box_traps(rng, pred):
    """Frame-1 error, zero size, negative size, NaN, inf and out-of-image boxes at random frames."""
    pred = pred.copy()
    pred[0] = [300, 200, 5, 5]
    frames = rng.choice(np.arange(1, len(pred)), 8, replace=False)
    traps = [[10, 10, 0, 20], [10, 10, 20, 0], [10, 10, -5, 20], [np.nan] * 4, [np.inf, 5, 10, 10],
             [-30, -20, 60, 50], [310, 230, 50, 50], [0, 0, 0, 0]]
    pred[frames] = traps
    return pred


# ----------------------------------------------------------------------------------------------
# OTB: got10k ExperimentOTB

OTB_FOLDERS = {"Basketball": (40, ","), "Deer": (30, "\t"), "Human4": (25, ","), "Jogging": (35, None)}


def fabricate_otb(root, rng):
    """OTB folders in the layout got10k reads; returns our Sequence records (our reader's names)."""
    sequences = []
    for folder, (count, sep) in OTB_FOLDERS.items():
        touch_frames(root / folder / "img", count, "{:04d}.jpg")
        targets = {"": sep} if folder not in ("Jogging", "Human4") else \
            {".1": ",", ".2": "\t"} if folder == "Jogging" else {".2": ","}
        if folder == "Human4":
            (root / folder / "groundtruth_rect.1.txt").write_text("")  # empty, as in OTB
        for suffix, separator in targets.items():
            gt = random_boxes(rng, count)
            if folder == "Basketball":
                gt[7] = np.nan      # NaN ground truth row
                gt[8] = [0, 0, 0, 0]
                gt[9, 0] = -4       # box partly left of the image
            write_rows(root / folder / f"groundtruth_rect{suffix}.txt", gt, separator, "%.1f")
            name = folder if not suffix or folder == "Human4" else f"{folder}-{suffix[1]}"
            sequences.append(Sequence(name=name, dataset="otb100", frames=[""] * count, boxes=gt))
    return sequences


def got10k_name(name):
    return name.replace("-", ".")


def write_otb_results(result_dir, sequences, rng, traps):
    for seq in sequences:
        pred = noisy(rng, seq.boxes, 6.0)
        pred = add_box_traps(rng, pred) if traps else np.vstack([seq.boxes[:1], pred[1:]])
        write_rows(result_dir / f"{got10k_name(seq.name)}.txt", pred)
        write_rows(result_dir / "times" / f"{got10k_name(seq.name)}_time.txt",
                   rng.uniform(0.005, 0.05, len(seq.boxes)), " ", "%.8f")


def run_got10k_otb(tmp_path, root, trackers):
    experiment = got10k_experiments.ExperimentOTB.__new__(got10k_experiments.ExperimentOTB)
    experiment.dataset = got10k_datasets.OTB(str(root), 2015, download=False)
    experiment.result_dir = str(tmp_path / "results" / "OTB2015")
    experiment.report_dir = str(tmp_path / "reports" / "OTB2015")
    experiment.nbins_iou, experiment.nbins_ce = 21, 51
    return experiment.report(trackers)


def ours(dataset, protocol, sequences, folder):
    rules = metrics.get_protocol(dataset, protocol)
    truth = metrics.GroundTruth.from_sequences(sequences, rules.needs_cover)
    runs, problems = load_results("t", folder, sequences, rules.allow_longer)
    assert not problems, problems
    return rules, compute(rules, truth, runs)


@pytest.fixture(scope="module")
def otb(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("otb")
    rng = np.random.default_rng(0)
    sequences = fabricate_otb(tmp_path / "OTB", rng)
    write_otb_results(tmp_path / "results" / "OTB2015" / "traps", sequences, rng, traps=True)
    write_otb_results(tmp_path / "results" / "OTB2015" / "clean", sequences, rng, traps=False)
    performance = run_got10k_otb(tmp_path, tmp_path / "OTB", ["traps", "clean"])
    return tmp_path, sequences, performance


def test_otb_got10k_protocol_equals_experiment_otb(otb):
    tmp_path, sequences, performance = otb
    reference = performance["traps"]
    rules, result = ours("otb100", "got10k", sequences, tmp_path / "results" / "OTB2015" / "traps")
    scores, curves = result.scores[0], result.curves[0]
    assert abs(scores["AUC"] - reference["overall"]["success_score"]) < TOLERANCE
    assert abs(scores["P"] - reference["overall"]["precision_score"]) < TOLERANCE
    assert abs(scores["OP50"] - reference["overall"]["success_rate"]) < TOLERANCE
    assert abs(scores["FPS"] - reference["overall"]["speed_fps"]) < 1e-6
    np.testing.assert_allclose(curves["success"], reference["overall"]["success_curve"], atol=TOLERANCE, rtol=0)
    np.testing.assert_allclose(curves["precision"], reference["overall"]["precision_curve"], atol=TOLERANCE, rtol=0)
    per_sequence = metrics.per_sequence(rules, result.runs[0])
    for index, seq in enumerate(sequences):
        expected = reference["seq_wise"][got10k_name(seq.name)]
        assert abs(per_sequence["AUC"][index] - expected["success_score"]) < TOLERANCE
        assert abs(per_sequence["P"][index] - expected["precision_score"]) < TOLERANCE
    # the traps matter: under the official (MATLAB) rules invalid GT rows are precision hits
    _, official = ours("otb100", "official", sequences, tmp_path / "results" / "OTB2015" / "traps")
    assert official.scores[0]["P"] > scores["P"] + 1e-3


@pytest.mark.parametrize("protocol", metrics.PROTOCOLS)
def test_every_protocol_equals_got10k_on_well_formed_results(otb, protocol):
    """Without traps (valid GT and boxes, frame 1 = GT) all rules agree, as the reference notes."""
    tmp_path, sequences, performance = otb
    clean = [seq for seq in sequences if seq.name != "Basketball"]  # Basketball holds the GT traps
    rules, result = ours("otb100", protocol, clean, tmp_path / "results" / "OTB2015" / "clean")
    reference = performance["clean"]["seq_wise"]
    per_sequence = metrics.per_sequence(rules, result.runs[0])
    for index, seq in enumerate(clean):
        assert abs(per_sequence["AUC"][index] - reference[got10k_name(seq.name)]["success_score"]) < TOLERANCE
        assert abs(per_sequence["P"][index] - reference[got10k_name(seq.name)]["precision_score"]) < TOLERANCE


# ----------------------------------------------------------------------------------------------
# UAV123: got10k ExperimentUAV123 (drops NaN ground-truth rows)

def test_uav123_got10k_protocol_equals_experiment_uav123(tmp_path):
    rng = np.random.default_rng(1)
    root = tmp_path / "UAV123"
    for extra in ("data_seq/UAV123", "extra1", "extra2"):
        (root / extra).mkdir(parents=True)
    sequences = []
    for name, count in (("uav6", 109), ("uav2", 133)):
        gt = random_boxes(rng, count)
        gt[rng.choice(np.arange(1, count), 15, replace=False)] = np.nan  # out-of-view rows
        write_rows(root / "anno" / "UAV123" / f"{name}.txt", gt, ",", "%.1f")
        sequences.append(Sequence(name=name, dataset="uav123", frames=[""] * count, boxes=gt))
        write_rows(tmp_path / "results" / "UAV123" / "t" / f"{name}.txt", add_box_traps(rng, noisy(rng, gt, 6)))
    experiment = got10k_experiments.ExperimentUAV123.__new__(got10k_experiments.ExperimentUAV123)
    experiment.dataset = got10k_datasets.UAV123(str(root), "UAV123")
    experiment.result_dir = str(tmp_path / "results" / "UAV123")
    experiment.report_dir = str(tmp_path / "reports")
    experiment.nbins_iou, experiment.nbins_ce = 21, 51
    reference = experiment.report(["t"])["t"]["overall"]
    _, result = ours("uav123", "got10k", sequences, tmp_path / "results" / "UAV123" / "t")
    assert abs(result.scores[0]["AUC"] - reference["success_score"]) < TOLERANCE
    assert abs(result.scores[0]["P"] - reference["precision_score"]) < TOLERANCE


# ----------------------------------------------------------------------------------------------
# GOT-10k val: got10k ExperimentGOT10k

IMAGE = (320, 240)


def fabricate_got10k_val(root, rng):
    names = [f"GOT-10k_Val_{index:06d}" for index in range(1, 5)]
    (root / "val").mkdir(parents=True)
    (root / "val" / "list.txt").write_text("\n".join(names) + "\n")
    sequences = []
    for index, name in enumerate(names):
        count = [30, 45, 25, 60][index]
        folder = root / "val" / name
        touch_frames(folder, count, "{:08d}.jpg")
        gt = random_boxes(rng, count, IMAGE)
        cover = rng.integers(1, 9, count)
        absence = np.zeros(count, int)
        if index == 0:                      # an absent span: cover 0, GT rows zero / non-zero
            absence[10:16], cover[10:16] = 1, 0
            gt[10:13] = 0
        if index == 1:                      # a truncated box running off the right border
            gt[5] = [300, 100, 60, 30]
        cut = (gt[:, 0] + gt[:, 2] > IMAGE[0]).astype(int)
        write_rows(folder / "groundtruth.txt", gt, ",", "%.4f")
        for label, values in (("absence", absence), ("cover", cover), ("cut_by_image", cut)):
            (folder / f"{label}.label").write_text("\n".join(map(str, values)) + "\n")
        (folder / "meta_info.ini").write_text(
            f"[METAINFO]\nurl: https://example.invalid/{name}\nbegin: 0\nend: 10\nanno_fps: 10Hz\n"
            f"object_class: fish\nmotion_class: swimming\nresolution: ({IMAGE[0]}, {IMAGE[1]})\n")
        sequences.append(Sequence(name=name, dataset="got10k_val", frames=[""] * count, boxes=gt,
                                  absent=absence.astype(bool), meta={"cover": cover, "image_size": IMAGE}))
    return sequences


def write_got10k_results(tracker_dir, sequences, rng, nan_rows=False, zeroed_from=None):
    for seq in sequences:
        runs, times = [], []
        for run in range(3):
            pred = add_box_traps(rng, noisy(rng, seq.boxes, 5 + 3 * run))
            pred[np.isnan(pred).any(1)] = [5, 5, 30, 30]
            pred[2] = [-25, -10, 60, 50] if not nan_rows else [np.nan] * 4   # partly outside the image
            runs.append(pred)
            times.append(rng.uniform(0.01, 0.04, len(pred)))
        if zeroed_from is not None:  # same boxes as another tracker, NaN rows replaced by zero boxes
            runs = [np.nan_to_num(np.loadtxt(zeroed_from / seq.name / f"{seq.name}_{k:03d}.txt", delimiter=","),
                                  nan=0.0) for k in (1, 2, 3)]
        for run, pred in enumerate(runs, 1):
            write_rows(tracker_dir / seq.name / f"{seq.name}_{run:03d}.txt", pred)
        write_rows(tracker_dir / seq.name / f"{seq.name}_time.txt", np.stack(times, 1), ",", "%.8f")


@pytest.fixture(scope="module")
def got10k_val(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("got10k")
    rng = np.random.default_rng(2)
    sequences = fabricate_got10k_val(tmp_path / "GOT-10k", rng)
    results = tmp_path / "results" / "GOT-10k"
    write_got10k_results(results / "traps", sequences, rng)
    write_got10k_results(results / "nan", sequences, rng, nan_rows=True)
    write_got10k_results(results / "zeroed", sequences, rng, zeroed_from=results / "nan")
    experiment = got10k_experiments.ExperimentGOT10k.__new__(got10k_experiments.ExperimentGOT10k)
    experiment.subset = "val"
    experiment.dataset = got10k_datasets.GOT10k(str(tmp_path / "GOT-10k"), subset="val")
    experiment.result_dir = str(results)
    experiment.report_dir = str(tmp_path / "reports" / "GOT-10k")
    experiment.nbins_iou, experiment.repetitions = 101, 3
    with np.errstate(invalid="ignore"):
        performance = experiment.report(["traps", "nan", "zeroed"])
    return results, sequences, json.loads(json.dumps(performance))


def test_got10k_val_official_equals_experiment_got10k(got10k_val):
    results, sequences, performance = got10k_val
    reference = performance["traps"]["overall"]
    rules, result = ours("got10k_val", "official", sequences, results / "traps")
    assert len(result.runs) == 3
    mean = {name: np.mean([run[name] for run in result.scores]) for name in rules.metrics}
    assert abs(mean["AO"] - reference["ao"]) < TOLERANCE
    assert abs(mean["SR0.5"] - reference["sr"]) < TOLERANCE
    assert abs(mean["SR0.75"] - reference["succ_curve"][75]) < TOLERANCE
    curve = np.mean([curves["success"] for curves in result.curves], 0)
    np.testing.assert_allclose(curve, reference["succ_curve"], atol=TOLERANCE, rtol=0)
    # the toolkit's per-sequence AO pools the three runs of the sequence
    per_sequence = np.mean([metrics.per_sequence(rules, stats)["AO"] for stats in result.runs], 0)
    for index, seq in enumerate(sequences):
        assert abs(per_sequence[index] - performance["traps"]["seq_wise"][seq.name]["ao"]) < TOLERANCE
    # frames / seconds (official) vs got10k's mean of 1/t (--protocol got10k)
    _, literal = ours("got10k_val", "got10k", sequences, results / "traps")
    assert abs(np.mean([run["FPS"] for run in literal.scores]) - reference["speed_fps"]) < 1e-6
    assert np.mean([run["FPS"] for run in result.scores]) < reference["speed_fps"]


def test_got10k_val_nan_boxes(got10k_val):
    results, sequences, performance = got10k_val
    _, literal = ours("got10k_val", "got10k", sequences, results / "nan")
    assert np.isnan(performance["nan"]["overall"]["ao"]) and np.isnan(literal.scores[0]["AO"])
    assert abs(np.mean([run["SR0.5"] for run in literal.scores]) - performance["nan"]["overall"]["sr"]) < TOLERANCE
    # official rules score a NaN box as IoU 0: the toolkit's AO on the same boxes with zero boxes instead
    _, official = ours("got10k_val", "official", sequences, results / "nan")
    assert abs(np.mean([run["AO"] for run in official.scores]) - performance["zeroed"]["overall"]["ao"]) < TOLERANCE


# ----------------------------------------------------------------------------------------------
# Lengths: got10k 0.1.3 asserts equal length; Tiger1 is read from frame 1 (354 rows, no initOmit)

def run_experiment(experiment_class, dataset, tmp_path, trackers):
    experiment = experiment_class.__new__(experiment_class)
    experiment.dataset = dataset
    experiment.result_dir = str(tmp_path / "results")
    experiment.report_dir = str(tmp_path / "reports")
    experiment.nbins_iou, experiment.nbins_ce = 21, 51
    return experiment.report(trackers)


@pytest.fixture(scope="module")
def tiger1(tmp_path_factory):
    """OTB folders Tiger1 (354 frames; OTB's initOmit skips 1-5) and Basketball, and four trackers: 354 rows
    on Tiger1 ("full"), 349 rows as every published tracker has ("omitted"), Basketball a row short or long."""
    tmp_path = tmp_path_factory.mktemp("tiger1")
    rng = np.random.default_rng(5)
    root = tmp_path / "OTB"
    truth = {}
    for folder, count in (("Tiger1", 354), ("Basketball", 40)):
        touch_frames(root / folder / "img", count, "{:04d}.jpg")
        truth[folder] = random_boxes(rng, count)
        write_rows(root / folder / "groundtruth_rect.txt", truth[folder], "\t", "%.1f")
    for tracker, rows in {"full": {}, "omitted": {"Tiger1": slice(5, None)}, "short": {"Basketball": slice(0, -1)},
                          "long": {"Basketball": "long"}}.items():
        for name, gt in truth.items():
            pred = add_box_traps(rng, noisy(rng, gt, 6.0))
            cut = rows.get(name)
            pred = np.vstack([pred, pred[-1:]]) if cut == "long" else pred if cut is None else pred[cut]
            write_rows(tmp_path / "results" / tracker / f"{name}.txt", pred)
    return tmp_path, root


def test_got10k_scores_tiger1_from_frame_one_and_refuses_the_published_349_rows(tiger1):
    from benchmarks.scoring.evaluation import score
    from benchmarks.scoring.statistics import StatisticsSettings
    from simtrack.data import load_dataset
    from simtrack.errors import ResultsError
    tmp_path, root = tiger1
    dataset = got10k_datasets.OTB(str(root), 2015, download=False)
    reference = run_experiment(got10k_experiments.ExperimentOTB, dataset, tmp_path, ["full"])["full"]
    sequences = load_dataset("otb100", root=root, frames_required=False)
    assert {seq.name: len(seq.boxes) for seq in sequences} == {"Basketball": 40, "Tiger1": 349}
    evaluation = score("otb100", {"full": tmp_path / "results" / "full"}, sequences, "got10k", StatisticsSettings(0))
    assert [len(seq.boxes) for seq in evaluation.sequences] == [40, 354]       # got10k's reading of Tiger1
    assert "Tiger1: scored on all 354 annotated frames from frame 1" in evaluation.notes[0]
    scores = evaluation.results[0].scores[0]
    assert abs(scores["AUC"] - reference["overall"]["success_score"]) < TOLERANCE
    assert abs(scores["P"] - reference["overall"]["precision_score"]) < TOLERANCE
    for tracker, name in (("omitted", "Tiger1"), ("short", "Basketball"), ("long", "Basketball")):
        with pytest.raises(AssertionError):     # the toolkit asserts len(boxes) == len(anno)
            run_experiment(got10k_experiments.ExperimentOTB, dataset, tmp_path, [tracker])
        with pytest.raises(ResultsError, match=f"{name}.txt: .*got10k 0.1.3 asserts one box per frame"):
            score("otb100", {tracker: tmp_path / "results" / tracker}, sequences, "got10k", StatisticsSettings(0))
    # OTB's own rules start Tiger1 at frame 6: the published 349 rows are scored there
    official = score("otb100", {"omitted": tmp_path / "results" / "omitted"}, sequences, "official",
                     StatisticsSettings(0))
    assert len(official.sequences[1].boxes) == 349 and not official.notes


def test_tc128_and_dtb70_got10k_protocol_equals_their_experiments(tmp_path):
    from fabricate import make_dtb70, make_tc128

    from simtrack.data import load_dataset
    rng = np.random.default_rng(6)
    for dataset, make, experiment_class, got10k_dataset in (
            ("tc128", make_tc128, got10k_experiments.ExperimentTColor128, got10k_datasets.TColor128),
            ("dtb70", make_dtb70, got10k_experiments.ExperimentDTB70, got10k_datasets.DTB70)):
        root = tmp_path / dataset
        make(root)
        sequences = load_dataset(dataset, root=root)
        for seq in sequences:
            pred = add_box_traps(rng, noisy(rng, seq.boxes * 30, 6.0) / 30) if len(seq.boxes) > 8 else \
                noisy(rng, seq.boxes, 1.0)
            write_rows(tmp_path / dataset / "results" / "t" / f"{seq.name}.txt", pred, fmt="%.4f")
        kwargs = {"download": False} if dataset == "tc128" else {}
        reference = run_experiment(experiment_class, got10k_dataset(str(root), **kwargs), tmp_path / dataset, ["t"])
        rules, result = ours(dataset, "got10k", sequences, tmp_path / dataset / "results" / "t")
        assert abs(result.scores[0]["AUC"] - reference["t"]["overall"]["success_score"]) < TOLERANCE, dataset
        assert abs(result.scores[0]["P"] - reference["t"]["overall"]["precision_score"]) < TOLERANCE, dataset


def test_got10k_val_refuses_short_and_long_runs_as_the_toolkit_does(got10k_val, tmp_path):
    results, sequences, _ = got10k_val
    for rows in (-1, 1):
        folder = tmp_path / f"rows{rows}"
        for seq in sequences:
            pred = np.loadtxt(results / "traps" / seq.name / f"{seq.name}_001.txt", delimiter=",")
            pred = pred[:rows] if rows < 0 else np.vstack([pred, pred[-1:]])
            write_rows(folder / seq.name / f"{seq.name}_001.txt", pred)
        experiment = got10k_experiments.ExperimentGOT10k.__new__(got10k_experiments.ExperimentGOT10k)
        experiment.subset, experiment.repetitions, experiment.nbins_iou = "val", 1, 101
        experiment.dataset = got10k_datasets.GOT10k(str(results.parents[1] / "GOT-10k"), subset="val")
        experiment.result_dir, experiment.report_dir = str(tmp_path), str(tmp_path / "reports")
        with pytest.raises(AssertionError):
            experiment.report([f"rows{rows}"])
        rules = metrics.get_protocol("got10k_val", "got10k")
        _, problems = load_results("t", folder, sequences, rules.lengths)
        assert problems and all("asserts one box per frame" in problem for problem in problems)
