"""Scoring where only annotations and result files exist, and where torch (and pandas, seaborn, OpenCV) cannot
be imported: the evaluate and submit commands run in a subprocess whose import system refuses them."""
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
from fabricate import make_got10k, make_lasot, make_lasot_toolkit, remove_frames

from simtrack.data import ensure_demo_dataset, load_dataset

REPOSITORY = Path(__file__).resolve().parents[1]
BLOCKED = ("torch", "timm", "torchvision", "pandas", "seaborn", "cv2")
# Runs a module as ``python -m`` would, with an import hook that refuses BLOCKED and logs every attempt.
RUNNER = """
import json, os, runpy, sys
blocked, attempts = set(json.loads(os.environ["BLOCKED"])), []
class Refuse:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in blocked:
            attempts.append(name)
            with open(os.environ["ATTEMPTS"], "a") as log:
                log.write(name + "\\n")
            raise ImportError(f"{name} is blocked in this test")
        return None
sys.meta_path.insert(0, Refuse())
sys.argv = [sys.argv[1]] + sys.argv[2:]
runpy.run_module(sys.argv[0], run_name="__main__", alter_sys=True)
"""


def run_blocked(module, arguments, tmp_path):
    attempts = tmp_path / "attempts.log"
    env = dict(os.environ, BLOCKED=json.dumps(BLOCKED), ATTEMPTS=str(attempts), MPLBACKEND="Agg",
               PYTHONPATH=os.pathsep.join([str(REPOSITORY), os.environ.get("PYTHONPATH", "")]))
    done = subprocess.run([sys.executable, "-c", RUNNER, module, *map(str, arguments)], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=300)
    tried = attempts.read_text().split() if attempts.exists() else []
    return done, tried


def write_results(folder, sequences, rng, count=None):
    folder.mkdir(parents=True, exist_ok=True)
    for name, boxes in sequences.items():
        frames = count or len(boxes)
        boxes = np.resize(boxes, (frames, 4)) + rng.normal(0, 0.5, (frames, 4))
        np.savetxt(folder / f"{name}.txt", boxes, fmt="%.4f", delimiter=",")
        np.savetxt(folder / f"{name}_time.txt", rng.uniform(0.01, 0.02, frames), fmt="%.8f")


def test_evaluate_scores_annotations_and_archives_without_torch_or_frames(tmp_path):
    rng = np.random.default_rng(0)
    expected = make_lasot(tmp_path / "LaSOT", names=("airplane-1", "airplane-13", "rubicCube-1"), test_list=True)
    toolkit = make_lasot_toolkit(tmp_path / "toolkit", expected)
    remove_frames(tmp_path)
    truth = {name: fabricated.boxes for name, fabricated in expected.items()}
    write_results(tmp_path / "raw" / "ATOM" / "lasot", truth, rng)
    with zipfile.ZipFile(tmp_path / "ATOM_lasot.zip", "w") as archive:
        for path in sorted((tmp_path / "raw").rglob("*.txt")):
            archive.write(path, path.relative_to(tmp_path / "raw"))
    write_results(tmp_path / "results" / "simtrack" / "lasot", {k.upper(): v for k, v in truth.items()}, rng)
    done, tried = run_blocked("benchmarks.evaluate", [
        "--dataset", "lasot", "--data-root", toolkit, "--results", tmp_path / "results", "--report-dir", "report",
        "--trackers", "simtrack", f"ATOM={tmp_path / 'ATOM_lasot.zip'}"], tmp_path)
    assert done.returncode == 0, done.stderr
    assert tried == []
    assert "LaSOT: 3 sequences, protocol 'official'" in done.stdout and "| ATOM |" in done.stdout
    report = tmp_path / "report"
    for name in ("summary.md", "summary.csv", "summary.tex", "per_sequence.csv", "attributes_auc.md", "success.png",
                 "precision.png", "norm_precision.png", "attributes.png"):
        assert (report / name).stat().st_size > 0, name
    assert not list(report.glob("*.pdf")) and [p.name for p in report.glob(".*")] == [".simtrack-report.json"]
    assert not list(tmp_path.glob(".*"))                       # PNG only; no temporary left, the manifest only
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        ["LaSOT", "toolkit", "raw", "ATOM_lasot.zip", "results", "report"])   # the archive was not extracted


def test_submit_builds_a_got10k_zip_from_annotations_without_frames(tmp_path):
    rng = np.random.default_rng(1)
    expected = make_got10k(tmp_path / "GOT-10k", "test", num_frames=7)
    remove_frames(tmp_path / "GOT-10k")
    write_results(tmp_path / "results" / "simtrack" / "got10k_test",
                  {name: fabricated.boxes for name, fabricated in expected.items()}, rng, count=7)
    done, tried = run_blocked("benchmarks.submit", ["--dataset", "got10k_test", "--data-root", tmp_path / "GOT-10k",
                                                    "--results", tmp_path / "results", "--tracker-name", "simtrack"],
                              tmp_path)
    assert done.returncode == 0, done.stderr
    assert tried == []
    assert "the frame counts of 2 sequence(s) come from the result files" in done.stdout
    with zipfile.ZipFile(tmp_path / "results" / "simtrack" / "got10k_test.zip") as archive:
        assert len(archive.read("GOT-10k_Test_000001/GOT-10k_Test_000001_001.txt").splitlines()) == 7
    done, _ = run_blocked("benchmarks.submit", ["--dataset", "got10k_test", "--data-root", tmp_path / "GOT-10k",
                                                "--check", tmp_path / "results" / "simtrack" / "got10k_test.zip"],
                          tmp_path)
    assert done.returncode == 0 and "valid GOT-10k test server" in done.stdout, done.stderr


def test_the_demo_set_is_scored_without_opencv(tmp_path):
    root = ensure_demo_dataset(tmp_path / "demo", num_sequences=2, num_frames=6)
    truth = {sequence.name: sequence.boxes for sequence in load_dataset("demo", root=root)}
    write_results(tmp_path / "results" / "simtrack" / "demo", truth, np.random.default_rng(2))
    done, tried = run_blocked("benchmarks.evaluate", ["--dataset", "demo", "--data-root", root, "--results",
                                                      tmp_path / "results", "--trackers", "simtrack"], tmp_path)
    assert done.returncode == 0, done.stderr
    assert set(tried) == {"cv2"} and "Demo: 2 sequences" in done.stdout    # asked for, for the thumbnails
    assert "report.html has no thumbnails: drawing them needs OpenCV" in done.stderr
    assert (tmp_path / "results" / "reports" / "demo" / "report.html").stat().st_size > 0
