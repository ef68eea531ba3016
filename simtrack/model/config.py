"""Named SimTrack variants: every size the model, tracker and training need lives here."""
import dataclasses
import math
import typing
from dataclasses import dataclass
from typing import Union

from ..errors import ConfigError
from ..limits import MAX_CONFIG_INT

# Sizes that divide or are divided by others: zero would fail deep in the model.
_POSITIVE = ("patch_size", "embed_dim", "depth", "num_heads", "pretrain_grid", "template_size", "search_size",
             "foveal_size", "hidden_dim", "head_channels", "mlp_ratio", "norm_eps", "template_factor",
             "search_factor")


@dataclass(frozen=True)
class ModelConfig:
    """Architecture and crop geometry of one SimTrack variant.

    ``template_size`` / ``search_size`` are the crop sizes in pixels; ``template_factor`` /
    ``search_factor`` say how much context around the target the crops hold (crop side =
    factor * sqrt(w * h)). ``foveal_size`` is the side of the central template window that is
    patchified a second time. ``pretrain_grid`` is the side of the square position table the
    backbone was pre-trained with (CLIP B/16: 14, L/14: 16).
    """

    name: str
    patch_size: int = 16
    embed_dim: int = 768
    depth: int = 12
    num_heads: int = 12
    mlp_ratio: float = 4.0
    activation: str = "quick_gelu"      # "quick_gelu" (CLIP) or "gelu" (MAE / timm)
    norm_eps: float = 1e-5
    pre_norm: bool = True               # CLIP's ln_pre before the first block
    patch_bias: bool = False            # CLIP's conv1 has no bias, timm/MAE's patch_embed has one
    clip_proj_dim: int = 512            # CLIP's unused output projection, kept for lossless conversion (0: none)
    pretrain_grid: int = 14
    template_size: int = 112
    search_size: int = 224
    foveal_size: int = 64
    template_factor: float = 2.0
    search_factor: float = 4.0
    hidden_dim: int = 256               # bottleneck width fed to the corner head
    head_channels: int = 256            # first conv width of each corner branch (then /2, /4, /8)

    def __post_init__(self):
        for name in _POSITIVE:
            if not getattr(self, name) > 0:
                raise ConfigError(f"variant {self.name!r}: {name} must be positive, got {getattr(self, name)!r}")
        for name in ("template_size", "search_size", "foveal_size"):
            if getattr(self, name) % self.patch_size:
                raise ConfigError(
                    f"variant {self.name!r}: {name}={getattr(self, name)} is not a multiple of "
                    f"patch_size={self.patch_size}")
        if self.foveal_size > self.template_size:
            raise ConfigError(f"variant {self.name!r}: foveal_size must not exceed template_size")
        if (self.template_size - self.foveal_size) % (2 * self.foveal_size) == 0:
            # The official code switches to a shifted-template path for such sizes; no released
            # model uses it, so we refuse rather than guess.
            raise ConfigError(f"variant {self.name!r}: template_size - foveal_size must not be a "
                              f"multiple of 2 * foveal_size (unsupported shifted foveal window)")
        if self.embed_dim % self.num_heads:
            raise ConfigError(f"variant {self.name!r}: embed_dim must be divisible by num_heads")
        if self.activation not in ("quick_gelu", "gelu"):
            raise ConfigError(f"variant {self.name!r}: activation must be 'quick_gelu' or 'gelu'")
        if self.head_channels % 8:
            raise ConfigError(f"variant {self.name!r}: head_channels must be a multiple of 8")

    @property
    def template_grid(self):
        return self.template_size // self.patch_size

    @property
    def search_grid(self):
        return self.search_size // self.patch_size

    @property
    def foveal_grid(self):
        return self.foveal_size // self.patch_size

    @property
    def foveal_offset(self):
        """Pixel offset of the central foveal window inside the template crop."""
        return (self.template_size - self.foveal_size) // 2

    @property
    def foveal_neighbours(self):
        """Template-grid offsets whose position embeddings are averaged for the foveal tokens.

        Foveal patch (a, b) takes the mean of template embeddings (a+lo, b+lo) and (a+hi, b+hi)
        with lo = (template_grid - foveal_grid) // 2 and hi = lo + 1: the official rule. For
        B/16 the window starts 1.5 patches in, so these are its two diagonal neighbours.
        """
        low = (self.template_grid - self.foveal_grid) // 2
        return low, low + 1

    def to_dict(self):
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, values):
        """Build from a mapping; unknown keys and values of the wrong type are an error (a typo must not
        be ignored, and configs come from files: ``"embed_dim": "128"`` must not reach the model).
        Ints lie in [0, ``limits.MAX_CONFIG_INT``], floats are finite."""
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ConfigError(f"unknown model config key(s) {unknown}; known keys: {sorted(known)}")
        hints = typing.get_type_hints(cls)
        for key, value in values.items():
            if not _fits(hints[key], value):
                raise ConfigError(f"model config {key} = {value!r} is not a {hints[key].__name__}"
                                  + (f" in [0, {MAX_CONFIG_INT}]" if hints[key] in (int, float) else "")
                                  + "; fix the value in the config")
        return cls(**values)


def _fits(kind, value):
    """``value`` has type ``kind`` as a config field (a bool is no number, an int is a float) and a sane size."""
    if kind is bool or kind is str:
        return type(value) is kind
    if type(value) is int or (kind is float and type(value) is float):
        return math.isfinite(value) and 0 <= value <= MAX_CONFIG_INT
    return False


VARIANTS = {
    # The paper's model: CLIP ViT-B/16 backbone.
    "b16": ModelConfig(name="b16"),
    # CLIP ViT-L/14. The official code has no L/14 definition; derived by analogy with B/16:
    # 8x8 template and 16x16 search grids, a 4x4 foveal window of 56 px, and the paper's
    # template area factor 1.5 for this model (see docs/model.md).
    "l14": ModelConfig(name="l14", patch_size=14, embed_dim=1024, depth=24, num_heads=16,
                       clip_proj_dim=768, pretrain_grid=16, template_size=112, search_size=224,
                       foveal_size=56, template_factor=1.5),
    # Standard ViT-B/16 (MAE / timm weights): GELU, LayerNorm eps 1e-6, patch bias, no ln_pre.
    "b16_mae": ModelConfig(name="b16_mae", activation="gelu", norm_eps=1e-6, pre_norm=False,
                           patch_bias=True, clip_proj_dim=0),
    # A few narrow layers with B/16's token layout at half the crop size: tests and the demo.
    "tiny": ModelConfig(name="tiny", patch_size=8, embed_dim=128, depth=4, num_heads=4,
                        clip_proj_dim=0, template_size=56, search_size=112, foveal_size=32,
                        hidden_dim=64, head_channels=64),
}


def get_config(variant: Union[str, "ModelConfig"]) -> "ModelConfig":
    """Look a variant up by name (or pass a ModelConfig through)."""
    if isinstance(variant, ModelConfig):
        return variant
    try:
        return VARIANTS[variant]
    except KeyError:
        raise ConfigError(f"unknown variant {variant!r}; choose one of {sorted(VARIANTS)}") from None
