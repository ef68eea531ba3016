"""Does the runner scale with CPU workers, and what does it cost on top of the model?

    python -m benchmarks.perf.runner_workers [--data-root DIR] [--checkpoint FILE] [--sequences N]

Runs the tiny model over the demo dataset (generated on first use) and prints frames/s of:

* model only: frames decoded beforehand, one process (with all cores, and with half of them), only
  ``init``/``update`` timed;
* the runner with 1 CPU worker (all cores) and with 2 CPU workers (cores split between them),
  wall time from starting the workers to the last result written (start-up included).

The ratio 1-worker / 2-worker wall time is the speed-up; the runner's overhead is its wall time
against the model-only time of the same thread layout (for 2 workers: half the 1-process time with
half the cores). Uses the embedded demo model, else random tiny weights (the speed does not depend
on the weights). Results go to a temporary folder.
"""
import argparse
import tempfile
import time
from pathlib import Path

import numpy as np

import simtrack
from simtrack.cores import set_threads, usable_cores
from simtrack.data import load_dataset
from simtrack.formats.images import read_image
from simtrack.weights import EMBEDDED_CHECKPOINT

from ..runner.execute import execute_run
from ..runner.settings import RunSettings


def model_only_seconds(checkpoint, sequences, threads):
    """Tracker time alone: every frame already decoded in memory, one process, ``threads`` threads."""
    set_threads(threads)
    tracker = simtrack.Tracker.from_checkpoint(checkpoint, device="cpu")
    total = 0.0
    for sequence in sequences:
        frames = [read_image(path) for path in sequence.frames]
        start = time.perf_counter()
        tracker.init(frames[0], sequence.init_box)
        for frame in frames[1:]:
            tracker.update(frame)
        total += time.perf_counter() - start
    return total


def runner_seconds(checkpoint, data_root, names, workers, results):
    """``(wall seconds, seconds until the first frame, sum of the recorded per-frame times)``."""
    settings = RunSettings(dataset="demo", data_root=str(data_root) if data_root else None, sequences=list(names),
                           checkpoint=str(checkpoint), results=Path(results), devices="cpu",
                           workers_per_device=workers)
    outcome = execute_run(settings)
    if outcome.summary.failed or outcome.summary.skipped:
        raise SystemExit(f"unexpected run state: {outcome.summary.lines()}")
    tracked = sum(float(np.loadtxt(outcome.folder / f"{name}_time.txt").sum()) for name in names)
    return outcome.summary.seconds, outcome.summary.startup, tracked


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-root", help="demo dataset folder (default: ./data/demo, generated if missing)")
    parser.add_argument("--checkpoint", help="weights (default: embedded demo model, else random tiny weights)")
    parser.add_argument("--sequences", type=int, default=10, help="number of demo sequences to run (default 10)")
    args = parser.parse_args()

    sequences = load_dataset("demo", root=args.data_root)[:args.sequences]
    names = [sequence.name for sequence in sequences]
    frames = sum(len(sequence) for sequence in sequences)
    cores = usable_cores()
    with tempfile.TemporaryDirectory() as tmp:
        checkpoint = Path(args.checkpoint) if args.checkpoint else EMBEDDED_CHECKPOINT
        if not checkpoint.is_file():
            checkpoint = simtrack.save_checkpoint(simtrack.build_model("tiny"), Path(tmp) / "tiny_random.safetensors")
        print(f"{len(sequences)} demo sequences, {frames} frames, {cores} cores, weights {checkpoint.name}")
        half = max(1, cores // 2)
        model_all = model_only_seconds(checkpoint, sequences, threads=cores)
        model_half = model_only_seconds(checkpoint, sequences, threads=half)
        runs = {workers: runner_seconds(checkpoint, args.data_root, names, workers, Path(tmp) / str(workers))
                for workers in (1, 2)}
    model = {1: model_all, 2: model_half / 2}   # model-only time of each layout's thread count
    print(f"model only, 1 process x {cores} threads: {frames / model_all:7.1f} frames/s ({model_all:.1f} s)")
    print(f"model only, 1 process x {half} threads: {frames / model_half:7.1f} frames/s ({model_half:.1f} s)")
    for workers, (wall, startup, tracked) in runs.items():
        steady = wall - startup
        print(f"runner, {workers} CPU worker(s) x {max(1, cores // workers)} threads: "
              f"{frames / wall:7.1f} frames/s over {wall:.1f} s wall; {startup:.1f} s start-up, then "
              f"{frames / steady:.1f} frames/s; recorded frame time {tracked:.1f} s; overhead over model-only "
              f"{100 * (wall / model[workers] - 1):+.0f} % with start-up, {100 * (steady / model[workers] - 1):+.0f} % "
              f"without")
    print(f"speed-up of 2 workers over 1 (wall time ratio): {runs[1][0] / runs[2][0]:.2f}x")


if __name__ == "__main__":
    main()
