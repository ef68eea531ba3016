"""Several datasets in one evaluation, as STARK's analysis does (``otb+nfs+uav+tc128ce``).

``--dataset otb100+nfs+uav123+tc128ce`` scores each dataset's sequences under that dataset's own
rules (per-frame rule, length rule, the toolkit's reading of the sequences), then pools every
sequence into one set: curves and scores are averaged over all sequences, each weighing the same
(as STARK's ``get_dataset('otb', 'nfs', 'uav', 'tc128ce')`` concatenation does), and the intervals and
comparisons resample the pooled set. The datasets must share the protocol's scoring (thresholds, how
scores are read off the curves); a score that one of them lacks (NP on TC128) is left out.

Each tracker's results are found per dataset: ``NAME`` means ``<results>/NAME/<dataset>`` for each
dataset; ``NAME=PATH`` is searched for each dataset's sequences (one folder holding them all, as
STARK writes them, or one subfolder per dataset). Sequence names that two datasets share are shown
as ``<dataset>/<name>``.
"""
from collections import Counter
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

import numpy as np

from simtrack.data import catalog, dataset_key
from simtrack.errors import ConfigError, DatasetError, ResultsError, problem_list

from . import metrics
from .metrics.lengths import REFUSE
from .result_files import ArchiveCaps, frame_caps, is_archive, open_results
from .scores import Evaluation, TrackerResult, compute, load_each

SEPARATOR = "+"
SHORT_NAMES = {"otb": "otb100", "uav": "uav123"}    # STARK's and pytracking's get_dataset names


def member_keys(dataset: str) -> list[str]:
    """The dataset keys a merged key joins (``otb+nfs`` -> ``['otb100', 'nfs']``); [] for a plain key."""
    if SEPARATOR not in str(dataset):
        return []
    parts = [part.strip() for part in str(dataset).split(SEPARATOR)]
    if not all(parts):
        raise ConfigError(f"--dataset {dataset!r}: empty name between '+' signs; write e.g. otb100+nfs+uav123")
    keys = [dataset_key(SHORT_NAMES.get(part, part)) for part in parts]
    repeated = sorted(key for key, count in Counter(keys).items() if count > 1)
    if repeated:
        raise ConfigError(f"--dataset {dataset!r} names {', '.join(repeated)} twice")
    return keys


def merged_key(dataset: str) -> str:
    """The canonical key of a merged dataset (``otb+uav`` -> ``otb100+uav123``), a plain key unchanged."""
    keys = member_keys(dataset)
    return SEPARATOR.join(keys) if keys else dataset


def merge_protocols(dataset, members):
    """One Protocol describing how the merged set is scored; ConfigError when the members' scoring differs."""
    first = members[0]
    for rules in members[1:]:
        for flag in ("pooled", "trapezoid", "success_inclusive", "speed"):
            if getattr(rules, flag) != getattr(first, flag):
                raise ConfigError(f"{catalog.display_name(first.dataset)} and {catalog.display_name(rules.dataset)} "
                                  f"are scored differently under the {first.key} protocol ({flag}); they cannot be "
                                  "merged into one evaluation")
        if not np.array_equal(rules.success_thresholds, first.success_thresholds):
            raise ConfigError(f"{catalog.display_name(first.dataset)} and {catalog.display_name(rules.dataset)} use "
                              f"different overlap thresholds under the {first.key} protocol; they cannot be merged")

    def common(name):
        arrays = [getattr(rules, name) for rules in members]
        if any(array is None for array in arrays) or not all(np.array_equal(array, arrays[0]) for array in arrays):
            return None
        return arrays[0]

    normalized = common("normalized_thresholds")
    if len({rules.normalized_mean for rules in members}) > 1:
        normalized = None
    groups: dict = {}
    for rules in members:
        groups.setdefault(rules.description, []).append(catalog.display_name(rules.dataset))
    description = "; ".join(f"{', '.join(names)}: {text}" for text, names in groups.items())
    return metrics.Protocol(first.key, dataset, f"each dataset under its own rules, all sequences pooled. "
                            f"{description}", _no_frame_rule, first.success_thresholds, common("precision_thresholds"),
                            normalized, first.success_inclusive, first.pooled, first.trapezoid,
                            first.normalized_mean and normalized is not None,
                            any(rules.drop_empty_sequences for rules in members), speed=first.speed,
                            needs_cover=any(rules.needs_cover for rules in members))


def _no_frame_rule(pred, truth, **_):
    raise ConfigError("a merged evaluation scores each dataset with its own per-frame rule; use the member protocols")


