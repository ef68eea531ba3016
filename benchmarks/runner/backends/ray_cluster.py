"""Ray backend: the same per-sequence work on the actors of a Ray cluster (``--backend ray``).

The cluster: ``--ray-address``, else ``$RAY_ADDRESS``, else a Ray already initialised in this
process, else whatever ``ray.init()`` finds: the cluster last started with ``ray start`` on this
machine, or a new local instance (stopped at the end).

Before any work, every node that would get actors runs a small check pinned to it: it must see
the data root, the first and last frame of every sequence to run (same sizes as on the driver),
the checkpoint (same size and sha256; for another ``--tracker``, the same sha256 of its source
files) and the same simtrack version. A node that fails is left out
with a message naming it and the path; when no node is left the run stops. Actors are planned node
by node (``planning.plan_node_slots``: no request larger than its node), pinned to their node, and
each takes work as soon as it has loaded the model. The driver keeps all the bookkeeping: the
queue (longest job first), progress (polled from the actors) and every result file. A sequence
whose actor or node dies goes back to the front of the queue, up to ``MAX_ATTEMPTS`` runs in all,
and the run ends with its summary and errors.log whatever the cluster does.
"""
import os
import socket
import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Any, Optional

from simtrack.errors import ConfigError, error_message

from ..planning import Job, Plan, RayNode, Slot, plan_node_slots
from .worker import Outcome, WorkerStartError, open_tracker, run_job

POLL_SECONDS = 0.25
PROGRESS_SECONDS = 1.0
CHECK_TIMEOUT = 300.0     # a node's start-up check: stat the frames, hash the checkpoint
START_TIMEOUT = 900.0     # no actor ready after this long: Ray cannot place them (resources held elsewhere)
NOTICE_SECONDS = 60.0
MAX_ATTEMPTS = 3          # a sequence whose worker died runs again, at most twice


class TrackingActor:
    """Body of a Ray actor (wrapped with ``ray.remote`` at run time, so ray stays optional).

    It runs with two threads: ``track`` in one, ``take_progress`` (the driver's poll) in the other.
    """

    def __init__(self, spec, device, threads):
        self._lock = threading.Lock()
        self._job, self._frames = None, 0
        self.error = None
        try:
            self.tracker = open_tracker(spec, device, threads)
        except Exception as error:  # reported by ready(), so the driver can carry on without this actor
            self.error = error_message(error)

    def ready(self):
        return self.error

    def track(self, job):
        with self._lock:
            self._job, self._frames = job.id, 0
        return run_job(self.tracker, job, on_frames=self._count)

    def _count(self, frames):
        with self._lock:
            self._frames += frames

    def take_progress(self):
        """``(job id, frames tracked since the last call)``."""
        with self._lock:
            frames, self._frames = self._frames, 0
            return self._job, frames


def check_node(inputs, checkpoint_size, frames, version):
    """Runs on one node: the first problem that would stop work there, or None."""
    import simtrack
    from simtrack.formats.file_hash import file_sha256
    if not os.path.isdir(inputs.data_root):
        return f"cannot see the dataset folder {inputs.data_root}"
    for path, size in frames:
        try:
            found = os.stat(path).st_size
        except OSError:
            return f"cannot read frame {path} (is the dataset under {inputs.data_root} mounted there?)"
        if found != size:
            return f"frame {path} has {found} bytes there but {size} on the driver: not the same dataset"
    if inputs.tracker is not None:     # another --tracker: its code must be the driver's
        from simtrack.errors import SimTrackError
        from simtrack.trackers.spec import source_sha256
        try:
            found_sha, _ = source_sha256(inputs.tracker)
        except SimTrackError as error:
            return f"cannot find the tracker's code: {error}"
        if found_sha != inputs.tracker_source_sha256:
            return (f"has other source code for tracker {inputs.tracker.text} than the driver (sha256 "
                    f"{found_sha[:12]}... there, {str(inputs.tracker_source_sha256)[:12]}... on the driver)")
    else:
        try:
            found = os.stat(inputs.checkpoint).st_size
        except OSError:
            return f"cannot read the checkpoint {inputs.checkpoint}"
        if found != checkpoint_size or file_sha256(inputs.checkpoint) != inputs.checkpoint_sha256:
            return (f"the checkpoint {inputs.checkpoint} there is not the driver's ({found} bytes there, "
                    f"{checkpoint_size} on the driver, or another sha256)")
    if simtrack.__version__ != version:
        return f"runs simtrack {simtrack.__version__}, the driver {version}"
    return None


