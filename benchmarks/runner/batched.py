"""Batched tracking for the runner: one worker advances K sequences in lock-step.

``track_batched`` keeps K sequences running on a ``simtrack.batch.BatchTracker``: every step
takes the next frame of each, sends all search crops through the model in one batch, and
refills a slot with the next sequence as soon as one ends. A thread pool decodes frames ahead.
A sequence that fails (unreadable frame, bad first box) ends alone; the others go on.
"""
import time
import traceback
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Optional

import numpy as np

from simtrack.formats.images import FrameSize, as_rgb_uint8, read_image

from .tracking import TrackOutput

DECODE_WORKERS = 2
FRAMES_AHEAD_PER_SEQUENCE = 4   # decoded ahead for each of the K sequences in a step (K x 4 frames in memory)
TIMING_DEFINITION = (
    "seconds per frame, wall clock (time.perf_counter): the first frame is its own "
    "BatchTracker.init (crop, template embedding); every later frame gets an equal share of the "
    "batched step it took part in (crop of every frame in the step, one forward pass, box "
    "post-processing), i.e. step time / frames in the step; frame decoding (a thread pool, ahead) "
    "and result writing are not included")


@dataclass
class Finished:
    """One sequence's end: ``output`` on success, else ``error`` (and its formatted ``traceback``)."""

    item: Any                       # what the caller passed in (a runner job, or a Sequence)
    output: Optional[TrackOutput] = None
    error: Optional[BaseException] = None
    traceback: str = ""


class DecodePool:
    """Frames decoded ahead on a thread pool, up to ``depth`` per open stream.

    OpenCV releases the GIL while decoding, so decoding overlaps the forward passes. Frames come
    out of ``next`` in order, each checked against the size of its stream's first frame.
    """

    def __init__(self, workers=DECODE_WORKERS, depth=FRAMES_AHEAD_PER_SEQUENCE, reader=read_image):
        self._executor = ThreadPoolExecutor(max(1, workers), thread_name_prefix="frame-decode")
        self._depth, self._reader = max(1, depth), reader
        self._streams = {}   # key -> (path iterator, deque of (path, future), FrameSize)

    def open(self, key, paths):
        paths, ahead = iter(paths), deque()
        self._streams[key] = (paths, ahead, FrameSize())
        for _ in range(self._depth):
            self._submit(paths, ahead)

    def _submit(self, paths, ahead):
        path = next(paths, None)
        if path is not None:
            ahead.append((path, self._executor.submit(self._reader, path)))

    def next(self, key):
        """The next decoded frame of stream ``key``; re-raises its decoding or size error."""
        paths, ahead, size = self._streams[key]
        path, future = ahead.popleft()
        self._submit(paths, ahead)
        return size.check(future.result(), path)

    def close(self, key):
        _, ahead, _ = self._streams.pop(key, (None, (), None))
        for _, future in ahead:
            future.cancel()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self._executor.shutdown(wait=True, cancel_futures=True)


class _Running:
    """The boxes and times of one sequence in a slot, filled frame by frame."""

    def __init__(self, item, sequence):
        self.item, self.sequence, self.index = item, sequence, 0
        self.boxes = np.empty((len(sequence), 4), dtype=np.float64)
        self.times = np.empty(len(sequence), dtype=np.float64)

    def record(self, box, seconds):
        self.boxes[self.index], self.times[self.index] = box, seconds
        self.index += 1

    @property
    def done(self):
        return self.index == len(self.sequence)


def _failed(item, error):
    return Finished(item, error=error, traceback="".join(traceback.format_exception(error)))


class _Lockstep:
    """The slots of one ``track_batched`` call: which sequence each holds and how far it is."""

    def __init__(self, tracker, pool, items, sequence_of):
        self.tracker, self.pool = tracker, pool
        self.items, self.sequence_of = items, sequence_of
        self.running = {}   # slot -> _Running

    def refill(self, slot):
        """Put the next item with frames into ``slot``; yields ``Finished`` for empty sequences and
        for items whose sequence cannot be had (``sequence_of`` raised: the item fails alone)."""
        for item in self.items:
            try:
                sequence = self.sequence_of(item)
            except Exception as error:
                yield _failed(item, error)
                continue
            if len(sequence):
                self.running[slot] = _Running(item, sequence)
                self.pool.open(slot, sequence.frames)
                return
            yield Finished(item, output=TrackOutput(np.empty((0, 4)), np.empty(0)))

    def release(self, slot):
        self.tracker.release(slot)
        self.pool.close(slot)

    def step(self):
        """Advance every running sequence by one frame; returns (items advanced, [(slot, Finished)])."""
        clock, finished = time.perf_counter, []

        def fail(slot, error):
            finished.append((slot, _failed(self.running.pop(slot).item, error)))

        frames = {}
        for slot in list(self.running):
            try:
                frames[slot] = as_rgb_uint8(self.pool.next(slot))
            except Exception as error:
                fail(slot, error)
        for slot in [slot for slot in frames if self.running[slot].index == 0]:
            run, image = self.running[slot], frames.pop(slot)
            start = clock()
            try:
                box = self.tracker.init(slot, image, run.sequence.init_box)
            except Exception as error:
                fail(slot, error)
                continue
            run.record(box, clock() - start)
        if frames:
            start = clock()
            try:
                boxes = self.tracker.update(frames)
            except Exception as error:   # the shared forward pass failed: all of its sequences fail
                for slot in frames:
                    fail(slot, error)
                boxes = {}
            share = (clock() - start) / len(frames)
            for slot, box in boxes.items():
                self.running[slot].record(box, share)
        advanced = [run.item for run in self.running.values()]
        for slot in [slot for slot, run in self.running.items() if run.done]:
            run = self.running.pop(slot)
            finished.append((slot, Finished(run.item, output=TrackOutput(run.boxes, run.times))))
        return advanced, finished


def track_batched(tracker, items, sequence_of=lambda item: item, on_frames=None,
                  decode_workers=DECODE_WORKERS, prefetch=FRAMES_AHEAD_PER_SEQUENCE, reader=read_image):
    """Track every item's sequence on ``tracker`` (a ``BatchTracker``); yield ``Finished`` as each ends.

    ``items`` is any iterable (Sequence records, or runner jobs with ``sequence_of`` giving their
    Sequence); it is consumed lazily, one item whenever a slot frees up. ``on_frames(item, n)`` is
    called after every step for each item that advanced. Boxes equal those of ``Tracker`` on the
    same sequence up to float round-off; times follow ``TIMING_DEFINITION``.
    """
    with DecodePool(decode_workers, prefetch, reader) as pool:
        slots = _Lockstep(tracker, pool, iter(items), sequence_of)
        for slot in range(tracker.capacity):
            yield from slots.refill(slot)
        while slots.running:
            advanced, finished = slots.step()
            if on_frames is not None:
                for item in advanced:
                    on_frames(item, 1)
            for slot, result in finished:
                slots.release(slot)
                yield result
                yield from slots.refill(slot)
