"""Run a tracker over a benchmark: ``python -m benchmarks.run --dataset lasot``.

Fans the sequences out over worker processes (``--devices``, ``--workers-per-device``) or a Ray
cluster (``--backend ray``), resumes where a previous run stopped, records failing sequences
without stopping the others, and finally evaluates (datasets with ground truth) or packs the
server submission (GOT-10k test, TrackingNet). See docs/running.md.
"""
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

from simtrack.cli import options
from simtrack.cli import run_cli
from simtrack.data.files import MissingFrames
from simtrack.errors import ConfigError, DatasetError, ResultsError, SimTrackError
from simtrack.cli.paths import check_writable
from simtrack.weights import DEMO_NOTICE, is_embedded, resolve_checkpoint

from .runner import provenance
from .runner.backends import BACKENDS, open_backend
from .runner.backends.worker import RunInputs, WorkerSpec
from .runner.batched import TIMING_DEFINITION as BATCHED_TIMING
from .runner.locks import RunLock, describe_owner
from .runner.manifest import build_manifest, check_same_weights, file_sha256, manifest_path, read_manifest, write_manifest
from .runner.folders import dataset_folder, remove_partial_files, run_folder
from .runner.planning import parse_devices, plan_jobs
from .runner.recorder import Recorder

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


def check_devices(args, speed):
    """A local run's devices, present on this machine and able to run the speed options (a Ray
    cluster's devices are counted when it is reached)."""
    if args.backend != "local":
        return
    import torch

    from simtrack.devices import cuda_count
    from simtrack.inference import SpeedOptions
    for device in parse_devices(args.devices, cuda_count()):
        SpeedOptions(**speed).checked(torch.device("cpu" if device.name == "cpu" else "cuda"))


@dataclass
class CheckedRun:
    """What ``check_run`` established about a run before it starts."""

    dataset: str
    data_root: Path      # absolute: workers may run in another folder (Ray actors: their raylet's) or machine
    checkpoint: Path     # absolute, for the same reason
    sequences: list
    config: dict
    tracker_name: str
    folder: Path
    identity: dict


def check_run(args):
    """Every check a run needs, before any worker or folder exists; each failure is one SimTrackError.

    In order: arguments, devices and speed options, the results paths, the dataset, the checkpoint
    (the model is loaded once here), and what the results folder already holds. Reads, never writes.
    """
    from simtrack.data import dataset_key, load_dataset, resolve_root

    dataset = dataset_key(args.dataset, args.split)
    if args.batch_sequences > 1 and args.backend != "local":
        raise ConfigError("--batch-sequences above 1 needs --backend local (Ray actors take one sequence at a time)")
    if args.ray_address and args.backend != "ray":
        raise ConfigError("--ray-address is for --backend ray; add --backend ray (or drop --ray-address)")
    checkpoint = Path(resolve_checkpoint(args.checkpoint)).absolute()
    tracker_name = tracker_name_for(args.tracker_name, checkpoint)
    speed = options.speed_options(args)
    check_devices(args, speed)
    folders = [run_folder(args.results, tracker_name, dataset, repeat) / provenance.RECORDS_FOLDER
               for repeat in range(1, args.repeat + 1)] + [Path(args.results) / tracker_name]  # + the zip's folder
    check_writable(folders + [Path(args.results) / "reports" / dataset], "--results")
    data_root = Path(resolve_root(args.dataset, args.data_root)).absolute()
    # frames are checked per sequence when it is tracked: one without them fails alone (errors.log)
    sequences = load_dataset(args.dataset, root=data_root, split=args.split, sequences=args.sequences,
                             frames_required=False)
    if not sequences:
        raise ConfigError(f"dataset {dataset} has no sequences to run")
    if not any(has_frames(sequence) for sequence in sequences):
        raise DatasetError(f"none of the {len(sequences)} sequences of {dataset} under {data_root} has its frames "
                           f"(an annotation-only copy?); tracking needs the images, scoring does not: "
                           f"python -m benchmarks.evaluate works on this folder")
    config = model_config(checkpoint, args.variant)
    identity = provenance.run_identity(file_sha256(checkpoint), config["name"],
                                       {**speed, "batch_sequences": args.batch_sequences})
    run = CheckedRun(dataset, data_root, checkpoint, sequences, config, tracker_name,
                     dataset_folder(args.results, tracker_name, dataset), identity)
    inspect_results(args, run)
    return run


def has_frames(sequence):
    """Whether the first frame of ``sequence`` is on disk (one stat call)."""
    frames = sequence.frames
    return not isinstance(frames, MissingFrames) and len(frames) > 0 and Path(frames[0]).is_file()


