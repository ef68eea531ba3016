"""Reading tracker result files in the layouts trackers and toolkits write, and checking them.

Layouts found per sequence (first match wins), inside a tracker's results folder:

* ``<seq>.txt`` (ours, pytracking/STARK, pysot, the LaSOT toolkit); our repeated runs k >= 2 in
  ``repeat<k>/<seq>.txt``; times in ``<seq>_time.txt`` or got10k's ``times/<seq>_time.txt``;
* ``<seq>/<seq>_001.txt``, ``_002.txt`` ... (got10k GOT-10k layout), times in ``<seq>/<seq>_time.txt``
  with one column per run;
* ``<seq>_001.txt`` ... next to each other (SimTrack's own runner).

Numbers may be separated by commas, tabs or spaces, integers or floats. Toolkits spell some sequences
differently (``Jogging-1``/``Jogging_1``/``Jogging.1``, ``uav_bike1``/``bike1``, ``Human4``/``Human4_2``),
so those spellings are tried too.
"""
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

import numpy as np

from simtrack import box_tables
from simtrack.errors import ResultsError

_REPEAT_DIR = re.compile(r"^repeat(\d+)$")
_TARGET_SUFFIX = re.compile(r"^(.*?)[-_.]([12])$")


def read_boxes(path):
    """The (K, 4) float boxes of a result file; raises ResultsError naming the first bad line."""
    return box_tables.read_boxes(path, "result file", ResultsError)


def read_times(path):
    """The (K, C) per-frame seconds of a time file (C = 1, or one column per run as got10k writes)."""
    return box_tables.read_seconds(path, ResultsError)


def validate_box_file(path, expected_frames, allow_longer=False):
    """Read a result file and check it is complete: one box per frame; returns the (K, 4) boxes.

    Longer files are accepted with ``allow_longer`` (toolkits that cut them: LaSOT, pytracking).
    """
    path = Path(path)
    if not path.is_file():
        raise ResultsError(f"missing result file {path}; expected {box_tables.BOX_TABLE}")
    boxes = read_boxes(path)
    if len(boxes) < expected_frames or (len(boxes) > expected_frames and not allow_longer):
        raise ResultsError(f"{path}: {len(boxes)} boxes for a sequence of {expected_frames} frames; expected "
                           f"{box_tables.BOX_TABLE}. Re-run the tracker on this sequence")
    return boxes


def sequence_aliases(name):
    """The spellings other toolkits use for a sequence name, ``name`` itself first."""
    aliases = [name]
    aliases.append(name[4:] if name.startswith("uav_") else f"uav_{name}")
    match = _TARGET_SUFFIX.match(name)
    if match:
        aliases += [f"{match.group(1)}{sep}{match.group(2)}" for sep in "-_."]
    if name == "Human4":
        aliases += ["Human4-2", "Human4_2", "Human4.2"]
    return list(dict.fromkeys(aliases))


@dataclass
class RunFile:
    """Where one run of one sequence lives."""

    boxes: Path
    times: Optional[Path] = None
    time_column: int = 0


@dataclass
class _Folder:
    """One directory listing, read once (result folders hold thousands of files)."""

    path: Path
    files: set = field(default_factory=set)
    dirs: set = field(default_factory=set)

    @classmethod
    def scan(cls, path):
        folder = cls(Path(path))
        try:
            with os.scandir(path) as entries:
                for entry in entries:
                    (folder.dirs if entry.is_dir() else folder.files).add(entry.name)
        except OSError:
            pass
        return folder

    def numbered(self, stem):
        """Run files ``<stem>_NNN.txt`` sorted by run number."""
        pattern = re.compile(re.escape(stem) + r"_(\d+)\.txt$")
        found = sorted((int(m.group(1)), name) for name in self.files if (m := pattern.match(name)))
        return [self.path / name for _, name in found]


