import numpy as np
import pytest
import torch
from model_helpers import moving_object_frames, official_tracker, random_model

import simtrack
from simtrack.checkpoints import save_checkpoint
from simtrack.errors import TrackerInputError
from simtrack.tracker import clip_box, template_annotation


def run_both(variant, frames, init_box, seed):
    model = random_model(variant, seed=seed)
    reference = official_tracker(model)
    ours = simtrack.Tracker(model, device="cpu")
    init = [np.float64(v) for v in init_box]   # benchmark loaders hand float64 boxes
    reference.initialize(frames[0], init)
    ours.init(frames[0], init_box)
    pairs = [(ours.update(f), np.array(reference.track(f))) for f in frames[1:]]
    return pairs


def test_tiny_tracker_matches_official_loop_frame_by_frame():
    frames, boxes = moving_object_frames(25, seed=1)
    pairs = run_both("tiny", frames, boxes[0], seed=11)
    assert len({tuple(np.round(o, 3)) for o, _ in pairs}) > 5      # boxes really move
    for ours, official in pairs:
        np.testing.assert_array_equal(ours, official)


def test_b16_tracker_matches_official_loop():
    frames, boxes = moving_object_frames(3, size=(200, 150), seed=2)
    for ours, official in run_both("b16", frames, boxes[0], seed=12):
        np.testing.assert_array_equal(ours, official)


def test_tracker_near_borders_and_with_fractional_boxes():
    frames, _ = moving_object_frames(8, seed=3)
    for ours, official in run_both("tiny", frames, (140.3, 100.7, 19.4, 18.9), seed=13):
        np.testing.assert_array_equal(ours, official)
        x, y, w, h = ours
        assert 0 <= x <= 160 - 10 and 0 <= y <= 120 - 10 and w >= 10 and h >= 10


def test_update_returns_float64_box_and_init_returns_the_given_box():
    frames, boxes = moving_object_frames(3)
    tracker = simtrack.Tracker(random_model("tiny"), device="cpu")
    assert np.array_equal(tracker.init(frames[0], boxes[0]), np.array(boxes[0]))
    box = tracker.update(frames[1])
    assert box.dtype == np.float64 and box.shape == (4,) and np.all(np.isfinite(box))
    assert 0 < tracker.confidence <= 1


def test_template_annotation_truncates_the_corner_only():
    # crop side 40 -> rz = 112/40 = 2.8; w' = 13.3*2.8 = 37.24; int(56 - 18.62) = 37
    anno = template_annotation(np.array([0, 0, 13.3, 12.0]), 112 / 40, 112)
    assert anno * 112 == pytest.approx([37, int(56 - 12.0 * 2.8 / 2), 13.3 * 2.8, 12.0 * 2.8])


def test_clip_box_keeps_a_margin_inside_the_frame():
    assert clip_box([-20, -5, 8, 30], 100, 200) == [0, 0, 10, 25]
    assert clip_box([195, 95, 30, 30], 100, 200) == [190, 90, 10, 10]
    assert clip_box([50.5, 20.25, 30, 40], 100, 200) == [50.5, 20.25, 30, 40]


def test_from_checkpoint_and_auto_device(tmp_path):
    model = random_model("tiny", seed=4)
    path = save_checkpoint(model, tmp_path / "tiny.safetensors")
    tracker = simtrack.Tracker.from_checkpoint(path, device="auto")
    assert tracker.device.type == ("cuda" if torch.cuda.is_available() else "cpu")
    frames, boxes = moving_object_frames(3)
    direct = simtrack.Tracker(model, device="cpu")
    direct.init(frames[0], boxes[0])
    tracker.init(frames[0], boxes[0])
    assert np.allclose(direct.update(frames[1]), tracker.update(frames[1]))


@pytest.mark.parametrize("box", [(10, 10, 0, 5), (10, 10, 5, -1), (np.nan, 1, 5, 5), (1, 2, 3), "abcd", (1, 2, np.inf, 4)])
def test_bad_boxes_are_refused(box):
    frames, _ = moving_object_frames(1)
    with pytest.raises(TrackerInputError):
        simtrack.Tracker(random_model("tiny"), device="cpu").init(frames[0], box)


def test_images_are_converted_when_the_meaning_is_clear_else_refused():
    frames, boxes = moving_object_frames(2)
    tracker = simtrack.Tracker(random_model("tiny"), device="cpu")
    gray = frames[0][:, :, 0]
    tracker.init(gray, boxes[0])                                   # grayscale -> 3 channels
    rgba = np.concatenate([frames[1], np.full(frames[1].shape[:2] + (1,), 255, np.uint8)], 2)
    reference = simtrack.Tracker(tracker.model, device="cpu")
    reference.init(np.repeat(gray[:, :, None], 3, 2), boxes[0])
    assert np.array_equal(tracker.update(rgba), reference.update(frames[1]))   # RGBA drops alpha
    with pytest.raises(TrackerInputError, match="uint8"):
        tracker.update(frames[1].astype(np.uint16) * 256)
    with pytest.raises(TrackerInputError, match="uint8"):
        tracker.update(frames[1].astype(np.float32) / 255)
    with pytest.raises(TrackerInputError, match="shape"):
        tracker.update(np.zeros((10, 10, 2), np.uint8))
    with pytest.raises(TrackerInputError, match="numpy array"):
        tracker.update([[1, 2, 3]])


def test_update_before_init_is_refused():
    with pytest.raises(TrackerInputError, match="before init"):
        simtrack.Tracker(random_model("tiny"), device="cpu").update(np.zeros((20, 20, 3), np.uint8))
