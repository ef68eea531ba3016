"""report.html in a real browser: headless Chromium (the Debian ``chromium`` package; .ci/run installs it).

Checks what a reader would notice: no script error and no request leaving the file, one table row
per sequence, charts that are drawn (and a screenshot that is not blank), sorting by a click on a
column header, filtering, and a sequence's per-frame chart and thumbnails opening on a click.
"""
import json

import cv2
import numpy as np
import pytest
from browser import BrowserError, Chromium, find_chromium
from visual_data import NAMES, visual_report  # noqa: F401 (fixture)

from benchmarks.reports import evaluate
from simtrack.data.sequence import Sequence
from simtrack.formats.palette import rgb, tracker_color

pytestmark = pytest.mark.skipif(find_chromium() is None,
                                reason="chromium is not installed (apt-get install chromium; .ci/run does it)")


@pytest.fixture(scope="module")
def browser():
    try:
        chromium = Chromium(timeout=60)
    except BrowserError as error:
        pytest.skip(f"chromium does not start: {error}")
    with chromium:
        yield chromium


@pytest.fixture(scope="module")
def page(browser, visual_report):
    *_, path = visual_report
    page = browser.open(path)
    assert page.evaluate("document.body.getAttribute('data-ready')") == "1"
    return page


def rows(page):
    return page.evaluate("Array.from(document.querySelectorAll('#sequence-table tbody tr.seq-row'))"
                         ".map(function (tr) { return tr.getAttribute('data-name'); })")


def column(page, key):
    """The numbers shown in one column of the sequence table, top to bottom."""
    index = page.evaluate(f"Array.from(document.querySelectorAll('#sequence-table thead th'))"
                          f".findIndex(function (th) {{ return th.getAttribute('data-key') === {json.dumps(key)}; }})")
    return [float(text) for text in page.evaluate(
        f"Array.from(document.querySelectorAll('#sequence-table tbody tr.seq-row'))"
        f".map(function (tr) {{ return tr.children[{index}].firstChild.textContent; }})")]


def test_page_loads_offline_without_errors(page, visual_report):
    *_, path = visual_report
    assert page.problems() == []
    assert page.requests() == [path.resolve().as_uri()]       # the file itself, nothing else
    assert page.evaluate("document.title") == "LaSOT: evaluation report"


def test_tables_have_one_row_per_sequence_and_tracker(page):
    assert sorted(rows(page)) == sorted(NAMES)
    assert page.evaluate("document.querySelectorAll('#summary-scores tbody tr').length") == 2
    assert page.evaluate("document.getElementById('count').textContent") == f"{len(NAMES)} of {len(NAMES)} sequences"
    assert "Protocol: official" in page.evaluate("document.getElementById('protocol').textContent")


def test_figures_are_drawn(page):
    curves = page.evaluate("Array.from(document.querySelectorAll('#curve-charts path.curve'))"
                           ".map(function (p) { return [p.getAttribute('stroke'), p.getAttribute('d').length]; })")
    assert len(curves) == 3 * 2 and all(length > 50 for _, length in curves)
    assert {color for color, _ in curves} == {tracker_color(0), tracker_color(1)}
    assert page.evaluate("document.querySelectorAll('#extra-charts svg.chart').length") == 2   # attributes, speed
    image = cv2.imdecode(np.frombuffer(page.screenshot(), np.uint8), cv2.IMREAD_COLOR)
    assert image.shape[:2] == (1000, 1400) and image.std() > 10, "the screenshot is blank"
    for index in (0, 1):   # the trackers' curve colours are on screen
        color = np.array(rgb(tracker_color(index))[::-1])
        assert (np.abs(image.astype(int) - color).sum(2) < 30).sum() > 200


def test_clicking_a_header_sorts_the_table(page):
    page.click("#sequence-table th[data-key=t1]")
    scores = column(page, "t1")
    assert scores == sorted(scores, reverse=True)
    assert page.evaluate("document.querySelector('#sequence-table th[data-key=t1]').getAttribute('aria-sort')") == "descending"
    page.click("#sequence-table th[data-key=t1]")
    assert column(page, "t1") == sorted(scores)
    page.click("#sequence-table th[data-key=name]")
    assert rows(page) == sorted(NAMES)


def test_filter_by_name_and_attribute(page):
    page.evaluate("(function () { var f = document.getElementById('filter'); f.value = 'cat'; "
                  "f.dispatchEvent(new Event('input')); })()")
    assert sorted(rows(page)) == ["cat-1", "cat-3"]
    page.evaluate("(function () { var f = document.getElementById('filter'); f.value = ''; "
                  "f.dispatchEvent(new Event('input')); })()")
    assert len(rows(page)) == len(NAMES)
    # attribute k is set on sequences whose index has the other parity: half of them
    page.evaluate("(function () { var s = document.getElementById('attribute-filter'); s.selectedIndex = 1; "
                  "s.dispatchEvent(new Event('change')); })()")
    assert len(rows(page)) == len(NAMES) // 2
    page.evaluate("(function () { var s = document.getElementById('attribute-filter'); s.selectedIndex = 0; "
                  "s.dispatchEvent(new Event('change')); })()")


