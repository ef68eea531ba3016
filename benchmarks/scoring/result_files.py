"""Reading tracker result files in the layouts, spellings and archives trackers publish, and checking them.

Layouts found per sequence, inside a tracker's results folder (or archive):

* ``<seq>.txt`` (ours, pytracking/STARK, pysot, the LaSOT toolkit); our repeated runs k >= 2 in
  ``repeat<k>/<seq>.txt``; times in ``<seq>_time.txt`` or got10k's ``times/<seq>_time.txt``;
* ``<seq>/<seq>_001.txt``, ``_002.txt`` ... (got10k GOT-10k layout), times in ``<seq>/<seq>_time.txt``
  with one column per run;
* ``<seq>_001.txt`` ... next to each other (SimTrack's own runner).

A file named exactly like the sequence wins. Otherwise names match ignoring case, pytracking's
dataset prefixes (``nfs_``, ``uav_``, ``tpl_``) and the separator before a trailing number (OTB's
``Jogging-1`` / ``Jogging_1`` / ``Jogging.1``, pysot's ``jogging_1``, ``bird1_1``), and OTB's
``Human4`` is also found as ``Human4_2``; two files that could both be a sequence are an error that
names them. ``NAME=ARCHIVE`` (``.zip``, ``.tar.gz``, ``.tgz``, ``.tar.xz``, ``.tar``) is read in
memory, nothing is extracted (``archives``); when the folder (or archive) holds no result at its top,
the folder below it that holds the most (``ATOM/lasot/``) is used.

Result folders are downloads: a file is read only when it is a regular file no larger than a table
of its sequence's length can be (``simtrack.limits``), and a link that leads out of the results
folder is refused by name, never followed.
"""
import os
import re
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Optional, Union

import numpy as np

from simtrack.errors import ResultsError, listed
from simtrack.formats import box_tables
from simtrack.formats.regular_files import leaving, read_regular
from simtrack.limits import BYTES_PER_LINE, archive_member_count, archive_text_bytes, table_bytes

from . import archives

RESULTS_ROOT = Path("results")          # where the runner writes and the commands look by default
DATASET_PREFIXES = ("nfs_", "uav_", "tpl_")  # pytracking writes nfs_<Name>.txt, uav_<name>.txt, tpl_<Seq>.txt
SEARCH_DEPTH = 3                         # folder levels searched below a results folder with no result at its top
_REPEAT_DIR = re.compile(r"^repeat(\d+)$")
_NUMBERED = re.compile(r"^(.*)_(\d{3})\.txt$")
_TRAILING_NUMBER = re.compile(r"[-_.](\d+)$")
_TIME_SUFFIX = "_time.txt"
# OTB's Human4 is Human4-2 / Human4_2 for pysot and pytracking; TC128's Yo-yos_ce<k> is Yo_yos_ce<k> for pytracking
_EXTRA_KEYS = {"human4": ("human4-2",), **{f"yo-yos_ce{k}": (f"yo_yos_ce{k}",) for k in (1, 2, 3)}}


def results_folder(results_root, tracker_name, dataset):
    """``<results>/<tracker>/<dataset>``: where the runner writes a tracker's results on a dataset."""
    return Path(results_root) / tracker_name / dataset


def report_folder(results_root, dataset):
    """``<results>/reports/<dataset>``: where the runner and ``benchmarks.evaluate`` write reports."""
    return Path(results_root) / "reports" / dataset


def file_cap(frames, longer=False):
    """``(bytes, why)``: the most a result or time file of a sequence of ``frames`` frames may hold."""
    lines = "the longest video" if frames is None else f"{frames} frames{' x 2' if longer else ''}"
    return table_bytes(frames, longer), f"one line per frame: {lines} x {BYTES_PER_LINE} bytes per line"


def read_boxes(path, frames=None):
    """The (K, 4) float boxes of a result file (of a sequence of ``frames`` frames, None: unknown);
    raises ResultsError naming the first bad line."""
    return _read_table(path, frames, 4, "result file")


def read_times(path, frames=None):
    """The (K, C) per-frame seconds of a time file (C = 1, or one column per run as got10k writes)."""
    return _read_table(path, frames, None, "time file")


def _read_table(path, frames, columns, what, longer=False):
    """``box_tables.read_table`` capped at a table of ``frames`` lines (``file_cap``)."""
    return box_tables.read_table(path, columns, what, ResultsError, *file_cap(frames, longer))


