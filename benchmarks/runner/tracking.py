"""The per-sequence work: decode frames ahead in a thread, run the tracker, time every frame.

``track_sequence`` tracks one sequence with one ``Tracker``; ``batched.track_batched`` is the other
loop, several sequences per forward pass (``--batch-sequences``). Workers pick one of the two
(``backends.worker``); scheduling, result files and progress do not depend on which.
"""
import queue
import threading
import time
from dataclasses import dataclass

import numpy as np

from simtrack.formats.images import FrameSize, read_image

PREFETCH_FRAMES = 8   # frames decoded ahead of the tracker by the background thread
TIMING_DEFINITION = (
    "seconds per frame, wall clock (time.perf_counter) around Tracker.init on the first frame and "
    "Tracker.update on the others: crop, normalisation, model forward and box post-processing; "
    "frame decoding (done ahead in a background thread) and result writing are not included")
SPEC_TIMING_DEFINITION = (
    "seconds per frame, wall clock (time.perf_counter) around the tracker's init on the first frame and its "
    "update on the others, with the checks of the boxes it returns; frame decoding and the conversion to the "
    "tracker's image type (done ahead in a background thread) and result writing are not included")


@dataclass
class TrackOutput:
    """Boxes (N, 4) float64 ``x, y, w, h`` with the init box first, and seconds per frame (N,)."""

    boxes: np.ndarray
    times: np.ndarray


class FramePrefetcher:
    """Iterate over decoded frames while a background thread decodes the next ``depth`` ones
    (and, with ``prepare(image, path)``, converts them for the tracker).

    OpenCV releases the GIL while decoding, so decoding overlaps inference. A frame that cannot
    be read, is truncated or corrupt, or differs in size from the first frame re-raises its error
    (``TrackerInputError``) at its position in the iteration.
    """

    _END = object()

    def __init__(self, paths, depth=PREFETCH_FRAMES, reader=None, prepare=None):
        self._paths = paths
        self._reader = reader or read_image
        self._prepare = prepare
        self._queue = queue.Queue(maxsize=max(1, depth))
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._decode, name="frame-prefetch", daemon=True)
        self._thread.start()

    def _decode(self):
        size = FrameSize()
        for path in self._paths:
            try:
                image = size.check(self._reader(path), path)
                item = (image if self._prepare is None else self._prepare(image, path), None)
            except Exception as error:  # handed to the consumer, which raises it in its own thread
                item = (None, error)
            if not self._put(item) or item[1] is not None:
                return
        self._put((self._END, None))

    def _put(self, item):
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def __iter__(self):
        while True:
            image, error = self._queue.get()
            if error is not None:
                raise error
            if image is self._END:
                return
            yield image

    def close(self):
        """Stop the decoding thread (also when the consumer gave up half way)."""
        self._stop.set()
        self._thread.join()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def track_sequence(tracker, sequence, on_frames=None, prefetch=PREFETCH_FRAMES):
    """Track ``sequence`` from its first ground-truth box; returns a ``TrackOutput``.

    ``on_frames(n)`` is called after each frame with the number of frames just finished (progress).
    Times exclude frame decoding (see ``TIMING_DEFINITION``). A tracker with a ``prepare(image,
    path)`` method (``simtrack.trackers.GenericTracker``) gets its frames converted to its own image
    type in the decoding thread too, outside the timed calls, as the got10k toolkit does.
    """
    count = len(sequence)
    boxes = np.empty((count, 4), dtype=np.float64)
    times = np.empty(count, dtype=np.float64)
    clock = time.perf_counter
    with FramePrefetcher(sequence.frames, depth=prefetch, prepare=getattr(tracker, "prepare", None)) as frames:
        for index, image in enumerate(frames):
            start = clock()
            boxes[index] = tracker.init(image, sequence.init_box) if index == 0 else tracker.update(image)
            times[index] = clock() - start
            if on_frames is not None:
                on_frames(1)
    return TrackOutput(boxes, times)
