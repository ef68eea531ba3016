"""A catalogue of bad inputs, replayed against every command and the Python API.

Each row is one distinct mistake a user can make. Commands (run, evaluate, submit, profile, convert,
train, track, visualize, and the VOT server's start-up and requests) are called in process through
``simtrack.cli.run_cli`` (one real process checks the console wiring); each case asserts the exit
status or exception type, that the message names the value or file and the fix, that the
command printed one line and no traceback, and that nothing in the workspace changed: no file
rewritten, no mode changed, no empty folder left behind. The workspace (tiny model, fabricated
LaSOT and GOT-10k, prepared result folders, broken files) is built once and shared.
"""
import json
import os
import shutil
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from fabricate import make_got10k, make_lasot, remove_frames

import simtrack
from benchmarks import evaluate, profile, run, submit, visualize
from benchmarks.reports import evaluate as evaluate_api
from benchmarks.runner import provenance
from benchmarks.scoring.submission import make_submission
from simtrack import convert, track
from simtrack.batch import BatchTracker
from simtrack.checkpoints import load_model, save_checkpoint
from simtrack.cli import run_cli
from simtrack.data import load_dataset, render_sequence
from simtrack.errors import CheckpointError, ConfigError, DatasetError, ResultsError, SubmissionError, TrackerInputError
from simtrack.formats.file_hash import file_sha256
from simtrack.formats.images import FrameSize, read_image
from simtrack.inference import SpeedOptions
from simtrack.train import __main__ as train
from simtrack.train.config import config_from_dict

REPO = Path(__file__).resolve().parents[1]
NAMES = ("cat-1", "cat-2")
SPEED = {"fast": False, "precision": "fp32", "compile": False, "cuda_graphs": False, "crop": "auto",
         "batch_sequences": 1}
COMMANDS = {"run": run.main, "evaluate": evaluate.main, "submit": submit.main, "profile": profile.main,
            "convert": convert.main, "train": train.main, "track": track.main, "visualize": visualize.main}
RUN = ["--dataset", "lasot", "--data-root", "LaSOT", "--checkpoint", "tiny.safetensors", "--devices", "cpu"]
TINY_RECIPE = ("model: {variant: tiny}\ndata: {datasets: [{name: synthetic, sequences: 4, frames: 8}], "
               "samples_per_epoch: 4, workers: 0}\noptim: {epochs: 1, batch_size: 2}\n"
               "run: {output_dir: runs/tiny, device: cpu, tensorboard: false}\n")


# ------------------------------------------------------------------ the shared workspace

def write_ours(results, sequences, identity):
    folder = results / "tiny" / "lasot"
    for sequence in sequences:
        provenance.write_sequence(folder, sequence.name, np.tile(sequence.boxes[:1], (len(sequence), 1)),
                                  np.full(len(sequence), 0.01), identity)
    return folder


def write_zip(path, members):
    with zipfile.ZipFile(path, "w") as archive:
        for name, text in members.items():
            archive.writestr(name, text)


