"""``python -m benchmarks.visualize``: annotated videos of results, in the plots' colours; and the
README's block that shows the report, the videos and ``simtrack.track``, run as printed."""
import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from test_docs import run_line
from visual_data import (  # noqa: F401
    FRAMES,
    NAMES,
    make_visual_lasot,
    tracker_boxes,
    video_frames,
    visual_report,
    write_clip,
    write_results,
)

from benchmarks import visualize
from benchmarks.scoring.metrics import FrameErrors
from simtrack.data.sequence import Sequence
from simtrack.errors import DatasetError
from simtrack.formats.box_tables import read_boxes
from simtrack.formats.palette import GROUND_TRUTH, rgb, tracker_color
from simtrack.weights import EMBEDDED_CHECKPOINT

README = Path(__file__).resolve().parents[1] / "README.md"


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


def test_the_readme_block_runs_as_printed(tmp_path, monkeypatch, capsys):
    block = re.search(r"<!-- tests/test_visualize.py runs this block[^>]*-->\s*```bash\n(.*?)```",
                      README.read_text(), re.S).group(1)
    make_visual_lasot(tmp_path / "data" / "LaSOT")
    monkeypatch.setenv("SIMTRACK_DATA", str(tmp_path / "data"))
    monkeypatch.chdir(tmp_path)
    write_results(tmp_path / "results" / "sim-b16" / "lasot", "good")
    write_results(tmp_path / "raw_results" / "OSTrack" / "lasot", "drifting")
    shutil.copy(EMBEDDED_CHECKPOINT, tmp_path / "sim-b16.safetensors")
    write_clip(tmp_path / "clip.mp4")
    for line in block.strip().splitlines():
        run_line(line, {}, monkeypatch, capsys)
    assert (tmp_path / "results" / "reports" / "lasot" / "report.html").stat().st_size > 10_000
    assert sorted(p.stem for p in (tmp_path / "results" / "videos" / "lasot").glob("*.mp4")) == sorted(NAMES)
    assert len(video_frames(tmp_path / "tracked.mp4")) == 20
    assert read_boxes(tmp_path / "clip_boxes.txt").shape == (20, 4)
