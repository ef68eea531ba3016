"""Provenance of result files: a resume only skips sequences whose files this runner wrote for
the same checkpoint, variant and speed options (SimTrack), or for the same tracker spec, options,
package version and source code (another ``--tracker``).

Each sequence run has a record, ``records/<sequence>.json`` in its run folder, written atomically
*before* its two result files: the sha256 of each file about to be written, the frame count and
the run's identity (checkpoint sha256, variant, speed options). A file is ours when a record of
this identity lists it with its checksum. Because the record comes first, a kill at any moment
leaves only files a record vouches for; a record whose files are missing (killed before they were
written) just means "track again".

One small file per sequence, never rewritten by another sequence, so several runner processes
(``--shard``) can write into one folder at once without sharing a file that all of them update.

Anything else in the places a run would write — result files without a record, a record that does
not parse or does not list them, a checksum that differs, a record of another identity, a
manifest that does not parse — is *unverified*: the run refuses before tracking, saying what it
found, unless ``--discard-unverified`` moves those files to ``discarded/<time>/`` first.
"""
import hashlib
import json
import os
import re
import time
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path

import simtrack
from simtrack.errors import ResultsError, listed
from simtrack.formats.atomic import atomic_write
from simtrack.formats.json_data import parse_json
from simtrack.formats.regular_files import read_regular
from simtrack.limits import MAX_RECORD_BYTES, table_bytes
from simtrack.names import check_inside, child_path

from .folders import result_files, result_paths, run_folder, tables_complete

RECORDS_FOLDER = "records"
DISCARD_FOLDER = "discarded"
RECORD_FORMAT = 1
MAX_LISTED = 5


def run_identity(checkpoint_sha256, variant, speed):
    """What must be equal for a resumed run to keep a sequence: weights, variant, speed options."""
    return {"checkpoint_sha256": checkpoint_sha256, "variant": variant, "speed": dict(sorted(speed.items()))}


