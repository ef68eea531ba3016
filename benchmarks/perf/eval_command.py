"""Time the whole ``python -m benchmarks.evaluate`` command against got10k 0.1.3's ``ExperimentOTB.report``.

    python benchmarks/perf/eval_command.py [--sequences 280] [--frames 2500] [--iterations 5] [--json FILE]

Fabricates a LaSOT-sized test set as the LaSOT toolkit distributes its annotations (``annos/``:
ground truth, absent flags, attributes; no frame) and one tracker's result and time files, then
runs, taking turns, whole processes from start to exit:

* ours: ``python -m benchmarks.evaluate --dataset lasot --data-root <toolkit> --trackers T=<results>``
  (reads every file, LaSOT MATLAB rules, writes every table and the PNG figures);
* got10k: a process that builds ``ExperimentOTB`` offline (its constructor downloads) on the same
  ground-truth files and calls ``report`` (one JSON, two PNG figures).

A third process times, in-process, reading the 280 ground-truth bundles and the metric computation
alone. Prints the CPU, the median wall and CPU seconds of each process and the ratios.
"""
import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from importlib import resources
from pathlib import Path

import numpy as np

REPOSITORY = Path(__file__).resolve().parents[2]
if __package__ in (None, ""):
    sys.path.insert(0, str(REPOSITORY))

from benchmarks.perf.trajectories import random_walk_truth  # noqa: E402
from simtrack.cores import usable_cores  # noqa: E402

GOT10K_REPORT = """
import sys
import numpy as np
from got10k.experiments import ExperimentOTB

class ToolkitAnnotations:
    # what got10k's datasets do for every sequence: np.loadtxt of the ground truth (no frame is needed)
    def __init__(self, folder, names):
        self.folder, self.seq_names = folder, names
    def __len__(self):
        return len(self.seq_names)
    def __getitem__(self, index):
        return [], np.loadtxt(f"{self.folder}/{self.seq_names[index]}.txt", delimiter=",")

annos, results, reports = sys.argv[1:4]
experiment = ExperimentOTB.__new__(ExperimentOTB)    # the constructor would download OTB
experiment.dataset = ToolkitAnnotations(annos, open(sys.argv[4]).read().split())
experiment.result_dir, experiment.report_dir = results, reports
experiment.nbins_iou, experiment.nbins_ce = 21, 51
experiment.report(["T"])
"""

METRICS_ONLY = """
import json, sys, time
from benchmarks.scoring import metrics
from benchmarks.scoring.scores import compute
from benchmarks.scoring.result_files import load_results
from simtrack.data import load_dataset

def best(function, repeats):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        value = function()
        times.append(time.perf_counter() - start)
    return min(times), value

root, results, repeats = sys.argv[1], sys.argv[2], int(sys.argv[3])
read, sequences = best(lambda: load_dataset("lasot", root=root, frames_required=False), repeats)
rules = metrics.get_protocol("lasot")
loaded, runs = best(lambda: load_results("T", results, sequences, rules.allow_longer)[0], repeats)
score, result = best(lambda: compute(rules, metrics.GroundTruth.from_sequences(sequences), runs), repeats)
print(json.dumps({"read_ground_truth_s": read, "read_results_s": loaded, "metrics_s": score,
                  "auc": result.scores[0]["AUC"], "sequences": len(sequences)}))
"""


def cpu_name():
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def fabricate(folder, n_sequences, n_frames, seed=0):
    """The LaSOT toolkit's annos/ for the first ``n_sequences`` LaSOT test names, and one tracker's files."""
    names = resources.files("simtrack.data").joinpath("splits/lasot_test.txt").read_text().split()[:n_sequences]
    annos, results = folder / "toolkit" / "annos", folder / "results" / "T"
    for sub in (annos / "absent", annos / "att", results / "times", folder / "toolkit" / "sequence_evaluation_config"):
        sub.mkdir(parents=True)
    (folder / "toolkit" / "sequence_evaluation_config" / "testing_set.txt").write_text("\n".join(names) + "\n")
    (folder / "names.txt").write_text("\n".join(names) + "\n")
    rng = np.random.default_rng(seed)
    for name in names:
        truth, absent = random_walk_truth(rng, n_frames, 300, 60)
        np.savetxt(annos / f"{name}.txt", truth, fmt="%d", delimiter=",")
        np.savetxt(annos / "absent" / f"{name}.txt", absent.astype(int), fmt="%d")
        (annos / "att" / f"{name}.txt").write_text(",".join(str(int(v)) for v in rng.integers(0, 2, 14)) + "\n")
        np.savetxt(results / f"{name}.txt", truth + rng.normal(0, 6, truth.shape), fmt="%.4f", delimiter=",")
        np.savetxt(results / "times" / f"{name}_time.txt", rng.uniform(0.01, 0.02, n_frames), fmt="%.8f")
    return names


