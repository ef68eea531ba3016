"""Scoring trackers' results on a benchmark: every file checked, then every run turned into numbers.

``score`` is the whole step: it reads every tracker's result files (all sequences present, one box
per frame or what the protocol's toolkit accepts instead, the same number of runs everywhere)
before computing anything, and returns an ``Evaluation`` that ``benchmarks.reports`` turns into
tables, figures and report.html: the scores, every sequence a length rule padded or cut, the
intervals over sequences and the paired comparisons (``statistics``). A dataset key joining several
with ``+`` (``otb100+nfs+uav123+tc128ce``) is one merged evaluation (``merged``).
"""
from collections.abc import Mapping
from collections.abc import Sequence as SequenceList
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional, Union

import numpy as np

from simtrack.data.sequence import Sequence
from simtrack.errors import ConfigError, ResultsError, problem_list

from . import metrics
from .result_files import TrackerRuns, load_results
from .statistics import Statistics, StatisticsSettings, analyse


@dataclass
class TrackerResult:
    """One tracker's per-run statistics, scores (fractions) and mean curves, and for the report's
    per-frame views the boxes of its first run (one array per sequence, cut or padded as the length
    rule scores them) with their per-frame values under the protocol's rules (computed in the same
    pass as the scores); ``length_changes`` lists, per run, the sequences the length rule touched."""

    name: str
    runs: list[metrics.RunStats]
    scores: list[dict[str, float]]
    curves: list[dict[str, np.ndarray]]
    boxes: Optional[list[np.ndarray]] = None
    frame_values: Optional[dict[str, metrics.FrameErrors]] = None
    length_changes: list[list[metrics.LengthChange]] = field(default_factory=list)   # per run


@dataclass
class Evaluation:
    """The numbers of one evaluation: the protocol, the sequences scored and each tracker's result;
    ``notes`` on sequences read differently under this protocol, ``statistics`` the intervals and
    comparisons, ``members`` the protocol of each dataset of a merged evaluation."""

    protocol: metrics.Protocol
    sequences: list[Sequence]
    results: list[TrackerResult]
    notes: list[str] = field(default_factory=list)
    statistics: Optional[Statistics] = None
    members: list[metrics.Protocol] = field(default_factory=list)

    def length_rules(self):
        """(protocol, LengthRule) of every dataset scored (one, or each member of a merged evaluation)."""
        return [(rules, rules.lengths) for rules in (self.members or [self.protocol])]


def compute(protocol: metrics.Protocol, truth: metrics.GroundTruth, tracker_runs: TrackerRuns) -> TrackerResult:
    """The ``TrackerResult`` of one tracker's loaded runs."""
    runs: list[metrics.RunStats] = []
    scores: list[dict[str, float]] = []
    curves: list[dict[str, np.ndarray]] = []
    frame_values: dict[str, metrics.FrameErrors] = {}
    changes: list[list[metrics.LengthChange]] = []
    for boxes, times in zip(tracker_runs.boxes, tracker_runs.times):
        changes.append([])
        try:
            stats = metrics.evaluate_run(protocol, truth, boxes, times, frame_values if not runs else None,
                                         changes[-1])
        except ResultsError as error:
            raise ResultsError(f"{tracker_runs.name} ({tracker_runs.folder}): {error}") from None
        run_scores, run_curves = metrics.summarize(protocol, stats)
        runs.append(stats)
        scores.append(run_scores)
        curves.append(run_curves)
    boxes = metrics.fitted_boxes(protocol, truth, tracker_runs.boxes[0]) if changes[0] else tracker_runs.boxes[0]
    return TrackerResult(tracker_runs.name, runs, scores, curves, boxes, frame_values, changes)


def load_all(protocol: metrics.Protocol, trackers: Mapping[str, Path],
             sequences: SequenceList[Sequence]) -> list[TrackerRuns]:
    """Load every tracker's runs; one ResultsError listing every problem of every tracker."""
    loaded, problems = load_each(protocol, trackers, sequences)
    if problems:
        raise ResultsError("results are incomplete, nothing was evaluated:" + problem_list(problems))
    return loaded


def load_each(protocol: metrics.Protocol, trackers: Mapping[str, Path],
              sequences: SequenceList[Sequence]) -> "tuple[list, list[str]]":
    """Every tracker's runs (None where a problem was found) and every problem, '<tracker>: <problem>'."""
    loaded, problems = [], []
    for name, folder in trackers.items():
        runs, found = load_results(name, folder, sequences, protocol.lengths)
        problems += [f"{name}: {problem}" for problem in found]
        loaded.append(runs)
    return loaded, problems


def score(dataset: str, trackers: Mapping[str, Union[str, Path, Mapping[str, Union[str, Path]]]],
          sequences: SequenceList[Sequence], protocol: Optional[str] = None,
          statistics: Optional[StatisticsSettings] = None) -> Evaluation:
    """Score ``trackers`` ({name: results folder or archive}) on ``sequences`` of dataset key ``dataset``
    under ``protocol`` (default: the benchmark's official rules), with the intervals and comparisons
    of ``statistics`` (default: 95 % intervals from 1,000 resamples, no comparison).

    A merged key (``otb100+nfs``) scores each sequence under its own dataset's rules (``merged``); a
    tracker's entry may then map each dataset key to its folder.
    """
    if not trackers:
        raise ConfigError("no trackers to evaluate; give at least one NAME or NAME=RESULTS_DIR")
    settings = statistics if statistics is not None else StatisticsSettings()
    if "+" in dataset:
        from .merged import score_merged  # imports this module
        evaluation = score_merged(dataset, trackers, sequences, protocol)
    else:
        rules = metrics.get_protocol(dataset, protocol)
        sequences, notes = metrics.protocol_sequences(rules, sequences)
        truth = metrics.GroundTruth.from_sequences(sequences, rules.needs_cover)
        folders = {name: Path(folder) for name, folder in trackers.items()}   # type: ignore[arg-type]
        results = [compute(rules, truth, runs) for runs in load_all(rules, folders, sequences)]
        evaluation = Evaluation(rules, list(sequences), results, notes)
    evaluation.statistics = analyse(evaluation.protocol, evaluation.results, settings, len(evaluation.sequences))
    return evaluation


def tracker_folders(specs: SequenceList[str], results_root: Union[str, Path], dataset: str) -> dict[str, object]:
    """``--trackers`` entries as ``{name: results}``: ``NAME`` is ``<results_root>/<NAME>/<dataset>``
    (for a merged key, ``{dataset: <results_root>/<NAME>/<dataset>}`` per member), ``NAME=PATH`` a
    folder or archive anywhere."""
    members = []
    if "+" in dataset:
        from .merged import member_keys
        members = member_keys(dataset)
    trackers: dict[str, object] = {}
    for spec in specs:
        name, sep, folder = spec.partition("=")
        if not name or (sep and not folder):
            raise ConfigError(f"bad --trackers entry {spec!r}; expected NAME or NAME=RESULTS_DIR")
        if name in trackers:
            raise ConfigError(f"tracker name {name!r} is given twice in --trackers; names must be unique")
        if sep:
            trackers[name] = Path(folder)
        elif members:
            trackers[name] = {key: Path(results_root) / name / key for key in members}
        else:
            trackers[name] = Path(results_root) / name / dataset
    return trackers
