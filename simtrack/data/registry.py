"""The dataset registry behind ``load_dataset``: names, splits, roots and sequence filtering.

Every reader module offers ``names(root, split)`` (cheap: listings and list files only) and
``load(root, split, name, dataset)`` (parses one sequence), so ``sequences=`` only parses what was
asked for.
"""
import difflib
from dataclasses import dataclass
from typing import Callable, Optional

from ..errors import DatasetError
from .readers import coco, folder, got10k, lasot, nfs, otb, tnl2k, trackingnet, uav123
from .layouts import find_layout, folders, lasot_toolkit, pysot
from .synthetic.demo_root import demo_marker, locate_demo_root
from .roots import candidate_root, missing_root_error


@dataclass(frozen=True)
class Reader:
    layout: str
    splits: tuple          # accepted splits; the first is the default
    names: Callable
    load: Callable
    signature: tuple = ()                      # globs, one of which matches in a root of the dataset's folders
    bundles: tuple = ()                        # other layouts (annotation-only bundles), tried first
    split_in_key: bool = False                 # GOT-10k: the split is always part of the dataset key
    locate: Optional[Callable] = None          # root of a generated dataset, which may not exist yet (demo)
    create: Optional[Callable] = None          # generates that root instead of failing when it is missing

    @property
    def layouts(self):
        """Every layout this dataset is read from, in the order they are recognised."""
        own = folders(self.layout, self.names, self.load, self.signature or ("*",))
        return self.bundles + (own,)


def _prepare_demo(path):
    if demo_marker(path) is None:              # only generating the set needs OpenCV, not reading it
        from .synthetic.generator import prepare_demo_root
        prepare_demo_root(path)


_BENCHMARK = ("test",)
_LASOT_SIGNATURE = ("*/*-*",)
READERS = {
    "lasot": Reader(lasot.LAYOUT, ("test", "train"), lasot.names, lasot.load, _LASOT_SIGNATURE,
                    (lasot_toolkit(), pysot({"test": ("LaSOT",)}))),
    "lasot_ext": Reader(lasot.LAYOUT, _BENCHMARK, lasot.all_names, lasot.load, _LASOT_SIGNATURE,
                        (lasot_toolkit(every_file=True),)),
    "got10k": Reader(got10k.LAYOUT, got10k.SPLITS, got10k.names, got10k.load, ("train", "val", "test"),
                     (pysot({"val": ("GOT-10k",), "test": ("GOT-10k",)},
                            {"val": "GOT-10k_Val_", "test": "GOT-10k_Test_"}),), split_in_key=True),
    "trackingnet": Reader(trackingnet.LAYOUT, trackingnet.SPLITS, trackingnet.names, trackingnet.load,
                          ("TEST", "TRAIN_*"), (pysot({"test": ("TrackingNet",)}),)),
    "uav123": Reader(uav123.LAYOUT, uav123.SPLITS, uav123.names, uav123.load, ("anno",),
                     (pysot({"test": ("UAV123",), "uav20l": ("UAV20L",)}),)),
    "tnl2k": Reader(tnl2k.LAYOUT, _BENCHMARK, tnl2k.names, tnl2k.load, ("*/groundtruth.txt", "*/imgs")),
    "otb100": Reader(otb.LAYOUT, otb.SPLITS, otb.names, otb.load, ("*/groundtruth_rect*.txt", "*/img"),
                     (pysot({"test": ("OTB100", "OTB2015"), "otb50": ("OTB50",), "cvpr13": ("CVPR13",)}),)),
    "nfs": Reader(nfs.LAYOUT, nfs.SPLITS, nfs.names, nfs.load, ("*/30", "*/240"),
                  (pysot({"test": ("NFS30",), "240": ("NFS240",)}),)),
    "coco": Reader(coco.LAYOUT, coco.SPLITS, coco.names, coco.load, ("annotations",)),
    "folder": Reader(folder.LAYOUT, _BENCHMARK, folder.names, folder.load),
    "demo": Reader(lasot.LAYOUT, _BENCHMARK, lasot.names, lasot.load, locate=locate_demo_root, create=_prepare_demo),
}
ALIASES = {"got10k_val": ("got10k", "val"), "got10k_test": ("got10k", "test")}


def dataset_names():
    """Every name ``load_dataset`` accepts, shorthands included."""
    return list(READERS) + list(ALIASES)


def dataset_key(name, split=None):
    """The key stored in ``Sequence.dataset`` (and used for result folders), e.g. ``got10k_test``.

    It is the dataset name for the default split and ``<name>_<split>`` otherwise; GOT-10k always
    carries its split because both val and test are benchmarks.
    """
    name, split = _select(name, split)
    if READERS[name].split_in_key or split != READERS[name].splits[0]:
        return f"{name}_{split}"
    return name


def resolve_root(name, root=None):
    """The folder dataset ``name`` is read from; raises a DatasetError saying where to put it if missing."""
    name, _ = _select(name, None)
    reader = READERS[name]
    path, source = candidate_root(name, root)
    if reader.locate is not None:
        return reader.locate(path)
    if not (path.is_dir() or (path.is_file() and path.suffix.lower() == ".json")):
        raise missing_root_error(name, path, source, reader.layout, [layout.description for layout in reader.bundles])
    return path


def load_dataset(name, root=None, split=None, sequences=None, frames_required=True):
    """Read a dataset split as a list of ``Sequence`` records (optionally only the named sequences).

    ``root`` may hold the dataset's own folders or one of its annotation-only bundles (the LaSOT
    toolkit's ``annos/``, a pysot JSON file, or the folders without their frames); the layout is
    recognised from what is there. ``frames_required=False`` (scoring) reads no frame and accepts
    roots without any: sequences whose frames cannot be listed get a ``MissingFrames``.
    """
    key = dataset_key(name, split)
    name, split = _select(name, split)
    reader = READERS[name]
    path = resolve_root(name, root)
    if reader.create is not None:
        reader.create(path)
    source = find_layout(name, reader.layouts, path, split, frames_required)
    available = source.names(split)
    chosen = available if sequences is None else _check_requested(sequences, available, key, source.path)
    return [source.load(split, sequence, key, frames_required) for sequence in chosen]


def _select(name, split):
    """Resolve shorthands and validate the split; returns ``(canonical name, split)``."""
    if name in ALIASES:
        name, implied = ALIASES[name]
        if split is not None and split.lower() != implied:
            raise DatasetError(f"dataset {name}_{implied} already means split {implied!r}; got split={split!r}")
        split = implied
    if name not in READERS:
        close = difflib.get_close_matches(str(name), dataset_names(), n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise DatasetError(f"unknown dataset {name!r}{hint}; known datasets: {', '.join(dataset_names())}")
    splits = READERS[name].splits
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
