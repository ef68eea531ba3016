"""Run a tracker over a benchmark: ``python -m benchmarks.run --dataset lasot``.

Fans the sequences out over worker processes (``--devices``, ``--workers-per-device``) or a Ray
cluster (``--backend ray``), resumes where a previous run stopped, records failing sequences
without stopping the others, and finally evaluates (datasets with ground truth) or packs the
server submission (GOT-10k test, TrackingNet). See docs/running.md.
"""
import re
import sys
from dataclasses import dataclass
from pathlib import Path

from simtrack import options
from simtrack.cli import run_cli
from simtrack.errors import ConfigError, SimTrackError
from simtrack.weights import DEMO_NOTICE, is_embedded, resolve_checkpoint

from .backends import BACKENDS, open_backend
from .backends.worker import WorkerSpec
from .batched import TIMING_DEFINITION as BATCHED_TIMING
from .manifest import build_manifest, file_sha256, write_manifest
from .outputs import RunLock, dataset_folder, remove_partial_files, result_is_complete, run_folder
from .planning import make_plan, parse_devices
from .recorder import Recorder

SUBMISSION_DATASETS = ("got10k_test", "trackingnet")
_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+-]*$")


def build_parser():
    parser = options.parser("python -m benchmarks.run", __doc__.split("\n\n")[0],
                            epilog="Results go to <results>/<tracker>/<dataset>/; rerunning skips complete sequences.")
    options.add_dataset(parser, default="demo")
    options.add_checkpoint(parser)
    options.add_tracker_name(parser, default_help="the checkpoint's file name without its extensions")
    options.add_results(parser)
    workers = parser.add_argument_group("workers")
    options.add_devices(workers)
    workers.add_argument("--workers-per-device", type=options.positive_int("--workers-per-device"), metavar="N",
                         help="worker processes per device (default: 1 per GPU; on the CPU one per core, at most 8)")
    options.add_threads(workers)
    workers.add_argument("--backend", choices=BACKENDS, default="local",
                         help="local worker processes, or a Ray cluster ($RAY_ADDRESS, else a local Ray)")
    workers.add_argument("--repeat", type=options.positive_int("--repeat"), default=1, metavar="N",
                         help="run every sequence N times")
    options.add_speed(parser, batching=True)
    return parser


def tracker_name_for(name, checkpoint):
    """``--tracker-name`` or the checkpoint's file name; one folder name, no path tricks."""
    name = name or Path(checkpoint).name.split(".")[0]
    if not _SAFE_NAME.match(name):
        raise ConfigError(f"tracker name {name!r} must be a plain folder name (letters, digits, . _ + -); "
                          f"pass --tracker-name NAME")
    return name


def model_config(checkpoint, variant):
    """Load the model once here so a wrong file or variant fails before any worker starts."""
    from simtrack.checkpoints import load_model
    return load_model(checkpoint, variant).config.to_dict()


@dataclass
class RunOutcome:
    """What a finished ``execute_run`` hands to the evaluation step (and to scripts)."""

    summary: object      # recorder.Summary
    dataset: str
    tracker_name: str
    folder: Path
    sequences: list


