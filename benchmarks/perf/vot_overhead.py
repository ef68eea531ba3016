"""Per-frame cost of running SimTrack over TraX (as ``vot evaluate`` does) against a direct call.

    python -m benchmarks.perf.vot_overhead [--variant tiny] [--frames 60] [--iterations 3] [--threads 2]

Starts ``python -m simtrack.adapters.vot`` as the VOT toolkit would (stdin/stdout pipes) and drives
it with the TraX client, the toolkit's own transport; an in-process ``Tracker`` runs the same frames.
Passes over the sequence alternate between the two paths. The direct path reads the JPEG and calls
``update`` (the server also reads the frame from its path). Prints medians and means of the direct
update, the direct read + update, the round trip and the difference (protocol overhead).
The toolkit adds its own bookkeeping (about 0.2-0.3 ms per frame for 0.7.4) on top of the round trip.
"""
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

import simtrack
from simtrack.checkpoints import save_checkpoint
from simtrack.data.synthetic.generator import DEMO_SEED_BASE, render_sequence
from simtrack.formats.images import read_image

from .common import finish, model_for, parser, setup


def write_frames(folder, frames, size):
    video = render_sequence(DEMO_SEED_BASE, frames, size)
    paths = []
    for index, frame in enumerate(video.frames, start=1):
        paths.append(str(folder / f"{index:08d}.jpg"))
        cv2.imwrite(paths[-1], cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
    return paths, video.boxes[0]


def start_server(weights, device, threads):
    import trax.client
    env = dict(os.environ, SIMTRACK_CHECKPOINT=str(weights), SIMTRACK_DEVICE=device, OMP_NUM_THREADS=str(threads),
               PYTHONPATH=os.pathsep.join([str(Path(simtrack.__file__).parents[1]), os.environ.get("PYTHONPATH", "")]))
    process = subprocess.Popen([sys.executable, "-m", "simtrack.adapters.vot"], stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
    client = trax.client.Client(stream=(process.stdin.fileno(), process.stdout.fileno()), log=lambda _: None)
    return process, client


def direct_pass(tracker, paths, box):
    """Seconds per frame of ``update`` alone and of ``read_image`` + ``update``."""
    tracker.init(read_image(paths[0]), box)
    update, direct = [], []
    for path in paths[1:]:
        start = time.perf_counter()
        image = read_image(path)
        decoded = time.perf_counter()
        tracker.update(image)
        update.append(time.perf_counter() - decoded)
        direct.append(time.perf_counter() - start)
    return update, direct


def trax_pass(client, paths, box):
    """Seconds per frame of the TraX round trip (the server reads the frame and updates)."""
    import trax
    from trax.image import FileImage
    client.initialize({"color": FileImage.create(paths[0])}, [(trax.Rectangle.create(*box), {})], {})
    times = []
    for path in paths[1:]:
        start = time.perf_counter()
        client.frame({"color": FileImage.create(path)}, {}, [])
        times.append(time.perf_counter() - start)
    return times


def measure(tracker, client, paths, box, repeats):
    """Whole passes, direct and over TraX in turns: like the toolkit, the client idles while the
    server works (interleaving single frames would make the two processes evict each other's caches
    and wait for each other's wake-ups, which inflates the difference several times over)."""
    update, direct, round_trip = [], [], []
    for _ in range(repeats):
        one, both = direct_pass(tracker, paths, box)
        update += one
        direct += both
        round_trip += trax_pass(client, paths, box)
    return np.array(update), np.array(direct), np.array(round_trip)


def main():
    args_parser = parser(__doc__.splitlines()[0])
    args_parser.add_argument("--variant", default="tiny")
    args_parser.add_argument("--device", default="cpu")
    args_parser.add_argument("--frames", type=int, default=60)
    args_parser.add_argument("--iterations", type=int, default=3)
    args_parser.add_argument("--size", default="320x240", help="frame size WxH")
    args = args_parser.parse_args()
    env = setup(args)
    size = tuple(int(v) for v in args.size.split("x"))
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        model = model_for(args.variant)
        weights = save_checkpoint(model, folder / "weights.safetensors")
        paths, box = write_frames(folder, args.frames, size)
        tracker = simtrack.Tracker(model, device=args.device)
        process, client = start_server(weights, args.device, args.threads)
        try:
            update, direct, round_trip = measure(tracker, client, paths, box, args.iterations)
            client.quit()
        finally:
            process.wait(30)
    rows = {"direct Tracker.update": update, "direct read_image + update": direct,
            "TraX round trip (server reads the frame)": round_trip}
    print(f"{args.variant} on {args.device}, {size[0]}x{size[1]} frames, {round_trip.size} timed frames per path")
    for name, seconds in rows.items():
        print(f"  {name:42s} median {np.median(seconds) * 1e3:8.2f} ms   mean {seconds.mean() * 1e3:8.2f} ms")
    overhead = {"median_ms": float(np.median(round_trip) - np.median(direct)) * 1e3,
                "mean_ms": float(round_trip.mean() - direct.mean()) * 1e3}
    print(f"  {'protocol overhead (round trip - direct)':42s} median {overhead['median_ms']:8.2f} ms   "
          f"mean {overhead['mean_ms']:8.2f} ms")
    finish(args, env, {**{name: {"median_ms": float(np.median(s) * 1e3), "mean_ms": float(s.mean() * 1e3)}
                          for name, s in rows.items()}, "protocol overhead": overhead})


if __name__ == "__main__":
    main()
