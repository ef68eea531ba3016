"""Exports made on the fly: a weights file (or a model in memory) run by another engine than torch is
exported once into the cache, and later runs find it there.

The cache folder is ``$SIMTRACK_CACHE``, else ``$XDG_CACHE_HOME/simtrack``, else ``~/.cache/simtrack``.
A file's name holds everything its content depends on: the variant, the sha256 of the weights, and a
digest of the versions that produced it (ours, torch, onnx, onnxscript, the opset); an int8 file adds
ONNX Runtime's. Writes are atomic (``formats.atomic``), and one process at a time exports a given
file (a lock file next to it), so concurrent workers neither corrupt nor duplicate the work. A file
found there is checked like any exported model before use, and made again when it does not pass.
"""
import hashlib
import os
from contextlib import contextmanager
from pathlib import Path

import simtrack

from ..errors import CheckpointError, ConfigError
from ..formats.file_hash import file_sha256
from ..speed import package_version
from .exported import OPSET, read_exported


def cache_root() -> Path:
    """Where exports made on the fly and TensorRT engines are kept."""
    if os.environ.get("SIMTRACK_CACHE"):
        return Path(os.environ["SIMTRACK_CACHE"]).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base).expanduser() / "simtrack"


def _versions(*modules):
    """``module=version`` of each of ``modules`` (``none`` when absent), for a file name's digest."""
    return [f"{name}={package_version(name) or 'none'}" for name in modules]


def file_name_part(text, limit=64):
    """``text`` (a variant or GPU name: read from a file, so anything) as part of a cache file's name:
    letters, digits, ``_``, ``.`` and ``-`` kept (real variant names, e.g. ``b16_mae``, stay as they
    are), anything else (a ``/`` of ``../../x`` included) a ``-``; no leading dot; at most ``limit``."""
    part = "".join(char if char.isalnum() or char in "_.-" else "-" for char in str(text)).strip("-.")[:limit]
    return part or "unnamed"


def _digest(parts):
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:12]


@contextmanager
def locked(path):
    """Hold an exclusive lock on ``path`` + ``.lock`` (POSIX ``flock``; elsewhere, no lock: the atomic
    rename still keeps the file whole, only the work may be done twice)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        import fcntl
    except ImportError:     # pragma: no cover - Windows
        yield
        return
    lock = path.with_name(path.name + ".lock")
    # Not followed if a link (open(..., "a") created the link's target wherever it pointed); no wait on a FIFO.
    flags = os.O_CREAT | os.O_WRONLY | os.O_NONBLOCK | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
    try:
        handle = os.open(lock, flags, 0o644)
    except OSError as error:
        raise ConfigError(f"cannot open the lock file {lock} ({error.strerror or error}; a link or a FIFO there?): "
                          f"remove it") from None
    try:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
    finally:
        os.close(handle)


def _cached(path, sha256, precision="fp32", variant=None):
    """The exported model at ``path`` when it is a readable export of the weights ``sha256`` in
    ``precision`` (of ``variant`` when given), else None; returned so that nobody reads it again."""
    if not path.is_file():
        return None
    try:
        exported = read_exported(path, variant)
    except (CheckpointError, ConfigError):
        return None
    return exported if exported.checkpoint_sha256 == sha256 and exported.precision == precision else None


def export_path(variant, sha256) -> Path:
    """The cache file of the fp32 export of weights ``sha256`` (``variant`` None: a pattern for any)."""
    versions = _digest([simtrack.__version__, f"opset={OPSET}"] + _versions("torch", "onnx", "onnxscript"))
    name = "*" if variant is None else file_name_part(variant)
    return cache_root() / "onnx" / f"{name}-{sha256[:16]}-{versions}.onnx"


def _needs_torch(what):
    try:
        import torch  # noqa: F401
    except ImportError:
        raise ConfigError(f"{what} needs torch to export it to ONNX, and torch is not installed here; export it "
                          f"where torch is: python -m simtrack.export --checkpoint FILE --format onnx --out "
                          f"model.onnx, then pass --checkpoint model.onnx") from None


def exported_checkpoint(path, variant=None):
    """The cached export (an ``ExportedModel``) of the weights file ``path``, made now if missing."""
    sha256 = file_sha256(path)
    pattern = export_path(variant, sha256)
    for candidate in sorted(pattern.parent.glob(pattern.name)):   # found without loading torch
        found = _cached(candidate, sha256, variant=variant)
        if found is not None:
            return found
    _needs_torch(f"running {path} on another engine than torch")
    from ..checkpoints import load_model
    from .exported import check_packages
    check_packages()
    model = load_model(path, variant)
    return _export(model, sha256, Path(path).name)


def exported_model(model):
    """The cached export (an ``ExportedModel``) of ``model``, a SimTrack in memory, keyed by its weights' hash."""
    from .export import state_sha256
    return _export(model, state_sha256(model), "a model in memory")


def made_once(target, find, make):
    """``find()`` (what the cache file ``target`` holds, or None), else ``make()`` under ``target``'s
    lock; found again first once locked, since another process may have made it while we waited."""
    found = find()
    if found is not None:
        return found
    with locked(target):
        found = find()
        return found if found is not None else make()


def _export(model, sha256, source):
    target = export_path(model.config.name, sha256)

    def make():
        from .export import export_model
        export_model(model, target, sha256, source)
        return read_exported(target)
    return made_once(target, lambda: _cached(target, sha256), make)


def quantised(exported):
    """The int8 version (an ``ExportedModel``) of the fp32 exported model ``exported``, cached."""
    name = file_name_part(exported.path.stem, 40)
    versions = _digest([simtrack.__version__] + _versions("onnxruntime", "onnx"))
    target = cache_root() / "onnx" / f"{name}-{exported.sha256[:16]}-int8-{versions}.onnx"
    from .quantise import quantise
    return made_once(target, lambda: _cached(target, exported.checkpoint_sha256, "int8"),
                      lambda: quantise(exported, target))
