"""Read every SimTrack checkpoint format we meet, convert names, write our own format.

Formats read (see docs/model.md, section "Checkpoints"):
  * our own: safetensors weights with the variant config in the metadata;
  * the released Sim-B/16 file: a bare state_dict with the official names (tests/data/official_keys.txt);
  * the official training checkpoint: ``{'net': state_dict, 'stats': ..., 'settings': ...}``,
    whose pickled objects are never executed (restricted unpickler);
  * PySOT-style snapshots: ``{'state_dict': ...}``, ``module.`` prefixes, ``backbone.model.visual.*``
    names with the unused CLIP text tower;
  * backbone initialisation only: OpenAI CLIP files (TorchScript archives or state_dicts) and
    timm / MAE ViT state_dicts.
All of them become our names (timm's ViT naming under ``backbone.``); loading is strict. Files are
checked before anything is allocated for them (``checkpoint_checks``): compressed or oversized tensor
storages, and model configs of the wrong type or larger than any variant, are refused in one line.
"""
import json
import pickle
import re
import types
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Optional, Union

import torch

from .checkpoint_checks import check_safetensors_file, check_torch_file, checked_config
from .errors import CheckpointError
from .formats.atomic import replacing
from .formats.json_data import parse_json
from .formats.regular_files import file_problem
from .model import VARIANTS, build_model, get_config
from .model.simtrack import SimTrack

PathLike = Union[str, Path]

FORMAT_TAG = "simtrack"

# Official (CLIP) name pieces -> ours, applied in order; the reverse order converts back.
_RENAMES = [
    (r"^backbone\.visual\.class_embedding$", "backbone.cls_token"),
    (r"^backbone\.visual\.positional_embedding$", "backbone.pos_embed"),
    (r"^backbone\.visual\.proj$", "backbone.clip_proj"),
    (r"^backbone\.visual\.conv1\.", "backbone.patch_embed.proj."),
    (r"^backbone\.visual\.ln_pre\.", "backbone.norm_pre."),
    (r"^backbone\.visual\.ln_post\.", "backbone.norm."),
    (r"^backbone\.visual\.transformer\.resblocks\.", "backbone.blocks."),
    (r"\.attn\.in_proj_weight$", ".attn.qkv.weight"),
    (r"\.attn\.in_proj_bias$", ".attn.qkv.bias"),
    (r"\.attn\.out_proj\.", ".attn.proj."),
    (r"\.ln_1\.", ".norm1."),
    (r"\.ln_2\.", ".norm2."),
    (r"\.mlp\.c_fc\.", ".mlp.fc1."),
    (r"\.mlp\.c_proj\.", ".mlp.fc2."),
    (r"^backbone\.pos_fc\.", "backbone.template_pos.pos_fc."),
]
# Tensors whose official shape drops the leading singleton dimensions of ours.
_FLAT_IN_OFFICIAL = ("backbone.cls_token", "backbone.pos_embed")
# CLIP's text tower and bookkeeping entries: present in CLIP and PySOT-era files, never used.
_CLIP_TEXT = re.compile(r"^(transformer\.|token_embedding\.|positional_embedding$|ln_final\.|"
                        r"text_projection$|logit_scale$|input_resolution$|context_length$|vocab_size$)")
# timm / MAE entries outside the encoder we use.
_TIMM_UNUSED = re.compile(r"^(head\.|fc_norm\.|decoder|mask_token$)")


def official_to_ours(state):
    """Rename an official-naming state_dict to ours (lossless)."""
    out = {}
    for name, tensor in state.items():
        new = name
        for pattern, replacement in _RENAMES:
            new = re.sub(pattern, replacement, new)
        if new in _FLAT_IN_OFFICIAL:
            tensor = tensor.reshape(1, -1, tensor.shape[-1])
        out[new] = tensor
    return out


def ours_to_official(state):
    """Rename our state_dict to the official names of tests/data/official_keys.txt (lossless)."""
    out = {}
    for name, tensor in state.items():
        if name in _FLAT_IN_OFFICIAL:
            tensor = tensor.reshape(-1, tensor.shape[-1]) if name.endswith("pos_embed") else tensor.reshape(-1)
        new = name
        for pattern, replacement in reversed(_RENAMES):
            plain = pattern.replace("\\", "").strip("^$")
            new = re.sub(("^" if pattern.startswith("^") else "") + re.escape(replacement)
                         + ("$" if pattern.endswith("$") else ""), plain, new)
        out[new] = tensor
    return out