def jpeg(size, seed=0):
    frame = render_sequence(seed=seed, num_frames=1, size=size).frames[0]
    import cv2
    return cv2.imencode(".jpg", cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))[1].tobytes()


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    root = tmp_path_factory.mktemp("bad-inputs")
    torch.manual_seed(0)
    checkpoint = save_checkpoint(simtrack.build_model("tiny"), root / "tiny.safetensors")
    (root / "existing.safetensors").write_bytes(checkpoint.read_bytes())
    make_lasot(root / "LaSOT", names=NAMES, num_frames=4, test_list=True)
    make_got10k(root / "GOT-10k", split="test")
    (root / "afile").write_text("a regular file\n")
    (root / "garbage.pth").write_bytes(b"\x00garbage" * 16)
    (root / "empty.safetensors").write_bytes(b"")
    (root / "folder.pth").mkdir()
    (root / "clip").mkdir()
    for path in sorted((root / "LaSOT" / "cat" / "cat-1" / "img").iterdir()):
        (root / "clip" / path.name).write_bytes(path.read_bytes())
    recipes = {"bad.yaml": "model: [unclosed\n", "typo.yaml": "optim:\n  epochz: 3\n",
               "badval.yaml": "optim:\n  epochs: -3\n", "list.yaml": "- 1\n- 2\n", "tiny.yaml": TINY_RECIPE,
               "nodata.yaml": TINY_RECIPE.replace("{name: synthetic, sequences: 4, frames: 8}",
                                                  "{name: lasot, split: train, root: nowhere}")}
    for name, text in recipes.items():
        (root / name).write_text(text)

    sequences = load_dataset("lasot", root=root / "LaSOT")
    identity = provenance.run_identity(file_sha256(checkpoint), "tiny", SPEED)
    for path in write_ours(root / "foreign", sequences, identity).glob("records/*"):
        path.unlink()                                                   # files without provenance
    (write_ours(root / "badmanifest", sequences, identity) / "manifest.json").write_text("{ not json")
    (write_ours(root / "otherweights", sequences, identity) / "manifest.json").write_text(
        json.dumps({"checkpoint": {"path": "/models/other.pth", "sha256": "0" * 64}}))
    changed = write_ours(root / "changed", sequences, identity) / "cat-1.txt"
    changed.write_text(changed.read_text().replace("1", "2"))
    write_ours(root / "bf16", sequences, provenance.run_identity(identity["checkpoint_sha256"], "tiny",
                                                                 {**SPEED, "precision": "bf16"}))
    (root / "dirresult" / "tiny" / "lasot" / "cat-1.txt").mkdir(parents=True)
    (root / "recordsfile" / "tiny" / "lasot").mkdir(parents=True)
    (root / "recordsfile" / "tiny" / "lasot" / "records").write_text("not a folder\n")

    evaluation = root / "evalres"
    (evaluation / "short" / "lasot").mkdir(parents=True)
    (evaluation / "short" / "lasot" / "cat-1.txt").write_text("1,2,3,4\n")
    (evaluation / "short" / "lasot" / "cat-2.txt").write_text("1,2,3,4\n" * 4)
    (evaluation / "garbled" / "lasot").mkdir(parents=True)
    (evaluation / "garbled" / "lasot" / "cat-1.txt").write_text("1,2,3,4\n1,two,3,4\n1,2,3,4\n1,2,3,4\n")
    (evaluation / "garbled" / "lasot" / "cat-2.txt").write_text("1,2,3,4\n" * 4)

    test_names = [s.name for s in load_dataset("got10k_test", root=root / "GOT-10k")]
    write_zip(root / "nested.zip", {f"sub/{n}/{n}_001.txt": "1,2,3,4\n" for n in test_names})
    write_zip(root / "partial.zip", {f"{test_names[0]}/{test_names[0]}_001.txt": "1,2,3,4\n"})
    (root / "notzip.zip").write_bytes(b"PK but not a zip")

    frames = root / "frames"
    frames.mkdir()
    good = jpeg((96, 72))
    (frames / "0.jpg").write_bytes(good)
    (frames / "cut.jpg").write_bytes(good[:len(good) // 2])
    (frames / "tall.jpg").write_bytes(jpeg((72, 96)))
    (root / "lasot_badrow").mkdir()
    make_lasot(root / "lasot_badrow" / "LaSOT", names=("cat-1",), num_frames=4, test_list=True)
    gt = root / "lasot_badrow" / "LaSOT" / "cat" / "cat-1" / "groundtruth.txt"
    gt.write_text(gt.read_text().replace("\n", "\nx,y,w,h\n", 1))
    make_lasot(root / "lasot_noframes" / "LaSOT", names=NAMES, num_frames=4, test_list=True)
    remove_frames(root / "lasot_noframes")
    (root / "lasot_short").mkdir()
    make_lasot(root / "lasot_short" / "LaSOT", names=("cat-1",), num_frames=4, test_list=True)
    gt = root / "lasot_short" / "LaSOT" / "cat" / "cat-1" / "groundtruth.txt"
    gt.write_text("\n".join(gt.read_text().splitlines()[:2]) + "\n")
    return SimpleNamespace(root=root, checkpoint=checkpoint, model=load_model(checkpoint), sequences=sequences)


def snapshot(root):
    """Every path below ``root`` with its kind, mode and bytes: what a refusal must leave alone."""
    state = {}
    for path in sorted(root.rglob("*")):
        info = path.lstat()
        state[str(path.relative_to(root))] = (info.st_mode, None if path.is_dir() else path.read_bytes())
    return state


# ------------------------------------------------------------------ the catalogue

@dataclass
class Case:
    """One bad input: ``call(workspace)`` must end in ``expect`` (an exit status or an exception type)
    with every string of ``needles`` in the message."""

    id: str
    call: object
    expect: object
    needles: tuple


def cli(command, case_id, argv, *needles, code=2):
    return Case(f"{command}: {case_id}", lambda ws: run_cli(COMMANDS[command], list(argv)), code, needles)


def api(case_id, call, error, *needles):
    return Case(f"api: {case_id}", call, error, needles)


def read_in_order(*paths):
    """Frames of one sequence, as every reader of the toolkit takes them."""
    size = FrameSize()
    return [size.check(read_image(path), path) for path in paths]


def vot_start(case_id, env, *needles, error=ConfigError):
    """The VOT server's start-up with ``env`` (what it would report over TraX as the quit reason)."""
    def call(ws):
        pytest.importorskip("trax")
        from simtrack.adapters import vot
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("SIMTRACK_DEVICE", "cpu")
            for name, value in env.items():
                patch.setenv(name, value.format(root=ws.root))
            vot.start_up(vot.parse_settings([]))
    return Case(f"vot server start-up: {case_id}", call, error, needles)


class FakeServer:
    """The three calls ``serve`` makes on a ``trax.Server``, fed from a list of requests."""

    def __init__(self, requests):
        self.requests, self.replies = list(requests), []

    def wait(self):
        return self.requests.pop(0)

    def status(self, reply):
        self.replies.append(reply)


def vot_requests(case_id, steps, *needles):
    """``steps``: (kind, frame file in frames/, box) requests, as the toolkit sends them."""
    def call(ws):
        trax = pytest.importorskip("trax")
        from trax.image import FileImage

        from simtrack.adapters import vot
        requests = []
        for kind, name, box in steps:
            status = trax.TraxStatus.INITIALIZE if kind == "init" else trax.TraxStatus.FRAME
            image = {trax.ImageChannel.COLOR: FileImage.create(str(ws.root / "frames" / name))}
            objects = [(trax.Rectangle.create(*box), {})] if box else []
            requests.append(SimpleNamespace(type=status, image=image, objects=objects))
        requests.append(SimpleNamespace(type=trax.TraxStatus.QUIT, image=None, objects=None))
        tracker = simtrack.Tracker(ws.model, device="cpu")
        vot.serve(FakeServer(requests), tracker, vot.EventLog(""))
    return Case(f"vot server request: {case_id}", call, TrackerInputError, needles)


BOX = (20, 15, 30, 25)
CASES = [
    # benchmarks.run: arguments, devices, speed options
    cli("run", "unknown dataset", ["--dataset", "nosuch"], "'nosuch'", "known datasets"),
    cli("run", "missing data root", [*RUN[:2], "--data-root", "nowhere"], "nowhere", "--data-root"),
    cli("run", "data root is a file", [*RUN[:2], "--data-root", "afile"], "afile", "--data-root"),
    cli("run", "annotations without frames", [*RUN[:2], "--data-root", "lasot_noframes/LaSOT", *RUN[4:]],
        "none of the 2 sequences", "has its frames", "benchmarks.evaluate works on this folder"),
    cli("run", "unknown split", [*RUN, "--split", "nosplit"], "'nosplit'", "choose one of test, train"),
    cli("run", "unknown sequence", [*RUN, "--sequences", "cat-9"], "cat-9", "e.g. cat-1"),
    cli("run", "sequences naming nothing", [*RUN, "--sequences", ","], "names no sequence", "leave the option out"),
    cli("run", "garbage checkpoint", [*RUN, "--checkpoint", "garbage.pth"], "garbage.pth", "damaged or not a checkpoint"),
    cli("run", "empty checkpoint", [*RUN, "--checkpoint", "empty.safetensors"], "empty.safetensors", "pass a .pth"),
    cli("run", "checkpoint is a folder", [*RUN, "--checkpoint", "folder.pth"], "folder.pth", "is a folder"),
    cli("run", "missing checkpoint", [*RUN, "--checkpoint", "nothere.pth"], "nothere.pth", "does not exist"),
    cli("run", "wrong variant", [*RUN, "--variant", "b16"], "holds variant 'tiny'", "variant 'b16'"),
    cli("run", "device name unknown", [*RUN, "--devices", "tpu"], "'tpu' is not a device name", "cuda:N"),
    cli("run", "GPU not present", [*RUN, "--devices", "cuda:99"], "cuda:99", "devices present"),
    cli("run", "auto inside a list", [*RUN, "--devices", "auto,cpu"], "auto cannot be part of a list", "auto alone"),
    cli("run", "device list naming nothing", [*RUN, "--devices", ","], "names no device", "--devices cpu"),
    cli("run", "CUDA graphs on the CPU", [*RUN, "--cuda-graphs"], "cuda_graphs needs a CUDA device", "drop cuda_graphs"),
    cli("run", "unknown compile backend", [*RUN, "--compile", "nosuch"], "'nosuch'", "not one of torch's"),
    cli("run", "no workers", [*RUN, "--workers-per-device", "0"], "--workers-per-device must be at least 1"),
    cli("run", "threads not a number", [*RUN, "--threads", "abc"], "--threads expects a whole number", "'abc'"),
    cli("run", "no repeats", [*RUN, "--repeat", "0"], "--repeat must be at least 1"),
    cli("run", "batching on Ray", [*RUN, "--batch-sequences", "2", "--backend", "ray"], "needs --backend local"),
    cli("run", "unknown backend", [*RUN, "--backend", "slurm"], "'slurm'", "choose from"),
    cli("run", "unknown precision", [*RUN, "--precision", "fp64"], "'fp64'", "fp32"),
    cli("run", "unknown option", [*RUN, "--bogus"], "--bogus", "--help"),
    cli("run", "tracker name with a path", [*RUN, "--tracker-name", "../x"], "'../x'", "plain folder name"),
    # benchmarks.run: result folders
    cli("run", "results below a file", [*RUN, "--results", "afile/out"], "afile is a file", "another --results"),
    cli("run", "results is a file", [*RUN, "--results", "afile"], "afile is a file", "another --results"),
    cli("run", "records folder is a file", [*RUN, "--results", "recordsfile"], "records is a file", "--results"),
    cli("run", "foreign results", [*RUN, "--results", "foreign"], "no provenance record", "cat-1.txt",
        "--discard-unverified"),
    cli("run", "unreadable manifest", [*RUN, "--results", "badmanifest"], "manifest.json does not parse",
        "--discard-unverified"),
    cli("run", "results of other weights", [*RUN, "--results", "otherweights"], "/models/other.pth",
        "another --tracker-name"),
    cli("run", "result changed after writing", [*RUN, "--results", "changed"], "cat-1.txt differs from the checksum",
        "--discard-unverified"),
    cli("run", "results of other speed options", [*RUN, "--results", "bf16"], "precision bf16 (this run: fp32)",
        "rerun with those"),
    cli("run", "folder where a result file goes", [*RUN, "--results", "dirresult"], "is not a regular file",
        "--discard-unverified"),
    # benchmarks.evaluate
    cli("evaluate", "missing results", ["--dataset", "lasot", "--data-root", "LaSOT", "--trackers", "nobody"],
        "results/nobody/lasot does not exist"),
    cli("evaluate", "too few boxes", ["--dataset", "lasot", "--data-root", "LaSOT", "--results", "evalres",
                                      "--trackers", "short"], "cat-1.txt: 1 boxes for a sequence of 4", "Re-run"),
    cli("evaluate", "unreadable number", ["--dataset", "lasot", "--data-root", "LaSOT", "--results", "evalres",
                                          "--trackers", "garbled"], "cat-1.txt", "line 2"),
    cli("evaluate", "tracker entry without name", ["--dataset", "lasot", "--data-root", "LaSOT", "--trackers", "=x"],
        "'=x'", "NAME=RESULTS_DIR"),
    cli("evaluate", "tracker given twice", ["--dataset", "lasot", "--data-root", "LaSOT", "--trackers", "a", "a"],
        "'a' is given twice", "unique"),
    cli("evaluate", "unknown protocol", ["--dataset", "lasot", "--data-root", "LaSOT", "--trackers", "a",
                                         "--protocol", "vot"], "'vot'", "official"),
    cli("evaluate", "no trackers", ["--dataset", "lasot", "--data-root", "LaSOT"], "--trackers", "required"),
    # benchmarks.submit
    cli("submit", "nothing to do", ["--dataset", "got10k_test", "--data-root", "GOT-10k"], "--tracker-name",
        "--check"),
    cli("submit", "results missing", ["--dataset", "got10k_test", "--data-root", "GOT-10k", "--tracker-name", "nobody"],
        "results/nobody/got10k_test does not exist"),
    cli("submit", "not a zip", ["--dataset", "got10k_test", "--data-root", "GOT-10k", "--check", "notzip.zip"],
        "notzip.zip is not a readable zip file"),
    cli("submit", "zip of a folder", ["--dataset", "got10k_test", "--data-root", "GOT-10k", "--check", "nested.zip"],
        "sub/", "zip the folder's contents"),
    cli("submit", "zip missing sequences", ["--dataset", "got10k_test", "--data-root", "GOT-10k", "--check",
                                            "partial.zip"], "missing 1 sequence folder", "_time.txt"),
    cli("submit", "dataset without a server", ["--dataset", "lasot", "--tracker-name", "x"], "'lasot'",
        "got10k_test"),
    # benchmarks.profile
    cli("profile", "device name unknown", ["--device", "tpu"], "'tpu' is not a device name"),
    cli("profile", "GPU not present", ["--device", "cuda:99"], "cuda:99", "devices present"),
    cli("profile", "JSON below a file", ["--variant", "tiny", "--json", "afile/report.json"], "afile is a file",
        "another --json"),
    cli("profile", "JSON is a folder", ["--variant", "tiny", "--json", "LaSOT"], "LaSOT is a folder", "file name"),
    cli("profile", "no iterations", ["--variant", "tiny", "--iterations", "0"], "--iterations must be at least 1"),
    cli("profile", "garbage checkpoint", ["--checkpoint", "garbage.pth"], "garbage.pth", "damaged"),
    cli("profile", "CUDA graphs on the CPU", ["--variant", "tiny", "--device", "cpu", "--cuda-graphs"],
        "cuda_graphs needs a CUDA device"),
    # simtrack.convert
    cli("convert", "unknown suffix", ["--checkpoint", "tiny.safetensors", "--out", "model.onnx"],
        "cannot write a .onnx file", ".safetensors"),
    cli("convert", "existing output", ["--checkpoint", "tiny.safetensors", "--out", "existing.safetensors"],
        "already exists", "--force"),
    cli("convert", "output without suffix", ["--checkpoint", "tiny.safetensors", "--out", "model"],
        "suffix-less", ".pth"),
    cli("convert", "output below a file", ["--checkpoint", "tiny.safetensors", "--out", "afile/o.safetensors"],
        "afile is a file", "another --out"),
    cli("convert", "output is a folder", ["--checkpoint", "tiny.safetensors", "--out", "folder.pth"],
        "folder.pth is a folder"),
    cli("convert", "no output", ["--checkpoint", "tiny.safetensors"], "--checkpoint IN --out OUT"),
    cli("convert", "missing input", ["--checkpoint", "nothere.pth", "--out", "new.safetensors"], "nothere.pth",
        "does not exist"),
    cli("convert", "three positional files", ["a.pth", "b.pth", "c.pth"], "--checkpoint IN --out OUT"),
    # simtrack.train
    cli("train", "missing recipe", ["--config", "nothere.yaml"], "nothere.yaml does not exist", "simtrack/configs"),
    cli("train", "recipe not YAML", ["--config", "bad.yaml"], "bad.yaml is not valid YAML", "line 1"),
    cli("train", "recipe key typo", ["--config", "typo.yaml"], "optim.epochz", "'epochs'"),
    cli("train", "recipe value out of range", ["--config", "badval.yaml"], "optim.epochs must be at least 1"),
    cli("train", "recipe not a mapping", ["--config", "list.yaml"], "top level must be a mapping"),
    cli("train", "device name unknown", ["--config", "tiny.yaml", "--device", "tpu"], "'tpu' is not a device name"),
    cli("train", "output below a file", ["--config", "tiny.yaml", "--output-dir", "afile/run"], "afile is a file",
        "--output-dir"),
    cli("train", "missing training state", ["--config", "tiny.yaml", "--resume", "nothere.state.pt"],
        "nothere.state.pt", "start without --resume"),
    cli("train", "garbage training state", ["--config", "tiny.yaml", "--resume", "garbage.pth"], "garbage.pth",
        "last.state.pt written by python -m simtrack.train"),
    cli("train", "no threads", ["--config", "tiny.yaml", "--threads", "0"], "--threads must be at least 1"),
    cli("train", "unknown precision", ["--config", "tiny.yaml", "--precision", "fp8"], "'fp8'", "bf16"),
    cli("train", "recipe dataset missing", ["--config", "nodata.yaml"], "training dataset lasot (train)", "data.root"),
    # simtrack.track and benchmarks.visualize
    cli("track", "missing video", ["nothere.mp4", "--box", "1,1,2,2"], "nothere.mp4 does not exist", "folder of frames"),
    cli("track", "box of three numbers", ["clip", "--box", "1,1,2"], "'1,1,2'", "four numbers"),
    cli("track", "box outside the frame", ["clip", "--box", "100,100,2,2"], "lies outside the first frame",
        "0,0 the top-left corner"),
    cli("track", "boxes file below a file", ["clip", "--box", "1,1,2,2", "--boxes", "afile/b.txt"], "afile/b.txt",
        "another --boxes"),
    cli("track", "video type it cannot write", ["clip", "--box", "1,1,2,2", "--out", "o.webm"], "'.webm'", ".mp4"),
    cli("track", "not a video", ["garbage.pth", "--box", "1,1,2,2"], "garbage.pth", "re-encoding"),
    cli("visualize", "missing results", ["--dataset", "lasot", "--data-root", "LaSOT", "--trackers", "nobody"],
        "results/nobody/lasot does not exist"),
    cli("visualize", "no worst sequences", ["--dataset", "lasot", "--data-root", "LaSOT", "--trackers", "x",
                                            "--worst", "0"], "--worst must be at least 1"),
    # the VOT server: settings and requests (reported to the toolkit over TraX)
    vot_start("device name unknown", {"SIMTRACK_DEVICE": "gpu0"}, "SIMTRACK_DEVICE 'gpu0' is not a device name"),
    vot_start("threads not a number", {"SIMTRACK_THREADS": "many"}, "SIMTRACK_THREADS", "'many'"),
    vot_start("unknown precision", {"SIMTRACK_PRECISION": "fp64"}, "SIMTRACK_PRECISION='fp64'", "fp32, bf16, fp16"),
    vot_start("flag neither on nor off", {"SIMTRACK_FAST": "maybe"}, "SIMTRACK_FAST='maybe'", "expected 1 or 0"),
    vot_start("unknown region format", {"SIMTRACK_VOT_REGIONS": "box"}, "SIMTRACK_VOT_REGIONS='box'", "rectangle"),
    vot_start("unknown variant", {"SIMTRACK_VARIANT": "b99"}, "SIMTRACK_VARIANT='b99'", "tiny"),
    vot_start("missing weights", {"SIMTRACK_CHECKPOINT": "{root}/absent.pth"}, "absent.pth", "does not exist",
              error=CheckpointError),
    vot_start("CUDA graphs on the CPU", {"SIMTRACK_CUDA_GRAPHS": "1"}, "cuda_graphs needs a CUDA device"),
    vot_requests("frame before initialisation", [("frame", "0.jpg", None)], "before any initialisation"),
    vot_requests("region outside the frame", [("init", "0.jpg", (500, 400, 20, 20))], "lies outside the 96x72 frame"),
    vot_requests("truncated first frame", [("init", "cut.jpg", BOX)], "cut.jpg is truncated", "re-extract"),
    vot_requests("truncated frame", [("init", "0.jpg", BOX), ("frame", "cut.jpg", None)], "cut.jpg is truncated"),
    vot_requests("frame of another size", [("init", "0.jpg", BOX), ("frame", "tall.jpg", None)],
                 "tall.jpg is 72x96 pixels but the sequence's first frame is 96x72"),
    vot_requests("missing frame", [("init", "0.jpg", BOX), ("frame", "gone.jpg", None)], "gone.jpg does not exist"),
    # the Python API
    api("Tracker on an unknown device", lambda ws: simtrack.Tracker(ws.model, device="gpu0"), ConfigError,
        "'gpu0'", "cuda:N"),
    api("Tracker on a missing GPU", lambda ws: simtrack.Tracker(ws.model, device="cuda:99"), ConfigError,
        "cuda:99", "devices present"),
    api("Tracker given a path", lambda ws: simtrack.Tracker("tiny.safetensors"), ConfigError, "got str",
        "Tracker.from_checkpoint"),
    api("Tracker option misspelt", lambda ws: simtrack.Tracker.from_checkpoint(ws.checkpoint, device="cpu", fats=True),
        ConfigError, "fats", "precision"),
    api("Tracker precision unknown", lambda ws: simtrack.Tracker(ws.model, device="cpu", precision="fp64"),
        ConfigError, "'fp64'", "fp32"),
    api("BatchTracker without slots", lambda ws: BatchTracker(ws.model, 0, device="cpu"), ConfigError,
        "capacity", "positive integer"),
    api("speed options the device cannot run", lambda ws: SpeedOptions(cuda_graphs=True).checked(torch.device("cpu")),
        ConfigError, "cuda_graphs", "drop cuda_graphs"),
    api("first box with NaN", lambda ws: simtrack.Tracker(ws.model, device="cpu").init(
        np.zeros((60, 80, 3), np.uint8), (1, 2, np.nan, 3)), TrackerInputError, "nan", "four finite numbers"),
    api("first box of zero width", lambda ws: simtrack.Tracker(ws.model, device="cpu").init(
        np.zeros((60, 80, 3), np.uint8), (1, 2, 0, 3)), TrackerInputError, "w=0.0", "positive"),
    api("float image", lambda ws: simtrack.Tracker(ws.model, device="cpu").init(
        np.zeros((60, 80, 3), np.float32), BOX), TrackerInputError, "float32", "astype(np.uint8)"),
    api("update before init", lambda ws: simtrack.Tracker(ws.model, device="cpu").update(
        np.zeros((60, 80, 3), np.uint8)), TrackerInputError, "before init()", "first frame"),
    api("unknown variant", lambda ws: simtrack.build_model("b99"), ConfigError, "'b99'", "tiny"),
    api("garbage weights", lambda ws: simtrack.load_weights(simtrack.build_model("tiny"), "garbage.pth"),
        CheckpointError, "garbage.pth", "damaged"),
    api("weights of another variant", lambda ws: simtrack.load_weights(simtrack.build_model("b16"), ws.checkpoint),
        CheckpointError, "holds variant 'tiny'", "'b16'"),
    api("unknown dataset", lambda ws: load_dataset("nosuch"), DatasetError, "'nosuch'", "known datasets"),
    api("missing dataset root", lambda ws: load_dataset("lasot", root="nowhere"), DatasetError, "nowhere",
        "Expected layout"),
    api("unknown sequence", lambda ws: load_dataset("lasot", root="LaSOT", sequences=["dog-1"]), DatasetError,
        "dog-1", "e.g. cat-1"),
    api("annotation row that is not numbers", lambda ws: load_dataset("lasot", root="lasot_badrow/LaSOT"),
        DatasetError, "groundtruth.txt", "line 2"),
    api("flags and ground truth of different lengths", lambda ws: load_dataset("lasot", root="lasot_short/LaSOT"),
        DatasetError, "full_occlusion.txt", "one per frame"),
    api("truncated frame", lambda ws: read_image("frames/cut.jpg"), TrackerInputError, "cut.jpg is truncated",
        "re-extract"),
    api("frame of another size", lambda ws: read_in_order("frames/0.jpg", "frames/tall.jpg"),
        TrackerInputError, "tall.jpg is 72x96", "replace it"),
    api("evaluation without trackers", lambda ws: evaluate_api("lasot", {}, ws.sequences), ConfigError,
        "no trackers", "NAME=RESULTS_DIR"),
    api("submission for a dataset without a server", lambda ws: make_submission("lasot", "x", "evalres", []),
        ConfigError, "'lasot'", "got10k_test"),
    api("submission checked against no sequences", lambda ws: submit.validate_submission("partial.zip", []),
        SubmissionError, "no sequences", "test split"),
    api("recipe value of the wrong type", lambda ws: config_from_dict({"optim": {"lr": "fast"}}), ConfigError,
        "optim.lr", "float"),
    api("recipe section that is not a mapping", lambda ws: config_from_dict({"optim": 3}), ConfigError,
        "optim must be a mapping"),
    api("results of an unknown run folder", lambda ws: evaluate_api("lasot", {"x": "nowhere"}, ws.sequences),
        ResultsError, "nowhere does not exist"),
]


def test_the_catalogue_is_large_and_its_cases_distinct():
    assert len(CASES) >= 60 and len({case.id for case in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_bad_input(case, workspace, monkeypatch, capsys):
    monkeypatch.chdir(workspace.root)
    monkeypatch.delenv("SIMTRACK_DATA", raising=False)
    before = snapshot(workspace.root)
    if isinstance(case.expect, int):
        with pytest.raises(SystemExit) as exit_info:
            case.call(workspace)
        assert exit_info.value.code == case.expect
        out, err = capsys.readouterr()
        assert err.startswith("error: ") and err.count("\n") == 1, err
        assert "Traceback" not in out + err
        message = err
    else:
        with pytest.raises(case.expect) as raised:
            case.call(workspace)
        message = str(raised.value)
    for needle in case.needles:
        assert needle in message, f"{needle!r} not in {message!r}"
    assert snapshot(workspace.root) == before, "a refused input changed the workspace"


def test_a_real_process_prints_one_line_and_exits_2(tmp_path):
    env = dict(os.environ, PYTHONPATH=str(REPO), MPLBACKEND="Agg")
    done = subprocess.run([sys.executable, "-m", "benchmarks.run", "--dataset", "lasot", "--data-root",
                           str(tmp_path / "nowhere"), "--devices", "tpu"], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and done.stderr.startswith("error: ") and done.stderr.count("\n") == 1
    assert list(tmp_path.iterdir()) == []


def test_an_unwritable_results_folder_is_refused_before_any_work(workspace, monkeypatch, capsys):
    """A read-only folder (chmod 555; as root, where permissions do not bind, os.access says no)."""
    monkeypatch.chdir(workspace.root)
    locked = workspace.root / "readonly"
    locked.mkdir(exist_ok=True)
    if os.geteuid() == 0:
        real = os.access
        monkeypatch.setattr(os, "access", lambda path, mode: real(path, mode) and Path(path).resolve() != locked)
    else:
        locked.chmod(0o555)
    try:
        before = snapshot(workspace.root)
        with pytest.raises(SystemExit) as exit_info:
            run_cli(run.main, [*RUN, "--results", "readonly/out"])
        assert exit_info.value.code == 2
        err = capsys.readouterr().err
        assert "cannot write into readonly (permission denied)" in err and "--results path you can write to" in err
        assert snapshot(workspace.root) == before
    finally:
        locked.chmod(0o755)
        shutil.rmtree(locked)
