"""Reading a downloaded file only when it is a regular file, and never more than it can sensibly hold.

A FIFO named like a result file blocks ``open()`` forever, ``/dev/zero`` behind a link is read until
the memory runs out, and a link can lead anywhere. Here a path is opened with ``O_NONBLOCK`` (opening
a FIFO returns at once) and, where asked, ``O_NOFOLLOW``; the open file is ``fstat``-ed and refused
unless it is a regular file, its size is checked against the caller's cap before a byte is read, and
the read itself stops at the cap (a file that grows meanwhile cannot pass it). Every refusal raises
the caller's error type with one line naming the file.
"""
import os
import stat
from pathlib import Path

from ..errors import DatasetError

_KINDS = ((stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISCHR, "a character device"),
          (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"), (stat.S_ISDIR, "a folder"),
          (stat.S_ISLNK, "a symbolic link"))
_CHUNK = 1 << 20


def kind(mode):
    """What a file of ``st_mode`` ``mode`` is, in words (``"a FIFO (named pipe)"``)."""
    return next((name for test, name in _KINDS if test(mode)), "not a regular file")


def file_problem(path):
    """Why ``path`` (links followed) is no regular file, from one ``stat``: ``"does not exist"`` (or
    cannot be reached), ``"is a folder"``, ``"is a FIFO (named pipe)"``...; None for a regular file.
    Callers word the rest of their message around it."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return "does not exist"
    return None if stat.S_ISREG(mode) else f"is {kind(mode)}"


def leaving(path, root, root_inside=True):
    """The real path of ``path`` when it (through links) lies outside folder ``root``, else None;
    ``root`` itself counts as outside unless ``root_inside`` (a file written there would replace it)."""
    real, base = os.path.realpath(path), os.path.realpath(root)
    inside = real.startswith(base.rstrip(os.sep) + os.sep) or (root_inside and real == base)
    return None if inside else Path(real)


def _open(path, what, error, follow, cap=None, why=""):
    """A descriptor of ``path`` opened for reading and its size, refused unless ``fstat`` says it is a
    regular file (``O_NONBLOCK``: opening a FIFO returns at once instead of waiting for a writer) of at
    most ``cap`` bytes (None: any size)."""
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_BINARY", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        handle = os.open(path, flags | (0 if follow else getattr(os, "O_NOFOLLOW", 0)))
    except FileNotFoundError:
        raise error(f"missing {what}: {path} does not exist") from None
    except OSError as failure:
        if not follow and os.path.islink(path):
            raise error(_refusal(path, what, stat.S_IFLNK)) from None
        raise error(f"cannot read {what} {path}: {failure.strerror or failure}") from None
    info = os.fstat(handle)
    if not stat.S_ISREG(info.st_mode):
        os.close(handle)
        raise error(_refusal(path, what, info.st_mode))
    if cap is not None and info.st_size > cap:
        os.close(handle)
        raise error(too_big(f"{what} {path}", info.st_size, cap, why))
    os.set_blocking(handle, True)
    return handle, info.st_size


def open_regular(path, what, error=DatasetError, follow=True):
    """``path`` opened for reading (binary, blocking reads), refused unless it is a regular file."""
    return open_sized(path, what, error, follow=follow)[0]


def open_sized(path, what, error=DatasetError, cap=None, why="", follow=True):
    """``open_regular`` and the file's size, for a reader that seeks: a file larger than ``cap`` bytes is
    refused unread, with ``read_regular``'s message (``why`` says where the cap comes from)."""
    handle, size = _open(path, what, error, follow, cap, why)
    return os.fdopen(handle, "rb"), size


def read_regular(path, cap, what, error=DatasetError, why="", follow=True):
    """The bytes of regular file ``path``, refused unread when larger than ``cap`` bytes.

    ``why`` says where the cap comes from ("300 frames x 128 bytes per line"), for the message.
    """
    handle, size = _open(path, what, error, follow, cap, why)
    try:
        chunks, total, wanted = [], 0, min(size, cap) + 1      # a buffer of the file's size, not the cap's
        while total < wanted:
            chunk = os.read(handle, wanted - total)
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
            if total == wanted <= cap:          # it grew past its size meanwhile: read on, up to the cap
                wanted = cap + 1
    except OSError as failure:
        raise error(f"cannot read {what} {path}: {failure.strerror or failure}") from None
    finally:
        os.close(handle)
    data = chunks[0] if len(chunks) == 1 else b"".join(chunks)
    if len(data) > cap:
        raise error(too_big(f"{what} {path}", len(data), cap, why, "grew to"))
    return data


def too_big(subject, size, cap, why="", verb="is"):
    """The one message of every size refusal: the subject, its size, the cap and where it comes from."""
    reason = f" ({why})" if why else ""
    return (f"{subject} {verb} {size:,} bytes, more than the {cap:,} it can hold{reason}; refused unread "
            "(a damaged or wrong file?)")


def _refusal(path, what, mode):
    if stat.S_ISDIR(mode):
        return f"{path} is a folder, expected {what} (a file)"
    return f"{what} {path} is {kind(mode)}, not a regular file; refused unread"