# --------------------------------------------------------------------------- reading files

class _Neutralised:
    """Stands in for any class a checkpoint pickles besides tensors: absorbs its state, runs nothing."""

    def __init__(self, *args, **kwargs):
        pass

    def __setstate__(self, state):
        pass


_SAFE_GLOBALS = {
    ("collections", "OrderedDict"), ("torch._utils", "_rebuild_tensor_v2"),
    ("torch._utils", "_rebuild_tensor"), ("torch._utils", "_rebuild_parameter"),
    ("torch._utils", "_rebuild_parameter_with_state"), ("torch", "Size"), ("torch", "device"),
    ("builtins", "set"), ("builtins", "frozenset"), ("builtins", "slice"), ("builtins", "complex"),
}


class _RestrictedUnpickler(pickle.Unpickler):
    """Admits tensors, storages, dtypes and plain containers; every other class is neutralised."""

    def find_class(self, module, name):
        if (module, name) in _SAFE_GLOBALS:
            return super().find_class(module, name)
        if module == "torch" and (name.endswith("Storage") or isinstance(getattr(torch, name, None), torch.dtype)):
            return super().find_class(module, name)
        return type(name, (_Neutralised,), {"__module__": "neutralised." + module})


_restricted_pickle = types.SimpleNamespace(
    __name__="simtrack_restricted_pickle", Unpickler=_RestrictedUnpickler,
    load=lambda f, **kw: _RestrictedUnpickler(f, **kw).load())


def _is_torchscript(members):
    """Whether the zip members of a torch file (``check_torch_file``'s answer) make a TorchScript archive."""
    return any(n.split("/", 1)[-1].startswith("code/") or n.endswith("/constants.pkl") for n in members)


def _read_torch(path):
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError:
        # Official training checkpoints pickle `stats`/`settings` objects: read them inertly.
        return torch.load(path, map_location="cpu", weights_only=False, pickle_module=_restricted_pickle)


def read_checkpoint(path):
    """Return ``(tensors, config)``: a flat name->tensor dict as stored, and our config dict or None."""
    path = Path(path)
    problem = file_problem(path)
    if problem:
        what = problem if problem == "does not exist" else f"{problem}, not a file"
        raise CheckpointError(f"checkpoint {path} {what} (pass the path of a .pth/.pth.tar/.pt/.safetensors file)")
    try:
        if path.suffix == ".safetensors":
            from safetensors import safe_open
            with safe_open(str(path), framework="pt") as f:
                check_safetensors_file(path, f)
                metadata = f.metadata() or {}
                tensors = {k: f.get_tensor(k) for k in f.keys()}
            return tensors, _file_config(metadata, path)
        if _is_torchscript(check_torch_file(path)):
            with warnings.catch_warnings():  # torch.jit is deprecated, but OpenAI ships CLIP that way
                warnings.simplefilter("ignore", FutureWarning)
                return dict(torch.jit.load(str(path), map_location="cpu").state_dict()), None
        obj = _read_torch(path)
    except CheckpointError:
        raise
    except Exception as error:  # torch/safetensors raise many types for corrupt files
        raise CheckpointError(f"cannot read checkpoint {path} ({read_failure(error)}): the file is damaged or not a "
                              f"checkpoint; pass a .pth, .pth.tar, .pt or .safetensors file of SimTrack weights") from None
    return _unwrap(obj, path), None


def _file_config(metadata, path):
    """The model config dict in a safetensors file's metadata, or None; any other JSON value is refused."""
    if "config" not in metadata:
        return None
    config = parse_json(metadata["config"], f"{path} (its config)", CheckpointError)
    if not isinstance(config, dict):
        raise CheckpointError(f"{path}: the model config it carries is {type(config).__name__}, not a mapping "
                              "of ModelConfig fields")
    return config


