"""Which distribution of a dataset a root holds: its own folders, or an annotation-only bundle.

A dataset can be read from several layouts (LaSOT from its folders, from the LaSOT toolkit's
``annos/`` or from pysot's ``LaSOT.json``). ``find_layout`` recognises the one that is there from
the files it sees, the bundles first (they are the more specific), and names every layout it
reads when it recognises none. Bundles without frames can be scored but not tracked.
"""
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Callable

from ..errors import DatasetError
from .bundles import dtb70_toolkit, lasot_annos, pysot_json


@dataclass(frozen=True)
class Layout:
    """One way a dataset is distributed; ``find(path, split)`` gives the folder or file it is read
    from (None when ``path`` does not hold it); names/load take that in place of the dataset root."""

    description: str
    sketch: str
    find: Callable
    names: Callable       # (source, split) -> names
    load: Callable        # (source, split, name, dataset, frames_required) -> Sequence
    has_frames: bool = True


@dataclass(frozen=True)
class Source:
    """The layout found for one root, ready to list and read sequences."""

    layout: Layout
    path: Path

    def names(self, split):
        return self.layout.names(self.path, split)

    def load(self, split, name, dataset, frames_required):
        return self.layout.load(self.path, split, name, dataset, frames_required)


def folders(sketch, names, load, signature):
    """The dataset's own layout, present when any glob of ``signature`` matches under the root."""
    def find(path, split):
        path = Path(path)
        if path.is_dir() and any(next(path.glob(pattern), None) is not None for pattern in signature):
            return path
        return None
    return Layout("the dataset's own folders", sketch, find, names, load)


def lasot_toolkit(every_file=False, toolkit="the LaSOT evaluation toolkit", attributes=None, fps=30, fallback=True):
    """The LaSOT evaluation toolkit's ``annos/`` (LaSOT-ext: every file there is a test sequence); also
    VastTrack's MATLAB toolkit (its own ``attributes``, no fallback name list)."""
    names = partial(lasot_annos.names, every_file=every_file) if fallback else \
        partial(lasot_annos.names, every_file=every_file, fallback=None)
    load = lasot_annos.load if attributes is None else partial(lasot_annos.load, attributes=attributes, fps=fps)
    return Layout(f"{toolkit}'s annotations (no frames)", lasot_annos.LAYOUT,
                  lambda path, split: lasot_annos.annos_folder(path), names, load, has_frames=False)


def dtb70_toolkit_layout():
    """The DTB70 toolkit's ``experiments/anno/`` (ground truth and attribute flags, no frames)."""
    return Layout("the DTB70 toolkit's annotations (no frames)", dtb70_toolkit.LAYOUT,
                  lambda path, split: dtb70_toolkit.anno_folder(path), dtb70_toolkit.names, dtb70_toolkit.load,
                  has_frames=False)


def pysot(files, prefixes=None):
    """pysot-toolkit JSON; ``files`` maps each split to the file stems pysot uses for it, ``prefixes``
    the video-name prefix of the split when one file holds several splits (GOT-10k)."""
    known = {stem.lower(): split for split, stems in files.items() for stem in stems}

    def find(path, split):
        path = Path(path)
        if pysot_json.is_pysot_json(path):
            other = known.get(path.stem.lower())
            if other is not None and other != split and not (prefixes and prefixes.get(split)):
                raise DatasetError(f"{path} is pysot's file for split {other!r}; add --split {other} "
                                   f"(split {split!r} reads {' or '.join(s + '.json' for s in files.get(split, ()))})")
            return path
        if path.is_dir():
            present = {entry.name.lower(): entry for entry in path.iterdir() if entry.suffix.lower() == ".json"}
            for stem in files.get(split, ()):
                if f"{stem.lower()}.json" in present:
                    return present[f"{stem.lower()}.json"]
        return None

    def names(source, split):
        return pysot_json.names(source, (prefixes or {}).get(split, ""))

    def load(source, split, name, dataset, frames_required):
        return pysot_json.load(source, name, dataset, frames_required)

    stems = ", ".join(dict.fromkeys(f"{stem}.json" for group in files.values() for stem in group))
    return Layout(f"pysot-toolkit JSON ({stems})", pysot_json.LAYOUT, find, names, load)


def find_layout(dataset, layouts, path, split, frames_required):
    """The ``Source`` of the first layout ``path`` holds; a DatasetError listing them all if none."""
    for layout in layouts:
        found = layout.find(path, split)
        if found is None:
            continue
        if frames_required and not layout.has_frames:
            raise DatasetError(f"{found} holds {layout.description}: it can be scored (benchmarks.evaluate, "
                               "benchmarks.submit) but not tracked or trained on; point at the dataset's frames")
        return Source(layout, Path(found))
    listed = "\n".join(f"  - {layout.description}:\n" + "\n".join(f"      {line}" for line in layout.sketch.splitlines())
                       for layout in layouts)
    raise DatasetError(f"{path} holds none of the {dataset} layouts we read (split {split!r}); expected layouts:\n"
                       f"{listed}\nPoint --data-root at one of them (a folder, or the JSON file itself).")
