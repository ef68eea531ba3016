"""Pure run planning: which devices, how many worker slots, and in what order sequences are handed out.

Nothing here touches torch, processes or files, so the placement logic can be tested with pretend
devices (``cuda_count=4``) on a machine without GPUs. Backends turn a ``Plan`` into processes.
"""
import os
from dataclasses import dataclass, field

from simtrack.devices import parse_device, present_devices
from simtrack.errors import ConfigError

# Auto worker count on the CPU: one single-threaded worker per core (two 1-thread processes gave
# ~15 % more frames/s than one 2-thread process here), capped so big machines do not hold dozens
# of model copies; beyond the cap each worker gets several threads.
MAX_AUTO_CPU_WORKERS = 8


def available_cores():
    """Cores this process may run on (respects affinity masks and container CPU sets)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def parse_devices(spec, cuda_count):
    """Device names for ``--devices``: ``auto``, ``cpu``, or a comma list such as ``cuda:0,cuda:1``.

    ``auto`` means every visible CUDA device, else the CPU; ``cuda`` alone means all of them.
    Each item has the syntax of ``--device`` (``simtrack.devices``).
    """
    spec = (spec or "auto").strip()
    if spec == "auto":
        return [f"cuda:{i}" for i in range(cuda_count)] or ["cpu"]
    devices = []
    for item in filter(None, (part.strip() for part in spec.split(","))):
        name = parse_device(item, "--devices item")
        if name == "auto":
            raise ConfigError("--devices: auto cannot be part of a list; give auto alone or name the devices")
        names = [f"cuda:{i}" for i in range(cuda_count)] if name == "cuda" else [name]
        for name in names:
            if name.startswith("cuda:") and int(name.split(":")[1]) >= cuda_count:
                raise ConfigError(f"--devices: {name} is not available on this machine; devices present: "
                                  f"{', '.join(present_devices(cuda_count))}")
            if name not in devices:
                devices.append(name)
    if not devices:
        raise ConfigError(f"--devices {spec!r} names no device (e.g. --devices cpu or cuda:0,cuda:1)")
    return devices


@dataclass(frozen=True)
class Slot:
    """One worker process: the device it uses and its torch thread count."""

    index: int
    device: str
    threads: int


@dataclass(eq=False)
class Job:
    """One run of one sequence; ``repeat`` counts from 1."""

    id: int
    sequence: object  # simtrack.data.Sequence
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

    slots: list
    jobs: list = field(default_factory=list)

    @property
    def frames(self):
        return sum(job.frames for job in self.jobs)


def plan_slots(devices, workers_per_device=None, cores=None, max_slots=None, threads=None):
    """Worker slots over ``devices``, interleaved round robin (cuda:0, cuda:1, ..., cuda:0, ...).

    ``workers_per_device`` defaults to 1 per GPU and, on the CPU, one per core up to
    ``MAX_AUTO_CPU_WORKERS``. ``max_slots`` (the number of jobs) drops slots that would sit idle;
    interleaving means the kept slots still spread over every device. The cores are split evenly
    among the slots for torch's intra-op threads, unless ``threads`` fixes the count per slot.
    """
    cores = cores or available_cores()
    if workers_per_device is not None and workers_per_device < 1:
        raise ConfigError(f"--workers-per-device must be at least 1, got {workers_per_device}")
    per_device = []
    for device in devices:
        if workers_per_device is not None:
            per_device.append(workers_per_device)
        else:
            per_device.append(min(cores, MAX_AUTO_CPU_WORKERS) if device == "cpu" else 1)
    order = [device for round_ in range(max(per_device)) for device, count in zip(devices, per_device)
             if round_ < count]
    if max_slots is not None:
        order = order[:max(1, max_slots)]
    threads = threads or max(1, cores // len(order))
    return [Slot(index, device, threads) for index, device in enumerate(order)]


def order_jobs(sequences, repeats=1):
    """One job per (sequence, repeat), longest sequences first so the tail of the run stays short."""
    if repeats < 1:
        raise ConfigError(f"--repeat must be at least 1, got {repeats}")
    pairs = [(sequence, repeat) for repeat in range(1, repeats + 1) for sequence in sequences]
    pairs.sort(key=lambda pair: (-len(pair[0]), pair[0].name, pair[1]))
    return [Job(index, sequence, repeat) for index, (sequence, repeat) in enumerate(pairs)]


def make_plan(sequences, devices, repeats=1, workers_per_device=None, cores=None, done=frozenset(), threads=None):
    """Plan a run: jobs for every (sequence, repeat) not in ``done`` and the slots to run them on."""
    jobs = [job for job in order_jobs(sequences, repeats) if (job.sequence.name, job.repeat) not in done]
    return Plan(plan_slots(devices, workers_per_device, cores, max_slots=len(jobs), threads=threads), jobs)
