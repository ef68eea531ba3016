"""``report.html``: the whole evaluation in one self-contained page that opens offline with a double-click.

What it holds, in reading order: the summary table with the protocol named (each score with its
bootstrap interval over sequences), the notes (sequences a length rule padded or cut), the paired
comparisons when asked for; the success /
precision / normalised-precision plots; the per-attribute chart (datasets with attributes) and a
speed-vs-score chart (trackers with time files); a sortable, filterable table with one row per
sequence (score per tracker, frames, attributes) whose rows open the per-frame IoU or centre error
of every tracker, absent-target frames shaded, and thumbnails of the frames where the trackers fail
or disagree most (when the frames are on disk; for the ``report_frames.THUMBNAIL_SEQUENCES``
sequences where they fail or disagree most, so that the cost stays bounded on large benchmarks).

Everything is inline: the CSS and our own small script (``assets/``, no third-party code),
the data as one JSON block, the thumbnails as JPEG data URLs. The browser draws the charts as SVG
from compact data (curves at the protocol's thresholds, per-frame series downsampled to at most
``report_frames.MAX_POINTS`` bins of one byte), and draws a sequence's chart only when it is opened,
so a 280-sequence benchmark gives a page of a few MB that opens at once.
"""
import datetime
import json
import math
from pathlib import Path

import numpy as np

from simtrack.formats.atomic import atomic_write
from simtrack.formats.palette import GROUND_TRUTH, tracker_color, tracker_line_style

from . import frames as report_frames
from .plots import CURVES, curve_bands, run_curve
from .tables import pivot

ASSETS = Path(__file__).with_name("assets")
FILE_NAME = "report.html"
SVG_DASHES = {"-": "", "--": "7 4", "-.": "7 3 2 3", ":": "2 3"}   # matplotlib line styles as SVG dashes
PERCENT_DIGITS = 2


