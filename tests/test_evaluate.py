"""Result layouts, completeness checks, the evaluate() entry point, its report files and its CLI."""
import fabricate
import numpy as np
import pandas as pd
import pytest

from benchmarks import evaluate as evaluate_module
from benchmarks.reports import evaluate
from benchmarks.scoring import metrics
from benchmarks.scoring.evaluation import tracker_folders
from benchmarks.scoring.result_files import load_results, match_key, read_boxes, sequence_keys, validate_box_file
from simtrack.cli import run_cli
from simtrack.data.sequence import Sequence
from simtrack.errors import ConfigError, ResultsError

BOXES = np.array([[1, 2, 30, 40], [3.5, 4, 31, 41], [5, 6, 32, 42]], float)


def sequence(name, count=3, dataset="otb100", **kwargs):
    rng = np.random.default_rng(abs(hash(name)) % 1000)
    boxes = np.round(np.c_[rng.uniform(5, 50, (count, 2)), rng.uniform(10, 40, (count, 2))])
    return Sequence(name=name, dataset=dataset, frames=[""] * count, boxes=boxes, **kwargs)


def write(path, rows, sep=",", fmt="%.2f"):
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savetxt(path, np.atleast_2d(rows), fmt=fmt, delimiter=sep)
    return path


# ----------------------------------------------------------------------------------------------
# Reading result files

@pytest.mark.parametrize("sep,fmt", [(",", "%.3f"), ("\t", "%d"), (" ", "%g"), (", ", "%.1f")])
def test_read_boxes_accepts_comma_tab_space_ints_and_floats(tmp_path, sep, fmt):
    path = write(tmp_path / "s.txt", BOXES, sep, fmt)
    expected = BOXES.astype(int) if fmt == "%d" else np.round(BOXES, 1)
    np.testing.assert_allclose(read_boxes(path), expected)


def test_read_boxes_crlf_nan_and_bad_lines(tmp_path):
    path = tmp_path / "s.txt"
    path.write_text(" 1,2,3,4\r\nnan,NaN,nan,nan\r\n")
    boxes = read_boxes(path)
    assert boxes.shape == (2, 4) and np.isnan(boxes[1]).all()
    path.write_text("1,2,3,4\n5,6,7\n")
    with pytest.raises(ResultsError, match=r"s\.txt, line 2: expected 4 numbers.*found '5,6,7'"):
        read_boxes(path)
    path.write_text("1,2,3,4\n1,2,x,4\n")
    with pytest.raises(ResultsError, match="line 2"):
        read_boxes(path)


def test_validate_box_file_checks_the_frame_count(tmp_path):
    path = write(tmp_path / "s.txt", BOXES)
    assert validate_box_file(path, 3).shape == (3, 4)
    with pytest.raises(ResultsError, match=r"3 boxes for a sequence of 4 frames"):
        validate_box_file(path, 4)
    with pytest.raises(ResultsError, match="3 boxes for a sequence of 2 frames"):
        validate_box_file(path, 2)
    assert validate_box_file(path, 2, allow_longer=True).shape == (3, 4)
    with pytest.raises(ResultsError, match="missing result file"):
        validate_box_file(tmp_path / "nope.txt", 3)


def test_layouts_ours_with_repeats_got10k_numbered_and_aliases(tmp_path):
    seqs = [sequence("a"), sequence("b"), sequence("Jogging-1"), sequence("bike1", dataset="uav123")]
    ours = tmp_path / "ours"
    for k, folder in ((1, ours), (2, ours / "repeat2"), (3, ours / "repeat3")):
        for seq in seqs:
            write(folder / f"{seq.name}.txt", seq.boxes + k)
            write(folder / f"{seq.name}_time.txt", [[0.1 * k]] * 3)
    runs, problems = load_results("ours", ours, seqs)
    assert not problems and len(runs.boxes) == 3
    np.testing.assert_allclose(runs.boxes[2][1], seqs[1].boxes + 3)
    np.testing.assert_allclose(runs.times[1][0], [0.2] * 3)

    got10k = tmp_path / "got10k"   # <seq>/<seq>_00k.txt, one time column per run, other spellings
    for seq in seqs:
        stem = {"Jogging-1": "Jogging.1", "bike1": "uav_bike1"}.get(seq.name, seq.name)
        for k in (1, 2):
            write(got10k / stem / f"{stem}_{k:03d}.txt", seq.boxes * k, "\t", "%d")
        write(got10k / stem / f"{stem}_time.txt", [[0.1, 0.2]] * 3)
    runs, problems = load_results("got10k", got10k, seqs)
    assert not problems and len(runs.boxes) == 2
    np.testing.assert_allclose(runs.boxes[1][2], (seqs[2].boxes * 2).astype(int))
    np.testing.assert_allclose(runs.times[1][3], [0.2] * 3)

    numbered = tmp_path / "simtrack"  # SimTrack's runner: <seq>_001.txt side by side; got10k OTB times/
    for seq in seqs:
        write(numbered / f"{seq.name}_001.txt", seq.boxes)
        write(numbered / "times" / f"{seq.name}_time.txt", [[0.5]] * 3)
    runs, problems = load_results("numbered", numbered, seqs)
    assert not problems and len(runs.boxes) == 1 and runs.times[0][0] is None

    flat = tmp_path / "flat"
    for seq in seqs:
        write(flat / f"{seq.name}.txt", seq.boxes)
        write(flat / "times" / f"{seq.name}_time.txt", [[0.5]] * 3)
    runs, _ = load_results("flat", flat, seqs)
    np.testing.assert_allclose(runs.times[0][3], [0.5] * 3)


