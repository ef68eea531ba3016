"""The report of an evaluation: summary, per-sequence and (LaSOT) per-attribute tables as Markdown, CSV
and LaTeX, and the figures, every file written atomically.

Scores are shown in percent as papers print them (FPS in frames per second). Trackers with several
runs show the mean over runs and a ``<metric> std`` column (sample standard deviation, ddof=1).
Tables are ``tables.Table`` rows (no pandas: the command starts faster); figures are described
here and drawn by ``plots`` (in a process started ahead when the command gives one).
"""
import math
from pathlib import Path

import numpy as np

from ..scoring import metrics
from . import html_page, plots
from ..runner.folders import atomic_write
from .tables import Table, pivot

DATASET_NAMES = {
    "lasot": "LaSOT", "lasot_ext": "LaSOT-ext", "tnl2k": "TNL2K", "demo": "Demo", "otb100": "OTB100",
    "nfs": "NfS", "folder": "Folder", "uav123": "UAV123", "got10k_val": "GOT-10k val",
    "trackingnet": "TrackingNet",
}
# Minimum number of sequences for an attribute row (the LaSOT toolkit skips smaller subsets).
MIN_ATTRIBUTE_SEQUENCES = 2


def display_name(dataset):
    """'LaSOT', 'GOT-10k val'...; split keys keep their split: 'TrackingNet (train_0)'."""
    base = metrics.base_dataset(dataset)
    if base is None or base == dataset:
        return DATASET_NAMES.get(dataset, dataset)
    if dataset.startswith("got10k_"):
        return f"GOT-10k {dataset[len('got10k_'):]}"
    return f"{DATASET_NAMES[base]} ({dataset[len(base) + 1:]})"


def _as_percent(name, value):
    return value if name == "FPS" else 100.0 * value


def _mean_std(per_run, skip_nan=False):
    """Mean over runs and sample std (NaN for one run) of a list of equal-shaped arrays/scalars.

    ``skip_nan`` ignores runs without a value (FPS of runs that wrote no time files).
    """
    stacked = np.asarray(per_run, float)
    if skip_nan:
        stacked = stacked[~np.isnan(stacked)] if stacked.ndim == 1 else stacked
    if len(stacked) == 0:
        return np.nan, np.nan
    mean = stacked.mean(0)
    std = stacked.std(0, ddof=1) if len(stacked) > 1 else np.full_like(mean, np.nan)
    return mean, std


def summary_table(protocol, results):
    """One row per tracker, best main score first (NaN last); ``attrs`` records the protocol."""
    repeated = any(len(result.scores) > 1 for result in results)
    columns = ["Tracker"]
    for name in protocol.metrics:
        columns += [name, f"{name} std"] if repeated else [name]
    rows = []
    for result in results:
        row = [result.name]
        for name in protocol.metrics:
            mean, std = _mean_std([_as_percent(name, scores[name]) for scores in result.scores], name == "FPS")
            row += [float(mean), float(std)] if repeated else [float(mean)]
        rows.append(tuple(row) + (len(result.scores),))
    main = columns.index(protocol.main_metric)
    rows.sort(key=lambda row: (math.isnan(row[main]), -row[main] if not math.isnan(row[main]) else 0.0))
    return Table(columns + ["Runs"], rows, index="Tracker",
                 attrs={"dataset": protocol.dataset, "protocol": protocol.key, "rules": protocol.description})


def sequence_table(protocol, sequences, results):
    """Long table: one row per (sequence, tracker) with each sequence's scores (mean over runs)."""
    means, names = {}, None
    for result in results:
        per_run = [metrics.per_sequence(protocol, stats) for stats in result.runs]
        names = list(per_run[0])
        means[result.name] = [100.0 * _mean_std([run[name] for run in per_run])[0] for name in names]
    rows = [(seq.name, len(seq.boxes), tracker, *(float(values[index]) for values in scores))
            for index, seq in enumerate(sequences) for tracker, scores in means.items()]
    return Table(["Sequence", "Frames", "Tracker"] + (names or []), rows)


def attribute_table(protocol, sequences, results):
    """Long table: one row per (attribute, tracker) on the sequences carrying it; None without attributes."""
    names = sorted({key for seq in sequences for key, flag in seq.attributes.items() if flag})
    scored = [name for name in protocol.metrics if name != "FPS"]
    rows = []
    for attribute in names:
        select = np.array([bool(seq.attributes.get(attribute, False)) for seq in sequences])
        if select.sum() < MIN_ATTRIBUTE_SEQUENCES:
            continue
        for result in results:
            scores = [metrics.summarize(protocol, stats, select)[0] for stats in result.runs]
            rows.append((attribute, int(select.sum()), result.name,
                         *(float(np.mean([_as_percent(name, run[name]) for run in scores])) for name in scored)))
    return Table(["Attribute", "Sequences", "Tracker"] + scored, rows) if rows else None


def to_markdown(table, digits=1):
    """A GitHub Markdown table of a ``Table``."""
    return table.to_markdown(digits)


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


def write_report(protocol, sequences, results, report_dir, pdf=False, drawer=None):
    """Write every table and figure of an evaluation, and report.html, into ``report_dir``; returns the
    summary ``Table``.

    ``pdf`` adds a PDF of each figure next to its PNG. ``drawer`` (a ``plots.Drawer``) draws the
    figures; by default they are drawn in this process.
    """
    report_dir = Path(report_dir)
    name = display_name(protocol.dataset)
    caption = f"{name}, {protocol.key} protocol: {protocol.description}"
    figures = plots.curve_figures(protocol, results, name)
    summary = summary_table(protocol, results)
    write_table(summary, report_dir / "summary", caption=caption)
    sequences_long = sequence_table(protocol, sequences, results)
    atomic_write(report_dir / "per_sequence.csv", sequences_long.to_csv().encode("utf-8"), durable=False)
    main = protocol.main_metric
    atomic_write(report_dir / "per_sequence.md", (f"{main} per sequence, {caption}\n\n" + to_markdown(
        pivot(sequences_long, main, ("Sequence", "Frames")))).encode("utf-8"), durable=False)
    attributes = attribute_table(protocol, sequences, results)
    if attributes is not None:
        atomic_write(report_dir / "attributes.csv", attributes.to_csv().encode("utf-8"), durable=False)
        write_table(pivot(attributes, "AUC", ("Attribute", "Sequences")), report_dir / "attributes_auc",
                    caption=f"AUC per attribute, {caption}")
        figures.append(plots.attribute_figure(attributes, "attributes", f"AUC per attribute on {name}"))
    drawer = drawer or plots.Drawer()
    drawer.start(figures, report_dir, ("png", "pdf") if pdf else ("png",))   # a forked drawer draws meanwhile
    html_page.write_html_report(protocol, sequences, results, report_dir, summary, sequences_long, attributes, name)
    drawer.finish()
    return summary
