"""The run manifest: which weights, code and machine produced a results folder.

``<results>/<tracker>/<dataset>/manifest.json`` names the checkpoint (path and sha256) and the model
config, or for another ``--tracker`` its spec (``tracker_spec``: factory, options, package version,
source sha256), library versions, git commit, devices and the timing definition. A resumed run
appends its invocation to ``runs``; a run with different weights or another tracker into the same
folder is refused, so one folder never mixes two trackers' boxes, and so is a manifest that does
not parse. Which files a
resume may keep is decided per sequence by ``benchmarks.runner.provenance``.
"""
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

import simtrack
from simtrack.errors import ResultsError
from simtrack.formats.atomic import atomic_write
from simtrack.formats.json_data import parse_json
from simtrack.formats.regular_files import read_regular
from simtrack.limits import MAX_RECORD_BYTES

from .tracking import TIMING_DEFINITION

MANIFEST_NAME = "manifest.json"


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
    try:
        import torch  # here, not at import time: Ray nodes hash checkpoints with file_sha256 without torch
    except ImportError:    # the torch-free install, running an exported model on another engine
        torch_version = None
    else:
        torch_version = torch.__version__
    return {"python": platform.python_version(), "torch": torch_version, "numpy": np.__version__,
            "simtrack": simtrack.__version__}


def build_manifest(*, checkpoint, checkpoint_sha256, config, tracker_name, dataset, data_root, sequences,
                   repeats, backend, slots, tracker_spec=None, timing=TIMING_DEFINITION):
    """The manifest dict for one invocation (``slots``: the planned worker slots).

    ``tracker_spec``: for a ``--tracker`` other than SimTrack, its provenance
    (``simtrack.trackers.spec.provenance``); ``checkpoint`` is then None. ``timing``: what the
    recorded seconds per frame cover (``benchmarks.runner.tracking``, ``batched``).
    """
    manifest = {
        "tracker": tracker_name,
        "dataset": dataset,
        "data_root": str(data_root) if data_root is not None else None,
        "sequences": sequences,
        "repeats": repeats,
        "checkpoint": ({"path": str(Path(checkpoint).resolve()), "sha256": checkpoint_sha256}
                       if checkpoint is not None else None),
        "variant": config.get("name"),
        "config": config,
        "versions": versions(),
        "git_commit": git_commit(),
        "timing": timing,
        "runs": [{
            "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "command": " ".join([Path(sys.argv[0]).name] + sys.argv[1:]),
            "backend": backend,
            "host": platform.node(),
            "devices": sorted({slot.device for slot in slots}),
            "workers": [{"device": slot.device, "threads": slot.threads} for slot in slots],
        }],
    }
    if tracker_spec is not None:
        manifest["tracker_spec"] = tracker_spec
    return manifest


def manifest_path(folder):
    return Path(folder) / MANIFEST_NAME


def read_manifest(folder):
    """The manifest of ``folder`` as a dict, None when there is none; a ResultsError naming the file
    when it is there but does not parse or is not one of ours (it is never silently replaced)."""
    path = manifest_path(folder)
    if not os.path.lexists(path):
        return None
    try:
        manifest = parse_json(read_regular(path, MAX_RECORD_BYTES, "run manifest", ResultsError, follow=False),
                              path, ResultsError)
    except ResultsError as error:
        raise ResultsError(f"{path} does not parse as a run manifest ({error})") from None
    checkpoint = manifest.get("checkpoint") if isinstance(manifest, dict) else None
    spec = manifest.get("tracker_spec") if isinstance(manifest, dict) else None
    if not (isinstance(checkpoint, dict) and isinstance(checkpoint.get("sha256"), str)
            or isinstance(spec, dict) and isinstance(spec.get("factory"), str)):
        raise ResultsError(f"{path} is not a run manifest of this toolkit (no checkpoint sha256, no tracker spec)")
    return manifest


def _producer(manifest):
    """``(key, words)``: what produced a folder, as compared (key) and as told (words)."""
    spec = manifest.get("tracker_spec")
    if isinstance(spec, dict):
        named = spec.get("tracker")
        return ("tracker", spec.get("factory")), (f"tracker {named}" if named == spec.get("factory")
                                                  else f"tracker {named} ({spec.get('factory')})")
    checkpoint = manifest["checkpoint"]
    return (("checkpoint", checkpoint["sha256"]),
            f"checkpoint {checkpoint.get('path')} (sha256 {checkpoint['sha256'][:12]}...)")


def check_same_weights(folder, previous, manifest):
    """Refuse to add ``manifest``'s run to a folder whose manifest ``previous`` names other weights or
    another tracker (its factory; other options or code of the same factory are refused sequence by
    sequence by the provenance records)."""
    if previous is None:
        return
    (old, told), (new, _) = _producer(previous), _producer(manifest)
    if old != new:
        theirs = _producer(manifest)[1]
        raise ResultsError(
            f"{folder} holds results of {told}, not of {theirs}; pass another --tracker-name (or --results), "
            f"or move that folder away")


def write_manifest(folder, manifest):
    """Write ``manifest`` into ``folder``, keeping earlier invocations of the same weights.

    Re-reads the manifest on disk just before writing, so runs recorded meanwhile are kept.
    Raises ``ResultsError`` when the folder holds results of other weights or a damaged manifest.
    """
    previous = read_manifest(folder)
    check_same_weights(folder, previous, manifest)
    if previous is not None:
        manifest = dict(manifest, runs=list(previous.get("runs", [])) + manifest["runs"])
    atomic_write(manifest_path(folder), (json.dumps(manifest, indent=2) + "\n").encode())
    return manifest_path(folder)
