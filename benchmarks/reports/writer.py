"""The report of an evaluation: summary (scores with their intervals), paired comparisons, per-sequence
and (LaSOT) per-attribute tables as Markdown, CSV and LaTeX, the sequences a length rule padded or
cut, the figures, and report.html, every file written atomically.

Figures are described here and drawn by ``plots`` (in a process started ahead when the command
gives one).
"""
from pathlib import Path
from typing import Union

from simtrack.data.catalog import display_name
from simtrack.formats.atomic import atomic_write

from ..scoring.scores import Evaluation
from . import html_page, plots
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


def write_report(evaluation: Evaluation, report_dir: Union[str, Path], pdf: bool = False, drawer=None) -> Table:
    """Write every table and figure of ``evaluation``, and report.html, into ``report_dir``; returns the
    summary ``Table``.

    ``pdf`` adds a PDF of each figure next to its PNG. ``drawer`` (a ``plots.Drawer`` or
    ``drawer.ForkedDrawer``) draws the figures; by default they are drawn in this process.
    """
    protocol, sequences, results = evaluation.protocol, evaluation.sequences, evaluation.results
    statistics = evaluation.statistics
    report_dir = Path(report_dir)
    name = display_name(protocol.dataset)
    caption = f"{name}, {protocol.key} protocol: {protocol.description}"
    figures = plots.curve_figures(protocol, results, name, statistics)
    summary = summary_table(protocol, results, statistics)
    notes = length_notes(evaluation)
    summary.attrs["notes"] = notes
    footer = ([summary.attrs["intervals"]] if summary.attrs.get("intervals") else []) + \
        [f"Note: {note}" for note in notes]
    write_table(summary, report_dir / "summary", caption=caption, shown=display_table(summary), footer=footer)
    comparisons = comparison_table(statistics)
    if comparisons is not None:
        shown = comparison_display(comparisons)
        write_table(comparisons, report_dir / "comparison", caption=f"Paired comparisons, {caption}", shown=shown,
                    footer=[comparisons.attrs["method"]])
        summary.attrs["comparison"] = shown.to_markdown() + comparisons.attrs["method"]
    changes = length_table(evaluation)
    if changes is not None:
        atomic_write(report_dir / "length_rules.csv", changes.to_csv().encode("utf-8"), durable=False)
    sequences_long = sequence_table(protocol, sequences, results)
    atomic_write(report_dir / "per_sequence.csv", sequences_long.to_csv().encode("utf-8"), durable=False)
    main = protocol.main_metric
    per_sequence = pivot(sequences_long, main, ("Sequence", "Frames")).to_markdown()
    atomic_write(report_dir / "per_sequence.md", f"{main} per sequence, {caption}\n\n{per_sequence}".encode("utf-8"),
                 durable=False)
    attributes = attribute_table(protocol, sequences, results)
    if attributes is not None:
        atomic_write(report_dir / "attributes.csv", attributes.to_csv().encode("utf-8"), durable=False)
        write_table(pivot(attributes, "AUC", ("Attribute", "Sequences")), report_dir / "attributes_auc",
                    caption=f"AUC per attribute, {caption}")
        figures.append(plots.attribute_figure(attributes, "attributes", f"AUC per attribute on {name}"))
    drawer = drawer or plots.Drawer()
    drawer.start(figures, report_dir, ("png", "pdf") if pdf else ("png",))   # a forked drawer draws meanwhile
    html_page.write_html_report(protocol, sequences, results, report_dir, summary, sequences_long, attributes, name,
                                statistics=statistics, comparisons=comparisons, notes=notes)
    drawer.finish()
    return summary
