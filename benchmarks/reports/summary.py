"""The numbers of an evaluation as report tables: one row per tracker, per sequence, per attribute.

Scores are shown in percent as papers print them (FPS in frames per second). Trackers with several
runs show the mean over runs and a ``<metric> std`` column (sample standard deviation, ddof=1).
With intervals (``statistics``), each score has ``<metric> low`` / ``<metric> high`` columns: its
bootstrap interval over sequences; ``display_table`` shows them as ``69.3 [68.1, 70.5]`` in the
Markdown and LaTeX forms. Tables are ``tables.Table`` rows (no pandas: the commands start faster).
"""
import math
from pathlib import Path

import numpy as np

from simtrack.data.catalog import display_name

from ..scoring import metrics
from .tables import Table

# Minimum number of sequences for an attribute row (the LaSOT toolkit skips smaller subsets).
MIN_ATTRIBUTE_SEQUENCES = 2


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


def summary_table(protocol, results, statistics=None):
    """One row per tracker, best main score first (NaN last); ``attrs`` records the protocol (and, with
    ``statistics``, how the intervals were computed)."""
    repeated = any(len(result.scores) > 1 for result in results)
    intervals = statistics.intervals if statistics is not None else {}
    shown = bool(intervals)
    columns = ["Tracker"]
    for name in protocol.metrics:
        columns += [name]
        if shown and name != "FPS":
            columns += [f"{name} low", f"{name} high"]
        if repeated:
            columns += [f"{name} std"]
    rows = []
    for result in results:
        row = [result.name]
        for name in protocol.metrics:
            mean, std = _mean_std([_as_percent(name, scores[name]) for scores in result.scores], name == "FPS")
            row += [float(mean)]
            if shown and name != "FPS":
                low, high = intervals.get(result.name, {}).get(name, (math.nan, math.nan))
                row += [100.0 * low, 100.0 * high]
            if repeated:
                row += [float(std)]
        rows.append(tuple(row) + (len(result.scores),))
    main = columns.index(protocol.main_metric)
    rows.sort(key=lambda row: (math.isnan(row[main]), -row[main] if not math.isnan(row[main]) else 0.0))
    attrs = {"dataset": protocol.dataset, "protocol": protocol.key, "rules": protocol.description}
    if statistics is not None:
        attrs["intervals"] = statistics.settings.describe() if shown else ""
    return Table(columns + ["Runs"], rows, index="Tracker", attrs=attrs)


def display_table(table, digits=1):
    """The summary as papers print it: each score with its interval in one cell, ``69.3 [68.1, 70.5]``
    (std columns kept as they are); a table without interval columns is returned unchanged."""
    low_columns = [name for name in table.columns if name.endswith(" low")]
    if not low_columns:
        return table
    scores = {name[:-4] for name in low_columns}
    columns = [name for name in table.columns if not (name.endswith((" low", " high")) and name.rsplit(" ", 1)[0] in scores)]
    rows = []
    for row in table.rows:
        record = dict(zip(table.columns, row))
        cells = []
        for name in columns:
            value = record[name]
            if name in scores:
                value = _with_interval(value, record[f"{name} low"], record[f"{name} high"], digits)
            cells.append(value)
        rows.append(tuple(cells))
    return Table(columns, rows, table.index, dict(table.attrs))


def _with_interval(value, low, high, digits):
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    text = f"{value:.{digits}f}"
    if not (math.isnan(low) or math.isnan(high)):
        text += f" [{low:.{digits}f}, {high:.{digits}f}]"
    return text


def comparison_table(statistics):
    """One row per (pair, score) of the paired comparisons (percent points; None without any)."""
    if statistics is None or not statistics.comparisons:
        return None
    rows = [(item.first, item.second, item.metric, 100 * item.first_score, 100 * item.second_score,
             100 * item.difference, 100 * item.low, 100 * item.high, item.p_value, item.p_holm, item.sequences)
            for item in statistics.comparisons]
    settings = statistics.settings
    exact = statistics.comparisons[0].exact
    test = "exact sign-flip test (every pattern)" if exact else f"sign-flip test ({settings.resamples} patterns)"
    return Table(["Tracker A", "Tracker B", "Score", "A", "B", "A - B", "low", "high", "p", "p Holm", "Sequences"],
                 rows, attrs={"method": f"A - B in points; [low, high]: {100 * settings.confidence:g} % paired "
                                        f"bootstrap interval over sequences ({settings.resamples} resamples, seed "
                                        f"{settings.seed}); p: two-sided {test}; p Holm: adjusted over the pairs"})


