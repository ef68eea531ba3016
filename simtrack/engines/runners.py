"""The network runners of the engines other than torch: numpy arrays in, numpy arrays out.

Each has the shape of ``simtrack.inference.ModelRunner``, so that ``Tracker`` and ``BatchTracker``
run them unchanged: ``embed_template(template, anno)`` -> tokens, ``forward_search(tokens, search)``
-> ``{"boxes", "confidence"}``, plus the few array helpers batching needs. They import their
runtime when built, never torch (except TensorRT, which keeps its GPU buffers in torch tensors).
"""
import contextlib
import hashlib

import numpy as np

from ..cores import chosen_threads
from ..errors import CheckpointError, ConfigError
from ..speed import install_hint, package_version
from .exported import INPUTS, OUTPUTS, TEMPLATE_INPUTS, TEMPLATE_OUTPUTS
from .sessions import first_line, ort_session, template_where

# Largest batch a TensorRT engine is built for (BatchTracker capacity); ONNX Runtime and OpenVINO take any.
TENSORRT_MAX_BATCH = 64
OPENVINO_PRECISIONS = {"fp32": "f32", "bf16": "bf16", "fp16": "f16"}


class HostRunner:
    """What every engine shares: float32/float64 numpy inputs in the graphs' layout, batch handling."""

    name = "engine"

    def __init__(self, exported, device, options):
        self.exported, self.config, self.device, self.options = exported, exported.config, device, options
        self.precision = options.precision
        self.threads = chosen_threads()

    mode = staticmethod(contextlib.nullcontext)

    @staticmethod
    def concat(crops):
        return np.concatenate(crops)

    @staticmethod
    def allocate_tokens(capacity, tokens):
        return np.zeros((capacity,) + tuple(tokens.shape[1:]), dtype=tokens.dtype)

    @staticmethod
    def to_host(values):
        return values

    def check_graphs(self, search, template):
        """Refuse graphs other than the ones ``simtrack.export`` writes for this file's variant (a file's
        metadata can claim anything): names of every input and output, and the per-frame step's fixed
        sizes. ``search`` and ``template`` map each name to its shape (None or text: a dynamic size)."""
        cfg = self.config
        tokens = cfg.template_grid ** 2 + cfg.foveal_grid ** 2
        expected = {"template_tokens": (None, tokens, cfg.embed_dim), "search": (None, 3, cfg.search_size, cfg.search_size),
                    "boxes": (None, 4), "confidence": (None,)}
        for step, found, names in (("per-frame step", search, INPUTS + OUTPUTS),
                                   ("template step", template, TEMPLATE_INPUTS + TEMPLATE_OUTPUTS)):
            where = f"{self.exported.path} ({step})"
            if sorted(found) != sorted(names):
                raise CheckpointError(f"{where} has inputs and outputs {sorted(found)}, not {sorted(names)}: not a graph "
                                      f"written by python -m simtrack.export; export the model again")
            for name in names:
                want = expected.get(name)
                got = tuple(size if isinstance(size, int) else "B" for size in found[name])   # B: any size
                if want is not None and (len(got) != len(want) or any(
                        size != "B" and fixed is not None and size != fixed for size, fixed in zip(got, want))):
                    shown = tuple("B" if fixed is None else fixed for fixed in want)
                    raise CheckpointError(f"{where}: {name} has shape {got}, variant {self.exported.variant} has "
                                          f"{shown}; export the model again")

    def embed_template(self, template, template_anno):
        """Template tokens (1, N, C) float32 of a normalised template crop and its float64 box."""
        anno = np.ascontiguousarray(np.asarray(template_anno, dtype=np.float64).reshape(-1, 4))
        return self._template(np.ascontiguousarray(template, dtype=np.float32), anno)

    def forward_search(self, template_tokens, search):
        """``{"boxes": (B, 4) float32 cx, cy, w, h normalised to the crop, "confidence": (B,)}``; one
        token row per search crop (the exported graph's layout, which every caller passes)."""
        boxes, confidence = self._search(np.ascontiguousarray(template_tokens, dtype=np.float32),
                                         np.ascontiguousarray(search, dtype=np.float32))
        return {"boxes": boxes, "confidence": confidence}

    def describe(self):
        """What the manifest records about this engine."""
        return describe(self.options, self.device)


