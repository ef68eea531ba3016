"""Tracking with an exported model where torch cannot be imported: ``simtrack.track``, ``benchmarks.run
--devices cpu`` and the VOT server, in subprocesses whose ``import torch`` (timm, torchvision) fails.

The blocker is a folder of stand-in packages that raise ImportError, first on PYTHONPATH, so that the
runner's spawned workers are blocked too. The boxes are compared with the torch tracker's.
"""
import json
import os
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

import simtrack
from simtrack.data import ensure_demo_dataset, load_dataset
from simtrack.formats.box_tables import read_boxes
from simtrack.formats.images import read_image
from simtrack.speed import engine_installed

REPOSITORY = Path(__file__).resolve().parents[1]
BLOCKED = ("torch", "timm", "torchvision")
pytestmark = pytest.mark.skipif(not engine_installed("onnxruntime"), reason="onnxruntime not installed")


@pytest.fixture(scope="module")
def blocker(tmp_path_factory):
    folder = tmp_path_factory.mktemp("blocker")
    for name in BLOCKED:
        (folder / name).mkdir()
        (folder / name / "__init__.py").write_text(f"raise ImportError('{name} is blocked in this test')\n")
    return folder


def environment(blocker, **extra):
    return dict(os.environ, MPLBACKEND="Agg", OMP_NUM_THREADS="1",
                PYTHONPATH=os.pathsep.join([str(blocker), str(REPOSITORY), os.environ.get("PYTHONPATH", "")]),
                **extra)


def run(blocker, arguments, cwd, **extra):
    return subprocess.run([sys.executable, *map(str, arguments)], env=environment(blocker, **extra), cwd=cwd,
                          capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    return ensure_demo_dataset(tmp_path_factory.mktemp("data") / "demo", num_sequences=2, num_frames=15)


def torch_boxes(sequence):
    tracker = simtrack.Tracker.from_checkpoint(simtrack.EMBEDDED_CHECKPOINT, device="cpu")
    boxes = [tracker.init(read_image(sequence.frames[0]), sequence.init_box)]
    return np.array(boxes + [tracker.update(read_image(frame)) for frame in sequence.frames[1:]])


def test_the_blocker_blocks(blocker, tmp_path):
    done = run(blocker, ["-c", "import torch"], tmp_path)
    assert done.returncode == 1 and "torch is blocked in this test" in done.stderr


def test_track_and_the_runner_work_without_torch(blocker, exported_tiny, demo, tmp_path):
    model, _ = exported_tiny
    sequence = load_dataset("demo", root=demo)[0]
    expected = torch_boxes(sequence)
    done = run(blocker, ["-m", "simtrack.track", Path(sequence.frames[0]).parent, "--box",
                         ",".join(f"{v:g}" for v in sequence.init_box), "--checkpoint", model,
                         "--boxes", tmp_path / "boxes.txt", "--threads", "1"], tmp_path)
    assert done.returncode == 0, done.stderr
    boxes = read_boxes(tmp_path / "boxes.txt")
    assert boxes.shape == expected.shape and np.abs(boxes - expected).max() < 2e-3   # 4 decimals in the file

    done = run(blocker, ["-m", "benchmarks.run", "--dataset", "demo", "--data-root", demo, "--devices", "cpu",
                         "--checkpoint", model, "--results", tmp_path / "results"], tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "2 done" in done.stdout and "| tiny |" in done.stdout
    folder = tmp_path / "results" / "tiny" / "demo"
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["versions"]["torch"] is None and manifest["runs"][0]["speed"]["engine"] == "onnxruntime"
    engine = manifest["runs"][0]["engine"]
    assert engine["on"][0]["providers"] == ["CPUExecutionProvider"] and engine["exported"]["variant"] == "tiny"
    assert np.abs(read_boxes(folder / f"{sequence.name}.txt") - expected).max() < 1e-3
    record = json.loads((folder / "records" / f"{sequence.name}.json").read_text())
    assert record["identity"]["speed"]["engine"] == "onnxruntime"


def test_the_vot_server_works_without_torch(blocker, exported_tiny, tmp_path):
    trax = pytest.importorskip("trax")
    from trax.client import Client
    from trax.image import FileImage
    rendered = ensure_demo_dataset(tmp_path / "demo", num_sequences=1, num_frames=5)
    sequence = load_dataset("demo", root=rendered)[0]
    expected = torch_boxes(sequence)
    process = subprocess.Popen([sys.executable, "-m", "simtrack.adapters.vot"], cwd=tmp_path, stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, stderr=open(tmp_path / "server.stderr", "w"),
                               env=environment(blocker, SIMTRACK_CHECKPOINT=str(exported_tiny[0]),
                                               SIMTRACK_DEVICE="cpu"))
    try:
        client = Client(stream=(process.stdin.fileno(), process.stdout.fileno()), log=lambda line: None)
        x, y, w, h = sequence.init_box
        region = trax.Rectangle.create(float(x), float(y), float(w), float(h))
        client.initialize({"color": FileImage.create(str(sequence.frames[0]))}, [(region, {})], {})
        for index, frame in enumerate(sequence.frames[1:], 1):
            reply = client.frame({"color": FileImage.create(str(frame))}, {}, [])[0]
            assert np.abs(np.array(reply[0][0].bounds()) - expected[index]).max() < 2e-3
        client.quit()
        assert process.wait(60) == 0
    finally:
        if process.poll() is None:
            process.kill()
    assert "engine onnxruntime" in (tmp_path / "server.stderr").read_text()


def frames_folder(folder, count=3):
    folder.mkdir()
    for index in range(count):
        cv2.imwrite(str(folder / f"{index:04d}.jpg"), np.full((60, 80, 3), 90 + 40 * index, np.uint8))
    return folder


def test_a_weights_file_without_torch_is_refused_in_one_line(blocker, tmp_path):
    weights = tmp_path / "tiny.safetensors"
    weights.write_bytes(simtrack.EMBEDDED_CHECKPOINT.read_bytes())
    done = run(blocker, ["-m", "simtrack.track", frames_folder(tmp_path / "frames"), "--box", "10,10,20,20",
                         "--checkpoint", weights, "--engine", "onnxruntime"], tmp_path,
               SIMTRACK_CACHE=str(tmp_path / "empty-cache"))
    assert done.returncode == 2 and done.stderr.count("\n") == 1, done.stderr
    assert "needs torch to export it to ONNX" in done.stderr and "python -m simtrack.export" in done.stderr
