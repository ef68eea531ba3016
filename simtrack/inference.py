"""How a tracker runs the network on torch: crop method, precision, compilation, CUDA graphs.

With every option off (the default) the tracker computes exactly what the official tracker
computes. Each option trades at most a little float round-off for speed; docs/speed.md gives the
measured effect of each on boxes and time. The other engines (ONNX Runtime, OpenVINO, TensorRT)
have runners of the same shape in ``simtrack.engines``.
"""
import contextlib
import copy

import numpy as np
import torch
from torch import nn

from .crop import Normalizer, sample_target, sample_target_torch
from .errors import ConfigError
from .speed import SpeedOptions

PRECISION_DTYPES = {"fp32": None, "bf16": torch.bfloat16, "fp16": torch.float16}


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

    def __init__(self, model: nn.Module, device: torch.device, options: SpeedOptions):
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

    @staticmethod
    def mode():
        """The context the tracker's steps run in: no autograd bookkeeping."""
        return torch.inference_mode()

    @staticmethod
    def concat(crops):
        """Search crops of several targets as one batch."""
        return torch.cat(crops)

    @staticmethod
    def allocate_tokens(capacity, tokens):
        """Zeroed template tokens for ``capacity`` targets, shaped and typed like ``tokens`` (1, N, C)."""
        return tokens.new_zeros((capacity,) + tuple(tokens.shape[1:]))

    @staticmethod
    def to_host(values):
        return values.cpu()

    def autocast(self):
        if self.dtype is None:
            return contextlib.nullcontext()
        return torch.autocast(self.device.type, dtype=self.dtype, cache_enabled=self._cache_casts)

    def embed_template(self, template, template_anno):
        """Template tokens (1, N, C); ``template_anno`` may be the float64 numpy box of ``template_annotation``."""
        if isinstance(template_anno, np.ndarray):
            template_anno = torch.from_numpy(template_anno).to(self.device)
        with self.autocast():
            return self.model.embed_template(template, template_anno)

    def forward_search(self, template_tokens, search):
        """``{"boxes": (B, 4) float32 cx, cy, w, h normalised to the crop, "confidence": (B,)}``."""
        with self.autocast():
            return self._search(template_tokens, search)