def test_match_keys_ignore_case_prefixes_and_the_separator_before_a_number():
    assert {match_key(name) for name in ("Jogging-1", "Jogging_1", "Jogging.1", "jogging_1")} == {"jogging-1"}
    assert match_key("uav_bike1") == match_key("bike1") == "bike1" and match_key("nfs_Bee") == "bee"
    assert match_key("tpl_Skating2") == "skating2" and "yo_yos_ce1" in sequence_keys("Yo-yos_ce1")
    assert match_key("uav_bird1_1") == "bird1-1" and match_key("GOT-10k_Val_000001") == "got-10k_val-000001"
    assert match_key("Human4_2") in sequence_keys("Human4") and match_key("uav_") == "uav_"


def test_every_problem_of_every_tracker_is_listed_before_computing(tmp_path):
    seqs = [sequence(name, 5) for name in ("a", "b", "c")]
    first = tmp_path / "first"
    write(first / "a.txt", seqs[0].boxes)
    write(first / "b.txt", seqs[1].boxes[:3])                  # short
    second = tmp_path / "second"
    for seq in seqs:
        write(second / f"{seq.name}.txt", seq.boxes)
    write(second / "repeat2" / "a.txt", seqs[0].boxes)         # run 2 covers one sequence only
    with pytest.raises(ResultsError) as caught:
        evaluate("otb100", {"first": first, "second": second}, seqs, report_dir=tmp_path / "report")
    message = str(caught.value)
    assert "nothing was evaluated" in message
    assert "first:" in message and "no results for 1 of 3 sequences: c" in message
    assert "b.txt: 3 boxes for a sequence of 5 frames" in message
    assert "second:" in message and "different numbers of runs" in message
    assert not (tmp_path / "report").exists()


def test_the_default_report_folder_is_never_reached_through_a_link(tmp_path, monkeypatch):
    """evaluate() without report_dir writes into results/reports/<dataset>: a ``reports`` link in a
    downloaded results folder is refused, not followed."""
    from simtrack.errors import ReportError
    seqs = [sequence(name, 3) for name in ("a", "b")]
    monkeypatch.chdir(tmp_path)
    for seq in seqs:
        write(tmp_path / "results" / "t" / "otb100" / f"{seq.name}.txt", seq.boxes)
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "results" / "reports").symlink_to(tmp_path / "elsewhere")
    with pytest.raises(ReportError, match=r"results/reports is a symbolic link .* pass --report-dir"):
        evaluate("otb100", {"t": tmp_path / "results" / "t" / "otb100"}, seqs)
    assert not any((tmp_path / "elsewhere").iterdir())


# ----------------------------------------------------------------------------------------------
# evaluate(): tables, figures, repeated runs

ATTRIBUTES = ("Fast Motion", "Full Occlusion", "Low Resolution")


