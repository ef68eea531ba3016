"""One run from start to end: every check before anything starts, then the tracking of what is not
done yet, with the folder locked against other runners.

``check_run`` refuses a bad run before any worker or folder exists; ``execute_run`` plans the jobs,
starts the backend, records every finished sequence and returns a ``RunOutcome`` for the
evaluation step (``finish``).
"""
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

from simtrack.cli.paths import check_writable
from simtrack.data import dataset_key, load_dataset, resolve_root
from simtrack.data.files import MissingFrames
from simtrack.data.sequence import Sequence
from simtrack.engines import faster_engine_note
from simtrack.errors import ConfigError, DatasetError, ResultsError
from simtrack.formats.file_hash import file_sha256
from simtrack.speed import SpeedOptions
from simtrack.trackers.spec import TrackerSpec, simtrack_settings_given
from simtrack.trackers.spec import provenance as tracker_provenance
from simtrack.weights import DEMO_NOTICE, is_embedded, resolve_checkpoint

from . import provenance
from .backends import open_backend
from .backends.worker import RunInputs, WorkerSpec
from .batched import TIMING_DEFINITION as BATCHED_TIMING
from .folders import remove_partial_files, run_folder
from .locks import RunLock
from .manifest import build_manifest, check_same_weights, manifest_path, read_manifest, write_manifest
from .planning import Plan, parse_devices, plan_jobs
from .recorder import Recorder, Summary
from .settings import RunSettings
from .tracking import SPEC_TIMING_DEFINITION as SPEC_TIMING
from .tracking import TIMING_DEFINITION

_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+-]*$")


def tracker_name_for(name: Optional[str], checkpoint: Optional[Path], spec: TrackerSpec) -> str:
    """``--tracker-name``, else the checkpoint's file name (SimTrack) or the tracker's own name; one
    folder name, no path tricks."""
    if not name:
        name = Path(checkpoint).name.split(".")[0] if checkpoint is not None else spec.default_name
    if not _SAFE_NAME.match(name):
        raise ConfigError(f"tracker name {name!r} must be a plain folder name (letters, digits, . _ + -); "
                          f"pass --tracker-name NAME")
    return name


def model_config(checkpoint: Path, variant: Optional[str], speed: SpeedOptions = SpeedOptions()) -> dict:
    """Load the model once here so a wrong file or variant fails before any worker starts (another engine
    than torch: read the exported file, or export the weights into the cache for the workers)."""
    if speed.engine != "torch":
        from simtrack.engines import model_config as exported_config
        return exported_config(checkpoint, variant, speed)
    from simtrack.checkpoints import load_model
    return load_model(checkpoint, variant).config.to_dict()


def check_devices(settings: RunSettings) -> None:
    """A local run's devices, present on this machine and able to run the speed options (a Ray
    cluster's devices are counted when it is reached)."""
    if settings.backend != "local":
        return
    from simtrack.devices import EngineDevice, cuda_count
    for device in parse_devices(settings.devices, cuda_count()):
        settings.speed.checked(EngineDevice("cpu" if device.name == "cpu" else "cuda"))


@dataclass
class CheckedRun:
    """What ``check_run`` established about a run before it starts."""

    dataset: str
    data_root: Path      # absolute: workers may run in another folder (Ray actors: their raylet's) or machine
    checkpoint: Optional[Path]   # absolute, for the same reason; None for a --tracker other than SimTrack
    sequences: list[Sequence]
    config: dict[str, Any]   # the model's ModelConfig.to_dict(); empty for another --tracker
    tracker_name: str
    folder: Path
    identity: dict[str, Any]   # provenance.run_identity, or the provenance of another --tracker


