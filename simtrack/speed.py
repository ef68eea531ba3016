"""The tracker's speed options as one record, from the command line to the worker, the VOT server,
the manifest and the provenance records.

Importing this module needs no torch: commands and the runner hold and compare the options without
loading it. Only ``checked`` (against a device) asks torch which compile backends exist, and only
when a backend is named.
"""
import importlib.util
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from typing import Any, Union

from .errors import ConfigError

PRECISIONS = ("fp32", "bf16", "fp16", "int8")
CROPS = ("auto", "cv2", "torch")
# The network engines: torch runs the model itself; the others run its ONNX export (simtrack.engines).
ENGINES = ("torch", "onnxruntime", "onnxruntime-tensorrt", "openvino", "tensorrt")
# The precisions each engine offers (fp32 everywhere: the default, and the engines' exact-path twin).
ENGINE_PRECISIONS = {
    "torch": ("fp32", "bf16", "fp16"),
    "onnxruntime": ("fp32", "int8"),
    "onnxruntime-tensorrt": ("fp32", "fp16"),
    "openvino": ("fp32", "bf16", "fp16"),
    "tensorrt": ("fp32", "fp16"),
}
# What training offers: torch's autocast precisions (int8 is an exported model's, never a training one).
TORCH_PRECISIONS = ENGINE_PRECISIONS["torch"]
# The Python module each engine imports, and the extra of setup.cfg that installs it.
ENGINE_PACKAGES = {
    "torch": ("torch", "torch"),
    "onnxruntime": ("onnxruntime", "onnxruntime"),
    "onnxruntime-tensorrt": ("onnxruntime", "onnxruntime-gpu"),
    "openvino": ("openvino", "openvino"),
    "tensorrt": ("tensorrt", "tensorrt"),
}
# The distributions that may provide a module, first found first (ONNX Runtime's GPU build is another one).
_DISTRIBUTIONS = {"onnxruntime": ("onnxruntime", "onnxruntime-gpu", "onnxruntime-openvino"),
                  "openvino": ("openvino",), "tensorrt": ("tensorrt", "tensorrt-cu13", "tensorrt-cu12")}
# Options added after results carried provenance records: recorded only when they differ from their
# default, so that results written before them keep their identity (a resume still finds them ours).
_RECORDED_WHEN_SET = {"engine": "torch"}


def install_hint(engine: str) -> str:
    """The pip command that installs what ``engine`` needs."""
    module, extra = ENGINE_PACKAGES[engine]
    if engine == "torch":
        return "pip install torch (see README: the torch-free install runs exported models only)"
    if engine == "onnxruntime-tensorrt":
        return "pip install onnxruntime-gpu (a build with the TensorRT provider, and TensorRT itself)"
    return f"pip install 'simtrack[{extra}]' (or pip install {module})"


def package_version(module: str) -> Union[str, None]:
    """The installed version of the distribution providing ``module`` (None when absent), read from its
    metadata: nothing is imported."""
    from importlib.metadata import PackageNotFoundError, version
    for name in _DISTRIBUTIONS.get(module, (module,)):
        try:
            return version(name)
        except PackageNotFoundError:
            continue
    return None


def engine_installed(engine: str) -> bool:
    """Whether the package ``engine`` needs can be imported (found, not imported: no start-up cost)."""
    try:
        return importlib.util.find_spec(ENGINE_PACKAGES[engine][0]) is not None
    except (ImportError, ValueError):   # a module blocked or half-installed counts as absent
        return False


