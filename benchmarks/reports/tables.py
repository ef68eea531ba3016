"""A small table of report numbers and its Markdown, CSV and LaTeX forms, without pandas.

Reports are written by a command that should start fast (pandas alone takes ~0.8 s to import), so
tables are plain rows here; ``to_dataframe`` gives the pandas view the Python API returns.
"""
import csv
import io
import math
from dataclasses import dataclass, field
from typing import Any, Optional

_LATEX_SPECIAL = {"&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_", "{": r"\{", "}": r"\}",
                  "~": r"\textasciitilde{}", "^": r"\textasciicircum{}", "\\": r"\textbackslash{}",
                  "±": r"$\pm$", "<": r"\textless{}", ">": r"\textgreater{}"}


@dataclass
class Table:
    """Rows of values under named columns; ``index`` names the column that labels the rows (or None)."""

    columns: list[str]
    rows: list[tuple]
    index: Optional[str] = None
    attrs: dict[str, Any] = field(default_factory=dict)

    def column(self, name):
        position = self.columns.index(name)
        return [row[position] for row in self.rows]

    def to_markdown(self, digits=1):
        """A GitHub Markdown table: numbers right-aligned with ``digits`` decimals, NaN as ``-``."""
        numeric = [all(_is_number(row[k]) for row in self.rows) and bool(self.rows) for k in range(len(self.columns))]
        lines = ["| " + " | ".join(map(str, self.columns)) + " |",
                 "|" + "|".join("---:" if flag else ":---" for flag in numeric) + "|"]
        lines += ["| " + " | ".join(_text(value, digits, "-") for value in row) + " |" for row in self.rows]
        return "\n".join(lines) + "\n"

    def to_csv(self, float_format="%.6f"):
        """CSV text as pandas writes it: floats in ``float_format``, NaN as an empty field."""
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(self.columns)
        for row in self.rows:
            writer.writerow(["" if _is_nan(value) else float_format % value if isinstance(value, float) else value
                             for value in row])
        return buffer.getvalue()

    def to_latex(self, digits=1, caption=None, label=None):
        """A booktabs ``table``/``tabular`` with the caption and label, text escaped, NaN as ``-``."""
        numeric = [all(_is_number(row[k]) for row in self.rows) and bool(self.rows) for k in range(len(self.columns))]
        lines = [r"\begin{table}"]
        if caption:
            lines.append(rf"\caption{{{_latex(caption)}}}")
        if label:
            lines.append(rf"\label{{{label}}}")
        lines += [r"\begin{tabular}{" + "".join("r" if flag else "l" for flag in numeric) + "}", r"\toprule",
                  " & ".join(_latex(str(column)) for column in self.columns) + r" \\", r"\midrule"]
        lines += [" & ".join(_latex(_text(value, digits, "-")) for value in row) + r" \\" for row in self.rows]
        lines += [r"\bottomrule", r"\end{tabular}", r"\end{table}"]
        return "\n".join(lines) + "\n"

    def to_dataframe(self):
        """The same table as a pandas DataFrame (``index`` as its index, ``attrs`` kept)."""
        try:
            import pandas as pd
        except ImportError:
            raise ImportError("a DataFrame needs pandas (pip install pandas); without it, use "
                              "benchmarks.reports.evaluate_table, which returns a benchmarks.reports.tables.Table") from None
        frame = pd.DataFrame([list(row) for row in self.rows], columns=list(self.columns))
        if self.index is not None:
            frame = frame.set_index(self.index)
        frame.attrs.update(self.attrs)
        return frame


def pivot(table, value, keys, across="Tracker"):
    """Wide view of a long table: one row per distinct ``keys`` tuple, one column per ``across`` value."""
    key_at = [table.columns.index(key) for key in keys]
    across_at, value_at = table.columns.index(across), table.columns.index(value)
    wide, names = {}, []
    for row in table.rows:
        name = row[across_at]
        if name not in names:
            names.append(name)
        wide.setdefault(tuple(row[k] for k in key_at), {})[name] = row[value_at]
    rows = [key + tuple(values.get(name, math.nan) for name in names) for key, values in wide.items()]
    return Table(list(keys) + names, rows)


def _is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _is_nan(value):
    return isinstance(value, float) and math.isnan(value)


def _text(value, digits, nan):
    if isinstance(value, float):
        return nan if math.isnan(value) else f"{value:.{digits}f}"
    return str(value)


def _latex(text):
    return "".join(_LATEX_SPECIAL.get(char, char) for char in text)
