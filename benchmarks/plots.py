"""Success, precision and normalised-precision plots, as the benchmark papers draw them.

Legends are ordered by score and carry it (``SimTrack [69.3]``); several runs show their mean curve
with a +-1 std band and ``[mean ± std]`` in the legend. Figures are drawn on a bare Agg canvas (no pyplot state, no display needed) in a
seaborn style, and saved as PNG and PDF.
"""
from pathlib import Path

import numpy as np
import seaborn as sns
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from simtrack.palette import tracker_color, tracker_line_style

# curve key -> (file stem, title, x label, y label, score shown, legend corner)
CURVES = {
    "success": ("success", "Success plot", "Overlap threshold", "Success rate", "AUC", "lower left"),
    "precision": ("precision", "Precision plot", "Location error threshold (pixels)", "Precision", "P",
                  "lower right"),
    "normalized": ("norm_precision", "Normalized precision plot", "Normalized location error threshold",
                   "Normalized precision", "NP", "lower right"),
}


def _style():
    return sns.axes_style("whitegrid"), sns.plotting_context("paper", font_scale=1.25)


def _mean_score(result, name):
    return float(np.mean([run[name] for run in result.scores]))


def _label(result, name):
    """'name [69.3]', or 'name [69.3 ± 0.4]' (mean ± std over runs) for repeated runs."""
    values = 100 * np.array([run[name] for run in result.scores])
    if len(values) > 1:
        return f"{result.name} [{values.mean():.1f} ± {values.std(ddof=1):.1f}]"
    return f"{result.name} [{values[0]:.1f}]"


def _rank_key(result, name):
    """Best score first; a NaN score (possible under --protocol got10k) last."""
    value = _mean_score(result, name)
    return (np.isnan(value), -value if not np.isnan(value) else 0.0)


def _look(index):
    """Colour and line style of the index-th tracker (same in every figure of a report)."""
    return tracker_color(index), tracker_line_style(index)


def _save(figure, stem):
    FigureCanvasAgg(figure)
    stem.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(stem.with_suffix(".png"), dpi=150, bbox_inches="tight")
    figure.savefig(stem.with_suffix(".pdf"), bbox_inches="tight")


def _thresholds(protocol, key):
    return {"success": protocol.success_thresholds, "precision": protocol.precision_thresholds,
            "normalized": protocol.normalized_thresholds}[key]


def plot_curves(protocol, results, out_dir, dataset_name):
    """Write one figure per curve the protocol defines; returns the PNG paths."""
    paths = []
    rules = protocol.description.split(" (")[0]
    for key, (stem, title, xlabel, ylabel, score, corner) in CURVES.items():
        thresholds = _thresholds(protocol, key)
        if thresholds is None:
            continue
        score = "AO" if protocol.pooled else score
        ranked = sorted(enumerate(results), key=lambda item: _rank_key(item[1], score))
        axes_style, context = _style()
        with axes_style, context:
            figure = Figure(figsize=(5.2, 4.2))
            axes = figure.add_subplot()
            for index, result in ranked:
                runs = np.array([run_curves[key] for run_curves in result.curves])
                mean = runs.mean(0)
                color, style = _look(index)
                axes.plot(thresholds, mean, style, color=color, linewidth=2.0, label=_label(result, score))
                if len(runs) > 1:
                    spread = runs.std(0, ddof=1)
                    axes.fill_between(thresholds, mean - spread, mean + spread, color=color, alpha=0.2, linewidth=0)
            axes.set(xlim=(thresholds[0], thresholds[-1]), ylim=(0, 1.0), xlabel=xlabel, ylabel=ylabel,
                     title=f"{title} on {dataset_name}")
            axes.legend(loc=corner, title=f"{score} [%]", frameon=True, fontsize="small", title_fontsize="small")
            figure.text(0.01, -0.04, f"{protocol.key} protocol: {rules}", fontsize=7, color="0.35", ha="left")
            _save(figure, Path(out_dir) / stem)
        paths.append(Path(out_dir) / f"{stem}.png")
    return paths


def plot_attributes(table, stem, title):
    """Grouped horizontal bars: AUC of each tracker on each attribute subset (long table input)."""
    trackers = list(dict.fromkeys(table["Tracker"]))
    labels = list(dict.fromkeys(f"{a} ({n})" for a, n in zip(table["Attribute"], table["Sequences"])))
    values = table.pivot_table(index="Attribute", columns="Tracker", values="AUC", sort=False)[trackers]
    axes_style, context = _style()
    with axes_style, context:
        figure = Figure(figsize=(6.5, 0.45 * len(labels) * max(1, len(trackers) / 2) + 1.2))
        axes = figure.add_subplot()
        height = 0.8 / len(trackers)
        rows = np.arange(len(labels))
        for index, tracker in enumerate(trackers):
            axes.barh(rows + index * height - 0.4 + height / 2, values[tracker].to_numpy(), height,
                      color=_look(index)[0], label=tracker)
        axes.set_yticks(rows, labels)
        axes.invert_yaxis()
        axes.set(xlabel="AUC [%]", xlim=(0, 100), title=title)
        axes.legend(loc="lower right", fontsize="small")
        _save(figure, Path(stem))
    return Path(stem).with_suffix(".png")
