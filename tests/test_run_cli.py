"""``python -m benchmarks.run`` end to end on a fabricated LaSOT with a random tiny model.

Covers the result layout, resuming, a corrupt frame failing only its sequence, and user errors
printed as one line. Worker processes are real (spawned), so these tests cost a few seconds each.
"""
import json
import shutil

import numpy as np
import pytest
import torch
from fabricate import make_got10k, make_lasot, write_result

import simtrack
import simtrack.weights
from benchmarks import evaluate, run
from benchmarks.runner.execute import RunOutcome
from benchmarks.runner.finish import finish
from benchmarks.runner.folders import result_is_complete
from benchmarks.runner.recorder import Summary
from benchmarks.runner.settings import RunSettings
from simtrack.cli import run_cli
from simtrack.data import load_dataset
from simtrack.errors import CheckpointError

NAMES = ("cat-1", "cat-2", "dog-1")


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    torch.manual_seed(0)
    return simtrack.save_checkpoint(simtrack.build_model("tiny"), tmp_path_factory.mktemp("weights") / "tiny.safetensors")


@pytest.fixture
def lasot(tmp_path):
    make_lasot(tmp_path / "LaSOT", names=NAMES, num_frames=5, test_list=True)
    return tmp_path / "LaSOT"


@pytest.fixture(autouse=True)
def quiet_plots(monkeypatch, tmp_path):
    monkeypatch.setenv("MPLBACKEND", "Agg")
    monkeypatch.delenv("SIMTRACK_DATA", raising=False)
    monkeypatch.chdir(tmp_path)


def argv(lasot, checkpoint, *extra):
    """One worker unless ``extra`` asks for more (the last --workers-per-device wins)."""
    return ["--dataset", "lasot", "--data-root", str(lasot), "--checkpoint", str(checkpoint),
            "--results", "out", "--devices", "cpu", "--workers-per-device", "1", *extra]


def test_a_corrupt_frame_fails_only_its_sequence_and_a_rerun_finishes_the_rest(lasot, checkpoint, tmp_path, capsys):
    frame = lasot / "cat" / "cat-2" / "img" / "00000003.jpg"
    good = frame.read_bytes()
    frame.write_bytes(b"not a jpeg")
    args = argv(lasot, checkpoint, "--workers-per-device", "2", "--repeat", "2", "--sequences", "cat-2,dog-1")
    with pytest.raises(SystemExit) as exit_info:
        run_cli(run.main, args)
    assert exit_info.value.code == 1
    out = capsys.readouterr().out
    assert "2 done, 0 skipped (already complete), 2 failed" in out and "Evaluation skipped" in out
    assert "cat-2: frame" in out and "cat-2 (repeat 2): frame" in out and "00000003.jpg cannot be decoded" in out
    first = tmp_path / "out" / "tiny" / "lasot"
    for folder in (first, first / "repeat2"):
        assert sorted(p.name for p in folder.glob("*.txt")) == ["dog-1.txt", "dog-1_time.txt"]  # no cat-1: not asked
        assert result_is_complete(folder, "dog-1", 5)
        log = (folder / "errors.log").read_text()
        assert "cat-2" in log and "Traceback (most recent call last)" in log and "TrackerInputError" in log
    boxes = np.loadtxt(first / "dog-1.txt", delimiter=",")
    gt = np.loadtxt(lasot / "dog" / "dog-1" / "groundtruth.txt", delimiter=",")
    np.testing.assert_allclose(boxes[0], gt[0])   # the first frame holds the init box
    manifest = json.loads((first / "manifest.json").read_text())
    assert manifest["variant"] == "tiny" and manifest["repeats"] == 2 and manifest["sequences"] == ["cat-2", "dog-1"]
    assert manifest["runs"][0]["devices"] == ["cpu"] and len(manifest["checkpoint"]["sha256"]) == 64

    frame.write_bytes(good)                                               # the user fixes the frame ...
    damaged = first / "repeat2" / "dog-1.txt"
    damaged.write_text("1,2,3,4\n1,2,")                                    # ... and a file got damaged
    with pytest.raises(SystemExit) as exit_info:                          # never silently redone
        run_cli(run.main, args)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "repeat2/dog-1.txt" in err and "differs from the checksum in its record" in err
    assert "--discard-unverified" in err and damaged.read_text() == "1,2,3,4\n1,2,"
    assert run.main(args + ["--discard-unverified"]) == 0
    out = capsys.readouterr().out
    assert "3 done, 1 skipped (already complete), 0 failed" in out and "AUC" in out
    assert sorted(p.name for p in (first / "discarded").glob("*/repeat2/*")) == ["dog-1.txt", "dog-1_time.txt"]
    assert all(result_is_complete(folder, name, 5) for folder in (first, first / "repeat2")
               for name in ("cat-2", "dog-1"))
    assert (tmp_path / "out" / "reports" / "lasot" / "report.html").is_file()   # the final evaluation's page
    assert len(json.loads((first / "manifest.json").read_text())["runs"]) == 2

    assert run.main(args) == 0                                            # nothing left: no worker starts
    assert "0 done, 4 skipped" in capsys.readouterr().out


