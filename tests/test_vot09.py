"""vot-toolkit 0.9.0 (opt-in): every experiment of the VOT2022 short-term box and long-term stacks and a
VOTS stack, through our stack files (vot_workspace/stacks/), for SimTrack and a user's tracker, over
TraX and over 0.9's in-process ``python`` protocol; the official stacks' experiments that 0.9.0 runs
itself; and the toolkit's own failures, so that these checks say when a release fixes them and our
experiment classes may go (docs/vot.md).

0.9.0 and 0.7.4 cannot share an environment (requirements.txt, which CI installs, pins 0.7.4), so this
file drives the ``vot`` of another one and is skipped, with the reason, when there is none. Build it:

    python3 -m venv .venv-vot09 && .venv-vot09/bin/pip install -e ".[vot09]"

or point ``SIMTRACK_VOT09_PYTHON`` at the interpreter of such an environment. The tracker code used
is this checkout's (PYTHONPATH), whatever that environment installed.
"""
import configparser
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from model_helpers import random_model
from user_trackers import write_package

import simtrack
from simtrack.checkpoints import save_checkpoint
from simtrack.formats.images import read_image
from simtrack.trackers import build, parse_spec

REPO = Path(__file__).resolve().parents[1]
WORKSPACE = REPO / "vot_workspace"
PYTHON = Path(os.environ.get("SIMTRACK_VOT09_PYTHON") or REPO / ".venv-vot09" / "bin" / "python")
FRAMES, ANCHOR_STEP = 30, 15
USER_SPEC, USER_OPTIONS = "usertrackers.plain:PlainNCC", "search=1.5"


def toolkit_version():
    if not PYTHON.exists():
        return None
    done = subprocess.run([str(PYTHON), "-c", "import vot; print(vot.__version__)"], capture_output=True, text=True,
                          timeout=120)
    return done.stdout.strip() if done.returncode == 0 else None


VERSION = toolkit_version()
pytestmark = pytest.mark.skipif(
    VERSION is None or not VERSION.startswith("0.9"),
    reason=f"no vot-toolkit 0.9 environment at {PYTHON} (found: {VERSION}); build one with "
           f"`python3 -m venv .venv-vot09 && .venv-vot09/bin/pip install -e '.[vot09]'` or set SIMTRACK_VOT09_PYTHON")


def env(code):
    return dict(os.environ, VOT_RESULTS_BINARY="0", VOT_PERSISTENT_CACHE="0", MPLBACKEND="Agg",
                PYTHONPATH=os.pathsep.join([str(REPO), str(code)]))


def entries(code, checkpoint):
    """SimTrack and the user's tracker, each over TraX and over the python protocol."""
    paths = os.pathsep.join([str(REPO), str(code)])
    trax = {"protocol": "traxpython", "command": "simtrack.adapters.vot", "timeout": "120", "env_SIMTRACK_THREADS": "1",
            "env_OMP_NUM_THREADS": "1", "env_SIMTRACK_DEVICE": "cpu"}
    python = {"protocol": "python", "command": "simtrack.adapters.vot_python:SpecTracker", "convert": "rectangle",
              "timeout": "120", "arg_threads": "1", "arg_device": "cpu"}
    return {
        "SimTrackTiny": {**trax, "paths": str(REPO), "env_SIMTRACK_CHECKPOINT": str(checkpoint)},
        "SimTrackPy": {**python, "arg_tracker": "simtrack", "arg_checkpoint": str(checkpoint)},
        "UserNCC": {**trax, "paths": paths, "env_SIMTRACK_TRACKER": USER_SPEC, "env_SIMTRACK_TRACKER_OPTION": USER_OPTIONS},
        "UserNCCPy": {**python, "arg_tracker": USER_SPEC, "arg_search": USER_OPTIONS.split("=")[1]},
    }


def workspace(folder, stack, registry):
    folder.mkdir(parents=True)
    subprocess.run([sys.executable, str(WORKSPACE / "make_sequences.py"), str(folder / "sequences"), "--sequences", "1",
                    "--frames", str(FRAMES), "--width", "96", "--height", "72", "--anchor-step", str(ANCHOR_STEP)],
                   check=True, capture_output=True, timeout=120)
    if isinstance(stack, str) and "\n" not in stack:          # an integrated stack's name
        (folder / "config.yaml").write_text(f"registry:\n- ./trackers.ini\nstack: {stack}\n")
    else:
        (folder / "stack.yaml").write_text(stack if isinstance(stack, str) else Path(stack).read_text())
        (folder / "config.yaml").write_text("registry:\n- ./trackers.ini\nstack: stack.yaml\n")
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str
    for name, entry in registry.items():
        parser[name] = entry
    with open(folder / "trackers.ini", "w") as handle:
        parser.write(handle)
    return folder


