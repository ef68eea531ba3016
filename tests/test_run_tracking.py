"""track_sequence and the frame prefetcher: order, errors at the right frame, timing without decoding."""
import threading
import time

import numpy as np
import pytest

import benchmarks.runner.tracking as tracking
from benchmarks.runner.tracking import FramePrefetcher, track_sequence
from simtrack.data.sequence import Sequence
from simtrack.errors import TrackerInputError


class EchoTracker:
    """Returns the frame's pixel value as the box, so the order of frames is visible in the output."""

    def __init__(self):
        self.calls = []

    def init(self, image, box):
        self.calls.append("init")
        return np.asarray(box, dtype=np.float64)

    def update(self, image):
        self.calls.append("update")
        return np.full(4, float(image[0, 0, 0]))


def fake_reader(path):
    if "broken" in path:
        raise TrackerInputError(f"frame {path} cannot be decoded as an image")
    return np.full((4, 4, 3), int(path.split("/")[-1]), dtype=np.uint8)


def make_sequence(frames):
    return Sequence("s", "fake", frames, np.array([[1.0, 2.0, 3.0, 4.0]] * len(frames)))


def test_prefetcher_yields_frames_in_order_from_another_thread():
    threads = set()

    def reader(path):
        threads.add(threading.current_thread().name)
        return fake_reader(path)

    with FramePrefetcher([f"x/{i}" for i in range(20)], depth=3, reader=reader) as frames:
        values = [int(image[0, 0, 0]) for image in frames]
    assert values == list(range(20))
    assert threads == {"frame-prefetch"}


def test_prefetcher_raises_a_bad_frame_at_its_position_and_stops():
    seen = []
    with pytest.raises(TrackerInputError, match="x/broken"):
        with FramePrefetcher(["x/0", "x/1", "x/broken", "x/3"], reader=fake_reader) as frames:
            for image in frames:
                seen.append(int(image[0, 0, 0]))
    assert seen == [0, 1]


def test_closing_early_stops_the_decoding_thread():
    prefetcher = FramePrefetcher([f"x/{i}" for i in range(1000)], depth=2, reader=fake_reader)
    next(iter(prefetcher))
    prefetcher.close()
    assert not prefetcher._thread.is_alive()


def test_track_sequence_starts_from_the_first_box_and_times_every_frame(monkeypatch):
    monkeypatch.setattr(tracking, "read_image", fake_reader)
    tracker, counted = EchoTracker(), []
    output = track_sequence(tracker, make_sequence([f"x/{i}" for i in range(5)]), on_frames=counted.append)
    assert tracker.calls == ["init"] + ["update"] * 4
    np.testing.assert_array_equal(output.boxes[0], [1, 2, 3, 4])
    np.testing.assert_array_equal(output.boxes[1:, 0], [1, 2, 3, 4])
    assert output.boxes.dtype == np.float64 and output.times.shape == (5,)
    assert sum(counted) == 5


def test_frame_times_leave_decoding_out(monkeypatch):
    def slow_reader(path):
        time.sleep(0.1)
        return fake_reader(path)

    monkeypatch.setattr(tracking, "read_image", slow_reader)
    output = track_sequence(EchoTracker(), make_sequence([f"x/{i}" for i in range(4)]))
    assert output.times.max() < 0.05   # the tracker is instant; the 0.1 s decode happens elsewhere


def test_a_missing_frame_fails_the_sequence_with_its_path(monkeypatch):
    monkeypatch.setattr(tracking, "read_image", fake_reader)
    with pytest.raises(TrackerInputError, match="x/broken"):
        track_sequence(EchoTracker(), make_sequence(["x/0", "x/broken"]))
