"""How a tracker runs the network: crop method, precision, compilation, CUDA graphs.

With every option off (the default) the tracker computes exactly what the official tracker
computes. Each option trades at most a little float round-off for speed; docs/speed.md gives the
measured effect of each on boxes and time.
"""
import contextlib
import copy
from dataclasses import dataclass, fields
from typing import Union

import numpy as np
import torch
from torch import nn

from .crop import Normalizer, sample_target, sample_target_torch
from .errors import ConfigError
from .cli.options import CROPS, PRECISIONS

PRECISION_DTYPES = {"fp32": None, "bf16": torch.bfloat16, "fp16": torch.float16}


@dataclass(frozen=True)
class SpeedOptions:
    """Opt-in speed options shared by ``Tracker`` and ``BatchTracker``.

    Attributes:
        fast: on a GPU, the crop computed on the GPU from a frame uploaded once (same pixels). On
            the CPU ``fast`` changes nothing (``compile`` is the CPU's fp32 speed option).
        precision: ``"fp32"`` (default), ``"bf16"`` or ``"fp16"``: autocast for the network.
        compile: ``torch.compile`` the per-frame forward: ``True`` for torch's default backend
            (inductor; slow first frames, see docs/speed.md) or the name of another backend.
        cuda_graphs: replay the fixed-shape per-frame forward from CUDA graphs (CUDA only).
        crop: ``"auto"`` (GPU crop when ``fast`` on CUDA, else OpenCV), ``"cv2"`` or ``"torch"``;
            both give the same pixels.
    """

    fast: bool = False
    precision: str = "fp32"
    compile: Union[bool, str] = False
    cuda_graphs: bool = False
    crop: str = "auto"

    @classmethod
    def from_keywords(cls, options):
        """The options named in the dict ``options``; an unknown name is a ConfigError listing the known."""
        known = [item.name for item in fields(cls)]
        unknown = sorted(set(options) - set(known))
        if unknown:
            raise ConfigError(f"unknown tracker option(s) {', '.join(unknown)}; the speed options are "
                              f"{', '.join(known)}")
        return cls(**options)

    def checked(self, device):
        """Return self after refusing combinations the device cannot run."""
        if self.precision not in PRECISIONS:
            raise ConfigError(f"precision {self.precision!r} is not one of {', '.join(PRECISIONS)}")
        if self.crop not in CROPS:
            raise ConfigError(f"crop {self.crop!r} is not one of {', '.join(CROPS)}")
        if self.cuda_graphs and device.type != "cuda":
            raise ConfigError(f"cuda_graphs needs a CUDA device, the tracker runs on {device}; "
                              f"drop cuda_graphs or pass device='cuda'")
        if isinstance(self.compile, str):
            backends = torch.compiler.list_backends(exclude_tags=())
            if self.compile not in backends:
                raise ConfigError(f"compile backend {self.compile!r} is not one of torch's: {', '.join(backends)}")
            if self.cuda_graphs and self.compile != "inductor":
                raise ConfigError("cuda_graphs with compile uses inductor's 'reduce-overhead' mode; "
                                  f"pass compile=True instead of {self.compile!r}")
        return self

    @property
    def compile_backend(self):
        """The ``torch.compile`` backend name, or None when compilation is off."""
        if not self.compile:
            return None
        return "inductor" if self.compile is True else self.compile

    def crop_method(self, device):
        if self.crop == "auto":
            return "torch" if self.fast and device.type == "cuda" else "cv2"
        return self.crop


