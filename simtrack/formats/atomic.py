"""Atomic writes: a file is either complete or absent, whatever happens to the process writing it.

Every writer of the toolkit (result files, provenance records, manifests, reports, submissions,
checkpoints, training states) goes through here: the data goes to a new temporary file in the same
folder, which is then renamed onto the target.
"""
import os
import secrets
from contextlib import contextmanager
from pathlib import Path

TEMP_SUFFIX = ".partial"


def temporary_file(path):
    """A new temporary file next to ``path``, to be renamed onto it: ``(handle, name)``.

    Created with mode 0666 so that the umask decides the final mode, as for any file the user
    writes (``tempfile.mkstemp`` would make every result 0600, unreadable to colleagues).
    """
    while True:
        temp = path.parent / f".{path.name}.{secrets.token_hex(4)}{TEMP_SUFFIX}"
        try:
            return os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666), temp
        except FileExistsError:
            continue


def atomic_write(path, data, durable=True):
    """Write bytes to ``path`` so that it is either complete or absent, even after a crash.

    ``durable=False`` skips the fsyncs: the file is still complete or absent if the process dies,
    but may be lost with a power cut (fine for reports, which can be written again).
    """
    with replacing(path, durable) as temporary:
        with open(temporary, "wb") as file:
            file.write(data)


def _fsync_folder(folder):
    """Make the rename itself durable (POSIX); a no-op where folders cannot be opened."""
    try:
        handle = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(handle)
    except OSError:
        pass
    finally:
        os.close(handle)


@contextmanager
def replacing(path, durable=True):
    """A new temporary file next to ``path`` to write by name (bytes, a zip, torch.save, safetensors):
    it becomes ``path`` when the block ends, and is removed if the block raises."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp = temporary_file(path)
    os.close(handle)
    try:
        yield temp
        if durable:
            with open(temp, "rb+") as file:
                os.fsync(file.fileno())
        os.replace(temp, path)
    except OSError as error:
        Path(temp).unlink(missing_ok=True)
        if error.filename is None and error.errno is not None:   # a failed write names no file: say which
            raise OSError(error.errno, error.strerror, str(path)) from None
        raise
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    if durable:
        _fsync_folder(path.parent)
