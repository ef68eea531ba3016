"""Training recipes: YAML files with strictly known keys, read into frozen dataclasses.

A recipe has four sections (``model``, ``data``, ``optim``, ``run``); every key has a default
(the paper's STARK pipeline values, see docs/training.md), so a recipe only lists what differs.
A key that no section knows is an error naming it and the known keys: a typo must never fall
back silently to a default.
"""
import dataclasses
import sys
import typing
from dataclasses import dataclass
from pathlib import Path

from ..devices import parse_device
from ..errors import ConfigError
from ..formats.regular_files import read_regular
from ..limits import MAX_RECIPE_BYTES
from ..model import VARIANTS
from ..speed import TORCH_PRECISIONS
from .recipe_yaml import parse_recipe


@dataclass(frozen=True)
class Jitter:
    """Box jitter before cropping: size * exp(N(0,1) * scale), centre + sqrt(w h) * centre * U(-1/2, 1/2)."""

    centre: float = 0.0
    scale: float = 0.0


@dataclass(frozen=True)
class DatasetEntry:
    """One training source and its share of the samples.

    ``name`` is a ``simtrack.data`` dataset key (lasot, got10k, trackingnet, coco) or ``synthetic``;
    ``split`` is a split of that reader, or a list of splits (concatenated, e.g. TrackingNet chunks).
    ``sequences`` / ``frames`` size the on-the-fly synthetic source and are ignored otherwise.
    """

    name: str
    split: typing.Any = None
    ratio: float = 1.0
    root: typing.Optional[str] = None
    sequences: int = 1000
    frames: int = 50


@dataclass(frozen=True)
class ModelSection:
    variant: str = "b16"
    backbone_init: typing.Optional[str] = None   # local CLIP / timm / MAE file; never downloaded


@dataclass(frozen=True)
class DataSection:
    datasets: tuple[DatasetEntry, ...] = ()
    root: typing.Optional[str] = None             # default: $SIMTRACK_DATA, else ./data
    samples_per_epoch: int = 60000                # global, over all processes
    max_gap: int = 200
    pairs_per_sequence: int = 1                   # consecutive samples sharing a sequence (1: reference)
    template_jitter: Jitter = Jitter(0.0, 0.0)
    search_jitter: Jitter = Jitter(3.5, 0.5)
    grayscale_prob: float = 0.05
    frame_flip_prob: float = 0.5                  # joint flip of both full frames
    crop_flip_prob: float = 0.5                   # independent flip of each crop
    brightness_jitter: float = 0.2
    workers: int = 4


@dataclass(frozen=True)
class OptimSection:
    epochs: int = 50
    batch_size: int = 64                          # per process
    lr: float = 1e-4
    weight_decay: float = 1e-4
    backbone_lr_mult: float = 0.1
    lr_drop_epoch: int = 40
    lr_gamma: float = 0.1
    grad_clip: float = 0.1                        # global norm; 0 disables
    giou_weight: float = 2.0
    l1_weight: float = 5.0
    corner_map_weight: float = 0.0                # extra corner-map cross-entropy (not in the reference)
    precision: str = "fp32"                       # fp32 | bf16 | fp16 autocast (fp16 with a gradient scaler)


@dataclass(frozen=True)
class RunSection:
    output_dir: str = "runs/simtrack"
    seed: int = 42
    device: str = "auto"                          # auto | cpu | cuda | cuda:N (cuda under torchrun: LOCAL_RANK's GPU)
    threads: int = 0                              # torch CPU threads per process (0: torch's default)
    log_every: int = 20
    tensorboard: bool = True
    keep_epochs: int = 10                         # epoch weight files kept (0: all)
    export: typing.Optional[str] = None           # also write the final weights here
    sync_batchnorm: bool = False                  # head BatchNorm statistics over all processes (DDP)


@dataclass(frozen=True)
class TrainConfig:
    model: ModelSection = ModelSection()
    data: DataSection = DataSection()
    optim: OptimSection = OptimSection()
    run: RunSection = RunSection()
    name: str = "recipe"

    def to_dict(self):
        return dataclasses.asdict(self)


def load_config(path):
    """Read and validate a recipe file; the recipe's name is the file stem."""
    path = Path(path)
    if not path.exists():
        raise ConfigError(f"training config {path} does not exist (recipes live in simtrack/configs/*.yaml)")
    data = read_regular(path, MAX_RECIPE_BYTES, "training config", ConfigError, "the shipped recipes are ~1 KB")
    raw = parse_recipe(data.decode("utf-8", errors="replace"), path)
    if raw is None:
        raw = {}
    config = config_from_dict(raw, source=str(path))
    return dataclasses.replace(config, name=path.stem) if "name" not in raw else config


def config_from_dict(raw, source="config"):
    """Build a TrainConfig from nested mappings, refusing unknown keys and ill-typed values."""
    config = _build(TrainConfig, _renamed_keys(raw, source), source, "")
    _validate(config, source)
    return config


