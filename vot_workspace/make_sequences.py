"""Write small synthetic sequences in the VOT toolkit's sequence format (no download needed).

    python make_sequences.py sequences [--sequences 3] [--frames 100] [--width 320] [--height 240]

The videos come from simtrack's synthetic generator (a textured target among look-alike
distractors and occluders); videos whose target leaves the frame are skipped, because the
short-term stacks expect it in view on every frame. Each sequence has what the VOT2020-2022
short-term stacks read: ``sequence`` metadata, ``color/%08d.jpg`` frames, ``groundtruth.txt``
(x,y,w,h), ``anchor.value`` (forward anchors every ``--anchor-step`` frames, a backward anchor on
the last frame); ``list.txt`` names them. With ``list.txt`` present the toolkit never tries to
download a dataset into the workspace.
"""
import argparse
import sys
from pathlib import Path

import cv2
import numpy as np

# Run from a plain clone too: the repository root holds the simtrack package.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from simtrack.data.synthetic.generator import DEMO_SEED_BASE, render_sequence  # noqa: E402


def in_view_sequences(count, frames, size, seed):
    """The first ``count`` synthetic videos from ``seed`` on whose target never leaves the frame."""
    found = []
    while len(found) < count:
        video = render_sequence(seed, frames, size)
        if not video.out_of_view.any():
            found.append(video)
        seed += 1
    return found


def anchor_values(frames, step):
    """1 on forward anchors (every ``step`` frames from the first), -1 on the last frame."""
    values = np.zeros(frames)
    values[::step] = 1
    values[-1] = -1
    return values


def write_sequence(folder, name, images, boxes, anchor_step, fps=30):
    """One sequence folder in the toolkit's "default" format."""
    color = folder / name / "color"
    color.mkdir(parents=True, exist_ok=True)
    for index, image in enumerate(images, start=1):
        cv2.imwrite(str(color / f"{index:08d}.jpg"), cv2.cvtColor(image, cv2.COLOR_RGB2BGR),
                    [cv2.IMWRITE_JPEG_QUALITY, 95])
    height, width = images[0].shape[:2]
    (folder / name / "sequence").write_text(
        f"channels.color=color/%08d.jpg\nformat=default\nfps={fps}\nname={name}\n"
        f"width={width}\nheight={height}\n")
    np.savetxt(folder / name / "groundtruth.txt", boxes, fmt="%g", delimiter=",")
    np.savetxt(folder / name / "anchor.value", anchor_values(len(images), anchor_step), fmt="%g")


def make_sequences(folder, count=3, frames=100, width=320, height=240, anchor_step=50, seed=DEMO_SEED_BASE):
    """Write ``count`` sequences plus ``list.txt`` into ``folder``; returns the sequence names."""
    if frames < 2 or anchor_step < 1 or count < 1:
        raise SystemExit("error: --frames must be at least 2, --anchor-step and --sequences at least 1")
    folder = Path(folder)
    names = [f"synth{index:02d}" for index in range(count)]
    for name, video in zip(names, in_view_sequences(count, frames, (width, height), seed)):
        write_sequence(folder, name, video.frames, video.boxes, anchor_step)
    (folder / "list.txt").write_text("".join(f"{name}\n" for name in names))
    return names


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", help="output folder, e.g. the workspace's sequences/")
    parser.add_argument("--sequences", type=int, default=3)
    parser.add_argument("--frames", type=int, default=100)
    parser.add_argument("--width", type=int, default=320)
    parser.add_argument("--height", type=int, default=240)
    parser.add_argument("--anchor-step", type=int, default=50, help="frames between forward anchors")
    parser.add_argument("--seed", type=int, default=DEMO_SEED_BASE, help="first video seed")
    args = parser.parse_args(argv)
    names = make_sequences(args.folder, args.sequences, args.frames, args.width, args.height,
                           args.anchor_step, args.seed)
    print(f"wrote {len(names)} sequences of {args.frames} frames to {args.folder}")


if __name__ == "__main__":
    main()