def record_path(folder, name):
    return child_path(Path(folder) / RECORDS_FOLDER, name, ".json", error=ResultsError)


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def write_sequence(folder, name, boxes, times, identity):
    """Write the record of sequence ``name`` (checksums of the files to come), then its result files."""
    files = result_files(folder, name, boxes, times)
    record = {"format": RECORD_FORMAT, "writer": f"simtrack {simtrack.__version__} benchmarks.run",
              "sequence": name, "frames": len(boxes), "identity": identity,
              "files": {path.name: sha256(data) for path, data in files},
              "written": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
    atomic_write(record_path(folder, name), (json.dumps(record, indent=1) + "\n").encode())
    for path, data in files:
        atomic_write(path, data)


class State(Enum):
    """What a run folder holds for one sequence."""

    DONE = "done"              # ours and complete: a resume skips it
    TODO = "todo"              # nothing to keep: track it
    UNVERIFIED = "unverified"  # files to protect: refused unless --discard-unverified


@dataclass
class Verdict:
    """The ``State`` of one sequence in a run folder, the files that exist (for ``UNVERIFIED``: the
    ones to protect) and why."""

    state: State
    files: list[Path] = field(default_factory=list)
    reason: str = ""


def _read_record(path):
    """The record at ``path`` (None when absent); a ResultsError when it is there but unusable."""
    if not os.path.lexists(path):
        return None
    try:
        record = parse_json(read_regular(path, MAX_RECORD_BYTES, "record", ResultsError, follow=False), path.name,
                            ResultsError)
    except ResultsError as error:
        raise ResultsError(f"its record {path.name} does not parse ({error})") from None
    if not (isinstance(record, dict) and isinstance(record.get("files"), dict)
            and isinstance(record.get("identity"), dict)):
        raise ResultsError(f"its record {path.name} is not a provenance record of this toolkit")
    return record


def _flat(identity):
    speed = identity.get("speed")
    return {**{k: v for k, v in identity.items() if k != "speed"}, **(speed if isinstance(speed, dict) else {})}


def _shown(value):
    if value is None:
        return "default"      # an option recorded only when set (simtrack.speed.SpeedOptions.record)
    return f"{value[:12]}..." if isinstance(value, str) and len(value) == 64 else value   # a sha256


def _differences(recorded, identity):
    """``"precision fp32 (this run: bf16)"``-style phrases for what differs between two identities."""
    old, new = _flat(recorded), _flat(identity)
    return ", ".join(f"{key.replace('_', ' ')} {_shown(old.get(key))} (this run: {_shown(new.get(key))})"
                     for key in sorted(set(old) | set(new)) if old.get(key) != new.get(key))


def verify(folder, name, frames, identity):
    """The ``Verdict`` for sequence ``name`` of ``frames`` frames in run folder ``folder``."""
    paths = result_paths(folder, name)
    present = [path for path in paths if path.exists()]
    if not present:
        return Verdict(State.TODO)
    if any(not path.is_file() for path in present):
        return Verdict(State.UNVERIFIED, present, "is not a regular file")
    record_file = record_path(folder, name)
    try:
        record = _read_record(record_file)
    except ResultsError as error:
        return Verdict(State.UNVERIFIED, present + [record_file], str(error))
    if record is None:
        return Verdict(State.UNVERIFIED, present, f"no provenance record in {RECORDS_FOLDER}/ (not written by this "
                                              f"runner, or by a version before records existed)")
    if record["identity"] != identity:
        return Verdict(State.UNVERIFIED, present + [record_file],
                       f"written with {_differences(record['identity'], identity)} (rerun with those to resume)")
    contents = []
    for path in present:
        if path.name not in record["files"]:
            return Verdict(State.UNVERIFIED, present, f"{path.name} is not listed in its record")
        try:
            data = read_regular(path, table_bytes(frames), "result file", ResultsError, follow=False)
        except ResultsError as error:
            return Verdict(State.UNVERIFIED, present, str(error))
        if sha256(data) != record["files"][path.name]:
            return Verdict(State.UNVERIFIED, present, f"{path.name} differs from the checksum in its record "
                                                  f"(changed after the runner wrote it)")
        contents.append(data)
    if len(present) < len(paths):
        return Verdict(State.TODO, present)       # killed between its two files: ours, tracked again
    if not tables_complete(*contents, frames):
        return Verdict(State.UNVERIFIED, present, f"holds another number of frames than the sequence's {frames} "
                                              f"(another version of the dataset?)")
    return Verdict(State.DONE, present)


@dataclass
class Inspection:
    """What the folders of one run hold: the sequence runs already done and the unverified files."""

    folder: Path
    done: set[tuple[str, int]] = field(default_factory=set)                 # (sequence name, repeat)
    unverified: list[tuple[list[Path], str]] = field(default_factory=list)   # (files, reason)

    def refusal(self):
        """The one-line message of a refused run: the files found, grouped by what is wrong with them."""
        by_reason = {}
        for files, reason in self.unverified:
            by_reason.setdefault(reason, []).extend(self._relative(path) for path in files)
        count = sum(len(files) for files in by_reason.values())
        found = "; ".join(f"{reason}: {listed(files, MAX_LISTED)}" for reason, files in by_reason.items())
        return (f"{self.folder} holds {count} file(s) this runner cannot vouch for as results of this run ({found}); "
                f"they are never scored under this tracker's name and nothing was tracked or changed. Pass "
                f"another --tracker-name or --results to keep them apart, or --discard-unverified to move them "
                f"to {self.folder / DISCARD_FOLDER}/ and track those sequences again")

    def _relative(self, path):
        """``path`` relative to the run folder; a path elsewhere is refused (joined to the discard folder,
        an absolute path would replace it)."""
        try:
            return str(Path(path).relative_to(self.folder))
        except ValueError:
            raise ResultsError(f"{path} lies outside the run folder {self.folder}; refused") from None

    def discard(self):
        """Move every unverified file to ``discarded/<time>/`` (same relative path); returns that folder.

        Source and destination, links resolved, must lie in the run folder: a linked ``discarded/`` or
        ``repeat<k>/`` must not make the move take or leave a file elsewhere."""
        target = self.folder / DISCARD_FOLDER / f"{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}"
        for files, _ in self.unverified:
            for path in files:
                destination = check_inside(target / self._relative(path), self.folder, ResultsError)
                check_inside(path, self.folder, ResultsError)
                destination.parent.mkdir(parents=True, exist_ok=True)
                Path(path).replace(destination)
        self.unverified = []
        return target


def _last_repeat_on_disk(folder):
    """The highest k of the ``repeat<k>`` folders present: the evaluation reads every one of them,
    so files there are verified too, even beyond this run's ``--repeat``."""
    try:
        found = [int(entry.name[6:]) for entry in os.scandir(folder)
                 if entry.is_dir() and re.fullmatch(r"repeat\d+", entry.name)]
    except OSError:
        return 1
    return max(found, default=1)


def inspect(results_root, tracker_name, dataset, sequences, repeats, identity, manifest_problem=None):
    """Verify what every run folder of a run holds for its ``sequences``; reads, never writes.

    ``done`` only matters for repeats 1..``repeats``; folders of further repeats are checked so that
    nothing unverified is evaluated with the run.

    ``manifest_problem``: ``(path, reason)`` when the dataset folder's manifest is unusable.
    """
    inspection = Inspection(run_folder(results_root, tracker_name, dataset))
    if manifest_problem is not None:
        inspection.unverified.append(([manifest_problem[0]], manifest_problem[1]))
    for repeat in range(1, max(repeats, _last_repeat_on_disk(inspection.folder)) + 1):
        folder = run_folder(results_root, tracker_name, dataset, repeat)
        if not folder.is_dir():
            continue
        for sequence in sequences:
            verdict = verify(folder, sequence.name, len(sequence), identity)
            if verdict.state is State.DONE:
                inspection.done.add((sequence.name, repeat))
            elif verdict.state is State.UNVERIFIED:
                inspection.unverified.append((verdict.files, verdict.reason))
    return inspection
