"""Fast path vs exact path: per-frame time and box agreement, measured in one run.

    python -m benchmarks.perf.fast_vs_exact [--variants b16,tiny] [--frames 20] [--threads 2] [--compile]

Speed: ``Tracker.update`` takes turns on the same synthetic 640x480 video (random weights) in these
configurations: the exact tracker; ``fast=True`` (only on a CUDA machine: on the CPU it is the exact
path, the fused attention being the default and the GPU crop being for GPUs); ``crop="torch"`` (the
GPU crop's arithmetic, here on the machine's device); and the exact tracker with the explicit
softmax(QK^T)V attention, the arithmetic of the official code under torch 1.x, to show what the
fused kernel gains. ``--compile`` adds ``compile=True`` (inductor; compilation left out of the timing).
Agreement: the same configurations run over the demo sequences with the demo model; the largest box
difference from the exact path is reported in pixels.
"""
import copy

import numpy as np
import torch

import simtrack
from benchmarks.perf.measure import interleaved
from benchmarks.runner.tracking import track_sequence
from simtrack.data import render_sequence

from .common import demo_sequences, finish, max_box_difference, model_for, parser, setup


def trackers(model, compile=False):
    """The configurations compared, named; the explicit one runs on its own copy of the model."""
    device = "cuda" if torch.cuda.is_available() else "cpu"
    explicit = copy.deepcopy(model)
    explicit.backbone.set_fused_attention(False)
    configs = {"exact": simtrack.Tracker(model, device=device)}
    if device == "cuda":
        configs["fast"] = simtrack.Tracker(model, device=device, fast=True)
    configs["torch crop"] = simtrack.Tracker(model, device=device, crop="torch")
    configs["explicit attention"] = simtrack.Tracker(explicit, device=device)
    if compile:
        configs["compile"] = simtrack.Tracker(model, device=device, compile=True)
    return configs


def update_times(variant, frames, repeats, compile):
    """Median seconds of Tracker.update for each configuration, taking turns on the same frames."""
    video = render_sequence(seed=1_000_003, num_frames=frames, size=(640, 480))
    calls = {}
    for name, tracker in trackers(model_for(variant), compile).items():
        tracker.init(video.frames[0], video.boxes[0])
        position = iter(range(10 ** 9))
        calls[name] = lambda tracker=tracker, position=position: tracker.update(
            video.frames[1 + next(position) % (frames - 1)])
    return {name: float(np.median(t)) for name, t in interleaved(calls, repeats).items()}


def agreement(data_root, count, compile):
    """Largest box difference (px) from the exact path over the demo sequences (demo model)."""
    configs = trackers(model_for("tiny"), compile)
    exact = configs.pop("exact")
    worst = dict.fromkeys(configs, 0.0)
    sequences = demo_sequences(data_root, count)
    for sequence in sequences:
        reference = track_sequence(exact, sequence).boxes
        for name, tracker in configs.items():
            worst[name] = max(worst[name], max_box_difference(track_sequence(tracker, sequence).boxes, reference))
    return worst, sum(len(s) for s in sequences)


def main():
    args_parser = parser(__doc__.splitlines()[0])
    args_parser.add_argument("--variants", default="b16,tiny")
    args_parser.add_argument("--frames", type=int, default=20, help="timed updates per configuration (default 20)")
    args_parser.add_argument("--sequences", type=int, help="demo sequences for the agreement check (default all)")
    args_parser.add_argument("--compile", action="store_true", help="also time compile=True (inductor)")
    args = args_parser.parse_args()
    env = setup(args)
    results = {"speed_ms": {}}
    for variant in args.variants.split(","):
        median = update_times(variant, max(args.frames, 2), args.frames, args.compile)
        results["speed_ms"][variant] = {name: value * 1e3 for name, value in median.items()}
        print(f"{variant}: " + "  ".join(f"{name} {value * 1e3:.1f} ms ({median['exact'] / value:.2f}x)"
                                         for name, value in median.items()) + "   (speed relative to exact)")
    worst, frames = agreement(args.data_root, args.sequences, args.compile)
    results["max_box_difference_px"] = worst
    for name, value in worst.items():
        print(f"{name:18s} vs exact on {frames} demo frames: max box difference {value:.2e} px")
    finish(args, env, results)


if __name__ == "__main__":
    main()
