"""Local backend: one spawned worker process per slot, all pulling jobs from one shared queue.

The queue is filled longest job first, so whichever worker frees up takes the longest job left
(a dynamic schedule; no static split that leaves one GPU with the long tail). Workers load the
model once, report frame counts and outcomes on an event queue, and exit when their parent dies,
so a killed runner leaves no orphans behind.
"""
import multiprocessing
import os
import queue
import signal
import threading
import traceback

from simtrack.cores import usable_cores
from simtrack.errors import SimTrackError, error_message

from ..planning import Plan, parse_devices, plan_slots
from .events import FramesTracked, JobDone, JobStarted, WorkerFailed
from .worker import (
    Outcome,
    ThrottledCounter,
    WorkerStartError,
    claim_device,
    open_tracker,
    run_job,
    run_jobs_batched,
)

MAX_RESTARTS_PER_SLOT = 2
POLL_SECONDS = 0.5


def _exit_with_parent():
    """Watchdog thread: end this worker as soon as the runner process is gone (even after SIGKILL)."""
    parent = multiprocessing.parent_process()
    if parent is not None:
        threading.Thread(target=lambda: (parent.join(), os._exit(1)), daemon=True).start()


def _worker_main(slot, spec, jobs, events):
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is handled by the runner, which stops us
    _exit_with_parent()
    try:
        tracker = open_tracker(spec, claim_device(slot), slot.threads)
    except BaseException as error:
        events.put(WorkerFailed(slot.index, error_message(error), isinstance(error, SimTrackError),
                                traceback.format_exc()))
        return
    if spec.batch_sequences > 1:
        _run_batched(slot, tracker, jobs, events)
        return
    while (job := jobs.get()) is not None:
        events.put(JobStarted(slot.index, job.id))
        progress = ThrottledCounter(lambda count, job_id=job.id: events.put(FramesTracked(job_id, count)))
        outcome = run_job(tracker, job, on_frames=progress)
        progress.flush()
        events.put(JobDone(slot.index, outcome))


def _run_batched(slot, tracker, jobs, events):
    """``--batch-sequences``: this worker holds several jobs at once, pulled as slots free up."""
    progress = {}

    def start(job):
        events.put(JobStarted(slot.index, job.id))
        progress[job.id] = ThrottledCounter(lambda count, job_id=job.id: events.put(FramesTracked(job_id, count)))

    for outcome in run_jobs_batched(tracker, iter(jobs.get, None), on_start=start,
                                    on_frames=lambda job, count: progress[job.id](count)):
        progress.pop(outcome.job_id).flush()
        events.put(JobDone(slot.index, outcome))


class LocalBackend:
    """Worker processes on this machine (``--backend local``)."""

    name = "local"

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def plan(self, jobs, devices="auto", workers_per_device=None, threads=None, inputs=None):
        """Slots for ``jobs`` over ``--devices`` of this machine (``inputs``: local files, nothing to check)."""
        from simtrack.devices import cuda_count
        slots = plan_slots(parse_devices(devices, cuda_count()), workers_per_device, usable_cores(),
                           max_slots=len(jobs), threads=threads)
        return Plan(slots, jobs)

    def execute(self, plan, spec, sink):
        """Run ``plan.jobs`` on ``plan.slots``; every job ends in exactly one ``sink.finished``."""
        if plan.jobs:
            _Run(plan, spec, sink).run()


class _Run:
    """The bookkeeping of one local execution: processes, the job each one holds, restarts."""

    def __init__(self, plan, spec, sink):
        self.context = multiprocessing.get_context("spawn")  # CUDA cannot be forked
        self.plan, self.spec, self.sink = plan, spec, sink
        self.jobs = self.context.Queue()
        self.events = self.context.Queue()
        self.pending = {job.id: job for job in plan.jobs}
        self.holding = {}            # slot index -> ids of the jobs its worker holds (several when batching)
        self.processes = {}          # slot index -> Process
        self.restarts = dict.fromkeys((slot.index for slot in plan.slots), 0)
        self.retired = set()         # slots whose worker died and was not replaced

    def run(self):
        for job in self.plan.jobs:
            self.jobs.put(job)
        for _ in self.plan.slots:
            self.jobs.put(None)
        try:
            for slot in self.plan.slots:
                self._start(slot)
            while self.pending:
                try:
                    self._handle(self.events.get(timeout=POLL_SECONDS))
                except queue.Empty:
                    self._check_workers()
            for _ in self.processes:  # a replacement worker may still wait for a sentinel of its own
                self.jobs.put(None)
            for process in self.processes.values():
                process.join(30)
        finally:
            for process in self.processes.values():
                if process.is_alive():
                    process.terminate()
                    process.join(5)
            self.jobs.cancel_join_thread()
            self.events.cancel_join_thread()

    def _start(self, slot):
        process = self.context.Process(target=_worker_main, args=(slot, self.spec, self.jobs, self.events),
                                       name=f"simtrack-worker-{slot.index}-{slot.device}", daemon=True)
        process.start()
        self.processes[slot.index] = process

    def _handle(self, event):
        if isinstance(event, FramesTracked):
            self.sink.frames(event.job_id, event.count)
        elif isinstance(event, JobStarted):
            self.holding.setdefault(event.slot, set()).add(event.job_id)
        elif isinstance(event, JobDone):
            self.holding.get(event.slot, set()).discard(event.outcome.job_id)
            self._finish(event.outcome)
        elif isinstance(event, WorkerFailed):
            device = self.plan.slots[event.slot].device
            if event.user_error:
                raise WorkerStartError(f"worker on {device} could not start: {event.message}")
            raise RuntimeError(f"worker on {device} could not start: {event.message}\n{event.traceback}")

    def _finish(self, outcome):
        job = self.pending.pop(outcome.job_id, None)
        if job is not None:  # None: already failed because its worker was seen dead
            self.sink.finished(job, outcome)

    def _drain(self):
        while True:
            try:
                self._handle(self.events.get_nowait())
            except queue.Empty:
                return

    def _check_workers(self):
        """Fail the job of a worker that died (segfault, OOM kill) and start a replacement."""
        dead = [slot for slot in self.plan.slots if slot.index not in self.retired
                and not self.processes[slot.index].is_alive() and self.processes[slot.index].exitcode != 0]
        if dead:
            self._drain()  # anything a worker sent before dying counts
        for slot in dead:
            code = self.processes[slot.index].exitcode
            for job_id in self.holding.pop(slot.index, set()):
                if job_id in self.pending:
                    self._finish(Outcome(job_id, error=f"worker process on {slot.device} died (exit code {code}) "
                                                       f"while tracking this sequence"))
            if self.pending and self.restarts[slot.index] < MAX_RESTARTS_PER_SLOT:
                self.restarts[slot.index] += 1
                self._start(slot)
            else:
                self.retired.add(slot.index)
        if not any(process.is_alive() for process in self.processes.values()):
            self._drain()
            for job_id in list(self.pending):
                self._finish(Outcome(job_id, error="no worker process left to run this sequence "
                                                   "(workers died repeatedly; see the errors above)"))