# ------------------------------------------------------------------------------------- ONNX Runtime

def ort_providers(engine, device, precision="fp32", cache=None):
    """ONNX Runtime's providers, in order of preference, for ``engine`` on ``device``."""
    if device.type != "cuda":
        return ["CPUExecutionProvider"]
    index = device.index or 0
    cuda = ("CUDAExecutionProvider", {"device_id": index})
    if engine != "onnxruntime-tensorrt":
        return [cuda, "CPUExecutionProvider"]
    options = {"device_id": index, "trt_fp16_enable": precision == "fp16", "trt_engine_cache_enable": True,
               "trt_timing_cache_enable": True}
    if cache is not None:
        options.update(trt_engine_cache_path=str(cache), trt_timing_cache_path=str(cache))
    return [("TensorrtExecutionProvider", options), cuda, "CPUExecutionProvider"]


def _provider_names(providers):
    return [item if isinstance(item, str) else item[0] for item in providers]


class OrtRunner(HostRunner):
    """ONNX Runtime: CPU, CUDA or TensorRT provider; fp32, or int8 (dynamic quantisation) on the CPU."""

    name = "onnxruntime"

    def __init__(self, exported, device, options):
        super().__init__(exported, device, options)
        import onnxruntime
        self.ort = onnxruntime
        cache = None
        if options.engine == "onnxruntime-tensorrt":
            from .cache import cache_root
            cache = cache_root() / "tensorrt" / "onnxruntime"
            cache.mkdir(parents=True, exist_ok=True)
        self.providers = ort_providers(options.engine, device, options.precision, cache)
        available = onnxruntime.get_available_providers()
        missing = [name for name in _provider_names(self.providers) if name not in available]
        if missing:
            raise ConfigError(f"this onnxruntime ({onnxruntime.__version__}) has no {', '.join(missing)} (it has "
                              f"{', '.join(available)}); {install_hint(options.engine) if device.type == 'cpu' else 'pip install onnxruntime-gpu (instead of onnxruntime)'}")
        self.session_options = self._session_options()
        self._search_session = ort_session(str(exported.path), exported.path, self.session_options, self.providers)
        # The template step (0.1 GFLOP, float64 box arithmetic) runs once per target, on the CPU.
        self._template_session = ort_session(exported.template_onnx(), template_where(exported), self.session_options)
        self.check_graphs(*({item.name: item.shape for item in session.get_inputs() + session.get_outputs()}
                            for session in (self._search_session, self._template_session)))

    def _session_options(self):
        options = self.ort.SessionOptions()
        options.log_severity_level = 3                                  # errors only
        options.graph_optimization_level = self.ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.execution_mode = self.ort.ExecutionMode.ORT_SEQUENTIAL
        if self.threads:
            options.intra_op_num_threads = self.threads
            options.inter_op_num_threads = 1
        # Spinning worker threads keep their cores busy between calls: on a machine shared with other
        # workers (or with the crop's OpenCV threads) that time is taken from them (docs/deploy.md).
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        return options

    def _template(self, template, anno):
        return self._template_session.run(["template_tokens"], {"template": template, "template_anno": anno})[0]

    def _search(self, tokens, search):
        boxes, confidence = self._search_session.run(list(OUTPUTS), dict(zip(INPUTS, (tokens, search))))
        return boxes, confidence


# ------------------------------------------------------------------------------------------ OpenVINO

