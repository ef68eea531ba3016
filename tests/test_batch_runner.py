"""``python -m benchmarks.run --batch-sequences K``: same result files as the unbatched run."""
import json

import numpy as np
import pytest
from model_helpers import random_model

import simtrack
from benchmarks import run
from benchmarks.runner.batched import TIMING_DEFINITION
from benchmarks.runner.execute import execute_run
from benchmarks.runner.tracking import track_sequence
from simtrack.checkpoints import save_checkpoint
from simtrack.data import ensure_demo_dataset, load_dataset
from simtrack.errors import ConfigError


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """Three short textured demo sequences, the last with an undecodable frame."""
    root = ensure_demo_dataset(tmp_path_factory.mktemp("data") / "demo", num_sequences=3, num_frames=6)
    broken = load_dataset("demo", root=root)[2]
    with open(broken.frames[3], "wb") as frame:
        frame.write(b"not a jpeg")
    checkpoint = save_checkpoint(random_model("tiny", seed=41), tmp_path_factory.mktemp("weights") / "tiny.safetensors")
    return root, checkpoint, broken.name


def execute(demo, results, *extra):
    root, checkpoint, _ = demo
    args = run.build_parser().parse_args(
        ["--dataset", "demo", "--data-root", str(root), "--checkpoint", str(checkpoint), "--results", str(results),
         "--devices", "cpu", "--workers-per-device", "1", *extra])
    return execute_run(run.settings_from(args))


def test_batched_run_writes_the_unbatched_boxes_and_fails_only_the_broken_sequence(demo, tmp_path):
    root, checkpoint, broken = demo
    outcome = execute(demo, tmp_path, "--batch-sequences", "2")
    assert outcome.summary.done == 2 and [label for label, _, _ in outcome.summary.failed] == [broken]
    assert not (outcome.folder / f"{broken}.txt").exists()
    single = simtrack.Tracker.from_checkpoint(checkpoint, device="cpu")
    for sequence in outcome.sequences:
        if sequence.name != broken:
            expected = track_sequence(single, sequence).boxes
            got = np.loadtxt(outcome.folder / f"{sequence.name}.txt", delimiter=",")
            assert got.shape == (6, 4) and np.max(np.abs(got - expected)) < 1e-3   # files hold 4 decimals
            assert np.loadtxt(outcome.folder / f"{sequence.name}_time.txt").shape == (6,)
    manifest = json.loads((outcome.folder / "manifest.json").read_text())
    assert manifest["timing"] == TIMING_DEFINITION
    assert manifest["runs"][0]["speed"] == {"batch_sequences": 2, "fast": False, "precision": "fp32", "compile": False,
                                            "cuda_graphs": False, "crop": "auto"}


def test_bad_batch_options_are_refused(demo, tmp_path, capsys):
    with pytest.raises(ConfigError, match="--backend local"):
        execute(demo, tmp_path, "--batch-sequences", "2", "--backend", "ray")
    with pytest.raises(SystemExit) as exit_info:
        execute(demo, tmp_path, "--batch-sequences", "0")
    assert exit_info.value.code == 2
    assert capsys.readouterr().err.strip() == ("error: argument --batch-sequences: --batch-sequences must be at "
                                               "least 1, got 0 (see python -m benchmarks.run --help)")
