"""The per-frame part of the HTML report: compact IoU / centre-error series and failure thumbnails.

Per-frame values come from ``metrics.frame_values`` (each toolkit's rules, first run of each
tracker). A series is cut into at most ``MAX_POINTS`` bins (the mean of the bin's scored frames)
and stored as one byte per bin, base64-encoded: a 2,500-frame sequence costs about 1 KB per
tracker and quantity, whatever its length, and the browser draws it. Absent-target frames are kept
at full resolution as ``[first, last]`` spans (0-based).

Thumbnails: for the ``THUMBNAIL_SEQUENCES`` sequences where the trackers fail or disagree most (whose
frames exist), ``THUMBNAILS`` frames where the trackers fail (lowest mean IoU) or disagree most
(largest IoU spread), cropped around the boxes, with the
ground truth and each tracker's box drawn in the report colours, as small JPEGs. A frame whose
shown region is several times larger than the thumbnail is decoded at 1/2, 1/4 or 1/8 of its size
(the JPEG decoder's own scaling), which costs a third of a full decode. Scoring needs no frame, so a
frame that is refused (not a regular file, or a header declaring more than
``limits.MAX_THUMBNAIL_PIXELS``: four are decoded at once) only costs its thumbnail, with one note.
"""
import base64
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import numpy as np

from simtrack.data.files import MissingFrames
from simtrack.errors import SimTrackError, TrackerInputError
from simtrack.formats.palette import tracker_color
from simtrack.limits import MAX_THUMBNAIL_PIXELS

MAX_POINTS = 400
IOU_LEVELS = 200            # IoU stored as round(200 * IoU): steps of 0.005
CENTER_CAP = 250            # centre errors stored in whole pixels up to 250; 251 = further away
NO_VALUE = 255              # byte of a bin without a scored frame
# Thumbnails cost a frame decode each (4-12 ms for a 1280 x 720 JPEG): only the sequences where the
# trackers fail or disagree most get them, which bounds the cost on large benchmarks (~1 s).
THUMBNAIL_SEQUENCES = 100
THUMBNAILS = 2             # the frame where the trackers fail most, and where they disagree most
THUMB_SIZE = (192, 144)     # width, height of a thumbnail
THUMB_QUALITY = 75
THUMB_LINE_WIDTH = 2
MIN_CROP = 96               # smallest crop side in frame pixels, so small targets keep some context
REDUCTIONS = (2, 4, 8)      # the JPEG decoder's own reduced decodes (cv2.IMREAD_REDUCED_COLOR_<k>)
READ_THREADS = 4            # frames are decoded in threads (OpenCV releases the GIL)


def _encode(values):
    return base64.b64encode(values.astype(np.uint8).tobytes()).decode("ascii")


def binned_mean(values, step):
    """Mean of the finite values of each run of ``step`` frames (NaN where a bin has none)."""
    count = -(-len(values) // step)
    padded = np.full(count * step, np.nan)
    padded[:len(values)] = values
    bins = padded.reshape(count, step)
    finite = np.isfinite(bins)
    with np.errstate(all="ignore"):
        return np.where(finite.any(1), np.where(finite, bins, 0).sum(1) / finite.sum(1), np.nan)


def scored_iou(errors):
    """IoU of the frames the rules score with a real overlap: NaN for unscored frames and the -1 that
    the rules give invalid or absent ground truth."""
    iou = np.asarray(errors.iou, dtype=np.float64)
    return np.where(iou >= 0, iou, np.nan)


def scored_center(errors):
    if errors.center is None:
        return None
    center = np.asarray(errors.center, dtype=np.float64)
    return np.where(center >= 0, center, np.nan)   # -1 (invalid GT) is no value; +inf stays "far"


def quantize_iou(values):
    return np.where(np.isnan(values), NO_VALUE, np.round(np.clip(values, 0, 1) * IOU_LEVELS))


def quantize_center(values):
    capped = np.where(values > CENTER_CAP, CENTER_CAP + 1, np.round(np.nan_to_num(values, nan=0.0, posinf=1e9)))
    return np.where(np.isnan(values), NO_VALUE, np.minimum(capped, CENTER_CAP + 1))


def spans(flags):
    """``[[first, last], ...]`` (0-based, inclusive) of the runs of True in ``flags``."""
    flags = np.asarray(flags, bool)
    if not flags.any():
        return []
    edges = np.diff(np.concatenate([[0], flags.view(np.int8), [0]]))
    starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1) - 1
    return [[int(a), int(b)] for a, b in zip(starts, ends)]


