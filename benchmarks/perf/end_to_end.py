"""End-to-end frame time vs model-only time, in one run.

    python -m benchmarks.perf.end_to_end [--variants b16,tiny] [--precisions fp32,bf16] [--iterations 10] [--threads 2]

For every variant and precision (fast path, random weights) a 1280x720 JPEG frame is decoded,
cropped, normalised, run through the network and post-processed, each stage timed; the ratio
end-to-end / model says how much of a frame is not the network. Configurations take turns.
"""
import tempfile

import numpy as np

import simtrack
from benchmarks.perf.measure import demo_frame, stage_times

from .common import finish, model_for, parser, setup


def main():
    args_parser = parser(__doc__.splitlines()[0])
    args_parser.add_argument("--variants", default="b16,tiny")
    args_parser.add_argument("--precisions", default="fp32,bf16")
    args_parser.add_argument("--iterations", type=int, default=10)
    args_parser.add_argument("--rounds", type=int, default=2, help="turns each configuration takes (default 2)")
    args = args_parser.parse_args()
    env = setup(args)
    configs = {(v, p): simtrack.Tracker(model_for(v), device="cpu", fast=True, precision=p)
               for v in args.variants.split(",") for p in args.precisions.split(",")}
    stages = {key: {} for key in configs}
    with tempfile.TemporaryDirectory() as folder:
        path, box = demo_frame(folder)
        for _ in range(args.rounds):
            for key, tracker in configs.items():
                for name, seconds in stage_times(tracker, path, box, args.iterations).items():
                    stages[key].setdefault(name, []).extend(seconds)
    results = {}
    print(f"{'config':12s} {'decode':>8s} {'crop':>8s} {'model':>8s} {'post':>8s} {'total':>8s}  end-to-end/model  (median ms)")
    for (variant, precision), values in stages.items():
        median = {name: float(np.median(seconds)) * 1e3 for name, seconds in values.items()}
        total = sum(median.values())
        ratio = total / median["model"]
        results[f"{variant}_{precision}"] = {**{f"{k}_ms": v for k, v in median.items()}, "total_ms": total,
                                            "end_to_end_over_model": ratio}
        print(f"{variant + ' ' + precision:12s} {median['decode']:8.2f} {median['crop_normalise']:8.2f} "
              f"{median['model']:8.2f} {median['postprocess']:8.2f} {total:8.2f}  {ratio:6.2f}x")
    finish(args, env, results)


if __name__ == "__main__":
    main()
