"""``load_dataset`` and its helpers: a dataset name and split become a list of ``Sequence`` records.

The facts of each dataset (splits, folder, readers, bundles) come from ``catalog``. Every reader
offers ``names(root, split)`` (cheap: listings and list files only) and ``load(root, split, name,
dataset)`` (parses one sequence), so ``sequences=`` only parses what was asked for.
"""
import difflib
from collections.abc import Iterable
from pathlib import Path
from typing import Optional, Union

from ..errors import DatasetError
from ..names import check_names
from .catalog import ALIASES, get
from .layouts import find_layout
from .roots import candidate_root, missing_root_error
from .sequence import Sequence


def dataset_key(name: str, split: Optional[str] = None) -> str:
    """The key stored in ``Sequence.dataset`` (and used for result folders), e.g. ``got10k_test``.

    It is the dataset name for the default split and ``<name>_<split>`` otherwise; GOT-10k always
    carries its split because both val and test are benchmarks.
    """
    name, split = _select(name, split)
    return get(name).key(split)


def resolve_root(name: str, root: Union[str, Path, None] = None) -> Path:
    """The folder dataset ``name`` is read from; raises a DatasetError saying where to put it if missing."""
    name, _ = _select(name, None)
    reader = get(name)
    path, source = candidate_root(reader, root)
    if reader.generated is not None:
        return reader.generated.locate(path)
    if not (path.is_dir() or (path.is_file() and path.suffix.lower() == ".json")):
        raise missing_root_error(reader, path, source)
    return path


def load_dataset(name: str, root: Union[str, Path, None] = None, split: Optional[str] = None,
                 sequences: Union[str, Iterable[str], None] = None, frames_required: bool = True) -> list[Sequence]:
    """Read a dataset split as a list of ``Sequence`` records (optionally only the named sequences).

    ``root`` may hold the dataset's own folders or one of its annotation-only bundles (the LaSOT
    toolkit's ``annos/``, a pysot JSON file, or the folders without their frames); the layout is
    recognised from what is there. Sequence names (from lists, bundles, folder listings) must be valid
    file names and listed once (``simtrack.names``). ``frames_required=False`` (scoring) reads no frame and accepts
    roots without any: sequences whose frames cannot be listed get a ``MissingFrames``.
    """
    key = dataset_key(name, split)
    name, split = _select(name, split)
    reader = get(name)
    path = resolve_root(name, root)
    if reader.generated is not None:
        reader.generated.prepare(path)
    source = find_layout(name, reader.layouts, path, split, frames_required)
    available = check_names(source.names(split), "sequence name", source.path)   # they become file names
    chosen = available if sequences is None else _check_requested(sequences, available, key, source.path)
    return [source.load(split, sequence, key, frames_required) for sequence in chosen]


def _select(name, split):
    """Resolve shorthands and validate the split; returns ``(canonical name, split)``."""
    if name in ALIASES:
        name, implied = ALIASES[name]
        if split is not None and split.lower() != implied:
            raise DatasetError(f"dataset {name}_{implied} already means split {implied!r}; got split={split!r}")
        split = implied
    splits = get(name).splits
    split = splits[0] if split is None else split.lower()
    if split not in splits:
        raise DatasetError(f"unknown split {split!r} for {name}; choose one of {', '.join(splits)} "
                           f"(default {splits[0]})")
    return name, split


def _check_requested(sequences, available, key, path):
    requested = [sequences] if isinstance(sequences, str) else list(dict.fromkeys(sequences))
    known = set(available)
    unknown = [sequence for sequence in requested if sequence not in known]
    if unknown:
        close = difflib.get_close_matches(unknown[0], available, n=3)
        hint = f"; close matches for {unknown[0]!r}: {', '.join(close)}" if close else ""
        examples = ", ".join(available[:3]) + (", ..." if len(available) > 3 else "")
        raise DatasetError(f"unknown sequence name(s) for {key} at {path}: {', '.join(unknown)}{hint} "
                           f"({len(available)} sequences, e.g. {examples or 'none'})")
    return requested
