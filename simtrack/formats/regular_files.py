"""Reading a downloaded file only when it is a regular file, and never more than it can sensibly hold.

A FIFO named like a result file blocks ``open()`` forever, ``/dev/zero`` behind a link is read until
the memory runs out, and a link can lead anywhere. Here a path is ``stat``-ed first and opened only
when it is a regular file, with ``O_NONBLOCK`` (a FIFO swapped in meanwhile cannot block the open)
and, where asked, ``O_NOFOLLOW``; the open file is ``fstat``-ed again, its size checked against the
caller's cap before a byte is read, and the read itself stops at the cap (a file that grows meanwhile
cannot pass it). Every refusal raises the caller's error type with one line naming the file.
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


def not_regular(path):
    """What ``path`` (links followed) is when it exists and is not a regular file, else None."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return None
    return None if stat.S_ISREG(mode) else kind(mode)


def leaving(path, root):
    """The real path of ``path`` when it (through links) lies outside folder ``root``, else None."""
    real, base = os.path.realpath(path), os.path.realpath(root)
    return None if real == base or real.startswith(base.rstrip(os.sep) + os.sep) else Path(real)


def open_regular(path, what, error=DatasetError, follow=True):
    """``path`` opened for reading (binary, blocking reads), refused unless it is a regular file."""
    try:
        mode = (os.stat if follow else os.lstat)(path).st_mode
        if not stat.S_ISREG(mode):
            raise error(_refusal(path, what, mode))
        flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_BINARY", 0) | getattr(os, "O_CLOEXEC", 0)
        handle = os.open(path, flags | (0 if follow else getattr(os, "O_NOFOLLOW", 0)))
    except FileNotFoundError:
        raise error(f"missing {what}: {path} does not exist") from None
    except OSError as failure:
        raise error(f"cannot read {what} {path}: {failure.strerror or failure}") from None
    try:
        mode = os.fstat(handle).st_mode
        if not stat.S_ISREG(mode):                          # swapped after the stat
            raise error(_refusal(path, what, mode))
        os.set_blocking(handle, True)
        return os.fdopen(handle, "rb")
    except BaseException:
        os.close(handle)
        raise


def read_regular(path, cap, what, error=DatasetError, why="", follow=True):
    """The bytes of regular file ``path``, refused unread when larger than ``cap`` bytes.

    ``why`` says where the cap comes from ("300 frames x 128 bytes per line"), for the message.
    """
    with open_regular(path, what, error, follow) as file:
        size = os.fstat(file.fileno()).st_size
        if size > cap:
            raise error(too_big(f"{what} {path}", size, cap, why))
        try:
            data = file.read(size + 1)             # a buffer of the file's size, not of the cap
            if len(data) > size:                   # grew meanwhile (or a size stat does not report)
                data += file.read(cap + 1 - len(data))
        except OSError as failure:
            raise error(f"cannot read {what} {path}: {failure.strerror or failure}") from None
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
