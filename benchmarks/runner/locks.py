"""Locks on a results folder that several runners share (SLURM array tasks, several machines).

Each runner holds its own lock for the whole run: ``.runner-K-of-N.lock`` for part K of ``--shard
K/N``, ``.runner-1-of-1.lock`` for an unsharded run. A short-lived folder mutex, ``.runner.lock``,
serialises the moments when runners look at each other (starting, finishing) and write the files
they share (the manifest, errors.log). Parts of the same N run side by side; anything else that
overlaps (two unsharded runs, part 2/4 twice, 2/4 next to 1/3) is refused with the other runner's
host and pid.

``LockFile`` takes ``flock`` where the file system has it (the kernel drops it when its process
dies, even on SIGKILL). Where ``flock`` fails for another reason than "held" (NFS mounted without
a lock manager: ENOLCK; some FUSE file systems: EOPNOTSUPP), it falls back to a file created with
O_EXCL next to it (``<name>.excl``) that records host, pid and start time and whose mtime is
refreshed every ``HEARTBEAT_SECONDS``; such a lock is stale once its process is gone (same host)
or its heartbeat is older than ``STALE_SECONDS`` (any host), and is then taken over. Every runner
on one folder must mount it the same way (all with flock, or all without).
"""
import errno
import json
import os
import re
import socket
import threading
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

from simtrack.errors import ResultsError
from simtrack.formats.regular_files import read_regular
from simtrack.limits import MAX_RECORD_BYTES

from .folders import open_writable

MUTEX_NAME = ".runner.lock"
HEARTBEAT_SECONDS = 15.0
STALE_SECONDS = 90.0
MUTEX_TIMEOUT = 120.0
_HELD = (errno.EAGAIN, errno.EWOULDBLOCK, errno.EACCES)
_RUNNER = re.compile(r"^\.runner-(\d+)-of-(\d+)\.lock$")


def owner_record(what):
    return {"host": socket.gethostname(), "pid": os.getpid(), "started": time.strftime("%Y-%m-%d %H:%M:%S"),
            "what": what}


def describe_owner(owner):
    """``host vm, pid 123, started ...`` from an owner record (or what is known of it)."""
    if not owner:
        return "owner unknown"
    return f"host {owner.get('host', '?')}, pid {owner.get('pid', '?')}, started {owner.get('started', '?')}"


class LockFile:
    """One exclusive lock: ``try_acquire()`` returns None when taken, else the holder's record."""

    def __init__(self, path, what="runner"):
        self.path = Path(path)
        self.what = what
        self._file = None
        self._fallback = None

    @property
    def held(self):
        return self._file is not None or self._fallback is not None

    def try_acquire(self):
        self.path.parent.mkdir(parents=True, exist_ok=True)
        file = _open_lock(self.path)
        try:
            _flock(file, exclusive=True)
        except OSError as error:
            if error.errno in _HELD:
                owner = _parse(file.read(MAX_RECORD_BYTES))
                file.close()
                return owner
            file.close()  # no flock on this file system (or no fcntl at all)
            self._fallback = ExclusiveFile(self.path.with_name(self.path.name + ".excl"), self.what)
            owner = self._fallback.try_acquire()
            if owner is not None:
                self._fallback = None
            return owner
        file.truncate()
        file.write(json.dumps(owner_record(self.what)).encode())
        file.flush()
        self._file = file
        return None

    def acquire(self, timeout=MUTEX_TIMEOUT):
        """Wait up to ``timeout`` seconds for the lock; ResultsError naming the holder after that."""
        deadline, pause = time.monotonic() + timeout, 0.02
        while (owner := self.try_acquire()) is not None:
            if time.monotonic() > deadline:
                raise ResultsError(f"{self.path} has been held for {timeout:.0f} s by another runner "
                                   f"({describe_owner(owner)}); if that process is gone, delete the file")
            time.sleep(pause)
            pause = min(0.5, pause * 2)

    def release(self):
        if self._file is not None:
            self._file.seek(0)
            self._file.truncate()
            self._file.flush()
            _flock(self._file, exclusive=False)
            self._file.close()
            self._file = None
        if self._fallback is not None:
            self._fallback.release()
            self._fallback = None

    def probe(self):
        """The holder's record while someone else holds the lock, None when it is free."""
        owner = self.try_acquire()
        if owner is None:
            self.release()
        return owner


