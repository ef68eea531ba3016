"""Synthetic tracking videos: a textured target moving over a textured, panning background.

The target scales, changes aspect, is crossed by opaque occluders, may leave the frame and come
back, and shares the scene with distractors drawn from the same pattern family, so a tracker has
to do real work. Everything is a deterministic function of the seed.

Seed ranges keep training and evaluation apart: training draws from ``TRAINING_SEEDS``
(0..999_999); the demo benchmark uses ``DEMO_SEED_BASE + k`` (1_000_000 and up) for its k-th sequence.

``render_sequence`` builds one video in memory (for on-the-fly training pairs);
``ensure_demo_dataset`` writes the demo benchmark once, in the LaSOT layout, so that it is read by
the same code path as LaSOT.
"""
import json
import os
import shutil
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

import cv2
import numpy as np

from ...errors import DatasetError
from ..readers.lasot import ATTRIBUTES, TEST_LIST
from ..roots import default_root
from .demo_root import FOLDER, MARKER, demo_marker

DEMO_SEED_BASE = 1_000_000
TRAINING_SEEDS = range(0, DEMO_SEED_BASE)
PATTERNS = ("checker", "stripes", "blobs", "rings")
GENERATOR_VERSION = 1

_TEXTURE = 64          # side of the target/distractor texture before it is resized to its box
_MARGIN = 32           # camera pan range in pixels on each side of the frame
_KNOT_SPACING = 25     # frames between the random control points of every trajectory
_GONE = 0.05           # below this fraction of the target in frame / visible the frame is absent
_PATTERN_WORDS = {"checker": "checkered", "stripes": "striped", "blobs": "mottled", "rings": "ringed"}
_COLOUR_NAMES = {"red": (220, 40, 40), "green": (40, 170, 60), "blue": (40, 80, 220), "yellow": (230, 220, 50),
                 "orange": (240, 140, 30), "purple": (140, 60, 180), "cyan": (50, 200, 220),
                 "pink": (240, 130, 180), "white": (240, 240, 240), "black": (20, 20, 20),
                 "gray": (128, 128, 128), "brown": (130, 80, 40)}


@dataclass
class SyntheticSequence:
    """One rendered video.

    ``boxes`` are the in-frame extent of the target (occluded parts included), integer-valued
    ``x, y, w, h``; rows are zero while the target is out of view. ``visibility`` is the fraction of
    the target's pixels that can be seen (0 when out of view or fully occluded).
    """

    frames: np.ndarray          # (N, H, W, 3) uint8 RGB
    boxes: np.ndarray           # (N, 4) float64
    absent: np.ndarray          # (N,) bool: full_occlusion | out_of_view
    full_occlusion: np.ndarray  # (N,) bool
    out_of_view: np.ndarray     # (N,) bool
    visibility: np.ndarray      # (N,) float64 in [0, 1]
    pattern: str
    description: str
    attributes: dict[str, bool] = field(default_factory=dict)   # LaSOT attribute name -> flag


@dataclass
class _Layer:
    texture: np.ndarray         # (h, w, 3) uint8
    mask: Optional[np.ndarray]  # (h, w) bool, or None for an opaque rectangle
    positions: np.ndarray       # (N, 2) int top-left corners


@dataclass
class _Scene:
    size: tuple[int, int]
    background: np.ndarray      # (H + 2 * margin, W + 2 * margin, 3) uint8
    camera: np.ndarray          # (N, 2) int offsets into the background
    gain: np.ndarray            # (N,) brightness factor
    target_texture: np.ndarray
    target_mask: np.ndarray
    target_rects: np.ndarray    # (N, 4) int x, y, w, h before clipping to the frame
    distractors: list[_Layer]
    occluders: list[_Layer]
    pattern: str
    description: str


def render_sequence(seed, num_frames, size=(320, 240), pattern=None):
    """Render video ``seed`` with ``num_frames`` frames of ``size`` = (width, height) pixels.

    ``pattern`` forces the target texture family (one of ``PATTERNS``); by default the seed picks it.
    """
    if pattern is not None and pattern not in PATTERNS:
        raise ValueError(f"pattern must be one of {PATTERNS}, got {pattern!r}")
    if num_frames < 1:
        raise ValueError(f"num_frames must be at least 1, got {num_frames}")
    return _render(_make_scene(seed, num_frames, size, pattern))