def check_box_count(boxes, label, expected_frames, allow_longer=False, lengths=None):
    """``boxes`` unless their count is not one per frame (longer accepted with ``allow_longer``);
    ``expected_frames`` None (a test sequence read without frames) accepts any non-empty file.

    ``lengths`` (a ``metrics.LengthRule``) replaces ``allow_longer``: the counts the protocol's
    toolkit accepts (padding or cutting them later), and its reason for refusing the others.
    """
    count = len(boxes)
    if expected_frames is None:
        if count == 0:
            raise ResultsError(f"{label}: no boxes; expected {box_tables.BOX_TABLE}")
        return boxes
    if lengths is not None:
        if count and not lengths.accepts(count, expected_frames):
            raise ResultsError(lengths.refusal(label, count, expected_frames) +
                               f" (expected {box_tables.BOX_TABLE})")
        if count:
            return boxes
    if count < expected_frames or (count > expected_frames and not allow_longer):
        raise ResultsError(f"{label}: {count} boxes for a sequence of {expected_frames} frames; expected "
                           f"{box_tables.BOX_TABLE}. Re-run the tracker on this sequence")
    return boxes


def validate_box_file(path, expected_frames, allow_longer=False):
    """Read a result file and check it is complete: one box per frame; returns the (K, 4) boxes.

    Longer files are accepted with ``allow_longer`` (toolkits that cut them: LaSOT, pytracking).
    """
    path = Path(path)
    if not path.exists():
        raise ResultsError(f"missing result file {path}; expected {box_tables.BOX_TABLE}")
    boxes = _read_table(path, expected_frames, 4, "result file", allow_longer)
    return check_box_count(boxes, path, expected_frames, allow_longer)


def match_key(name):
    """The spelling-free form of a sequence or file name: lower case, no pytracking dataset prefix,
    ``-`` before a trailing number (``uav_Bird1_1`` -> ``bird1-1``, ``Jogging.1`` -> ``jogging-1``)."""
    key = name.lower()
    for prefix in DATASET_PREFIXES:
        if key.startswith(prefix) and len(key) > len(prefix):
            key = key[len(prefix):]
            break
    return _TRAILING_NUMBER.sub(r"-\1", key)


def sequence_keys(name):
    """Every key a result file of sequence ``name`` may have."""
    key = match_key(name)
    return (key,) + _EXTRA_KEYS.get(key, ())


# ---------------------------------------------------------------- folders and archives alike

@dataclass(eq=False)
class ResultsFolder:
    """One folder of a results tree, on disk or inside an archive: its files and subfolders."""

    label: str                        # how messages name it
    files: set[str]
    dirs: dict[str, Union["ResultsFolder", Callable[[], "ResultsFolder"]]]   # built on first use (listed lazily)
    read: Callable                    # (file name, cap in bytes, why that cap) -> bytes
    _index: Optional[dict] = field(default=None, repr=False)
    close: Callable[[], None] = field(default=lambda: None, repr=False)   # an archive's top folder closes it

    def child(self, name):
        node = self.dirs.get(name)
        if callable(node):
            node = self.dirs[name] = node()
        return node

    def file_label(self, name):
        return f"{self.label}/{name}"

    def index(self):
        """match key -> result entries ``(kind, stem)``: ``plain`` ``<stem>.txt``, ``numbered``
        ``<stem>_001.txt``..., ``folder`` ``<stem>/`` (got10k's per-sequence folders)."""
        if self._index is None:
            index = {}
            for name in self.files:
                if not name.endswith(".txt") or name.endswith(_TIME_SUFFIX):
                    continue
                numbered = _NUMBERED.match(name)
                if numbered:
                    index.setdefault(match_key(numbered.group(1)), set()).add(("numbered", numbered.group(1)))
                index.setdefault(match_key(name[:-4]), set()).add(("plain", name[:-4]))
            for name in self.dirs:
                index.setdefault(match_key(name), set()).add(("folder", name))
            self._index = index
        return self._index


