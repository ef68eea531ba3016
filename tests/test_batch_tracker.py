"""Batched multi-sequence tracking: K sequences in one forward pass give the boxes of batch size 1."""
import cv2
import numpy as np
import pytest
from model_helpers import moving_object_frames, random_model

import simtrack
from benchmarks.runner.batched import track_batched
from benchmarks.runner.tracking import track_sequence
from simtrack.batch import BatchTracker
from simtrack.data.sequence import Sequence
from simtrack.errors import ConfigError, TrackerInputError

TOLERANCE = 1e-3   # pixels; batched matrix products round differently from single ones


def single_boxes(model, frames, box, **options):
    tracker = simtrack.Tracker(model, device="cpu", **options)
    tracker.init(frames[0], box)
    return np.array([tracker.update(frame) for frame in frames[1:]])


@pytest.mark.parametrize("options", [{}, {"fast": True}])
def test_batch_boxes_equal_single_sequence_boxes(options):
    model = random_model("tiny", seed=31)
    videos = [moving_object_frames(8, seed=seed) for seed in (1, 2, 3)]
    batch = BatchTracker(model, 3, device="cpu", **options)
    for slot, (frames, boxes) in enumerate(videos):
        assert np.array_equal(batch.init(slot, frames[0], boxes[0]), boxes[0])
    steps = [batch.update({slot: frames[i] for slot, (frames, _) in enumerate(videos)}) for i in range(1, 8)]
    for slot, (frames, boxes) in enumerate(videos):
        batched = np.array([step[slot] for step in steps])
        assert np.max(np.abs(batched - single_boxes(model, frames, boxes[0], **options))) < TOLERANCE
    assert set(batch.confidence) == {0, 1, 2}


def test_slots_advance_independently_and_are_reused():
    model = random_model("tiny", seed=32)
    (frames_a, boxes_a), (frames_b, boxes_b) = moving_object_frames(6, seed=4), moving_object_frames(4, seed=5)
    batch = BatchTracker(model, 4, device="cpu")
    batch.init(3, frames_a[0], boxes_a[0])
    lone = [batch.update({3: frame})[3] for frame in frames_a[1:3]]     # only slot 3 runs (a subset)
    batch.init(1, frames_b[0], boxes_b[0])
    both = [batch.update({1: fb, 3: fa}) for fa, fb in zip(frames_a[3:], frames_b[1:])]
    batch.release(1)
    assert sorted(batch.states) == [3]
    got_a = np.array(lone + [step[3] for step in both])
    assert np.max(np.abs(got_a - single_boxes(model, frames_a, boxes_a[0]))) < TOLERANCE
    got_b = np.array([step[1] for step in both])
    assert np.max(np.abs(got_b - single_boxes(model, frames_b, boxes_b[0]))) < TOLERANCE
    batch.init(1, frames_a[0], boxes_a[0])                              # a released slot takes a new target
    assert np.max(np.abs(batch.update({1: frames_a[1]})[1] - got_a[0])) < TOLERANCE


def test_bad_slots_and_capacity_are_refused():
    frames, boxes = moving_object_frames(2)
    batch = BatchTracker(random_model("tiny"), 2, device="cpu")
    with pytest.raises(TrackerInputError, match="slot"):
        batch.init(2, frames[0], boxes[0])
    with pytest.raises(TrackerInputError, match="before init"):
        batch.update({0: frames[1]})
    with pytest.raises(ConfigError, match="capacity"):
        BatchTracker(random_model("tiny"), 0, device="cpu")


def write_sequence(folder, name, frames, boxes):
    paths = []
    for index, frame in enumerate(frames):
        path = folder / f"{name}_{index:04d}.png"
        cv2.imwrite(str(path), np.ascontiguousarray(frame[:, :, ::-1]))
        paths.append(str(path))
    return Sequence(name, "fake", paths, np.array(boxes, dtype=np.float64))


def test_track_batched_refills_slots_and_matches_track_sequence(tmp_path):
    model = random_model("tiny", seed=33)
    sequences = [write_sequence(tmp_path, f"s{k}", *moving_object_frames(n, seed=k))
                 for k, n in enumerate([7, 3, 5, 1, 4])]
    frames_seen = {}
    finished = list(track_batched(BatchTracker(model, 2, device="cpu"), sequences,
                                  on_frames=lambda seq, n: frames_seen.update({seq.name: frames_seen.get(seq.name, 0) + n})))
    assert sorted(result.item.name for result in finished) == [s.name for s in sequences]
    assert frames_seen == {s.name: len(s) for s in sequences}
    single = simtrack.Tracker(model, device="cpu")
    for result in finished:
        assert result.error is None
        expected = track_sequence(single, result.item)
        assert np.max(np.abs(result.output.boxes - expected.boxes)) < TOLERANCE
        assert result.output.times.shape == (len(result.item),) and np.all(result.output.times > 0)


def test_a_failing_sequence_ends_alone(tmp_path):
    model = random_model("tiny", seed=34)
    good = write_sequence(tmp_path, "good", *moving_object_frames(5, seed=1))
    broken = write_sequence(tmp_path, "broken", *moving_object_frames(5, seed=2))
    broken.frames[2] = str(tmp_path / "missing.png")
    jobs = [("job-1", broken), ("job-2", good)]
    results = {r.item[0]: r for r in track_batched(BatchTracker(model, 2, device="cpu"), jobs,
                                                     sequence_of=lambda job: job[1])}
    assert isinstance(results["job-1"].error, TrackerInputError) and "missing.png" in str(results["job-1"].error)
    assert "Traceback" in results["job-1"].traceback and results["job-1"].output is None
    assert results["job-2"].error is None and results["job-2"].output.boxes.shape == (5, 4)
