"""Run a tracker over a benchmark: ``python -m benchmarks.run --dataset lasot``.

Fans the sequences out over worker processes (``--devices``, ``--workers-per-device``) or a Ray
cluster (``--backend ray``), resumes where a previous run stopped, records failing sequences
without stopping the others, and finally evaluates (datasets with ground truth) or packs the
server submission (GOT-10k test, TrackingNet). The work is ``benchmarks.runner``'s; see
docs/running.md.
"""
from pathlib import Path

from simtrack.cli import options, run_cli

from .runner.backends import BACKENDS
from .runner.execute import execute_run
from .runner.finish import finish, is_last_part
from .runner.settings import RunSettings
from .scoring.result_files import RESULTS_ROOT


def build_parser():
    parser = options.parser("python -m benchmarks.run", __doc__.split("\n\n")[0],
                            epilog="Results go to <results>/<tracker>/<dataset>/; rerunning skips complete sequences.")
    options.add_dataset(parser, default="demo")
    options.add_tracker(parser)
    options.add_checkpoint(parser)
    options.add_tracker_name(parser, default_help="the checkpoint's file name without its extensions; for "
                                                  "another --tracker its name (mil, or the object's name)")
    options.add_results(parser, RESULTS_ROOT)
    workers = parser.add_argument_group("workers")
    options.add_devices(workers)
    workers.add_argument("--workers-per-device", type=options.positive_int("--workers-per-device"), metavar="N",
                         help="worker processes per device (default: 1 per GPU; on the CPU one per core, at most 8)")
    options.add_threads(workers)
    workers.add_argument("--backend", choices=BACKENDS, default="local",
                         help="local worker processes, or a Ray cluster (see docs/cluster.md)")
    workers.add_argument("--ray-address", metavar="ADDR",
                         help="with --backend ray: the cluster to join, e.g. 10.0.0.1:6379 (default: $RAY_ADDRESS, "
                              "else a cluster started with ray start on this machine, else a new local Ray)")
    options.add_shard(workers)
    workers.add_argument("--repeat", type=options.positive_int("--repeat"), default=1, metavar="N",
                         help="run every sequence N times")
    options.add_speed(parser, batching=True)
    parser.add_argument("--discard-unverified", action="store_true",
                        help="move result files this runner cannot vouch for (no provenance record, changed "
                             "since written, another checkpoint/variant/speed options) to <folder>/discarded/ "
                             "and track those sequences again; without it such files make the run refuse")
    return parser


def settings_from(args) -> RunSettings:
    """The ``RunSettings`` of parsed options (the namespace stops here)."""
    return RunSettings(
        dataset=args.dataset, tracker=options.tracker_spec(args), data_root=args.data_root, split=args.split,
        sequences=args.sequences,
        checkpoint=args.checkpoint, variant=args.variant, tracker_name=args.tracker_name, results=Path(args.results),
        devices=args.devices, workers_per_device=args.workers_per_device, threads=args.threads,
        backend=args.backend, ray_address=args.ray_address, shard=args.shard, repeat=args.repeat,
        speed=options.speed_options(args), batch_sequences=args.batch_sequences,
        discard_unverified=args.discard_unverified)


def main(argv=None):
    settings = settings_from(build_parser().parse_args(argv))
    outcome = execute_run(settings)
    summary = outcome.summary
    print("\n".join(summary.lines()), flush=True)
    if summary.failed:
        print(f"{len(summary.failed)} sequence run(s) failed; fix the cause and rerun the same command "
              f"(complete sequences are kept). Evaluation skipped.", flush=True)
        return 1
    if settings.shard and not is_last_part(outcome, settings):
        return 0
    return finish(outcome, settings)


if __name__ == "__main__":
    run_cli(main)