def _renamed_keys(raw, source):
    """Accept ``optim.amp`` (``none|bf16|fp16``), the old name of ``optim.precision``, with a notice."""
    optim = raw.get("optim") if isinstance(raw, dict) else None
    if not isinstance(optim, dict) or "amp" not in optim:
        return raw
    if "precision" in optim:
        raise ConfigError(f"{source}: optim.amp is the old name of optim.precision; give only optim.precision")
    print(f"note: {source}: optim.amp is deprecated and will be removed in the next release; "
          f"use optim.precision (fp32, bf16 or fp16)", file=sys.stderr)
    optim = {("precision" if key == "amp" else key): value for key, value in optim.items()}
    if optim["precision"] == "none":
        optim["precision"] = "fp32"
    return dict(raw, optim=optim)


def with_overrides(config, overrides, source="command line"):
    """``config`` with ``{"section.key": value}`` replaced, validated as a recipe file would be.

    Keys may go deeper (``data.search_jitter.centre``) where the recipe nests mappings.
    """
    raw = _as_plain(config.to_dict())
    for dotted, value in overrides.items():
        section, _, key = dotted.partition(".")
        if not key or not isinstance(raw.get(section), dict):
            raise ConfigError(f"{source}: {dotted!r} is not a recipe key; expected section.key with a section "
                              f"among {', '.join(name for name, v in raw.items() if isinstance(v, dict))}")
        parent, *path = [section] + key.split(".")
        target = raw[parent]
        for step in path[:-1]:
            if not isinstance(target.get(step), dict):
                raise ConfigError(f"{source}: {dotted!r} is not a recipe key; {step!r} holds no keys below it")
            target = target[step]
        target[path[-1]] = value
    return config_from_dict(raw, source)


def _as_plain(value):
    """``asdict`` output with tuples as lists, as YAML would give them."""
    if isinstance(value, dict):
        return {key: _as_plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_as_plain(item) for item in value]
    return value


def _build(cls, raw, source, where):
    if not isinstance(raw, dict):
        raise ConfigError(f"{source}: {where.rstrip('.') or 'the top level'} must be a mapping of keys, got {raw!r}")
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(raw) - set(fields))
    if unknown:
        raise ConfigError(f"{source}: unknown key(s) {', '.join(where + k for k in unknown)}; "
                          f"known keys{' in ' + where.rstrip('.') if where else ''}: {sorted(fields)}")
    hints = typing.get_type_hints(cls)
    values = {}
    for key, value in raw.items():
        values[key] = _convert(hints[key], value, source, where + key)
    return cls(**values)


def _convert(hint, value, source, key):
    if dataclasses.is_dataclass(hint):
        return _build(hint, value, source, key + ".")
    if typing.get_origin(hint) is tuple:  # the dataset list: tuple[DatasetEntry, ...]
        if not isinstance(value, list) or not value:
            raise ConfigError(f"{source}: {key} must be a non-empty list of datasets, e.g. "
                              f"[{{name: got10k, split: train_full}}]")
        entry = typing.get_args(hint)[0]
        return tuple(_build(entry, item, source, f"{key}[{i}].") for i, item in enumerate(value))
    optional = typing.get_origin(hint) is typing.Union
    base = typing.get_args(hint)[0] if optional else hint
    if value is None and optional or base is typing.Any:
        return value
    if base is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if not isinstance(value, base) or (base is int and isinstance(value, bool)):
        raise ConfigError(f"{source}: {key} must be of type {base.__name__}, got {value!r}")
    return value


def _validate(config, source):
    if config.model.variant not in VARIANTS:
        raise ConfigError(f"{source}: model.variant {config.model.variant!r} is not one of {sorted(VARIANTS)}")
    if config.optim.precision not in TORCH_PRECISIONS:
        raise ConfigError(f"{source}: optim.precision must be one of {', '.join(TORCH_PRECISIONS)}, "
                          f"got {config.optim.precision!r}")
    parse_device(config.run.device, f"{source}: run.device")
    for key in ("epochs", "batch_size"):
        if getattr(config.optim, key) < 1:
            raise ConfigError(f"{source}: optim.{key} must be at least 1")
    data = config.data
    if min(data.samples_per_epoch, data.max_gap, data.pairs_per_sequence) < 1 or data.workers < 0:
        raise ConfigError(f"{source}: data.samples_per_epoch, data.max_gap and data.pairs_per_sequence "
                          f"must be >= 1, data.workers >= 0")
    if not config.data.datasets:
        raise ConfigError(f"{source}: data.datasets is empty; list at least one dataset")
    for entry in config.data.datasets:
        split = entry.split
        if not (split is None or isinstance(split, str)
                or (isinstance(split, list) and split and all(isinstance(item, str) for item in split))):
            raise ConfigError(f"{source}: dataset {entry.name!r} has split {split!r}; a split is a name or a "
                              "list of names")
        if entry.ratio <= 0:
            raise ConfigError(f"{source}: dataset {entry.name!r} has ratio {entry.ratio}; ratios must be > 0")