class OpenVinoRunner(HostRunner):
    """OpenVINO on the CPU. Its CPU plugin computes in bf16 by default on CPUs with bf16 units; fp32
    is forced here unless bf16/fp16 is asked for."""

    name = "openvino"

    def __init__(self, exported, device, options):
        super().__init__(exported, device, options)
        import openvino
        self.core = openvino.Core()
        self._search_model = self._compile(str(exported.path), options.precision)
        self._search_request = self._search_model.create_infer_request()
        self._template_model = self._compile(exported.template_onnx(), "fp32")
        self.check_graphs(*({port.get_any_name(): _openvino_shape(port) for port in model.inputs + model.outputs}
                            for model in (self._search_model, self._template_model)))

    def plugin_config(self, precision):
        # No pinning: with it, every one-thread worker process pinned its thread to the same core, and
        # two runner workers on two cores ran at half speed (demo benchmark 150 -> 273 frames/s).
        config = {"PERFORMANCE_HINT": "LATENCY", "INFERENCE_PRECISION_HINT": OPENVINO_PRECISIONS[precision],
                  "ENABLE_CPU_PINNING": False}
        if self.threads:
            config["INFERENCE_NUM_THREADS"] = int(self.threads)
        return config

    def _compile(self, model, precision):
        try:
            return self.core.compile_model(self.core.read_model(model), "CPU", self.plugin_config(precision))
        except Exception as error:   # OpenVINO raises RuntimeError with multi-line reports
            where = self.exported.path if isinstance(model, str) else template_where(self.exported)
            raise CheckpointError(f"openvino cannot load {where}: {first_line(error)}") from None

    def _template(self, template, anno):
        result = self._template_model({"template": template, "template_anno": anno})
        return np.array(result["template_tokens"], dtype=np.float32)

    def _search(self, tokens, search):
        request = self._search_request
        request.infer(dict(zip(INPUTS, (tokens, search))))
        return (np.array(request.get_tensor(OUTPUTS[0]).data, dtype=np.float32),
                np.array(request.get_tensor(OUTPUTS[1]).data, dtype=np.float32))


def _openvino_shape(port):
    return tuple(dim.get_length() if dim.is_static else None for dim in port.get_partial_shape())


# ------------------------------------------------------------------------------------------ TensorRT

def tensorrt_engine_path(exported, precision, gpu_name, capability, trt_version, max_batch=TENSORRT_MAX_BATCH):
    """The cached engine of ``exported``: TensorRT engines only load on the GPU model and TensorRT
    version that built them, so both are in the name."""
    from .cache import cache_root, file_name_part
    key = hashlib.sha256(f"{exported.sha256}|{precision}|{max_batch}".encode()).hexdigest()[:16]
    folder = file_name_part(f"{gpu_name}-sm{capability[0]}{capability[1]}-trt{trt_version}", 128)
    return cache_root() / "tensorrt" / folder / f"{file_name_part(exported.variant)}-{key}-{precision}-b{max_batch}.engine"