def series(sequence, tracker_errors):
    """The chart data of one sequence: bin size, absent spans, and each tracker's IoU (and centre
    error where the protocol has one) as base64 bytes."""
    length = len(tracker_errors[0].iou)
    step = max(1, -(-length // MAX_POINTS))
    absent = sequence.absent[:length] if sequence.absent is not None else np.zeros(length, bool)
    entry = {"step": step, "absent": spans(absent),
             "iou": [_encode(quantize_iou(binned_mean(scored_iou(errors), step))) for errors in tracker_errors]}
    centers = [scored_center(errors) for errors in tracker_errors]
    if all(center is not None for center in centers):
        entry["center"] = [_encode(quantize_center(binned_mean(center, step))) for center in centers]
    return entry


def choose_frames(ious, absent, count=THUMBNAILS):
    """Frames (0-based) worth a thumbnail, each with why: the worst mean IoU, the largest spread
    between trackers, then the worst of both, at least a tenth of the sequence apart.

    ``ious`` is (trackers, frames) with NaN where a frame is not scored; frame 1 (the given box) and
    absent frames are never chosen.
    """
    ious = np.asarray(ious, dtype=np.float64)
    usable = np.all(np.isfinite(ious), axis=0)
    usable[0] = False
    if absent is not None:
        usable &= ~np.asarray(absent, bool)[:ious.shape[1]]
    if not usable.any():
        return []
    failure = 1.0 - ious.mean(0)
    spread = ious.max(0) - ious.min(0)
    gap = max(1, ious.shape[1] // 10)
    wishes = [("lowest IoU", failure)] + ([("trackers disagree most", spread)] if len(ious) > 1 else [])
    wishes += [("hard frame", failure + spread)] * (count - len(wishes))
    chosen, free = [], usable.copy()
    for why, score in wishes[:count]:
        if not free.any():
            break
        frame = int(np.argmax(np.where(free, score, -np.inf)))
        chosen.append((frame, why))
        free[max(0, frame - gap):frame + gap + 1] = False
    return chosen


@dataclass
class ThumbnailJob:
    """One thumbnail to render: the frame file and every box on it."""

    path: Path
    frame: int
    why: str
    truth: np.ndarray
    boxes: list[np.ndarray]   # one (4,) box per tracker
    ious: list[float]         # one IoU (or NaN) per tracker


def crop_region(image_shape, boxes, size=THUMB_SIZE):
    """The (x0, y0, x1, y1) part of the frame shown: the boxes with context, in the thumbnail's aspect."""
    height, width = image_shape[:2]
    finite = [box for box in boxes if box is not None and np.all(np.isfinite(box)) and box[2] > 0 and box[3] > 0]
    if not finite:
        return 0, 0, width, height
    corners = np.array([[b[0], b[1], b[0] + b[2], b[1] + b[3]] for b in finite])
    x0, y0 = corners[:, :2].min(0)
    x1, y1 = corners[:, 2:].max(0)
    side_w, side_h = max((x1 - x0) * 1.6, MIN_CROP), max((y1 - y0) * 1.6, MIN_CROP)
    aspect = size[0] / size[1]
    side_w, side_h = max(side_w, side_h * aspect), max(side_h, side_w / aspect)
    side_w, side_h = min(side_w, width), min(side_h, height)
    cx, cy = np.clip((x0 + x1) / 2, side_w / 2, width - side_w / 2), np.clip((y0 + y1) / 2, side_h / 2, height - side_h / 2)
    return (int(round(cx - side_w / 2)), int(round(cy - side_h / 2)),
            int(round(cx + side_w / 2)), int(round(cy + side_h / 2)))


def reduction(boxes, size=THUMB_SIZE):
    """The largest of 1, 2, 4, 8 by which the frame can be decoded smaller and still fill the thumbnail
    with the boxes' region (JPEG decoders scale by these factors for a fraction of a full decode)."""
    from simtrack.formats.drawing import drawable  # with OpenCV: imported only when thumbnails are drawn
    if not any(drawable(box) is not None for box in boxes):
        return 1
    x0, y0, x1, y1 = crop_region((np.inf, np.inf), boxes, size)
    fits = [factor for factor in REDUCTIONS if (x1 - x0) / factor >= size[0] and (y1 - y0) / factor >= size[1]]
    return max(fits, default=1)


def read_frame(path, factor):
    """The frame as RGB, decoded at 1/``factor`` of its size (``read_image`` for full size); a frame
    whose header declares more than ``MAX_THUMBNAIL_PIXELS`` is refused before decoding."""
    import cv2  # thumbnails only: reports of frameless data never load it

    from simtrack.formats.images import pixel_problem, read_frame_bytes, read_image
    if factor == 1:
        return read_image(path, MAX_THUMBNAIL_PIXELS)
    data = read_frame_bytes(path)
    problem = pixel_problem(data, MAX_THUMBNAIL_PIXELS)
    if problem:
        raise TrackerInputError(f"frame {path} {problem}")
    image = cv2.imdecode(np.frombuffer(data, dtype=np.uint8), getattr(cv2, f"IMREAD_REDUCED_COLOR_{factor}"))
    if image is None:
        raise TrackerInputError(f"frame {path} cannot be decoded")
    return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)


def _scaled(boxes, factor):
    return [None if box is None else np.asarray(box, dtype=np.float64) / factor for box in boxes]


def render_thumbnail(job, size=THUMB_SIZE, notes=None):
    """A ``data:image/jpeg`` URL of the job's frame region with every box drawn, or None if unreadable
    (why a frame was refused is appended to ``notes``)."""
    import cv2

    from simtrack.formats.drawing import Mark, annotate, ground_truth_mark
    boxes = [job.truth, *job.boxes]
    factor = reduction(boxes, size)
    try:
        image = read_frame(job.path, factor)
        x0, y0, x1, y1 = crop_region(image.shape, _scaled(boxes, factor), size)
        if factor > 1 and (x1 - x0 < size[0] or y1 - y0 < size[1]):   # the frame's edge cut the region
            factor = 1
            image = read_frame(job.path, factor)
            x0, y0, x1, y1 = crop_region(image.shape, boxes, size)
    except Exception as error:   # a missing, damaged or refused frame costs its thumbnail, never the report
        if notes is not None and isinstance(error, SimTrackError):
            notes.append(str(error))
        return None
    truth, *tracker_boxes = _scaled(boxes, factor)
    crop = image[y0:y1, x0:x1]
    scale = min(size[0] / crop.shape[1], size[1] / crop.shape[0])
    # the reduced decode leaves at most a 2x reduction, where bilinear is as sharp as INTER_AREA and 5x faster
    shown = cv2.resize(crop, (max(1, round(crop.shape[1] * scale)), max(1, round(crop.shape[0] * scale))),
                       interpolation=cv2.INTER_AREA if scale < 0.5 else cv2.INTER_LINEAR)

    def moved(box):
        box = np.asarray(box, dtype=np.float64)
        return np.array([(box[0] - x0) * scale, (box[1] - y0) * scale, box[2] * scale, box[3] * scale])

    marks = [ground_truth_mark(moved(truth))]
    marks += [Mark("", tracker_color(index), moved(box)) for index, box in enumerate(tracker_boxes)]
    annotate(shown, marks, legend=False, width=THUMB_LINE_WIDTH)
    ok, jpeg = cv2.imencode(".jpg", cv2.cvtColor(shown, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, THUMB_QUALITY])
    return "data:image/jpeg;base64," + base64.b64encode(jpeg.tobytes()).decode("ascii") if ok else None


def thumbnail_sequences(scores, count=THUMBNAIL_SEQUENCES):
    """Indices of the ``count`` sequences most worth a look: lowest mean score plus largest spread
    between trackers (``scores``: one list of per-sequence scores in percent per tracker)."""
    table = np.array(scores, dtype=np.float64).reshape(len(scores), -1)
    known = ~np.isnan(table)
    count_known = known.sum(0)
    mean = np.where(known, table, 0).sum(0) / np.maximum(count_known, 1)
    spread = np.where(known, table, -np.inf).max(0) - np.where(known, table, np.inf).min(0)
    interest = np.where(count_known > 0, (100 - mean) + spread, -np.inf)
    return [int(index) for index in np.argsort(-interest, kind="stable")[:count]]


def thumbnail_jobs(sequence, tracker_boxes, tracker_errors):
    """The thumbnails of one sequence, or [] when its frames are not on disk (annotation-only data)."""
    if isinstance(sequence.frames, MissingFrames) or not sequence.frames or not Path(sequence.frames[0]).is_file():
        return []
    ious = np.vstack([scored_iou(errors) for errors in tracker_errors])
    jobs = []
    for frame, why in choose_frames(ious, sequence.absent):
        if frame < len(sequence.frames):
            jobs.append(ThumbnailJob(Path(sequence.frames[frame]), frame, why, sequence.boxes[frame],
                                     [boxes[frame] for boxes in tracker_boxes], [float(v) for v in ious[:, frame]]))
    return jobs


def opencv_available():
    """Thumbnails need OpenCV, which a scoring-only install may lack (requirements-eval.txt)."""
    try:
        import cv2  # noqa: F401
    except ImportError:
        return False
    return True


def render_thumbnails(jobs_per_sequence):
    """Render every job (in threads); returns, per sequence, a list of thumbnail dicts."""
    flat = [job for jobs in jobs_per_sequence for job in jobs]
    if flat and not opencv_available():
        print("note: report.html has no thumbnails: drawing them needs OpenCV (pip install opencv-python)",
              file=sys.stderr)
        flat = []
    if not flat:
        return [[] for _ in jobs_per_sequence]
    notes = []
    with ThreadPoolExecutor(READ_THREADS) as pool:
        images = iter(list(pool.map(partial(render_thumbnail, notes=notes), flat)))
    if notes:
        print(f"note: report.html lacks {len(notes)} thumbnail(s): {notes[0]}", file=sys.stderr)
    result = []
    for jobs in jobs_per_sequence:
        entries = []
        for job in jobs:
            src = next(images)
            if src is not None:
                entries.append({"frame": job.frame, "why": job.why, "src": src,
                                "iou": [None if np.isnan(v) else round(v, 3) for v in job.ious]})
        result.append(entries)
    return result
