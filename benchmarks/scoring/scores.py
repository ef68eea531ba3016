"""What scoring produces: one ``TrackerResult`` per tracker and the ``Evaluation`` that holds them,
and the two steps that make a ``TrackerResult``: reading a tracker's result files (``load_all``),
then turning its runs into numbers (``compute``). ``evaluation.score`` (one dataset) and
``merged.score_merged`` (several) are built from these.
"""
from collections.abc import Mapping
from collections.abc import Sequence as SequenceList
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

import numpy as np

from simtrack.data.sequence import Sequence
from simtrack.errors import ResultsError, problem_list

from . import metrics
from .result_files import ResultsFolder, TrackerRuns, load_results
from .statistics import Statistics


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


@contextmanager
def named_refusals(tracker_runs: TrackerRuns):
    """A ResultsError raised inside (a file the length rule refuses) names the tracker and its folder."""
    try:
        yield
    except ResultsError as error:
        raise ResultsError(f"{tracker_runs.name} ({tracker_runs.folder}): {error}") from None


def compute(protocol: metrics.Protocol, truth: metrics.GroundTruth, tracker_runs: TrackerRuns) -> TrackerResult:
    """The ``TrackerResult`` of one tracker's loaded runs."""
    runs: list[metrics.RunStats] = []
    scores: list[dict[str, float]] = []
    curves: list[dict[str, np.ndarray]] = []
    frame_values: dict[str, metrics.FrameErrors] = {}
    changes: list[list[metrics.LengthChange]] = []
    fitted: list[np.ndarray] = []
    for boxes, times in zip(tracker_runs.boxes, tracker_runs.times):
        changes.append([])
        with named_refusals(tracker_runs):
            stats = metrics.evaluate_run(protocol, truth, boxes, times, frame_values if not runs else None,
                                         changes[-1], fitted if not runs else None)
        run_scores, run_curves = metrics.summarize(protocol, stats)
        runs.append(stats)
        scores.append(run_scores)
        curves.append(run_curves)
    boxes = fitted if changes[0] else tracker_runs.boxes[0]
    return TrackerResult(tracker_runs.name, runs, scores, curves, boxes, frame_values, changes)


def load_all(protocol: metrics.Protocol, trackers: Mapping[str, Path],
             sequences: SequenceList[Sequence]) -> list[TrackerRuns]:
    """Load every tracker's runs; one ResultsError listing every problem of every tracker."""
    loaded, problems = load_each(protocol, trackers, sequences)
    if problems:
        raise ResultsError("results are incomplete, nothing was evaluated:" + problem_list(problems))
    return loaded


def load_each(protocol: metrics.Protocol, trackers: Mapping[str, Path], sequences: SequenceList[Sequence],
              opened: Optional[Mapping[Path, ResultsFolder]] = None) -> "tuple[list, list[str]]":
    """Every tracker's runs (None where a problem was found) and every problem, '<tracker>: <problem>';
    ``opened`` holds results already open ({path: ResultsFolder}), read instead of opening them again."""
    loaded, problems = [], []
    for name, folder in trackers.items():
        runs, found = load_results(name, folder, sequences, protocol.lengths,
                                   opened=(opened or {}).get(Path(folder)))
        problems += [f"{name}: {problem}" for problem in found]
        loaded.append(runs)
    return loaded, problems
