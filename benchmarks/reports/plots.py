"""Success, precision and normalised-precision plots and attribute bars, as the benchmark papers draw them.

A figure is first described as plain data (``CurveFigure``, ``BarFigure``: picklable, no matplotlib),
then drawn by ``draw_figure`` on a bare Agg canvas (no pyplot state, no display) in a light
white-grid style, and saved as PNG (and PDF on request), each file written atomically. Describing
and drawing are apart so that the drawing can run in another process (``plot_worker``), which
imports matplotlib while the results are still being read.

Legends are ordered by score and carry it (``SimTrack [69.3]``); several runs show their mean curve
with a +-1 std band and ``[mean ± std]`` in the legend; with ``--bands interval`` every curve has
its pointwise bootstrap interval over sequences as a band instead. Colours come from
``simtrack.formats.palette``.
"""
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

import numpy as np

from simtrack.formats.atomic import atomic_write
from simtrack.formats.palette import tracker_color, tracker_line_style


@dataclass(frozen=True)
class CurveSpec:
    """One kind of curve the reports draw (as a PNG here, as SVG in report.html)."""

    key: str          # the curve's name in ``metrics.summarize``'s curves
    stem: str         # file name of the figure
    title: str
    xlabel: str
    ylabel: str
    score: str        # the score its legend shows (AO instead under pooled protocols)
    corner: str       # where the legend goes

    def thresholds(self, protocol):
        """The protocol's thresholds of this curve (None: the protocol has no such curve)."""
        return getattr(protocol, f"{self.key}_thresholds")

    def legend_score(self, protocol):
        return "AO" if protocol.pooled else self.score


CURVES = (
    CurveSpec("success", "success", "Success plot", "Overlap threshold", "Success rate", "AUC", "lower left"),
    CurveSpec("precision", "precision", "Precision plot", "Location error threshold (pixels)", "Precision", "P",
              "lower right"),
    CurveSpec("normalized", "norm_precision", "Normalized precision plot", "Normalized location error threshold",
              "Normalized precision", "NP", "lower right"),
)
DPI = 150
BAR_WIDTH_IN = 6.5
CHAR_WIDTH_IN = 0.085        # average width of a tick-label character at 11 pt
# white background, light grey grid and frame, dark grey text (the look of seaborn's "whitegrid", "paper" x1.25)
STYLE = {
    "axes.facecolor": "white", "axes.edgecolor": "0.8", "axes.linewidth": 1.0, "axes.grid": True,
    "axes.axisbelow": True, "grid.color": "0.8", "grid.linestyle": "-", "grid.linewidth": 0.8,
    "text.color": "0.15", "axes.labelcolor": "0.15", "xtick.color": "0.15", "ytick.color": "0.15",
    "xtick.major.size": 0, "ytick.major.size": 0, "font.size": 12, "axes.labelsize": 12, "axes.titlesize": 12,
    "xtick.labelsize": 11, "ytick.labelsize": 11, "legend.fontsize": 9, "legend.title_fontsize": 9,
    "legend.frameon": True, "legend.edgecolor": "0.8",
    # tracker, sequence and attribute names are text: "$\\frac{1}{$" must not be typeset (or fail) as math
    "text.parse_math": False, "text.usetex": False,
}


@dataclass
class Curve:
    label: str
    color: str
    style: str
    x: np.ndarray
    y: np.ndarray
    spread: Optional[np.ndarray] = None     # +-1 std band of repeated runs
    band: Optional[tuple] = None            # (low, high): the curve's pointwise interval over sequences


@dataclass
class CurveFigure:
    stem: str
    title: str
    xlabel: str
    ylabel: str
    legend_title: str
    corner: str
    curves: list[Curve]
    note: str = ""


@dataclass
class BarFigure:
    """Grouped horizontal bars: one group per row label, one bar per tracker (values in percent)."""

    stem: str
    title: str
    xlabel: str
    labels: list[str]
    bars: list[tuple[str, list[float], str]] = field(default_factory=list)    # (tracker, values, colour)


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


def curve_bands(statistics):
    """{tracker: {curve key: (low, high)}}: the pointwise intervals the statistics carry, or {}."""
    return statistics.bands if statistics is not None and statistics.bands else {}


def run_curve(result, key, bands):
    """(mean over runs, std over runs or None, interval band or None) of one curve of a tracker, as the
    plots and report.html draw it: the band, where the statistics carry one, replaces the spread."""
    runs = np.array([run_curves[key] for run_curves in result.curves], dtype=np.float64)
    band = bands.get(result.name, {}).get(key)
    spread = runs.std(0, ddof=1) if len(runs) > 1 and band is None else None
    return runs.mean(0), spread, band


def curve_figures(protocol, results, dataset_name, statistics=None):
    """One ``CurveFigure`` per curve the protocol defines; tracker k keeps colour k in every figure.
    ``statistics`` with ``bands`` gives each curve its pointwise interval band."""
    figures = []
    rules = protocol.description.split(" (")[0]
    bands = curve_bands(statistics)
    for spec in CURVES:
        thresholds = spec.thresholds(protocol)
        if thresholds is None:
            continue
        score = spec.legend_score(protocol)
        curves = []
        for index, result in sorted(enumerate(results), key=lambda item: _rank_key(item[1], score)):
            mean, spread, band = run_curve(result, spec.key, bands)
            curves.append(Curve(_label(result, score), tracker_color(index), tracker_line_style(index),
                                np.asarray(thresholds), mean, spread, band))
        figures.append(CurveFigure(spec.stem, f"{spec.title} on {dataset_name}", spec.xlabel, spec.ylabel,
                                   f"{score} [%]", spec.corner, curves, f"{protocol.key} protocol: {rules}"))
    return figures


