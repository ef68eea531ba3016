"""The run manifest: which weights, code and machine produced a results folder.

``<results>/<tracker>/<dataset>/manifest.json`` names the checkpoint (path and sha256), the model
config, library versions, git commit, devices and the timing definition. A resumed run appends
its invocation to ``runs``; a run with different weights into the same folder is refused, so one
folder never mixes two models' boxes.
"""
import hashlib
import json
import platform
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import torch

import simtrack
from simtrack.errors import ResultsError

from .outputs import atomic_write
from .tracking import TIMING_DEFINITION

MANIFEST_NAME = "manifest.json"


def file_sha256(path, chunk=1 << 20):
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for block in iter(lambda: file.read(chunk), b""):
            digest.update(block)
    return digest.hexdigest()


def git_commit(folder=None):
    """Commit of the checkout that holds ``simtrack`` (with ``-dirty`` if modified), or None."""
    folder = Path(folder or Path(simtrack.__file__).parent)
    try:
        commit = subprocess.run(["git", "-C", str(folder), "rev-parse", "HEAD"], capture_output=True,
                                text=True, timeout=10)
        if commit.returncode != 0:
            return None
        dirty = subprocess.run(["git", "-C", str(folder), "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    return commit.stdout.strip() + ("-dirty" if dirty.stdout.strip() else "")


def versions():
    return {"python": platform.python_version(), "torch": torch.__version__, "numpy": np.__version__,
            "simtrack": simtrack.__version__}


def build_manifest(*, checkpoint, checkpoint_sha256, config, tracker_name, dataset, data_root, sequences,
                   repeats, backend, slots):
    """The manifest dict for one invocation (``slots``: the planned worker slots)."""
    return {
        "tracker": tracker_name,
        "dataset": dataset,
        "data_root": str(data_root) if data_root is not None else None,
        "sequences": sequences,
        "repeats": repeats,
        "checkpoint": {"path": str(Path(checkpoint).resolve()), "sha256": checkpoint_sha256},
        "variant": config.get("name"),
        "config": config,
        "versions": versions(),
        "git_commit": git_commit(),
        "timing": TIMING_DEFINITION,
        "runs": [{
            "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "command": " ".join([Path(sys.argv[0]).name] + sys.argv[1:]),
            "backend": backend,
            "host": platform.node(),
            "devices": sorted({slot.device for slot in slots}),
            "workers": [{"device": slot.device, "threads": slot.threads} for slot in slots],
        }],
    }


def write_manifest(folder, manifest):
    """Write ``manifest`` into ``folder``, keeping earlier invocations of the same weights.

    Raises ``ResultsError`` when the folder already holds results of other weights.
    """
    path = Path(folder) / MANIFEST_NAME
    if path.is_file():
        try:
            previous = json.loads(path.read_text())
            previous_sha = previous["checkpoint"]["sha256"]
        except (OSError, ValueError, KeyError, TypeError):
            previous = None  # unreadable: replaced by this run's manifest
        if previous is not None:
            if previous_sha != manifest["checkpoint"]["sha256"]:
                raise ResultsError(
                    f"{folder} holds results of checkpoint {previous['checkpoint'].get('path')} "
                    f"(sha256 {previous_sha[:12]}...), not of {manifest['checkpoint']['path']}; pass another "
                    f"--tracker-name (or --results) or delete that folder")
            manifest = dict(manifest, runs=list(previous.get("runs", [])) + manifest["runs"])
    atomic_write(path, (json.dumps(manifest, indent=2) + "\n").encode())
    return path