def ensure_demo_dataset(root=None, num_sequences=10, num_frames=120, seed=DEMO_SEED_BASE, size=(320, 240)):
    """Write the demo benchmark under ``root`` (default ``$SIMTRACK_DATA/demo`` or ``./data/demo``).

    Sequence k renders seed ``seed + k`` with pattern ``PATTERNS[k % 4]`` and is named
    ``<pattern>-<k // 4 + 1>``. The set is written to a temporary folder and renamed into place, with
    a marker that records the parameters; an existing set with the same parameters is kept, one
    with other parameters is replaced.
    """
    root = Path(root) if root is not None else default_root(FOLDER)[0]
    if num_sequences < 1 or num_frames < 1:
        raise ValueError(f"the demo set needs at least one sequence of one frame, got {num_sequences} x {num_frames}")
    if seed < DEMO_SEED_BASE:
        raise DatasetError(f"demo seeds start at {DEMO_SEED_BASE:,} so that they never coincide with training "
                           f"seeds 0..{DEMO_SEED_BASE - 1:,}; got seed={seed}")
    params = {"version": GENERATOR_VERSION, "num_sequences": num_sequences, "num_frames": num_frames,
              "seed": seed, "size": list(size)}
    found = demo_marker(root)
    if found == params:
        return root
    if found is None and root.is_dir() and any(root.iterdir()):
        raise DatasetError(f"{root} exists and is not a demo set written by simtrack (no {MARKER}); "
                           f"refusing to overwrite it: choose an empty or new folder")
    root.parent.mkdir(parents=True, exist_ok=True)
    staging = root.parent / f".{root.name}.tmp-{uuid.uuid4().hex[:8]}"
    try:
        names = [_write_demo_sequence(staging, k, seed + k, num_frames, size) for k in range(num_sequences)]
        (staging / TEST_LIST).write_text("\n".join(names) + "\n")
        (staging / MARKER).write_text(json.dumps(params))
        _swap_into_place(staging, root, params)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return root


def _swap_into_place(staging, root, params):
    """Rename ``staging`` to ``root``; another process that finished first wins if it wrote the same set."""
    retired = None
    if root.exists():
        if demo_marker(root) == params:
            return
        retired = root.parent / f".{root.name}.old-{uuid.uuid4().hex[:8]}"
        os.rename(root, retired)
    try:
        os.rename(staging, root)
    except OSError:
        if demo_marker(root) != params:
            raise
    if retired is not None:
        shutil.rmtree(retired, ignore_errors=True)


def _write_demo_sequence(staging, k, seed, num_frames, size):
    pattern = PATTERNS[k % len(PATTERNS)]
    name = f"{pattern}-{k // len(PATTERNS) + 1}"
    video = render_sequence(seed, num_frames, size, pattern)
    folder = staging / pattern / name
    (folder / "img").mkdir(parents=True)
    for index, frame in enumerate(video.frames, start=1):
        path = folder / "img" / f"{index:08d}.jpg"
        if not cv2.imwrite(str(path), frame[:, :, ::-1], [cv2.IMWRITE_JPEG_QUALITY, 92]):
            raise DatasetError(f"could not write demo frame {path} (is the disk full or read-only?)")
    np.savetxt(folder / "groundtruth.txt", video.boxes, fmt="%d", delimiter=",")
    (folder / "full_occlusion.txt").write_text(",".join(map(str, video.full_occlusion.astype(int))))
    (folder / "out_of_view.txt").write_text(",".join(map(str, video.out_of_view.astype(int))))
    (folder / "nlp.txt").write_text(video.description + "\n")
    (staging / "att").mkdir(exist_ok=True)
    flags = [int(video.attributes[full]) for _, full in ATTRIBUTES]
    (staging / "att" / f"{name}.txt").write_text(",".join(map(str, flags)) + "\n")
    return name


# ---------------------------------------------------------------- scene construction

