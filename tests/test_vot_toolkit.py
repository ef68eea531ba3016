"""`vot evaluate / analysis / report / pack` end to end with our TraX server, offline, in a temporary
workspace: synthetic sequences from vot_workspace/make_sequences.py, the workspace's local stack and
its SimTrackTiny registry entry pointed at a random tiny checkpoint, beside a user's tracker (a
package the toolkit has never seen) served by the same server from its spec; and our stack files
(vot_workspace/stacks/), which give the official experiments' results and run the long-term
``redetection`` experiment that the official stack cannot.

This file runs with the VOT toolkit of the test environment (0.7.4, requirements.txt);
tests/test_vot09.py runs the same under vot-toolkit 0.9.0 when an environment with it exists."""
import configparser
import json
import os
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path
from types import SimpleNamespace

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
VOT = Path(sys.executable).with_name("vot")
SEQUENCES, FRAMES, ANCHOR_STEP = 1, 40, 20
TRACKER, BROKEN, USER = "SimTrackTiny", "SimTrackBroken", "UserNCC"
USER_SPEC, USER_OPTIONS = "usertrackers.plain:PlainNCC", {"search": 1.5}
CHECKED = WORKSPACE / "evaluate_checked.py"

pytestmark = pytest.mark.skipif(not VOT.exists(), reason=f"the VOT toolkit is not installed ({VOT} missing)")


def toolkit_env():
    return dict(os.environ, VOT_RESULTS_BINARY="0", VOT_PERSISTENT_CACHE="0", MPLBACKEND="Agg")


def vot(workspace, *args):
    """Run one ``vot`` command in ``workspace``; fails the test with the toolkit's output if it fails."""
    env = toolkit_env()
    done = subprocess.run([str(VOT), *args, "--workspace", str(workspace)], cwd=workspace, env=env,
                          capture_output=True, text=True, timeout=400)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done.stdout + done.stderr


def committed_registry():
    registry = configparser.ConfigParser(interpolation=None)
    registry.optionxform = str                                   # keep env_ names as written
    registry.read(WORKSPACE / "trackers.ini")
    return registry


def user_entry(code):
    """A registry entry for the user's tracker: our TraX server building it from its spec."""
    return {"protocol": "traxpython", "command": "simtrack.adapters.vot", "paths": os.pathsep.join([str(REPO), str(code)]),
            "timeout": "60", "env_SIMTRACK_TRACKER": USER_SPEC,
            "env_SIMTRACK_TRACKER_OPTION": " ".join(f"{k}={v}" for k, v in USER_OPTIONS.items()),
            "env_SIMTRACK_THREADS": "1"}


def write_registry(workspace, entries):
    registry = configparser.ConfigParser(interpolation=None)
    registry.optionxform = str                                   # keep env_ names as written
    for name, entry in entries.items():
        registry[name] = entry
    with open(workspace / "trackers.ini", "w") as handle:
        registry.write(handle)


def registry_entry(workspace, checkpoint, events, code):
    """The committed SimTrackTiny entry, with paths and weights that hold in the temporary workspace,
    a copy of it whose weights file is missing (a tracker that fails) and the user's tracker."""
    entry = {**committed_registry()[TRACKER], "paths": str(REPO)}
    write_registry(workspace, {
        TRACKER: {**entry, "env_SIMTRACK_CHECKPOINT": str(checkpoint), "env_SIMTRACK_VOT_EVENTS": str(events)},
        BROKEN: {**entry, "env_SIMTRACK_CHECKPOINT": str(workspace / "missing.safetensors")},
        USER: user_entry(code)})


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """One evaluate/analysis/report/pack cycle, shared by the tests below."""
    workspace = tmp_path_factory.mktemp("vot")
    subprocess.run([sys.executable, str(WORKSPACE / "make_sequences.py"), str(workspace / "sequences"),
                    "--sequences", str(SEQUENCES), "--frames", str(FRAMES), "--width", "96", "--height", "72",
                    "--anchor-step", str(ANCHOR_STEP)], check=True, capture_output=True, timeout=120)
    checkpoint = save_checkpoint(random_model("tiny", seed=9), workspace / "tiny.safetensors")
    shutil.copy(WORKSPACE / "local_stack.yaml", workspace / "stack.yaml")
    (workspace / "config.yaml").write_text("registry:\n- ./trackers.ini\nstack: stack.yaml\n")
    code = write_package(workspace / "code")
    registry_entry(workspace, checkpoint, workspace / "events.txt", code)
    checked = subprocess.run([sys.executable, str(CHECKED), TRACKER, USER], cwd=workspace, env=toolkit_env(),
                             capture_output=True, text=True, timeout=400)
    assert checked.returncode == 0, checked.stdout[-3000:] + checked.stderr[-3000:]
    evaluated = checked.stdout + checked.stderr
    vot(workspace, "analysis", TRACKER, "--name", "smoke")
    vot(workspace, "report", TRACKER, "--name", "smoke")
    vot(workspace, "pack", TRACKER)
    names = (workspace / "sequences" / "list.txt").read_text().split()
    return SimpleNamespace(workspace=workspace, checkpoint=checkpoint, names=names, evaluated=evaluated,
                           results=workspace / "results" / TRACKER, code=code)


