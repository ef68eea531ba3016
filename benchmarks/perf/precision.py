"""bf16 / fp16 autocast vs fp32 on the fast path: model time, frame time and box deviation, in one run.

    python -m benchmarks.perf.precision [--variant b16] [--precisions fp32,bf16] [--iterations 10] [--threads 2]

The network alone (crop already made) and a whole ``Tracker.update`` are timed for every
precision, taking turns, with random weights. The deviation of the reduced-precision boxes from
fp32 is measured over the demo sequences with the tiny model. bf16 speed relies on the CPU's
AMX/AVX512-BF16 units; without them expect a slowdown.
"""
import numpy as np
import torch

import simtrack
from benchmarks.perf.measure import interleaved
from benchmarks.runner.tracking import track_sequence
from simtrack.data import render_sequence

from .common import demo_sequences, finish, model_for, parser, setup


def timings(variant, precisions, repeats):
    """Median seconds of the network alone and of a whole update, per precision."""
    model = model_for(variant)
    video = render_sequence(seed=1_000_004, num_frames=2, size=(640, 480))
    trackers = {p: simtrack.Tracker(model, device="cpu", fast=True, precision=p) for p in precisions}
    search = torch.randn(1, 3, model.config.search_size, model.config.search_size)
    calls = {}
    for precision, tracker in trackers.items():
        tracker.init(video.frames[0], video.boxes[0])
        calls[f"model {precision}"] = lambda t=tracker: t.runner.forward_search(t.template_tokens, search)
        calls[f"frame {precision}"] = lambda t=tracker: t.update(video.frames[1])
    with torch.inference_mode():
        return {name: float(np.median(t)) for name, t in interleaved(calls, repeats).items()}


def deviation(precisions, data_root, count):
    """Largest and median box difference (px) from fp32 over the demo sequences (tiny model)."""
    model = model_for("tiny")
    sequences = demo_sequences(data_root, count)
    reference = simtrack.Tracker(model, device="cpu", fast=True)
    expected = [track_sequence(reference, s).boxes for s in sequences]
    result = {}
    for precision in precisions:
        tracker = simtrack.Tracker(model, device="cpu", fast=True, precision=precision)
        diffs = np.concatenate([np.abs(track_sequence(tracker, s).boxes - boxes).max(1)
                                for s, boxes in zip(sequences, expected)])
        result[precision] = {"max_px": float(diffs.max()), "median_px": float(np.median(diffs)),
                             "mean_px": float(diffs.mean())}
    return result


def main():
    args_parser = parser(__doc__.splitlines()[0])
    args_parser.add_argument("--variant", default="b16")
    args_parser.add_argument("--precisions", default="fp32,bf16", help="first one is the reference (default fp32,bf16)")
    args_parser.add_argument("--iterations", type=int, default=10)
    args_parser.add_argument("--sequences", type=int, help="demo sequences for the deviation check (default all)")
    args = args_parser.parse_args()
    env = setup(args)
    precisions = args.precisions.split(",")
    median = timings(args.variant, precisions, args.iterations)
    base = precisions[0]
    results = {"variant": args.variant, "median_ms": {k: v * 1e3 for k, v in median.items()}, "speedup": {}}
    for precision in precisions:
        model_ratio = median[f"model {base}"] / median[f"model {precision}"]
        frame_ratio = median[f"frame {base}"] / median[f"frame {precision}"]
        results["speedup"][precision] = {"model": model_ratio, "frame": frame_ratio}
        print(f"{args.variant} {precision:5s} model {median[f'model {precision}'] * 1e3:8.1f} ms ({model_ratio:4.2f}x)   "
              f"frame {median[f'frame {precision}'] * 1e3:8.1f} ms ({frame_ratio:4.2f}x vs {base})")
    results["box_deviation_tiny"] = deviation(precisions[1:], args.data_root, args.sequences)
    for precision, values in results["box_deviation_tiny"].items():
        print(f"tiny {precision} vs {base} on the demo sequences: box difference max {values['max_px']:.2f} px, "
              f"mean {values['mean_px']:.3f} px, median {values['median_px']:.3f} px")
    finish(args, env, results)


if __name__ == "__main__":
    main()
