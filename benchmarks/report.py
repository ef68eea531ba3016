"""Tables of an evaluation: summary, per sequence and (LaSOT) per attribute, as Markdown, CSV and LaTeX.

Scores are shown in percent as papers print them (FPS in frames per second). Trackers with several
runs show the mean over runs and a ``<metric> std`` column (sample standard deviation, ddof=1).
"""
from pathlib import Path

import numpy as np
import pandas as pd

from . import metrics

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
    """One row per tracker, sorted by the main score; ``attrs`` records the protocol."""
    rows = {}
    for result in results:
        row = {}
        for name in protocol.metrics:
            mean, std = _mean_std([_as_percent(name, scores[name]) for scores in result.scores], name == "FPS")
            row[name] = float(mean)
            if len(result.scores) > 1:
                row[f"{name} std"] = float(std)
        row["Runs"] = len(result.scores)
        rows[result.name] = row
    table = pd.DataFrame.from_dict(rows, orient="index")
    ordered = [column for name in protocol.metrics for column in (name, f"{name} std") if column in table]
    table = table[ordered + ["Runs"]].sort_values(protocol.main_metric, ascending=False, kind="stable")
    table.index.name = "Tracker"
    table.attrs.update(dataset=protocol.dataset, protocol=protocol.key, rules=protocol.description)
    return table


def sequence_table(protocol, sequences, results):
    """Long table: one row per (sequence, tracker) with each sequence's scores (mean over runs)."""
    means = {}
    for result in results:
        per_run = [metrics.per_sequence(protocol, stats) for stats in result.runs]
        means[result.name] = {name: 100.0 * _mean_std([run[name] for run in per_run])[0] for name in per_run[0]}
    return pd.DataFrame([{"Sequence": seq.name, "Frames": len(seq.boxes), "Tracker": tracker,
                          **{name: values[index] for name, values in scores.items()}}
                         for index, seq in enumerate(sequences) for tracker, scores in means.items()])


def attribute_table(protocol, sequences, results):
    """Long table: one row per (attribute, tracker) on the sequences carrying it; None without attributes."""
    names = sorted({key for seq in sequences for key, flag in seq.attributes.items() if flag})
    if not names:
        return None
    records = []
    for attribute in names:
        select = np.array([bool(seq.attributes.get(attribute, False)) for seq in sequences])
        if select.sum() < MIN_ATTRIBUTE_SEQUENCES:
            continue
        for result in results:
            scores = [metrics.summarize(protocol, stats, select)[0] for stats in result.runs]
            row = {"Attribute": attribute, "Sequences": int(select.sum()), "Tracker": result.name}
            for name in protocol.metrics:
                if name != "FPS":
                    row[name] = float(np.mean([_as_percent(name, run[name]) for run in scores]))
            records.append(row)
    return pd.DataFrame(records) if records else None


def to_markdown(table, digits=1):
    """A GitHub Markdown table (pandas' own needs the optional ``tabulate`` package)."""
    table = table.reset_index() if table.index.name else table
    header = [str(column) for column in table.columns]

    def cell(value):
        if isinstance(value, (float, np.floating)):
            return "-" if np.isnan(value) else f"{value:.{digits}f}"
        return str(value)

    lines = ["| " + " | ".join(header) + " |",
             "|" + "|".join("---:" if pd.api.types.is_numeric_dtype(table[column]) else ":---"
                            for column in table.columns) + "|"]
    lines += ["| " + " | ".join(cell(value) for value in row) + " |" for row in table.itertuples(index=False)]
    return "\n".join(lines) + "\n"


def write_table(table, path_stem, digits=1, caption=None):
    """Write ``<stem>.md``, ``<stem>.csv`` and ``<stem>.tex``; returns the paths."""
    stem = Path(path_stem)
    stem.parent.mkdir(parents=True, exist_ok=True)
    heading = f"{caption}\n\n" if caption else ""
    paths = [stem.with_suffix(".md"), stem.with_suffix(".csv"), stem.with_suffix(".tex")]
    paths[0].write_text(heading + to_markdown(table, digits))
    table.to_csv(paths[1], float_format="%.6f")
    table.to_latex(paths[2], float_format=f"%.{digits}f", na_rep="-", caption=caption,
                   label=f"tab:{stem.name}".replace("_", "-"), escape=True)
    return paths


def pivot(table, metric):
    """Wide view of a long per-sequence / per-attribute table: rows x trackers for one metric."""
    keys = [column for column in ("Attribute", "Sequences", "Sequence", "Frames") if column in table]
    wide = table.set_index(keys + ["Tracker"])[metric].unstack("Tracker", sort=False)
    return wide.reset_index().rename_axis(columns=None)


def write_report(protocol, sequences, results, report_dir):
    """Write every table and figure of an evaluation, and report.html, into ``report_dir``; returns the
    summary table."""
    from . import html_report, plots  # matplotlib is imported only when a report is written

    report_dir = Path(report_dir)
    name = display_name(protocol.dataset)
    caption = f"{name}, {protocol.key} protocol: {protocol.description}"
    summary = summary_table(protocol, results)
    write_table(summary, report_dir / "summary", caption=caption)
    sequences_long = sequence_table(protocol, sequences, results)
    sequences_long.to_csv(report_dir / "per_sequence.csv", index=False, float_format="%.6f")
    main = protocol.main_metric
    (report_dir / "per_sequence.md").write_text(
        f"{main} per sequence, {caption}\n\n" + to_markdown(pivot(sequences_long, main)))
    attributes = attribute_table(protocol, sequences, results)
    if attributes is not None:
        attributes.to_csv(report_dir / "attributes.csv", index=False, float_format="%.6f")
        write_table(pivot(attributes, "AUC"), report_dir / "attributes_auc", caption=f"AUC per attribute, {caption}")
        plots.plot_attributes(attributes, report_dir / "attributes", f"AUC per attribute on {name}")
    plots.plot_curves(protocol, results, report_dir, name)
    html_report.write_html_report(protocol, sequences, results, report_dir, summary, sequences_long, attributes, name)
    return summary
