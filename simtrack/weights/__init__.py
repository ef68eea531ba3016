"""The embedded demo weights and the one rule for "which checkpoint does this command load".

Every command takes ``--checkpoint FILE``; without one it runs the tiny demo model shipped here
(never random weights), and says so, because the demo model is only meant for the demo dataset.
"""
from pathlib import Path

from ..errors import CheckpointError
from ..formats.regular_files import file_problem

EMBEDDED_CHECKPOINT = Path(__file__).resolve().parent / "tiny_synthetic.safetensors"
DEMO_NOTICE = ("note: no --checkpoint given, using the embedded tiny demo model; it is only meant for "
               "the synthetic demo data (pass --checkpoint FILE with SimTrack weights for real videos)")


def resolve_checkpoint(path=None, option="--checkpoint"):
    """The weights file to load: ``path``, or the embedded demo model when ``path`` is empty.

    ``option`` names where the path came from (a flag or an environment variable) in the errors.
    """
    if not path:
        if not EMBEDDED_CHECKPOINT.is_file():
            raise CheckpointError(f"no {option} given and the embedded demo model is missing "
                                  f"({EMBEDDED_CHECKPOINT}); pass {option} with a SimTrack checkpoint")
        return EMBEDDED_CHECKPOINT
    resolved = Path(path).expanduser()
    problem = file_problem(resolved)         # a FIFO is named as one, not as missing
    if problem:
        raise CheckpointError(f"{option} {path}: the file {problem}; pass a .pth, .pth.tar, .pt or "
                              f".safetensors SimTrack checkpoint")
    return resolved


def is_embedded(path):
    """True when ``path`` is the embedded demo model."""
    return Path(path).resolve() == EMBEDDED_CHECKPOINT