def _make_scene(seed, num_frames, size, pattern):
    rng = np.random.default_rng(seed)
    width, height = size
    n = num_frames
    drawn_pattern = PATTERNS[rng.integers(len(PATTERNS))]
    pattern = pattern or drawn_pattern
    colour_a = rng.integers(0, 256, 3)
    colour_b = (colour_a + rng.integers(96, 160, 3)) % 256
    target_texture = _pattern_texture(rng, pattern, colour_a, colour_b)
    ellipse = rng.random() < 0.5
    target_mask = _shape_mask(ellipse)

    side = rng.uniform(0.14, 0.24) * min(width, height)
    log_aspect = np.log(rng.uniform(0.6, 1.6)) + _path(rng, n, -0.15, 0.15)
    scale = side * np.exp(_path(rng, n, -0.35, 0.35))
    widths = np.maximum(4, np.round(scale * np.exp(log_aspect / 2))).astype(int)
    heights = np.maximum(4, np.round(scale * np.exp(-log_aspect / 2))).astype(int)
    centre_x, centre_y = _target_centres(rng, n, width, height)
    rects = np.stack([np.round(centre_x - widths / 2).astype(int), np.round(centre_y - heights / 2).astype(int),
                      widths, heights], axis=1)

    distractors = [_distractor(rng, n, pattern, colour_a, colour_b, side, width, height)
                   for _ in range(rng.integers(1, 4))]
    occluders = [_occluder(rng, n, side, rects, width, height) for _ in range(rng.integers(1, 3))]

    background = _background(rng, width + 2 * _MARGIN, height + 2 * _MARGIN)
    if rng.random() < 0.6:
        camera = np.stack([_path(rng, n, 0, 2 * _MARGIN), _path(rng, n, 0, 2 * _MARGIN)], axis=1)
    else:
        camera = np.full((n, 2), _MARGIN, dtype=float)
    gain = _path(rng, n, 0.7, 1.3) if rng.random() < 0.5 else np.ones(n)

    shape = "ellipse" if ellipse else "box"
    names = [_colour_name(colour_a), _colour_name(colour_b)]
    colours = names[0] if names[0] == names[1] else f"{names[0]} and {names[1]}"
    description = f"the {colours} {_PATTERN_WORDS[pattern]} {shape} moving among similar-looking objects"
    return _Scene((width, height), background, np.round(camera).astype(int), gain, target_texture, target_mask,
                  rects, distractors, occluders, pattern, description)


def _path(rng, n, low, high):
    """A smooth random trajectory: uniform control points every few frames, interpolated and blurred."""
    knots = max(2, int(np.ceil(n / _KNOT_SPACING)) + 1)
    return _smooth(rng.uniform(low, high, knots), n)


def _smooth(knot_values, n):
    times = np.linspace(0, max(n - 1, 1), len(knot_values))
    values = np.interp(np.arange(n), times, knot_values)
    sigma = _KNOT_SPACING / 3
    radius = int(3 * sigma)
    kernel = np.exp(-0.5 * (np.arange(-radius, radius + 1) / sigma) ** 2)
    padded = np.pad(values, radius, mode="edge")
    return np.convolve(padded, kernel / kernel.sum(), mode="valid")


def _target_centres(rng, n, width, height):
    """Centre trajectory; in 40% of the videos one control point lies far outside the frame."""
    knots = max(2, int(np.ceil(n / _KNOT_SPACING)) + 1)
    xs = rng.uniform(0.25, 0.75, knots) * width
    ys = rng.uniform(0.25, 0.75, knots) * height
    xs[0], ys[0] = rng.uniform(0.35, 0.65) * width, rng.uniform(0.35, 0.65) * height
    if knots >= 4 and rng.random() < 0.4:
        exit_knot = rng.integers(2, knots - 1)
        if rng.random() < 0.5:
            xs[exit_knot] = width * (-0.6 if rng.random() < 0.5 else 1.6)
        else:
            ys[exit_knot] = height * (-0.7 if rng.random() < 0.5 else 1.7)
    return _smooth(xs, n), _smooth(ys, n)


def _distractor(rng, n, pattern, colour_a, colour_b, side, width, height):
    """An object of the target's pattern family with slightly shifted colours and its own path."""
    jitter = lambda colour: np.clip(colour + rng.normal(0, 18, 3), 0, 255).astype(int)  # noqa: E731
    texture = _pattern_texture(rng, pattern, jitter(colour_a), jitter(colour_b))
    w, h = (max(4, int(side * rng.uniform(0.75, 1.25))) for _ in range(2))
    positions = np.stack([_path(rng, n, 0, width - w), _path(rng, n, 0, height - h)], axis=1)
    mask = cv2.resize(_shape_mask(rng.random() < 0.5).astype(np.uint8), (w, h), interpolation=cv2.INTER_NEAREST)
    return _Layer(cv2.resize(texture, (w, h), interpolation=cv2.INTER_LINEAR), mask > 0,
                  np.round(positions).astype(int))