def lasot_like(tmp_path, rng):
    seqs, trackers = [], {"simtrack": tmp_path / "simtrack", "stark": tmp_path / "stark"}
    for index in range(6):
        count = int(rng.integers(20, 40))
        gt = np.round(np.c_[rng.uniform(10, 200, (count, 2)), rng.uniform(20, 60, (count, 2))])
        absent = np.zeros(count, bool)
        absent[5:8] = index % 2 == 0
        seqs.append(Sequence(f"cat-{index}", "lasot", [""] * count, gt, absent=absent,
                             attributes={name: bool((index + k) % 3) for k, name in enumerate(ATTRIBUTES)}))
        for name, noise in (("simtrack", 3), ("stark", 9)):
            for run in range(3 if name == "simtrack" else 1):
                folder = trackers[name] / (f"repeat{run + 1}" if run else "")
                write(folder / f"cat-{index}.txt", gt + rng.normal(0, noise, gt.shape))
                write(folder / f"cat-{index}_time.txt", rng.uniform(0.01, 0.02, (count, 1)), fmt="%.5f")
    return seqs, trackers


def test_evaluate_writes_report_and_returns_summary(tmp_path):
    seqs, trackers = lasot_like(tmp_path, np.random.default_rng(0))
    report = tmp_path / "report"
    summary = evaluate("lasot", {"stark": trackers["stark"], "simtrack": trackers["simtrack"]}, seqs,
                       report_dir=report, pdf=True)
    assert list(summary.index) == ["simtrack", "stark"]            # sorted by AUC
    assert summary.attrs["protocol"] == "official" and "MATLAB" in summary.attrs["rules"]
    assert summary.loc["simtrack", "Runs"] == 3 and summary.loc["stark", "Runs"] == 1
    assert summary.loc["simtrack", "AUC std"] > 0 and np.isnan(summary.loc["stark", "AUC std"])
    assert 0 < summary.loc["simtrack", "FPS"] and 0 < summary.loc["simtrack", "AUC"] <= 100

    # the table reports, in percent, the mean over runs of what metrics computes per run
    rules = metrics.get_protocol("lasot")
    truth = metrics.GroundTruth.from_sequences(seqs)
    runs, _ = load_results("simtrack", trackers["simtrack"], seqs)
    aucs = [metrics.summarize(rules, metrics.evaluate_run(rules, truth, boxes, times))[0]["AUC"]
            for boxes, times in zip(runs.boxes, runs.times)]
    assert summary.loc["simtrack", "AUC"] == pytest.approx(100 * np.mean(aucs))
    assert summary.loc["simtrack", "AUC std"] == pytest.approx(100 * np.std(aucs, ddof=1))

    for name in ("summary.md", "summary.csv", "summary.tex", "per_sequence.csv", "per_sequence.md",
                 "attributes.csv", "attributes_auc.md", "attributes_auc.tex", "attributes.png",
                 "success.png", "success.pdf", "precision.png", "precision.pdf", "norm_precision.png",
                 "norm_precision.pdf"):
        assert (report / name).stat().st_size > 0, name
    markdown = (report / "summary.md").read_text()
    assert "official protocol" in markdown and "| simtrack |" in markdown and "AUC std" in markdown
    assert pd.read_csv(report / "summary.csv", index_col=0).loc["stark", "Runs"] == 1
    assert "\\begin{tabular}" in (report / "summary.tex").read_text()
    per_sequence = pd.read_csv(report / "per_sequence.csv")
    assert len(per_sequence) == 12 and {"AUC", "P", "NP"} <= set(per_sequence.columns)
    attributes = pd.read_csv(report / "attributes.csv")
    assert set(attributes["Attribute"]) == set(ATTRIBUTES)
    assert (attributes["Sequences"] == 4).all()   # each attribute is set on 4 of the 6 sequences


def test_evaluate_got10k_val_reports_ao_and_a_success_plot_only(tmp_path):
    rng = np.random.default_rng(3)
    seqs = []
    for index in range(3):
        seq = sequence(f"GOT-10k_Val_00000{index}", 8, "got10k_val",
                       meta={"cover": np.full(8, 5), "image_size": (100, 100)})
        seqs.append(seq)
        write(tmp_path / "t" / seq.name / f"{seq.name}_001.txt", seq.boxes + rng.normal(0, 2, seq.boxes.shape))
        write(tmp_path / "t" / seq.name / f"{seq.name}_time.txt", np.full((8, 1), 0.01), fmt="%.5f")
    summary = evaluate("got10k_val", {"t": tmp_path / "t"}, seqs, report_dir=tmp_path / "r")
    assert list(summary.columns) == ["AO", "AO low", "AO high", "SR0.5", "SR0.5 low", "SR0.5 high", "SR0.75",
                                     "SR0.75 low", "SR0.75 high", "FPS", "Runs"]
    assert summary.loc["t", "FPS"] == pytest.approx(100)
    assert (tmp_path / "r" / "success.png").exists() and not (tmp_path / "r" / "precision.png").exists()