def read_failure(error):
    """The reader's error, short: its type and first sentence (torch appends paragraphs of advice,
    such as retrying with ``weights_only=False``, which must not be followed for unknown files)."""
    text = str(error).strip().split("\n", 1)[0]
    return f"{type(error).__name__}: {text.split('. ', 1)[0].rstrip('.')}"


def _unwrap(obj, path):
    """Find the state_dict inside the usual wrappers (``net``, ``state_dict``, ``model``)."""
    while isinstance(obj, dict) and not any(isinstance(v, torch.Tensor) for v in obj.values()):
        inner = next((obj[k] for k in ("net", "state_dict", "model") if isinstance(obj.get(k), dict)), None)
        if inner is None:
            raise CheckpointError(f"{path}: no state_dict found; top-level keys are {sorted(map(str, obj))[:20]}")
        obj = inner
    if not isinstance(obj, dict):
        raise CheckpointError(f"{path}: expected a state_dict (a dict of tensors), got {type(obj).__name__}")
    tensors = {str(k): v for k, v in obj.items() if isinstance(v, torch.Tensor)}
    if len(tensors) > 1 and all(k.startswith("module.") for k in tensors):
        tensors = {k[len("module."):]: v for k, v in tensors.items()}
    return tensors


# --------------------------------------------------------------------------- naming

def to_our_names(tensors, source="checkpoint"):
    """Map any supported naming to ours. Returns ``(state, kind)``, kind "full" or "backbone"."""
    names = list(tensors)
    if any(n.startswith("backbone.model.visual.") for n in names):
        # PySOT-era SimTrack: the whole CLIP model under backbone.model; keep its image tower.
        tensors = {("backbone." + n[len("backbone.model."):] if n.startswith("backbone.model.visual.") else n): v
                   for n, v in tensors.items() if not n.startswith("backbone.model.")
                   or n.startswith("backbone.model.visual.")}
    elif any(n.startswith("backbone.blocks.") for n in names):
        return dict(tensors), _kind(tensors)
    if any("visual." in n for n in tensors):
        official = {}
        for name, tensor in tensors.items():
            anchored = _anchor(name)
            if anchored is not None:
                official[anchored] = tensor
            elif not _CLIP_TEXT.match(name):
                official[name] = tensor  # left for the strict check to report
        return official_to_ours(official), _kind(official)
    if any(n.startswith("blocks.") for n in names) and "cls_token" in tensors:
        state = {"backbone." + n: v for n, v in tensors.items() if not _TIMM_UNUSED.match(n)}
        return state, "backbone"
    raise CheckpointError(f"{source}: unrecognised parameter names (first ones: {names[:8]}); expected "
                          f"SimTrack (official or ours), CLIP, or timm/MAE ViT weights")


def _anchor(name):
    """Official name for ``name`` found by its suffix anchor, or None for foreign names."""
    for marker, prefix in (("visual.", "backbone."), ("pos_fc.", "backbone.")):
        at = name.find(marker)
        if at == 0 or (at > 0 and name[at - 1] == "."):
            return prefix + name[at:]
    match = re.search(r"(?:^|\.)(conv[1-5]_(?:tl|br)\..*)$", name)
    if match:
        return "box_head." + match.group(1)
    match = re.search(r"(?:^|\.)(bottleneck\..*)$", name)
    if match:
        return match.group(1)
    return None


def _kind(state):
    return "full" if any(n.startswith("box_head.") for n in state) else "backbone"


# --------------------------------------------------------------------------- loading

def _check_config(model, file_config, path):
    if file_config is None:
        return
    expected = model.config.to_dict()
    diff = {k: (file_config.get(k), v) for k, v in expected.items() if file_config.get(k) != v}
    if diff:
        details = ", ".join(f"{k}: file {a!r} vs model {b!r}" for k, (a, b) in sorted(diff.items()))
        raise CheckpointError(f"{path} holds variant {file_config.get('name')!r} but the model is variant "
                              f"{model.config.name!r} ({details}); build the model with variant="
                              f"{file_config.get('name')!r} or omit the variant to use the file's")