def test_a_sequence_without_its_frames_fails_alone(lasot, checkpoint, tmp_path, capsys):
    shutil.rmtree(lasot / "cat" / "cat-1" / "img")
    with pytest.raises(SystemExit) as exit_info:
        run_cli(run.main, argv(lasot, checkpoint, "--sequences", "cat-1,dog-1"))
    assert exit_info.value.code == 1
    out = capsys.readouterr().out
    assert "1 done, 0 skipped (already complete), 1 failed" in out and "sequence cat-1: frame" in out
    folder = tmp_path / "out" / "tiny" / "lasot"
    assert result_is_complete(folder, "dog-1", 5) and not (folder / "cat-1.txt").exists()
    assert "cat-1" in (folder / "errors.log").read_text() and "does not exist" in (folder / "errors.log").read_text()


def test_a_benchmark_without_data_says_where_to_put_it(checkpoint, capsys):
    with pytest.raises(SystemExit) as exit_info:
        run_cli(run.main, ["--dataset", "lasot", "--checkpoint", str(checkpoint)])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("error: lasot dataset not found at data/LaSOT") and "--data-root" in err
    assert "Traceback" not in err


def test_no_checkpoint_and_no_demo_model_is_an_error_not_a_random_model(lasot, tmp_path, monkeypatch):
    monkeypatch.setattr(simtrack.weights, "EMBEDDED_CHECKPOINT", tmp_path / "weights" / "tiny_synthetic.safetensors")
    with pytest.raises(CheckpointError, match="no --checkpoint given and the embedded demo model is missing"):
        run.main(["--dataset", "lasot", "--data-root", str(lasot)])
    with pytest.raises(CheckpointError, match="does not exist"):
        run.main(["--dataset", "lasot", "--data-root", str(lasot), "--checkpoint", str(tmp_path / "nope.pth")])


@pytest.mark.parametrize("extra, message", [(["--devices", "cuda:7"], "cuda:7 is not available"),
                                            (["--tracker-name", "../x"], "plain folder name"),
                                            (["--sequences", "cat-9"], "unknown sequence name")])
def test_bad_options_are_one_line_errors(lasot, checkpoint, capsys, extra, message):
    with pytest.raises(SystemExit) as exit_info:
        run_cli(run.main, argv(lasot, checkpoint, *extra))
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


def _finished_run(tmp_path, dataset, sequences):
    folder = tmp_path / "out" / "trk" / dataset
    for sequence in sequences:
        boxes = np.tile(sequence.boxes[:1], (len(sequence), 1))
        write_result(folder, sequence.name, boxes, np.full(len(sequence), 0.01))
    return RunOutcome(Summary(done=len(sequences)), dataset, "trk", folder, sequences)


def test_a_finished_got10k_test_run_is_packed_for_the_server(tmp_path, capsys):
    make_got10k(tmp_path / "GOT-10k", split="test")
    outcome = _finished_run(tmp_path, "got10k_test", load_dataset("got10k_test", root=tmp_path / "GOT-10k"))
    assert finish(outcome, RunSettings(results=tmp_path / "out")) == 0
    assert (tmp_path / "out" / "trk" / "got10k_test.zip").is_file()
    assert "submission written" in capsys.readouterr().out


def test_a_finished_run_prints_the_summary_as_the_evaluate_command_does(lasot, tmp_path, capsys):
    outcome = _finished_run(tmp_path, "lasot", load_dataset("lasot", root=lasot))
    assert finish(outcome, RunSettings(results=tmp_path / "out")) == 0
    printed = capsys.readouterr().out
    assert (tmp_path / "out" / "reports" / "lasot" / "report.html").is_file()
    argv = ["--dataset", "lasot", "--data-root", str(lasot), "--trackers", f"trk={outcome.folder}",
            "--report-dir", str(tmp_path / "again")]
    assert evaluate.main(argv) == 0
    assert capsys.readouterr().out == printed.replace(str(tmp_path / "out" / "reports" / "lasot"), str(tmp_path / "again"))


def test_an_evaluation_that_fails_after_the_run_exits_1_with_its_message(lasot, tmp_path, capsys):
    outcome = _finished_run(tmp_path, "lasot", load_dataset("lasot", root=lasot))
    (outcome.folder / f"{NAMES[0]}.txt").write_text("1,2,3\n")
    assert finish(outcome, RunSettings(results=tmp_path / "out")) == 1
    assert "error: evaluation failed:" in capsys.readouterr().err
