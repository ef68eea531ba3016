"""Server zips for GOT-10k test and TrackingNet test, built from result files and validated.

* GOT-10k: ``<seq>/<seq>_001.txt`` (``_002``... for further runs) and ``<seq>/<seq>_time.txt`` (per-frame
  seconds, one column per run) for every test sequence, at the zip root.
* TrackingNet: ``<seq>.txt`` for every test sequence at the zip root (first run only).

Boxes are written as ``x,y,w,h`` comma-separated floats, one line per frame including frame 1.
Result files are only read, never moved. Every zip is checked by ``validate_submission`` before it is kept, and a zip that fails is removed.
Only annotations and result files are needed: a test sequence whose frames are not on disk takes
its frame count from its first run's file, which every other run and the time file must match.
"""
import re
import zipfile
from pathlib import Path

import numpy as np

from simtrack.data import catalog
from simtrack.errors import ConfigError, SubmissionError, listed, problem_list
from simtrack.formats.atomic import replacing
from simtrack.formats.box_tables import format_boxes, format_seconds, strict_table_problems
from simtrack.names import check_name

from . import archives
from .result_files import ArchiveCaps, file_cap, frame_caps, load_results


def server(dataset):
    """The server that scores dataset key ``dataset``; a ConfigError for a dataset with public ground truth."""
    found = catalog.server(dataset)
    if found is None:
        raise ConfigError(f"no submission format for dataset {dataset!r}; choose one of "
                          f"{', '.join(catalog.server_keys())}")
    return found


def _refuse(subject, problems):
    raise SubmissionError(f"{subject} ({len(problems)} problem(s)):" + problem_list(problems))


def submission_members(dataset, tracker_runs, sequences):
    """(zip member name, text) pairs of a submission, and the problems that prevent it."""
    members, problems = [], []
    for index, seq in enumerate(sequences):
        check_name(seq.name, "sequence name", dataset, SubmissionError)     # it becomes a member path
        boxes = [run[index] for run in tracker_runs.boxes]
        if dataset == "trackingnet":
            boxes = boxes[:1]
        for run, run_boxes in enumerate(boxes, 1):
            if not np.isfinite(run_boxes).all():
                frame = int(np.flatnonzero(~np.isfinite(run_boxes).all(1))[0]) + 1
                problems.append(f"{seq.name} run {run}: frame {frame} has a non-finite box; the servers need "
                                "finite numbers on every line (re-run the tracker on this sequence)")
        if dataset == "trackingnet":
            members.append((f"{seq.name}.txt", format_boxes(boxes[0])))
            continue
        members += [(f"{seq.name}/{seq.name}_{run:03d}.txt", format_boxes(run_boxes))
                    for run, run_boxes in enumerate(boxes, 1)]
        times = [run[index] for run in tracker_runs.times]
        frames = len(seq) if seq.length_known else len(boxes[0])
        if any(t is None or len(t) != frames for t in times):
            problems.append(f"{seq.name}: per-frame times missing or not one per frame for some run (the GOT-10k "
                            f"server needs {seq.name}_time.txt next to the boxes)")
            continue
        members.append((f"{seq.name}/{seq.name}_time.txt", format_seconds(np.stack(times, 1))))
    return members, problems