def disk_folder(path, label=None, root=None):
    """A ResultsFolder over a folder on disk (one listing, read once: result folders hold thousands of
    files); entries that are links leading out of ``root`` (default: ``path``) are refused when read."""
    path = Path(path)
    root = root or path
    label = str(label or path)
    files, dirs, outside, linked = set(), {}, {}, set()
    try:
        with os.scandir(path) as entries:
            for entry in entries:
                target = leaving(entry.path, root) if entry.is_symlink() else None
                if target is not None:
                    outside[entry.name] = target
                elif entry.is_symlink():
                    linked.add(entry.name)
                if entry.is_dir() and target is None:
                    dirs[entry.name] = (lambda sub=Path(entry.path), text=f"{label}/{entry.name}":
                                        disk_folder(sub, text, root))
                else:
                    files.add(entry.name)
    except OSError:
        pass

    def read(name, cap, why=""):
        if name in outside:
            raise ResultsError(f"{label}/{name} is a link to {outside[name]}, outside the results folder {root}; "
                               "refused unread (copy the file into the folder instead of linking it)")
        return read_regular(path / name, cap, "result file", ResultsError, why, follow=name in linked)
    return ResultsFolder(label, files, dirs, read)


def frame_caps(sequences):
    """Each sequence's frame count where known (None: a test sequence read without frames), for ``ArchiveCaps``."""
    return [len(seq) if seq.length_known else None for seq in sequences]


@dataclass(frozen=True)
class ArchiveCaps:
    """What a results archive for some sequences may hold (``simtrack.limits``)."""

    members: int
    total: int          # decompressed bytes
    member: int         # one member: a table of the longest sequence

    @classmethod
    def of(cls, frame_counts, longer=False):
        frame_counts = list(frame_counts)
        longest = None if None in frame_counts else max(frame_counts, default=None)
        return cls(archive_member_count(len(frame_counts)), archive_text_bytes(frame_counts, longer),
                   table_bytes(longest, longer))


def archive_folder(path, caps):
    """A ResultsFolder over an archive's members (``archives``: zip members on demand, tar in one pass)."""
    path = Path(path)
    if str(path).lower().endswith(".7z"):
        raise ResultsError(f"{path}: .7z archives are not read; extract it, or repack it as .zip or .tar.gz")
    archive = archives.open_archive(path, caps.members, caps.total, caps.member)
    return _tree(path, archive)


def _tree(path, archive):
    """Nested ResultsFolders from the archive's member paths; macOS resource forks are skipped."""
    root = {"files": {}, "dirs": {}}
    for member in archive.names:
        parts = [part for part in member.split("/") if part and part != "."]
        if not parts or parts[0] == "__MACOSX" or parts[-1].startswith("._"):
            continue
        node = root
        for part in parts[:-1]:
            node = node["dirs"].setdefault(part, {"files": {}, "dirs": {}})
        node["files"][parts[-1]] = member

    def build(entry, label):
        return ResultsFolder(label, set(entry["files"]),
                             {name: build(sub, f"{label}/{name}") for name, sub in entry["dirs"].items()},
                             lambda name, cap, why="": archive.read(entry["files"][name], cap, why))
    top = build(root, f"{path}:")
    top.close = archive.close
    return top


def is_archive(path):
    return archives.is_archive(path) or str(path).lower().endswith(".7z")


def open_results(path, caps=None):
    """The ResultsFolder of a results folder or archive (of at most ``caps``), or None when ``path``
    does not exist."""
    path = Path(path)
    if path.is_file() and is_archive(path):
        return archive_folder(path, caps or ArchiveCaps.of([None]))
    if path.is_dir():
        return disk_folder(path)
    if os.path.lexists(path):
        kind = "a link to nothing" if path.is_symlink() and not path.exists() else "not a folder or an archive"
        raise ResultsError(f"results {path} is {kind}; give a results folder or a .zip/.tar.gz archive")
    return None


def missing_folder_problem(path):
    """'<path> does not exist', naming the folders found in the nearest folder above it that exists."""
    path = Path(path)
    for parent in [path.parent, *path.parent.parents]:
        if parent.is_dir():
            found = sorted(entry.name for entry in os.scandir(parent) if entry.is_dir() and not entry.name.startswith("."))
            listing = f"; folders in {parent}: {listed(found)}" if found else f"; {parent} holds no folder"
            return f"results folder {path} does not exist{listing}"
    return f"results folder {path} does not exist"


# ---------------------------------------------------------------- finding each sequence's files

@dataclass
class RunFile:
    """Where one run of one sequence lives: a file of a ResultsFolder, its time file and time column."""

    node: ResultsFolder
    boxes: str
    times_node: Optional[ResultsFolder] = None
    times: Optional[str] = None
    time_column: int = 0

    @property
    def label(self):
        return self.node.file_label(self.boxes)


