"""Fast path vs exact path: per-frame time and box agreement, measured in one run.

    python -m benchmarks.perf.fast_vs_exact [--variants b16,tiny] [--frames 20] [--threads 2]

Speed: ``Tracker.update`` of the exact tracker and of ``Tracker(fast=True)`` (fused attention;
fp32) take turns on the same synthetic 640x480 video, random weights. Agreement: both trackers
(and the torch crop) run over the demo sequences with the tiny model; the largest box difference
in pixels is reported.
"""
import numpy as np

import simtrack
from benchmarks.profile import interleaved
from benchmarks.tracking import track_sequence
from simtrack.data import render_sequence

from .common import demo_sequences, finish, max_box_difference, model_for, parser, setup

PATHS = {"exact": {}, "fast": {"fast": True}}


def update_times(variant, frames, repeats):
    """Median seconds of Tracker.update for each path, taking turns on the same frames."""
    model = model_for(variant)
    video = render_sequence(seed=1_000_003, num_frames=frames, size=(640, 480))
    calls = {}
    for name, options in PATHS.items():
        tracker = simtrack.Tracker(model, device="cpu", **options)
        tracker.init(video.frames[0], video.boxes[0])
        position = iter(range(10 ** 9))
        calls[name] = lambda tracker=tracker, position=position: tracker.update(
            video.frames[1 + next(position) % (frames - 1)])
    return {name: float(np.median(t)) for name, t in interleaved(calls, repeats).items()}


def agreement(data_root, count, frames):
    """Largest box difference (px) from the exact path over the demo sequences (tiny model)."""
    model = model_for("tiny")
    exact = simtrack.Tracker(model, device="cpu")
    others = {"fast": simtrack.Tracker(model, device="cpu", fast=True),
              "fast+torch crop": simtrack.Tracker(model, device="cpu", fast=True, crop="torch")}
    worst = dict.fromkeys(others, 0.0)
    sequences = demo_sequences(data_root, count, frames)
    for sequence in sequences:
        reference = track_sequence(exact, sequence).boxes
        for name, tracker in others.items():
            worst[name] = max(worst[name], max_box_difference(track_sequence(tracker, sequence).boxes, reference))
    return worst, sum(len(s) for s in sequences)


def main():
    args_parser = parser(__doc__.splitlines()[0])
    args_parser.add_argument("--variants", default="b16,tiny")
    args_parser.add_argument("--frames", type=int, default=20, help="timed updates per path (default 20)")
    args_parser.add_argument("--sequences", type=int, help="demo sequences for the agreement check (default all)")
    args = args_parser.parse_args()
    env = setup(args)
    results = {"speed": {}}
    for variant in args.variants.split(","):
        median = update_times(variant, max(args.frames, 2), args.frames)
        ratio = median["exact"] / median["fast"]
        results["speed"][variant] = {**{f"{k}_ms": v * 1e3 for k, v in median.items()}, "exact_over_fast": ratio}
        print(f"{variant:6s} exact {median['exact'] * 1e3:8.1f} ms  fast {median['fast'] * 1e3:8.1f} ms  "
              f"exact/fast {ratio:5.2f}x")
    worst, frames = agreement(args.data_root, args.sequences, None)
    results["max_box_difference_px"] = worst
    for name, value in worst.items():
        print(f"{name:16s} vs exact on {frames} demo frames: max box difference {value:.2e} px")
    finish(args, env, results)


if __name__ == "__main__":
    main()
