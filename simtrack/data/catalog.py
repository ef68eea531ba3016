"""Every fact of a dataset under its one name: display name, usual folder, splits, which toolkit's
rules score it, which splits only a server can score, shorthand names, and how it is read.

Everything else asks this catalogue (readers, roots, the runner, scoring, reports, submissions,
the ``--dataset`` help), so adding a dataset is one entry here plus its reader module.

Dataset keys name what was run or scored (``Sequence.dataset``, result folders): the dataset name
for its default split, ``<name>_<split>`` otherwise, and GOT-10k always with its split
(``got10k_val``, ``got10k_test``) because both are benchmarks.
"""
import difflib
from dataclasses import dataclass, field
from importlib import import_module
from pathlib import Path
from typing import Callable, Optional

from ..errors import DatasetError
from .layouts import Layout, dtb70_toolkit_layout, folders, lasot_toolkit, pysot
from .readers import avist, coco, dtb70, folder, got10k, lasot, nfs, otb, tc128, tnl2k, trackingnet, uav123, vasttrack
from .synthetic import demo_root

# whose official toolkit scores a dataset: the LaSOT/TNL2K MATLAB code, the OTB MATLAB code (UAV123:
# the same with NaN rows), the GOT-10k toolkit, the TrackingNet devkit, the TC128 scripts, and
# pytracking's analysis for AVisT (which has no toolkit of its own)
FAMILIES = ("lasot", "otb", "uav", "got10k", "trackingnet", "tc128", "avist")


@dataclass(frozen=True)
class Generated:
    """How a dataset that is written on first use is found and written."""

    locate: Callable[[Path], Path]       # its folder for a given root (which may not exist yet)
    complete: Callable[[Path], bool]     # whether that folder is whole (a check that needs no generator)
    writer: str                          # "module:function" writing it, imported only when needed (OpenCV)

    def prepare(self, path: Path) -> None:
        """Write the dataset at ``path`` unless a whole one is there."""
        if not self.complete(path):
            module, _, function = self.writer.partition(":")
            getattr(import_module(module), function)(path)


@dataclass(frozen=True)
class Dataset:
    """One dataset: its facts and its reader.

    ``family`` names the official toolkit whose rules score it (``benchmarks.scoring`` maps each
    family to rules), None for training-only data. ``servers`` maps each split without public ground
    truth to the evaluation server that scores it. ``aliases`` are shorthand names for a split
    (``got10k_test`` for GOT-10k's test split).
    """

    name: str
    display: str
    folder: Optional[str]          # usual folder under $SIMTRACK_DATA or ./data; None: no default place
    family: Optional[str]
    layout: str                    # sketch of the dataset's own folders, shown when it is missing
    splits: tuple[str, ...]        # accepted splits; the first is the default
    names: Callable                # (root, split) -> sequence names (listings and list files only)
    load: Callable                 # (root, split, name, dataset key, frames_required) -> Sequence
    signature: tuple[str, ...] = ("*",)    # globs, one of which matches in a root of its own folders
    bundles: tuple[Layout, ...] = ()       # annotation-only layouts, recognised before its own folders
    split_in_key: bool = False             # the split is always part of the key (GOT-10k)
    aliases: dict[str, str] = field(default_factory=dict)
    servers: dict[str, str] = field(default_factory=dict)
    generated: Optional[Generated] = None  # written on first use instead of downloaded (the demo set)

    def __post_init__(self):
        """A family outside ``FAMILIES`` has no scoring rules (``benchmarks.scoring.metrics.protocols``
        branches on these names): a typo in the catalogue fails at import, not when scoring."""
        if self.family is not None and self.family not in FAMILIES:
            raise ValueError(f"dataset {self.name!r}: family {self.family!r} is not one of {', '.join(FAMILIES)}")

    @property
    def layouts(self) -> tuple[Layout, ...]:
        """Every layout this dataset is read from, in the order they are recognised."""
        return self.bundles + (folders(self.layout, self.names, self.load, self.signature),)

    def key(self, split: str) -> str:
        """The dataset key of ``split`` (see the module docstring)."""
        if self.split_in_key or split != self.splits[0]:
            return f"{self.name}_{split}"
        return self.name

    def display_name(self, split: str) -> str:
        """'LaSOT', 'GOT-10k val', 'TrackingNet (train_0)'."""
        if self.split_in_key:
            return f"{self.display} {split}"
        return self.display if split == self.splits[0] else f"{self.display} ({split})"


_TEST = ("test",)
_LASOT_SIGNATURE = ("*/*-*",)
GOT10K_SERVER = "GOT-10k test server (http://got-10k.aitestunion.com/submit_instructions)"
TRACKINGNET_SERVER = "TrackingNet evaluation server (eval.ai, linked from the TrackingNet website)"