class _Matcher:
    """Finds each sequence's entry in a ResultsFolder: its exact name first, then its match keys."""

    def __init__(self, names):
        self.names = set(names)
        counts = {}
        for name in names:
            for key in sequence_keys(name):
                counts[key] = counts.get(key, 0) + 1
        self.shared = {key for key, count in counts.items() if count > 1}   # keys of two sequences: exact only

    def entry(self, node, name):
        """``(kind, stem)`` of the sequence in ``node``, or None; ResultsError when two could be it."""
        exact = [entry for entry in node.index().get(match_key(name), ()) if entry[1] == name and _usable(node, entry)]
        if exact:
            return min(exact, key=lambda item: _KIND_ORDER[item[0]])
        candidates = {entry for key in sequence_keys(name) if key not in self.shared
                      for entry in node.index().get(key, ()) if entry[1] not in self.names and _usable(node, entry)}
        stems = {stem for _, stem in candidates}
        if len(stems) > 1:
            shown = " and ".join(sorted(node.file_label(_display(kind, stem)) for kind, stem in candidates))
            raise ResultsError(f"two result files could be sequence {name}: {shown}; keep one")
        return min(candidates, key=lambda item: _KIND_ORDER[item[0]]) if candidates else None

    def count(self, node, names):
        found = 0
        for name in names:
            try:
                found += self.entry(node, name) is not None
            except ResultsError:
                found += 1
        return found


_KIND_ORDER = {"plain": 0, "folder": 1, "numbered": 2}


def _display(kind, stem):
    return {"plain": f"{stem}.txt", "numbered": f"{stem}_001.txt", "folder": f"{stem}/"}[kind]


def _usable(node, entry):
    """A got10k-style folder counts only when it holds ``<stem>_001.txt``-like run files."""
    kind, stem = entry
    return kind != "folder" or any(_NUMBERED.match(name) for name in node.child(stem).files)


def _best_node(top, matcher, names):
    """``top`` if it holds any result, else the folder below it (SEARCH_DEPTH levels) holding the most."""
    if matcher.count(top, names):
        return top
    best, best_count, ties = None, 0, []
    queue = deque((top.child(name), 1) for name in sorted(top.dirs))
    while queue:
        node, depth = queue.popleft()
        count = matcher.count(node, names)
        if count > best_count:
            best, best_count, ties = node, count, []
        elif count and count == best_count:
            ties.append(node)
        if depth < SEARCH_DEPTH and not count:
            queue.extend((node.child(name), depth + 1) for name in sorted(node.dirs))
    if ties:
        raise ResultsError(f"{top.label}: results for these sequences in several folders: "
                           f"{', '.join(node.label for node in [best] + ties)}; point at the one you mean")
    return best or top


def locate_runs(results, names, caps=None):
    """Run files of each sequence: (list per sequence of RunFile lists, list of problems).

    ``results`` is a folder or archive path (an archive of at most ``caps``), or a ResultsFolder.
    """
    top = results if isinstance(results, ResultsFolder) else open_results(results, caps)
    if top is None:
        return [[] for _ in names], [missing_folder_problem(results)]
    matcher = _Matcher(names)
    problems = []
    try:
        node = _best_node(top, matcher, names)
    except ResultsError as error:
        return [[] for _ in names], [str(error)]
    times_node = node.child("times") if "times" in node.dirs else None
    repeats = sorted((int(m.group(1)), node.child(d)) for d in node.dirs
                     if (m := _REPEAT_DIR.match(d)) and int(m.group(1)) >= 2)
    found, missing = [], []
    for name in names:
        try:
            entry = matcher.entry(node, name)
        except ResultsError as error:
            problems.append(str(error))
            found.append([])
            continue
        runs = _runs(node, entry, times_node, repeats) if entry else []
        if not runs:
            missing.append(name)
        found.append(runs)
    if missing:
        problems.append(f"{node.label}: no results for {len(missing)} of {len(names)} sequences: "
                        f"{listed(missing)} (looked for <seq>.txt, <seq>/<seq>_001.txt and <seq>_001.txt, "
                        "any case, with or without a nfs_/uav_ prefix)")
    counts = {len(runs) for runs in found if runs}
    if len(counts) > 1:
        by_count = {}
        for name, runs in zip(names, found):
            if runs:
                by_count.setdefault(len(runs), []).append(name)
        detail = "; ".join(f"{count} run(s): {listed(seqs)}" for count, seqs in sorted(by_count.items()))
        problems.append(f"{node.label}: sequences have different numbers of runs ({detail}); every run must "
                        "cover every sequence")
    return found, problems