def check_run(settings: RunSettings) -> CheckedRun:
    """Every check a run needs, before any worker or folder exists; each failure is one SimTrackError.

    In order: arguments, devices and speed options, the results paths, the dataset, the checkpoint
    (the model is loaded once here), and what the results folder already holds. Reads, never writes.
    """
    dataset = dataset_key(settings.dataset, settings.split)
    if settings.batch_sequences > 1 and settings.backend != "local":
        raise ConfigError("--batch-sequences above 1 needs --backend local (Ray actors take one sequence at a time)")
    if settings.ray_address and settings.backend != "ray":
        raise ConfigError("--ray-address is for --backend ray; add --backend ray (or drop --ray-address)")
    spec = settings.tracker
    check_tracker_options(settings)
    checkpoint = Path(resolve_checkpoint(settings.checkpoint)).absolute() if spec.is_simtrack else None
    tracker_name = tracker_name_for(settings.tracker_name, checkpoint, spec)
    check_devices(settings)
    folders = [run_folder(settings.results, tracker_name, dataset, repeat) / provenance.RECORDS_FOLDER
               for repeat in range(1, settings.repeat + 1)] + [Path(settings.results) / tracker_name]  # + the zip's
    check_writable(folders + [settings.report_dir(dataset)], "--results")
    data_root = Path(resolve_root(settings.dataset, settings.data_root)).absolute()
    # frames are checked per sequence when it is tracked: one without them fails alone (errors.log)
    sequences = load_dataset(settings.dataset, root=data_root, split=settings.split, sequences=settings.sequences,
                             frames_required=False)
    if not sequences:
        raise ConfigError(f"dataset {dataset} has no sequences to run")
    if not any(has_frames(sequence) for sequence in sequences):
        raise DatasetError(f"none of the {len(sequences)} sequences of {dataset} under {data_root} has its frames "
                           f"(an annotation-only copy?); tracking needs the images, scoring does not: "
                           f"python -m benchmarks.evaluate works on this folder")
    if checkpoint is not None:
        config = model_config(checkpoint, settings.variant, settings.speed)
        identity = provenance.run_identity(file_sha256(checkpoint), config["name"],
                                           {**settings.speed.record(), "batch_sequences": settings.batch_sequences})
    else:   # the tracker's code is located and hashed here; only the workers import it
        config, identity = {}, tracker_provenance(spec)
    run = CheckedRun(dataset, data_root, checkpoint, sequences, config, tracker_name,
                     run_folder(settings.results, tracker_name, dataset), identity)
    inspect_results(settings, run)
    return run


def check_tracker_options(settings: RunSettings) -> None:
    """SimTrack's options go with SimTrack, ``--tracker-option`` with the others."""
    spec = settings.tracker
    if spec.is_simtrack:
        if spec.options:
            raise ConfigError("--tracker-option is for a --tracker other than simtrack; SimTrack takes --checkpoint, "
                              "--variant and the speed options")
        return
    given = simtrack_settings_given((("--checkpoint", settings.checkpoint), ("--variant", settings.variant)),
                                    settings.speed, lambda name: f"--{name.replace('_', '-')}")
    if settings.batch_sequences > 1:
        given.append("--batch-sequences")
    if given:
        raise ConfigError(f"{', '.join(given)}: SimTrack's option(s), but --tracker is {spec.text}; give that "
                          f"tracker's settings as --tracker-option KEY=VALUE (its weights file too)")


def has_frames(sequence: Sequence) -> bool:
    """Whether the first frame of ``sequence`` is on disk (one stat call)."""
    frames = sequence.frames
    return not isinstance(frames, MissingFrames) and len(frames) > 0 and Path(frames[0]).is_file()


def inspect_results(settings: RunSettings, run: CheckedRun) -> provenance.Inspection:
    """What the run's folders hold (``provenance.Inspection``); refuses files this runner cannot
    vouch for unless ``--discard-unverified``, and a folder of other weights in any case."""
    try:
        previous, problem = read_manifest(run.folder), None
    except ResultsError as error:
        previous, problem = None, (manifest_path(run.folder), str(error))
    check_same_weights(run.folder, previous, produced_by(run))
    inspection = provenance.inspect(settings.results, run.tracker_name, run.dataset, run.sequences, settings.repeat,
                                    run.identity, problem)
    if inspection.unverified and not settings.discard_unverified:
        raise ResultsError(inspection.refusal())
    return inspection


def produced_by(run: CheckedRun) -> dict[str, Any]:
    """The manifest fields that say which tracker wrote a folder (``manifest.check_same_weights``)."""
    if run.checkpoint is None:
        return {"checkpoint": None, "tracker_spec": run.identity}
    return {"checkpoint": {"sha256": run.identity["checkpoint_sha256"], "path": str(Path(run.checkpoint).resolve())}}


@dataclass
class RunOutcome:
    """What a finished ``execute_run`` hands to the evaluation step (and to scripts)."""

    summary: Summary
    dataset: str
    tracker_name: str
    folder: Path
    sequences: list[Sequence]
    running: list[tuple[tuple[int, int], dict[str, Any]]] = field(default_factory=list)  # (shard, owner) still running
    identity: Optional[dict[str, Any]] = None                                            # provenance.run_identity


