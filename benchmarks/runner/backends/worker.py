"""What every worker does, whichever backend started it: load the model once, then run jobs.

A job never raises out of ``run_job``: a sequence that fails (corrupt frame, missing file, bad
box) becomes an ``Outcome`` with its error and traceback, and the worker takes the next job.
"""
import os
import sys
import time
import traceback
from dataclasses import dataclass, field
from typing import Optional

import numpy as np

from simtrack.cores import limit_threads, set_threads
from simtrack.data.files import require_frames
from simtrack.errors import SimTrackError, TrackerError, error_message
from simtrack.speed import SpeedOptions
from simtrack.trackers.spec import TrackerSpec, build

from ..tracking import track_sequence


class WorkerStartError(SimTrackError):
    """A worker could not load the model or open its device (the whole run stops)."""


@dataclass(frozen=True)
class WorkerSpec:
    """Everything a worker needs to build its tracker (small and picklable): SimTrack's checkpoint
    and options, or the spec of another ``--tracker`` (``tracker``; ``checkpoint`` is then None)."""

    checkpoint: Optional[str]
    variant: Optional[str] = None
    batch_sequences: int = 1      # > 1: sequences tracked in lock-step, one forward pass per step
    speed: SpeedOptions = field(default_factory=SpeedOptions)
    tracker: Optional[TrackerSpec] = None


@dataclass(frozen=True)
class RunInputs:
    """The files every worker reads, as absolute paths, with the checkpoint's sha256 (or, for
    another ``--tracker``, its spec and the sha256 of its source): what a backend on several
    machines checks on each of them before it starts work there."""

    checkpoint: Optional[str]
    checkpoint_sha256: Optional[str]
    data_root: str
    tracker: Optional[TrackerSpec] = None
    tracker_source_sha256: Optional[str] = None


@dataclass
class Outcome:
    """Result of one job: ``boxes``/``times`` on success, ``error``/``traceback`` on failure."""

    job_id: int
    boxes: Optional[np.ndarray] = None
    times: Optional[np.ndarray] = None
    error: Optional[str] = None
    traceback: str = ""

    @property
    def ok(self):
        return self.error is None


def claim_device(slot):
    """The torch device this worker uses. A slot with ``visible`` (a GPU index or a GPU / MIG UUID)
    gets exactly that device: CUDA_VISIBLE_DEVICES is set to it before CUDA starts in this process,
    and the worker uses ``cuda:0``."""
    if slot.visible is None:
        return slot.device
    torch = sys.modules.get("torch")
    if torch is not None and torch.cuda.is_initialized():
        raise RuntimeError(f"CUDA was started before worker {slot.index} could select {slot.device}")
    os.environ["CUDA_VISIBLE_DEVICES"] = slot.visible
    return "cuda:0"


class FailedTracker:
    """Stands in for a ``--tracker`` that could not be built (its import or factory raised): every
    sequence given to it fails with that error, so the run ends with each sequence named and
    errors.log holding the tracker's traceback, instead of the worker dying."""

    def __init__(self, error):
        self.error = error

    def init(self, image, box):
        raise TrackerError(str(self.error)) from (self.error.__cause__ or self.error)

    def update(self, image):
        raise TrackerError(str(self.error))


def open_tracker(spec, device, threads):
    """Set threads and load the model once for the lifetime of the worker.

    A ``BatchTracker`` with ``spec.batch_sequences`` slots when batching, else a ``Tracker``. A
    compiled tracker is compiled here, on a synthetic frame, so that compilation is not counted
    in the first sequence's frame times. Another ``--tracker`` is built from its spec and told its
    device (``cpu`` or ``cuda:0``, the one GPU this worker sees); if that fails, a
    ``FailedTracker`` fails each of its sequences with the tracker's message.
    """
    if spec.tracker is not None:
        limit_threads(threads)
        try:
            tracker = build(spec.tracker, device=device)
        except TrackerError as error:
            return FailedTracker(error)
        limit_threads(threads)      # again: building it may have loaded torch
        return tracker
    from simtrack import Tracker
    from simtrack.batch import BatchTracker
    set_threads(threads, torch_too=spec.speed.engine == "torch")
    options = {"variant": spec.variant, "device": device, **spec.speed.as_dict()}
    if spec.batch_sequences > 1:
        return BatchTracker.from_checkpoint(spec.checkpoint, spec.batch_sequences, **options)
    tracker = Tracker.from_checkpoint(spec.checkpoint, **options)
    if spec.speed.compile:
        warm_up(tracker)
    return tracker


def warm_up(tracker, size=(320, 240)):
    """Track two frames of a flat synthetic image, so that lazy work (compilation) happens now."""
    width, height = size
    image = np.full((height, width, 3), 127, dtype=np.uint8)
    tracker.init(image, (width / 4, height / 4, width / 2, height / 2))
    tracker.update(image)


def run_job(tracker, job, on_frames=None):
    """Track one job's sequence; failures are returned, never raised (frames missing on disk included)."""
    try:
        require_frames(job.sequence)
        output = track_sequence(tracker, job.sequence, on_frames=on_frames)
    except Exception as error:
        return Outcome(job.id, error=error_message(error), traceback=traceback.format_exc())
    return Outcome(job.id, boxes=output.boxes, times=output.times)


def run_jobs_batched(tracker, jobs, on_start=None, on_frames=None):
    """Yield one ``Outcome`` per job, ``tracker.capacity`` jobs tracked in lock-step.

    ``jobs`` is consumed lazily (a slot takes the next job when its sequence ends);
    ``on_start(job)`` runs when a job takes a slot, ``on_frames(job, n)`` as frames finish.
    A failing sequence becomes an Outcome with its error; the others go on.
    """
    from ..batched import track_batched

    def take(job):
        if on_start is not None:
            on_start(job)
        require_frames(job.sequence)    # a sequence without its frames fails alone, before it takes a slot
        return job.sequence

    for finished in track_batched(tracker, jobs, sequence_of=take, on_frames=on_frames):
        job = finished.item
        if finished.error is None:
            yield Outcome(job.id, boxes=finished.output.boxes, times=finished.output.times)
        else:
            yield Outcome(job.id, error=error_message(finished.error), traceback=finished.traceback)


class ThrottledCounter:
    """Adds up frame counts and hands them to ``send`` at most every ``interval`` seconds.

    Per-frame messages would cost more than the tiny models' frames; ``flush`` at the end of a job.
    """

    def __init__(self, send, interval=0.25):
        self._send = send
        self._interval = interval
        self._pending = 0
        self._last = time.monotonic()

    def __call__(self, count):
        self._pending += count
        now = time.monotonic()
        if now - self._last >= self._interval:
            self._last = now
            self.flush()

    def flush(self):
        if self._pending:
            pending, self._pending = self._pending, 0
            self._send(pending)