def locate_runs(results_dir, names):
    """Run files of each sequence: (list per sequence of RunFile lists, list of problems)."""
    results_dir = Path(results_dir)
    if not results_dir.is_dir():
        return [[] for _ in names], [f"results folder {results_dir} does not exist"]
    top = _Folder.scan(results_dir)
    times_dir = _Folder.scan(results_dir / "times") if "times" in top.dirs else _Folder(results_dir / "times")
    repeats = sorted((int(m.group(1)), _Folder.scan(results_dir / d))
                     for d in top.dirs if (m := _REPEAT_DIR.match(d)) and int(m.group(1)) >= 2)
    found, missing = [], []
    for name in names:
        runs = _find_sequence(name, top, times_dir, repeats)
        if not runs:
            missing.append(name)
        found.append(runs)
    problems = []
    if missing:
        problems.append(f"{results_dir}: no results for {len(missing)} of {len(names)} sequences: "
                        f"{_shorten(missing)} (looked for <seq>.txt, <seq>/<seq>_001.txt and <seq>_001.txt)")
    counts = {len(runs) for runs in found if runs}
    if len(counts) > 1:
        by_count = {}
        for name, runs in zip(names, found):
            if runs:
                by_count.setdefault(len(runs), []).append(name)
        detail = "; ".join(f"{count} run(s): {_shorten(seqs, 5)}" for count, seqs in sorted(by_count.items()))
        problems.append(f"{results_dir}: sequences have different numbers of runs ({detail}); every run must "
                        "cover every sequence")
    return found, problems


def _find_sequence(name, top, times_dir, repeats):
    for stem in sequence_aliases(name):
        if f"{stem}.txt" in top.files:
            time_name = f"{stem}_time.txt"
            times = top.path / time_name if time_name in top.files else \
                times_dir.path / time_name if time_name in times_dir.files else None
            runs = [RunFile(top.path / f"{stem}.txt", times)]
            for _, folder in repeats:
                if f"{stem}.txt" in folder.files:
                    runs.append(RunFile(folder.path / f"{stem}.txt",
                                        folder.path / time_name if time_name in folder.files else None))
            return runs
        for folder in ([_Folder.scan(top.path / stem)] if stem in top.dirs else []) + [top]:
            numbered = folder.numbered(stem)
            if numbered:
                time_name = f"{stem}_time.txt"
                times = folder.path / time_name if time_name in folder.files else None
                return [RunFile(path, times, column) for column, path in enumerate(numbered)]
    return []


def _shorten(names, limit=10):
    shown = ", ".join(names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


@dataclass
class TrackerRuns:
    """The boxes (and per-frame seconds, None where unknown) of every run of one tracker."""

    name: str
    folder: Path
    boxes: list   # [run][sequence] -> (K, 4) array
    times: list   # [run][sequence] -> (K,) array or None


def load_results(name, results_dir, sequences, allow_longer=True):
    """Read and check every result file of one tracker: (TrackerRuns or None, problems).

    Each file needs one box per frame of its sequence (``len(sequence)``, test splits included).
    """
    names = [seq.name for seq in sequences]
    located, problems = locate_runs(results_dir, names)
    n_runs = max((len(runs) for runs in located), default=0)
    boxes = [[None] * len(names) for _ in range(n_runs)]
    times = [[None] * len(names) for _ in range(n_runs)]
    for index, (seq, runs) in enumerate(zip(sequences, located)):
        for run, files in enumerate(runs):  # every file found is checked, even when others are missing
            try:
                boxes[run][index] = validate_box_file(files.boxes, len(seq), allow_longer)
                times[run][index] = _run_times(files)
            except ResultsError as error:
                problems.append(str(error))
    return (None if problems else TrackerRuns(name, Path(results_dir), boxes, times)), problems


def _run_times(files):
    if files.times is None:
        return None
    table = read_times(files.times)
    if table.shape[1] > files.time_column:
        return table[:, files.time_column]
    return None
