"""The sha256 of a file's bytes: how checkpoints, exported models and trackers' files are identified
in manifests, provenance records and the export cache.

A weights file is hashed by several steps of one run (the export cache, the run identity, the
engine's runner), and a l14 checkpoint takes seconds each time: the digest is remembered for the
process, keyed on the file's identity (real path, device, inode, size, modification time), so a
file replaced or rewritten since is hashed again.
"""
import hashlib
import os

from ..errors import CheckpointError
from .regular_files import open_regular

_KNOWN: dict = {}


def file_sha256(path, chunk=1 << 20, error=CheckpointError) -> str:
    """The hex sha256 of the file at ``path``, read in ``chunk``-byte blocks (constant memory); anything
    but a regular file (a FIFO would block the read forever) is refused with one ``error``."""
    with open_regular(path, "file", error) as handle:
        info = os.fstat(handle.fileno())
        key = (os.path.realpath(path), info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns)
        if key not in _KNOWN:
            digest = hashlib.sha256()
            for block in iter(lambda: handle.read(chunk), b""):
                digest.update(block)
            _KNOWN[key] = digest.hexdigest()
    return _KNOWN[key]
