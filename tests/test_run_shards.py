"""Several runners on one results folder: lock files (flock and the O_EXCL fallback) and --shard K/N."""
import errno
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch
from timeouts import within

import simtrack
from benchmarks import run
from benchmarks.runner import locks
from benchmarks.runner.folders import result_is_complete
from benchmarks.runner.locks import LockFile, RunLock
from benchmarks.runner.tracking import track_sequence
from simtrack.data import ensure_demo_dataset, load_dataset
from simtrack.errors import ResultsError

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def no_flock(monkeypatch):
    """A file system without flock (NFS without a lock manager): every flock fails with ENOLCK."""
    def refuse(file, exclusive):
        raise OSError(errno.ENOLCK, "No locks available")
    monkeypatch.setattr(locks, "_flock", refuse)


def test_a_second_runner_on_the_same_folder_is_refused_by_name(tmp_path):
    with RunLock(tmp_path):
        with pytest.raises(ResultsError, match=rf"another runner \(host {socket.gethostname()}, pid {os.getpid()}"):
            with RunLock(tmp_path):
                pass
    with RunLock(tmp_path):   # released on exit
        pass


@pytest.mark.parametrize("flock", [True, False], ids=["flock", "no-flock"])
def test_parts_of_one_split_run_side_by_side_and_nothing_else_does(tmp_path, request, flock):
    if not flock:
        request.getfixturevalue("no_flock")
    with RunLock(tmp_path, (1, 2)) as first, RunLock(tmp_path, (2, 2)):
        for shard, message in [((1, 2), "shard 1/2 is already running"), ((1, 3), r"the same way \(--shard K/2\)"),
                               (None, r"wait for the shards to finish .* or pass --shard K/2")]:
            with pytest.raises(ResultsError, match=message):
                with RunLock(tmp_path, shard):
                    pass
        with first.exclusive():          # the folder mutex is one at a time
            assert LockFile(tmp_path / locks.MUTEX_NAME).probe()["what"] == "folder mutex"
        assert [shard for shard, _ in first.finish()] == [(2, 2)]      # the other part still writes
    with RunLock(tmp_path, (1, 2)) as again:
        assert again.finish() == []                                      # alone: this one evaluates
    with RunLock(tmp_path):
        with pytest.raises(ResultsError, match="another runner"):
            with RunLock(tmp_path, (1, 2)):
                pass


def test_without_flock_a_lock_file_records_its_owner_and_is_never_mistaken_for_one(tmp_path, no_flock):
    lock = LockFile(tmp_path / ".runner-1-of-1.lock", "runner")
    assert lock.try_acquire() is None                   # flock fails, but nobody holds the lock: taken
    record = json.loads((tmp_path / ".runner-1-of-1.lock.excl").read_text())
    assert (record["host"], record["pid"]) == (socket.gethostname(), os.getpid())
    assert LockFile(tmp_path / ".runner-1-of-1.lock").try_acquire()["pid"] == os.getpid()
    lock.release()
    assert not (tmp_path / ".runner-1-of-1.lock.excl").exists()
    assert LockFile(tmp_path / ".runner-1-of-1.lock").probe() is None


@pytest.mark.parametrize("planted", ["link", "fifo", "excl-link"])
def test_a_lock_file_that_is_a_link_or_fifo_is_refused_and_nothing_outside_is_written(tmp_path, planted):
    folder, outside = tmp_path / "results", tmp_path / "outside"
    folder.mkdir()
    outside.mkdir()
    keep = outside / "keep.txt"
    keep.write_text("precious\n")
    lock = folder / ".runner-3-of-4.lock"
    if planted == "link":
        lock.symlink_to(Path("..") / "outside" / "keep.txt")
    elif planted == "fifo":
        os.mkfifo(lock)
    else:                                   # the fallback lock's record, read when flock is missing
        (folder / ".runner-3-of-4.lock.excl").symlink_to(keep)
        with pytest.raises(ResultsError, match="lock file .* is a symbolic link, not a regular file"):
            locks.ExclusiveFile(folder / ".runner-3-of-4.lock.excl", "runner").try_acquire()
        assert keep.read_text() == "precious\n"
        return
    kind = "a symbolic link" if planted == "link" else "a FIFO"
    with pytest.raises(ResultsError, match=f"lock file .*runner-3-of-4.lock is {kind}"):
        with within(10), RunLock(folder, (1, 4)):
            pass
    assert keep.read_text() == "precious\n"


