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
from pathlib import Path
from typing import Optional, Union

from simtrack.data.sequence import Sequence
from simtrack.errors import ConfigError
from simtrack.names import check_name

from . import metrics
from .merged import member_keys, score_merged
from .scores import Evaluation, compute, load_all
from .statistics import StatisticsSettings, analyse


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
        members = member_keys(dataset)
    trackers: dict[str, object] = {}
    for spec in specs:
        name, sep, folder = spec.partition("=")
        if not name or (sep and not folder):
            raise ConfigError(f"bad --trackers entry {spec!r}; expected NAME or NAME=RESULTS_DIR")
        check_name(name, "tracker name", "--trackers", ConfigError)     # shown in reports, a folder name
        if name in trackers:
            raise ConfigError(f"tracker name {name!r} is given twice in --trackers; names must be unique")
        if sep:
            trackers[name] = Path(folder)
        elif members:
            trackers[name] = {key: Path(results_root) / name / key for key in members}
        else:
            trackers[name] = Path(results_root) / name / dataset
    return trackers
