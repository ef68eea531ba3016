"""An exported model file: what ``simtrack.export`` writes and every engine reads, checked on the way in.

One ``.onnx`` file holds the per-frame step (``template_tokens``, ``search`` -> ``boxes``,
``confidence``; the batch dimension dynamic) as its graph, and in its metadata the template step
(a second, small ONNX model, base64) and the facts needed to track with it without flags: the
variant and its whole configuration, crop sizes, normalisation, the source checkpoint's sha256,
precision, opset and versions. Reading it needs neither torch nor onnx (``formats.onnx_file``).
"""
import base64
import binascii
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from ..crop import IMAGENET_MEAN, IMAGENET_STD
from ..errors import CheckpointError, ConfigError
from ..formats.file_hash import file_sha256
from ..formats.json_data import parse_json
from ..formats.onnx_file import read_metadata
from ..model.config import ModelConfig

FORMAT = "simtrack-onnx/1"
OPSET = 18                                     # of both steps (torch.onnx.export, dynamo)
PREFIX = "simtrack."
TEMPLATE_KEY = PREFIX + "template_onnx"        # the template step, base64 of its ONNX bytes
EXPORTED_PRECISIONS = ("fp32", "int8")
INPUTS = ("template_tokens", "search")
OUTPUTS = ("boxes", "confidence")
TEMPLATE_INPUTS = ("template", "template_anno")
TEMPLATE_OUTPUTS = ("template_tokens",)
EXPORT_PACKAGES = ("torch", "onnx", "onnxscript", "onnxruntime")


def check_packages(packages=EXPORT_PACKAGES, what="exporting to ONNX"):
    """Refuse, before any work, an environment without ``packages`` (the exporter's by default), in one
    line naming the missing ones; ``what`` says what needs them."""
    import importlib.util
    missing = []
    for name in packages:
        try:
            found = importlib.util.find_spec(name) is not None
        except (ImportError, ValueError):
            found = False
        if not found:
            missing.append(name)
    if missing:
        torch = " and torch (requirements.txt)" if "torch" in packages else ""
        raise ConfigError(f"{what} needs {', '.join(missing)}, not installed here: pip install "
                          f"'simtrack[export]' (onnx, onnxscript, onnxruntime){torch}")


@dataclass
class ExportedModel:
    """An exported model file and what its metadata says (``read_exported`` checks it)."""

    path: Path
    metadata: dict
    config: ModelConfig
    precision: str
    _sha256: Optional[str] = field(default=None, repr=False)

    @property
    def variant(self) -> str:
        return self.config.name

    @property
    def checkpoint_sha256(self) -> str:
        """The sha256 of the weights file it was exported from."""
        return self.metadata.get(PREFIX + "checkpoint_sha256", "")

    @property
    def sha256(self) -> str:
        """The sha256 of this file (computed once, on first use)."""
        if self._sha256 is None:
            self._sha256 = file_sha256(self.path)
        return self._sha256

    def template_onnx(self) -> bytes:
        """The template step's ONNX model, as bytes."""
        try:
            return base64.b64decode(self.metadata[TEMPLATE_KEY], validate=True)
        except (KeyError, binascii.Error, ValueError):
            raise CheckpointError(f"{self.path}: its template step ({TEMPLATE_KEY}) is missing or damaged; export "
                                  f"the model again with python -m simtrack.export") from None

    def summary(self) -> dict:
        """What the manifest records about the file besides its own hash."""
        return {"variant": self.variant, "precision": self.precision,
                "checkpoint_sha256": self.checkpoint_sha256, "checkpoint": self.metadata.get(PREFIX + "checkpoint"),
                "opset": self.metadata.get(PREFIX + "opset"), "exported_by": self.metadata.get(PREFIX + "version"),
                "torch": self.metadata.get(PREFIX + "torch")}


def read_exported(path, variant=None) -> ExportedModel:
    """The exported model at ``path``; a ``CheckpointError`` for a file that is not one of ours, or a
    ``ConfigError`` when ``variant`` is given and the file holds another."""
    path = Path(path)
    metadata = read_metadata(path)
    found = metadata.get(PREFIX + "format")
    if found is None:
        raise CheckpointError(f"{path} is an ONNX model, but not one exported by simtrack (no {PREFIX}format in its "
                              f"metadata); export SimTrack weights with python -m simtrack.export --checkpoint FILE "
                              f"--format onnx --out {path.name}")
    if found != FORMAT:
        raise CheckpointError(f"{path} is in simtrack's exported format {found!r}, which this version ({FORMAT}) "
                              f"does not read; export the weights again with this version")
    try:
        config = ModelConfig.from_dict(_json_fact(metadata, "config", dict))
        mean, std = _json_fact(metadata, "mean", list), _json_fact(metadata, "std", list)
    except (KeyError, ValueError, TypeError, ConfigError, CheckpointError) as error:
        raise CheckpointError(f"{path}: its simtrack metadata is incomplete or damaged ({error}); export the model "
                              f"again with python -m simtrack.export") from None
    if tuple(mean) != IMAGENET_MEAN or tuple(std) != IMAGENET_STD:
        raise CheckpointError(f"{path} expects another normalisation (mean {mean}, std {std}) than SimTrack's "
                              f"{list(IMAGENET_MEAN)}, {list(IMAGENET_STD)}")
    precision = metadata.get(PREFIX + "precision", "fp32")
    if precision not in EXPORTED_PRECISIONS:
        raise CheckpointError(f"{path}: unknown precision {precision!r} in its metadata")
    if variant is not None and variant != config.name:
        raise ConfigError(f"{path} holds variant {config.name!r}, not {variant!r}; omit --variant (the file records "
                          f"its variant) or give a model of variant {variant!r}")
    if TEMPLATE_KEY not in metadata:
        raise CheckpointError(f"{path}: its template step ({TEMPLATE_KEY}) is missing; export the model again")
    return ExportedModel(path, metadata, config, precision)


def _json_fact(metadata, key, kind):
    """The JSON value of metadata ``simtrack.<key>``, which must be a ``kind`` (a TypeError otherwise)."""
    value = parse_json(metadata[PREFIX + key], f"{PREFIX}{key}", CheckpointError)
    if not isinstance(value, kind):
        raise TypeError(f"{PREFIX}{key} is a {type(value).__name__}, not a {kind.__name__}")
    return value