class ExclusiveFile:
    """The fallback lock: a file that exists only while its owner runs (O_EXCL create, heartbeat)."""

    def __init__(self, path, what):
        self.path = Path(path)
        self.what = what
        self._stop = None

    def try_acquire(self):
        for _ in range(3):  # a stale lock taken over, or vanished meanwhile: try again
            try:
                handle = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            except FileExistsError:
                owner = self._read()
                if owner is not None and not self._stale(owner):
                    return owner
                self._take_over()
                continue
            with os.fdopen(handle, "w") as file:
                file.write(json.dumps(owner_record(self.what)))
                file.flush()
                os.fsync(file.fileno())
            self._start_heartbeat()
            return None
        return self._read() or {}

    def release(self):
        if self._stop is not None:
            self._stop.set()
            self._stop = None
            self.path.unlink(missing_ok=True)

    def _read(self):
        """The owner record, {} while it is being written, None when the file is gone."""
        try:
            data = read_regular(self.path, MAX_RECORD_BYTES, "lock file", ResultsError, follow=False)
        except ResultsError:
            if not os.path.lexists(self.path):
                return None
            raise
        return _parse(data)

    def _stale(self, owner):
        try:
            age = time.time() - self.path.stat().st_mtime
        except FileNotFoundError:
            return True
        if age > STALE_SECONDS:
            return True
        if owner.get("host") == socket.gethostname() and isinstance(owner.get("pid"), int):
            return not _alive(owner["pid"])
        return False

    def _take_over(self):
        retired = self.path.with_name(f"{self.path.name}.stale-{uuid.uuid4().hex[:8]}")
        try:
            os.rename(self.path, retired)
        except FileNotFoundError:
            return
        retired.unlink(missing_ok=True)

    def _start_heartbeat(self):
        stop = self._stop = threading.Event()
        path = self.path

        def beat():
            while not stop.wait(HEARTBEAT_SECONDS):
                try:
                    os.utime(path)
                except FileNotFoundError:
                    return
        threading.Thread(target=beat, name=f"lock-heartbeat-{path.name}", daemon=True).start()


def _open_lock(path):
    """Lock file ``path`` opened read-write (created if absent): a regular file of the folder or refused."""
    return os.fdopen(open_writable(path, os.O_RDWR, "lock file"), "r+b")


def _flock(file, exclusive):
    """Take (non-blocking) or drop an flock; OSError(ENOSYS) where the platform has none."""
    try:
        import fcntl
    except ImportError:
        raise OSError(errno.ENOSYS, "no fcntl on this platform") from None
    fcntl.flock(file, fcntl.LOCK_EX | fcntl.LOCK_NB if exclusive else fcntl.LOCK_UN)


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


def _parse(data):
    """The owner record in ``data`` (bytes), {} when it is empty, partly written or not a record."""
    try:
        record = json.loads(data) if data.strip() else {}
    except ValueError:
        return {}
    return record if isinstance(record, dict) else {}


class RunLock:
    """A runner's hold on a dataset folder: alone (``shard=None``), or as part ``(K, N)``.

    Use as a context manager for the run; ``exclusive()`` around writes to shared files; ``finish()``
    at the end tells whether other parts are still running (the last one evaluates).
    """

    def __init__(self, folder, shard=None):
        self.folder = Path(folder)
        self.shard = shard or (1, 1)
        index, count = self.shard
        self._mine = LockFile(self.folder / f".runner-{index}-of-{count}.lock",
                              f"shard {index}/{count}" if shard else "runner")
        self._mutex = LockFile(self.folder / MUTEX_NAME, "folder mutex")

    @contextmanager
    def exclusive(self):
        """The folder mutex, for a moment: no other runner starts, finishes or writes shared files meanwhile."""
        self._mutex.acquire()
        try:
            yield
        finally:
            self._mutex.release()

    def __enter__(self):
        self.folder.mkdir(parents=True, exist_ok=True)
        with self.exclusive():
            for shard, owner in self.others():
                if self._conflicts(shard):
                    raise ResultsError(self._refusal(shard, owner))
            owner = self._mine.try_acquire()
            if owner is not None:
                raise ResultsError(self._refusal(self.shard, owner))
        return self

    def __exit__(self, *exc):
        if self._mine.held:
            with self.exclusive():
                self._mine.release()
        return False

    def finish(self):
        """Release this runner's lock; returns the ``(shard, owner)`` of runners still writing here."""
        with self.exclusive():
            self._mine.release()
            return self.others()

    def others(self):
        """``[((K, N), owner)]`` of the runners that hold a lock on this folder now (call under the mutex)."""
        running = []
        names = {path.name.removesuffix(".excl") for path in self.folder.glob(".runner-*-of-*.lock*")}
        for name in sorted(names):
            match = _RUNNER.match(name)
            if match is None or self._mine.held and name == self._mine.path.name:
                continue
            owner = LockFile(self.folder / name).probe()
            if owner is not None:
                running.append(((int(match.group(1)), int(match.group(2))), owner))
        return running

    def _conflicts(self, other):
        return other[1] != self.shard[1] or other[0] == self.shard[0]

    def _refusal(self, other, owner):
        who = describe_owner(owner)
        if other == (1, 1):
            return (f"another runner ({who}) is writing into {self.folder}; wait for it to finish "
                    f"or pass a different --tracker-name / --results")
        if other == self.shard:
            return f"shard {other[0]}/{other[1]} is already running in {self.folder} ({who})"
        if self.shard == (1, 1):
            return (f"shard {other[0]}/{other[1]} ({who}) is writing into {self.folder}; wait for the "
                    f"shards to finish (the last one evaluates), or pass --shard K/{other[1]}")
        return (f"shard {other[0]}/{other[1]} ({who}) is writing into {self.folder}; every task writing "
                f"into one folder must split the run the same way (--shard K/{other[1]})")
