"""The SimTrack tracker: ``init(image, box)`` on the first frame, ``update(image) -> box`` after.

Pre- and post-processing follow the official tracker exactly (see docs/model.md): crops from
``simtrack.crop``, the truncated template annotation, the float32 scale-back, the un-rounded
map-back and the 10-pixel clip margin. Boxes are ``x, y, w, h`` float64 in frame pixels.
"""

import numpy as np
import torch

from .crop import Normalizer, sample_target
from .errors import TrackerInputError
from .images import as_rgb_uint8

CLIP_MARGIN = 10


def resolve_device(device):
    """``"auto"`` picks CUDA when present, else the CPU."""
    if device in (None, "auto"):
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(device)


def check_box(box):
    """A first-frame box as four finite floats with positive width and height."""
    try:
        values = np.asarray(box, dtype=np.float64).reshape(-1)
    except (TypeError, ValueError):
        raise TrackerInputError(f"box must be four numbers x, y, w, h; got {box!r}") from None
    if values.shape != (4,) or not np.all(np.isfinite(values)):
        raise TrackerInputError(f"box must be four finite numbers x, y, w, h; got {box!r}")
    if values[2] <= 0 or values[3] <= 0:
        raise TrackerInputError(f"box width and height must be positive; got w={values[2]}, h={values[3]}")
    return values


def template_annotation(box, resize_factor, template_size):
    """The target box inside the template crop, normalised: truncated corner, exact size."""
    w, h = box[2] * resize_factor, box[3] * resize_factor
    half = template_size / 2
    return np.array([int(half - w / 2), int(half - h / 2), w, h], dtype=np.float64) / template_size


def clip_box(box, height, width, margin=CLIP_MARGIN):
    """Keep at least ``margin`` pixels of the box inside the frame (official ``clip_box``)."""
    x1, y1, w, h = box
    x2, y2 = x1 + w, y1 + h
    x1 = min(max(0, x1), width - margin)
    x2 = min(max(margin, x2), width)
    y1 = min(max(0, y1), height - margin)
    y2 = min(max(margin, y2), height)
    return [x1, y1, max(margin, x2 - x1), max(margin, y2 - y1)]


def map_box_back(state, box_in_crop, resize_factor, search_size):
    """Crop-relative (cx, cy, w, h) in frame pixels -> frame (x, y, w, h), around the previous state."""
    cx_prev, cy_prev = state[0] + 0.5 * state[2], state[1] + 0.5 * state[3]
    cx, cy, w, h = box_in_crop
    half_side = 0.5 * search_size / resize_factor
    cx_real = cx + (cx_prev - half_side)
    cy_real = cy + (cy_prev - half_side)
    return [cx_real - 0.5 * w, cy_real - 0.5 * h, w, h]


class Tracker:
    """Single-object tracker over one SimTrack model.

    Args:
        model: a ``simtrack.model.SimTrack`` (weights already loaded).
        device: ``"cpu"``, ``"cuda:0"``, ... or ``"auto"``.
    """

    def __init__(self, model, device="auto"):
        self.device = resolve_device(device)
        self.model = model.to(self.device).eval()
        self.config = model.config
        self.normalize = Normalizer(self.device)
        self.state = None
        self.confidence = None
        self._template_tokens = None

    @classmethod
    def from_checkpoint(cls, path, variant=None, device="auto"):
        """Build the model, load any supported checkpoint format, wrap it in a tracker.

        ``variant`` may be omitted for files in our own format, which record it.
        """
        from .checkpoints import load_model
        return cls(load_model(path, variant), device=device)

    @torch.no_grad()
    def init(self, image, box):
        """Start tracking the object in ``box`` = (x, y, w, h) on the RGB uint8 ``image``."""
        image = as_rgb_uint8(image)
        box = check_box(box)
        cfg = self.config
        patch, resize_factor = sample_target(image, box, cfg.template_factor, cfg.template_size)
        anno = template_annotation(box, resize_factor, cfg.template_size)
        template = self.normalize(patch)
        self._template_tokens = self.model.embed_template(template, torch.from_numpy(anno).to(self.device))
        self.state = [float(v) for v in box]
        self.confidence = 1.0
        return box.copy()

    @torch.no_grad()
    def update(self, image):
        """Locate the object on the next frame; returns float64 (x, y, w, h)."""
        if self._template_tokens is None:
            raise TrackerInputError("update() called before init(): initialise the tracker on the first frame")
        image = as_rgb_uint8(image)
        cfg = self.config
        patch, resize_factor = sample_target(image, self.state, cfg.search_factor, cfg.search_size)
        output = self.model.forward_search(self._template_tokens, self.normalize(patch))
        # Scale back in float32 before leaving torch, as the official tracker does.
        box_in_crop = (output["boxes"][0] * cfg.search_size / resize_factor).tolist()
        box = map_box_back(self.state, box_in_crop, resize_factor, cfg.search_size)
        self.state = clip_box(box, image.shape[0], image.shape[1])
        self.confidence = float(output["confidence"][0])
        return np.array(self.state, dtype=np.float64)