def run_process(command, env):
    """Wall and CPU seconds (user + system, children included) of one process run to its end."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(command, env=env, cwd=REPOSITORY, capture_output=True, text=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode:
        raise SystemExit(f"{' '.join(command[:4])} ... failed ({done.returncode}):\n{done.stderr[-2000:]}")
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), done.stdout


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sequences", type=int, default=280)
    parser.add_argument("--frames", type=int, default=2500)
    parser.add_argument("--iterations", type=int, default=5, help="runs of each command, taking turns (default 5)")
    parser.add_argument("--json", help="also write the measurements as JSON to this file")
    args = parser.parse_args(argv)
    try:
        import got10k  # noqa: F401  (only its presence is checked here; it runs in its own process)
    except ImportError:
        raise SystemExit("got10k is not installed (pip install got10k==0.1.3 six): nothing to compare with")
    env = dict(os.environ, MPLBACKEND="Agg", PYTHONPATH=os.pathsep.join(
        [str(REPOSITORY)] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]))
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        fabricate(folder, args.sequences, args.frames)
        toolkit, results = folder / "toolkit", folder / "results" / "T"
        commands = {
            "ours": [sys.executable, "-m", "benchmarks.evaluate", "--dataset", "lasot", "--data-root", str(toolkit),
                     "--trackers", f"T={results}", "--report-dir", str(folder / "ours")],
            "got10k": [sys.executable, "-c", GOT10K_REPORT, str(toolkit / "annos"), str(folder / "results"),
                       str(folder / "got10k"), str(folder / "names.txt")],
        }
        times = {name: [] for name in commands}
        for name, command in commands.items():   # warm-up: file cache, matplotlib font cache
            run_process(command, env)
        for round_ in range(args.iterations):
            for name in (list(commands) if round_ % 2 == 0 else list(commands)[::-1]):
                times[name].append(run_process(command=commands[name], env=env)[:2])
        inner = json.loads(run_process([sys.executable, "-c", METRICS_ONLY, str(toolkit), str(results),
                                        str(args.iterations)], env)[2])
    median = {name: (statistics.median(w for w, _ in runs), statistics.median(c for _, c in runs))
              for name, runs in times.items()}
    report = {
        "cpu": cpu_name(), "usable_cores": usable_cores(),
        "load_average": os.getloadavg() if hasattr(os, "getloadavg") else None,
        "sequences": args.sequences, "frames": args.frames, "repeats": args.iterations,
        "wall_s": {name: value[0] for name, value in median.items()},
        "cpu_s": {name: value[1] for name, value in median.items()},
        **inner,
        "whole_command_ratio": median["got10k"][0] / median["ours"][0],
        "whole_command_cpu_ratio": median["got10k"][1] / median["ours"][1],
        "metrics_only_ratio": median["got10k"][0] / inner["metrics_s"],
    }
    print(f"{report['cpu']}, {report['usable_cores']} usable cores, load average at the end (these runs included) "
          f"{' '.join(f'{v:.1f}' for v in report['load_average'] or ())}")
    print(f"{args.sequences} sequences x {args.frames} frames (LaSOT toolkit annos/, one tracker), "
          f"median of {args.iterations} runs each, taking turns")
    print(f"{'whole process':44s} {'wall s':>8s} {'CPU s':>8s}")
    print(f"{'python -m benchmarks.evaluate (all tables, PNGs)':44s} {median['ours'][0]:8.2f} {median['ours'][1]:8.2f}")
    print(f"{'got10k ExperimentOTB.report (JSON, 2 PNGs)':44s} {median['got10k'][0]:8.2f} {median['got10k'][1]:8.2f}")
    print(f"in-process, best of {args.iterations}: reading the {inner['sequences']} ground-truth bundles "
          f"{inner['read_ground_truth_s']:.3f} s, the result files {inner['read_results_s']:.3f} s, "
          f"metrics alone {inner['metrics_s']:.3f} s (AUC {100 * inner['auc']:.2f})")
    print(f"whole command: got10k / ours = {report['whole_command_ratio']:.2f}x wall, "
          f"{report['whole_command_cpu_ratio']:.2f}x CPU")
    print(f"metrics alone: got10k's whole report / our metric computation = {report['metrics_only_ratio']:.1f}x")
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
