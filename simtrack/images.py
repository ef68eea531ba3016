"""Deprecated: moved to ``simtrack.formats.images`` (this name works until the next release)."""
from .deprecation import alias_module

alias_module(__name__, "simtrack.formats.images")
