"""Result files: atomic writes, the resume check, the error log and the manifest."""
import io
import json
import os
import stat
from pathlib import Path

import numpy as np
import pytest
from fabricate import write_result

from benchmarks.runner import folders as outputs
from benchmarks.runner.backends.worker import Outcome
from benchmarks.runner.folders import append_error, remove_partial_files, result_is_complete, result_paths, run_folder
from benchmarks.runner.manifest import build_manifest, write_manifest
from benchmarks.runner.planning import Plan, Slot, plan_jobs, plan_slots
from benchmarks.runner.recorder import Recorder
from benchmarks.runner.tracking import TIMING_DEFINITION
from simtrack.data.sequence import Sequence
from simtrack.errors import ResultsError
from simtrack.formats.atomic import atomic_write

BOXES = np.array([[1, 2, 3, 4], [1.5, 2.25, 3.125, 4.0625], [0, 0, 10, 10]], dtype=np.float64)
TIMES = np.array([0.5, 0.01, 0.02])


def test_layout_puts_repeats_below_the_first_run(tmp_path):
    assert run_folder(tmp_path, "trk", "lasot") == tmp_path / "trk" / "lasot"
    assert run_folder(tmp_path, "trk", "lasot", repeat=3) == tmp_path / "trk" / "lasot" / "repeat3"


def test_written_results_read_back_and_count_as_complete(tmp_path):
    write_result(tmp_path, "seq", BOXES, TIMES)
    boxes_path, times_path = result_paths(tmp_path, "seq")
    lines = boxes_path.read_text().splitlines()
    assert lines[0] == "1.0000,2.0000,3.0000,4.0000" and len(lines) == 3
    np.testing.assert_allclose(np.loadtxt(boxes_path, delimiter=","), BOXES, atol=1e-4)
    np.testing.assert_allclose(np.loadtxt(times_path), TIMES)
    assert result_is_complete(tmp_path, "seq", 3)
    assert not result_is_complete(tmp_path, "seq", 4)   # another dataset version: redo
    assert sorted(p.name for p in tmp_path.iterdir()) == ["seq.txt", "seq_time.txt"]


@pytest.mark.parametrize("damage", ["truncated", "nan", "missing_times", "missing_boxes", "short_times", "text"])
def test_anything_but_two_valid_files_means_redo(tmp_path, damage):
    write_result(tmp_path, "seq", BOXES, TIMES)
    boxes_path, times_path = result_paths(tmp_path, "seq")
    if damage == "truncated":
        boxes_path.write_text(boxes_path.read_text()[:-9])
    elif damage == "nan":
        boxes_path.write_text("1,2,3,4\nnan,2,3,4\n1,2,3,4\n")
    elif damage == "missing_times":
        times_path.unlink()
    elif damage == "missing_boxes":
        boxes_path.unlink()
    elif damage == "short_times":
        times_path.write_text("0.1\n0.1\n")
    else:
        boxes_path.write_bytes(b"\x00\xff garbage")
    assert not result_is_complete(tmp_path, "seq", 3)


def test_a_failed_write_leaves_neither_file_nor_temp(tmp_path, monkeypatch):
    def broken_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(outputs.os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        atomic_write(tmp_path / "seq.txt", b"1,2,3,4\n")
    assert list(tmp_path.iterdir()) == []


def test_partial_files_of_a_killed_run_are_removed(tmp_path):
    (tmp_path / ".seq.txt.abc123.partial").write_text("1,2,")
    (tmp_path / "seq.txt").write_text("1,2,3,4\n")
    remove_partial_files(tmp_path)
    assert [p.name for p in tmp_path.iterdir()] == ["seq.txt"]
    remove_partial_files(tmp_path / "absent")   # nothing there yet: no error


def test_a_shard_removes_only_the_partial_files_of_its_own_sequences(tmp_path):
    for name in (".cat-1.txt.a1.partial", ".cat-1_time.txt.b2.partial", ".cat-10.txt.c3.partial", ".dog[1].txt.d4.partial"):
        (tmp_path / name).write_text("1,2,")
    remove_partial_files(tmp_path, names=["cat-1", "dog[1]"])
    assert [p.name for p in tmp_path.iterdir()] == [".cat-10.txt.c3.partial"]   # another shard's write in progress


def test_error_log_keeps_message_and_traceback(tmp_path):
    log = append_error(tmp_path / "run", "seq-1", "frame x.jpg cannot be decoded", "Traceback ...\nError: x")
    append_error(tmp_path / "run", "seq-2", "other", "Traceback 2")
    text = log.read_text()
    assert log == tmp_path / "run" / "errors.log"
    assert "seq-1: frame x.jpg cannot be decoded" in text and "Traceback ...\nError: x" in text and "seq-2" in text


def _manifest(sha, path="model.safetensors"):
    return build_manifest(checkpoint=Path(path), checkpoint_sha256=sha, config={"name": "tiny", "depth": 4},
                          tracker_name="trk", dataset="lasot", data_root=None, sequences=["a", "b"], repeats=1,
                          backend="local", slots=[Slot(0, "cuda:0", 4), Slot(1, "cuda:1", 4)])


def test_an_error_log_linked_out_of_the_folder_is_refused_and_its_target_untouched(tmp_path):
    keep = tmp_path / "outside" / "keep.txt"
    keep.parent.mkdir()
    keep.write_text("precious\n")
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "errors.log").symlink_to(keep)
    with pytest.raises(ResultsError, match="error log .*errors.log is a symbolic link, not a regular file"):
        append_error(tmp_path / "run", "seq-1", "failed", "Traceback")
    assert keep.read_text() == "precious\n"


