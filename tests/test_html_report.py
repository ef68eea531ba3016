"""report.html: written by every evaluation, self-contained, its data complete and compact.

The page itself is opened in a real browser in test_report_browser.py; here we read back the JSON
block it is drawn from and check the per-frame pieces (series, spans, thumbnails) one by one.
"""
import base64
import json
import re

import cv2
import numpy as np
import pytest
from visual_data import FRAMES, NAMES, tracker_boxes, visual_report  # noqa: F401 (fixture)

from benchmarks.reports import evaluate as run_evaluation
from benchmarks.reports import frames as report_frames
from benchmarks.reports import html_page as html_report
from benchmarks.scoring import metrics
from simtrack.data import load_dataset
from simtrack.data.sequence import Sequence
from simtrack.formats.palette import rgb, tracker_color


def page_data(path):
    text = path.read_text(encoding="utf-8")
    block = re.search(r'<script type="application/json" id="report-data">(.*?)</script>', text, re.S).group(1)
    return text, json.loads(block.replace("<\\/", "</"))


def test_every_evaluation_writes_a_self_contained_report(visual_report):
    *_, path = visual_report
    text, data = page_data(path)
    assert text.startswith("<!DOCTYPE html>") and "{{" not in text
    # nothing to fetch: no external URL, no src/href but data: URLs, and a policy forbidding the rest
    assert not re.search(r"(?:src|href)\s*=\s*[\"'](?!data:)", text)
    assert not re.search(r"https?://(?!www\.w3\.org/2000/svg)", text)
    assert "default-src 'none'" in text
    assert data["title"] == "LaSOT" and data["protocol"]["key"] == "official"
    assert "MATLAB" in data["protocol"]["description"]
    assert [t["name"] for t in data["trackers"]] == ["SimTrack", "Drifter"]
    assert [t["color"] for t in data["trackers"]] == [tracker_color(0), tracker_color(1)]
    assert data["summary"]["metrics"] == ["AUC", "P", "NP", "OP50", "OP75", "FPS"]
    assert [row["tracker"] for row in data["summary"]["rows"]] == [0, 1]           # best first
    assert [c["key"] for c in data["curves"]] == ["success", "precision", "normalized"]
    assert len(data["curves"][0]["x"]) == 21 and len(data["curves"][0]["series"][0]["mean"]) == 21
    assert len(data["attributeChart"]["rows"]) == 14
    assert {p["tracker"]: round(p["fps"]) for p in data["speed"]} == {0: 50, 1: 200}


def test_per_sequence_table_data_matches_the_csv(visual_report):
    root, _, path = visual_report
    _, data = page_data(path)
    table = data["sequences"]
    assert table["names"] == list(NAMES) and table["frames"] == [FRAMES] * len(NAMES)
    assert table["main"] == "AUC" and set(table["metrics"]) == {"AUC", "P", "NP", "OP50", "OP75"}
    import pandas as pd
    csv = pd.read_csv(path.parent / "per_sequence.csv")
    for k, tracker in enumerate(["SimTrack", "Drifter"]):
        expected = csv[csv.Tracker == tracker].set_index("Sequence").loc[list(NAMES), "AUC"].to_numpy()
        np.testing.assert_allclose(table["scores"]["AUC"][k], expected, atol=0.006)
    assert table["absent"][0] == pytest.approx(100 * 3 / FRAMES, abs=0.1) and table["absent"][1] == 0
    shorts = [a["short"] for a in data["attributeNames"]]
    assert "IV" in shorts and "POC" in shorts and len(set(shorts)) == len(shorts)


def test_frame_series_decode_to_the_per_frame_iou(visual_report):
    root, _, path = visual_report
    _, data = page_data(path)
    sequences = load_dataset("lasot", root=root)
    rules = metrics.get_protocol("lasot")
    truth = metrics.GroundTruth.from_sequences(sequences)
    expected = metrics.frame_values(rules, truth, [tracker_boxes("drifting", i) for i in range(len(NAMES))])
    for index, name in enumerate(NAMES):
        entry = data["series"][index]
        assert entry["step"] == 1                           # 16 frames: no binning
        stored = np.frombuffer(base64.b64decode(entry["iou"][1]), np.uint8)
        iou = expected[name].iou
        scored = iou >= 0
        assert len(stored) == FRAMES
        np.testing.assert_allclose(stored[scored] / report_frames.IOU_LEVELS, iou[scored], atol=0.003)
        assert (stored[~scored] == report_frames.NO_VALUE).all()
        assert len(entry["center"]) == 2
    assert data["series"][0]["absent"] == [[4, 6]] and data["series"][1]["absent"] == []


def test_thumbnails_show_the_boxes_in_the_plot_colours(visual_report):
    *_, path = visual_report
    _, data = page_data(path)
    thumbs = data["thumbnails"]
    assert len(thumbs) == len(NAMES) and all(len(t) == report_frames.THUMBNAILS for t in thumbs)
    first = thumbs[1][0]
    assert first["why"] == "lowest IoU" and first["frame"] >= FRAMES // 2     # the drifter has lost it there
    assert first["iou"][0] > 0.8 and first["iou"][1] < 0.2
    jpeg = base64.b64decode(first["src"].split(",", 1)[1])
    image = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)
    assert image.shape[:2] == report_frames.THUMB_SIZE[::-1] or max(image.shape[:2]) <= max(report_frames.THUMB_SIZE)
    assert len(jpeg) < 15_000
    orange = np.array(rgb(tracker_color(1))[::-1])                             # BGR
    assert (np.abs(image.astype(int) - orange).sum(2) < 90).sum() > 20, "the drifter's box is not drawn in its colour"


