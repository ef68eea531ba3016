"""Where a SimTrack frame's time goes: ``python -m benchmarks.profile --variant b16``.

Reports parameters, FLOPs counted over one forward pass (``torch.utils.flop_counter``), model-only
latency at batch 1, the end-to-end time of a frame split into decode / crop+normalise / model /
post-processing, and tracker throughput at batch K against batch 1, with the hardware and software
it ran on. Random weights unless ``--checkpoint`` is given (speed does not depend on them).
The measurements live in ``benchmarks.timing``, shared with the ratio scripts in ``benchmarks/perf``.
"""
import argparse
import json
import tempfile
from pathlib import Path

import cv2
import torch

import simtrack
from simtrack.cli import run_cli
from simtrack.errors import ConfigError
from simtrack.images import read_image
from simtrack.inference import PRECISIONS
from simtrack.tracker import resolve_device

from .timing import (bf16_note, count_flops, demo_frame, fingerprint, model_latency, parameter_counts, stage_times,
                     summary_ms, throughput)


def build_parser():
    parser = argparse.ArgumentParser(prog="python -m benchmarks.profile", description=__doc__.split("\n\n")[0])
    parser.add_argument("--variant", default="b16", help="model variant (default b16)")
    parser.add_argument("--checkpoint", help="weights file (default: random weights)")
    parser.add_argument("--device", default="auto", help="auto, cpu, cuda, cuda:1 (default auto)")
    parser.add_argument("--precision", choices=sorted(PRECISIONS), default="fp32")
    parser.add_argument("--exact", action="store_true", help="profile the exact path instead of the fast one")
    parser.add_argument("--batch", type=int, default=8, help="K for the throughput at batch K (default 8)")
    parser.add_argument("--threads", type=int, help="torch/OpenCV threads (default: torch's choice)")
    parser.add_argument("--repeats", type=int, default=10, help="timed repeats per measurement (default 10)")
    parser.add_argument("--json", help="also write the report as JSON to this file")
    return parser


def profile(args):
    """Run every measurement; returns the report as a dict."""
    if args.batch < 1 or args.repeats < 1:
        raise ConfigError("--batch and --repeats must be at least 1")
    if args.threads:
        torch.set_num_threads(args.threads)
        cv2.setNumThreads(args.threads)
    device = resolve_device(args.device)
    if args.checkpoint:
        from simtrack.checkpoints import load_model
        model = load_model(args.checkpoint, args.variant)
    else:
        model = simtrack.build_model(args.variant)
    model.eval()
    options = {"fast": not args.exact, "precision": args.precision}
    report = {"variant": model.config.name, "path": "exact" if args.exact else "fast",
              "precision": args.precision, "environment": fingerprint(device),
              "parameters": parameter_counts(model), "flops": count_flops(model)}
    tracker = simtrack.Tracker(model, device=device, **options)
    with tempfile.TemporaryDirectory() as folder:
        frame_path, box = demo_frame(folder)
        stages = stage_times(tracker, frame_path, box, args.repeats)
        image = read_image(frame_path)
    report["model_latency_batch1"] = summary_ms(model_latency(tracker, args.repeats))
    report["frame_stages"] = {name: summary_ms(values) for name, values in stages.items()}
    report["frame_stages"]["total"] = summary_ms(sum(stages.values()))
    report["throughput"] = throughput(model, device, args.batch, image, box, options, args.repeats)
    return report


def format_report(report):
    env, flops, params = report["environment"], report["flops"], report["parameters"]
    lines = [
        f"SimTrack {report['variant']}  path={report['path']}  precision={report['precision']}  "
        f"device={env['device']}",
        f"  {env['cpu']} ({env['usable_cores']} usable cores, torch threads {env['torch_threads']}, "
        f"{env['cpu_capability']}, features: {' '.join(env['cpu_features']) or 'none'}; {bf16_note(env)})"
        + (f"; GPU {env['gpu']}" if env["gpu"] else ""),
        f"  python {env['python']}, torch {env['torch']}, numpy {env['numpy']}, timm {env['timm']}, "
        f"opencv {env['opencv']}",
        "",
        f"parameters           {params['total'] / 1e6:10.2f} M  (backbone {params['backbone'] / 1e6:.2f} M, "
        f"bottleneck {params['bottleneck'] / 1e6:.2f} M, head {params['box_head'] / 1e6:.2f} M)",
        f"FLOPs per frame      {flops['per_frame_gflops']:10.2f} G  ({flops['per_frame_gmacs']:.2f} G multiply-adds; "
        f"README, b16: {flops['readme_gflops']} G)",
        f"FLOPs template step  {flops['template_gflops']:10.3f} G  (once per sequence)",
        f"model only, batch 1  {report['model_latency_batch1']['median_ms']:10.2f} ms",
        "",
        "end-to-end frame      median ms   share",
    ]
    total = report["frame_stages"]["total"]["median_ms"]
    for name, values in report["frame_stages"].items():
        lines.append(f"  {name:18s} {values['median_ms']:10.2f}   {100 * values['median_ms'] / total:5.1f} %"
                     if name != "total" else f"  {'total':18s} {values['median_ms']:10.2f}")
    lines.append("")
    for name, value in report["throughput"].items():
        lines.append(f"{name:20s} {value:10.2f}")
    return "\n".join(lines)


def main(argv=None):
    args = build_parser().parse_args(argv)
    report = profile(args)
    print(format_report(report))
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2))
        print(f"\nJSON written to {args.json}")
    return 0


if __name__ == "__main__":
    run_cli(main)
