"""Old import paths kept for one release: each use warns once (``FutureWarning``) and names the new place."""
import sys
import warnings
from importlib import import_module


def notice(old, new, stacklevel=3):
    warnings.warn(f"{old} is deprecated and will be removed in the next release; use {new}", FutureWarning,
                  stacklevel=stacklevel)


def forward(module, name, moved):
    """A module's ``__getattr__`` for names that moved: ``moved`` maps each name to its new module."""
    if name not in moved:
        raise AttributeError(f"module {module!r} has no attribute {name!r}")
    notice(f"{module}.{name}", f"{moved[name]}.{name}")
    return getattr(import_module(moved[name]), name)


def alias_module(old, new):
    """Called by the module ``old`` as it is imported: it becomes the module ``new``."""
    notice(old, new, stacklevel=4)
    sys.modules[old] = import_module(new)
