"""Where a SimTrack frame's time goes: ``python -m benchmarks.profile --variant b16``.

Reports parameters, FLOPs counted over one forward pass (``torch.utils.flop_counter``), model-only
latency at batch 1, the end-to-end time of a frame split into decode / crop+normalise / model /
post-processing, and tracker throughput at batch K against batch 1, with the hardware and software
it ran on. Random weights unless ``--checkpoint`` is given (speed does not depend on them). With
``--engine`` another than torch, the network time is that engine's (a weights file is exported once
into the cache, as the tracker does); parameters and FLOPs are counted on the torch model.
The measurements live in ``benchmarks.perf.measure``, shared with the ratio scripts in ``benchmarks/perf``.
"""
import json
import tempfile

import simtrack
from simtrack.cli import options, run_cli
from simtrack.cli.paths import check_output_file
from simtrack.cores import set_threads
from simtrack.devices import resolve_device
from simtrack.engines import ExportedModel, resolve_engine_device
from simtrack.formats.atomic import atomic_write
from simtrack.formats.images import read_image
from simtrack.tracker import load_for_options
from simtrack.weights import resolve_checkpoint

from .perf.measure import (
    bf16_note,
    count_flops,
    demo_frame,
    fingerprint,
    model_latency,
    parameter_counts,
    stage_times,
    summary_ms,
    throughput,
)


def build_parser():
    parser = options.parser("python -m benchmarks.profile", __doc__.split("\n\n")[0])
    options.add_checkpoint(parser, default_help="random weights of --variant, b16 unless given")
    options.add_device(parser)
    options.add_threads(parser, default_help="torch's choice")
    options.add_speed(parser, batching=True, batch_default=8)
    parser.add_argument("--iterations", type=options.positive_int("--iterations"), default=10, metavar="N",
                        help="timed iterations per measurement")
    parser.add_argument("--json", metavar="FILE", help="also write the report as JSON to this file")
    options.add_deprecated(parser, "--batch", "--batch-sequences", dest="batch_sequences",
                           type=options.positive_int("--batch"))
    options.add_deprecated(parser, "--repeats", "--iterations", dest="iterations",
                           type=options.positive_int("--repeats"))
    options.add_deprecated(parser, "--exact", "nothing: the exact path is the default (--fast opts in)",
                           dest="fast", value=False)
    return parser


def profile(args):
    """Run every measurement; returns the report as a dict."""
    speed = options.speed_options(args)
    if args.threads:
        set_threads(args.threads)
    network, device = _network(args, speed)     # what the tracker runs: a torch model, or an exported file
    # Parameters and FLOPs are counted on a torch model: an exported file's variant with random weights.
    model = simtrack.build_model(network.config) if isinstance(network, ExportedModel) else network
    model.eval()
    report = {"variant": model.config.name, "path": "fast" if args.fast else "exact",
              "precision": args.precision, "engine": speed.engine, "speed": speed.as_dict(),
              "environment": fingerprint(device),
              "parameters": parameter_counts(model), "flops": count_flops(model)}
    tracker = simtrack.Tracker(network, device=device, **speed.as_dict())
    if speed.engine != "torch":
        report["engine_record"] = tracker.runner.describe()
    with tempfile.TemporaryDirectory() as folder:
        frame_path, box = demo_frame(folder)
        stages = stage_times(tracker, frame_path, box, args.iterations)
        image = read_image(frame_path)
    report["model_latency_batch1"] = summary_ms(model_latency(tracker, args.iterations))
    report["frame_stages"] = {name: summary_ms(values) for name, values in stages.items()}
    report["frame_stages"]["total"] = summary_ms(sum(stages.values()))
    report["throughput"] = throughput(network, device, args.batch_sequences, image, box, speed, args.iterations)
    return report


def _network(args, speed):
    """``(network, device)``: the checkpoint as ``Tracker.from_checkpoint`` reads it (a weights file on
    another engine: its cached export, found by the file's hash), else random weights of ``--variant``;
    the device resolved as the engine does (torch's resolver for torch only)."""
    if args.checkpoint:
        network, device, _ = load_for_options(resolve_checkpoint(args.checkpoint), args.variant, args.device,
                                              speed.as_dict())
        return network, device
    device = (resolve_device(args.device, "--device") if speed.engine == "torch"
              else resolve_engine_device(args.device, speed.engine))
    speed.checked(device)
    return simtrack.build_model(args.variant or "b16"), device


def format_report(report):
    env, flops, params = report["environment"], report["flops"], report["parameters"]
    lines = [
        f"SimTrack {report['variant']}  path={report['path']}  engine={report['engine']}  "
        f"precision={report['precision']}  device={env['device']}",
        f"  {env['cpu']} ({env['usable_cores']} usable cores, torch threads {env['torch_threads']}, "
        f"{env['cpu_capability']}, features: {' '.join(env['cpu_features']) or 'none'}; {bf16_note(env)})"
        + (f"; GPU {env['gpu']}" if env["gpu"] else ""),
        f"  python {env['python']}, torch {env['torch']}, numpy {env['numpy']}, "
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
    if args.json:
        check_output_file(args.json, "--json")
    report = profile(args)
    print(format_report(report))
    if args.json:
        atomic_write(args.json, (json.dumps(report, indent=2) + "\n").encode())
        print(f"\nJSON written to {args.json}")
    return 0


if __name__ == "__main__":
    run_cli(main)