def test_a_row_opens_its_per_frame_chart_and_thumbnails(page):
    page.click("#sequence-table tr.seq-row[data-name='bird-1']")
    detail = "#sequence-table tr.detail[data-index='0']"
    lines = page.evaluate(f"document.querySelectorAll(\"{detail} path.frame-line\").length")
    absent = page.evaluate(f"document.querySelectorAll(\"{detail} rect.absent\").length")
    images = page.evaluate(f"Array.from(document.querySelectorAll(\"{detail} img\"))"
                           ".map(function (img) { return img.complete && img.naturalWidth; })")
    assert lines == 2 and absent == 1 and len(images) == 2 and all(images)
    page.click(f"{detail} .segmented button:last-child")        # centre error
    assert page.evaluate(f"document.querySelector(\"{detail} .axis-label:last-of-type\").textContent") == "Centre error [px]"
    assert page.evaluate(f"document.querySelectorAll(\"{detail} path.frame-line\").length") == 2
    assert page.problems() == []


def test_a_got10k_report_of_one_tracker_without_frames(browser, tmp_path):
    """Pooled AO/SR scores, a success plot only, no attributes, speed, thumbnails or centre errors."""
    rng = np.random.default_rng(3)
    seqs = []
    for index in range(3):
        boxes = np.round(np.c_[rng.uniform(5, 50, (40, 2)), rng.uniform(10, 40, (40, 2))])
        seq = Sequence(f"GOT-10k_Val_00000{index + 1}", "got10k_val", [""] * 40, boxes,
                       absent=np.arange(40) % 13 == 5, meta={"cover": np.full(40, 5), "image_size": (100, 100)})
        seqs.append(seq)
        folder = tmp_path / "t" / seq.name
        folder.mkdir(parents=True)
        np.savetxt(folder / f"{seq.name}_001.txt", boxes + rng.normal(0, 3, boxes.shape), delimiter=",")
    evaluate("got10k_val", {"only": tmp_path / "t"}, seqs, report_dir=tmp_path / "r")
    page = browser.open(tmp_path / "r" / "report.html")
    assert page.evaluate("document.body.getAttribute('data-ready')") == "1"
    assert page.evaluate("Array.from(document.querySelectorAll('#summary-scores thead th'))"
                         ".map(function (th) { return th.textContent; })") == ["Tracker", "AO [%]", "SR0.5 [%]", "SR0.75 [%]", "FPS"]
    assert page.evaluate("document.querySelectorAll('#curve-charts svg.chart').length") == 1
    assert page.evaluate("document.getElementById('extra-charts')") is None
    assert len(rows(page)) == 3
    page.click("#sequence-table th[data-key=t0]")
    page.click("#sequence-table tbody tr.seq-row")
    assert page.evaluate("document.querySelectorAll('tr.detail path.frame-line').length") == 1
    assert page.evaluate("document.querySelectorAll('tr.detail .segmented button').length") == 1   # IoU only
    assert page.evaluate("document.querySelectorAll('tr.detail img').length") == 0
    assert page.problems() == []


def test_the_browser_harness_reports_script_errors_and_failed_requests(browser, tmp_path):
    """The checks above can fail: a page with an exception, a console error and a missing image."""
    bad = tmp_path / "bad.html"
    bad.write_text("<!DOCTYPE html><html><body><img src='missing.png'>"
                   "<script>console.error('boom'); null.field;</script></body></html>")
    page = browser.open(bad)
    problems = "\n".join(page.problems())
    assert "console.error" in problems and "boom" in problems
    assert "exception: TypeError" in problems
    assert "failed request: net::ERR_FILE_NOT_FOUND" in problems


def test_intervals_notes_comparisons_and_bands_are_shown(browser, visual_report, tmp_path):
    """--compare, --bands interval and a result file one row too long (cut, and named in the notes)."""
    import shutil

    from benchmarks import evaluate as evaluate_command
    data, results, _ = visual_report
    shutil.copytree(results / "Drifter" / "lasot", tmp_path / "Drifter")
    extra = np.loadtxt(tmp_path / "Drifter" / "cat-1.txt", delimiter=",")
    np.savetxt(tmp_path / "Drifter" / "cat-1.txt", np.vstack([extra, extra[-1:]]), fmt="%.2f", delimiter=",")
    assert evaluate_command.main(["--dataset", "lasot", "--data-root", str(data), "--results", str(results),
                                  "--trackers", "SimTrack", f"Drifter={tmp_path / 'Drifter'}", "--compare",
                                  "--bands", "interval", "--bootstrap", "200", "--report-dir", str(tmp_path / "r")]) == 0
    page = browser.open(tmp_path / "r" / "report.html")
    assert page.evaluate("document.body.getAttribute('data-ready')") == "1"
    assert page.evaluate("document.querySelectorAll('#summary-scores .ci').length") == 2 * 5
    assert "percentile bootstrap interval" in page.evaluate("document.querySelector('.ci-note').textContent")
    notes = page.evaluate("Array.from(document.querySelectorAll('#summary-notes li')).map(function (li) { return li.textContent; })")
    assert len(notes) == 1 and "cat-1 (17 rows for 16 frames: 1 extra row cut)" in notes[0]
    assert page.evaluate("document.querySelectorAll('#comparison-scores tbody tr').length") == 5
    assert page.evaluate("document.querySelectorAll('#curve-charts path.band').length") == 3 * 2
    assert page.problems() == []
