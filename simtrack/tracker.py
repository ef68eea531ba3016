"""The SimTrack tracker: ``init(image, box)`` on the first frame, ``update(image) -> box`` after.

Pre- and post-processing follow the official tracker exactly (see docs/model.md): crops from
``simtrack.crop``, the truncated template annotation, the float32 scale-back, the un-rounded
map-back and the 10-pixel clip margin. Boxes are ``x, y, w, h`` float64 in frame pixels.
Opt-in speed options (GPU crop, bf16/fp16, torch.compile, CUDA graphs) live in
``simtrack.inference``; several targets in one batch in ``simtrack.batch``; other engines than torch
(ONNX Runtime, OpenVINO, TensorRT: ``engine=``) in ``simtrack.engines``. Every engine runs only the
network: the crop and the post-processing here are the same for all of them.

Importing this module needs no torch: with an exported model and another engine the tracker runs
where only numpy, OpenCV and that engine are installed.
"""
import functools
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional, Union

import numpy as np

from .devices import resolve_device
from .errors import ConfigError, TrackerInputError
from .formats.images import as_rgb_uint8
from .speed import SpeedOptions

if TYPE_CHECKING:
    import torch

CLIP_MARGIN = 10
BoxLike = Union[Sequence[float], np.ndarray]        # x, y, w, h
DeviceLike = Union[str, "torch.device", Any]        # a name, a torch.device, or an engine's device


def check_box(box: BoxLike) -> np.ndarray:
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


def check_model(model: object) -> None:
    """Refuse anything but a SimTrack model (a path or a state_dict passed by mistake)."""
    import torch
    if not (isinstance(model, torch.nn.Module) and hasattr(model, "config") and hasattr(model, "forward_search")):
        hint = " (a checkpoint path: use Tracker.from_checkpoint)" if isinstance(model, (str, bytes, Path)) else ""
        raise ConfigError(f"model must be a SimTrack model from simtrack.build_model or load_model, got "
                          f"{type(model).__name__}{hint}")


def template_annotation(box: np.ndarray, resize_factor: float, template_size: int) -> np.ndarray:
    """The target box inside the template crop, normalised: truncated corner, exact size."""
    w, h = box[2] * resize_factor, box[3] * resize_factor
    half = template_size / 2
    return np.array([int(half - w / 2), int(half - h / 2), w, h], dtype=np.float64) / template_size


def clip_box(box: Sequence[float], height: int, width: int, margin: int = CLIP_MARGIN) -> list[float]:
    """Keep at least ``margin`` pixels of the box inside the frame (official ``clip_box``)."""
    x1, y1, w, h = box
    x2, y2 = x1 + w, y1 + h
    x1 = min(max(0, x1), width - margin)
    x2 = min(max(margin, x2), width)
    y1 = min(max(0, y1), height - margin)
    y2 = min(max(margin, y2), height)
    return [x1, y1, max(margin, x2 - x1), max(margin, y2 - y1)]


def map_box_back(state: Sequence[float], box_in_crop: Sequence[float], resize_factor: float,
                 search_size: int) -> list[float]:
    """Crop-relative (cx, cy, w, h) in frame pixels -> frame (x, y, w, h), around the previous state."""
    cx_prev, cy_prev = state[0] + 0.5 * state[2], state[1] + 0.5 * state[3]
    cx, cy, w, h = box_in_crop
    half_side = 0.5 * search_size / resize_factor
    cx_real = cx + (cx_prev - half_side)
    cy_real = cy + (cy_prev - half_side)
    return [cx_real - 0.5 * w, cy_real - 0.5 * h, w, h]


def locate(state: Sequence[float], box: Any, resize_factor: float, search_size: int,
           image_shape: tuple[int, ...]) -> list[float]:
    """The network's box (normalised cx, cy, w, h: a float32 tensor or numpy array) -> the next clipped state.

    The scale-back to pixels happens in float32, as the official tracker does before leaving torch:
    both scalars are rounded to float32 and each operation rounds once, in torch and in numpy alike
    (numpy >= 2 keeps a float32 array float32 against Python scalars), so every engine's box comes
    back through the same arithmetic.
    """
    box_in_crop = (box * search_size / resize_factor).tolist()
    box = map_box_back(state, box_in_crop, resize_factor, search_size)
    return clip_box(box, image_shape[0], image_shape[1])


def _network_mode(method):
    """Run a tracker step inside its runner's context (torch: inference mode; engines: none)."""
    @functools.wraps(method)
    def step(self, *args, **kwargs):
        with self.runner.mode():
            return method(self, *args, **kwargs)
    return step


