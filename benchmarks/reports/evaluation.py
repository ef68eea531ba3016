"""Scoring and its report in one call, for Python users: what ``python -m benchmarks.evaluate`` does.

    from benchmarks.reports import evaluate
    summary = evaluate("lasot", {"SimTrack": "results/sim-b16/lasot"}, load_dataset("lasot"))
"""
from collections.abc import Mapping
from collections.abc import Sequence as SequenceList
from pathlib import Path
from typing import Optional, Union

from simtrack.data.sequence import Sequence

from ..scoring.evaluation import score
from ..scoring.result_files import RESULTS_ROOT, report_folder
from ..scoring.statistics import StatisticsSettings
from .tables import Table
from .writer import write_report


def evaluate_table(dataset: str, trackers: Mapping[str, Union[str, Path]], sequences: SequenceList[Sequence],
                   protocol: Optional[str] = None, report_dir: Union[str, Path, None] = None, pdf: bool = False,
                   drawer=None, statistics: Optional[StatisticsSettings] = None) -> Table:
    """Score ``trackers`` ({name: results folder or archive}) on ``sequences`` of dataset key ``dataset``
    and write the report into ``report_dir`` (default ``results/reports/<dataset>``); returns the
    summary as a ``tables.Table`` (no pandas). ``drawer`` draws the figures (see ``write_report``);
    ``statistics`` sets the intervals and comparisons (default: 95 % intervals, 1,000 resamples)."""
    evaluation = score(dataset, trackers, sequences, protocol, statistics)
    if report_dir:
        return write_report(evaluation, Path(report_dir), pdf=pdf, drawer=drawer)
    # the default lies in the results folder, maybe a download: no link there may lead the report away
    return write_report(evaluation, report_folder(RESULTS_ROOT, dataset), pdf=pdf, drawer=drawer,
                        results_root=RESULTS_ROOT)


def evaluate(dataset: str, trackers: Mapping[str, Union[str, Path]], sequences: SequenceList[Sequence],
             protocol: Optional[str] = None, report_dir: Union[str, Path, None] = None, pdf: bool = False,
             statistics: Optional[StatisticsSettings] = None):
    """``evaluate_table`` returning the summary as a pandas DataFrame.

    One row per tracker (scores in percent, FPS in frames/s, ``<m> low`` / ``<m> high`` interval
    columns, ``<m> std`` columns for repeated runs); ``summary.attrs`` names the protocol and its
    rules. ``pdf`` adds PDF figures.
    """
    return evaluate_table(dataset, trackers, sequences, protocol, report_dir, pdf, statistics=statistics).to_dataframe()