def execute_run(settings: RunSettings) -> RunOutcome:
    """Track every sequence that is not complete yet; returns a ``RunOutcome``."""
    run = check_run(settings)
    if run.checkpoint is not None and is_embedded(run.checkpoint) and run.dataset != "demo":
        print(DEMO_NOTICE, file=sys.stderr)
    sequences = run.sequences
    with open_backend(settings.backend, settings.ray_address) as backend, RunLock(run.folder, settings.shard) as lock:
        with lock.exclusive():  # one part at a time looks at the folder and moves files aside
            inspection = inspect_results(settings, run)   # again: another process may have written meanwhile
            if inspection.unverified:
                count = sum(len(files) for files, _ in inspection.unverified)
                print(f"moved {count} unverified file(s) to {inspection.discard()}", file=sys.stderr)
        done = inspection.done
        jobs = plan_jobs(sequences, settings.repeat, done, settings.shard)
        for repeat in range(1, settings.repeat + 1):  # other parts' files in progress are theirs to keep
            mine = None if settings.shard is None else [job.sequence.name for job in jobs if job.repeat == repeat]
            remove_partial_files(run_folder(settings.results, run.tracker_name, run.dataset, repeat), mine)
        inputs, spec = worker_inputs(settings, run)
        plan = backend.plan(jobs, settings.devices, settings.workers_per_device, settings.threads, inputs)
        timing, details = manifest_details(spec, plan, run.identity)
        manifest = build_manifest(
            checkpoint=run.checkpoint, checkpoint_sha256=run.identity.get("checkpoint_sha256"), config=run.config,
            tracker_name=run.tracker_name, dataset=run.dataset, data_root=run.data_root.resolve(),
            sequences=[s.name for s in sequences], repeats=settings.repeat, backend=backend.name, slots=plan.slots,
            tracker_spec=None if spec.tracker is None else run.identity, timing=timing)
        manifest["runs"][0].update(details)
        if settings.shard:
            manifest["runs"][0]["shard"] = "{}/{}".format(*settings.shard)
        with lock.exclusive():  # other parts append their invocation too
            write_manifest(run.folder, manifest)
        print(header(plan, len(done), run.folder), flush=True)
        note = spec.tracker is None and faster_engine_note(settings.speed.engine, sorted({slot.device for slot in plan.slots}))
        if note and plan.jobs:
            print(note, flush=True)
        recorder = Recorder(settings.results, run.tracker_name, run.dataset, plan, skipped=len(done),
                            identity=run.identity, guard=lock.exclusive)
        try:
            backend.execute(plan, spec, recorder)
        finally:
            summary = recorder.close()
        running = lock.finish() if settings.shard else []
    return RunOutcome(summary, run.dataset, run.tracker_name, run.folder, sequences, running, run.identity)


def worker_inputs(settings: RunSettings, run: CheckedRun) -> tuple[RunInputs, WorkerSpec]:
    """What the backend checks on every machine (``RunInputs``) and what each worker builds its
    tracker from (``WorkerSpec``): SimTrack's checkpoint, or the spec of another ``--tracker``."""
    if run.checkpoint is not None:
        return (RunInputs(str(run.checkpoint), run.identity["checkpoint_sha256"], str(run.data_root)),
                WorkerSpec(str(run.checkpoint), settings.variant, settings.batch_sequences, settings.speed))
    return (RunInputs(None, None, str(run.data_root), settings.tracker, run.identity["source_sha256"]),
            WorkerSpec(None, settings.variant, settings.batch_sequences, settings.speed, settings.tracker))


def manifest_details(spec: WorkerSpec, plan: Plan, identity: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """``(timing, entry)``: what the manifest's seconds per frame cover, and what this invocation's
    entry adds: SimTrack's speed options and engine, or the other tracker's identity."""
    if spec.tracker is not None:
        return SPEC_TIMING, {"tracker_spec": identity}
    timing = BATCHED_TIMING if spec.batch_sequences > 1 else TIMING_DEFINITION
    return timing, {"speed": {"batch_sequences": spec.batch_sequences, **spec.speed.record()},
                    "engine": engine_record(spec, plan)}


def engine_record(spec: WorkerSpec, plan: Plan) -> dict[str, Any]:
    """What runs the network, for the manifest: torch's version, or the engine, its version and providers
    on the run's devices (and, for an exported file, what it was exported from)."""
    devices = sorted({"cpu" if slot.device == "cpu" else "cuda" for slot in plan.slots}) or ["cpu"]
    if spec.speed.engine == "torch":
        return {"name": "torch", "precision": spec.speed.precision}
    from simtrack.devices import EngineDevice
    from simtrack.engines import describe, is_exported, read_exported
    record = {"name": spec.speed.engine, "on": [describe(spec.speed, EngineDevice(kind)) for kind in devices]}
    if is_exported(spec.checkpoint):
        record["exported"] = read_exported(spec.checkpoint).summary()
    return record


def header(plan: Plan, skipped: int, folder: Path) -> str:
    """The line printed before tracking starts: what runs where, what was already done."""
    if not plan.jobs:
        return f"all {skipped} runs already complete in {folder}"
    devices = ", ".join(sorted({f"{slot.device} x{sum(s.device == slot.device for s in plan.slots)}"
                                for slot in plan.slots}))
    return (f"tracking {len(plan.jobs)} sequence runs ({plan.frames} frames) on {devices} "
            f"({plan.slots[0].threads} thread(s) per worker); {skipped} already complete; results in {folder}")
