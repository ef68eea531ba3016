"""Any tracker through the runner: a got10k-style class written here into a temporary package (the
toolkit has never seen it), run with 2 CPU workers, killed and resumed, and split with ``--shard``,
gives the boxes of a direct got10k ``ExperimentOTB`` run of the same class; trackers that raise,
return NaN or a wrong shape fail their sequences alone; the built-in MIL baseline; provenance.
"""
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import cv2
import numpy as np
import pytest
from fabricate import make_got10k
from timeouts import within
from user_trackers import USER_PACKAGE, write_package

from benchmarks.run import main as run_main
from simtrack.cli import run_cli
from simtrack.data.synthetic.generator import DEMO_SEED_BASE, render_sequence
from simtrack.errors import ConfigError, TrackerError
from simtrack.trackers import GenericTracker, build, parse_options, parse_spec, provenance
from simtrack.trackers.mil import MILTracker

got10k = pytest.importorskip("got10k")
from simtrack.adapters.got10k import local_otb_experiment, spec_tracker  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
NAMES = ("Basketball", "Biker", "Bird1", "Bolt", "Boy", "Car1")    # OTB100 names without special frame ranges
FRAMES, SIZE = 24, (96, 72)

def make_otb(root):
    """OTB layout (``<Name>/img/0001.jpg``, ``groundtruth_rect.txt``) of rendered synthetic videos."""
    starts = {}
    for index, name in enumerate(NAMES):
        video = render_sequence(DEMO_SEED_BASE + 20 + index, FRAMES, SIZE)
        (root / name / "img").mkdir(parents=True)
        for number, frame in enumerate(video.frames, 1):
            cv2.imwrite(str(root / name / "img" / f"{number:04d}.jpg"), cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
        np.savetxt(root / name / "groundtruth_rect.txt", video.boxes, fmt="%d", delimiter=",")
        starts[name] = str(int(np.loadtxt(root / name / "groundtruth_rect.txt", delimiter=",")[0, 0]))
    return starts


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """The OTB copy, the user's package on sys.path, and the got10k toolkit's own results for it."""
    root = tmp_path_factory.mktemp("own")
    code = write_package(root / "code")
    starts = make_otb(root / "OTB100")
    sys.path.insert(0, str(code))
    try:
        from usertrackers.ncc import NCCTracker
        experiment = local_otb_experiment(root / "OTB100", root / "got10k_results", root / "got10k_reports")
        experiment.run(NCCTracker())
        experiment.run(spec_tracker("mil", name="MIL"))
        yield root, code, starts
    finally:
        sys.path.remove(str(code))
        for module in [name for name in sys.modules if name.startswith("usertrackers")]:
            del sys.modules[module]


def got10k_boxes(root, tracker):
    return {name: np.loadtxt(root / "got10k_results" / "OTB2015" / tracker / f"{name}.txt", delimiter=",")
            for name in NAMES}


def our_boxes(folder):
    return {name: np.loadtxt(Path(folder) / f"{name}.txt", delimiter=",") for name in NAMES}


def assert_same_boxes(ours, theirs):
    """got10k writes %.3f, we write %.4f: equal once both are rounded to the toolkit's 3 decimals."""
    assert sorted(ours) == sorted(theirs)
    for name in theirs:
        np.testing.assert_allclose(np.round(ours[name], 3), theirs[name], atol=1e-9, err_msg=name)


def boxes_files(folder):
    return [path for path in Path(folder).glob("*.txt") if not path.name.endswith("_time.txt")]


def run_args(root, results, tracker, *extra):
    """One worker unless ``extra`` asks for more (the last --workers-per-device wins)."""
    return ["--dataset", "otb100", "--data-root", str(root / "OTB100"), "--results", str(results),
            "--tracker", tracker, "--devices", "cpu", "--workers-per-device", "1", *extra]


def run_in_process(args, capsys):
    with pytest.raises(SystemExit) as exit_info:
        run_cli(run_main, args)
    output = capsys.readouterr()
    return exit_info.value.code, output.out + output.err


# --------------------------------------------------------------------------- the judged behaviour

def test_a_got10k_tracker_killed_resumed_and_sharded_gives_the_toolkits_boxes(world, capsys):
    """2 CPU workers, killed with SIGKILL after its first sequence, then finished by the two parts of
    ``--shard``: the boxes of the got10k toolkit's own run of the class."""
    root, code, _ = world
    expected = got10k_boxes(root, "NCC")
    args = run_args(root, root / "killed", "usertrackers.ncc:NCCTracker", "--tracker-option", "delay=0.02",
                    "--workers-per-device", "2")
    folder = root / "killed" / "NCCTracker" / "otb100"
    env = dict(os.environ, MPLBACKEND="Agg", PYTHONPATH=os.pathsep.join([str(REPO), str(code)]))
    process = subprocess.Popen([sys.executable, "-m", "benchmarks.run", *args], cwd=root, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while not boxes_files(folder) and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    process.send_signal(signal.SIGKILL)
    process.wait()
    finished = len(boxes_files(folder))         # the boxes file is written last: the sequence is complete
    assert 1 <= finished < len(NAMES), "the run was not killed half way"

    sys.path.insert(0, str(code))
    try:
        outputs = [run_in_process(args + ["--shard", part], capsys) for part in ("1/2", "2/2")]
    finally:
        sys.path.remove(str(code))
    assert [status for status, _ in outputs] == [0, 0], outputs
    tracked = [int(re.search(r"sequences: (\d+) done", output)[1]) for _, output in outputs]
    assert sum(tracked) == len(NAMES) - finished and all(tracked)      # each part resumed its own share
    assert "| NCCTracker |" in outputs[1][1]                        # the last part evaluates, like any run
    assert_same_boxes(our_boxes(folder), expected)

    manifest = json.loads((folder / "manifest.json").read_text())
    spec = manifest["tracker_spec"]
    assert manifest["checkpoint"] is None and spec["factory"] == "usertrackers.ncc:NCCTracker"
    assert spec["options"] == {"delay": 0.02} and spec["source_files"] == len(USER_PACKAGE)
    assert len(spec["source_sha256"]) == 64 and spec["version"] is None     # code on PYTHONPATH: no package version
    assert json.loads((folder / "records" / f"{NAMES[0]}.json").read_text())["identity"] == spec


def test_trackers_that_raise_exit_return_nan_or_a_wrong_shape_fail_alone(world, capsys):
    root, code, starts = world
    faults = {starts["Basketball"]: "raise", starts["Biker"]: "nan", starts["Bird1"]: "shape", starts["Boy"]: "exit",
              starts["Car1"]: "crash"}
    assert len(set(starts.values())) == len(NAMES)
    sys.path.insert(0, str(code))
    try:
        status, output = run_in_process(run_args(root, root / "faulty", "usertrackers.faulty:Faulty",
                                                  "--tracker-option", f"faults={faults!r}"), capsys)
        assert status == 1, output
        assert "sequences: 1 done, 0 skipped (already complete), 5 failed" in output
        assert "Basketball: tracker Faulty: update() on frame 3 raised ZeroDivisionError: user bug: division by zero" in output
        assert "Biker: tracker Faulty: update() on frame 3 returned a non-finite box [nan," in output
        assert "Bird1: tracker Faulty: update() on frame 3 returned an array of shape (3,)" in output
        assert "Boy: tracker Faulty: update() on frame 3 raised SystemExit: 3" in output
        assert "Car1: worker process on cpu died (exit code -11) while tracking this sequence" in output   # replaced
        assert "Traceback" not in output and "Evaluation skipped" in output
        folder = root / "faulty" / "Faulty" / "otb100"
        assert (folder / "Bolt.txt").is_file() and not (folder / "Basketball.txt").exists()
        assert 'raise ZeroDivisionError("user bug' in (folder / "errors.log").read_text()   # the tracker's own traceback

        cases = [("usertrackers.broken:Tracker", [], "cannot import module usertrackers.broken: ModuleNotFoundError: "
                                                     "No module named 'a_module_that_is_not_installed'"),
                 ("usertrackers.faulty:NoUpdate", [], "NoUpdate has no update() method"),
                 ("usertrackers.ncc:NCCTracker", ["--tracker-option", "bogus=1"],
                  "building usertrackers.ncc:NCCTracker(bogus=1) failed: TypeError")]
        for spec, extra, message in cases:
            status, output = run_in_process(run_args(root, root / "broken", spec, "--sequences", "Bolt,Biker", *extra),
                                            capsys)
            assert status == 1 and "Traceback" not in output, output
            assert f"Bolt: tracker {spec}: " in output and f"Biker: tracker {spec}: " in output and message in output
    finally:
        sys.path.remove(str(code))


def test_a_resume_with_changed_code_options_or_another_tracker_is_refused(world, tmp_path, capsys):
    """Like a resume with other weights: other code or options of the same factory are refused sequence
    by sequence (the records), another factory in the folder as a whole (the manifest)."""
    root = world[0]
    code = write_package(tmp_path / "code", name="editedtrackers")
    sys.path.insert(0, str(code))
    try:
        args = ["--dataset", "otb100", "--data-root", str(root / "OTB100"), "--results", str(tmp_path / "out"),
                "--devices", "cpu", "--workers-per-device", "1", "--sequences", "Bolt", "--tracker-name", "mine"]
        status, output = run_in_process(args + ["--tracker", "editedtrackers.ncc:NCCTracker"], capsys)
        assert status == 0, output
        status, output = run_in_process(args + ["--tracker", "editedtrackers.ncc:NCCTracker",
                                                "--tracker-option", "search=2"], capsys)
        assert status == 2 and "written with options {} (this run: {'search': 2})" in output
        helper = code / "editedtrackers" / "helpers.py"
        helper.write_text(helper.read_text() + "\n# a helper edited beside the tracker\n")
        status, output = run_in_process(args + ["--tracker", "editedtrackers.ncc:NCCTracker"], capsys)
        assert status == 2 and "source sha256" in output, output
        status, output = run_in_process(args + ["--tracker", "mil"], capsys)
        assert status == 2 and "holds results of tracker editedtrackers.ncc:NCCTracker, not of tracker mil" in output
        status, output = run_in_process(args + ["--tracker", "nosuchpackage.mod:X"], capsys)
        assert status == 2 and "no module named 'nosuchpackage'" in output
        status, output = run_in_process(args + ["--tracker", "mil", "--checkpoint", "w.pth"], capsys)
        assert status == 2 and "--checkpoint: SimTrack's option(s), but --tracker is mil" in output
        status, output = run_in_process(args + ["--tracker-option", "x=1"], capsys)
        assert status == 2 and "--tracker-option is for a --tracker other than simtrack" in output

        make_got10k(tmp_path / "GOT-10k", split="test", num_frames=4)       # a test split: packed for the server
        status, output = run_in_process(["--dataset", "got10k_test", "--data-root", str(tmp_path / "GOT-10k"),
                                         "--results", str(tmp_path / "out"), "--devices", "cpu", "--repeat", "3",
                                         "--tracker", "editedtrackers.echo:Echo"], capsys)
        assert status == 0 and "submission written" in output, output
        assert (tmp_path / "out" / "Echo" / "got10k_test.zip").is_file()
    finally:
        sys.path.remove(str(code))
        for module in [name for name in sys.modules if name.startswith("editedtrackers")]:
            del sys.modules[module]


def test_mil_by_name_gives_the_got10k_adapters_boxes(world, capsys):
    """The built-in baseline through the runner (a spawned worker process) and through the
    got10k adapter in this process: the same boxes, so MIL is repeatable across processes."""
    root, _, _ = world
    status, output = run_in_process(run_args(root, root / "mil", "mil"), capsys)
    assert status == 0 and "| mil |" in output, output
    assert_same_boxes(our_boxes(root / "mil" / "mil" / "otb100"), got10k_boxes(root, "MIL"))
    manifest = json.loads((root / "mil" / "mil" / "otb100" / "manifest.json").read_text())
    assert manifest["tracker_spec"]["libraries"] == {"opencv": cv2.__version__}
    assert manifest["tracker_spec"]["version"] == manifest["versions"]["simtrack"]


# --------------------------------------------------------------------------- the pieces

def test_specs_and_options_are_read_as_documented():
    assert parse_options(["a=1", "b=0.5", "c=true", "d=None", "e=[1, 2]", "f=hello", "g='1'", "h=a=b", "i="]) == \
        {"a": 1, "b": 0.5, "c": True, "d": None, "e": [1, 2], "f": "hello", "g": "1", "h": "a=b", "i": ""}
    spec = parse_spec("pkg.mod:Factory.create", ["x=2"])
    assert (spec.module, spec.attr, spec.options, spec.default_name) == ("pkg.mod", "Factory.create", {"x": 2}, "create")
    assert parse_spec("mil").factory == "simtrack.trackers.mil:MILTracker" and parse_spec("mil").default_name == "mil"
    for bad, message in [("pkg.mod.Factory", "with a colon"), ("pkg/mod:F", "expected a built-in")]:
        with pytest.raises(ConfigError, match=message):
            parse_spec(bad)
    for bad, message in [(["noequals"], "expected key=value"), (["a=1", "a=2"], "given twice"), (["1a=2"], "key=value")]:
        with pytest.raises(ConfigError, match=message):
            parse_options(bad)


class Recorder:
    """Records what it was given."""

    def __init__(self, device=None, image_type=None):
        self.device, self.seen = device, []
        if image_type:
            self.image_type = image_type

    def init(self, image, box):
        self.seen.append((image, box))

    def update(self, image):
        self.seen.append(image)
        return [1, 2, 3, 4], 0.25


class Forwarding(Recorder):
    def __init__(self, **kwargs):
        super().__init__()
        self.kwargs = kwargs


def test_the_generic_tracker_bridges_images_and_tells_the_device():
    image = np.zeros((6, 8, 3), dtype=np.uint8)
    image[..., 0] = 200                                      # red in RGB
    seen = {}
    for image_type in ("pil", "rgb", "bgr", "path"):
        tracker = build(parse_spec(f"{__name__}:Recorder", {"image_type": image_type}), device="cuda:1")
        assert tracker.tracker.device == "cuda:1"            # declared parameter: told its device
        np.testing.assert_array_equal(tracker.init(tracker.prepare(image, "/frames/1.jpg"), (1, 1, 2, 2)), [1, 1, 2, 2])
        np.testing.assert_array_equal(tracker.update(tracker.prepare(image, "/frames/2.jpg")), [1, 2, 3, 4])
        assert tracker.confidence == 0.25
        seen[image_type] = tracker.tracker.seen[1]
    assert seen["pil"].mode == "RGB" and np.asarray(seen["pil"])[0, 0, 0] == 200
    assert seen["rgb"][0, 0, 0] == 200 and seen["bgr"][0, 0, 2] == 200 and seen["path"] == "/frames/2.jpg"
    assert "device" not in build(parse_spec(f"{__name__}:Forwarding"), device="cuda:1").tracker.kwargs
    plain = GenericTracker(Recorder())
    assert plain.image_type == "pil"
    with pytest.raises(TrackerError, match="update.. called before init"):
        plain.update(image)
    with pytest.raises(TrackerError, match="initial box .* has no area"):
        plain.init(image, (1, 1, 0, 2))


def test_provenance_hashes_the_package_and_option_files(tmp_path):
    code = write_package(tmp_path, name="hashedtrackers")
    weights = tmp_path / "weights.bin"
    weights.write_bytes(b"w" * 10)
    sys.path.insert(0, str(tmp_path))
    try:
        spec = parse_spec("hashedtrackers.ncc:NCCTracker", [f"weights={weights}", "search=2"])
        first = provenance(spec)
        assert first["option_files"] == {"weights": __import__("hashlib").sha256(b"w" * 10).hexdigest()}
        assert "hashedtrackers" not in sys.modules                 # located and hashed, never imported
        (code / "hashedtrackers" / "helpers.py").write_text("# edited\n")
        assert provenance(spec)["source_sha256"] != first["source_sha256"]
    finally:
        sys.path.remove(str(tmp_path))


def test_provenance_digest_is_relative_path_and_bytes_of_every_file(tmp_path):
    """Records written before hold this digest: hashing in chunks must not change it."""
    code = write_package(tmp_path, name="digesttrackers")
    sys.path.insert(0, str(tmp_path))
    try:
        found = provenance(parse_spec("digesttrackers.ncc:NCCTracker"))
    finally:
        sys.path.remove(str(tmp_path))
    expected = __import__("hashlib").sha256()
    for path in sorted((code / "digesttrackers").rglob("*.py")):
        expected.update(path.relative_to(code / "digesttrackers").as_posix().encode() + b"\0" + path.read_bytes()
                        + b"\0")
    assert found["source_sha256"] == expected.hexdigest()


@pytest.mark.parametrize("planted", ["fifo", "link"])
def test_a_fifo_or_link_among_a_trackers_sources_is_refused_not_read(tmp_path, planted):
    code = write_package(tmp_path, name=f"planted{planted}")
    odd = code / f"planted{planted}" / "zz.py"
    if planted == "fifo":
        os.mkfifo(odd)
    else:
        odd.symlink_to("/dev/zero")
    sys.path.insert(0, str(tmp_path))
    try:
        kind = "a FIFO" if planted == "fifo" else "a symbolic link"
        with within(10, "provenance"), pytest.raises(
                ConfigError, match=f"source file of tracker planted{planted}.ncc:NCCTracker .*zz.py is {kind}.*, "
                                   f"not a regular file"):
            provenance(parse_spec(f"planted{planted}.ncc:NCCTracker"))
    finally:
        sys.path.remove(str(tmp_path))


def test_mil_is_repeatable_and_survives_what_crashes_opencv():
    video = render_sequence(DEMO_SEED_BASE + 3, 6, (64, 48))
    frames = [cv2.cvtColor(frame, cv2.COLOR_RGB2BGR) for frame in video.frames]

    def track(box):
        tracker = MILTracker()
        tracker.init(frames[0], box)
        return np.array([tracker.update(frame) for frame in frames[1:]])

    first = track(video.boxes[0])
    np.testing.assert_array_equal(track(video.boxes[0]), first)
    cv2.randu(np.zeros((64, 64), np.float32), 0, 1)       # advances OpenCV's RNG, which MIL's sampler copies
    np.testing.assert_array_equal(track(video.boxes[0]), first)
    for box in [(1, 1, 3, 3), (-30, -30, 50, 40), (40, 30, 40, 30)]:     # OpenCV: endless loop, exceptions
        assert np.isfinite(track(box)).all()
    with pytest.raises(cv2.error, match="negSamples"):      # no background left to learn from: an error, no crash
        track((0, 0, 62, 46))
    with pytest.raises(RuntimeError, match="before init"):
        MILTracker().update(frames[0])
    with pytest.raises(ValueError, match="no parameter 'bogus'"):
        MILTracker(bogus=1)
