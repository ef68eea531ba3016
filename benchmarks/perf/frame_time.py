"""CPU time per frame of the exact tracker (``Tracker.update``) for the b16 and tiny variants.

    python -m benchmarks.perf.frame_time [--variants b16,tiny] [--frames 20] [--threads 2]

Random weights (the speed does not depend on them); synthetic 640x480 frames; the first update is
a warm-up and not counted. Prints the median and mean milliseconds per frame.
"""
import argparse
import time

import numpy as np
import torch

import simtrack
from simtrack.cores import set_threads


def frame_times(variant, num_frames):
    rng = np.random.default_rng(0)
    frames = [rng.integers(0, 255, (480, 640, 3), dtype=np.uint8) for _ in range(4)]
    tracker = simtrack.Tracker(simtrack.build_model(variant), device="cpu")
    tracker.init(frames[0], (300, 200, 60, 50))
    tracker.update(frames[1])
    times = []
    for i in range(num_frames):
        start = time.perf_counter()
        tracker.update(frames[i % 4])
        times.append(time.perf_counter() - start)
    return np.array(times) * 1000


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variants", default="b16,tiny")
    parser.add_argument("--frames", type=int, default=20)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    set_threads(args.threads)
    print(f"torch {torch.__version__}, {args.threads} threads, fp32, exact path")
    for variant in args.variants.split(","):
        ms = frame_times(variant, args.frames)
        print(f"{variant:8s} median {np.median(ms):8.1f} ms/frame   mean {ms.mean():8.1f}   ({1000 / np.median(ms):.1f} frames/s)")


if __name__ == "__main__":
    main()