class TensorRtRunner(HostRunner):
    """TensorRT through its Python API: the per-frame step built (fp32 or fp16) from the ONNX file on the
    first use and cached per GPU model and TensorRT version; the template step on ONNX Runtime's CPU
    provider (TensorRT has no float64). GPU buffers are torch tensors. NOT RUN YET: no GPU was
    available while this was written (docs/deploy.md)."""

    name = "tensorrt"

    def __init__(self, exported, device, options):
        super().__init__(exported, device, options)
        try:       # all three before an engine is built (minutes): the template step runs on onnxruntime
            import onnxruntime  # noqa: F401
            import tensorrt
            import torch
        except ImportError as error:
            raise ConfigError(f"engine tensorrt needs tensorrt, torch (for its GPU buffers) and onnxruntime (for "
                              f"the template step): {install_hint('tensorrt')} ({error})") from None
        if not torch.cuda.is_available():
            raise ConfigError("engine tensorrt needs a CUDA GPU, and torch sees none here")
        self.trt, self.torch = tensorrt, torch
        self.cuda = torch.device("cuda", device.index or 0)
        self.logger = tensorrt.Logger(tensorrt.Logger.WARNING)
        path = tensorrt_engine_path(exported, options.precision, torch.cuda.get_device_name(self.cuda),
                                    torch.cuda.get_device_capability(self.cuda), tensorrt.__version__)
        self.engine_path = path
        data = self._built(path)
        runtime = tensorrt.Runtime(self.logger)
        self.engine = runtime.deserialize_cuda_engine(data)
        if self.engine is None:
            raise CheckpointError(f"TensorRT could not load its cached engine {path}; delete it and rerun")
        self.context = self.engine.create_execution_context()
        self._template_session = ort_session(exported.template_onnx(), template_where(exported))

    def _built(self, path):
        """The engine's bytes: the cached file's, read within bounds, else built now, cached and returned."""
        from ..formats.atomic import atomic_write
        from ..formats.regular_files import read_regular
        from ..limits import MAX_TENSORRT_ENGINE_BYTES
        from .cache import made_once

        def cached():
            return read_regular(path, MAX_TENSORRT_ENGINE_BYTES, "TensorRT engine", CheckpointError,
                                "twice the largest exported model") if path.is_file() else None

        def build():
            data = self._build()
            atomic_write(path, data)
            return data
        return made_once(path, cached, build)

    def _build(self):
        trt, cfg = self.trt, self.config
        builder = trt.Builder(self.logger)
        network = builder.create_network(0)    # explicit batch: the only mode of TensorRT >= 10 (the extra's minimum)
        parser = trt.OnnxParser(network, self.logger)
        if not parser.parse_from_file(str(self.exported.path)):
            errors = "; ".join(str(parser.get_error(index)) for index in range(parser.num_errors))
            raise CheckpointError(f"TensorRT cannot parse {self.exported.path}: {errors[:300]}")
        config = builder.create_builder_config()
        if self.options.precision == "fp16":
            config.set_flag(trt.BuilderFlag.FP16)
        tokens = cfg.template_grid ** 2 + cfg.foveal_grid ** 2
        profile = builder.create_optimization_profile()
        for name, shape in (("template_tokens", (tokens, cfg.embed_dim)),
                            ("search", (3, cfg.search_size, cfg.search_size))):
            profile.set_shape(name, (1,) + shape, (1,) + shape, (TENSORRT_MAX_BATCH,) + shape)
        config.add_optimization_profile(profile)
        serialized = builder.build_serialized_network(network, config)
        if serialized is None:
            raise CheckpointError(f"TensorRT could not build an engine from {self.exported.path} (see its log above)")
        return bytes(serialized)

    def _template(self, template, anno):
        return self._template_session.run(["template_tokens"], {"template": template, "template_anno": anno})[0]

    def _search(self, tokens, search):
        torch, batch = self.torch, search.shape[0]
        if batch > TENSORRT_MAX_BATCH:
            raise ConfigError(f"engine tensorrt is built for batches up to {TENSORRT_MAX_BATCH}, got {batch}")
        inputs = {"template_tokens": torch.from_numpy(tokens).to(self.cuda),
                  "search": torch.from_numpy(search).to(self.cuda)}
        outputs = {"boxes": torch.empty((batch, 4), dtype=torch.float32, device=self.cuda),
                   "confidence": torch.empty((batch,), dtype=torch.float32, device=self.cuda)}
        for name, tensor in inputs.items():
            self.context.set_input_shape(name, tuple(tensor.shape))
            self.context.set_tensor_address(name, tensor.data_ptr())
        for name, tensor in outputs.items():
            self.context.set_tensor_address(name, tensor.data_ptr())
        # torch's current stream: the uploads above and the downloads below are ordered with the engine
        if not self.context.execute_async_v3(torch.cuda.current_stream(self.cuda).cuda_stream):
            raise RuntimeError("TensorRT execution failed")
        return outputs["boxes"].cpu().numpy(), outputs["confidence"].cpu().numpy()


RUNNERS = {"onnxruntime": OrtRunner, "onnxruntime-tensorrt": OrtRunner, "openvino": OpenVinoRunner,
           "tensorrt": TensorRtRunner}


def describe(options, device):
    """The engine record of the manifest: name, package version, providers, precision, device (no runtime
    is started)."""
    engine = options.engine
    module = {"onnxruntime-tensorrt": "onnxruntime"}.get(engine, engine)
    record = {"name": engine, "version": package_version(module), "precision": options.precision,
              "device": str(device)}
    if engine.startswith("onnxruntime"):
        record["providers"] = _provider_names(ort_providers(engine, device, options.precision))
    elif engine == "openvino":
        record["providers"] = ["CPU"]
        record["inference_precision"] = OPENVINO_PRECISIONS[options.precision]
    elif engine == "tensorrt":
        record["providers"] = ["TensorRT"]
        record["template_step"] = "onnxruntime CPUExecutionProvider"
    return record