def test_report_without_frames_or_time_files_still_has_everything_else(tmp_path):
    rng = np.random.default_rng(1)
    seqs = []
    (tmp_path / "t").mkdir()
    for index in range(3):
        gt = np.round(np.c_[rng.uniform(5, 50, (30, 2)), rng.uniform(10, 40, (30, 2))])
        seqs.append(Sequence(f"s{index}", "otb100", [str(tmp_path / "nowhere.jpg")] * 30, gt))
        np.savetxt(tmp_path / "t" / f"s{index}.txt", gt + 2, delimiter=",")
    run_evaluation("otb100", {"t": tmp_path / "t"}, seqs, report_dir=tmp_path / "r")
    _, data = page_data(tmp_path / "r" / "report.html")
    assert data["thumbnails"] == [[], [], []]
    assert data["speed"] is None and data["attributeChart"] is None and data["attributeNames"] == []
    assert len(data["series"]) == 3 and data["title"] == "OTB100"


def test_long_sequences_are_binned_to_a_few_hundred_points():
    values = np.linspace(0, 1, 2500)
    binned = report_frames.binned_mean(values, 7)
    assert len(binned) == 358 and binned[0] == pytest.approx(values[:7].mean())
    with_gaps = values.copy()
    with_gaps[:14] = np.nan
    assert np.isnan(report_frames.binned_mean(with_gaps, 7)[:2]).all()
    errors = metrics.FrameErrors(iou=np.r_[np.linspace(0, 1, 2499), -1.0], center=np.r_[np.full(2499, 3.0), np.inf])
    sequence = Sequence("long", "lasot", [""] * 2500, np.zeros((2500, 4)), absent=np.r_[np.zeros(2400, bool), np.ones(100, bool)])
    entry = report_frames.series(sequence, [errors])
    assert entry["step"] == 7 and len(base64.b64decode(entry["iou"][0])) == 358
    assert entry["absent"] == [[2400, 2499]]
    center = np.frombuffer(base64.b64decode(entry["center"][0]), np.uint8)
    assert center[0] == 3 and center[-1] == report_frames.NO_VALUE   # the last bin holds only an +inf (absent) frame


def test_quantized_values_and_spans():
    assert list(report_frames.quantize_iou(np.array([0, 0.5, 1, np.nan]))) == [0, 100, 200, 255]
    assert list(report_frames.quantize_center(np.array([0, 12.4, 300, np.inf, np.nan]))) == [0, 12, 251, 251, 255]
    assert report_frames.spans([0, 1, 1, 0, 1]) == [[1, 2], [4, 4]] and report_frames.spans([0, 0]) == []


def test_frames_chosen_where_trackers_fail_and_disagree():
    good = np.full(100, 0.8)
    bad = good.copy()
    bad[60:70] = 0.0                 # the second tracker fails here
    both = np.vstack([good, bad])
    both[:, 30] = 0.05               # both fail on frame 30
    chosen = report_frames.choose_frames(both, np.zeros(100, bool), count=2)
    assert chosen == [(30, "lowest IoU"), (60, "trackers disagree most")]
    absent = np.zeros(100, bool)
    absent[25:35] = True             # absent frames and frame 0 are never shown
    assert report_frames.choose_frames(both, absent, count=1)[0][0] == 60
    assert report_frames.choose_frames(np.full((1, 5), np.nan), None) == []


def test_crop_keeps_the_boxes_in_the_thumbnail_aspect():
    x0, y0, x1, y1 = report_frames.crop_region((720, 1280), [np.array([600, 300, 40, 40]), np.array([900, 320, 40, 40])])
    assert x0 <= 600 and x1 >= 940 and y0 <= 300 and y1 >= 360
    assert (x1 - x0) / (y1 - y0) == pytest.approx(4 / 3, rel=0.02)
    assert report_frames.crop_region((720, 1280), [np.array([np.nan] * 4)]) == (0, 0, 1280, 720)


@pytest.mark.parametrize("name", ["x</script><b>", "<!--<script>", "a&amp;\u2028b", "</SCRIPT >"])
def test_page_data_is_strict_json_and_cannot_leave_its_script(name):
    data = {"title": name, "value": float("nan")}
    page = html_report.render_page(html_report._clean(dict(data, trackers=[])))
    block = re.search(r'id="report-data">(.*?)</script>', page, re.S).group(1)
    assert page.count("</script>") == 2 and not set("<>&\u2028") & set(block)    # names stay text
    assert json.loads(block) == {"title": name, "value": None, "trackers": []}


def test_thumbnails_go_to_the_sequences_worth_a_look():
    scores = [[90, 20, 60, 80, None], [85, 25, 20, 80, None]]    # percent, per tracker and sequence
    assert report_frames.thumbnail_sequences(scores, count=2) == [2, 1]   # 2: low and disputed; 1: low
    assert report_frames.thumbnail_sequences(scores, count=10)[-1] == 4   # no score: last


def test_the_size_and_time_script_runs(capsys):
    from benchmarks.perf import html_report as perf
    assert perf.main(["--sequences", "3", "--frames", "60", "--repeat", "1"]) == 0
    out = capsys.readouterr().out
    assert "evaluate() without report.html" in out and "report.html adds" in out
    assert "(6 JPEGs)" in out and "KiB per sequence" in out