@pytest.mark.parametrize("dataset", ["trackingnet", "got10k_test"])
def test_evaluate_refuses_test_splits_by_their_key_before_reading_anything(tmp_path, dataset):
    test_seq = Sequence("s", dataset, [""] * 3, np.array([[1, 2, 3, 4.0]]))
    with pytest.raises(ConfigError, match=f"no public ground truth.*benchmarks.submit --dataset {dataset}$"):
        evaluate(dataset, {"t": tmp_path / "nothing here"}, [test_seq], report_dir=tmp_path / "r")
    assert not (tmp_path / "r").exists()


def test_evaluate_refuses_an_empty_tracker_list():
    with pytest.raises(ConfigError, match="no trackers"):
        evaluate("lasot", {}, [Sequence("s", "lasot", [""] * 3, np.ones((3, 4)))])


def test_tracker_folders():
    parsed = tracker_folders(["simtrack", "stark=raw/stark_s50"], "results", "lasot")
    assert str(parsed["simtrack"]) == "results/simtrack/lasot" and str(parsed["stark"]) == "raw/stark_s50"
    with pytest.raises(ConfigError, match="twice"):
        tracker_folders(["a", "a=x"], "results", "lasot")
    with pytest.raises(ConfigError, match="NAME=RESULTS_DIR"):
        tracker_folders(["a="], "results", "lasot")


# ----------------------------------------------------------------------------------------------
# Command line, on a dataset in the real LaSOT layout

def test_cli_evaluates_and_names_the_protocol(tmp_path, capsys):
    expected = fabricate.make_lasot(tmp_path / "LaSOT", test_list=True)
    for name, truth in expected.items():
        write(tmp_path / "results" / "simtrack" / "lasot" / f"{name}.txt", truth.boxes, fmt="%.1f")
        write(tmp_path / "other" / f"{name}.txt", truth.boxes + 1, "\t", "%d")
    argv = ["--dataset", "lasot", "--data-root", str(tmp_path / "LaSOT"), "--results", str(tmp_path / "results"),
            "--trackers", "simtrack", f"other={tmp_path / 'other'}", "--protocol", "pysot"]
    assert evaluate_module.main(argv) == 0
    out = capsys.readouterr().out
    assert "protocol 'pysot'" in out and "pysot-toolkit" in out and "| simtrack |" in out
    assert (tmp_path / "results" / "reports" / "lasot" / "success.png").exists()


def test_cli_user_errors_are_one_line(tmp_path, capsys):
    fabricate.make_lasot(tmp_path / "LaSOT", test_list=True)
    argv = ["--dataset", "lasot", "--data-root", str(tmp_path / "LaSOT"), "--results", str(tmp_path / "results"),
            "--trackers", "missing"]
    with pytest.raises(SystemExit) as caught:
        run_cli(evaluate_module.main, argv)
    assert caught.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("error: results are incomplete") and "Traceback" not in err


def test_cli_labelled_trackingnet_chunk_uses_the_devkit_rules(tmp_path, capsys):
    expected = fabricate.make_trackingnet(tmp_path / "TrackingNet", chunk="TRAIN_0")
    for name, truth in expected.items():  # results in the runner's folder for this split key
        write(tmp_path / "results" / "simtrack" / "trackingnet_train_0" / f"{name}.txt", truth.boxes)
    argv = ["--dataset", "trackingnet", "--split", "train_0", "--data-root", str(tmp_path / "TrackingNet"),
            "--results", str(tmp_path / "results"), "--trackers", "simtrack"]
    assert evaluate_module.main(argv) == 0
    out = capsys.readouterr().out
    assert out.startswith("TrackingNet (train_0): 2 sequences") and "TrackingNet devkit rules" in out
    summary = pd.read_csv(tmp_path / "results" / "reports" / "trackingnet_train_0" / "summary.csv", index_col=0)
    assert summary.loc["simtrack", "AUC"] == pytest.approx(100.0) and summary.loc["simtrack", "Coverage"] == 100.0
    assert metrics.get_protocol("got10k_vottrain").pooled and metrics.get_protocol("lasot_train").description == \
        metrics.get_protocol("lasot").description


# ----------------------------------------------------------------------------------------------
# Intervals, comparisons, length notes, merged datasets

def html_data(path):
    import json
    import re
    text = path.read_text(encoding="utf-8")
    return json.loads(re.search(r'id="report-data">(.*?)</script>', text, re.S).group(1).replace("<\\/", "</"))


