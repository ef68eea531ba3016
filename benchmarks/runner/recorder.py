"""The runner's side of every backend: write finished sequences, log failures, show progress.

Backends call ``frames(job_id, n)`` as workers report and ``finished(job, outcome)`` once per job.
Only this process writes result files, so every write is atomic and there is one writer per file;
each sequence's provenance record is written before its files (``benchmarks.runner.provenance``).
errors.log, which other parts of a sharded run append to as well, is written under ``guard()``.
"""
import sys
import time
from contextlib import nullcontext
from dataclasses import dataclass, field

from tqdm import tqdm

from .folders import append_error, run_folder
from .provenance import write_sequence


@dataclass
class Summary:
    done: int = 0
    skipped: int = 0
    failed: list[tuple[str, str, str]] = field(default_factory=list)   # (label, message, error log path)
    frames: int = 0
    seconds: float = 0.0
    startup: float = 0.0        # seconds until the first frame was reported (worker start, model load)

    @property
    def fps(self):
        return self.frames / self.seconds if self.seconds > 0 else 0.0

    def lines(self):
        lines = [f"sequences: {self.done} done, {self.skipped} skipped (already complete), {len(self.failed)} failed",
                 f"frames: {self.frames} in {self.seconds:.1f} s wall time ({self.fps:.1f} frames/s; "
                 f"first frame after {self.startup:.1f} s of worker start-up)"]
        if self.failed:
            lines.append("failed sequences (tracebacks in the error logs):")
            lines += [f"  {label}: {message}  [{log}]" for label, message, log in self.failed]
        return lines


class Recorder:
    """Collects outcomes for one run into ``<results>/<tracker>/<dataset>[/repeat<k>]``.

    ``identity`` (``provenance.run_identity``) goes into every sequence's provenance record.
    """

    def __init__(self, results_root, tracker_name, dataset, plan, skipped=0, stream=None, *, identity,
                 guard=nullcontext):
        self._folder = lambda repeat: run_folder(results_root, tracker_name, dataset, repeat)
        self._identity = identity
        self._guard = guard
        self.summary = Summary(skipped=skipped)
        self._seen = {}  # job id -> frames reported so far
        stream = stream or sys.stderr
        interactive = getattr(stream, "isatty", lambda: False)()
        # Logs (not a terminal) get a refresh every 10 s and the whole-run average rate.
        self._bar = tqdm(total=plan.frames, unit="frame", file=stream, dynamic_ncols=True,
                         smoothing=0.05 if interactive else 0.0, mininterval=0.2 if interactive else 10.0,
                         desc=f"{tracker_name}/{dataset}")
        self._start = time.perf_counter()
        self._first_frame = None

    def frames(self, job_id, count):
        if self._first_frame is None:
            self._first_frame = time.perf_counter()
        self._seen[job_id] = self._seen.get(job_id, 0) + count
        self._bar.update(count)

    def finished(self, job, outcome):
        folder = self._folder(job.repeat)
        # Keep the bar honest: a failed job's unprocessed frames are no longer ahead of us.
        self._bar.update(max(0, job.frames - self._seen.pop(job.id, 0)))
        if outcome.ok:
            write_sequence(folder, job.sequence.name, outcome.boxes, outcome.times, self._identity)
            self.summary.done += 1
            self.summary.frames += job.frames
            return
        with self._guard():
            log = append_error(folder, job.label, outcome.error, outcome.traceback or "(no traceback)")
        self.summary.failed.append((job.label, outcome.error, str(log)))
        self._bar.write(f"FAILED {job.label}: {outcome.error}")

    def note(self, text):
        """A line for the user (a worker lost, a sequence retried) that keeps the progress bar intact."""
        self._bar.write(text)

    def close(self):
        end = time.perf_counter()
        self.summary.seconds = end - self._start
        self.summary.startup = (self._first_frame or end) - self._start
        self._bar.close()
        return self.summary
