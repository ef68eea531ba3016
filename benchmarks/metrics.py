"""Deprecated: moved to ``benchmarks.scoring.metrics`` (this name works until the next release)."""
from simtrack.deprecation import alias_module

alias_module(__name__, "benchmarks.scoring.metrics")
