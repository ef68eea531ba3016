"""Where each dataset lives: an explicit root, else ``$SIMTRACK_DATA/<usual folder>``, else ``./data/<folder>``.

The usual folder of each dataset is its catalogue entry's ``folder`` (``simtrack.data.catalog``).
"""
import os
from pathlib import Path

from ..errors import DatasetError

ENV_VAR = "SIMTRACK_DATA"


def candidate_root(dataset, root=None):
    """Return ``(path, how it was chosen)`` for ``dataset`` (a catalogue entry) without checking that it exists.

    An explicit ``root`` may be the dataset folder itself or a data folder that holds the usual
    subfolder (``--data-root ~/data`` and ``--data-root ~/data/LaSOT`` both work).
    """
    folder = dataset.folder
    if root is not None:
        path = Path(root).expanduser()
        if folder and (path / folder).is_dir():
            return path / folder, "the given data root"
        return path, "the given data root"
    if folder is None:
        raise DatasetError(f"dataset {dataset.name!r} has no default location: pass its folder explicitly "
                           f"(--data-root DIR, or root= in load_dataset)")
    return default_root(folder)


def default_root(folder):
    """``($SIMTRACK_DATA/<folder>, "$SIMTRACK_DATA")``, else ``(./data/<folder>, ...)``."""
    if os.environ.get(ENV_VAR):
        return Path(os.environ[ENV_VAR]).expanduser() / folder, f"${ENV_VAR}"
    return Path("data") / folder, "the default ./data folder"


def missing_root_error(dataset, path, source):
    """The error for a dataset folder that does not exist: path tried, expected layout, how to fix."""
    folder = dataset.folder
    sketch = "\n".join("  " + line.replace("<root>", folder or "<root>") for line in dataset.layout.splitlines())
    bundles = [layout.description for layout in dataset.bundles]
    how = (f"Point at it with --data-root DIR (the {folder} folder itself or the folder that holds it) "
           f"or set {ENV_VAR} to the folder that holds {folder}/." if folder else
           "Point at it with --data-root DIR.")
    also = f"\nAnnotation-only bundles read too: {'; '.join(bundles)}." if bundles else ""
    return DatasetError(f"{dataset.name} dataset not found at {path} (from {source}). Expected layout:\n{sketch}{also}\n{how}")
