"""The tracker's speed options as one record, from the command line to the worker, the VOT server,
the manifest and the provenance records.

Importing this module needs no torch: commands and the runner hold and compare the options without
loading it. Only ``checked`` (against a device) asks torch which compile backends exist.
"""
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from typing import Any, Union

from .errors import ConfigError

PRECISIONS = ("fp32", "bf16", "fp16")
CROPS = ("auto", "cv2", "torch")


@dataclass(frozen=True)
class SpeedOptions:
    """Opt-in speed options shared by ``Tracker`` and ``BatchTracker``; all off is the exact path.

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

    def __post_init__(self) -> None:
        if self.precision not in PRECISIONS:
            raise ConfigError(f"precision {self.precision!r} is not one of {', '.join(PRECISIONS)}")
        if self.crop not in CROPS:
            raise ConfigError(f"crop {self.crop!r} is not one of {', '.join(CROPS)}")

    @classmethod
    def from_keywords(cls, options: Mapping[str, Any]) -> "SpeedOptions":
        """The options named in ``options``; an unknown name is a ConfigError listing the known."""
        known = [item.name for item in fields(cls)]
        unknown = sorted(set(options) - set(known))
        if unknown:
            raise ConfigError(f"unknown tracker option(s) {', '.join(unknown)}; the speed options are "
                              f"{', '.join(known)}")
        return cls(**options)

    def as_dict(self) -> dict:
        """The options as ``Tracker`` keyword arguments (and as the manifest records them)."""
        return asdict(self)

    def checked(self, device) -> "SpeedOptions":
        """Return self after refusing combinations ``device`` (a ``torch.device``) cannot run."""
        if self.cuda_graphs and device.type != "cuda":
            raise ConfigError(f"cuda_graphs needs a CUDA device, the tracker runs on {device}; "
                              f"drop cuda_graphs or pass device='cuda'")
        if isinstance(self.compile, str):
            import torch
            backends = torch.compiler.list_backends(exclude_tags=())
            if self.compile not in backends:
                raise ConfigError(f"compile backend {self.compile!r} is not one of torch's: {', '.join(backends)}")
            if self.cuda_graphs and self.compile != "inductor":
                raise ConfigError("cuda_graphs with compile uses inductor's 'reduce-overhead' mode; "
                                  f"pass compile=True instead of {self.compile!r}")
        return self

    @property
    def compile_backend(self) -> Union[str, None]:
        """The ``torch.compile`` backend name, or None when compilation is off."""
        if not self.compile:
            return None
        return "inductor" if self.compile is True else self.compile

    def crop_method(self, device) -> str:
        """``"cv2"`` or ``"torch"``: where search crops are cut on ``device``."""
        if self.crop == "auto":
            return "torch" if self.fast and device.type == "cuda" else "cv2"
        return self.crop
