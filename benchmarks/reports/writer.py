"""The report of an evaluation: summary (scores with their intervals), paired comparisons, per-sequence
and (LaSOT) per-attribute tables as Markdown, CSV and LaTeX, the sequences a length rule padded or
cut, the figures, and report.html, written as a whole (``folder.ReportFolder``: the files appear
together when all are written, or not at all).

Figures are described here and drawn by ``plots`` (in a process started ahead when the command
gives one).
"""
from pathlib import Path
from typing import Union

from simtrack.data.catalog import display_name
from simtrack.formats.atomic import atomic_write

from ..scoring.scores import Evaluation
from . import html_page, plots
from .folder import ReportFolder
from .summary import (
    attribute_table,
    comparison_display,
    comparison_table,
    display_table,
    length_notes,
    length_table,
    sequence_table,
    summary_table,
)
from .tables import Table, pivot


def write_table(table, path_stem, digits=1, caption=None, shown=None, footer=None):
    """Write ``<stem>.md``, ``<stem>.csv`` and ``<stem>.tex``; returns the paths. ``shown`` is the table
    the Markdown and LaTeX forms print (default ``table``; the CSV always holds ``table``), ``footer``
    lines go below the Markdown table and into the LaTeX caption."""
    stem = Path(path_stem)
    shown = table if shown is None else shown
    heading = f"{caption}\n\n" if caption else ""
    below = "".join(f"\n{line}\n" for line in footer or [])
    paths = [stem.with_suffix(".md"), stem.with_suffix(".csv"), stem.with_suffix(".tex")]
    label = f"tab:{stem.name}".replace("_", "-")
    latex_caption = " ".join([caption or ""] + list(footer or [])).strip() or None
    for path, text in zip(paths, (heading + shown.to_markdown(digits) + below, table.to_csv(),
                                  shown.to_latex(digits, latex_caption, label))):
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
    statistics = evaluation.statistics
    name = display_name(protocol.dataset)
    caption = f"{name}, {protocol.key} protocol: {protocol.description}"
    figures = plots.curve_figures(protocol, results, name, statistics)
    summary = summary_table(protocol, results, statistics)
    notes = length_notes(evaluation)
    summary.attrs["notes"] = notes
    footer = ([summary.attrs["intervals"]] if summary.attrs.get("intervals") else []) + \
        [f"Note: {note}" for note in notes]
    comparisons = comparison_table(statistics)
    changes = length_table(evaluation)
    sequences_long = sequence_table(protocol, sequences, results)
    attributes = attribute_table(protocol, sequences, results)
    if attributes is not None:
        figures.append(plots.attribute_figure(attributes, "attributes", f"AUC per attribute on {name}"))
    drawer = drawer or plots.Drawer()
    with ReportFolder(report_dir, results_root) as folder:
        try:
            write_table(summary, folder / "summary", caption=caption, shown=display_table(summary), footer=footer)
            if comparisons is not None:
                shown = comparison_display(comparisons)
                write_table(comparisons, folder / "comparison", caption=f"Paired comparisons, {caption}",
                            shown=shown, footer=[comparisons.attrs["method"]])
                summary.attrs["comparison"] = shown.to_markdown() + comparisons.attrs["method"]
            if changes is not None:
                atomic_write(folder / "length_rules.csv", changes.to_csv().encode("utf-8"), durable=False)
            atomic_write(folder / "per_sequence.csv", sequences_long.to_csv().encode("utf-8"), durable=False)
            main = protocol.main_metric
            per_sequence = pivot(sequences_long, main, ("Sequence", "Frames")).to_markdown()
            atomic_write(folder / "per_sequence.md",
                         f"{main} per sequence, {caption}\n\n{per_sequence}".encode("utf-8"), durable=False)
            if attributes is not None:
                atomic_write(folder / "attributes.csv", attributes.to_csv().encode("utf-8"), durable=False)
                write_table(pivot(attributes, "AUC", ("Attribute", "Sequences")), folder / "attributes_auc",
                            caption=f"AUC per attribute, {caption}")
            drawer.start(figures, folder, ("png", "pdf") if pdf else ("png",))   # a forked drawer draws meanwhile
            html_page.write_html_report(protocol, sequences, results, folder, summary, sequences_long, attributes,
                                        name, statistics=statistics, comparisons=comparisons, notes=notes)
            drawer.finish()
        except BaseException:
            drawer.abort()          # no figure may land in the staging folder once it is removed
            raise
    return summary