def _occluder(rng, n, side, rects, width, height):
    """An opaque bar that sweeps across the target's position at a random time after the start."""
    vertical = rng.random() < 0.5
    thickness = max(4, int(side * rng.uniform(0.5, 1.4)))
    length = int((height if vertical else width) * rng.uniform(0.5, 0.9))
    w, h = (thickness, length) if vertical else (length, thickness)
    crossing = rng.integers(max(1, n // 4), max(2, (9 * n) // 10))
    rect = rects[min(crossing, n - 1)]
    centre = np.array([rect[0] + rect[2] / 2, rect[1] + rect[3] / 2])
    along = 0 if vertical else 1
    speed = (thickness + rect[2 + along]) / rng.uniform(8, 25) * (1 if rng.random() < 0.5 else -1)
    offsets = (np.arange(n) - crossing) * speed
    centres = np.repeat(centre[None], n, axis=0)
    centres[:, along] += offsets
    centres[:, 1 - along] += rng.uniform(-0.2, 0.2) * length
    while _overlaps(centres[0], (w, h), rects[0]):   # keep the first frame clear for initialisation
        centres[:, along] -= np.sign(speed) * thickness
    base = rng.integers(30, 160, 3)
    noise = cv2.resize(rng.random((4, 4)).astype(np.float32), (w, h), interpolation=cv2.INTER_CUBIC)
    texture = np.clip(base[None, None] * (0.7 + 0.6 * noise[..., None]), 0, 255).astype(np.uint8)
    return _Layer(texture, None, np.round(centres - [w / 2, h / 2]).astype(int))


def _overlaps(centre, size, rect):
    (cx, cy), (w, h) = centre, size
    x, y, rw, rh = rect
    return cx - w / 2 < x + rw and cx + w / 2 > x and cy - h / 2 < y + rh and cy + h / 2 > y


def _pattern_texture(rng, pattern, colour_a, colour_b):
    yy, xx = np.mgrid[0:_TEXTURE, 0:_TEXTURE].astype(np.float32)
    if pattern == "checker":
        cell = rng.integers(5, 14)
        first = ((xx // cell + yy // cell) % 2).astype(bool)
    elif pattern == "stripes":
        angle, period = rng.uniform(0, np.pi), rng.uniform(8, 20)
        first = np.sin(2 * np.pi * (xx * np.cos(angle) + yy * np.sin(angle)) / period) > 0
    elif pattern == "rings":
        period = rng.uniform(8, 18)
        cx, cy = _TEXTURE / 2 + rng.uniform(-6, 6, 2)
        first = (np.hypot(xx - cx, yy - cy) // (period / 2)) % 2 == 0
    else:
        blobs = cv2.resize(rng.random((4, 4)).astype(np.float32), (_TEXTURE, _TEXTURE), interpolation=cv2.INTER_CUBIC)
        first = blobs > 0.5
    return np.where(first[..., None], colour_a, colour_b).astype(np.uint8)


def _shape_mask(ellipse):
    if not ellipse:
        return np.ones((_TEXTURE, _TEXTURE), dtype=bool)
    yy, xx = np.mgrid[0:_TEXTURE, 0:_TEXTURE] + 0.5
    half = _TEXTURE / 2
    return ((xx - half) / half) ** 2 + ((yy - half) / half) ** 2 <= 1


def _background(rng, width, height):
    """Muted low-frequency colour field with random clutter shapes and fine grain (uint8 throughout: fast)."""
    image = cv2.resize(rng.integers(60, 190, (5, 7, 3), dtype=np.uint8), (width, height),
                       interpolation=cv2.INTER_CUBIC)
    for _ in range(rng.integers(20, 40)):
        colour = tuple(int(c) for c in rng.integers(40, 200, 3))
        x, y = int(rng.integers(0, width)), int(rng.integers(0, height))
        extent = int(rng.integers(4, 40))
        if rng.random() < 0.5:
            cv2.rectangle(image, (x, y), (x + extent, y + int(rng.integers(4, 40))), colour, -1)
        else:
            cv2.circle(image, (x, y), extent // 2, colour, -1)
    grain = rng.integers(0, 13, (height, width, 1), dtype=np.uint8)
    return cv2.add(image, grain[:, :, [0, 0, 0]])


def _colour_name(colour):
    names = list(_COLOUR_NAMES)
    references = np.array([_COLOUR_NAMES[name] for name in names], dtype=float)
    return names[int(np.argmin(((references - np.asarray(colour, dtype=float)) ** 2).sum(axis=1)))]


# ---------------------------------------------------------------- rendering

def _render(scene, draw_target=True):
    width, height = scene.size
    n = len(scene.target_rects)
    frames = np.empty((n, height, width, 3), dtype=np.uint8)
    boxes = np.zeros((n, 4))
    visibility = np.zeros(n)
    out_of_view = np.zeros(n, dtype=bool)
    full_occlusion = np.zeros(n, dtype=bool)
    occluded_part = np.zeros(n)
    for t in range(n):
        frame = frames[t]
        cx, cy = scene.camera[t]
        frame[:] = scene.background[cy:cy + height, cx:cx + width]
        for layer in scene.distractors:
            _paste(frame, layer.texture, layer.mask, *layer.positions[t])
        x, y, w, h = scene.target_rects[t]
        mask = cv2.resize(scene.target_mask.astype(np.uint8), (w, h), interpolation=cv2.INTER_NEAREST) > 0
        if draw_target:
            texture = cv2.resize(scene.target_texture, (w, h), interpolation=cv2.INTER_LINEAR)
            _paste(frame, texture, mask, x, y)
        for layer in scene.occluders:
            _paste(frame, layer.texture, None, *layer.positions[t])
        if scene.gain[t] != 1:
            cv2.convertScaleAbs(frame, dst=frame, alpha=float(scene.gain[t]))

        x0, y0, x1, y1 = max(x, 0), max(y, 0), min(x + w, width), min(y + h, height)
        inside = mask[y0 - y:y1 - y, x0 - x:x1 - x] if x1 > x0 and y1 > y0 else np.zeros((0, 0), bool)
        covered = np.zeros(inside.shape, dtype=bool)
        for layer in scene.occluders:
            ox, oy = layer.positions[t]
            oh, ow = layer.texture.shape[:2]
            covered[max(oy - y0, 0):max(oy + oh - y0, 0), max(ox - x0, 0):max(ox + ow - x0, 0)] = True
        total, in_frame = mask.sum(), inside.sum()
        visible = (inside & ~covered).sum()
        visibility[t] = visible / total
        out_of_view[t] = in_frame < _GONE * total
        full_occlusion[t] = not out_of_view[t] and visible < _GONE * total
        occluded_part[t] = 1 - visible / in_frame if in_frame else 0
        if not out_of_view[t]:
            boxes[t] = (x0, y0, x1 - x0, y1 - y0)
    absent = out_of_view | full_occlusion
    attributes = _attributes(scene, boxes, absent, full_occlusion, out_of_view, occluded_part)
    return SyntheticSequence(frames, boxes, absent, full_occlusion, out_of_view, visibility, scene.pattern,
                             scene.description, attributes)


def _paste(frame, texture, mask, x, y):
    """Draw ``texture`` (where ``mask``) with its top-left corner at (x, y), clipped to the frame."""
    h, w = texture.shape[:2]
    x0, y0, x1, y1 = max(x, 0), max(y, 0), min(x + w, frame.shape[1]), min(y + h, frame.shape[0])
    if x1 <= x0 or y1 <= y0:
        return
    source = texture[y0 - y:y1 - y, x0 - x:x1 - x]
    if mask is None:
        frame[y0:y1, x0:x1] = source
    else:
        np.copyto(frame[y0:y1, x0:x1], source, where=mask[y0 - y:y1 - y, x0 - x:x1 - x, None])


def _attributes(scene, boxes, absent, full_occlusion, out_of_view, occluded_part):
    """LaSOT attribute flags, measured on the rendered video (DEF, MB, ROT and VC never occur)."""
    seen = ~absent
    areas = boxes[:, 2] * boxes[:, 3]
    aspects = boxes[:, 2] / np.maximum(boxes[:, 3], 1)
    first_area, first_aspect = areas[0], aspects[0]
    sizes = np.sqrt(areas)
    centres = boxes[:, :2] + boxes[:, 2:] / 2
    consecutive = seen[1:] & seen[:-1]
    jumps = np.linalg.norm(np.diff(centres, axis=0), axis=1)
    outside = lambda ratio: bool(np.any(seen & ((ratio < 0.5) | (ratio > 2))))  # noqa: E731
    flags = {
        "IV": np.ptp(scene.gain) > 0.2,
        "POC": bool(np.any(seen & (occluded_part > _GONE))),
        "CM": bool(np.ptp(scene.camera, axis=0).max() > 4),
        "BC": len(scene.distractors) >= 2,
        "SV": outside(np.sqrt(areas / max(first_area, 1))),
        "FOC": bool(full_occlusion.any()),
        "FM": bool(np.any(consecutive & (jumps > sizes[:-1]))),
        "OV": bool(out_of_view.any()),
        "LR": bool(np.any(seen & (areas < 1000))),
        "ARC": outside(aspects / max(first_aspect, 1e-6)),
    }
    return {full: bool(flags.get(abbr, False)) for abbr, full in ATTRIBUTES}
