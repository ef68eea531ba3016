"""int8 models: ONNX Runtime's dynamic quantisation of an exported model's per-frame step.

The matrix products of the per-frame step get int8 weights and activations quantised on every call
(``MatMul`` only: per-tensor, the fastest variant measured; the template step stays fp32). Needs
onnx and onnxruntime, not torch. Boxes drift (docs/deploy.md): never a default.
"""
import contextlib
import io
import tempfile
import warnings
from pathlib import Path

from ..errors import ConfigError
from ..formats.atomic import replacing
from .exported import PREFIX, ExportedModel, check_packages


def quantise(source, out) -> ExportedModel:
    """Write ``source`` (an ``ExportedModel`` of our fp32 file, as the caller read it: not read nor hashed
    again) to ``out`` with the per-frame step's matrix products in int8 (ONNX Runtime's dynamic
    quantisation: int8 weights, activations quantised per call). The metadata (template step included,
    which stays fp32) is kept, with ``precision`` int8; returns the written model."""
    check_packages(("onnx", "onnxruntime"), "making the int8 model")
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from onnxruntime.quantization.shape_inference import quant_pre_process
    if source.precision != "fp32":
        raise ConfigError(f"{source.path} is already {source.precision}")
    with tempfile.TemporaryDirectory(dir=Path(out).parent) as folder:     # model-sized: beside out, not in /tmp
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
    return ExportedModel(Path(out), facts, source.config, "int8")