def comparison_display(table, digits=1):
    """The comparison table as text cells: ``+1.2 [0.4, 2.0]`` and p-values with three decimals."""
    rows = []
    for row in table.rows:
        first, second, score, a, b, diff, low, high, p, p_holm, count = row
        interval = "" if math.isnan(low) else f" [{low:+.{digits}f}, {high:+.{digits}f}]"
        rows.append((first, second, score, a, b, f"{diff:+.{digits}f}{interval}", _p_text(p), _p_text(p_holm), count))
    return Table(["Tracker A", "Tracker B", "Score", "A", "B", "A - B [low, high]", "p", "p Holm", "Sequences"],
                 rows, attrs=dict(table.attrs))


def _p_text(p):
    if p is None or math.isnan(p):
        return "-"
    return "<0.001" if p < 0.001 else f"{p:.3f}"


def length_notes(evaluation):
    """One line per tracker naming every sequence whose result file a length rule padded or cut (the
    toolkits do it silently), and the notes on sequences read differently under the protocol."""
    rules = {rules.dataset: lengths for rules, lengths in evaluation.length_rules()}
    single = len(rules) == 1
    lines = list(evaluation.notes)
    for result in evaluation.results:
        grouped = {}
        for run, changes in enumerate(result.length_changes, 1):
            for change in changes:
                grouped.setdefault((change.dataset, change.sequence, change.rows, change.frames, change.action),
                                   []).append(run)
        by_dataset = {}
        for (dataset, sequence, rows, frames, action), runs in grouped.items():
            which = "" if len(result.length_changes) == 1 else \
                f", run{'s' * (len(runs) > 1)} {', '.join(map(str, runs))}"
            by_dataset.setdefault(dataset, []).append(f"{sequence} ({rows} rows for {frames} frames: {action}{which})")
        for dataset, items in by_dataset.items():
            lengths = next(iter(rules.values())) if single or dataset not in rules else rules[dataset]
            where = "" if single else f" on {display_name(dataset)}"
            silent = ", silently" if lengths.silent else ""
            lines.append(f"{result.name}{where}: {len(items)} result file{'s' * (len(items) > 1)} of another length "
                         f"than the ground truth, handled as {lengths.toolkit} does{silent}: {'; '.join(items)}")
    return lines


def length_table(evaluation):
    """Long table of every length change: tracker, dataset, run, sequence, rows, frames, action (None if none)."""
    rows = [(result.name, change.dataset or evaluation.protocol.dataset, run, change.sequence, change.rows,
             change.frames, change.action)
            for result in evaluation.results for run, changes in enumerate(result.length_changes, 1)
            for change in changes]
    return Table(["Tracker", "Dataset", "Run", "Sequence", "Rows", "Frames", "Action"], rows) if rows else None


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


def console_lines(summary, sequences, report_dir):
    """What a command prints after an evaluation: the dataset and protocol, the summary as Markdown
    (scores with their intervals), the comparisons, the notes (sequences a length rule padded or cut)
    and where the report is."""
    attrs = summary.attrs
    lines = [f"{display_name(attrs['dataset'])}: {len(sequences)} sequences, protocol '{attrs['protocol']}' "
             f"= {attrs['rules']}",
             display_table(summary).to_markdown().rstrip("\n")]
    if attrs.get("intervals"):
        lines.append(attrs["intervals"])
    if attrs.get("comparison"):
        lines.append(attrs["comparison"].rstrip("\n"))
    lines += [f"note: {note}" for note in attrs.get("notes", [])]
    lines.append(f"tables and plots written to {report_dir}/; open {Path(report_dir) / 'report.html'} in a browser")
    return lines
