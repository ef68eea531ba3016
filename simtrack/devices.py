"""Device names: one syntax for every command and the Python API, checked against what is present.

``auto`` (a GPU when one is visible, else the CPU), ``cpu``, ``cuda`` (the first GPU), ``cuda:N``, or
a GPU / MIG UUID as ``nvidia-smi -L`` prints it (``GPU-5c7b6b0f-...``, ``MIG-c6d4f1ef-...``, or the old
``MIG-GPU-<uuid>/<gi>/<ci>`` form). A name that is not a device, or a GPU that this machine does not
have, is a ``ConfigError`` that lists what is present, raised before any model is loaded. torch is
imported only to count GPUs and read their UUIDs; ``nvidia-smi -L`` is read only when a UUID is named,
or to count GPUs where torch is not installed (the torch-free install of the engines).
"""
import os
import re
import subprocess
from dataclasses import dataclass
from typing import Optional

from .errors import ConfigError

DEVICE_SYNTAX = "auto, cpu, cuda or cuda:N (N = GPU index), or a GPU/MIG UUID from nvidia-smi -L (GPU-..., MIG-...)"
_CUDA = re.compile(r"^cuda(?::(\d+))?$")
_UUID = re.compile(r"^(gpu|mig)-([0-9a-f]{8}(?:-[0-9a-f]{4}){3}-[0-9a-f]{12}|gpu-[0-9a-f-]{36}/\d+/\d+)$")
_LISTED_GPU = re.compile(r"^GPU (\d+): (.*?) \(UUID: (GPU-[0-9a-fA-F-]+)\)\s*$")
_LISTED_MIG = re.compile(r"^\s+MIG .*\(UUID: (MIG-[^)]+)\)\s*$")


def parse_device(text, option="device"):
    """The canonical spelling of one device name: ``"auto"``, ``"cpu"``, ``"cuda"``, ``"cuda:1"``,
    ``"GPU-<hex>"`` or ``"MIG-<hex>"`` (prefix upper case, digits lower case, as nvidia-smi prints them)."""
    name = str(text if text is not None else "auto").strip().lower()
    if name in ("auto", "cpu"):
        return name
    match = _CUDA.match(name)
    if match is not None:
        return name if match.group(1) is None else f"cuda:{int(match.group(1))}"
    match = _UUID.match(name)
    if match is not None:
        rest = match.group(2)
        return f"{match.group(1).upper()}-" + (rest if not rest.startswith("gpu-") else "GPU-" + rest[4:])
    raise ConfigError(f"{option} {text!r} is not a device name; expected {DEVICE_SYNTAX}")


def is_uuid(name):
    """True for a (canonical) GPU or MIG UUID."""
    return name.startswith(("GPU-", "MIG-"))


@dataclass(frozen=True)
class Gpu:
    """One physical GPU of ``nvidia-smi -L``: its index, model name, UUID and its MIG instances' UUIDs."""

    index: int
    name: str
    uuid: str
    migs: tuple[str, ...] = ()


def parse_gpu_listing(text):
    """The GPUs of an ``nvidia-smi -L`` listing (MIG instances belong to the GPU line above them)."""
    gpus = []
    for line in text.splitlines():
        gpu, mig = _LISTED_GPU.match(line), _LISTED_MIG.match(line)
        if gpu:
            gpus.append(Gpu(int(gpu.group(1)), gpu.group(2), parse_device(gpu.group(3))))
        elif mig and gpus:
            last = gpus[-1]
            gpus[-1] = Gpu(last.index, last.name, last.uuid, last.migs + (parse_device(mig.group(1)),))
    return gpus


def list_gpus():
    """Every GPU of this machine from ``nvidia-smi -L`` (whatever CUDA_VISIBLE_DEVICES says); [] without it."""
    try:
        listing = subprocess.run(["nvidia-smi", "-L"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return []
    return parse_gpu_listing(listing.stdout) if listing.returncode == 0 else []


def visible_entries(cuda_count, environ=None):
    """What this process's ``cuda:0``, ``cuda:1``... are in CUDA_VISIBLE_DEVICES terms (index or UUID)."""
    environ = os.environ if environ is None else environ
    value = environ.get("CUDA_VISIBLE_DEVICES")
    if value is None:
        return [str(index) for index in range(cuda_count)]
    return [entry.strip() for entry in value.split(",") if entry.strip()][:cuda_count]


def cuda_count():
    """GPUs visible to this process (0 without CUDA). Without torch: the GPUs of ``nvidia-smi -L``,
    as many as CUDA_VISIBLE_DEVICES lets through."""
    try:
        import torch
    except ImportError:
        return len(visible_entries(len(list_gpus())))
    return torch.cuda.device_count() if torch.cuda.is_available() else 0


@dataclass(frozen=True)
class EngineDevice:
    """Where an engine other than torch runs, without torch: ``type`` ("cpu" or "cuda") and ``index``
    (the CUDA device number), as a ``torch.device`` has them."""

    type: str
    index: Optional[int] = None

    def __str__(self):
        return self.type if self.index is None else f"{self.type}:{self.index}"


def visible_uuids():
    """UUIDs of the CUDA devices torch sees, in index order (a MIG instance reports its own UUID)."""
    import torch
    return [str(torch.cuda.get_device_properties(index).uuid).lower() for index in range(cuda_count())]


def present_devices(count=None):
    """Every device name this machine can run on, for error messages."""
    count = cuda_count() if count is None else count
    return ["cpu"] + [f"cuda:{index}" for index in range(count)]


def uuid_index(name, uuids, option="device"):
    """The ``cuda:N`` index of the device whose UUID is ``name`` among ``uuids`` (torch's, without prefix)."""
    digits = name.split("-", 1)[1].lower()
    for index, uuid in enumerate(uuids):
        if uuid.removeprefix("gpu-").removeprefix("mig-") == digits:
            return index
    raise ConfigError(f"{option} {name}: no CUDA device of this process has that UUID (visible: "
                      f"{', '.join(uuids) or 'none'}); for a MIG instance start the process with "
                      f"CUDA_VISIBLE_DEVICES={name}, or pass it to benchmarks.run --devices, which does that per worker")


def check_present(name, option="device", count=None):
    """``name`` (parsed) if this machine has it, else a ConfigError listing the devices it has."""
    name = parse_device(name, option)
    if name in ("auto", "cpu"):
        return name
    if is_uuid(name):
        uuid_index(name, visible_uuids(), option)
        return name
    count = cuda_count() if count is None else count
    index = 0 if name == "cuda" else int(name.split(":")[1])
    if index >= count:
        raise ConfigError(f"{option} {name}: this machine has no such GPU; devices present: "
                          f"{', '.join(present_devices(count))}")
    return name


def resolve_device(name, option="device"):
    """The ``torch.device`` to run on; ``auto`` picks the first GPU when present, else the CPU."""
    import torch
    name = check_present(name, option)
    if name == "auto":
        return torch.device("cuda" if cuda_count() else "cpu")
    if is_uuid(name):
        return torch.device("cuda", uuid_index(name, visible_uuids(), option))
    return torch.device(name)
