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
from simtrack.palette import rgb, tracker_color
from visual_data import NAMES, visual_report  # noqa: F401 (fixture)

pytestmark = pytest.mark.skipif(find_chromium() is None,
                                reason="chromium is not installed (apt-get install chromium; .ci/run does it)")


@pytest.fixture(scope="module")
def page(visual_report):
    *_, path = visual_report
    try:
        browser = Chromium(timeout=60)
    except BrowserError as error:
        pytest.skip(f"chromium does not start: {error}")
    with browser:
        page = browser.open(path)
        assert page.evaluate("document.body.getAttribute('data-ready')") == "1"
        yield page


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
