"""Ray backend: the same per-sequence work on the actors of a Ray cluster (``--backend ray``).

One actor per slot loads the model once; the driver keeps every actor busy with one job at a
time, longest job first, and writes all result files itself (workers need the frames, not the
results folder). Workers report frame counts through a ``ray.util.queue.Queue``.

Connects to ``$RAY_ADDRESS`` when set, reuses an already initialised Ray, else starts a local
instance; it shuts Ray down only if it started it. Every node must be able to import
``simtrack``/``benchmarks`` and read the frame paths.
"""
import os
from collections import Counter, deque

from simtrack.errors import ConfigError

from .worker import Outcome, ThrottledCounter, WorkerStartError, describe, open_tracker, run_job

POLL_SECONDS = 0.25


class TrackingActor:
    """Body of a Ray actor (wrapped with ``ray.remote`` at run time, so ray stays optional)."""

    def __init__(self, spec, device, threads, progress):
        self.error = None
        try:
            self.tracker = open_tracker(spec, device, threads)
        except Exception as error:  # reported by ready(), so the driver can stop cleanly
            self.error = describe(error)
        self.progress = progress

    def ready(self):
        return self.error

    def track(self, job):
        counter = ThrottledCounter(lambda count: self.progress.put((job.id, count)), interval=0.5)
        outcome = run_job(self.tracker, job, on_frames=counter)
        counter.flush()
        return outcome


def _import_ray():
    try:
        import ray
    except ImportError:
        raise ConfigError("--backend ray needs the ray package: pip install 'simtrack[ray]' "
                          "(or use --backend local)") from None
    return ray


class RayBackend:
    """Actors on a Ray cluster (``--backend ray``)."""

    name = "ray"

    def __init__(self):
        self.ray = _import_ray()
        self._started = False

    def __enter__(self):
        if not self.ray.is_initialized():
            address = os.environ.get("RAY_ADDRESS")
            self.ray.init(address=address) if address else self.ray.init(include_dashboard=False)
            self._started = True
        return self

    def __exit__(self, *exc):
        if self._started:
            self.ray.shutdown()
        return False

    def resources(self):
        """``(GPUs, CPUs)`` of the whole cluster; device names then only count GPUs."""
        total = self.ray.cluster_resources()
        return int(total.get("GPU", 0)), max(1, int(total.get("CPU", 1)))

    def execute(self, plan, spec, sink):
        if not plan.jobs:
            return
        from ray.util.queue import Queue
        ray = self.ray
        progress = Queue(actor_options={"num_cpus": 0})
        per_device = Counter(slot.device for slot in plan.slots)
        remote_actor = ray.remote(TrackingActor)
        actors = []
        try:
            for slot in plan.slots:
                if slot.device == "cpu":
                    options, device = {"num_cpus": slot.threads}, "cpu"
                else:  # Ray picks the GPU and sets CUDA_VISIBLE_DEVICES, so inside it is simply "cuda"
                    options, device = {"num_cpus": 1, "num_gpus": 1 / per_device[slot.device]}, "cuda"
                actors.append((slot, remote_actor.options(**options).remote(spec, device, slot.threads, progress)))
            for (slot, _), error in zip(actors, ray.get([actor.ready.remote() for _, actor in actors])):
                if error:
                    raise WorkerStartError(f"Ray worker on {slot.device} could not start: {error}")
            self._dispatch(plan, [actor for _, actor in actors], progress, sink)
        finally:
            for _, actor in actors:
                ray.kill(actor)
            progress.shutdown(force=True)

    def _dispatch(self, plan, actors, progress, sink):
        """Keep each actor busy with one job; hand the next longest job to whichever finishes."""
        ray = self.ray
        waiting = deque(plan.jobs)
        running = {}  # object ref -> (actor, job)

        def submit(actor):
            if waiting:
                job = waiting.popleft()
                running[actor.track.remote(job)] = (actor, job)

        for actor in actors:
            submit(actor)
        while running:
            ready, _ = ray.wait(list(running), num_returns=1, timeout=POLL_SECONDS)
            self._drain(progress, sink)
            for ref in ready:
                actor, job = running.pop(ref)
                try:
                    outcome, alive = ray.get(ref), True
                except ray.exceptions.RayError as error:  # actor or node died
                    outcome, alive = Outcome(job.id, error=f"Ray worker failed: {describe(error)}"), False
                self._drain(progress, sink)
                sink.finished(job, outcome)
                if alive:
                    submit(actor)
            if not running and waiting:  # every actor died
                for job in waiting:
                    sink.finished(job, Outcome(job.id, error="no Ray worker left to run this sequence"))
                waiting.clear()

    @staticmethod
    def _drain(progress, sink):
        count = progress.qsize()
        if count:
            for job_id, frames in progress.get_nowait_batch(count):
                sink.frames(job_id, frames)
