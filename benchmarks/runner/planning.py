"""Pure run planning: which devices, how many worker slots, which jobs, and in what order.

Nothing here imports torch, starts a worker or touches a file, so the placement logic can be tested
with pretend devices (``cuda_count=4``, an ``nvidia-smi -L`` listing, a list of Ray nodes) on a
machine without GPUs or a cluster. One outside call remains: a GPU or MIG UUID in ``--devices`` is
looked up in ``nvidia-smi -L`` (``simtrack.devices.list_gpus``) unless the caller passes the
listing. Backends turn a ``Plan`` into processes or actors.
"""
import math
import os
import re
from dataclasses import dataclass, field
from typing import Optional

from simtrack.cores import longest_first, usable_cores
from simtrack.data.sequence import Sequence
from simtrack.devices import is_uuid, parse_device, present_devices, visible_entries
from simtrack.errors import ConfigError

# Auto worker count on the CPU: one single-threaded worker per core (two 1-thread processes gave
# ~15 % more frames/s than one 2-thread process here), capped so big machines do not hold dozens
# of model copies; beyond the cap each worker gets several threads.
MAX_AUTO_CPU_WORKERS = 8
_COUNT = re.compile(r"^(.*?)x(\d+)$")


@dataclass(frozen=True)
class Device:
    """One device of ``--devices``: its name, the ``CUDA_VISIBLE_DEVICES`` its workers get, their count.

    ``visible`` is None for the CPU; ``workers`` is None unless the list fixed it (``cuda:0x2`` or
    naming a device twice), in which case it replaces ``--workers-per-device`` for that device.
    """

    name: str
    visible: Optional[str] = None
    workers: Optional[int] = None


def parse_device_list(spec, option="--devices"):
    """``[(canonical name, count or None)]`` of a comma list; ``NAMExK`` and repeated names add up."""
    counts = {}
    for item in filter(None, (part.strip() for part in str(spec).split(","))):
        match = _COUNT.match(item)
        name, count = (match.group(1), int(match.group(2))) if match else (item, None)
        name = parse_device(name, f"{option} item")
        if count == 0:
            raise ConfigError(f"{option}: {item!r} asks for 0 workers; give NAMExK with K >= 1 or leave the device out")
        if name not in counts:
            counts[name] = count
        else:  # named again: one more worker each time (or K more)
            counts[name] = (counts[name] or 1) + (count or 1)
    if "auto" in counts and len(counts) > 1:
        raise ConfigError(f"{option}: auto cannot be part of a list; give auto alone or name the devices")
    if not counts:
        raise ConfigError(f"{option} {spec!r} names no device (e.g. {option} cpu or cuda:0,cuda:1)")
    return list(counts.items())


def parse_devices(spec, cuda_count, gpus=None, environ=None):
    """The ``Device`` list of ``--devices``: ``auto``, ``cpu``, ``cuda`` or a comma list of device names.

    ``auto`` means every visible CUDA device, else the CPU; ``cuda`` alone means all of them. Items
    have the syntax of ``--device`` (``simtrack.devices``) plus an optional worker count ``xK``
    (``cuda:0x2,cuda:1``: two workers on the first GPU, one on the second). ``cuda:N`` is this
    process's N-th visible GPU; a GPU or MIG UUID must be in ``gpus`` (``simtrack.devices.list_gpus()``
    when None). Each worker then sees exactly its device through CUDA_VISIBLE_DEVICES.
    """
    environ = os.environ if environ is None else environ
    entries = visible_entries(cuda_count, environ)
    spec = (spec or "auto").strip()
    devices = []
    for name, count in parse_device_list(spec):
        if name == "auto":
            names = [f"cuda:{i}" for i in range(cuda_count)] or ["cpu"]
        elif name == "cuda":
            names = [f"cuda:{i}" for i in range(cuda_count)]
            if not names:
                raise ConfigError("--devices cuda: this machine has no GPU; devices present: cpu")
        else:
            names = [name]
        for device_name in names:
            devices.append(Device(device_name, _visible(device_name, entries, gpus, environ), count))
    return devices


def _visible(name, entries, gpus, environ):
    if name == "cpu":
        return None
    if is_uuid(name):
        return _check_uuid(name, entries, gpus, environ)
    index = int(name.split(":")[1]) if ":" in name else 0
    if index >= len(entries):
        raise ConfigError(f"--devices: {name} is not available on this machine; devices present: "
                          f"{', '.join(present_devices(len(entries)))}")
    return entries[index]


