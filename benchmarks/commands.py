"""Console entry points (``simtrack-run``, ``simtrack-evaluate``, ... in setup.cfg).

Each runs one command's ``main`` through ``simtrack.cli.run_cli`` (one-line errors, exit codes),
exactly as ``python -m <module>`` does; the module is imported only when its command runs.
"""
from importlib import import_module

from simtrack.cli import run_cli

MODULES = {
    "simtrack-run": "benchmarks.run", "simtrack-evaluate": "benchmarks.evaluate",
    "simtrack-submit": "benchmarks.submit", "simtrack-profile": "benchmarks.profile",
    "simtrack-convert": "simtrack.convert", "simtrack-train": "simtrack.train.__main__",
    "simtrack-vot": "simtrack.adapters.vot", "simtrack-visualize": "benchmarks.visualize",
    "simtrack-track": "simtrack.track", "simtrack-export": "simtrack.export",
}


def _command(name):
    def start():
        run_cli(import_module(MODULES[name]).main)
    start.__doc__ = f"``{name}``: ``python -m {MODULES[name].removesuffix('.__main__')}``."
    return start


run, evaluate, submit, profile, convert, train, vot, visualize, track, export = (_command(name) for name in MODULES)