def _import_ray():
    try:
        import ray
    except ImportError:
        raise ConfigError("--backend ray needs the ray package: pip install 'simtrack[ray]' "
                          "(or use --backend local)") from None
    return ray


def _check_reachable(address, source, timeout=10.0):
    """Fail at once on a cluster address nobody listens on (Ray itself retries for many minutes)."""
    host, _, port = address.removeprefix("ray://").rpartition(":")
    if not port.isdigit():
        return  # "auto", "local" or a form Ray resolves itself
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=timeout).close()
    except OSError as error:
        raise ConfigError(f"no Ray cluster answers at {address} (from {source}): {error.strerror or error}; "
                          f"start one with `ray start --head`, or fix the address (docs/cluster.md)") from None


def _reason(error):
    """One line out of a Ray exception: its first line plus the one that says why, if any."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    why = [line for line in lines[1:] if "because" in line or "died" in line.lower()]
    return " ".join(([f"{type(error).__name__}: {lines[0]}"] if lines else [type(error).__name__]) + why[:1])


class RayBackend:
    """Actors on a Ray cluster (``--backend ray``)."""

    name = "ray"

    def __init__(self, address=None):
        self.ray = _import_ray()
        self.address = address
        self._started = False
        self.nodes = {}        # node id -> RayNode, of the nodes that passed the start-up check
        self.left_out = []     # messages about nodes that failed it

    def __enter__(self):
        if not self.ray.is_initialized():
            address = self.address or os.environ.get("RAY_ADDRESS")
            source = ("--ray-address" if self.address else "$RAY_ADDRESS") if address else None
            if address:
                _check_reachable(address, source)
            try:
                self.ray.init(address=address, include_dashboard=False)
            except Exception as error:  # ConnectionError, ValueError, AuthenticationError...
                where = f"the Ray cluster at {address} (from {source})" if address else "a Ray cluster"
                auth = ("; if the cluster uses token authentication, set RAY_AUTH_MODE=token here too"
                        if os.environ.get("RAY_AUTH_MODE", "").lower() != "token" else "")
                raise ConfigError(f"cannot connect to {where}: {_reason(error)}{auth}; start one with `ray start "
                                  f"--head` or give its address with --ray-address HOST:PORT (docs/cluster.md)") from None
            self._started = True
        return self

    def __exit__(self, *exc):
        if self._started:
            self.ray.shutdown()
        return False

    def alive_nodes(self):
        nodes = []
        for info in self.ray.nodes():
            if info.get("Alive"):
                resources = info.get("Resources", {})
                nodes.append(RayNode(info["NodeID"], info.get("NodeManagerAddress", "?"),
                                  info.get("NodeManagerHostname", "?"), float(resources.get("CPU", 0)),
                                  float(resources.get("GPU", 0))))
        return nodes

    def plan(self, jobs, devices="auto", workers_per_device=None, threads=None, inputs=None):
        """Actor slots for ``jobs`` on the nodes that pass the start-up check (``inputs``: what they need)."""
        if not jobs:
            return Plan([], jobs)
        nodes = {node.id: node for node in self.alive_nodes()}
        checked = set()
        while True:
            slots = plan_node_slots(list(nodes.values()), devices, workers_per_device, threads, max_slots=len(jobs))
            unchecked = {slot.node for slot in slots} - checked
            if not unchecked or inputs is None:
                break
            checked |= unchecked
            for node_id, problem in self._check([nodes[node_id] for node_id in unchecked], jobs, inputs).items():
                self.left_out.append(problem)
                print(f"warning: {problem}; no work goes there", flush=True)
                del nodes[node_id]
            if not nodes:
                raise ConfigError("no node of the Ray cluster can run this benchmark:\n  " + "\n  ".join(self.left_out))
        self.nodes = nodes
        return Plan(slots, jobs)

    def _check(self, nodes, jobs, inputs):
        """``{node id: problem}`` for the nodes among ``nodes`` that fail ``check_node``."""
        from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy
        ray = self.ray
        import simtrack
        frames = {}
        for job in jobs:
            for path in (job.sequence.frames[0], job.sequence.frames[-1]):
                try:
                    frames[str(path)] = os.stat(path).st_size
                except OSError:  # missing here too: that sequence fails in its own job, as locally
                    pass
        remote = ray.remote(num_cpus=0, max_retries=0)(check_node)
        refs = {remote.options(scheduling_strategy=NodeAffinitySchedulingStrategy(node.id, soft=False))
                .remote(inputs, os.stat(inputs.checkpoint).st_size if inputs.checkpoint else None, list(frames.items()),
                        simtrack.__version__): node
                for node in nodes}
        done, late = ray.wait(list(refs), num_returns=len(refs), timeout=CHECK_TIMEOUT)
        problems = {}
        for ref in done:
            try:
                problem = ray.get(ref)
            except ray.exceptions.RayError as error:
                problem = f"the start-up check failed there: {_reason(error)}"
            if problem:
                problems[refs[ref].id] = f"{refs[ref].label} {problem}"
        for ref in late:
            ray.cancel(ref, force=True)
            problems[refs[ref].id] = f"{refs[ref].label} did not finish the start-up check within {CHECK_TIMEOUT:.0f} s"
        return problems

    def execute(self, plan, spec, sink):
        """Run ``plan.jobs``; every job ends in exactly one ``sink.finished``."""
        if plan.jobs:
            _Dispatch(self.ray, plan, spec, sink, self.nodes).run()


@dataclass(eq=False)
class _Worker:
    """The driver's record of one actor."""

    slot: Slot
    handle: Any                       # the ray actor handle
    label: str
    ready_ref: Optional[Any] = None   # ray ObjectRefs of the calls in flight
    job: Optional[Job] = None
    track_ref: Optional[Any] = None
    poll_ref: Optional[Any] = None
    polled: float = 0.0
    alive: bool = True
    ready: bool = False