def _strict_load(model, state, path, only_prefix=None):
    expected = {k: v for k, v in model.state_dict().items() if only_prefix is None or only_prefix(k)}
    missing = [k for k in expected if k not in state and not k.endswith("num_batches_tracked")]
    unexpected = [k for k in state if k not in expected]
    wrong = [f"{k}: file {tuple(state[k].shape)} vs model {tuple(expected[k].shape)}"
             for k in expected if k in state and state[k].shape != expected[k].shape]
    if missing or unexpected or wrong:
        parts = []
        for title, items in (("missing", missing), ("unexpected", unexpected), ("wrong shape", wrong)):
            if items:
                parts.append(f"{title} ({len(items)}): " + ", ".join(items[:12]) + (" ..." if len(items) > 12 else ""))
        raise CheckpointError(f"{path} does not fit SimTrack variant {model.config.name!r}: " + "; ".join(parts))
    with torch.no_grad():
        own = model.state_dict()
        for name, tensor in state.items():
            own[name].copy_(tensor.to(own[name].dtype))


def load_weights(model: SimTrack, path: PathLike, backbone_only: bool = False) -> SimTrack:
    """Load any supported checkpoint into ``model`` strictly; returns the model.

    A file with only backbone weights (CLIP, timm, MAE) is refused unless ``backbone_only`` is
    set (training initialisation): evaluating with a random head would give meaningless boxes.
    With ``backbone_only`` the template position MLP, bottleneck and head stay as they are.
    """
    tensors, file_config = read_checkpoint(path)
    return _load_state(model, tensors, file_config, path, backbone_only)


def _load_state(model, tensors, file_config, path, backbone_only=False):
    """``load_weights`` of what ``read_checkpoint`` returned for ``path`` (read once by ``load_model``)."""
    _check_config(model, file_config, path)
    state, kind = to_our_names(tensors, source=str(path))
    if backbone_only:
        state = {k: v for k, v in state.items() if k.startswith("backbone.") and not k.startswith("backbone.template_pos.")}
        _strict_load(model, state, path,
                     only_prefix=lambda k: k.startswith("backbone.") and not k.startswith("backbone.template_pos."))
        return model
    if kind == "backbone":
        raise CheckpointError(f"{path} holds only backbone weights (CLIP/timm/MAE) without SimTrack's head; "
                              f"use it to initialise training (backbone_init in the training config), "
                              f"not to track")
    _strict_load(model, state, path)
    return model


def guess_variant(state):
    """The registered variant whose parameter shapes match ``state`` (our names), or None."""
    for name in VARIANTS:
        with torch.device("meta"):
            reference = build_model(name).state_dict()
        if set(reference) - {k for k in reference if k.endswith("num_batches_tracked")} <= set(state) and all(
                k in reference and reference[k].shape == v.shape for k, v in state.items()):
            return name
    return None


def load_model(path: PathLike, variant: Optional[str] = None) -> SimTrack:
    """Build the right model for ``path`` and load it; ``variant`` is needed only when the file cannot tell."""
    tensors, file_config = read_checkpoint(path)
    if variant is None:
        if file_config is not None:
            model = build_model(checked_config(file_config, path))
        else:
            guessed = guess_variant(to_our_names(tensors, source=str(path))[0])
            if guessed is None:
                raise CheckpointError(f"{path}: cannot tell which variant it holds; pass variant= "
                                      f"(one of {sorted(VARIANTS)})")
            model = build_model(guessed)
    else:
        model = build_model(get_config(variant))
    return _load_state(model, tensors, file_config, path)


# --------------------------------------------------------------------------- writing

def save_checkpoint(model: SimTrack, path: PathLike, metadata: Optional[Mapping[str, Any]] = None) -> Path:
    """Write ``model`` in our format: safetensors weights + the variant config in the metadata."""
    from safetensors.torch import save_file
    path = Path(path)
    header = {"format": FORMAT_TAG, "config": json.dumps(model.config.to_dict())}
    header.update({k: str(v) for k, v in (metadata or {}).items()})
    state = {k: v.detach().contiguous().cpu() for k, v in model.state_dict().items()}
    with replacing(path) as temporary:
        save_file(state, str(temporary), metadata=header)
    return path


def save_official(model: SimTrack, path: PathLike) -> Path:
    """Write a bare state_dict with the official names (loads with the official code, strict=True)."""
    path = Path(path)
    with replacing(path) as temporary:
        torch.save(ours_to_official(model.state_dict()), temporary)
    return path