class Tracker:
    """Single-object tracker over one SimTrack model.

    Args:
        model: a ``simtrack.model.SimTrack`` (weights already loaded); with another ``engine`` it may
            also be an exported model (``simtrack.engines.load_exported``).
        device: ``"auto"``, ``"cpu"``, ``"cuda"`` or ``"cuda:N"``; a device this machine does not
            have is a ConfigError listing the ones it has.
        fast, precision, compile, cuda_graphs, crop, engine: opt-in speed options, see
            ``simtrack.speed.SpeedOptions``. All off: the exact official computation.
    """

    def __init__(self, model: Any, device: DeviceLike = "auto", *, fast: bool = False,
                 precision: str = "fp32", compile: Union[bool, str] = False, cuda_graphs: bool = False,
                 crop: str = "auto", engine: str = "torch") -> None:
        options = SpeedOptions(fast=fast, precision=precision, compile=compile, cuda_graphs=cuda_graphs,
                               crop=crop, engine=engine)
        if options.engine == "torch":
            from .inference import ModelRunner, Preprocessor
            check_model(model)
            self.device = resolve_device(device)
            self.model = model.to(self.device).eval()
            self.options = options.checked(self.device)
            self.preprocess: Any = Preprocessor(self.device, self.options.crop_method(self.device))
            self.runner: Any = ModelRunner(self.model, self.device, self.options)
        else:
            from .engines import HostPreprocessor, open_runner, resolve_engine_device
            self.device = resolve_engine_device(device, options.engine)
            self.options = options.checked(self.device)
            self.model = model
            self.preprocess = HostPreprocessor()
            self.runner = open_runner(model, self.device, self.options)
        self.config = self.runner.config if options.engine != "torch" else model.config
        self.state: Optional[list[float]] = None            # the target's box on the last frame
        self.confidence: Optional[float] = None
        self.template_tokens: Any = None

    @classmethod
    def from_checkpoint(cls, path: Union[str, Path], variant: Optional[str] = None, device: DeviceLike = "auto",
                        **options: Any) -> "Tracker":
        """Build the model, load any supported checkpoint format, wrap it in a tracker.

        ``variant`` may be omitted for files in our own format and exported ``.onnx`` models, which
        record it. ``options`` are the speed options of ``Tracker``; they and the device are checked
        before the file is read. Without ``engine``, an ``.onnx`` file runs on ONNX Runtime (else
        OpenVINO) and any other file on torch; a weights file with another engine is exported once
        into the cache (``simtrack.engines.cache``).
        """
        model, device, options = load_for_options(path, variant, device, options)
        return cls(model, device=device, **options)

    @_network_mode
    def embed_target(self, image: np.ndarray, box: np.ndarray) -> Any:
        """Template tokens for the target ``box`` (float64 array) on an RGB uint8 ``image``."""
        cfg = self.config
        template, resize_factor = self.preprocess(image, box, cfg.template_factor, cfg.template_size)
        anno = template_annotation(box, resize_factor, cfg.template_size)
        return self.runner.embed_template(template, anno)

    def crop_search(self, image: np.ndarray, state: Sequence[float]) -> tuple[Any, float]:
        """Normalised search crop around ``state`` and its resize factor."""
        cfg = self.config
        return self.preprocess(image, state, cfg.search_factor, cfg.search_size)

    @_network_mode
    def init(self, image: np.ndarray, box: BoxLike) -> np.ndarray:
        """Start tracking the object in ``box`` = (x, y, w, h) on the RGB uint8 ``image``."""
        image = as_rgb_uint8(image)
        box = check_box(box)
        self.template_tokens = self.embed_target(image, box)
        self.state = [float(v) for v in box]
        self.confidence = 1.0
        return box.copy()

    @_network_mode
    def update(self, image: np.ndarray) -> np.ndarray:
        """Locate the object on the next frame; returns float64 (x, y, w, h)."""
        if self.template_tokens is None or self.state is None:
            raise TrackerInputError("update() called before init(): initialise the tracker on the first frame")
        image = as_rgb_uint8(image)
        search, resize_factor = self.crop_search(image, self.state)
        output = self.runner.forward_search(self.template_tokens, search)
        self.state = locate(self.state, output["boxes"][0], resize_factor, self.config.search_size, image.shape)
        self.confidence = float(output["confidence"][0])
        return np.array(self.state, dtype=np.float64)


def load_for_options(path: Union[str, Path], variant: Optional[str], device: DeviceLike,
                     options: dict) -> tuple[Any, Any, dict]:
    """``(model, device, options)`` for ``from_checkpoint``: the device and options checked, then the file
    read: a torch model for the torch engine, an exported model for the others. ``options`` without
    an ``engine`` get the file's default engine (``simtrack.engines.default_engine``)."""
    from .engines import default_engine, is_exported, load_exported, resolve_engine_device
    options = dict(options)
    options.setdefault("engine", default_engine(path))
    speed = SpeedOptions.from_keywords(options)
    if speed.engine == "torch":
        if is_exported(path):
            raise ConfigError(f"{path} is an exported model (ONNX): it runs on --engine onnxruntime, openvino or "
                              f"tensorrt, not on torch; give the weights file for torch")
        from .checkpoints import load_model
        device = resolve_device(device)
        speed.checked(device)
        return load_model(path, variant), device, options
    device = resolve_engine_device(device, speed.engine)
    speed.checked(device)
    return load_exported(path, variant, speed), device, options
