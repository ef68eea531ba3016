"""Cost of verifying frames as they are decoded: ``read_image`` against an unchecked ``cv2.imread``.

    python -m benchmarks.perf.frame_check [--sizes 1280x720,640x360] [--frames 8] [--iterations 30] [--threads 1]

Writes synthetic frames as JPEG (quality 95, like the benchmarks' frames) and PNG, then times, in
turns, the decode the runner used before verification (``cv2.imread`` + BGR->RGB), today's
``simtrack.formats.images.read_image`` (read the bytes, check the JPEG segments / PNG chunks, decode) and
the structure check alone. Prints milliseconds per frame and the ratio verified / unchecked.
"""
import tempfile
from pathlib import Path

import cv2
import numpy as np

from simtrack.data import render_sequence
from simtrack.formats.images import frame_problem, read_image

from .common import finish, parser, setup
from .measure import interleaved


def write_frames(folder, size, count, suffix):
    """``count`` rendered frames of ``size`` as files; returns their paths."""
    scene = render_sequence(seed=1_000_000, num_frames=count, size=size)
    params = [cv2.IMWRITE_JPEG_QUALITY, 95] if suffix == ".jpg" else []
    paths = []
    for index, frame in enumerate(scene.frames):
        paths.append(Path(folder) / f"{size[0]}x{size[1]}_{index:03d}{suffix}")
        cv2.imwrite(str(paths[-1]), cv2.cvtColor(frame, cv2.COLOR_RGB2BGR), params)
    return paths


def unchecked(path):
    """The decode of the runner before frames were verified."""
    return cv2.cvtColor(cv2.imread(str(path), cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)


def per_frame_ms(paths, repeats):
    """Median milliseconds per frame of each way of reading ``paths``."""
    encoded = [path.read_bytes() for path in paths]
    candidates = {
        "cv2.imread (unchecked)": lambda: [unchecked(path) for path in paths],
        "read_image (verified)": lambda: [read_image(path) for path in paths],
        "structure check alone": lambda: [frame_problem(data) for data in encoded],
    }
    times = interleaved(candidates, repeats)
    return {name: float(np.median(values) * 1e3 / len(paths)) for name, values in times.items()}


def main():
    arguments = parser(__doc__.splitlines()[0])
    arguments.set_defaults(threads=1)
    arguments.add_argument("--sizes", default="1280x720,640x360", help="frame sizes WxH, comma-separated")
    arguments.add_argument("--frames", type=int, default=8, help="distinct frames per size and format")
    arguments.add_argument("--iterations", type=int, default=30, help="timed passes over the frames")
    args = arguments.parse_args()
    env = setup(args)
    results = {}
    with tempfile.TemporaryDirectory() as folder:
        for text in args.sizes.split(","):
            size = tuple(int(v) for v in text.lower().split("x"))
            for suffix in (".jpg", ".png"):
                paths = write_frames(folder, size, args.frames, suffix)
                ms = per_frame_ms(paths, args.iterations)
                ratio = ms["read_image (verified)"] / ms["cv2.imread (unchecked)"]
                label = f"{text} {suffix[1:]}"
                results[label] = {"median_ms": ms, "ratio_verified_over_unchecked": ratio,
                                  "mean_file_kib": float(np.mean([p.stat().st_size for p in paths]) / 1024)}
                print(f"{label:14s} ({results[label]['mean_file_kib']:6.0f} KiB)  "
                      + "  ".join(f"{name} {value:6.3f} ms" for name, value in ms.items())
                      + f"   verified / unchecked = {ratio:.3f}")
    finish(args, env, {"frames": results})


if __name__ == "__main__":
    main()
