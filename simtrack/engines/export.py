"""Export a SimTrack model to our ONNX file (``exported``), check it against torch, quantise it to int8.

The per-frame step and the template step are exported separately by ``torch.onnx.export`` (the
dynamo exporter, opset 18) through two thin wrappers; both have a dynamic batch dimension. The
template step travels inside the per-frame file's metadata. The check runs both graphs with ONNX
Runtime on random inputs at batch 1 and 2 and compares them with torch. Needs torch, onnx,
onnxscript and onnxruntime (the ``export`` extra).
"""
import base64
import contextlib
import io
import json
import tempfile
import warnings
from pathlib import Path

import numpy as np
import torch
from torch import nn

import simtrack

from ..crop import IMAGENET_MEAN, IMAGENET_STD
from ..errors import CheckpointError, ConfigError
from ..formats.atomic import replacing
from .exported import (
    FORMAT,
    INPUTS,
    OPSET,
    OUTPUTS,
    PREFIX,
    TEMPLATE_INPUTS,
    TEMPLATE_KEY,
    TEMPLATE_OUTPUTS,
    file_sha256,
    read_exported,
)

MAX_BATCH = 1024
CHECK_BATCHES = (1, 2)
# The check refuses a graph whose boxes (normalised to the crop) differ from torch's by more than this:
# 1e-5 of a 224-pixel crop is 2e-3 px, before the scale-back; fp32 exports measure about 1e-7.
CHECK_TOLERANCE = 1e-5
EXPORT_PACKAGES = ("onnx", "onnxscript", "onnxruntime")


class TemplateStep(nn.Module):
    """(template (B, 3, T, T) float32, template_anno (B, 4) float64) -> template tokens (B, N, C)."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, template, template_anno):
        return self.model.embed_template(template, template_anno)


class SearchStep(nn.Module):
    """(template tokens (B, N, C), search (B, 3, S, S)) -> boxes (B, 4) normalised cx, cy, w, h, confidence (B,)."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, template_tokens, search):
        output = self.model.forward_search(template_tokens, search)
        return output["boxes"], output["confidence"]


def check_packages():
    """Refuse, before any work, an environment without the exporter's packages (one line naming the extra)."""
    import importlib.util
    missing = [name for name in EXPORT_PACKAGES if importlib.util.find_spec(name) is None]
    if missing:
        raise ConfigError(f"exporting to ONNX needs {', '.join(missing)}: pip install 'simtrack[export]' "
                          f"(onnx, onnxscript and onnxruntime)")


def sample_inputs(config, batch, seed=0):
    """Random template, template box (float64, as the tracker passes it), tokens-free search crops."""
    generator = torch.Generator().manual_seed(seed)
    template = torch.randn(batch, 3, config.template_size, config.template_size, generator=generator)
    search = torch.randn(batch, 3, config.search_size, config.search_size, generator=generator)
    anno = torch.tensor([[0.30, 0.28, 0.41, 0.47]], dtype=torch.float64).repeat(batch, 1)
    anno[:, 2:] += torch.rand(batch, 2, generator=generator, dtype=torch.float64) * 0.1
    return template, anno, search


def _program(module, args, input_names, output_names):
    """``torch.onnx.export`` (dynamo, opset 18, batch dynamic), quiet: the exporter talks on stdout."""
    batch = torch.export.Dim("batch", min=1, max=MAX_BATCH)
    shapes = {name: {0: batch} for name in input_names}
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        return torch.onnx.export(module.eval(), args, dynamo=True, opset_version=OPSET, input_names=list(input_names),
                                 output_names=list(output_names), dynamic_shapes=shapes, optimize=True,
                                 verbose=False)


def _serialised(program):
    import onnx_ir
    return onnx_ir.serde.serialize_model(program.model).SerializeToString()


def metadata(model, checkpoint_sha256, source):
    """The facts a tracker needs to run the file without flags (all values strings, as ONNX wants)."""
    cfg = model.config
    return {
        PREFIX + "format": FORMAT, PREFIX + "variant": cfg.name, PREFIX + "config": json.dumps(cfg.to_dict()),
        PREFIX + "checkpoint_sha256": checkpoint_sha256, PREFIX + "checkpoint": str(source),
        PREFIX + "template_size": str(cfg.template_size), PREFIX + "search_size": str(cfg.search_size),
        PREFIX + "template_tokens": str(cfg.template_grid ** 2 + cfg.foveal_grid ** 2),
        PREFIX + "embed_dim": str(cfg.embed_dim), PREFIX + "mean": json.dumps(list(IMAGENET_MEAN)),
        PREFIX + "std": json.dumps(list(IMAGENET_STD)), PREFIX + "precision": "fp32", PREFIX + "opset": str(OPSET),
        PREFIX + "version": simtrack.__version__, PREFIX + "torch": torch.__version__, PREFIX + "exporter": "dynamo",
        PREFIX + "batch": "dynamic",
    }


