"""Output paths checked at the door: a command refuses a folder or file it could not create or
write before it loads a model or creates anything, instead of failing half way with an OSError."""
import os
from pathlib import Path

from ..errors import ConfigError


def _check_creatable(target, option):
    """The nearest existing part of ``target``'s path must be a folder this process may write into."""
    existing = target
    while not os.path.lexists(existing) and existing.parent != existing:
        existing = existing.parent
    if not existing.is_dir():
        what = "a file" if existing.is_file() else "not a folder"
        raise ConfigError(f"{option}: cannot create {target} because {existing} is {what}; choose another "
                          f"{option} path (or move {existing} away)")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise ConfigError(f"{option}: cannot write into {existing} (permission denied); choose a "
                          f"{option} path you can write to")


def check_writable(folders, option):
    """Refuse ``folders`` (to be created or written into by ``option``) that this process could not use."""
    for folder in map(Path, folders):
        _check_creatable(folder, option)


def check_output_file(text, option, force=True):
    """Refuse an output file ``text`` that is a folder, that could not be created (or replaced), or,
    without ``force``, that exists."""
    path = Path(text).expanduser()
    if path.is_dir():
        raise ConfigError(f"{option} {text} is a folder; give a file name inside it")
    if path.exists() and not force:
        raise ConfigError(f"{option} {text} already exists; pass --force to overwrite it or choose another name")
    _check_creatable(path.parent if path.exists() else path, option)   # replacing a file: its folder counts
    return path