def anchors(run, name):
    values = np.loadtxt(run.workspace / "sequences" / name / "anchor.value")
    return [(int(i), False) for i in np.flatnonzero(values > 0)] + [(int(i), True) for i in np.flatnonzero(values < 0)]


def result_files(run, results=None):
    """Every result file the stack asks for, with the frame order its run used."""
    results = results or run.results
    for name in run.names:
        for anchor, backward in anchors(run, name):
            order = range(anchor, -1, -1) if backward else range(anchor, FRAMES)
            yield results / "baseline" / name / f"{name}_{anchor:08d}.txt", name, list(order)
        yield results / "unsupervised" / name / f"{name}_001.txt", name, list(range(FRAMES))


def read_boxes(path):
    lines = path.read_text().split()
    assert lines[0] == "1"                                   # the initialisation frame
    return np.array([[float(v) for v in line.split(",")] for line in lines[1:]])


def test_every_committed_entry_pins_its_threads():
    registry = committed_registry()
    assert registry.sections() and all(int(registry[name]["env_SIMTRACK_THREADS"]) >= 1
                                       for name in registry.sections())


def test_evaluation_writes_every_result_with_confidences(run):
    assert "Evaluation concluded successfuly" in run.evaluated
    assert f"results complete for {TRACKER}, {USER}" in run.evaluated
    assert not (run.workspace / "logs").exists() or not any((run.workspace / "logs").iterdir())
    for path, _, order in result_files(run):
        boxes = read_boxes(path)
        assert boxes.shape == (len(order) - 1, 4) and np.all(np.isfinite(boxes))
        confidence = np.loadtxt(path.with_name(path.stem + "_confidence.value"))
        assert np.all((confidence[1:] >= 0) & (confidence[1:] <= 1))


def test_tracker_process_starts_once_per_sequence_and_experiment(run):
    lines = [line.split() for line in (run.workspace / "events.txt").read_text().splitlines()]
    starts = [pid for event, pid, _ in lines if event == "start"]
    inits = Counter(pid for event, pid, _ in lines if event == "init")
    assert len(starts) == len(set(starts)) == SEQUENCES * 2                  # 2 experiments in the stack
    anchors_per_sequence = len(anchors(run, run.names[0]))
    assert sorted(inits.values()) == [1] * SEQUENCES + [anchors_per_sequence] * SEQUENCES
    assert sum(inits.values()) > len(starts)


def test_analysis_and_report_hold_numbers(run):
    analysis = json.loads((run.workspace / "analysis" / "smoke.json").read_text())
    assert set(analysis["sequences"]) == set(run.names)
    baseline, unsupervised = analysis["results"]["baseline"], analysis["results"]["unsupervised"]
    [[eao]], _, [[accuracy, robustness, *_]] = baseline["results"]
    [[[average_overlap]]] = unsupervised["results"]
    for value in (eao, accuracy, robustness, average_overlap):
        assert np.isfinite(value) and 0 <= value <= 1, value
    assert (run.workspace / "reports" / "smoke" / "report.html").stat().st_size > 1000
    assert list(run.workspace.glob(f"{TRACKER}_*.zip"))


def test_toolkit_boxes_equal_our_tracker_on_the_same_frames(run):
    """Text results hold what crossed TraX: float32 boxes printed with 4 decimals.

    The suite runs on one torch thread, as the server does (OMP_NUM_THREADS=1): same arithmetic.
    """
    tracker = simtrack.Tracker.from_checkpoint(run.checkpoint, device="cpu")
    for path, name, order in result_files(run):
        folder = run.workspace / "sequences" / name
        gt = np.loadtxt(folder / "groundtruth.txt", delimiter=",")
        frames = [read_image(folder / "color" / f"{i + 1:08d}.jpg") for i in order]
        tracker.init(frames[0], gt[order[0]])
        expected = [[np.float32(f"{np.float32(v):.4f}") for v in tracker.update(f)] for f in frames[1:]]
        np.testing.assert_array_equal(np.float32(read_boxes(path)), np.array(expected), err_msg=str(path))


def test_a_failing_tracker_makes_the_checked_evaluation_fail(run):
    """`vot evaluate` itself exits 0 here; the wrapper names the tracker, the runs and the log.
    (Last in this file: it leaves a tracker log in the shared workspace.)"""
    done = subprocess.run([sys.executable, str(CHECKED), BROKEN, "--experiments", "unsupervised"], cwd=run.workspace,
                          env=toolkit_env(), capture_output=True, text=True, timeout=400)
    assert done.returncode == 1, done.stdout[-2000:] + done.stderr[-2000:]
    assert f"incomplete: {BROKEN} unsupervised/{run.names[0]}" in done.stderr
    assert "tracker error:" in done.stderr and "missing.safetensors" in done.stdout + done.stderr
    assert f"evaluate_checked: tracker output: {run.workspace / 'logs'}" in done.stderr
    assert "FAILED" in done.stderr.splitlines()[-1]


