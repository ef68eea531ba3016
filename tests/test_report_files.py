"""Report pieces: the pandas-free tables and the figures drawn by the forked drawing process."""
import math

import numpy as np
import pandas as pd
import pytest

from benchmarks.reports import plots
from benchmarks.reports.drawer import ForkedDrawer
from benchmarks.reports.tables import Table, pivot


def test_table_forms_match_what_readers_expect(tmp_path):
    table = Table(["Tracker", "AUC", "AUC std", "Runs"], [("a_b & c", 65.04, math.nan, 1), ("d", 70.0, 0.25, 3)],
                  index="Tracker", attrs={"protocol": "official"})
    assert table.to_markdown() == ("| Tracker | AUC | AUC std | Runs |\n|:---|---:|---:|---:|\n"
                                   "| a_b & c | 65.0 | - | 1 |\n| d | 70.0 | 0.2 | 3 |\n")
    (tmp_path / "t.csv").write_text(table.to_csv())
    read = pd.read_csv(tmp_path / "t.csv", index_col=0)
    assert read.loc["a_b & c", "AUC"] == 65.04 and np.isnan(read.loc["a_b & c", "AUC std"])
    assert read.loc["d", "Runs"] == 3
    latex = table.to_latex(caption="50% of 100_k", label="tab:x")
    assert r"\caption{50\% of 100\_k}" in latex and r"a\_b \& c & 65.0 & - & 1 \\" in latex
    assert latex.count(r"\begin{tabular}{lrrr}") == 1
    frame = table.to_dataframe()
    assert frame.loc["d", "AUC std"] == 0.25 and frame.attrs["protocol"] == "official"
    wide = pivot(Table(["Sequence", "Tracker", "AUC"], [("s1", "a", 1.0), ("s1", "b", 2.0), ("s2", "a", 3.0)]),
                 "AUC", ("Sequence",))
    assert wide.columns == ["Sequence", "a", "b"] and wide.rows[1][:2] == ("s2", 3.0) and math.isnan(wide.rows[1][2])


def curve_figure(stem, trackers=3):
    x = np.linspace(0, 1, 21)
    curves = [plots.Curve(f"T{k} [50.0]", "#1f77b4", "-", x, 1 - x ** (k + 1), 0.05 * x if k == 0 else None)
              for k in range(trackers)]
    return plots.CurveFigure(stem, "Success plot on X", "Overlap threshold", "Success rate", "AUC [%]", "lower left",
                             curves, "official protocol: rules")


def test_the_forked_drawer_writes_the_same_files_as_drawing_here(tmp_path):
    figures = [curve_figure(name) for name in ("a", "b", "c")]
    figures.append(plots.BarFigure("bars", "AUC per attribute", "AUC [%]", ["Fast Motion (3)", "Low Resolution (2)"],
                                   [("T0", [50.0, 40.0], "#1f77b4"), ("T1", [45.0, np.nan], "#ff7f0e")]))
    with ForkedDrawer() as drawer:
        forked = drawer.draw(figures, tmp_path / "forked", ("png", "pdf"))
    here = plots.Drawer().draw(figures, tmp_path / "here", ("png",))
    assert sorted(p.name for p in forked) == sorted(f"{f.stem}.{s}" for f in figures for s in ("png", "pdf"))
    assert sorted(p.name for p in here) == sorted(f"{f.stem}.png" for f in figures)
    for path in here:
        assert (tmp_path / "forked" / path.name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not [p for p in (tmp_path / "forked").iterdir() if p.name.startswith(".")]   # atomic: no temp left


def test_the_forked_drawer_reraises_errors_and_ends_when_not_used(tmp_path):
    (tmp_path / "file").write_text("a file where the report folder should go")
    drawer = ForkedDrawer()
    with pytest.raises(OSError):
        drawer.draw([curve_figure("a"), curve_figure("b")], tmp_path / "file" / "report")
    unused = ForkedDrawer()
    process = unused._process
    unused.close()
    assert process is None or process.exitcode == 0
