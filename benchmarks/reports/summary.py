"""The numbers of an evaluation as report tables: one row per tracker, per sequence, per attribute.

Scores are shown in percent as papers print them (FPS in frames per second). Trackers with several
runs show the mean over runs and a ``<metric> std`` column (sample standard deviation, ddof=1).
Tables are ``tables.Table`` rows (no pandas: the commands start faster).
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


def console_lines(summary, sequences, report_dir):
    """What a command prints after an evaluation: the dataset and protocol, the summary as Markdown,
    and where the report is."""
    attrs = summary.attrs
    return [f"{display_name(attrs['dataset'])}: {len(sequences)} sequences, protocol '{attrs['protocol']}' "
            f"= {attrs['rules']}",
            summary.to_markdown().rstrip("\n"),
            f"tables and plots written to {report_dir}/; open {Path(report_dir) / 'report.html'} in a browser"]