def _runs(node, entry, times_node, repeats):
    kind, stem = entry
    time_name = f"{stem}{_TIME_SUFFIX}"
    if kind == "plain":
        where = node if time_name in node.files else times_node if times_node and time_name in times_node.files else None
        runs = [RunFile(node, f"{stem}.txt", where, time_name if where else None)]
        for _, folder in repeats:
            if f"{stem}.txt" in folder.files:
                runs.append(RunFile(folder, f"{stem}.txt", folder, time_name if time_name in folder.files else None))
        return runs
    folder = node.child(stem) if kind == "folder" else node
    pattern = re.compile(re.escape(stem) + r"_(\d{3})\.txt$")
    numbered = sorted((int(m.group(1)), name) for name in folder.files if (m := pattern.match(name)))
    has_times = time_name in folder.files
    return [RunFile(folder, name, folder if has_times else None, time_name if has_times else None, column)
            for column, (_, name) in enumerate(numbered)]


# ---------------------------------------------------------------- reading and checking every file

@dataclass
class TrackerRuns:
    """The boxes (and per-frame seconds, None where unknown) of every run of one tracker."""

    name: str
    folder: Path
    boxes: list[list[np.ndarray]]             # [run][sequence] -> (K, 4)
    times: list[list[Optional[np.ndarray]]]   # [run][sequence] -> (K,), None where unknown


def load_results(name, results_dir, sequences, lengths=True, allow_longer=None, opened=None):
    """Read and check every result file of one tracker: (TrackerRuns or None, problems).

    Each file needs one box per frame of its sequence (``len(sequence)``, test splits included),
    unless ``lengths`` (a protocol's ``metrics.LengthRule``) accepts other counts; ``lengths`` True
    or False (or ``allow_longer``) only says whether longer files are accepted. A test sequence read
    without its frames has no known length: its runs must then agree with each other, and their
    length becomes the sequence's. ``opened``: ``results_dir`` already opened (``open_results``) by a
    caller that reads it for several datasets, and closes it; otherwise it is opened and closed here.
    """
    if allow_longer is not None:
        lengths = allow_longer
    rule = None if isinstance(lengths, bool) else lengths
    allow_longer = lengths if rule is None else rule.long != "refuse"
    top = opened or open_results(results_dir, ArchiveCaps.of(frame_caps(sequences), allow_longer))
    if top is None:
        return None, [missing_folder_problem(results_dir)]
    try:
        return _load_runs(name, results_dir, top, sequences, allow_longer, rule)
    finally:
        if opened is None:
            top.close()


def _load_runs(name, results_dir, top, sequences, allow_longer, rule):
    """``load_results`` once the results are open."""
    names = [seq.name for seq in sequences]
    located, problems = locate_runs(top, names)
    n_runs = max((len(runs) for runs in located), default=0)
    boxes = [[None] * len(names) for _ in range(n_runs)]
    times = [[None] * len(names) for _ in range(n_runs)]
    time_tables = {}      # got10k's <seq>/<seq>_time.txt holds every run's column: read and parsed once
    for index, (seq, runs) in enumerate(zip(sequences, located)):
        expected = len(seq) if seq.length_known else None
        for run, files in enumerate(runs):  # every file found is checked, even when others are missing
            try:
                boxes[run][index] = read_run(files, expected, allow_longer, rule)
                times[run][index] = _run_times(files, expected, allow_longer, time_tables)
                if expected is None:
                    expected = len(boxes[run][index])
            except ResultsError as error:
                problems.append(str(error))
    return (None if problems else TrackerRuns(name, Path(results_dir), boxes, times)), problems


def read_run(files, expected_frames, allow_longer, lengths=None):
    """The checked (K, 4) boxes of one RunFile."""
    data = files.node.read(files.boxes, *file_cap(expected_frames, allow_longer))
    boxes = box_tables.parse_table(data, 4, files.label, ResultsError)
    return check_box_count(boxes, files.label, expected_frames, allow_longer, lengths)


def _run_times(files, expected_frames, allow_longer, tables):
    """The run's column of its time file; ``tables`` keeps each file parsed (by folder, name and cap),
    since the runs of a got10k folder share one file."""
    if files.times is None:
        return None
    cap = file_cap(expected_frames, allow_longer)
    key = (files.times_node, files.times, cap[0])
    if key not in tables:
        data = files.times_node.read(files.times, *cap)
        tables[key] = box_tables.parse_table(data, None, files.times_node.file_label(files.times), ResultsError)
    table = tables[key]
    if table.shape[1] > files.time_column:
        return table[:, files.time_column]
    return None