CATALOG: dict[str, Dataset] = {dataset.name: dataset for dataset in (
    Dataset("lasot", "LaSOT", "LaSOT", "lasot", lasot.LAYOUT, ("test", "train"), lasot.names, lasot.load,
            _LASOT_SIGNATURE, (lasot_toolkit(), pysot({"test": ("LaSOT",)}))),
    Dataset("lasot_ext", "LaSOT-ext", "LaSOT_ext", "lasot", lasot.LAYOUT, _TEST, lasot.all_names, lasot.load,
            _LASOT_SIGNATURE, (lasot_toolkit(every_file=True),)),
    Dataset("got10k", "GOT-10k", "GOT-10k", "got10k", got10k.LAYOUT, got10k.SPLITS, got10k.names, got10k.load,
            ("train", "val", "test"),
            (pysot({"val": ("GOT-10k",), "test": ("GOT-10k",)}, {"val": "GOT-10k_Val_", "test": "GOT-10k_Test_"}),),
            split_in_key=True, aliases={"got10k_val": "val", "got10k_test": "test"},
            servers={"test": GOT10K_SERVER}),
    Dataset("trackingnet", "TrackingNet", "TrackingNet", "trackingnet", trackingnet.LAYOUT, trackingnet.SPLITS,
            trackingnet.names, trackingnet.load, ("TEST", "TRAIN_*"), (pysot({"test": ("TrackingNet",)}),),
            servers={"test": TRACKINGNET_SERVER}),
    Dataset("uav123", "UAV123", "UAV123", "uav", uav123.LAYOUT, uav123.SPLITS, uav123.names, uav123.load, ("anno",),
            (pysot({"test": ("UAV123",), "uav20l": ("UAV20L",)}),)),
    Dataset("tnl2k", "TNL2K", "TNL2K", "lasot", tnl2k.LAYOUT, _TEST, tnl2k.names, tnl2k.load,
            ("*/groundtruth.txt", "*/imgs")),
    Dataset("otb100", "OTB100", "OTB100", "otb", otb.LAYOUT, otb.SPLITS, otb.names, otb.load,
            ("*/groundtruth_rect*.txt", "*/img"),
            (pysot({"test": ("OTB100", "OTB2015"), "otb50": ("OTB50",), "cvpr13": ("CVPR13",)}),)),
    Dataset("nfs", "NfS", "NFS", "otb", nfs.LAYOUT, nfs.SPLITS, nfs.names, nfs.load, ("*/30", "*/240"),
            (pysot({"test": ("NFS30",), "240": ("NFS240",)}),)),
    Dataset("tc128", "TC128", "TC128", "tc128", tc128.LAYOUT, tc128.SPLITS, tc128.names, tc128.load,
            ("*/*_gt.txt",)),
    Dataset("tc128ce", "TC128-CE", "TC128", "tc128", tc128.LAYOUT, tc128.SPLITS, tc128.ce_names, tc128.load,
            ("*/*_gt.txt",)),
    Dataset("dtb70", "DTB70", "DTB70", "otb", dtb70.LAYOUT, dtb70.SPLITS, dtb70.names, dtb70.load,
            ("*/groundtruth_rect.txt", "*/img"), (dtb70_toolkit_layout(),)),
    Dataset("vasttrack", "VastTrack", "VastTrack", "lasot", vasttrack.LAYOUT, vasttrack.SPLITS, vasttrack.names,
            vasttrack.load, ("*/*/Groundtruth.txt",),
            (lasot_toolkit(toolkit="the VastTrack MATLAB toolkit", attributes=vasttrack.ATTRIBUTES, fps=None,
                           fallback=False),)),
    Dataset("avist", "AVisT", "AVisT", "avist", avist.LAYOUT, avist.SPLITS, avist.names, avist.load, ("anno",)),
    Dataset("coco", "COCO", "COCO", None, coco.LAYOUT, coco.SPLITS, coco.names, coco.load, ("annotations",)),
    Dataset("folder", "Folder", None, "otb", folder.LAYOUT, _TEST, folder.names, folder.load),
    Dataset("demo", "Demo", demo_root.FOLDER, "lasot", lasot.LAYOUT, _TEST, lasot.names, lasot.load,
            generated=Generated(demo_root.locate_demo_root, demo_root.is_complete,
                                "simtrack.data.synthetic.generator:ensure_demo_dataset")),
)}
ALIASES: dict[str, tuple[str, str]] = {alias: (dataset.name, split) for dataset in CATALOG.values()
                                       for alias, split in dataset.aliases.items()}


def dataset_names():
    """Every name ``load_dataset`` accepts, shorthands included."""
    return list(CATALOG) + list(ALIASES)


def benchmark_keys():
    """The keys of the benchmarks people run (for help texts): shorthands where a dataset has them."""
    keys = []
    for dataset in CATALOG.values():
        if dataset.family is not None:
            keys += list(dataset.aliases) or [dataset.name]
    return keys


def get(name: str) -> Dataset:
    """The catalogue entry of ``name``; a DatasetError suggesting the closest name otherwise."""
    if name not in CATALOG:
        close = difflib.get_close_matches(str(name), dataset_names(), n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise DatasetError(f"unknown dataset {name!r}{hint}; known datasets: {', '.join(dataset_names())}")
    return CATALOG[name]


def parse_key(key: str) -> Optional[tuple[Dataset, str]]:
    """``(dataset, split)`` of a dataset key (``got10k_test``, ``trackingnet_train_0``), or None."""
    if key in ALIASES:
        name, split = ALIASES[key]
        return CATALOG[name], split
    if key in CATALOG and not CATALOG[key].split_in_key:
        return CATALOG[key], CATALOG[key].splits[0]
    for name in sorted(CATALOG, key=len, reverse=True):
        if key.startswith(name + "_") and key[len(name) + 1:] in CATALOG[name].splits:
            return CATALOG[name], key[len(name) + 1:]
    return None


def display_name(key: str) -> str:
    """How reports name a dataset key ('LaSOT', 'GOT-10k val', 'TrackingNet (train_0)', a merged
    'OTB100 + NfS'); an unknown key as it is."""
    if "+" in key:
        return " + ".join(display_name(part) for part in key.split("+"))
    found = parse_key(key)
    return key if found is None else found[0].display_name(found[1])


def server(key: str) -> Optional[str]:
    """The evaluation server of a dataset key without public ground truth, else None."""
    found = parse_key(key)
    return None if found is None else found[0].servers.get(found[1])


def server_keys():
    """Every dataset key that only a server can score (the splits ``benchmarks.submit`` packs)."""
    return [dataset.key(split) for dataset in CATALOG.values() for split in dataset.servers]