def export_model(model, out, checkpoint_sha256, source="", check=True):
    """Write ``model`` (a SimTrack, weights loaded) to ``out`` as our ONNX file; returns the check's
    largest differences (``{}`` without ``check``). ``out`` appears only complete and checked."""
    check_packages()
    model = model.float().eval()
    template, anno, search = sample_inputs(model.config, 2)
    with torch.no_grad():
        tokens = model.embed_template(template, anno)
    template_program = _program(TemplateStep(model), (template, anno), TEMPLATE_INPUTS, TEMPLATE_OUTPUTS)
    search_program = _program(SearchStep(model), (tokens.clone(), search), INPUTS, OUTPUTS)
    facts = metadata(model, checkpoint_sha256, source)
    facts[TEMPLATE_KEY] = base64.b64encode(_serialised(template_program)).decode("ascii")
    search_program.model.metadata_props.update(facts)
    search_program.model.producer_name, search_program.model.producer_version = "simtrack", simtrack.__version__
    differences = {}
    with replacing(Path(out)) as temporary:
        search_program.save(str(temporary), external_data=False)
        if check:
            differences = check_export(model, temporary)
    return differences


def check_export(model, path):
    """The largest absolute differences between the file at ``path`` (run by ONNX Runtime on the CPU)
    and ``model`` on random inputs, batch 1 and 2; a ``CheckpointError`` above ``CHECK_TOLERANCE``."""
    import onnxruntime
    exported = read_exported(path)
    options = onnxruntime.SessionOptions()
    options.log_severity_level = 3
    search = onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    template = onnxruntime.InferenceSession(exported.template_onnx(), options, providers=["CPUExecutionProvider"])
    worst = {"template_tokens": 0.0, "boxes": 0.0, "confidence": 0.0}
    for batch in CHECK_BATCHES:
        crops, anno, searches = sample_inputs(model.config, batch, seed=batch)
        with torch.inference_mode():
            tokens = model.embed_template(crops, anno)
            output = model.forward_search(tokens, searches)
        got_tokens, = template.run(None, {"template": crops.numpy(), "template_anno": anno.numpy()})
        boxes, confidence = search.run(None, {"template_tokens": tokens.numpy(), "search": searches.numpy()})
        for name, ours, theirs in (("template_tokens", got_tokens, tokens), ("boxes", boxes, output["boxes"]),
                                   ("confidence", confidence, output["confidence"])):
            worst[name] = max(worst[name], float(np.abs(ours - theirs.numpy()).max()))
    if worst["boxes"] > CHECK_TOLERANCE or worst["confidence"] > CHECK_TOLERANCE:
        raise CheckpointError(f"the exported graph differs from torch by {worst['boxes']:.2g} in the boxes and "
                              f"{worst['confidence']:.2g} in the confidence (allowed {CHECK_TOLERANCE:g}); nothing "
                              f"was written. Please report this with the versions of torch and onnxscript")
    return worst


def quantise(source, out):
    """Write ``source`` (our fp32 file) to ``out`` with the per-frame step's matrix products in int8
    (ONNX Runtime's dynamic quantisation: int8 weights, activations quantised per call). The metadata
    (template step included, which stays fp32) is kept, with ``precision`` int8."""
    import importlib.util
    if importlib.util.find_spec("onnx") is None or importlib.util.find_spec("onnxruntime") is None:
        raise ConfigError("making the int8 model needs onnx and onnxruntime: pip install 'simtrack[export]', or "
                          "export it where they are installed: python -m simtrack.export --precision int8")
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from onnxruntime.quantization.shape_inference import quant_pre_process
    source = read_exported(source)
    if source.precision != "fp32":
        raise ConfigError(f"{source.path} is already {source.precision}")
    with tempfile.TemporaryDirectory() as folder:
        prepared, quantised = Path(folder) / "prepared.onnx", Path(folder) / "int8.onnx"
        with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
            warnings.simplefilter("ignore")
            quant_pre_process(str(source.path), str(prepared), skip_symbolic_shape=True)
            quantize_dynamic(str(prepared), str(quantised), weight_type=QuantType.QInt8,
                             op_types_to_quantize=["MatMul"])
        proto = onnx.load(str(quantised))
        del proto.metadata_props[:]
        facts = dict(source.metadata, **{PREFIX + "precision": "int8", PREFIX + "quantised_from": source.sha256})
        for key, value in facts.items():
            entry = proto.metadata_props.add()
            entry.key, entry.value = key, value
        with replacing(Path(out)) as temporary:
            onnx.save(proto, str(temporary))
    return Path(out)


def state_sha256(model):
    """A sha256 of a model's configuration and weights, for models that come without a file."""
    import hashlib
    digest = hashlib.sha256(json.dumps(model.config.to_dict(), sort_keys=True).encode())
    for name, tensor in sorted(model.state_dict().items()):
        digest.update(name.encode())
        digest.update(tensor.detach().to("cpu", torch.float32).contiguous().numpy().tobytes())
    return digest.hexdigest()


def checkpoint_sha256(path):
    return file_sha256(path)
