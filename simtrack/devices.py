"""Device names: one syntax for every command and the Python API, checked against what is present.

``auto`` (a GPU when one is visible, else the CPU), ``cpu``, ``cuda`` (the first GPU) or ``cuda:N``.
A name that is not a device, or a GPU that this machine does not have, is a ``ConfigError`` that
lists what is present, raised before any model is loaded. torch is imported only to count GPUs.
"""
import re

from .errors import ConfigError

DEVICE_SYNTAX = "auto, cpu, cuda or cuda:N (N = GPU index)"
_CUDA = re.compile(r"^cuda(?::(\d+))?$")


def parse_device(text, option="device"):
    """The canonical spelling of one device name (``"auto"``, ``"cpu"``, ``"cuda"``, ``"cuda:1"``)."""
    name = str(text if text is not None else "auto").strip().lower()
    if name in ("auto", "cpu"):
        return name
    match = _CUDA.match(name)
    if match is None:
        raise ConfigError(f"{option} {text!r} is not a device name; expected {DEVICE_SYNTAX}")
    return name if match.group(1) is None else f"cuda:{int(match.group(1))}"


def cuda_count():
    """GPUs visible to this process (0 without CUDA)."""
    import torch
    return torch.cuda.device_count() if torch.cuda.is_available() else 0


def present_devices(count=None):
    """Every device name this machine can run on, for error messages."""
    count = cuda_count() if count is None else count
    return ["cpu"] + [f"cuda:{index}" for index in range(count)]


def check_present(name, option="device", count=None):
    """``name`` (parsed) if this machine has it, else a ConfigError listing the devices it has."""
    name = parse_device(name, option)
    if name in ("auto", "cpu"):
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
    return torch.device(name)
