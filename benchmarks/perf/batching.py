"""Batch K vs batch 1: frames/s of ``track_batched`` over K demo sequences, and box equality, in one run.

    python -m benchmarks.perf.batching [--variant b16] [--batch-sequences 8] [--frames 8] [--iterations 2] [--threads 2]

K demo sequences (truncated to ``--frames`` frames) are tracked with a ``BatchTracker`` of
capacity K (one forward pass per step for all of them) and of capacity 1 (one sequence after
the other); the runs alternate ``--iterations`` times and the medians are compared. Frames/s
counts wall time over the whole call, decoding (on a thread pool, ahead) included.
"""
import time

import numpy as np

from benchmarks.runner.batched import track_batched
from simtrack.batch import BatchTracker

from .common import demo_sequences, finish, max_box_difference, model_for, parser, setup


def run(tracker, sequences):
    """(frames/s, {name: boxes}) of one pass over ``sequences``."""
    start = time.perf_counter()
    finished = list(track_batched(tracker, sequences))
    seconds = time.perf_counter() - start
    failed = [f for f in finished if f.error is not None]
    if failed:
        raise failed[0].error
    return sum(len(s) for s in sequences) / seconds, {f.item.name: f.output.boxes for f in finished}


def main():
    args_parser = parser(__doc__.splitlines()[0])
    args_parser.add_argument("--variant", default="b16")
    args_parser.add_argument("--batch-sequences", type=int, default=8, metavar="K", help="K (default 8)")
    args_parser.add_argument("--frames", type=int, default=8, help="frames per sequence (default 8)")
    args_parser.add_argument("--iterations", type=int, default=2)
    args_parser.add_argument("--fast", action="store_true", help="use the fast path (default: exact)")
    args_parser.add_argument("--precision", default="fp32")
    args = args_parser.parse_args()
    env = setup(args)
    sequences = demo_sequences(args.data_root, args.batch_sequences, args.frames)
    if len(sequences) < args.batch_sequences:
        print(f"only {len(sequences)} demo sequences; K = {len(sequences)}")
    model = model_for(args.variant)
    options = {"fast": args.fast, "precision": args.precision}
    trackers = {k: BatchTracker(model, k, device="cpu", **options) for k in (1, len(sequences))}
    run(trackers[1], sequences[:1])   # warm-up
    speeds, boxes = {k: [] for k in trackers}, {}
    for _ in range(args.iterations):
        for k, tracker in trackers.items():
            fps, boxes[k] = run(tracker, sequences)
            speeds[k].append(fps)
    k = len(sequences)
    median = {key: float(np.median(values)) for key, values in speeds.items()}
    difference = max(max_box_difference(boxes[k][name], boxes[1][name]) for name in boxes[1])
    results = {"variant": args.variant, "options": options, "frames": sum(len(s) for s in sequences),
               "frames_per_s": {f"batch{key}": value for key, value in median.items()},
               "speedup": median[k] / median[1], "max_box_difference_px": difference}
    print(f"{args.variant} ({'fast' if args.fast else 'exact'}, {args.precision}), {k} sequences x {args.frames} frames: "
          f"batch 1 {median[1]:.2f} frames/s, batch {k} {median[k]:.2f} frames/s, "
          f"batch {k}/batch 1 {results['speedup']:.2f}x; max box difference {difference:.2e} px")
    finish(args, env, results)


if __name__ == "__main__":
    main()