def vot(folder, code, *args, check=True):
    done = subprocess.run([str(PYTHON.with_name("vot")), *args, "--workspace", str(folder)], cwd=folder, env=env(code),
                          capture_output=True, text=True, timeout=900)
    assert not check or done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done.stdout + done.stderr


def evaluate_checked(folder, code, *trackers):
    done = subprocess.run([str(PYTHON), str(WORKSPACE / "evaluate_checked.py"), *trackers], cwd=folder, env=env(code),
                          capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]


def read_boxes(path):
    lines = path.read_text().split()
    assert lines[0] == "1"
    return np.array([[float(v) for v in line.split(",")] for line in lines[1:]])


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    root = tmp_path_factory.mktemp("vot09")
    code = write_package(root / "code")
    checkpoint = save_checkpoint(random_model("tiny", seed=9), root / "tiny.safetensors")
    return root, code, checkpoint


def test_the_toolkits_own_multistart_and_redetection_still_fail(setup):
    """When this fails, 0.9 runs them itself: our experiment classes (and docs/vot.md) may go."""
    root, code, checkpoint = setup
    ncc = {"UserNCC": entries(code, checkpoint)["UserNCC"]}
    stack = ("experiments:\n  baseline: {type: multistart}\n  realtime: {type: multistart, realtime: {grace: 3}}\n"
             "  redetection:\n    type: unsupervised\n    transformers:\n"
             "      - {type: redetection, length: 60, initialization: 5, padding: 2, scaling: 1}\n")
    folder = workspace(root / "official", stack, ncc)
    assert "ObjectQuery.state must be a Region" in vot(folder, code, "--debug", "evaluate", "UserNCC", "--experiments",
                                                       "baseline", check=False)
    assert "ObjectQuery.state must be a Region" in vot(folder, code, "--debug", "evaluate", "UserNCC", "--experiments",
                                                       "realtime", check=False)
    assert "Local cache is required for redetection transformer" in vot(folder, code, "--debug", "evaluate", "UserNCC",
                                                                        "--experiments", "redetection", check=False)
    python = {"UserNCCPy": entries(code, checkpoint)["UserNCCPy"]}
    folder = workspace(root / "official_vots", "experiments:\n  baseline: {type: unsupervised, multiobject: True}\n",
                       python)
    two_objects(folder)
    assert "multiple objects were provided for update" in vot(folder, code, "--debug", "evaluate", "UserNCCPy",
                                                              check=False)


def test_the_official_stacks_unsupervised_experiments_run_unchanged(setup):
    """What docs/vot.md says 0.9.0 runs with the official stacks: the short-term ``unsupervised`` and
    long-term ``longterm`` experiments, and VOTS over TraX (our server, a user's tracker)."""
    root, code, checkpoint = setup
    ncc = {"UserNCC": entries(code, checkpoint)["UserNCC"]}
    for stack, experiment in (("vot2022/shorttermbox", "unsupervised"), ("vot2022/longterm", "longterm")):
        folder = workspace(root / experiment, stack, ncc)
        vot(folder, code, "evaluate", "UserNCC", "--experiments", experiment)
        vot(folder, code, "analysis", "UserNCC", "--experiments", experiment, "--name", experiment)
        assert (folder / "results" / "UserNCC" / experiment / "synth00" / "synth00_001.txt").is_file()
    folder = workspace(root / "multiobject", "tests/multiobject", ncc)
    two_objects(folder)
    evaluate_checked(folder, code, "UserNCC")
    vot(folder, code, "analysis", "UserNCC", "--name", "vots")


def two_objects(folder):
    """VOTS ground truth: object ``a`` as a mask from the first frame, ``b`` from frame 10 (``0`` before)."""
    sequence = folder / "sequences" / "synth00"
    boxes = np.loadtxt(sequence / "groundtruth.txt", delimiter=",")
    (sequence / "groundtruth.txt").unlink()
    for object_id, start in (("a", 0), ("b", 10)):
        rows = ["0" if index < start else f"m{int(x)},{int(y)},{int(w)},{int(h)},0,{int(w) * int(h)}"
                for index, (x, y, w, h) in enumerate(boxes)]
        (sequence / f"groundtruth_{object_id}.txt").write_text("\n".join(rows) + "\n")