def test_manifest_records_weights_code_and_timing(tmp_path):
    path = write_manifest(tmp_path, _manifest("ab" * 32))
    manifest = json.loads(path.read_text())
    assert manifest["checkpoint"]["sha256"] == "ab" * 32 and Path(manifest["checkpoint"]["path"]).is_absolute()
    assert manifest["variant"] == "tiny" and manifest["config"]["depth"] == 4
    assert set(manifest["versions"]) == {"python", "torch", "numpy", "simtrack"}
    assert "git_commit" in manifest and manifest["timing"] == TIMING_DEFINITION
    assert "decoding" in manifest["timing"] and "not included" in manifest["timing"]
    assert manifest["runs"][0]["devices"] == ["cuda:0", "cuda:1"]


def test_manifest_appends_resumed_runs_and_refuses_other_weights(tmp_path):
    write_manifest(tmp_path, _manifest("ab" * 32))
    write_manifest(tmp_path, _manifest("ab" * 32))
    assert len(json.loads((tmp_path / "manifest.json").read_text())["runs"]) == 2
    with pytest.raises(ResultsError, match="--tracker-name"):
        write_manifest(tmp_path, _manifest("cd" * 32, "other.pth"))


def test_recorder_writes_successes_logs_failures_and_counts(tmp_path, capsys):
    sequences = [Sequence(name, "fake", ["f"] * 3, np.ones((3, 4))) for name in ("good", "bad")]
    jobs = plan_jobs(sequences, repeats=2)
    plan = Plan(plan_slots(["cpu"], cores=2, max_slots=len(jobs)), jobs)
    stream = io.StringIO()
    recorder = Recorder(tmp_path, "trk", "fake", plan, skipped=1, stream=stream, identity={"variant": "tiny"})
    for job in plan.jobs:
        recorder.frames(job.id, 1)
        if job.sequence.name == "good":
            recorder.finished(job, Outcome(job.id, boxes=BOXES, times=TIMES))
        else:
            recorder.finished(job, Outcome(job.id, error="frame f cannot be decoded", traceback="Traceback: x"))
    summary = recorder.close()
    assert (summary.done, summary.skipped, len(summary.failed), summary.frames) == (2, 1, 2, 6)
    assert recorder._bar.n == plan.frames          # failed jobs' remaining frames are accounted for
    assert 0 <= summary.startup <= summary.seconds
    assert result_is_complete(tmp_path / "trk" / "fake", "good", 3)
    assert result_is_complete(tmp_path / "trk" / "fake" / "repeat2", "good", 3)
    assert "bad (repeat 2): frame f cannot be decoded" in (tmp_path / "trk" / "fake" / "repeat2" / "errors.log").read_text()
    assert "FAILED bad: frame f cannot be decoded" in capsys.readouterr().out   # next to the summary
    assert "12/12" in stream.getvalue()
    lines = "\n".join(summary.lines())
    assert "2 done, 1 skipped (already complete), 2 failed" in lines and "bad (repeat 2)" in lines


@pytest.mark.parametrize("umask, mode", [(0o022, 0o644), (0o027, 0o640), (0o002, 0o664)])
def test_written_files_get_the_mode_the_umask_gives(tmp_path, umask, mode):
    previous = os.umask(umask)
    try:
        write_result(tmp_path, "seq", BOXES, TIMES)
        write_manifest(tmp_path, _manifest("ab" * 32))
    finally:
        os.umask(previous)
    assert {p.name: stat.S_IMODE(p.stat().st_mode) for p in tmp_path.iterdir()} == \
        dict.fromkeys(["seq.txt", "seq_time.txt", "manifest.json"], mode)
