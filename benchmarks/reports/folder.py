"""A report folder is written as a whole: the files of one evaluation appear together, or not at all.

Every file of a report goes into a staging folder beside the target (``.<name>.<hex>.partial``, the
same file system); when all are written, the staging folder and the old report trade places in one
step (``renameat2(RENAME_EXCHANGE)`` on Linux; elsewhere two renames, where a crash between them
leaves no report, never a mixed one) and the old report is removed. So a report reused by a smaller
evaluation keeps no file of the previous one, and an interruption (Ctrl-C, a full disk, a failing
figure) leaves the previous report as it was.

* The report's manifest ``MANIFEST`` lists the files one evaluation wrote, and is the lock: the
  evaluation writing a report holds ``flock`` on the manifest of the report it replaces until its
  swap, so a second evaluation into the same folder is refused at once, naming the first's process.
* Only a report is replaced: the target must be absent, empty, or a report (it holds our manifest,
  or ``summary.md`` and ``report.html`` as written before manifests existed). A ``--report-dir``
  pointed at a folder of other files is refused, never emptied.
* Links: the default report folder lies inside the results folder, which may be a download; a
  symbolic link between ``--results`` and the report folder (``results/reports -> elsewhere``) is
  refused instead of followed. A ``--report-dir`` that is itself a link is the user's choice: the
  folder it points to is used.
"""
import ctypes
import errno
import json
import os
import secrets
import shutil
from pathlib import Path

from simtrack.errors import ReportError

try:
    import fcntl
except ImportError:                 # Windows: no lock (the staging folder still keeps reports whole)
    fcntl = None

MANIFEST = ".simtrack-report.json"
LEGACY_REPORT = ("summary.md", "report.html")
_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


class ReportFolder:
    """``with ReportFolder(target, results_root) as staging:`` write every file into ``staging``; on
    success ``target`` holds exactly those files, on any exception it is left as it was."""

    def __init__(self, target, results_root=None):
        self.requested = Path(target)
        self.results_root = results_root
        self.target = self.staging = None
        self._lock = None
        self._created = False          # the target did not exist: a failure must not leave it behind

    def __enter__(self):
        check_no_links(self.requested, self.results_root)
        self.target = Path(os.path.realpath(self.requested))
        if self.target.exists() and not self.target.is_dir():
            raise ReportError(f"report folder {self.requested} is a file; choose another --report-dir")
        try:
            self.target.parent.mkdir(parents=True, exist_ok=True)
            try:
                self.target.mkdir()
                self._created = True
            except FileExistsError:
                pass
            _check_is_report(self.target)          # before the lock creates anything in it
            self._take_lock()
            for stale in self._partials():         # left by a killed evaluation (we hold the lock)
                shutil.rmtree(stale, ignore_errors=True)
            self.staging = self.target.parent / f".{self.target.name}.{os.getpid()}.{secrets.token_hex(4)}.partial"
            self.staging.mkdir()
        except BaseException:
            self._remove_if_created()
            self._release()
            raise
        return self.staging

    def __exit__(self, kind, value, traceback):
        swapped = False
        try:
            if kind is None:
                self._swap()
                swapped = True
        finally:
            if self.staging is not None:
                shutil.rmtree(self.staging, ignore_errors=True)     # the old report, or the unfinished new one
            if not swapped:
                self._remove_if_created()
            self._release()
        return False

    def _remove_if_created(self):
        """Undo the empty folder (and the lock's empty manifest) a failed first report created."""
        if self._created and self._lock is not None:
            try:
                (self.target / MANIFEST).unlink()
                self.target.rmdir()
            except OSError:
                pass

    def _swap(self):
        files = sorted(path.name for path in self.staging.iterdir())
        (self.staging / MANIFEST).write_text(json.dumps({"files": files, "pid": os.getpid()}) + "\n")
        if not self.target.exists():
            os.rename(self.staging, self.target)
        elif not _exchange(self.staging, self.target):
            old = self.target.with_name(f".{self.target.name}.{os.getpid()}.old.partial")
            os.rename(self.target, old)
            os.rename(self.staging, self.target)
            self.staging = old

    def _take_lock(self):
        """Hold ``flock`` on the current report's manifest (created in an empty or older folder)."""
        if fcntl is None:
            return
        for _ in range(3):       # the folder may be swapped between open and lock: lock the one in place
            path = self.target / MANIFEST
            self._lock = os.open(path, os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | os.O_CLOEXEC, 0o666)
            try:
                fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                self._release()                    # not ours: nothing here may be undone by us
                pids = sorted({path.name.split(".")[-3] for path in self._partials()})
                holder = f" (process {', '.join(pids)})" if pids else ""
                raise ReportError(f"another evaluation{holder} is writing the report {self.requested}; wait for "
                                  "it to finish, or choose another --report-dir") from None
            if os.path.exists(path) and os.path.samestat(os.fstat(self._lock), os.stat(path)):
                return
            self._release()
        raise ReportError(f"the report {self.requested} keeps being replaced by another evaluation; try again")

    def _release(self):
        if self._lock is not None:
            os.close(self._lock)
            self._lock = None

    def _partials(self):
        """Staging folders of this report: ``.<name>.<pid>.<hex>.partial``."""
        return [path for path in self.target.parent.glob(f".{self.target.name}.*.partial") if path.is_dir()]


def check_no_links(target, results_root, what="report", option="--report-dir"):
    """Refuse a symbolic link between ``results_root`` and ``target`` (a downloaded results folder's
    ``reports`` or ``videos`` link would receive the files wherever it points); ``what`` names them
    and ``option`` the way to choose another folder in the message."""
    if results_root is None:
        return
    root = Path(results_root)
    try:
        relative = Path(target).relative_to(root)
    except ValueError:
        return
    current = root
    for part in relative.parts:
        current = current / part
        if current.is_symlink():
            raise ReportError(f"{current} is a symbolic link (to {os.readlink(current)}) inside the results folder "
                              f"{root}; the {what} would land there, so it is refused: remove the link, or pass "
                              f"{option}")


def _check_is_report(target):
    names = {entry.name for entry in os.scandir(target)}
    manifest = target / MANIFEST
    ours = MANIFEST in names and manifest.is_file() and manifest.stat().st_size > 0
    names.discard(MANIFEST)
    if names and not ours and not set(LEGACY_REPORT) <= names:
        shown = ", ".join(sorted(names)[:3]) + (" ..." if len(names) > 3 else "")
        raise ReportError(f"{target} holds files that are not a SimTrack report ({shown}); the report replaces "
                          "its folder as a whole, so choose an empty or new --report-dir")


def _exchange(first, second):
    """Swap two paths in one step (Linux renameat2); False where the system cannot."""
    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):
        return False
    if renameat2(_AT_FDCWD, os.fsencode(first), _AT_FDCWD, os.fsencode(second), _RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP):
        return False
    raise OSError(code, os.strerror(code), str(second))
