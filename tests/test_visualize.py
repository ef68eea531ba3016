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


def test_the_legend_shows_the_value_scoring_counts_on_padded_frames(tmp_path, monkeypatch):
    """pytracking scores the zero boxes it pads a short file with as IoU 0 (not as boxes to carry
    over): the legend shows scoring's per-frame value, not one computed again from padded boxes."""
    from benchmarks.scoring import metrics
    from benchmarks.scoring.scores import compute, load_all
    from simtrack.data import load_dataset
    make_visual_lasot(tmp_path / "LaSOT_ext")
    folder = write_results(tmp_path / "results" / "SimTrack" / "lasot_ext", "good")
    np.savetxt(folder / "bird-2.txt", tracker_boxes("good", 1)[:10], fmt="%.2f", delimiter=",")
    shown = {}
    monkeypatch.setattr(visualize, "render", lambda seq, names, boxes, errors, *_: shown.update({seq.name: errors[0]}) or [])
    assert visualize.main(["--dataset", "lasot_ext", "--data-root", str(tmp_path / "LaSOT_ext"), "--results",
                           str(tmp_path / "results"), "--trackers", "SimTrack", "--protocol", "pytracking",
                           "--out", str(tmp_path / "videos")]) == 0
    protocol = metrics.get_protocol("lasot_ext", "pytracking")
    sequences = load_dataset("lasot_ext", root=tmp_path / "LaSOT_ext")
    truth = metrics.GroundTruth.from_sequences(sequences, protocol.needs_cover)
    scored = compute(protocol, truth, load_all(protocol, {"SimTrack": folder}, sequences)[0]).frame_values
    assert set(shown) == set(NAMES)
    for seq in sequences:
        notes = [visualize.frame_note(shown[seq.name], k, seq.absent) for k in range(FRAMES)]
        assert notes == [visualize.frame_note(scored[seq.name], k, seq.absent) for k in range(FRAMES)]
    assert [visualize.frame_note(shown["bird-2"], k, None) for k in range(10, FRAMES)] == ["IoU 0.00"] * 6


def test_the_default_video_folder_is_never_reached_through_a_link(visual_report, tmp_path):
    """Videos go to <results>/videos/<dataset>: a ``videos`` link in a downloaded results folder is
    refused, not followed."""
    from simtrack.errors import ReportError
    data_root, results, _ = visual_report
    copied = tmp_path / "results"
    for tracker in ("SimTrack", "Drifter"):
        shutil.copytree(results / tracker, copied / tracker)
    (tmp_path / "elsewhere").mkdir()
    (copied / "videos").symlink_to(tmp_path / "elsewhere")
    with pytest.raises(ReportError, match=r"videos is a symbolic link .* the videos would land there.* pass --out"):
        visualize.main(["--dataset", "lasot", "--data-root", str(data_root), "--results", str(copied),
                        "--trackers", "SimTrack", "Drifter"])
    assert not any((tmp_path / "elsewhere").iterdir())