def attribute_figure(table, stem, title):
    """A ``BarFigure`` of the AUC of each tracker on each attribute subset (long ``Table`` input)."""
    attribute, count, tracker, auc = (table.column(name) for name in ("Attribute", "Sequences", "Tracker", "AUC"))
    trackers = list(dict.fromkeys(tracker))
    groups = list(dict.fromkeys(zip(attribute, count)))
    value = {(a, t): v for a, t, v in zip(attribute, tracker, auc)}
    bars = [(name, [value.get((a, name), np.nan) for a, _ in groups], tracker_color(index))
            for index, name in enumerate(trackers)]
    return BarFigure(stem, title, "AUC [%]", [f"{a} ({n})" for a, n in groups], bars)


def draw_figure(figure, folder, formats=("png",)):
    """Draw one figure description and write ``<folder>/<stem>.<format>`` for each format; returns the paths."""
    import matplotlib
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    with matplotlib.rc_context(STYLE):
        if isinstance(figure, CurveFigure):
            canvas = Figure(figsize=(5.2, 4.4))
            _draw_curves(canvas, figure)
        else:
            canvas = Figure(figsize=(BAR_WIDTH_IN, _bar_height(figure)))
            _draw_bars(canvas, figure)
        FigureCanvasAgg(canvas)
        paths = []
        for suffix in formats:
            buffer = io.BytesIO()
            canvas.savefig(buffer, format=suffix, dpi=DPI, **({"pil_kwargs": {"compress_level": 1}} if suffix == "png" else {}))
            path = Path(folder) / f"{figure.stem}.{suffix}"
            atomic_write(path, buffer.getvalue(), durable=False)
            paths.append(path)
    return paths


def _draw_curves(canvas, figure):
    canvas.subplots_adjust(left=0.14, right=0.95, top=0.93, bottom=0.17)
    axes = canvas.add_subplot()
    for curve in figure.curves:
        axes.plot(curve.x, curve.y, curve.style, color=curve.color, linewidth=2.0, label=curve.label)
        if curve.spread is not None:
            axes.fill_between(curve.x, curve.y - curve.spread, curve.y + curve.spread, color=curve.color, alpha=0.2,
                              linewidth=0)
        if curve.band is not None:
            axes.fill_between(curve.x, curve.band[0], curve.band[1], color=curve.color, alpha=0.15, linewidth=0)
    first, last = figure.curves[0].x[0], figure.curves[0].x[-1]
    axes.set(xlim=(first, last), ylim=(0, 1.0), xlabel=figure.xlabel, ylabel=figure.ylabel, title=figure.title)
    axes.legend(loc=figure.corner, title=figure.legend_title)
    canvas.text(0.01, 0.01, figure.note, fontsize=7, color="0.35", ha="left", va="bottom")


def _bar_height(figure):
    return 0.45 * len(figure.labels) * max(1, len(figure.bars) / 2) + 1.2


def _draw_bars(canvas, figure):
    # margins from the label lengths (a layout engine would draw the figure once more to measure them)
    height = _bar_height(figure)
    label_in = CHAR_WIDTH_IN * max(len(label) for label in figure.labels) + 0.2
    canvas.subplots_adjust(left=min(0.6, label_in / BAR_WIDTH_IN), right=0.95, top=1 - 0.45 / height,
                           bottom=0.65 / height)
    axes = canvas.add_subplot()
    height = 0.8 / max(1, len(figure.bars))
    rows = np.arange(len(figure.labels))
    for index, (tracker, values, color) in enumerate(figure.bars):
        axes.barh(rows + index * height - 0.4 + height / 2, values, height, color=color, label=tracker)
    axes.set_yticks(rows, figure.labels)
    axes.invert_yaxis()
    axes.set(xlabel=figure.xlabel, xlim=(0, 100), title=figure.title)
    axes.legend(loc="lower right")


def cost(figure):
    """Rough drawing time of a figure in curve figures, to share figures evenly between processes."""
    return 1.0 if isinstance(figure, CurveFigure) else 1.0 + len(figure.labels) * len(figure.bars) / 40


class Drawer:
    """Draws figure descriptions in this process, one after the other, when ``finish`` is called.

    Drawers take a batch with ``start(figures, folder, formats)`` and return the written paths from
    ``finish()`` (``drawer.ForkedDrawer`` draws between the two); ``draw`` does both, ``abort``
    drops a batch that is no longer wanted.
    """

    def __init__(self):
        self._batch = None

    def start(self, figures, folder, formats=("png",)):
        self._batch = (figures, folder, formats)

    def finish(self):
        figures, folder, formats = self._batch
        self._batch = None
        return [path for figure in figures for path in draw_figure(figure, folder, formats)]

    def draw(self, figures, folder, formats=("png",)):
        self.start(figures, folder, formats)
        return self.finish()

    def abort(self):
        self._batch = None
