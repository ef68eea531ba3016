"""The Ray backend on a real multi-node Ray cluster: loopback nodes started with ``ray start``.

One cluster (a head and a second node, 2 CPUs each, each started from its own folder) serves the
module; tests add the nodes they break. The driver runs from a user folder with the default
relative paths (``./data/demo``, ``--checkpoint tiny.safetensors``, ``./results``), and every
result must equal tracking in this process. Each run is bounded by ``deadline``.
"""
import json
import os
import socket
from pathlib import Path

import numpy as np
import pytest
import torch
from loopback_ray import LoopbackCluster, unshare_prefix
from timeouts import within

import simtrack
from benchmarks import run
from benchmarks.runner.backends import ray_cluster
from benchmarks.runner.folders import result_is_complete
from benchmarks.runner.tracking import track_sequence
from simtrack.cli import run_cli
from simtrack.data import ensure_demo_dataset, load_dataset

ray = pytest.importorskip("ray")
REPO = Path(__file__).resolve().parents[1]
RUN_SECONDS = 180


def deadline(seconds=RUN_SECONDS):
    """Fail instead of hanging: the run must finish within ``seconds``."""
    return within(seconds, "the run")


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    environment = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
                       OMP_NUM_THREADS="1")
    nodes = LoopbackCluster(tmp_path_factory.mktemp("cluster"), environment)
    try:
        nodes.add_node("127.0.1.1", cpus=2)
        nodes.add_node("127.0.1.2", cpus=2)
        yield nodes
    finally:
        nodes.stop()


@pytest.fixture(scope="module")
def user(tmp_path_factory):
    """A user's folder: ./data/demo (a small demo set) and a tiny checkpoint, plus the expected boxes."""
    folder = tmp_path_factory.mktemp("user")
    ensure_demo_dataset(folder / "data" / "demo", num_sequences=4, num_frames=8, size=(64, 48))
    torch.manual_seed(0)
    checkpoint = simtrack.save_checkpoint(simtrack.build_model("tiny"), folder / "tiny.safetensors")
    tracker = simtrack.Tracker.from_checkpoint(checkpoint, device="cpu")
    expected = {s.name: track_sequence(tracker, s).boxes for s in load_dataset("demo", root=folder / "data" / "demo")}
    return folder, expected


@pytest.fixture
def driver(cluster, user, monkeypatch):
    """Run ``benchmarks.run`` as a user would in their folder, against the cluster's address."""
    folder, _ = user
    monkeypatch.chdir(folder)
    monkeypatch.setenv("RAY_ADDRESS", cluster.address)
    monkeypatch.setenv("RAY_AUTH_MODE", "disabled")

    def main(*extra, results="results"):
        with deadline():
            return run.main(["--backend", "ray", "--checkpoint", "tiny.safetensors", "--results", results, *extra])
    return main


def assert_results_equal(folder, expected):
    for name, boxes in expected.items():
        assert result_is_complete(folder, name, len(boxes)), name
        np.testing.assert_allclose(np.loadtxt(folder / f"{name}.txt", delimiter=","), boxes, atol=1e-3)


def test_demo_with_relative_paths_a_failure_named_by_node_then_one_sequence_left_to_resume(driver, user, capsys):
    folder, expected = user
    broken = Path(load_dataset("demo", root=folder / "data" / "demo")[1].frames[3])
    original = broken.read_bytes()
    broken.write_bytes(b"not a jpeg")
    try:
        assert driver("--workers-per-device", "1") == 1
    finally:
        broken.write_bytes(original)
    out = capsys.readouterr().out
    assert "3 done, 0 skipped (already complete), 1 failed" in out and "warning" not in out
    results = folder / "results" / "tiny" / "demo"
    log = (results / "errors.log").read_text()
    assert str(broken) in log and "(on node 127.0.1." in log
    manifest = json.loads((results / "manifest.json").read_text())
    assert manifest["runs"][0]["backend"] == "ray" and Path(manifest["data_root"]).is_absolute()
    # One sequence left on 2 nodes x 2 CPUs: one actor asking for one node's 2 CPUs, not the cluster's 4.
    assert driver() == 0
    out = capsys.readouterr().out
    assert "1 done, 3 skipped" in out and "(2 thread(s) per worker)" in out
    assert_results_equal(results, expected)