def score_merged(dataset, trackers, sequences, protocol=None):
    """The ``Evaluation`` of a merged dataset key (see the module docstring)."""
    keys = member_keys(dataset)
    strays = sorted({seq.dataset for seq in sequences} - set(keys))
    if strays:
        raise ConfigError(f"sequences of {', '.join(strays)} given to the merged evaluation {dataset}")
    members = {key: metrics.get_protocol(key, protocol) for key in keys}
    rules = merge_protocols(SEPARATOR.join(keys), list(members.values()))
    groups = {key: [seq for seq in sequences if seq.dataset == key] for key in keys}
    used = [key for key in keys if groups[key]]
    if not used:
        raise DatasetError(f"no sequences to evaluate in {dataset}: the datasets or the --sequences selection are empty")
    truths, notes, loaded, problems = {}, [], {}, []
    for key in used:
        groups[key], found = metrics.protocol_sequences(members[key], groups[key])
        notes += [f"{catalog.display_name(key)}: {note}" for note in found]
        truths[key] = metrics.GroundTruth.from_sequences(groups[key], members[key].needs_cover)
    shared = _open_archives(trackers, [seq for key in used for seq in groups[key]], [members[key] for key in used])
    try:
        for key in used:
            folders = {name: _folder(entry, key) for name, entry in trackers.items()}
            loaded[key], found = load_each(members[key], folders, groups[key], shared)
            problems += [f"{catalog.display_name(key)}, {problem}" for problem in found]
    finally:
        for folder in shared.values():
            folder.close()
    if problems:
        raise ResultsError("results are incomplete, nothing was evaluated:" + problem_list(problems))
    uses = Counter(seq.name for key in used for seq in groups[key])
    shown = {key: {seq.name: f"{key}/{seq.name}" if uses[seq.name] > 1 else seq.name for seq in groups[key]}
             for key in used}
    results = []
    for index, name in enumerate(trackers):
        parts = {key: compute(members[key], truths[key], loaded[key][index]) for key in used}
        results.append(_merge_results(rules, name, parts, shown))
    merged_sequences = [seq if seq.name == shown[key][seq.name] else replace(seq, name=shown[key][seq.name])
                        for key in used for seq in groups[key]]
    return Evaluation(rules, merged_sequences, results, notes, members=[members[key] for key in used])


def _open_archives(trackers, sequences, members):
    """The archives given as one ``NAME=PATH`` for every dataset, each opened once for all of them (a
    tar is decompressed on opening), capped for all their sequences: {path: ResultsFolder}."""
    paths = {Path(entry) for entry in trackers.values() if not isinstance(entry, Mapping)}
    caps = ArchiveCaps.of(frame_caps(sequences), any(rules.lengths.long != REFUSE for rules in members))
    shared = {}
    try:
        for path in sorted(paths):
            if path.is_file() and is_archive(path):
                shared[path] = open_results(path, caps)
    except BaseException:
        for folder in shared.values():
            folder.close()
        raise
    return shared


def _folder(entry, key):
    if isinstance(entry, Mapping):
        return Path(entry[key])
    return Path(entry)


def _merge_results(rules, name, parts, shown):
    counts = {key: len(part.runs) for key, part in parts.items()}
    if len(set(counts.values())) > 1:
        detail = ", ".join(f"{count} on {catalog.display_name(key)}" for key, count in counts.items())
        raise ResultsError(f"{name} has a different number of runs per dataset ({detail}); every run must cover "
                           "every dataset of a merged evaluation")
    runs, scores, curves, changes = [], [], [], []
    for run in range(next(iter(counts.values()))):
        stats = metrics.RunStats(**{field: _concat(rules, field, [part.runs[run] for part in parts.values()])
                                    for field in vars(next(iter(parts.values())).runs[run])})
        run_scores, run_curves = metrics.summarize(rules, stats)
        runs.append(stats)
        scores.append(run_scores)
        curves.append(run_curves)
        changes.append([replace(change, dataset=key, sequence=shown[key].get(change.sequence, change.sequence))
                        for key, part in parts.items() for change in part.length_changes[run]])
    boxes = [box for part in parts.values() for box in part.boxes] if all(p.boxes for p in parts.values()) else None
    values = {shown[key].get(sequence, sequence): errors for key, part in parts.items()
              for sequence, errors in (part.frame_values or {}).items()}
    return TrackerResult(name, runs, scores, curves, boxes, values or None, changes)


def _concat(rules, field, stats):
    if field in ("precision", "normalized") and getattr(rules, f"{field}_thresholds") is None:
        return None
    arrays = [getattr(item, field) for item in stats]
    if any(array is None for array in arrays):
        return None
    return np.concatenate(arrays)
