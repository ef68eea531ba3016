"""The synthetic video generator and the demo benchmark written from it."""
import json
import os

import numpy as np
import pytest

from simtrack.data import ensure_demo_dataset, load_dataset, render_sequence, resolve_root
from simtrack.data.synthetic.generator import DEMO_SEED_BASE, MARKER, PATTERNS, _make_scene, _render
from simtrack.errors import DatasetError

SMALL = (96, 72)


def test_same_seed_same_video_other_seed_other_video():
    first, again = render_sequence(7, 30, SMALL), render_sequence(7, 30, SMALL)
    for field in ("frames", "boxes", "absent", "visibility"):
        np.testing.assert_array_equal(getattr(first, field), getattr(again, field))
    assert first.description == again.description and first.attributes == again.attributes
    other = render_sequence(8, 30, SMALL)
    assert not np.array_equal(first.frames, other.frames)
    assert first.frames.shape == (30, 72, 96, 3) and first.frames.dtype == np.uint8
    assert first.boxes.dtype == np.float64 and first.boxes.shape == (30, 4)


@pytest.mark.parametrize("seed", [DEMO_SEED_BASE + k for k in range(4)] + [3, 11])
def test_boxes_cover_exactly_where_the_target_was_drawn(seed):
    scene = _make_scene(seed, 60, SMALL, None)
    video, without = _render(scene), _render(scene, draw_target=False)
    drawn = np.any(video.frames != without.frames, axis=3)          # (N, H, W): pixels the target changed
    assert not video.absent[0] and video.visibility[0] == 1
    for t in range(60):
        x, y, w, h = video.boxes[t].astype(int)
        inside = np.zeros(drawn.shape[1:], dtype=bool)
        inside[y:y + h, x:x + w] = True
        if video.out_of_view[t]:                   # at most a sliver (< 5 %) of the target is in the frame
            assert np.all(video.boxes[t] == 0)
            assert drawn[t].sum() < 0.05 * np.prod(scene.target_rects[t, 2:])
            continue
        assert not np.any(drawn[t] & ~inside), f"frame {t}: target pixels outside its box"
        if video.visibility[t] == 1:
            ys, xs = np.nonzero(drawn[t])          # a fully visible target fills its box edge to edge
            assert abs(xs.min() - x) <= 1 and abs(xs.max() + 1 - (x + w)) <= 1
            assert abs(ys.min() - y) <= 1 and abs(ys.max() + 1 - (y + h)) <= 1
        if video.full_occlusion[t]:
            assert drawn[t].sum() < 0.05 * np.prod(scene.target_rects[t, 2:])


def test_videos_exercise_absence_and_occlusion():
    videos = [render_sequence(DEMO_SEED_BASE + k, 120, SMALL) for k in range(8)]
    assert any(v.out_of_view.any() for v in videos) and any(v.full_occlusion.any() for v in videos)
    assert any(v.attributes["Partial Occlusion"] for v in videos)
    for video in videos:
        np.testing.assert_array_equal(video.absent, video.out_of_view | video.full_occlusion)
        assert not np.any(video.out_of_view & video.full_occlusion)
        assert video.absent.mean() < 0.6


def test_demo_dataset_written_once_in_lasot_layout(tmp_path):
    root = tmp_path / "demo"
    assert ensure_demo_dataset(root, num_sequences=5, num_frames=8, size=SMALL) == root
    names = (root / "testing_set.txt").read_text().split()
    assert names == ["checker-1", "stripes-1", "blobs-1", "rings-1", "checker-2"]
    folder = root / "stripes" / "stripes-1"
    assert sorted(os.listdir(folder / "img"))[:2] == ["00000001.jpg", "00000002.jpg"]
    assert len(os.listdir(folder / "img")) == 8
    for name in ("groundtruth.txt", "full_occlusion.txt", "out_of_view.txt", "nlp.txt"):
        assert (folder / name).is_file()
    assert json.loads((root / MARKER).read_text())["num_sequences"] == 5
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]      # no staging left behind

    stamp = (root / MARKER).stat().st_mtime_ns
    ensure_demo_dataset(root, num_sequences=5, num_frames=8, size=SMALL)
    assert (root / MARKER).stat().st_mtime_ns == stamp                          # same parameters: kept

    sequences = load_dataset("demo", root=root)
    assert [s.name for s in sequences] == names
    expected = render_sequence(DEMO_SEED_BASE + 1, 8, SMALL, "stripes")
    np.testing.assert_array_equal(sequences[1].boxes, expected.boxes)
    np.testing.assert_array_equal(sequences[1].absent, expected.absent)
    assert sequences[1].language == expected.description
    assert sequences[1].attributes == expected.attributes and sequences[1].dataset == "demo"

    ensure_demo_dataset(root, num_sequences=2, num_frames=8, size=SMALL)        # other parameters: replaced
    assert [s.name for s in load_dataset("demo", root=root)] == ["checker-1", "stripes-1"]
    assert not (root / "blobs").exists()


def test_load_demo_generates_the_default_set(tmp_path):
    (tmp_path / "data" / "LaSOT").mkdir(parents=True)             # a data folder holding other datasets
    sequences = load_dataset("demo", root=tmp_path / "data")
    assert resolve_root("demo", tmp_path / "data") == tmp_path / "data" / "demo"
    assert (tmp_path / "data" / "demo" / MARKER).is_file() and not (tmp_path / "data" / MARKER).exists()
    assert 8 <= len(sequences) <= 12 and all(100 <= len(s) <= 200 for s in sequences)
    assert {s.name.rsplit("-", 1)[0] for s in sequences} == set(PATTERNS)
    assert resolve_root("demo", tmp_path / "fresh") == tmp_path / "fresh"


def test_demo_refuses_foreign_folders_and_training_seeds(tmp_path):
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("keep me")
    with pytest.raises(DatasetError, match="refusing to overwrite"):
        ensure_demo_dataset(tmp_path / "mine", num_sequences=1, num_frames=2, size=SMALL)
    with pytest.raises(DatasetError, match="1,000,000"):
        ensure_demo_dataset(tmp_path / "other", seed=5)
