"""SimTrack model family: variants registry, backbone, corner head.

``VARIANTS`` and ``ModelConfig`` are plain data (no torch); the network classes import torch on
first use.
"""
from importlib import import_module

from .config import VARIANTS, ModelConfig, get_config

__all__ = ["VARIANTS", "ModelConfig", "SimTrack", "build_model", "get_config"]


def __getattr__(name):
    if name in ("SimTrack", "build_model"):
        value = getattr(import_module(".simtrack", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'simtrack.model' has no attribute {name!r}")