def _clean(value):
    """JSON-safe: NaN and infinities become null, numpy scalars plain numbers."""
    if isinstance(value, dict):
        return {key: _clean(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(item) for item in value]
    if isinstance(value, np.ndarray):
        return _clean(value.tolist())
    if isinstance(value, (float, np.floating)):
        return None if not math.isfinite(value) else float(value)
    if isinstance(value, np.integer):
        return int(value)
    return value


def _rounded(values, digits):
    return [None if v is None or not math.isfinite(v) else round(float(v), digits) for v in np.ravel(values)]


def _short_names(names):
    """Attribute tags: the LaSOT abbreviations where known (IV, POC...), else the initials."""
    from simtrack.data.readers.lasot import ATTRIBUTES
    known = {full: short for short, full in ATTRIBUTES}
    short = {}
    for name in names:
        tag = known.get(name) or "".join(word[0] for word in name.replace("_", " ").split()).upper() or name
        while tag in short.values():
            tag += "'"
        short[name] = tag
    return short


def _trackers(results):
    return [{"name": result.name, "color": tracker_color(index), "dash": SVG_DASHES[tracker_line_style(index)],
             "runs": len(result.scores)} for index, result in enumerate(results)]


def _records(table):
    """The rows of a ``tables.Table`` as dicts column -> value."""
    return [dict(zip(table.columns, row)) for row in table.rows]


def _summary(summary, names):
    """Summary rows in the table's order (best first); each cell [mean, std, low, high] (null where none)."""
    metrics_shown = [column for column in summary.columns
                     if not column.endswith((" std", " low", " high")) and column not in ("Runs", summary.index)]
    rows = []
    for row in _records(summary):
        cells = [[row[name], row.get(f"{name} std", np.nan), row.get(f"{name} low", np.nan),
                  row.get(f"{name} high", np.nan)] for name in metrics_shown]
        rows.append({"tracker": names.index(row[summary.index]), "cells": cells, "runs": int(row["Runs"])})
    return {"metrics": metrics_shown, "rows": rows, "intervals": summary.attrs.get("intervals") or None}


def _comparisons(table, names):
    """The paired comparisons (percent points, p-values), or None."""
    if table is None:
        return None
    rows = [{"a": names.index(first), "b": names.index(second), "metric": metric, "scoreA": a, "scoreB": b,
             "diff": diff, "low": low, "high": high, "p": p, "pHolm": p_holm, "sequences": count}
            for first, second, metric, a, b, diff, low, high, p, p_holm, count in table.rows]
    return {"rows": rows, "method": table.attrs.get("method", "")}


def _curves(protocol, results, statistics=None):
    """Each curve the protocol defines: thresholds and, per tracker, the mean (and std) over runs, and
    the pointwise interval over sequences when the statistics carry bands."""
    bands = curve_bands(statistics)
    curves = []
    for spec in CURVES:
        thresholds = spec.thresholds(protocol)
        if thresholds is None:
            continue
        series = []
        for index, result in enumerate(results):
            mean, spread, band = run_curve(result, spec.key, bands)
            series.append({"tracker": index, "mean": _rounded(mean, 4),
                           "std": None if spread is None else _rounded(spread, 4),
                           "low": None if band is None else _rounded(band[0], 4),
                           "high": None if band is None else _rounded(band[1], 4)})
        curves.append({"key": spec.key, "title": spec.title, "xlabel": spec.xlabel, "ylabel": spec.ylabel,
                       "score": spec.legend_score(protocol), "corner": spec.corner,
                       "x": _rounded(thresholds, 4), "series": series})
    return curves


def _attributes(attributes, names):
    if attributes is None or not attributes.rows:
        return None
    wide = pivot(attributes, "AUC", ("Attribute", "Sequences"))
    order = [wide.columns.index(name) for name in names]
    return {"rows": [{"name": row[0], "sequences": int(row[1]), "values": _rounded([row[k] for k in order], 2)}
                     for row in wide.rows],
            "metric": "AUC"}


def _speed(summary, names, main):
    rows = _records(summary)
    if "FPS" not in summary.columns or not any(math.isfinite(row["FPS"]) for row in rows):
        return None
    return [{"tracker": names.index(row[summary.index]), "fps": row["FPS"], "score": row[main]}
            for row in rows if math.isfinite(row["FPS"])]


def _sequences(protocol, sequences, sequences_long, names):
    """Per-sequence scores (percent, one list per metric and tracker), frames, attributes, absence."""
    score_names = [column for column in sequences_long.columns if column not in ("Sequence", "Frames", "Tracker")]
    order = [seq.name for seq in sequences]
    scores = {}
    for name in score_names:
        wide = pivot(sequences_long, name, ("Sequence",))
        by_sequence = {row[0]: row for row in wide.rows}
        scores[name] = [_rounded([by_sequence[seq][wide.columns.index(tracker)] for seq in order], PERCENT_DIGITS)
                        for tracker in names]
    attribute_names = sorted({key for seq in sequences for key, flag in seq.attributes.items() if flag})
    short = _short_names(attribute_names)
    return {
        "names": order,
        "frames": [len(seq) for seq in sequences],
        "absent": [0 if seq.absent is None else round(100 * float(np.mean(seq.absent)), 1) for seq in sequences],
        "attributes": [[attribute_names.index(key) for key, flag in seq.attributes.items() if flag] for seq in sequences],
        "scores": scores, "metrics": score_names,
        "main": protocol.main_metric if protocol.main_metric in score_names else score_names[0],
    }, [{"name": name, "short": short[name]} for name in attribute_names]


def _frames(sequences, results, table):
    """Per-frame series of every sequence (first run of each tracker), and thumbnails of those
    ``report_frames.thumbnail_sequences`` picks; none where a result lacks its boxes or their values
    (``scores.compute`` fills both, from the same pass as the scores)."""
    boxes = [result.boxes for result in results]
    values = [result.frame_values for result in results]
    if any(tracker_boxes is None for tracker_boxes in boxes) or any(known is None for known in values):
        return None, None
    per_sequence = [[tracker_values[seq.name] for tracker_values in values] for seq in sequences]
    series = [report_frames.series(seq, errors) for seq, errors in zip(sequences, per_sequence)]
    shown = set(report_frames.thumbnail_sequences(table["scores"][table["main"]]))
    jobs = [report_frames.thumbnail_jobs(seq, [tracker_boxes[index] for tracker_boxes in boxes], errors)
            if index in shown else [] for index, (seq, errors) in enumerate(zip(sequences, per_sequence))]
    return series, report_frames.render_thumbnails(jobs)


def report_data(protocol, sequences, results, summary, sequences_long, attributes, title, statistics=None,
                comparisons=None, notes=None):
    """Everything the page shows, as one JSON-ready dict (tests read it back from the file)."""
    names = [result.name for result in results]
    table, attribute_names = _sequences(protocol, sequences, sequences_long, names)
    series, thumbnails = _frames(sequences, results, table)
    return _clean({
        "title": title, "dataset": protocol.dataset,
        "protocol": {"key": protocol.key, "description": protocol.description, "main": protocol.main_metric},
        "generated": datetime.datetime.now().strftime("%Y-%m-%d %H:%M"),
        "groundTruthColor": GROUND_TRUTH,
        "trackers": _trackers(results),
        "summary": _summary(summary, names),
        "notes": list(notes or []),
        "comparisons": _comparisons(comparisons, names),
        "curves": _curves(protocol, results, statistics),
        "attributeChart": _attributes(attributes, names),
        "speed": _speed(summary, names, protocol.main_metric),
        "sequences": table, "attributeNames": attribute_names,
        "series": series, "thumbnails": thumbnails,
        "frameLimits": {"iouLevels": report_frames.IOU_LEVELS, "centerCap": report_frames.CENTER_CAP,
                        "noValue": report_frames.NO_VALUE},
        "thumbnailSequences": report_frames.THUMBNAIL_SEQUENCES,
    })


# Names in the data are text: with every "<", ">" and "&" escaped as JSON \u escapes (JSON.parse gives the
# same strings) no "</script", "<!--" or "<script" can change how the browser reads the script element;
# U+2028 / U+2029 are line ends to older JavaScript engines.
_DATA_ESCAPES = {ord("<"): "\\u003c", ord(">"): "\\u003e", ord("&"): "\\u0026", 0x2028: "\\u2028", 0x2029: "\\u2029"}


def data_block(data):
    """``data`` as JSON that can sit inside ``<script type="application/json">`` whatever its strings hold."""
    return json.dumps(data, separators=(",", ":"), allow_nan=False).translate(_DATA_ESCAPES)


def render_page(data):
    """The HTML text: template + inline CSS + inline script + the data block."""
    template = (ASSETS / "report.html").read_text(encoding="utf-8")
    payload = data_block(data)
    parts = {"TITLE": _escape(f"{data['title']}: evaluation report"),
             "CSS": (ASSETS / "report.css").read_text(encoding="utf-8"),
             "SCRIPT": (ASSETS / "report.js").read_text(encoding="utf-8"),
             "DATA": payload}
    for key, text in parts.items():
        template = template.replace("{{" + key + "}}", text)
    return template


def _escape(text):
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def write_html_report(protocol, sequences, results, report_dir, summary, sequences_long, attributes, title,
                      statistics=None, comparisons=None, notes=None):
    """Write ``<report_dir>/report.html`` (atomically); returns its path. The tables are
    ``tables.Table`` records as ``report`` builds them (summary, long per-sequence, long attributes or
    None, the raw comparison table or None); ``notes`` are shown under the summary."""
    data = report_data(protocol, sequences, results, summary, sequences_long, attributes, title, statistics,
                       comparisons, notes)
    path = Path(report_dir) / FILE_NAME
    atomic_write(path, render_page(data).encode("utf-8"), durable=False)
    return path
