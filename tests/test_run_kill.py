"""SIGKILL the runner at several moments; every rerun resumes and no result file is ever broken.

Also checks that the worker processes of a killed runner exit by themselves (no orphans).
"""
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from fabricate import make_lasot

import simtrack
from benchmarks.runner.folders import result_is_complete
from benchmarks.scoring.result_files import read_boxes, read_times

NAMES = [f"cat-{i}" for i in range(1, 7)]
FRAMES = 12
pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc to find worker processes")


def children(pid):
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def running(pid):
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def wait_until(condition, process, timeout=120):
    deadline = time.monotonic() + timeout
    while not condition() and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)


def assert_no_broken_file(folder):
    """Every boxes file that exists is complete together with its times; no times file is cut."""
    for path in folder.glob("*.txt"):
        if path.name.endswith("_time.txt"):
            times = read_times(path)
            assert times.shape == (FRAMES, 1), path
        else:
            assert result_is_complete(folder, path.stem, FRAMES), path
            assert read_boxes(path).shape == (FRAMES, 4)


def completed(folder):
    return sum(result_is_complete(folder, name, FRAMES) for name in NAMES)


def test_sigkill_at_any_moment_then_rerun_completes_everything(tmp_path):
    torch.manual_seed(0)
    checkpoint = simtrack.save_checkpoint(simtrack.build_model("tiny"), tmp_path / "tiny.safetensors")
    make_lasot(tmp_path / "LaSOT", names=NAMES, num_frames=FRAMES, test_list=True)
    folder = tmp_path / "out" / "tiny" / "lasot"
    command = [sys.executable, "-m", "benchmarks.run", "--dataset", "lasot", "--data-root", str(tmp_path / "LaSOT"),
               "--checkpoint", str(checkpoint), "--results", "out", "--devices", "cpu", "--workers-per-device", "2"]
    env = dict(os.environ, MPLBACKEND="Agg", PYTHONPATH=str(Path(__file__).resolve().parents[1]))

    moments = [lambda: (folder / "manifest.json").exists(),               # workers starting up
               lambda: any(folder.glob("cat-*_time.txt")),                 # first write in flight
               lambda: completed(folder) >= before + 1]                    # mid-run, after resuming
    for moment in moments:
        before = completed(folder)
        process = subprocess.Popen(command, cwd=tmp_path, env=env, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL)
        wait_until(moment, process)
        workers = children(process.pid)
        process.send_signal(signal.SIGKILL)
        process.wait()
        assert_no_broken_file(folder)
        deadline = time.monotonic() + 30
        while any(running(pid) for pid in workers) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not any(running(pid) for pid in workers), "workers outlived the killed runner"

    resumed = completed(folder)
    assert 0 < resumed < len(NAMES), "the kills did not land mid-run; the test proves nothing"
    final = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert final.returncode == 0, final.stdout + final.stderr
    assert completed(folder) == len(NAMES)
    assert_no_broken_file(folder)
    assert not list(folder.glob(".*.partial"))
    assert f"{len(NAMES) - resumed} done, {resumed} skipped" in final.stdout
