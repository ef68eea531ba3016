"""The Ray backend runs the same per-sequence work as the local one, on a local Ray instance."""
import json

import numpy as np
import pytest
import torch

import simtrack
from benchmarks import run
from benchmarks.outputs import result_is_complete
from benchmarks.tracking import track_sequence
from fabricate import make_lasot
from simtrack.data import load_dataset

ray = pytest.importorskip("ray")


def test_ray_backend_writes_the_same_boxes_as_tracking_in_process(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("MPLBACKEND", "Agg")
    monkeypatch.chdir(tmp_path)
    torch.manual_seed(0)
    checkpoint = simtrack.save_checkpoint(simtrack.build_model("tiny"), tmp_path / "tiny.safetensors")
    make_lasot(tmp_path / "LaSOT", names=("cat-1", "dog-1"), num_frames=4, test_list=True)
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        code = run.main(["--dataset", "lasot", "--data-root", str(tmp_path / "LaSOT"), "--checkpoint", str(checkpoint),
                         "--results", "out", "--backend", "ray", "--devices", "cpu"])
    finally:
        ray.shutdown()
    assert code == 0
    assert "2 done, 0 skipped (already complete), 0 failed" in capsys.readouterr().out
    folder = tmp_path / "out" / "tiny" / "lasot"
    assert json.loads((folder / "manifest.json").read_text())["runs"][0]["backend"] == "ray"
    tracker = simtrack.Tracker.from_checkpoint(checkpoint, device="cpu")
    for sequence in load_dataset("lasot", root=tmp_path / "LaSOT"):
        assert result_is_complete(folder, sequence.name, 4)
        expected = track_sequence(tracker, sequence).boxes
        np.testing.assert_allclose(np.loadtxt(folder / f"{sequence.name}.txt", delimiter=","), expected, atol=1e-3)
