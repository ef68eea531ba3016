"""Checks on a checkpoint file before anything is allocated for it: weights are downloads too.

* torch files (``.pth``/``.pt``, a zip since torch 1.6): ``torch.save`` stores every tensor storage
  uncompressed (``data/<k>`` members, aligned for memory mapping); a compressed storage is how a 2 MB
  file inflates to 2 GiB, so it is refused, and so is a storage larger than any parameter of any
  variant or a total larger than a training checkpoint of the largest variant. A legacy (pickle)
  file is bounded by its size.
* safetensors files: the header declares every tensor's shape, checked before a tensor is read
  against the same per-tensor limit; the file against the same total.
* a model config read from a file (our safetensors metadata) must have every field of the type
  ``ModelConfig`` declares (``ModelConfig.from_dict``) and describe at most ``limits.PARAMS_MARGIN``
  times the parameters of the largest variant, counted on the meta device: a 202-byte file cannot
  make us build a 16384-wide model.
The limits derive from the registered variants (``variant_limits``), never typed in.
"""
import math
import os
import zipfile
from functools import lru_cache

import torch

from .errors import CheckpointError, ConfigError
from .limits import CHECKPOINT_BYTES_MARGIN, PARAMS_MARGIN
from .model import VARIANTS, ModelConfig, build_model

# CLIP files carry the text tower, whose token embedding (49,408 x 768 for L/14) is larger than any
# tensor of our variants; they are read to initialise training.
CLIP_TOKEN_EMBEDDING = 49_408 * 1_024
BYTES_PER_ELEMENT = 8          # float64 / int64: the widest dtype a checkpoint stores


def parameter_count(config):
    """Parameters of a model of ``config``, counted on the meta device (nothing allocated)."""
    with torch.device("meta"):
        return sum(tensor.numel() for tensor in build_model(config).state_dict().values())


@lru_cache(maxsize=1)
def variant_limits():
    """``(largest variant's parameters, most elements of one tensor, most bytes of a file)``."""
    largest, widest = 0, 0
    for name in VARIANTS:
        with torch.device("meta"):
            sizes = [tensor.numel() for tensor in build_model(name).state_dict().values()]
        largest, widest = max(largest, sum(sizes)), max(widest, max(sizes))
    return largest, max(2 * widest, CLIP_TOKEN_EMBEDDING), largest * 4 * CHECKPOINT_BYTES_MARGIN


def check_torch_file(path):
    """Refuse a torch file whose tensor storages are compressed or larger than a SimTrack checkpoint's.

    Returns the names of the zip's members (empty for a legacy pickle file), so that the caller can
    tell a TorchScript archive without opening the zip again.
    """
    _, widest, most = variant_limits()
    if not zipfile.is_zipfile(path):
        _refuse_larger_than_training(path, os.path.getsize(path), most)
        return []
    total = 0
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
    except zipfile.BadZipFile as error:
        raise CheckpointError(f"cannot read checkpoint {path} ({error}): the file is damaged; fetch it again") from None
    for info in members:
        parts = info.filename.split("/")
        if len(parts) < 3 or parts[-2] != "data" or not parts[-1].isdigit():
            continue
        if info.compress_type != zipfile.ZIP_STORED:
            raise CheckpointError(f"{path}: tensor storage {info.filename} is compressed ({info.compress_size:,} "
                                  f"bytes that inflate to {info.file_size:,}); torch.save never writes that, "
                                  "so it is refused unread")
        if info.file_size > widest * BYTES_PER_ELEMENT:
            raise CheckpointError(f"{path}: tensor storage {info.filename} is {info.file_size:,} bytes, larger "
                                  "than any parameter of any SimTrack variant; refused unread")
        total += info.file_size
    if total > most:
        raise CheckpointError(f"{path} holds {total:,} bytes of tensors, more than a training checkpoint of the "
                              f"largest SimTrack variant ({most:,}); refused unread")
    return [info.filename for info in members]


def check_safetensors_file(path, opened):
    """Refuse a safetensors file larger than a training checkpoint of the largest variant, or one whose
    header declares a tensor with more elements than any parameter of any variant (a few header bytes
    can declare terabytes). ``opened`` is the file's ``safe_open`` handle: only its header is read here."""
    _, widest, most = variant_limits()
    _refuse_larger_than_training(path, os.path.getsize(path), most)
    for name in opened.keys():
        count = math.prod(opened.get_slice(name).get_shape())
        if count > widest:
            raise CheckpointError(f"{path}: tensor {name} has {count:,} elements, more than any parameter of any "
                                  f"SimTrack variant ({widest:,}); refused unread")


def _refuse_larger_than_training(path, size, most):
    if size > most:
        raise CheckpointError(f"{path} is {size:,} bytes, more than a training checkpoint of the largest SimTrack "
                              f"variant ({most:,}); refused unread")


def checked_config(values, source):
    """The ``ModelConfig`` a file's config (a mapping: ``read_checkpoint`` refuses any other) describes,
    refused (CheckpointError naming ``source``) when its keys or types are wrong or the model would be
    larger than any variant."""
    try:
        config = ModelConfig.from_dict(values)
    except ConfigError as error:
        raise CheckpointError(f"{source}: {error}") from None
    if config in VARIANTS.values():          # our own files: a registered variant, nothing to count
        return config
    largest = variant_limits()[0]
    try:
        count = parameter_count(config)
    except Exception as error:          # sizes that are typed right but do not make a model
        raise CheckpointError(f"{source}: its model config does not build ({type(error).__name__}: {error})") from None
    if count > PARAMS_MARGIN * largest:
        raise CheckpointError(f"{source}: its model config describes {count:,} parameters, more than "
                              f"{PARAMS_MARGIN} x the largest SimTrack variant ({largest:,}); refused before "
                              "building it")
    return config