def make_submission(dataset, tracker_name, results_dir, sequences, out_path=None):
    """Build and validate the server zip of one tracker; returns its path.

    ``out_path`` defaults to ``<results_dir>/../<dataset>.zip``, i.e. ``results/<tracker>/<dataset>.zip``.
    """
    destination = server(dataset)
    runs, problems = load_results(tracker_name, results_dir, sequences, allow_longer=False)
    members = []
    if runs is not None:
        members, problems = submission_members(dataset, runs, sequences)
    if problems:
        _refuse(f"cannot build the {destination} zip of {tracker_name} from {results_dir}", problems)
    out_path = Path(out_path) if out_path else Path(results_dir).parent / f"{dataset}.zip"
    with replacing(out_path, durable=False) as temporary:   # the umask decides the zip's mode
        with zipfile.ZipFile(temporary, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, text in members:
                archive.writestr(name, text)
        validate_submission(temporary, sequences)
    return out_path


# ----------------------------------------------------------------------------------------------
# Validation

def _nested_hint(files, depth):
    """A message when every member sits one folder too deep (a zipped folder instead of its contents)."""
    tops = {name.split("/", 1)[0] for name in files}
    if files and len(tops) == 1 and all(name.count("/") == depth + 1 for name in files):
        return (f"every file is inside the folder '{tops.pop()}/'; the server expects them at the zip root "
                "(zip the folder's contents, not the folder)")
    return None


def _check_got10k(archive, files, sequences, problems):
    by_sequence: dict[str, list[str]] = {}
    for name in files:
        parts = name.split("/")
        if len(parts) != 2:
            problems.append(f"unexpected member {name}: expected <sequence>/<file> at the zip root")
            continue
        by_sequence.setdefault(parts[0], []).append(parts[1])
    expected = {seq.name: seq for seq in sequences}
    missing = [name for name in expected if name not in by_sequence]
    extra = sorted(set(by_sequence) - set(expected))
    if missing:
        problems.append(f"missing {len(missing)} sequence folder(s): {listed(missing)}")
    if extra:
        problems.append(f"{len(extra)} folder(s) that are not test sequences: {listed(extra)}")
    for name, seq in expected.items():
        if name not in by_sequence:
            continue
        pattern = re.compile(re.escape(name) + r"_(\d{3})\.txt$")
        runs = sorted(f for f in by_sequence[name] if pattern.match(f))
        tables = [(f"{name}/{run}", _read(archive, f"{name}/{run}", seq)) for run in runs]
        frames = _frame_count(seq, tables[0][1] if tables else None)
        others = sorted(set(by_sequence[name]) - set(runs) - {f"{name}_time.txt"})
        if f"{name}_001.txt" not in runs:
            problems.append(f"{name}/: no {name}_001.txt box file")
        if others:
            problems.append(f"{name}/: unexpected file(s) {', '.join(others)}")
        for member, data in tables:
            problems += strict_table_problems(data, member, frames, 4)
        if f"{name}_time.txt" not in by_sequence[name]:
            problems.append(f"{name}/: no {name}_time.txt (per-frame seconds, one column per run)")
        else:
            problems += strict_table_problems(_read(archive, f"{name}/{name}_time.txt", seq),
                                              f"{name}/{name}_time.txt", frames)


def _read(archive, member, seq):
    """A member of at most the bytes a table of ``seq``'s length can hold (``simtrack.limits``)."""
    return archive.read(member, *file_cap(len(seq) if seq.length_known else None))


def _frame_count(seq, data):
    """The sequence's length, or for a test sequence read without frames the line count of ``data``
    (its first run's member, as read for its own check)."""
    if seq.length_known or data is None:
        return len(seq)
    return sum(1 for line in data.splitlines() if line.strip())


def unchecked_lengths(sequences):
    """How many sequences have no known frame count (frames not on disk): the zip defines their length."""
    return sum(not seq.length_known for seq in sequences)


def _check_trackingnet(archive, files, sequences, problems):
    nested = [name for name in files if "/" in name]
    for name in nested:
        problems.append(f"unexpected member {name}: result files go at the zip root as <sequence>.txt")
    top = {name for name in files if "/" not in name}
    expected = {f"{seq.name}.txt": seq for seq in sequences}
    missing = [name[:-4] for name in expected if name not in top]
    extra = sorted(top - set(expected))
    if missing:
        problems.append(f"missing {len(missing)} sequence file(s): {listed(missing)}")
    if extra:
        problems.append(f"{len(extra)} file(s) that are not test sequences: {listed(extra)}")
    for name, seq in expected.items():
        if name in top:
            data = _read(archive, name, seq)
            problems += strict_table_problems(data, name, _frame_count(seq, data), 4)


def validate_submission(zip_path, sequences):
    """Check a server zip against the split's ``sequences``; SubmissionError lists every problem.

    The dataset (``got10k_test`` or ``trackingnet``) is taken from the sequences.
    """
    if not sequences:
        raise SubmissionError("no sequences to validate against: load the test split first")
    dataset = sequences[0].dataset
    destination = server(dataset)
    caps = ArchiveCaps.of(frame_caps(sequences))
    with archives.open_archive(zip_path, caps.members, caps.total, caps.member, SubmissionError, "zip file",
                               suffix=".zip") as archive:
        files = archive.names
        problems = []
        hint = _nested_hint(files, 1 if dataset == "got10k_test" else 0)
        if hint:
            problems.append(hint)
        else:
            check = _check_got10k if dataset == "got10k_test" else _check_trackingnet
            check(archive, files, sequences, problems)
    if problems:
        _refuse(f"{zip_path} is not a valid {destination} submission", problems)