def _check_uuid(name, entries, gpus, environ):
    """``name`` itself, once it is known to be one of this machine's GPUs or MIG instances that this
    process may use (when CUDA_VISIBLE_DEVICES restricts it, the device or its GPU must be listed)."""
    if gpus is None:
        from simtrack.devices import list_gpus
        gpus = list_gpus()
    owner = next((gpu for gpu in gpus if name == gpu.uuid or name in gpu.migs), None)
    if owner is None:
        known = [uuid for gpu in gpus for uuid in (gpu.uuid, *gpu.migs)]
        raise ConfigError(f"--devices: {name} is not a GPU or MIG instance of this machine "
                          f"(nvidia-smi -L lists {', '.join(known) or 'none'})")
    if "CUDA_VISIBLE_DEVICES" in environ and not {name, owner.uuid, str(owner.index)} & set(entries):
        raise ConfigError(f"--devices: {name} is outside this process's CUDA_VISIBLE_DEVICES "
                          f"({environ['CUDA_VISIBLE_DEVICES']}); name a device it lists")
    return name


@dataclass(frozen=True)
class Slot:
    """One worker: its device, torch thread count, and where it must run.

    ``visible`` is the CUDA_VISIBLE_DEVICES value of a local worker (it then uses ``cuda:0``).
    On Ray, ``node`` is the node id the actor is pinned to and ``cpus``/``gpus`` the resources
    it asks Ray for (always within that node's own resources).
    """

    index: int
    device: str
    threads: int
    visible: Optional[str] = None
    node: Optional[str] = None
    cpus: float = 0.0
    gpus: float = 0.0


@dataclass(eq=False)
class Job:
    """One run of one sequence; ``repeat`` counts from 1."""

    id: int
    sequence: Sequence
    repeat: int = 1

    @property
    def frames(self):
        return len(self.sequence)

    @property
    def label(self):
        name = self.sequence.name
        return name if self.repeat == 1 else f"{name} (repeat {self.repeat})"


@dataclass
class Plan:
    """Worker slots and the job queue, longest job first."""

    slots: list[Slot]
    jobs: list[Job] = field(default_factory=list)

    @property
    def frames(self):
        return sum(job.frames for job in self.jobs)


def _as_device(device):
    return Device(device) if isinstance(device, str) else device


