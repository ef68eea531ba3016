"""Result folders of a run: layout, atomic writes, the resume check and the error log.

Layout: ``<results>/<tracker>/<dataset>/<sequence>.txt`` (one ``x,y,w,h`` row per frame, first frame
included) and ``<sequence>_time.txt`` (seconds per frame); run k >= 2 of ``--repeat`` lives in
``repeat<k>/`` below it. Every file is written to a temporary name in the same folder, fsynced and
renamed, and the boxes file goes last, so a killed run leaves complete files or none. Runners
sharing a folder coordinate through ``benchmarks.runner.locks``.
"""
import glob
import os
import stat
import time
from pathlib import Path

import numpy as np

from simtrack.errors import ResultsError
from simtrack.formats.atomic import TEMP_SUFFIX
from simtrack.formats.box_tables import format_boxes, format_seconds, parse_table
from simtrack.formats.regular_files import _refusal, read_regular
from simtrack.names import child_path

from ..scoring.result_files import file_cap, results_folder

ERROR_LOG = "errors.log"


def run_folder(results_root, tracker_name, dataset, repeat=1):
    """Folder of run ``repeat`` (1-based): the dataset folder itself for run 1."""
    base = results_folder(results_root, tracker_name, dataset)
    return base if repeat == 1 else base / f"repeat{repeat}"


def result_paths(folder, name):
    """``(boxes_path, times_path)`` of sequence ``name`` in ``folder``; a name that is not a plain file
    name, or a path that would resolve out of ``folder``, is refused (names come from downloads)."""
    return (child_path(folder, name, ".txt", error=ResultsError),
            child_path(folder, name, "_time.txt", error=ResultsError))


def result_files(folder, name, boxes, times):
    """``[(times_path, bytes), (boxes_path, bytes)]`` of sequence ``name``, in the order they are written."""
    boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    times = np.asarray(times, dtype=np.float64).reshape(-1)
    if len(boxes) != len(times):
        raise ValueError(f"{name}: {len(boxes)} boxes but {len(times)} times")
    boxes_path, times_path = result_paths(folder, name)
    return [(times_path, format_seconds(times)), (boxes_path, format_boxes(boxes))]


def result_is_complete(folder, name, frames):
    """True when both files of ``name`` exist and hold ``frames`` rows of finite numbers.

    Anything else (missing, truncated, malformed, a count from another dataset version) means the
    sequence has to be run again.
    """
    paths = result_paths(folder, name)
    if not all(path.is_file() for path in paths):
        return False
    cap, why = file_cap(frames)
    try:
        boxes, times = (read_regular(path, cap, "result file", ResultsError, why) for path in paths)
    except ResultsError:
        return False
    return tables_complete(boxes, times, frames)


def tables_complete(boxes_data, times_data, frames):
    """True when ``boxes_data`` and ``times_data``, the bytes of a sequence's two result files, hold
    ``frames`` rows of finite numbers: for callers that hold the bytes already (provenance hashes them)."""
    try:
        boxes = parse_table(boxes_data, 4, "result file", ResultsError)
        times = parse_table(times_data, None, "time file", ResultsError)
    except ResultsError:
        return False
    return (boxes.shape == (frames, 4) and times.shape == (frames, 1)
            and bool(np.isfinite(boxes).all() and np.isfinite(times).all()))


def remove_partial_files(folder, names=None):
    """Delete temporary files a killed run left behind: all of them, or only those of sequences
    ``names`` (the ones this runner owns when other parts of a sharded run write here too)."""
    folder = Path(folder)
    if not folder.is_dir():
        return
    if names is None:
        patterns = [f".*{TEMP_SUFFIX}"]
    else:
        patterns = [f"{glob.escape('.' + path.name)}.*{TEMP_SUFFIX}" for name in names
                    for path in result_paths(folder, name)]
    for pattern in patterns:
        for path in folder.glob(pattern):
            path.unlink(missing_ok=True)


def append_error(folder, label, message, traceback_text):
    """Record a failed sequence in ``<folder>/errors.log`` (appended, fsynced); returns the log path."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y-%m-%d %H:%M:%S")
    entry = f"=== {stamp} {label}: {message}\n{traceback_text.rstrip()}\n\n"
    path = folder / ERROR_LOG
    with os.fdopen(open_writable(path, os.O_WRONLY | os.O_APPEND, "error log"), "a", encoding="utf-8") as file:
        file.write(entry)
        file.flush()
        os.fsync(file.fileno())
    return path


def open_writable(path, flags, what):
    """A descriptor of ``path`` (created if absent, ``0o644``) opened with ``flags``, refused unless it is
    a regular file: for the files a runner updates in place (lock files, errors.log).

    A results folder may come from someone else: a link there must not lead the write to a file
    elsewhere (``O_NOFOLLOW``), and a FIFO must not block the open (``O_NONBLOCK``; reads and writes
    block again once it is known to be a file).
    """
    extra = os.O_CREAT | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        handle = os.open(path, flags | extra, 0o644)
    except OSError as failure:
        if os.path.islink(path):
            raise ResultsError(_refusal(path, what, stat.S_IFLNK)) from None
        raise ResultsError(f"cannot open {what} {path}: {failure.strerror or failure}") from None
    mode = os.fstat(handle).st_mode
    if not stat.S_ISREG(mode):
        os.close(handle)
        raise ResultsError(_refusal(path, what, mode))
    os.set_blocking(handle, True)
    return handle
