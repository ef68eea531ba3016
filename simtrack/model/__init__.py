"""SimTrack model family: variants registry, backbone, corner head."""
from .config import VARIANTS, ModelConfig, get_config
from .simtrack import SimTrack, build_model

__all__ = ["VARIANTS", "ModelConfig", "SimTrack", "build_model", "get_config"]