def plan_slots(devices, workers_per_device=None, cores=None, max_slots=None, threads=None):
    """Worker slots over ``devices`` (``Device`` records or plain names), interleaved round robin.

    Order: cuda:0, cuda:1, ..., cuda:0, ... ``workers_per_device`` defaults to 1 per GPU and, on
    the CPU, one per core up to ``MAX_AUTO_CPU_WORKERS``; a device's own ``workers`` count wins.
    ``max_slots`` (the number of jobs) drops slots that would sit idle; interleaving means the kept
    slots still spread over every device. The cores are split evenly among the slots for torch's
    intra-op threads, unless ``threads`` fixes the count per slot.
    """
    cores = cores or usable_cores()
    if workers_per_device is not None and workers_per_device < 1:
        raise ConfigError(f"--workers-per-device must be at least 1, got {workers_per_device}")
    devices = [_as_device(device) for device in devices]
    counts = [_workers(device, workers_per_device, cores) for device in devices]
    order = _interleave([[device] * count for device, count in zip(devices, counts)])
    if max_slots is not None:
        order = order[:max(1, max_slots)]
    threads = threads or max(1, cores // len(order))
    return [Slot(index, device.name, threads, device.visible) for index, device in enumerate(order)]


def _workers(device, workers_per_device, cores):
    if device.workers is not None:
        return device.workers
    if workers_per_device is not None:
        return workers_per_device
    return min(cores, MAX_AUTO_CPU_WORKERS) if device.name == "cpu" else 1


def _interleave(groups):
    """Round robin over lists: [[a, a], [b]] -> [a, b, a]."""
    return [group[round_] for round_ in range(max(map(len, groups), default=0)) for group in groups
            if round_ < len(group)]


# ---------------------------------------------------------------------------------------- Ray nodes

@dataclass(frozen=True)
class RayNode:
    """One Ray node as the planner sees it (from ``ray.nodes()``)."""

    id: str
    address: str
    hostname: str
    cpus: float
    gpus: float = 0.0

    @property
    def label(self):
        return f"node {self.address} ({self.hostname})"


def plan_node_slots(nodes, spec="auto", workers_per_device=None, threads=None, max_slots=None):
    """Actor slots over Ray ``nodes``, planned node by node so that every request fits its node.

    ``spec`` is ``--devices`` read per node: ``auto`` (every GPU of the GPU nodes, else the CPUs of
    every node), ``cpu``, ``cuda`` or ``cuda:N`` items (GPU N of each node that has it; Ray picks the
    physical GPU and sets CUDA_VISIBLE_DEVICES itself). Slots are interleaved over nodes, so a run
    with few jobs still spreads; threads are then split among the slots each node keeps and never
    exceed that node's CPUs, and no slot asks for more CPUs or GPUs than its node has.
    """
    if workers_per_device is not None and workers_per_device < 1:
        raise ConfigError(f"--workers-per-device must be at least 1, got {workers_per_device}")
    items = parse_device_list(spec or "auto")
    if any(is_uuid(name) for name, _ in items):
        raise ConfigError("--devices: GPU and MIG UUIDs name devices of one machine; with --backend ray use "
                          "auto, cpu, cuda or cuda:N (Ray chooses the physical GPU on each node)")
    if "cpu" in dict(items) and len(items) > 1:
        raise ConfigError(f"--devices {spec}: with --backend ray give either cpu or GPUs, not both")
    use_gpus = any(name.startswith("cuda") for name, _ in items) or (
        items[0][0] == "auto" and any(node.gpus >= 1 for node in nodes))
    nodes = sorted((node for node in nodes if (node.gpus >= 1 if use_gpus else node.cpus >= 1)),
                   key=lambda node: (-(node.gpus if use_gpus else node.cpus), node.address, node.id))
    seats = {node.id: _node_seats(node, items, use_gpus, workers_per_device) for node in nodes}
    order = _interleave([seats[node.id] for node in nodes])
    if not order:
        what = "GPU" if use_gpus else "CPU"
        listed = "; ".join(f"{node.label}: {node.cpus:g} CPUs, {node.gpus:g} GPUs" for node in nodes) or "none"
        raise ConfigError(f"--devices {spec}: no node of the Ray cluster has a {what} to run on (nodes: {listed})")
    if max_slots is not None:
        order = order[:max(1, max_slots)]
    by_id = {node.id: node for node in nodes}
    kept = {node_id: sum(seat[0] == node_id for seat in order) for node_id in by_id}
    on_device = {}
    for node_id, device in order:
        on_device[node_id, device] = on_device.get((node_id, device), 0) + 1
    slots = []
    for index, (node_id, device) in enumerate(order):
        node, count = by_id[node_id], kept[node_id]
        node_cores = max(1, int(node.cpus))
        slot_threads = min(threads or max(1, node_cores // count), node_cores)
        if device == "cpu":
            cpus, gpus = _cpu_share(node.cpus, count, slot_threads), 0.0
        else:
            cpus, gpus = _cpu_share(node.cpus, count, 1), _floor4(1 / on_device[node_id, device])
        slots.append(Slot(index, "cpu" if device == "cpu" else "cuda", slot_threads, None, node_id, cpus, gpus))
    return slots


def _node_seats(node, items, use_gpus, workers_per_device):
    """``[(node id, device)]`` for one node, round robin over its devices."""
    if not use_gpus:
        count = next((count for name, count in items if name == "cpu"), None)
        count = count or workers_per_device or min(int(node.cpus), MAX_AUTO_CPU_WORKERS)
        return [(node.id, "cpu")] * count
    gpus = int(node.gpus)
    wanted = []
    for name, count in items:
        indices = range(gpus) if name in ("auto", "cuda") else [int(name.split(":")[1])] if ":" in name else []
        wanted += [(f"cuda:{index}", count or workers_per_device or 1) for index in indices if index < gpus]
    return _interleave([[(node.id, device)] * count for device, count in wanted])


def _cpu_share(node_cpus, count, wanted):
    """CPUs one of ``count`` actors asks for: ``wanted`` when they all fit, else an even share
    (Ray takes fractions below 1 and whole numbers above)."""
    if count * wanted <= node_cpus:
        return float(wanted)
    share = node_cpus / count
    return float(math.floor(share)) if share >= 1 else _floor4(share)


def _floor4(value):
    """Round down to Ray's resource precision (1e-4), so that shares never add up to more than 1."""
    return math.floor(value * 10000) / 10000


# ---------------------------------------------------------------------------------------------- jobs

def order_jobs(sequences, repeats=1):
    """One job per (sequence, repeat), longest sequences first so the tail of the run stays short."""
    if repeats < 1:
        raise ConfigError(f"--repeat must be at least 1, got {repeats}")
    pairs = [(sequence, repeat) for repeat in range(1, repeats + 1) for sequence in sequences]
    pairs.sort(key=lambda pair: (-len(pair[0]), pair[0].name, pair[1]))
    return [Job(index, sequence, repeat) for index, (sequence, repeat) in enumerate(pairs)]


def shard_jobs(jobs, shard):
    """The jobs of part ``shard = (K, N)``: every job goes, longest first, to the part with the
    fewest frames so far (ties: the lowest K). Deterministic, so every task of an array computes
    the same split; pass all jobs of the run (not only the unfinished ones) for that."""
    index, count = shard
    ordered = sorted(jobs, key=lambda job: (job.sequence.name, job.repeat))   # equal weights: by name
    return longest_first(ordered, count, lambda job: job.frames)[index - 1]


def plan_jobs(sequences, repeats=1, done=frozenset(), shard=None):
    """The jobs to run: every (sequence, repeat) of ``shard`` (default: all) that is not in ``done``."""
    jobs = order_jobs(sequences, repeats)
    if shard is not None:
        chosen = {job.id for job in shard_jobs(jobs, shard)}
        jobs = [job for job in jobs if job.id in chosen]
    return [job for job in jobs if (job.sequence.name, job.repeat) not in done]
