"""Export a SimTrack model to our ONNX file (``exported``) and check it against torch.

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
import warnings
from pathlib import Path

import numpy as np
import torch
from torch import nn

import simtrack

from ..crop import IMAGENET_MEAN, IMAGENET_STD
from ..errors import CheckpointError
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
    check_packages,
    read_exported,
)

MAX_BATCH = 1024
CHECK_BATCHES = (1, 2)
# The check refuses a graph whose boxes (normalised to the crop) differ from torch's by more than this:
# 1e-5 of a 224-pixel crop is 2e-3 px, before the scale-back; fp32 exports measure about 1e-7.
CHECK_TOLERANCE = 1e-5


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
    if any(parameter.dtype != torch.float32 for parameter in model.parameters()):
        import copy
        model = copy.deepcopy(model).float()     # the caller's model keeps its dtype
    model = model.eval()
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
    from .sessions import ort_session, template_where
    exported = read_exported(path)
    search, template = ort_session(str(path), path), ort_session(exported.template_onnx(), template_where(exported))
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


def state_sha256(model):
    """A sha256 of a model's configuration and weights, for models that come without a file."""
    import hashlib
    digest = hashlib.sha256(json.dumps(model.config.to_dict(), sort_keys=True).encode())
    for name, tensor in sorted(model.state_dict().items()):
        digest.update(name.encode())
        digest.update(tensor.detach().to("cpu", torch.float32).contiguous().numpy().tobytes())
    return digest.hexdigest()