def inspect_results(args, run):
    """What the run's folders hold (``provenance.Inspection``); refuses files this runner cannot
    vouch for unless ``--discard-unverified``, and a folder of other weights in any case."""
    try:
        previous, problem = read_manifest(run.folder), None
    except ResultsError as error:
        previous, problem = None, (manifest_path(run.folder), str(error))
    check_same_weights(run.folder, previous, {"checkpoint": {"sha256": run.identity["checkpoint_sha256"],
                                                             "path": str(Path(run.checkpoint).resolve())}})
    inspection = provenance.inspect(args.results, run.tracker_name, run.dataset, run.sequences, args.repeat,
                                    run.identity, problem)
    if inspection.unverified and not args.discard_unverified:
        raise ResultsError(inspection.refusal())
    return inspection


@dataclass
class RunOutcome:
    """What a finished ``execute_run`` hands to the evaluation step (and to scripts)."""

    summary: object      # recorder.Summary
    dataset: str
    tracker_name: str
    folder: Path
    sequences: list
    running: list = field(default_factory=list)   # (shard, owner) of other parts still writing (--shard)
    identity: dict = None                         # provenance.run_identity of the run


def execute_run(args):
    """Track every sequence that is not complete yet; returns a ``RunOutcome``."""
    run = check_run(args)
    if is_embedded(run.checkpoint) and run.dataset != "demo":
        print(DEMO_NOTICE, file=sys.stderr)
    sequences = run.sequences
    with open_backend(args.backend, args.ray_address) as backend, RunLock(run.folder, args.shard) as lock:
        with lock.exclusive():  # one part at a time looks at the folder and moves files aside
            inspection = inspect_results(args, run)   # again: another process may have written meanwhile
            if inspection.unverified:
                count = sum(len(files) for files, _ in inspection.unverified)
                print(f"moved {count} unverified file(s) to {inspection.discard()}", file=sys.stderr)
        done = inspection.done
        jobs = plan_jobs(sequences, args.repeat, done, args.shard)
        for repeat in range(1, args.repeat + 1):  # other parts' files in progress are theirs to keep
            mine = None if args.shard is None else [job.sequence.name for job in jobs if job.repeat == repeat]
            remove_partial_files(run_folder(args.results, run.tracker_name, run.dataset, repeat), mine)
        plan = backend.plan(jobs, args.devices, args.workers_per_device, args.threads,
                            RunInputs(str(run.checkpoint), run.identity["checkpoint_sha256"], str(run.data_root)))
        spec = WorkerSpec(str(run.checkpoint), args.variant, batch_sequences=args.batch_sequences,
                          options=options.speed_options(args))
        manifest = build_manifest(
            checkpoint=run.checkpoint, checkpoint_sha256=run.identity["checkpoint_sha256"], config=run.config,
            tracker_name=run.tracker_name, dataset=run.dataset, data_root=run.data_root.resolve(),
            sequences=[s.name for s in sequences], repeats=args.repeat, backend=backend.name, slots=plan.slots)
        manifest["runs"][0]["speed"] = {"batch_sequences": spec.batch_sequences, **spec.options}
        if args.shard:
            manifest["runs"][0]["shard"] = "{}/{}".format(*args.shard)
        if spec.batch_sequences > 1:
            manifest["timing"] = BATCHED_TIMING
        with lock.exclusive():  # other parts append their invocation too
            write_manifest(run.folder, manifest)
        print(_header(plan, len(done), run.folder), flush=True)
        recorder = Recorder(args.results, run.tracker_name, run.dataset, plan, skipped=len(done),
                            identity=run.identity, guard=lock.exclusive)
        try:
            backend.execute(plan, spec, recorder)
        finally:
            summary = recorder.close()
        running = lock.finish() if args.shard else []
    return RunOutcome(summary, run.dataset, run.tracker_name, run.folder, sequences, running, run.identity)


def main(argv=None):
    args = build_parser().parse_args(argv)
    outcome = execute_run(args)
    summary = outcome.summary
    print("\n".join(summary.lines()), flush=True)
    if summary.failed:
        print(f"{len(summary.failed)} sequence run(s) failed; fix the cause and rerun the same command "
              f"(complete sequences are kept). Evaluation skipped.", flush=True)
        return 1
    if args.shard and not _last_part(args, outcome):
        return 0
    return finish(outcome, Path(args.results) / "reports" / outcome.dataset)


def _last_part(args, outcome):
    """True for the part of a sharded run that finds every sequence run done and nobody else
    running; the others say why they leave the evaluation to someone else."""
    part = "shard {}/{}".format(*args.shard)
    if outcome.running:
        others = ", ".join(f"{k}/{n} ({describe_owner(owner)})" for (k, n), owner in outcome.running)
        print(f"{part} done; the evaluation is left to the last shard to finish (still running: {others})")
        return False
    done = provenance.inspect(args.results, outcome.tracker_name, outcome.dataset, outcome.sequences, args.repeat,
                              outcome.identity).done     # what the folder holds now, every part written
    missing = len(outcome.sequences) * args.repeat - sum(repeat <= args.repeat for _, repeat in done)
    if missing:
        print(f"{part} done, but {missing} sequence run(s) of other shards are missing from {outcome.folder}: "
              f"rerun the shards that failed or never ran, or rerun the same command without --shard "
              f"to track what is missing and evaluate")
        return False
    return True


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