def expected_boxes(folder, tracker, order):
    gt = np.loadtxt(folder / "groundtruth.txt", delimiter=",")
    frames = [read_image(folder / "color" / f"{i + 1:08d}.jpg") for i in order]
    tracker.init(tracker.prepare(frames[0]) if hasattr(tracker, "prepare") else frames[0], gt[order[0]])
    return np.array([tracker.update(tracker.prepare(f) if hasattr(tracker, "prepare") else f) for f in frames[1:]])


def test_every_short_term_experiment_runs_for_simtrack_and_a_users_tracker(setup, monkeypatch):
    root, code, checkpoint = setup
    registry = entries(code, checkpoint)
    folder = workspace(root / "short", WORKSPACE / "stacks" / "local.yaml", registry)
    evaluate_checked(folder, code, *registry)
    vot(folder, code, "analysis", *registry, "--name", "all")
    monkeypatch.syspath_prepend(str(code))
    sequence = folder / "sequences" / "synth00"
    for experiment, name, order in [("baseline", "synth00_00000000", range(FRAMES)),
                                    ("baseline", f"synth00_{ANCHOR_STEP:08d}", range(ANCHOR_STEP, FRAMES)),
                                    ("baseline", f"synth00_{FRAMES - 1:08d}", range(FRAMES - 1, -1, -1)),
                                    ("unsupervised", "synth00_001", range(FRAMES))]:
        order = list(order)
        user = expected_boxes(sequence, build(parse_spec(USER_SPEC, [USER_OPTIONS])), order)
        tiny = expected_boxes(sequence, simtrack.Tracker.from_checkpoint(checkpoint, device="cpu"), order)
        results = folder / "results"
        for tracker, expected, tolerance in [("UserNCC", user, 0), ("UserNCCPy", user, 0),
                                             ("SimTrackTiny", tiny, 1e-4), ("SimTrackPy", tiny, 1e-4)]:
            found = read_boxes(results / tracker / experiment / "synth00" / f"{name}.txt")
            np.testing.assert_allclose(found, expected, atol=tolerance, rtol=0, err_msg=f"{tracker} {experiment} {name}")
    for tracker in registry:
        assert len(list((folder / "results" / tracker / "realtime" / "synth00").glob("*_0000*.txt"))) == 3


def test_the_long_term_stack_runs_whole_with_no_confidence_on_initialisation(setup):
    root, code, checkpoint = setup
    registry = {name: entry for name, entry in entries(code, checkpoint).items() if name.startswith("User")}
    folder = workspace(root / "long", WORKSPACE / "stacks" / "vot2022_longterm.yaml", registry)
    gt = folder / "sequences" / "synth00" / "groundtruth.txt"
    lines = gt.read_text().splitlines()
    gt.write_text("\n".join(lines[:18] + ["0"] * 5 + lines[23:]) + "\n")      # target absent on 5 frames
    evaluate_checked(folder, code, *registry)
    vot(folder, code, "analysis", *registry, "--name", "lt")
    for tracker in registry:
        results = folder / "results" / tracker
        [redetection] = (results / "redetection").rglob("*_001.txt")        # the generated sequence's name
        assert len(redetection.read_text().splitlines()) == 200
        confidence = (results / "longterm" / "synth00" / "synth00_001_confidence.value").read_text().splitlines()
        assert confidence[0] == "" and len(confidence) == FRAMES
    assert (folder / "results" / "UserNCC" / "longterm" / "synth00" / "synth00_001.txt").read_text() == \
        (folder / "results" / "UserNCCPy" / "longterm" / "synth00" / "synth00_001.txt").read_text()


def test_a_vots_sequence_with_a_late_object_runs_over_trax_and_python(setup):
    """Mask ground truth, two objects, the second one from frame 10: a single-object box tracker runs
    once per object (0.7.4 never initialises the late one: use 0.9 for VOTS)."""
    root, code, checkpoint = setup
    registry = {name: entry for name, entry in entries(code, checkpoint).items() if name.startswith("User")}
    folder = workspace(root / "vots", WORKSPACE / "stacks" / "vots.yaml", registry)
    two_objects(folder)
    evaluate_checked(folder, code, *registry)
    vot(folder, code, "analysis", *registry, "--name", "vots")
    for object_id in ("a", "b"):
        trax, python = (folder / "results" / tracker / "baseline" / "synth00" / f"synth00_{object_id}_001.txt"
                        for tracker in registry)
        assert trax.read_text() == python.read_text()
        assert sum(line not in ("0", "1") for line in trax.read_text().split()) >= FRAMES - 12   # tracked, not 0
    shutil.rmtree(folder / "cache", ignore_errors=True)