def test_cli_intervals_comparisons_and_the_sequences_a_length_rule_touched(tmp_path, capsys):
    expected = fabricate.make_otb(tmp_path / "OTB100")
    rng = np.random.default_rng(8)
    for name, truth in expected.items():
        boxes = truth.boxes + rng.normal(0, 0.3, truth.boxes.shape)
        boxes[:, 2:] = np.abs(boxes[:, 2:]) + 0.5
        write(tmp_path / "results" / "A" / "otb100" / f"{name}.txt", boxes)
        write(tmp_path / "results" / "B" / "otb100" / f"{name}.txt", boxes[:-1] if name == "Board" else boxes)
    argv = ["--dataset", "otb100", "--data-root", str(tmp_path), "--results", str(tmp_path / "results"),
            "--trackers", "A", "B", "--protocol", "stark", "--bootstrap", "200", "--seed", "3", "--confidence", "90",
            "--compare", "--bands", "interval"]
    assert evaluate_module.main(argv) == 0
    out = capsys.readouterr().out
    assert "90 % percentile bootstrap interval over sequences (200 resamples, seed 3)" in out
    assert "note: B: 1 result file of another length than the ground truth, handled as STARK's extract_results " \
           "does, silently: Board (697 rows for 698 frames: padded with 1 zero box)" in out
    assert "| A | B | AUC |" in out
    report = tmp_path / "results" / "reports" / "otb100"
    summary = pd.read_csv(report / "summary.csv", index_col=0)
    assert {"AUC low", "AUC high", "NP low"} <= set(summary.columns)
    assert summary.loc["A", "AUC low"] <= summary.loc["A", "AUC high"]
    markdown = (report / "summary.md").read_text()
    assert f"{summary.loc['A', 'AUC']:.1f} [{summary.loc['A', 'AUC low']:.1f}, " in markdown
    assert "Note: B: 1 result file" in markdown
    assert r"\caption{" in (report / "summary.tex").read_text()
    lengths = pd.read_csv(report / "length_rules.csv")
    assert lengths.to_dict("records") == [{"Tracker": "B", "Dataset": "otb100", "Run": 1, "Sequence": "Board",
                                           "Rows": 697, "Frames": 698, "Action": "padded with 1 zero box"}]
    comparison = pd.read_csv(report / "comparison.csv")
    assert set(comparison["Score"]) == {"AUC", "P", "NP", "OP50", "OP75"} and (comparison["Sequences"] == 8).all()
    assert (report / "comparison.md").read_text().count("\n| A | B |") == 5
    data = html_data(report / "report.html")
    assert data["notes"] == [line[6:] for line in out.splitlines() if line.startswith("note: ")]
    assert len(data["comparisons"]["rows"]) == 5 and data["summary"]["intervals"].startswith("[low, high]: 90 %")
    cell = data["summary"]["rows"][0]["cells"][0]
    assert cell[2] <= cell[3] and data["curves"][0]["series"][0]["low"] is not None
    # official rules: the OTB toolkit fails on the short file, and the message says what stark would do
    with pytest.raises(SystemExit) as caught:
        run_cli(evaluate_module.main, argv[:7] + ["A", "B", "--protocol", "official"])
    assert caught.value.code == 2
    assert "Board.txt: 697 boxes for a sequence of 698 frames; the OTB MATLAB toolkit fails" in capsys.readouterr().err