def user_tracker_boxes(run, order, name):
    """The user's tracker built from its spec in this process, run over the frames in ``order``."""
    folder = run.workspace / "sequences" / name
    gt = np.loadtxt(folder / "groundtruth.txt", delimiter=",")
    tracker = build(parse_spec(USER_SPEC, USER_OPTIONS))
    frames = [read_image(folder / "color" / f"{i + 1:08d}.jpg") for i in order]
    tracker.init(tracker.prepare(frames[0]), gt[order[0]])
    return np.array([tracker.update(tracker.prepare(frame)) for frame in frames[1:]])


def test_a_users_tracker_runs_from_its_spec_over_trax(run, monkeypatch):
    """The user's class (whole pixels: nothing to round on the wire) gives the toolkit the boxes it
    gives in this process; its confidence is reported on every frame but the initialisation."""
    monkeypatch.syspath_prepend(str(run.code))
    for path, name, order in result_files(run, run.workspace / "results" / USER):
        np.testing.assert_array_equal(read_boxes(path), user_tracker_boxes(run, order, name), err_msg=str(path))
        confidence = path.with_name(path.stem + "_confidence.value").read_text().splitlines()
        assert confidence[0] == "" and all(0 <= float(value) <= 1 for value in confidence[1:])


def long_term_sequence(run, folder):
    """One sequence of the run whose target is 'absent' (ground truth 0) on 6 frames: a long-term sequence."""
    name = run.names[0]
    shutil.copytree(run.workspace / "sequences" / name, folder / name)
    lines = (folder / name / "groundtruth.txt").read_text().splitlines()
    (folder / name / "groundtruth.txt").write_text("\n".join(lines[:25] + ["0"] * 6 + lines[31:]) + "\n")
    (folder / "list.txt").write_text(name + "\n")


def new_workspace(folder, stack, entries):
    folder.mkdir()
    shutil.copy(stack, folder / "stack.yaml")
    (folder / "config.yaml").write_text("registry:\n- ./trackers.ini\nstack: stack.yaml\n")
    write_registry(folder, entries)
    return folder


def test_our_stack_files_give_the_official_results_and_run_redetection(run, tmp_path):
    """vot_workspace/stacks/: the same files as the official experiment classes (realtime too), and the
    long-term stack's redetection experiment, which the official stack cannot run (the toolkit's own
    failure is checked too: when a release fixes it, this test says our class may go)."""
    short = new_workspace(tmp_path / "short", WORKSPACE / "stacks" / "local.yaml", {USER: user_entry(run.code)})
    shutil.copytree(run.workspace / "sequences", short / "sequences")
    checked = subprocess.run([sys.executable, str(CHECKED), USER], cwd=short, env=toolkit_env(),
                             capture_output=True, text=True, timeout=400)
    assert checked.returncode == 0, checked.stdout[-3000:] + checked.stderr[-3000:]
    for path, _, _ in result_files(run, run.workspace / "results" / USER):
        assert (short / path.relative_to(run.workspace)).read_text() == path.read_text()
    assert len(list((short / "results" / USER / "realtime").rglob("*_00000000.txt"))) == SEQUENCES

    official = new_workspace(tmp_path / "official", WORKSPACE / "stacks" / "vot2022_longterm.yaml",
                             {USER: user_entry(run.code)})
    long_term_sequence(run, official / "sequences")
    (official / "stack.yaml").write_text("experiments:\n  redetection:\n    type: unsupervised\n    transformers:\n"
                                         "      - {type: redetection, length: 60, initialization: 5, padding: 2, "
                                         "scaling: 1}\n")
    done = subprocess.run([str(VOT), "--debug", "evaluate", USER, "--workspace", str(official)], cwd=official,
                          env=toolkit_env(), capture_output=True, text=True, timeout=400)
    assert "Local cache is required for redetection transformer" in done.stdout + done.stderr, \
        "the toolkit's own redetection experiment runs now: our Redetection class may no longer be needed"

    ours = new_workspace(tmp_path / "long", WORKSPACE / "stacks" / "vot2022_longterm.yaml", {USER: user_entry(run.code)})
    long_term_sequence(run, ours / "sequences")
    checked = subprocess.run([sys.executable, str(CHECKED), USER], cwd=ours, env=toolkit_env(),
                             capture_output=True, text=True, timeout=400)
    assert checked.returncode == 0, checked.stdout[-3000:] + checked.stderr[-3000:]
    [redetection] = (ours / "results" / USER / "redetection").rglob("*_001.txt")
    assert len(redetection.read_text().splitlines()) == 200               # the stack's length, not 5
    vot(ours, "analysis", USER, "--name", "lt")
