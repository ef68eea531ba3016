"""Size of report.html and the time it adds to an evaluation, on a LaSOT-sized benchmark.

    python benchmarks/perf/html_report.py [--sequences 280] [--frames 2500] [--trackers 2] [--repeat 3]

Fabricates ``--sequences`` x ``--frames`` ground truth (absent spans, LaSOT's 14 attributes) and
``--trackers`` trackers' result and time files in a temporary folder, with one 1280 x 720 photo
(matplotlib's sample image, shifted per sequence) standing for all frames of a sequence, so that
thumbnails decode and encode real-size, real-looking frames (``--no-frames``: annotation-only data).
Then times, in one process, ``benchmarks.reports.evaluate`` (files on disk to every table, figure
and report.html), the same call with the HTML step switched off, and the HTML step alone on the
same inputs (best of ``--repeat``, wall and CPU seconds), and prints the size of report.html with
its parts.
"""
import argparse
import json
import os
import re
import sys
import tempfile
import time
from pathlib import Path

import cv2
import matplotlib
import numpy as np

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from benchmarks.perf.measure import fingerprint  # noqa: E402
from benchmarks.perf.trajectories import random_walk_truth  # noqa: E402
from benchmarks.reports import evaluate  # noqa: E402
from benchmarks.reports import html_page as html_report  # noqa: E402
from simtrack.data.readers.lasot import ATTRIBUTES  # noqa: E402
from simtrack.data.sequence import Sequence  # noqa: E402
from simtrack.formats.box_tables import format_boxes, format_seconds  # noqa: E402

FRAME_SIZE = (1280, 720)


def fabricate(folder, n_sequences, n_frames, n_trackers, frames_on_disk, seed=0):
    """Sequences (in memory) and each tracker's result files: noisy boxes, some losing the target."""
    rng = np.random.default_rng(seed)
    photo = cv2.resize(cv2.imread(str(Path(matplotlib.get_data_path()) / "sample_data" / "grace_hopper.jpg")), FRAME_SIZE)
    sequences = []
    tracker_dirs = [folder / f"tracker{k}" for k in range(n_trackers)]
    for path in tracker_dirs + [folder / "frames"]:
        path.mkdir(parents=True)
    for index in range(n_sequences):
        gt, absent = random_walk_truth(rng, n_frames, np.array(FRAME_SIZE) / 2, 80, min_size=8)
        name = f"seq-{index}"
        frame = folder / "frames" / f"{name}.jpg"
        if frames_on_disk:
            cv2.imwrite(str(frame), np.roll(photo, (37 * index, 53 * index), axis=(0, 1)))
        attributes = {full: bool(flag) for (_, full), flag in zip(ATTRIBUTES, rng.integers(0, 2, len(ATTRIBUTES)))}
        sequences.append(Sequence(name=name, dataset="lasot", frames=[str(frame)] * n_frames, boxes=gt, absent=absent,
                                  attributes=attributes))
        for k, tracker_dir in enumerate(tracker_dirs):
            pred = gt + rng.normal(0, 4 + 4 * k, gt.shape)
            lost = rng.integers(n_frames // 4, n_frames)
            pred[lost:] = pred[lost] + rng.normal(0, 150, 4) * [1, 1, 0, 0]
            (tracker_dir / f"{name}.txt").write_bytes(format_boxes(pred))
            (tracker_dir / f"{name}_time.txt").write_bytes(format_seconds(rng.uniform(0.01, 0.02 + 0.01 * k, n_frames)))
    return sequences, {f"Tracker{k}": path for k, path in enumerate(tracker_dirs)}


def page_parts(path):
    """Bytes of report.html: total, thumbnails (JPEG data URLs), per-frame series, the rest."""
    text = path.read_text(encoding="utf-8")
    data = json.loads(re.search(r'<script type="application/json" id="report-data">(.*?)</script>', text, re.S)
                      .group(1).replace("<\\/", "</"))
    thumbnails = sum(len(entry["src"]) for entries in data["thumbnails"] or [] for entry in entries)
    series = len(json.dumps(data["series"], separators=(",", ":")))
    return {"total": len(text.encode("utf-8")), "thumbnails": thumbnails, "series": series,
            "thumbnail_count": sum(len(entries) for entries in data["thumbnails"] or [])}


def best_time(function, repeat):
    """Best wall-clock and best CPU seconds (all threads) over ``repeat`` calls: the least disturbed
    run of a shared machine."""
    wall, cpu = [], []
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        function()
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return min(wall), min(cpu)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sequences", type=int, default=280)
    parser.add_argument("--frames", type=int, default=2500)
    parser.add_argument("--trackers", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-frames", action="store_true", help="no frame files (annotation-only data)")
    args = parser.parse_args(argv)
    import torch
    print(f"{fingerprint(torch.device('cpu'))['cpu']}, {os.cpu_count()} cores; {args.sequences} sequences x "
          f"{args.frames} frames x {args.trackers} trackers, frames {'absent' if args.no_frames else 'on disk'}")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        sequences, trackers = fabricate(folder, args.sequences, args.frames, args.trackers, not args.no_frames)
        real, captured = html_report.write_html_report, []

        def evaluation(html):
            html_report.write_html_report = real if html else (lambda *a, **k: captured.append((a, k)))
            try:
                evaluate("lasot", trackers, sequences, report_dir=folder / ("with" if html else "without"))
            finally:
                html_report.write_html_report = real

        evaluation(True)   # warm-up (imports, page cache)
        rows = {"evaluate() without report.html": best_time(lambda: evaluation(False), args.repeat),
                "evaluate() with report.html": best_time(lambda: evaluation(True), args.repeat)}
        inputs, keywords = captured[-1]
        rows["the report.html step alone"] = best_time(lambda: real(*inputs, **keywords), args.repeat)
        parts = page_parts(folder / "with" / "report.html")
    print(f"best of {args.repeat}, files on disk to every table and figure:  wall s   CPU s")
    for label, (wall, cpu) in rows.items():
        print(f"  {label:36s} {wall:7.2f} {cpu:7.2f}")
    base, step = rows["evaluate() without report.html"], rows["the report.html step alone"]
    print(f"report.html adds {step[0]:.2f} s wall ({100 * step[0] / base[0]:.0f} % of the evaluation without it), "
          f"{step[1]:.2f} s CPU ({100 * step[1] / base[1]:.0f} %)")
    mib = 1024 * 1024
    print(f"report.html: {parts['total'] / mib:.2f} MiB = {parts['total'] / args.sequences / 1024:.1f} KiB per sequence; "
          f"thumbnails {parts['thumbnails'] / mib:.2f} MiB ({parts['thumbnail_count']} JPEGs), "
          f"per-frame series {parts['series'] / mib:.2f} MiB, the rest "
          f"{(parts['total'] - parts['thumbnails'] - parts['series']) / mib:.2f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
