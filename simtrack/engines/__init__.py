"""Network engines besides torch: ONNX Runtime, OpenVINO and TensorRT, running the model's ONNX export.

An engine runs only the network. The crop (``simtrack.crop``) and the post-processing
(``simtrack.tracker``) are the same code for every engine, in numpy, so that every engine gets the
same crops and turns its outputs into boxes the same way; in fp32 the boxes agree with torch's to
round-off (docs/deploy.md gives the measured differences). Nothing here imports torch unless a
weights file has to be exported first: with an exported ``.onnx`` file the tracker runs where only
numpy, OpenCV and the engine are installed.

    tracker = simtrack.Tracker.from_checkpoint("sim-b16.onnx")                    # onnxruntime, else openvino
    tracker = simtrack.Tracker.from_checkpoint("sim-b16.safetensors", engine="openvino")  # exported once, cached
"""
from pathlib import Path

from ..crop import crop_normalised
from ..devices import EngineDevice, check_present, cuda_count, is_uuid, parse_device
from ..errors import ConfigError
from ..speed import engine_installed
from .exported import ExportedModel, read_exported

EXPORTED_SUFFIXES = (".onnx",)
# Measured per b16 frame on a CPU against torch fp32 (docs/deploy.md), for the run header's hint.
CPU_SPEEDUPS = {"openvino": "1.2-1.4x", "onnxruntime": "1.1-1.3x"}

__all__ = ["ExportedModel", "HostPreprocessor", "default_engine", "describe", "faster_engine_note", "is_exported",
           "load_exported", "model_config", "open_runner", "read_exported", "resolve_engine_device"]


def is_exported(path) -> bool:
    """Whether ``path`` names an exported model (by its suffix: ``.onnx``)."""
    return Path(str(path)).suffix.lower() in EXPORTED_SUFFIXES


def default_engine(path) -> str:
    """The engine a checkpoint runs on when none is named: torch for weights files; for an exported
    ``.onnx`` file, ONNX Runtime when installed, else OpenVINO (else ONNX Runtime, refused with its
    install line)."""
    if path is None or not is_exported(path):
        return "torch"
    return next((engine for engine in ("onnxruntime", "openvino") if engine_installed(engine)), "onnxruntime")


def resolve_engine_device(device, engine) -> EngineDevice:
    """The device ``engine`` runs on, without torch; ``auto`` is a GPU for the engines that use one
    (ONNX Runtime when its CUDA provider is installed, TensorRT) and the CPU otherwise."""
    if isinstance(device, EngineDevice):
        return device
    if hasattr(device, "type") and not isinstance(device, str):     # a torch.device
        return EngineDevice(device.type, device.index if device.type == "cuda" else None)
    name = check_present(parse_device(device, "device"), "device")
    if name == "auto":
        wants_gpu = engine in ("tensorrt", "onnxruntime-tensorrt") or (engine == "onnxruntime" and _ort_has_cuda())
        return EngineDevice("cuda", 0) if wants_gpu and cuda_count() else EngineDevice("cpu")
    if name == "cpu":
        return EngineDevice("cpu")
    if is_uuid(name):
        raise ConfigError(f"device {name}: engines other than torch take cuda or cuda:N; start the process with "
                          f"CUDA_VISIBLE_DEVICES={name} and pass cuda:0")
    return EngineDevice("cuda", int(name.split(":")[1]) if ":" in name else 0)


def _ort_has_cuda():
    if not engine_installed("onnxruntime"):
        return False
    import onnxruntime
    return "CUDAExecutionProvider" in onnxruntime.get_available_providers()


class HostPreprocessor:
    """Frame + box -> normalised float32 crop (1, 3, S, S) on the host, and the resize factor."""

    method = "cv2"

    def __call__(self, image, box, factor, size):
        return crop_normalised(image, box, factor, size)


def load_exported(path, variant=None, speed=None) -> ExportedModel:
    """The exported model to run for checkpoint ``path`` with the speed options ``speed``: the ``.onnx``
    file itself, or the cached export of a weights file (made now when missing); for int8, the
    cached quantised model of either."""
    from ..speed import SpeedOptions
    speed = speed or SpeedOptions(engine=default_engine(path))
    if speed.engine == "torch":
        raise ConfigError(f"{path}: engine torch runs weights files; an exported model runs on --engine "
                          f"onnxruntime, openvino or tensorrt")
    if is_exported(path):
        exported = read_exported(path, variant)
    else:
        from .cache import exported_checkpoint
        exported = exported_checkpoint(path, variant)
    return _in_precision(exported, speed)


def _in_precision(exported, speed):
    if exported.precision == "int8" and speed.precision != "int8":
        raise ConfigError(f"{exported.path} holds an int8 model (simtrack.export --precision int8); run it with "
                          f"--engine onnxruntime --precision int8 (int8 is never a default: its boxes drift)")
    if speed.precision == "int8" and exported.precision != "int8":
        from .cache import quantised
        return quantised(exported)
    return exported


def open_runner(model, device, options):
    """The runner of ``options.engine`` for ``model``: an ``ExportedModel``, or a SimTrack in memory,
    which is exported first (cached by the hash of its weights)."""
    from .runners import RUNNERS
    if not isinstance(model, ExportedModel):
        if not (hasattr(model, "config") and hasattr(model, "forward_search")):
            raise ConfigError(f"model must be a SimTrack model or an exported model (simtrack.engines.load_exported), "
                              f"got {type(model).__name__}")
        from .cache import exported_model
        model = exported_model(model)
    model = _in_precision(model, options)
    return RUNNERS[options.engine](model, device, options)


def describe(options, device):
    """The manifest's record of the engine that ``options`` run on ``device`` (no runtime started)."""
    from .runners import describe as record
    return record(options, resolve_engine_device(device, options.engine))


def model_config(checkpoint, variant, speed) -> dict:
    """The ``ModelConfig.to_dict()`` of what a run will track with (checked before workers start): the
    exported file's, or, for a weights file on another engine, its export's (made now into the cache,
    so that the workers find it there)."""
    return load_exported(checkpoint, variant, speed).config.to_dict()


def faster_engine_note(engine, devices) -> str:
    """For a run header: the faster CPU engine installed, when the run uses torch on the CPU only."""
    if engine != "torch" or any(str(device) != "cpu" for device in devices):
        return ""
    for name in ("openvino", "onnxruntime"):
        if engine_installed(name):
            return (f"note: {name} is installed; --engine {name} ran b16 {CPU_SPEEDUPS[name]} faster than torch "
                    f"on a CPU, with boxes equal within 1e-3 px per frame (torch stays the exact path; "
                    f"docs/deploy.md)")
    return ""