@dataclass(frozen=True)
class SpeedOptions:
    """Opt-in speed options shared by ``Tracker`` and ``BatchTracker``; all off is the exact path.

    Attributes:
        fast: on a GPU, the crop computed on the GPU from a frame uploaded once (same pixels). On
            the CPU ``fast`` changes nothing (``compile`` is the CPU's fp32 speed option).
        precision: ``"fp32"`` (default), ``"bf16"`` or ``"fp16"``: autocast for the network (torch),
            the inference precision of OpenVINO or TensorRT; ``"int8"``: ONNX Runtime's dynamic
            quantisation of the per-frame step. Reduced precisions move boxes (docs/deploy.md).
        compile: ``torch.compile`` the per-frame forward: ``True`` for torch's default backend
            (inductor; slow first frames, see docs/speed.md) or the name of another backend.
        cuda_graphs: replay the fixed-shape per-frame forward from CUDA graphs (CUDA only).
        crop: ``"auto"`` (GPU crop when ``fast`` on CUDA, else OpenCV), ``"cv2"`` or ``"torch"``;
            both give the same pixels.
        engine: what runs the network: ``"torch"`` (default, the exact path), or the model's ONNX
            export on ``"onnxruntime"`` (CPU or CUDA provider by device), ``"onnxruntime-tensorrt"``
            (ONNX Runtime's TensorRT provider), ``"openvino"`` (CPU) or ``"tensorrt"`` (CUDA). The
            crop and the post-processing are the same for every engine (docs/deploy.md).
    """

    fast: bool = False
    precision: str = "fp32"
    compile: Union[bool, str] = False
    cuda_graphs: bool = False
    crop: str = "auto"
    engine: str = "torch"

    def __post_init__(self) -> None:
        if self.precision not in PRECISIONS:
            raise ConfigError(f"precision {self.precision!r} is not one of {', '.join(PRECISIONS)}")
        if self.crop not in CROPS:
            raise ConfigError(f"crop {self.crop!r} is not one of {', '.join(CROPS)}")
        if self.engine not in ENGINES:
            raise ConfigError(f"engine {self.engine!r} is not one of {', '.join(ENGINES)}")
        if self.precision not in ENGINE_PRECISIONS[self.engine]:
            offered = [engine for engine, precisions in ENGINE_PRECISIONS.items() if self.precision in precisions]
            raise ConfigError(f"precision {self.precision} is not offered by engine {self.engine} (it offers "
                              f"{', '.join(ENGINE_PRECISIONS[self.engine])}); {self.precision} runs on "
                              f"engine {' or '.join(offered)}")
        if self.engine != "torch":
            torch_only = [name for name, on in (("fast", self.fast), ("compile", self.compile),
                                                 ("cuda_graphs", self.cuda_graphs),
                                                 ("crop='torch'", self.crop == "torch")) if on]
            if torch_only:
                raise ConfigError(f"{', '.join(torch_only)}: torch option(s), not for engine {self.engine}, which "
                                  f"crops on the host with OpenCV and runs its own optimised graph; drop them")

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
        """The options as ``Tracker`` keyword arguments."""
        return asdict(self)

    def record(self) -> dict:
        """The options as the manifest and the provenance records hold them: ``engine`` only when it is
        not torch, so that the records of runs made before engines existed keep their identity."""
        values = asdict(self)
        for name, default in _RECORDED_WHEN_SET.items():
            if values[name] == default:
                del values[name]
        return values

    def checked(self, device) -> "SpeedOptions":
        """Return self after refusing what ``device`` (a ``torch.device``, or anything with its ``type``)
        cannot run, or an engine whose package is not installed."""
        if self.cuda_graphs and device.type != "cuda":
            raise ConfigError(f"cuda_graphs needs a CUDA device, the tracker runs on {device}; "
                              f"drop cuda_graphs or pass device='cuda'")
        if self.engine in ("tensorrt", "onnxruntime-tensorrt") and device.type != "cuda":
            raise ConfigError(f"engine {self.engine} needs a CUDA GPU and the tracker runs on {device}; use "
                              f"--engine onnxruntime or openvino on a CPU (TensorRT builds engines for NVIDIA GPUs only)")
        if self.engine == "openvino" and device.type != "cpu":
            raise ConfigError(f"engine openvino runs on the CPU here, not on {device}; pass --device cpu, or use "
                              f"--engine onnxruntime or tensorrt on an NVIDIA GPU")
        if self.engine == "onnxruntime" and self.precision == "int8" and device.type != "cpu":
            raise ConfigError(f"precision int8 (dynamic quantisation) runs on the CPU provider, not on {device}; "
                              f"pass --device cpu, or --engine tensorrt --precision fp16 on a GPU")
        if self.engine != "torch" and not engine_installed(self.engine):
            raise ConfigError(f"engine {self.engine} is not installed in this environment: {install_hint(self.engine)}")
        if self.engine.startswith("onnxruntime") and device.type == "cuda":
            import onnxruntime
            wanted = "TensorrtExecutionProvider" if self.engine == "onnxruntime-tensorrt" else "CUDAExecutionProvider"
            if wanted not in onnxruntime.get_available_providers():
                raise ConfigError(f"engine {self.engine} on {device} needs ONNX Runtime's {wanted}, which this "
                                  f"onnxruntime ({onnxruntime.__version__}) lacks: pip install onnxruntime-gpu "
                                  f"(in place of onnxruntime), or pass --device cpu")
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
