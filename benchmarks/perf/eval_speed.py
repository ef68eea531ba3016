"""Time our evaluation of one tracker against got10k's ExperimentOTB computation on the same files.

    python benchmarks/perf/eval_speed.py [--sequences 280] [--frames 2500] [--repeat 3]

Fabricates a LaSOT-sized test set (280 sequences x 2,500 frames, absent spans included) and one
tracker's result and time files in a temporary folder, then times, from the files on disk to the
scores: ours (reading and checking every file, LaSOT MATLAB rules, no plots) and got10k 0.1.3's
per-sequence ``np.loadtxt`` + ``_calc_metrics`` + ``_calc_curves`` loop (what ``ExperimentOTB.report``
does, without its JSON and plots). Prints both times (best of ``--repeat``) and the ratio.
"""
import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from benchmarks.perf.trajectories import random_walk_truth  # noqa: E402
from benchmarks.scoring import metrics  # noqa: E402
from benchmarks.scoring.result_files import load_results  # noqa: E402
from benchmarks.scoring.scores import compute  # noqa: E402
from simtrack.data.sequence import Sequence  # noqa: E402


def fabricate(folder, n_sequences, n_frames, seed=0):
    """Sequences with random walks as ground truth and noisy predictions written as result files."""
    rng = np.random.default_rng(seed)
    sequences = []
    for index in range(n_sequences):
        gt, absent = random_walk_truth(rng, n_frames, 300, 60)
        name = f"seq-{index}"
        sequences.append(Sequence(name=name, dataset="lasot", frames=[""] * n_frames, boxes=gt, absent=absent))
        pred = gt + rng.normal(0, 6, gt.shape)
        np.savetxt(folder / f"{name}.txt", pred, fmt="%.2f", delimiter=",")
        np.savetxt(folder / f"{name}_time.txt", rng.uniform(0.01, 0.02, n_frames), fmt="%.6f")
    return sequences


def ours(folder, sequences, protocol):
    rules = metrics.get_protocol("lasot", protocol)
    truth = metrics.GroundTruth.from_sequences(sequences)
    runs, problems = load_results("tracker", folder, sequences, rules.allow_longer)
    assert not problems, problems
    return compute(rules, truth, runs).scores[0]["AUC"]


def got10k_otb(folder, sequences, experiment_class):
    experiment = experiment_class.__new__(experiment_class)  # the constructor would download OTB
    experiment.nbins_iou, experiment.nbins_ce = 21, 51
    success = np.zeros((len(sequences), experiment.nbins_iou))
    precision = np.zeros((len(sequences), experiment.nbins_ce))
    speeds = np.zeros(len(sequences))
    for index, seq in enumerate(sequences):
        boxes = np.loadtxt(folder / f"{seq.name}.txt", delimiter=",")
        boxes[0] = seq.boxes[0]
        ious, errors = experiment._calc_metrics(boxes, seq.boxes)
        success[index], precision[index] = experiment._calc_curves(ious, errors)
        times = np.loadtxt(folder / f"{seq.name}_time.txt")
        speeds[index] = np.mean(1.0 / times[times > 0])
    return float(np.mean(success.mean(0)))


def best_time(function, repeat):
    """Best wall-clock and best CPU seconds over ``repeat`` calls (CPU time is steadier on a busy machine)."""
    wall, cpu = [], []
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        value = function()
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return (min(wall), min(cpu)), value


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sequences", type=int, default=280)
    parser.add_argument("--frames", type=int, default=2500)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        sequences = fabricate(folder, args.sequences, args.frames)
        print(f"{args.sequences} sequences x {args.frames} frames, one tracker, files on disk")
        print(f"{'':28s} {'wall s':>8s} {'CPU s':>8s}")
        ours_official, auc = best_time(lambda: ours(folder, sequences, "official"), args.repeat)
        print(f"ours, official LaSOT rules  {ours_official[0]:8.3f} {ours_official[1]:8.3f}   AUC {100 * auc:.2f}")
        ours_got10k, auc = best_time(lambda: ours(folder, sequences, "got10k"), args.repeat)
        print(f"ours, --protocol got10k     {ours_got10k[0]:8.3f} {ours_got10k[1]:8.3f}   AUC {100 * auc:.2f}")
        try:
            from got10k.experiments import ExperimentOTB  # imported before timing
        except ImportError:
            print("got10k is not installed (pip install got10k==0.1.3 six): no comparison")
            return 0
        theirs, auc = best_time(lambda: got10k_otb(folder, sequences, ExperimentOTB), args.repeat)
        print(f"got10k ExperimentOTB loop   {theirs[0]:8.3f} {theirs[1]:8.3f}   AUC {100 * auc:.2f} (no absence rules)")
        for label, (wall, cpu) in (("official rules", ours_official), ("same rules", ours_got10k)):
            print(f"got10k time / ours ({label}): {theirs[0] / wall:.2f}x wall, {theirs[1] / cpu:.2f}x CPU")
    return 0


if __name__ == "__main__":
    sys.exit(main())