def execute_run(args):
    """Track every sequence that is not complete yet; returns a ``RunOutcome``."""
    from simtrack.data import dataset_key, load_dataset, resolve_root

    dataset = dataset_key(args.dataset, args.split)
    if args.batch_sequences > 1 and args.backend != "local":
        raise ConfigError("--batch-sequences above 1 needs --backend local (Ray actors take one sequence at a time)")
    data_root = resolve_root(args.dataset, args.data_root)  # a missing dataset is reported before anything else
    checkpoint = resolve_checkpoint(args.checkpoint)
    if is_embedded(checkpoint) and dataset != "demo":
        print(DEMO_NOTICE, file=sys.stderr)
    sequences = load_dataset(args.dataset, root=args.data_root, split=args.split, sequences=args.sequences)
    if not sequences:
        raise ConfigError(f"dataset {dataset} has no sequences to run")
    config = model_config(checkpoint, args.variant)
    tracker_name = tracker_name_for(args.tracker_name, checkpoint)
    folder = dataset_folder(args.results, tracker_name, dataset)

    with open_backend(args.backend) as backend, RunLock(folder):
        cuda_count, cores = backend.resources()
        devices = parse_devices(args.devices, cuda_count)
        done = set()
        for repeat in range(1, args.repeat + 1):
            repeat_folder = run_folder(args.results, tracker_name, dataset, repeat)
            remove_partial_files(repeat_folder)
            done |= {(s.name, repeat) for s in sequences if result_is_complete(repeat_folder, s.name, len(s))}
        plan = make_plan(sequences, devices, args.repeat, args.workers_per_device, cores, done, args.threads)
        spec = WorkerSpec(str(checkpoint), args.variant, batch_sequences=args.batch_sequences,
                          options=options.speed_options(args))
        manifest = build_manifest(
            checkpoint=checkpoint, checkpoint_sha256=file_sha256(checkpoint), config=config,
            tracker_name=tracker_name, dataset=dataset, data_root=Path(data_root).resolve(),
            sequences=[s.name for s in sequences], repeats=args.repeat, backend=backend.name, slots=plan.slots)
        manifest["runs"][0]["speed"] = {"batch_sequences": spec.batch_sequences, **spec.options}
        if spec.batch_sequences > 1:
            manifest["timing"] = BATCHED_TIMING
        write_manifest(folder, manifest)
        print(_header(plan, len(done), folder), flush=True)
        recorder = Recorder(args.results, tracker_name, dataset, plan, skipped=len(done))
        try:
            backend.execute(plan, spec, recorder)
        finally:
            summary = recorder.close()
    return RunOutcome(summary, dataset, tracker_name, folder, sequences)


def main(argv=None):
    args = build_parser().parse_args(argv)
    outcome = execute_run(args)
    summary = outcome.summary
    print("\n".join(summary.lines()), flush=True)
    if summary.failed:
        print(f"{len(summary.failed)} sequence run(s) failed; fix the cause and rerun the same command "
              f"(complete sequences are kept). Evaluation skipped.", flush=True)
        return 1
    return finish(outcome, Path(args.results) / "reports" / outcome.dataset)


def _header(plan, skipped, folder):
    if not plan.jobs:
        return f"all {skipped} runs already complete in {folder}"
    devices = ", ".join(sorted({f"{slot.device} x{sum(s.device == slot.device for s in plan.slots)}"
                                for slot in plan.slots}))
    return (f"tracking {len(plan.jobs)} sequence runs ({plan.frames} frames) on {devices} "
            f"({plan.slots[0].threads} thread(s) per worker); {skipped} already complete; results in {folder}")


def finish(outcome, report_dir):
    """Evaluate (ground truth available) or pack the server submission; returns the exit code."""
    dataset, tracker_name, folder, sequences = outcome.dataset, outcome.tracker_name, outcome.folder, outcome.sequences
    try:
        if all(sequence.fully_annotated for sequence in sequences):
            from .evaluate import evaluate
            table = evaluate(dataset, {tracker_name: str(folder)}, sequences, report_dir=report_dir)
            print(table.to_string())
            print(f"report written to {report_dir}")
        elif dataset in SUBMISSION_DATASETS:
            from .submit import make_submission
            path = make_submission(dataset, tracker_name, str(folder), sequences)
            print(f"submission written: {path}")
        else:
            print(f"{dataset} has no ground truth beyond the first frame: nothing to evaluate")
    except ImportError as error:
        print(f"evaluation step unavailable ({error}); results are complete in {folder}", file=sys.stderr)
    except SimTrackError as error:
        print(f"error: evaluation failed: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    run_cli(main)
