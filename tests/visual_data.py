"""A small LaSOT-layout dataset with real-looking frames and two trackers' results, for the report,
video and browser tests: a textured background, the target a filled square moving across it.

``make_visual_lasot`` writes frames of ``SIZE`` pixels, ground truth, absent flags (frames 5-7 of
the first sequence) and attribute files; ``write_results`` writes a tracker's result and time
files: ``"good"`` stays on the target, ``"drifting"`` leaves it half way through each sequence;
the ``visual_report`` fixture (import it into a test module) evaluates both.
"""
from pathlib import Path

import cv2
import numpy as np
import pytest

SIZE = (160, 120)            # width, height
NAMES = ("bird-1", "bird-2", "cat-1", "cat-3")
FRAMES = 16
TARGET_SIZE = 24


def target_box(sequence_index, frame):
    """The ground-truth box (x, y, w, h) of a frame: a square moving right and down."""
    x = 10 + 5 * frame + 3 * sequence_index
    y = 20 + 2 * frame + 4 * sequence_index
    return np.array([x, y, TARGET_SIZE, TARGET_SIZE], dtype=np.float64)


def frame_image(sequence_index, frame):
    """BGR frame: a diagonal texture with the target square drawn on it (cyan-ish)."""
    width, height = SIZE
    yy, xx = np.mgrid[0:height, 0:width]
    background = (70 + 40 * np.sin((xx + yy + 7 * sequence_index) / 6.0)).astype(np.uint8)
    image = np.dstack([background, background // 2 + 40, background // 3 + 60])
    x, y, w, h = target_box(sequence_index, frame).astype(int)
    cv2.rectangle(image, (x, y), (x + w, y + h), (230, 200, 40), -1)
    return image


def make_visual_lasot(root, names=NAMES, frames=FRAMES):
    """Write the dataset under ``root`` (with ``testing_set.txt`` listing ``names``); returns ``root``."""
    root = Path(root)
    for index, name in enumerate(names):
        folder = root / name.rsplit("-", 1)[0] / name
        (folder / "img").mkdir(parents=True, exist_ok=True)
        boxes = np.array([target_box(index, frame) for frame in range(frames)])
        absent = np.zeros(frames, dtype=int)
        if index == 0:
            absent[4:7] = 1
            boxes[4:7] = 0
        for frame in range(frames):
            cv2.imwrite(str(folder / "img" / f"{frame + 1:08d}.jpg"), frame_image(index, frame))
        np.savetxt(folder / "groundtruth.txt", boxes, fmt="%d", delimiter=",")
        (folder / "full_occlusion.txt").write_text(",".join(map(str, absent)))
        (folder / "out_of_view.txt").write_text(",".join(["0"] * frames))
        (folder / "nlp.txt").write_text(f"the {name} target\n")
        flags = [(k + index) % 2 for k in range(14)]
        (root / "att").mkdir(exist_ok=True)
        (root / "att" / f"{name}.txt").write_text(",".join(map(str, flags)) + "\n")
    (root / "testing_set.txt").write_text("\n".join(names))
    return root


def tracker_boxes(kind, sequence_index, frames=FRAMES):
    """``good``: the ground truth shifted by 1 px; ``drifting``: like good, then stuck after half way."""
    boxes = np.array([target_box(sequence_index, frame) for frame in range(frames)]) + [1, 1, 0, 0]
    if kind == "drifting":
        boxes[frames // 2:] = boxes[frames // 2 - 1] + [-30, 30, 0, 0] if sequence_index % 2 else boxes[frames // 2 - 1]
    return boxes


def write_clip(path, box=(120, 80, 60, 90), size=(480, 360), frames=20, codec="mp4v"):
    """A video file (OpenCV VideoWriter): a filled orange-yellow rectangle, ``box`` on the first frame,
    moving right and down over a grey background; returns ``path``."""
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*codec), 25, size)
    x, y, w, h = box
    for index in range(frames):
        image = np.full((size[1], size[0], 3), 96, np.uint8)
        cv2.rectangle(image, (x + 6 * index, y + 2 * index), (x + w + 6 * index, y + h + 2 * index), (40, 200, 240), -1)
        writer.write(image)
    writer.release()
    return path


def video_frames(path):
    """Every frame OpenCV decodes from a video file (BGR)."""
    capture = cv2.VideoCapture(str(path))
    frames = []
    while True:
        ok, image = capture.read()
        if not ok:
            return frames
        frames.append(image)


def write_results(folder, kind, names=NAMES, frames=FRAMES, seconds=0.02):
    """``<folder>/<seq>.txt`` and ``<seq>_time.txt`` for every sequence; returns ``folder``."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for index, name in enumerate(names):
        np.savetxt(folder / f"{name}.txt", tracker_boxes(kind, index, frames), fmt="%.2f", delimiter=",")
        np.savetxt(folder / f"{name}_time.txt", np.full(frames, seconds), fmt="%.6f")
    return folder


@pytest.fixture(scope="module")
def visual_report(tmp_path_factory):
    """The visual set evaluated for SimTrack (good) and Drifter (drifting) through the command line:
    (data root, results root, report.html)."""
    from benchmarks import evaluate
    root = tmp_path_factory.mktemp("visual")
    make_visual_lasot(root / "LaSOT")
    write_results(root / "results" / "SimTrack" / "lasot", "good")
    write_results(root / "results" / "Drifter" / "lasot", "drifting", seconds=0.005)
    assert evaluate.main(["--dataset", "lasot", "--data-root", str(root / "LaSOT"), "--results", str(root / "results"),
                          "--trackers", "SimTrack", "Drifter"]) == 0
    return root / "LaSOT", root / "results", root / "results" / "reports" / "lasot" / "report.html"