class _Dispatch:
    """One execution: actors, the queue, progress, retries. Everything happens on the driver."""

    def __init__(self, ray, plan, spec, sink, nodes):
        self.ray, self.plan, self.spec, self.sink = ray, plan, spec, sink
        self.nodes = nodes
        self.waiting = deque(plan.jobs)
        self.workers = []
        self.attempts = {}              # job id -> runs started
        self.reported = {}              # job id -> frames passed to the sink (over all attempts)
        self.attempt_frames = {}        # job id -> frames of its current attempt
        self.start_errors = []
        self.any_ready = False
        self.note = getattr(sink, "note", print)

    def run(self):
        from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy
        remote_actor = self.ray.remote(TrackingActor)
        try:
            for slot in self.plan.slots:
                node = self.nodes.get(slot.node)
                handle = remote_actor.options(
                    num_cpus=slot.cpus, num_gpus=slot.gpus, max_concurrency=2, max_restarts=0,
                    scheduling_strategy=NodeAffinitySchedulingStrategy(slot.node, soft=False),
                ).remote(self.spec, slot.device, slot.threads)
                label = node.label if node else f"node {slot.node[:12]}"
                self.workers.append(_Worker(slot, handle, label, ready_ref=handle.ready.remote()))
            self._loop()
        finally:
            for worker in self.workers:
                try:
                    self.ray.kill(worker.handle, no_restart=True)
                except Exception:  # already gone with its node
                    pass

    def _loop(self):
        started = last_notice = time.monotonic()
        while self.waiting or any(worker.job for worker in self.workers):
            refs = self._refs()
            if not refs:
                self._no_worker_left()
                return
            ready, _ = self.ray.wait(refs, num_returns=1, timeout=POLL_SECONDS)
            if ready:
                ready, _ = self.ray.wait(refs, num_returns=len(refs), timeout=0)
            for ref in ready:
                self._handle(ref)
            self._poll_progress()
            now = time.monotonic()
            if not self.any_ready and now - started > START_TIMEOUT:
                self._give_up(f"no Ray worker could start within {START_TIMEOUT:.0f} s: Ray could not place the "
                              f"actors (see `ray status`; are other jobs holding the cluster's CPUs or GPUs?)")
                return
            if not self.any_ready and now - last_notice > NOTICE_SECONDS:
                last_notice = now
                starting = sum(worker.ready_ref is not None for worker in self.workers)
                self.note(f"waiting for Ray to start {starting} worker(s) ({now - started:.0f} s so far)")

    def _refs(self):
        refs = []
        for worker in self.workers:
            if worker.alive:
                refs += [ref for ref in (worker.ready_ref, worker.track_ref, worker.poll_ref) if ref is not None]
        return refs

    def _owner(self, ref):
        for worker in self.workers:
            for kind in ("ready_ref", "track_ref", "poll_ref"):
                if getattr(worker, kind) == ref:
                    return worker, kind
        return None, None   # dropped meanwhile: its worker was lost while handling another result

    def _handle(self, ref):
        worker, kind = self._owner(ref)
        if worker is None:
            return
        setattr(worker, kind, None)
        RayError = self.ray.exceptions.RayError
        if kind == "poll_ref":
            try:
                job_id, frames = self.ray.get(ref)
            except RayError:  # the track call will say what happened
                return
            if worker.job is not None and job_id == worker.job.id:
                self._frames(worker.job, frames)
        elif kind == "ready_ref":
            try:
                error = self.ray.get(ref)
            except RayError as failure:
                error = _reason(failure)
            if error:
                worker.alive = False
                self.start_errors.append(f"worker on {worker.label} could not start: {error}")
                self.note(self.start_errors[-1])
            else:
                self.any_ready = worker.ready = True
                self._submit(worker)
        else:
            job = worker.job
            try:
                outcome = self.ray.get(ref)
            except RayError as failure:
                self._lost(worker, job, failure)
                return
            if not outcome.ok:
                outcome.error = f"{outcome.error} (on {worker.label})"
            worker.job = None
            self.sink.finished(job, outcome)
            self._submit(worker)

    def _submit(self, worker):
        worker.poll_ref = None
        if not self.waiting:
            return
        job = worker.job = self.waiting.popleft()
        self.attempts[job.id] = self.attempts.get(job.id, 0) + 1
        self.attempt_frames[job.id] = 0
        worker.track_ref = worker.handle.track.remote(job)
        worker.polled = time.monotonic()

    def _frames(self, job, frames):
        """Pass on frames beyond what earlier attempts of ``job`` already reported."""
        self.attempt_frames[job.id] += frames
        extra = self.attempt_frames[job.id] - self.reported.get(job.id, 0)
        if extra > 0:
            self.reported[job.id] = self.attempt_frames[job.id]
            self.sink.frames(job.id, extra)

    def _poll_progress(self):
        now = time.monotonic()
        for worker in self.workers:
            if worker.alive and worker.job is not None and worker.poll_ref is None and now - worker.polled >= PROGRESS_SECONDS:
                worker.polled = now
                worker.poll_ref = worker.handle.take_progress.remote()

    def _lost(self, worker, job, failure):
        """The actor (or its node) died holding ``job``: run the job again elsewhere, or fail it."""
        worker.alive, worker.job, worker.poll_ref = False, None, None
        try:
            self.ray.kill(worker.handle, no_restart=True)
        except Exception:
            pass
        message = f"worker on {worker.label} was lost while tracking {job.label}: {_reason(failure)}"
        attempts = self.attempts[job.id]
        if attempts < MAX_ATTEMPTS and any(other.alive for other in self.workers):
            self.note(f"{message}; running it again on another worker (run {attempts + 1} of at most {MAX_ATTEMPTS})")
            self.waiting.appendleft(job)
            idle = next((other for other in self.workers if other.alive and other.ready and other.job is None), None)
            if idle is not None:
                self._submit(idle)
        else:
            self.sink.finished(job, Outcome(job.id, error=f"{message} (after {attempts} run(s))",
                                            traceback=str(failure)))

    def _no_worker_left(self):
        if not self.any_ready and self.start_errors:
            raise WorkerStartError(f"{self.start_errors[0]}" + (f" (and {len(self.start_errors) - 1} more)"
                                                                if len(self.start_errors) > 1 else ""))
        self._give_up("no Ray worker left to run this sequence (workers were lost; see the messages above)")

    def _give_up(self, message):
        for job in self.waiting:
            self.sink.finished(job, Outcome(job.id, error=message))
        self.waiting.clear()