@pytest.mark.skipif(unshare_prefix() is None, reason="needs mount namespaces (unshare) to hide the data from a node")
def test_a_node_that_cannot_see_the_data_is_left_out_by_name(cluster, driver, user, capsys):
    folder, expected = user
    cluster.add_node("127.0.1.3", cpus=4, blind_to=folder / "data")     # the biggest node: planned first
    try:
        assert driver("--workers-per-device", "1", results="blind") == 0
    finally:
        cluster.kill_node("127.0.1.3")
    out = capsys.readouterr().out
    assert "warning: node 127.0.1.3 (" in out and "cannot see the dataset folder" in out
    assert str(folder / "data" / "demo") in out and "no work goes there" in out
    assert "4 done, 0 skipped (already complete), 0 failed" in out
    assert_results_equal(folder / "blind" / "tiny" / "demo", expected)


def test_a_node_killed_mid_run_has_its_sequence_run_again_elsewhere(cluster, driver, user, capsys, monkeypatch):
    """Kills the fixture's second node, so it runs last."""
    folder, expected = user
    submit, killed, held = ray_cluster._Dispatch._submit, [], []

    def submit_then_kill(dispatch, worker):
        """The head's worker waits until node 2 holds a sequence; then node 2 dies at once."""
        if not killed and not worker.label.startswith("node 127.0.1.2"):
            held.append(worker)
            return
        submit(dispatch, worker)
        if not killed and worker.job is not None:
            killed.append(worker.job.label)
            cluster.kill_node("127.0.1.2")
            for other in held:
                submit(dispatch, other)
    monkeypatch.setattr(ray_cluster._Dispatch, "_submit", submit_then_kill)
    assert driver("--workers-per-device", "1", results="killed") == 0
    out = capsys.readouterr().out
    assert killed, "the node never got a sequence"
    assert "worker on node 127.0.1.2 (" in out and f"was lost while tracking {killed[0]}" in out
    assert "running it again on another worker" in out
    assert "4 done, 0 skipped (already complete), 0 failed" in out
    assert_results_equal(folder / "killed" / "tiny" / "demo", expected)


def test_an_address_nobody_listens_on_is_one_error_at_once(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)                  # results/ and data/ of this test only
    monkeypatch.delenv("SIMTRACK_DATA", raising=False)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]          # closed again: nobody listens there
    with deadline(60), pytest.raises(SystemExit) as exit_info:
        run_cli(run.main, ["--backend", "ray", "--ray-address", f"127.0.0.1:{port}"])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert f"no Ray cluster answers at 127.0.0.1:{port} (from --ray-address)" in err and "Traceback" not in err


def test_another_tracker_runs_on_the_cluster_from_its_spec(cluster, user, monkeypatch, capsys):
    """``--tracker mil`` on Ray: each node checks it holds the same tracker code, actors build it from
    its spec, and the boxes are the ones the same tracker gives in this process."""
    from simtrack.trackers import build, parse_spec
    folder, _ = user
    monkeypatch.chdir(folder)
    monkeypatch.setenv("RAY_ADDRESS", cluster.address)
    monkeypatch.setenv("RAY_AUTH_MODE", "disabled")
    with deadline():
        assert run.main(["--backend", "ray", "--tracker", "mil", "--results", "spec_results"]) == 0
    assert "| mil |" in capsys.readouterr().out
    tracker = build(parse_spec("mil"))
    expected = {s.name: track_sequence(tracker, s).boxes for s in load_dataset("demo", root=folder / "data" / "demo")}
    results = folder / "spec_results" / "mil" / "demo"
    assert_results_equal(results, expected)
    manifest = json.loads((results / "manifest.json").read_text())
    assert manifest["runs"][0]["backend"] == "ray" and manifest["tracker_spec"]["factory"].endswith(":MILTracker")
