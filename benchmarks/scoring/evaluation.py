"""Scoring trackers' results on a benchmark: every file checked, then every run turned into numbers.

``score`` is the whole step: it reads every tracker's result files (all sequences present, one box
per frame, the same number of runs everywhere) before computing anything, and returns an
``Evaluation`` that ``benchmarks.reports`` turns into tables, figures and report.html.
"""
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Mapping, Optional, Union
from typing import Sequence as SequenceList

import numpy as np

from simtrack.data.sequence import Sequence
from simtrack.errors import ConfigError, ResultsError, problem_list
from simtrack.names import check_name

from . import metrics
from .result_files import TrackerRuns, load_results


@dataclass
class TrackerResult:
    """One tracker's per-run statistics, scores (fractions) and mean curves, and for the report's
    per-frame views the boxes of its first run (one array per sequence) with their per-frame values
    under the protocol's rules (computed in the same pass as the scores)."""

    name: str
    runs: List[metrics.RunStats]
    scores: List[Dict[str, float]]
    curves: List[Dict[str, np.ndarray]]
    boxes: Optional[List[np.ndarray]] = None
    frame_values: Optional[Dict[str, metrics.FrameErrors]] = None


@dataclass
class Evaluation:
    """The numbers of one evaluation: the protocol, the sequences scored and each tracker's result."""

    protocol: metrics.Protocol
    sequences: List[Sequence]
    results: List[TrackerResult]


def compute(protocol: metrics.Protocol, truth: metrics.GroundTruth, tracker_runs: TrackerRuns) -> TrackerResult:
    """The ``TrackerResult`` of one tracker's loaded runs."""
    runs: list[metrics.RunStats] = []
    scores: list[dict[str, float]] = []
    curves: list[dict[str, np.ndarray]] = []
    frame_values: dict[str, metrics.FrameErrors] = {}
    for boxes, times in zip(tracker_runs.boxes, tracker_runs.times):
        try:
            stats = metrics.evaluate_run(protocol, truth, boxes, times, frame_values if not runs else None)
        except ResultsError as error:
            raise ResultsError(f"{tracker_runs.name} ({tracker_runs.folder}): {error}") from None
        run_scores, run_curves = metrics.summarize(protocol, stats)
        runs.append(stats)
        scores.append(run_scores)
        curves.append(run_curves)
    return TrackerResult(tracker_runs.name, runs, scores, curves, tracker_runs.boxes[0], frame_values)


def load_all(protocol: metrics.Protocol, trackers: Mapping[str, Path],
             sequences: SequenceList[Sequence]) -> List[TrackerRuns]:
    """Load every tracker's runs; one ResultsError listing every problem of every tracker."""
    loaded, problems = [], []
    for name, folder in trackers.items():
        runs, found = load_results(name, folder, sequences, protocol.allow_longer)
        problems += [f"{name}: {problem}" for problem in found]
        loaded.append(runs)
    if problems:
        raise ResultsError("results are incomplete, nothing was evaluated:" + problem_list(problems))
    return loaded


def score(dataset: str, trackers: Mapping[str, Union[str, Path]], sequences: SequenceList[Sequence],
          protocol: Optional[str] = None) -> Evaluation:
    """Score ``trackers`` ({name: results folder or archive}) on ``sequences`` of dataset key ``dataset``
    under ``protocol`` (default: the benchmark's official rules)."""
    if not trackers:
        raise ConfigError("no trackers to evaluate; give at least one NAME or NAME=RESULTS_DIR")
    rules = metrics.get_protocol(dataset, protocol)
    truth = metrics.GroundTruth.from_sequences(sequences, rules.needs_cover)
    folders = {name: Path(folder) for name, folder in trackers.items()}
    results = [compute(rules, truth, runs) for runs in load_all(rules, folders, sequences)]
    return Evaluation(rules, list(sequences), results)


def tracker_folders(specs: SequenceList[str], results_root: Union[str, Path], dataset: str) -> Dict[str, Path]:
    """``--trackers`` entries as ``{name: results}``: ``NAME`` is ``<results_root>/<NAME>/<dataset>``,
    ``NAME=PATH`` a folder or archive anywhere."""
    trackers: Dict[str, Path] = {}
    for spec in specs:
        name, sep, folder = spec.partition("=")
        if not name or (sep and not folder):
            raise ConfigError(f"bad --trackers entry {spec!r}; expected NAME or NAME=RESULTS_DIR")
        check_name(name, "tracker name", "--trackers", ConfigError)     # shown in reports, a folder name
        if name in trackers:
            raise ConfigError(f"tracker name {name!r} is given twice in --trackers; names must be unique")
        trackers[name] = Path(folder) if sep else Path(results_root) / name / dataset
    return trackers