def write_owner(path, host, pid, age=0.0):
    path.write_text(json.dumps({"host": host, "pid": pid, "started": "earlier", "what": "runner"}))
    then = time.time() - age
    os.utime(path, (then, then))


def test_without_flock_stale_locks_are_taken_over_and_live_ones_refused(tmp_path, no_flock, monkeypatch):
    excl = tmp_path / ".runner-1-of-1.lock.excl"
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    write_owner(excl, socket.gethostname(), int(dead.stdout))          # its process is gone
    lock = LockFile(tmp_path / ".runner-1-of-1.lock")
    assert lock.try_acquire() is None
    lock.release()
    write_owner(excl, "node-7", 4242, age=locks.STALE_SECONDS + 5)       # another machine, heartbeat too old
    assert lock.try_acquire() is None
    lock.release()
    write_owner(excl, "node-7", 4242, age=1)                             # another machine, alive
    with pytest.raises(ResultsError, match="another runner .host node-7, pid 4242"):
        with RunLock(tmp_path):
            pass
    # The holder's heartbeat keeps its file fresh.
    monkeypatch.setattr(locks, "HEARTBEAT_SECONDS", 0.05)
    excl.unlink()
    assert lock.try_acquire() is None
    os.utime(excl, (0, 0))
    time.sleep(0.5)
    assert time.time() - excl.stat().st_mtime < 5
    lock.release()


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    folder = tmp_path_factory.mktemp("shards")
    root = ensure_demo_dataset(folder / "data" / "demo", num_sequences=5, num_frames=6, size=(64, 48))
    torch.manual_seed(0)
    checkpoint = simtrack.save_checkpoint(simtrack.build_model("tiny"), folder / "tiny.safetensors")
    tracker = simtrack.Tracker.from_checkpoint(checkpoint, device="cpu")
    expected = {s.name: track_sequence(tracker, s).boxes for s in load_dataset("demo", root=root)}
    return folder, expected


def test_shards_at_once_on_one_folder_make_exactly_one_run(demo, capsys, monkeypatch):
    folder, expected = demo
    command = [sys.executable, "-m", "benchmarks.run", "--checkpoint", "tiny.safetensors", "--devices", "cpu",
               "--workers-per-device", "1", "--threads", "1"]
    env = dict(os.environ, PYTHONPATH=str(REPO), OMP_NUM_THREADS="1")
    tasks = [subprocess.Popen(command + ["--shard", f"{k}/3"], cwd=folder, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True) for k in (1, 2, 3)]
    outputs = [task.communicate(timeout=300)[0] for task in tasks]
    assert [task.returncode for task in tasks] == [0, 0, 0], "\n".join(outputs)
    assert sum("tables and plots written to" in output for output in outputs) == 1, "\n".join(outputs)   # evaluated once
    assert all("tables and plots written to" in output or "left to the last shard" in output or "are missing" in output
               for output in outputs)
    results = folder / "results" / "tiny" / "demo"
    for name, boxes in expected.items():
        assert result_is_complete(results, name, len(boxes))
        np.testing.assert_allclose(np.loadtxt(results / f"{name}.txt", delimiter=","), boxes, atol=1e-3)
    manifest = json.loads((results / "manifest.json").read_text())
    assert sorted(entry["shard"] for entry in manifest["runs"]) == ["1/3", "2/3", "3/3"]   # no update lost
    assert not list(results.glob(".*.partial")) and not (results / "errors.log").exists()
    # A plain run afterwards sees one complete run and just evaluates it.
    monkeypatch.chdir(folder)
    assert run.main(["--checkpoint", "tiny.safetensors", "--devices", "cpu", "--workers-per-device", "1"]) == 0
    assert "all 5 runs already complete" in capsys.readouterr().out