def test_merged_benchmark_scores_each_dataset_under_its_own_rules(tmp_path, capsys):
    data = tmp_path / "data"
    made = {"otb100": fabricate.make_otb(data / "OTB100"), "uav123": fabricate.make_uav123(data / "UAV123"),
            "tc128ce": {name: truth for name, truth in fabricate.make_tc128(data / "TC128").items() if "_ce" in name}}
    rng = np.random.default_rng(9)
    for dataset, expected in made.items():     # STARK's layout: one folder, pytracking's file names
        for name, truth in expected.items():
            boxes = np.nan_to_num(truth.boxes) + rng.normal(0, 0.4, truth.boxes.shape)
            boxes[:, 2:] = np.abs(boxes[:, 2:]) + 0.5
            stem = f"uav_{name}" if dataset == "uav123" else name
            write(tmp_path / "stark" / f"{stem}.txt", boxes)
            write(tmp_path / "separate" / dataset / f"{stem}.txt", boxes)
    argv = ["--dataset", "otb+uav+tc128ce", "--data-root", str(data), "--results", str(tmp_path / "results"),
            "--trackers", f"S={tmp_path / 'stark'}", f"T={tmp_path / 'separate'}", "--protocol", "stark",
            "--bootstrap", "50"]
    assert evaluate_module.main(argv) == 0
    out = capsys.readouterr().out
    assert out.startswith("OTB100 + UAV123 + TC128-CE: 13 sequences, protocol 'stark'")
    summary = pd.read_csv(tmp_path / "results" / "reports" / "otb100+uav123+tc128ce" / "summary.csv", index_col=0)
    # the pooled AUC is the mean over all 13 sequences of each one scored under its own dataset's rules
    from benchmarks.scoring.evaluation import score
    from benchmarks.scoring.statistics import StatisticsSettings
    from simtrack.data import load_dataset
    per_sequence = []
    for dataset in made:
        alone = score(dataset, {"S": tmp_path / "stark"}, load_dataset(dataset, root=data, frames_required=False),
                      "stark", StatisticsSettings(0))
        per_sequence += list(metrics.per_sequence(alone.protocol, alone.results[0].runs[0])["AUC"])
    assert len(per_sequence) == 13
    assert summary.loc["S", "AUC"] == pytest.approx(100 * np.mean(per_sequence), abs=1e-5)   # CSV: 6 decimals
    assert summary.loc["T", "AUC"] == summary.loc["S", "AUC"]
    # official rules: TC128's scripts have no normalised precision, so the merged table has none
    official = evaluate_module.main(argv[:9] + ["--protocol", "official", "--bootstrap", "0"])
    assert official == 0 and "| NP" not in capsys.readouterr().out


def merged_tc128_dtb70(tmp_path):
    """TC128 and two DTB70 sequences (David is in both) under ``tmp_path/data``, their ground truth as
    results under ``tmp_path/r/<dataset>/``; the sequences of both."""
    from simtrack.data import load_dataset
    data = tmp_path / "data"
    fabricate.make_tc128(data / "TC128")
    fabricate.make_dtb70(data / "DTB70", names=("David", "Car6"))
    sequences = load_dataset("tc128", root=data, frames_required=False) + \
        load_dataset("dtb70", root=data, frames_required=False)
    for seq in sequences:
        write(tmp_path / "r" / seq.dataset / f"{seq.name}.txt", seq.boxes)
    return sequences


def test_merged_names_shared_by_two_datasets_are_qualified(tmp_path):
    from benchmarks.scoring.evaluation import score
    from benchmarks.scoring.statistics import StatisticsSettings
    sequences = merged_tc128_dtb70(tmp_path)
    evaluation = score("tc128+dtb70", {"t": tmp_path / "r"}, sequences, "stark", StatisticsSettings(20))
    names = [seq.name for seq in evaluation.sequences]
    assert "tc128/David" in names and "dtb70/David" in names and "Car6" in names
    assert set(evaluation.results[0].frame_values) == set(names)
    # exact boxes pass every threshold but 1 on valid frames; DTB70's Car6 has 2 zero (invalid) rows of 7
    assert evaluation.results[0].scores[0]["AUC"] == pytest.approx((5 + 5 / 7) / 6 * 20 / 21)
    with pytest.raises(ConfigError, match="scored differently"):
        score("lasot+got10k_val", {"t": tmp_path}, [], None)


def test_a_merged_evaluation_opens_an_archive_once_and_closes_it(tmp_path, monkeypatch):
    """One archive for every dataset of a merged evaluation is opened (a tar decompressed) once, and closed."""
    import tarfile

    from benchmarks.scoring import archives
    from benchmarks.scoring.evaluation import score
    from benchmarks.scoring.statistics import StatisticsSettings
    sequences = merged_tc128_dtb70(tmp_path)
    with tarfile.open(tmp_path / "r.tar.gz", "w:gz") as archive:
        archive.add(tmp_path / "r", "r")
    opened, closed = [], []
    real_open, real_close = archives.open_archive, archives.TarArchive.close
    monkeypatch.setattr(archives, "open_archive", lambda *args, **kwargs: opened.append(args[0]) or
                        real_open(*args, **kwargs))
    monkeypatch.setattr(archives.TarArchive, "close", lambda self: closed.append(self.path) or real_close(self))
    evaluation = score("tc128+dtb70", {"t": tmp_path / "r.tar.gz"}, sequences, "stark", StatisticsSettings(0))
    assert len(evaluation.sequences) == len(sequences)
    assert opened == closed == [tmp_path / "r.tar.gz"]
