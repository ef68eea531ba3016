"""``python -m benchmarks.visualize``: annotated videos of results, in the plots' colours."""
import numpy as np
import pandas as pd
import pytest

from benchmarks import visualize
from benchmarks.metrics import FrameErrors
from simtrack.data.sequence import Sequence
from simtrack.errors import DatasetError
from simtrack.palette import GROUND_TRUTH, rgb, tracker_color
from visual_data import FRAMES, NAMES, tracker_boxes, video_frames, visual_report  # noqa: F401 (fixture)


def argv(visual_report, *extra):
    data_root, results, _ = visual_report
    return ["--dataset", "lasot", "--data-root", str(data_root), "--results", str(results),
            "--trackers", "SimTrack", "Drifter", *extra]


def test_one_video_per_sequence_with_every_box_in_its_colour(visual_report, tmp_path, capsys):
    assert visualize.main(argv(visual_report, "--out", str(tmp_path), "--gif")) == 0
    assert "8 videos of 4 sequences" in capsys.readouterr().out
    for name in NAMES:
        assert len(video_frames(tmp_path / f"{name}.mp4")) == FRAMES
    from PIL import Image
    with Image.open(tmp_path / "bird-2.gif") as gif:
        assert gif.n_frames == FRAMES
        gif.seek(12)
        image = np.asarray(gif.convert("RGB")).astype(int)
    x, y, w, h = np.round(tracker_boxes("drifting", 1)[12]).astype(int)   # bird-2 is sequence 1: the drifter has left
    top_edge = image[y, x + 4:x + w - 4]
    assert np.abs(np.median(top_edge, 0) - rgb(tracker_color(1))).max() < 40
    legend = image[:60, :20].reshape(-1, 3)
    for color in (GROUND_TRUTH, tracker_color(0), tracker_color(1)):      # the legend's swatches
        assert (np.abs(legend - rgb(color)).sum(1) < 40).sum() >= 9, color


def test_worst_picks_the_lowest_mean_score(visual_report, tmp_path):
    assert visualize.main(argv(visual_report, "--out", str(tmp_path), "--worst", "1")) == 0
    *_, report = visual_report
    table = pd.read_csv(report.parent / "per_sequence.csv").groupby("Sequence")["AUC"].mean()
    assert [p.stem for p in tmp_path.glob("*.mp4")] == [table.idxmin()]


def test_frame_notes_follow_the_rules_values():
    errors = FrameErrors(iou=np.array([1.0, 0.4567, -1.0, np.nan]))
    absent = np.array([False, False, True, False])
    assert [visualize.frame_note(errors, k, absent) for k in range(4)] == ["IoU 1.00", "IoU 0.46", "absent", "IoU -"]


def test_videos_need_the_frames():
    seq = Sequence("s", "lasot", ["/nowhere/00000001.jpg"], np.zeros((1, 4)))
    with pytest.raises(DatasetError, match="frame /nowhere/00000001.jpg does not exist; annotated videos need"):
        visualize.check_frames([seq])