class Preprocessor:
    """Frame + box -> normalised crop tensor (1, 3, S, S) on the model's device, and the resize factor.

    ``"cv2"`` crops on the host and uploads the small patch; ``"torch"`` uploads the frame and
    crops where the model is. Both give the official pixels and the official normalisation.
    """

    def __init__(self, device, method="cv2"):
        if method not in ("cv2", "torch"):
            raise ConfigError(f"crop method {method!r} is not 'cv2' or 'torch'")
        self.device, self.method = device, method
        self.normalize = Normalizer(device)

    def __call__(self, image, box, factor, size):
        if self.method == "cv2":
            patch, resize_factor = sample_target(image, box, factor, size)
        else:
            frame = torch.from_numpy(image if image.flags.writeable else np.array(image)).to(self.device)
            patch, resize_factor = sample_target_torch(frame, box, factor, size)
        return self.normalize(patch), resize_factor


class CudaGraphSearch:
    """``forward_search`` replayed from a CUDA graph captured once per input shape.

    Inputs are copied into the graph's static buffers before each replay and outputs cloned out
    of it, so callers see an ordinary function. Each batch size gets its own graph (memory).
    """

    WARMUP_CALLS = 3

    def __init__(self, forward):
        self.forward = forward
        self.graphs = {}

    def __call__(self, template_tokens, search):
        key = (tuple(template_tokens.shape), template_tokens.dtype, tuple(search.shape), search.dtype)
        if key not in self.graphs:
            self.graphs[key] = self._capture(template_tokens, search)
        static_tokens, static_search, graph, outputs = self.graphs[key]
        static_tokens.copy_(template_tokens)
        static_search.copy_(search)
        graph.replay()
        return {name: value.clone() for name, value in outputs.items()}

    def _capture(self, template_tokens, search):
        static_tokens, static_search = template_tokens.clone(), search.clone()
        side = torch.cuda.Stream()
        side.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(side):   # warm-up: library handles and workspaces exist before capture
            for _ in range(self.WARMUP_CALLS):
                self.forward(static_tokens, static_search)
        torch.cuda.current_stream().wait_stream(side)
        graph = torch.cuda.CUDAGraph()
        with torch.cuda.graph(graph):
            outputs = self.forward(static_tokens, static_search)
        return static_tokens, static_search, graph, outputs


def low_precision_copy(model, dtype):
    """A copy of ``model`` whose linear and convolution weights are stored in ``dtype``.

    Under autocast these layers run in ``dtype`` anyway; storing them so saves autocast from
    re-casting every weight on every frame (on the CPU that is a third of a bf16 ViT-B frame).
    Autocast rounds exactly as ``Tensor.to`` does, so the outputs are bit-identical.
    """
    twin = copy.deepcopy(model)
    for module in twin.modules():
        if isinstance(module, (nn.Linear, nn.Conv2d)):
            module.to(dtype)
    return twin


class ModelRunner:
    """Calls ``embed_template`` / ``forward_search`` in the precision chosen, compiled or graphed.

    Trackers may share one model. Reduced precision runs on a private ``low_precision_copy`` of
    the model, taken here: later changes to the model's weights do not reach it.
    """

    def __init__(self, model, device, options):
        self.device = device
        self.dtype = PRECISION_DTYPES[options.precision]
        self.model = model if self.dtype is None else low_precision_copy(model, self.dtype)
        # Autocast's weight-cast cache must be off while a CUDA graph is captured.
        self._cache_casts = not options.cuda_graphs
        search = self.model.forward_search
        if options.compile_backend:
            search = torch.compile(search, backend=options.compile_backend,
                                   mode="reduce-overhead" if options.cuda_graphs else None)
        elif options.cuda_graphs:
            search = CudaGraphSearch(search)
        self._search = search

    def autocast(self):
        if self.dtype is None:
            return contextlib.nullcontext()
        return torch.autocast(self.device.type, dtype=self.dtype, cache_enabled=self._cache_casts)

    def embed_template(self, template, template_anno):
        with self.autocast():
            return self.model.embed_template(template, template_anno)

    def forward_search(self, template_tokens, search):
        """``{"boxes": (B, 4) float32 cx, cy, w, h normalised to the crop, "confidence": (B,)}``."""
        with self.autocast():
            return self._search(template_tokens, search)
