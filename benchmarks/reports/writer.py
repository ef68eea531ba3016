"""The report of an evaluation: summary, per-sequence and (LaSOT) per-attribute tables as Markdown, CSV
and LaTeX, the figures, and report.html, written as a whole (``folder.ReportFolder``: the files
appear together when all are written, or not at all).

Figures are described here and drawn by ``plots`` (in a process started ahead when the command
gives one).
"""
from pathlib import Path
from typing import Union

from simtrack.data.catalog import display_name
from simtrack.formats.atomic import atomic_write

from ..scoring.evaluation import Evaluation
from . import html_page, plots
from .folder import ReportFolder
from .summary import attribute_table, sequence_table, summary_table
from .tables import Table, pivot


def write_table(table, path_stem, digits=1, caption=None):
    """Write ``<stem>.md``, ``<stem>.csv`` and ``<stem>.tex``; returns the paths."""
    stem = Path(path_stem)
    heading = f"{caption}\n\n" if caption else ""
    paths = [stem.with_suffix(".md"), stem.with_suffix(".csv"), stem.with_suffix(".tex")]
    label = f"tab:{stem.name}".replace("_", "-")
    for path, text in zip(paths, (heading + table.to_markdown(digits), table.to_csv(),
                                  table.to_latex(digits, caption, label))):
        atomic_write(path, text.encode("utf-8"), durable=False)
    return paths


def write_report(evaluation: Evaluation, report_dir: Union[str, Path], pdf: bool = False, drawer=None,
                 results_root: Union[str, Path, None] = None) -> Table:
    """Write every table and figure of ``evaluation``, and report.html, into ``report_dir`` (replacing
    the report there as a whole); returns the summary ``Table``.

    ``pdf`` adds a PDF of each figure next to its PNG. ``drawer`` (a ``plots.Drawer`` or
    ``drawer.ForkedDrawer``) draws the figures; by default they are drawn in this process.
    ``results_root``: the results folder ``report_dir`` lies in by default, where no symbolic link
    may lead the report elsewhere.
    """
    protocol, sequences, results = evaluation.protocol, evaluation.sequences, evaluation.results
    name = display_name(protocol.dataset)
    caption = f"{name}, {protocol.key} protocol: {protocol.description}"
    figures = plots.curve_figures(protocol, results, name)
    summary = summary_table(protocol, results)
    sequences_long = sequence_table(protocol, sequences, results)
    attributes = attribute_table(protocol, sequences, results)
    drawer = drawer or plots.Drawer()
    with ReportFolder(report_dir, results_root) as folder:
        try:
            write_table(summary, folder / "summary", caption=caption)
            atomic_write(folder / "per_sequence.csv", sequences_long.to_csv().encode("utf-8"), durable=False)
            main = protocol.main_metric
            per_sequence = pivot(sequences_long, main, ("Sequence", "Frames")).to_markdown()
            atomic_write(folder / "per_sequence.md",
                         f"{main} per sequence, {caption}\n\n{per_sequence}".encode("utf-8"), durable=False)
            if attributes is not None:
                atomic_write(folder / "attributes.csv", attributes.to_csv().encode("utf-8"), durable=False)
                write_table(pivot(attributes, "AUC", ("Attribute", "Sequences")), folder / "attributes_auc",
                            caption=f"AUC per attribute, {caption}")
                figures.append(plots.attribute_figure(attributes, "attributes", f"AUC per attribute on {name}"))
            drawer.start(figures, folder, ("png", "pdf") if pdf else ("png",))   # a forked drawer draws meanwhile
            html_page.write_html_report(protocol, sequences, results, folder, summary, sequences_long, attributes,
                                        name)
            drawer.finish()
        except BaseException:
            drawer.abort()          # no figure may land in the staging folder once it is removed
            raise
    return summary
