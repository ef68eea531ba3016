"""What the speed-ratio scripts share: thread setup, models, demo sequences, reporting.

Each script measures the configurations it compares in one run, taking turns (see
``benchmarks.perf.measure.interleaved``), and prints medians and their ratios. Speeds depend on the
machine and its load; ratios measured this way are the numbers to quote.
"""
import argparse
import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch

import simtrack
from benchmarks.perf.measure import bf16_note, fingerprint
from simtrack.cores import set_threads
from simtrack.weights import EMBEDDED_CHECKPOINT


def parser(description):
    """Arguments every ratio script takes."""
    result = argparse.ArgumentParser(description=description)
    result.add_argument("--threads", type=int, default=2, help="torch/OpenCV threads (default 2)")
    result.add_argument("--data-root", help="where the demo dataset lives or is generated (default: as load_dataset)")
    result.add_argument("--json", help="also write the measurements as JSON to this file")
    return result


def setup(args):
    """Apply the thread count and print the environment line; returns the fingerprint."""
    set_threads(args.threads)
    env = fingerprint(torch.device("cpu"))
    print(f"{env['cpu']}, {args.threads} threads, torch {env['torch']}, features: {' '.join(env['cpu_features'])}; "
          f"{bf16_note(env)}")
    return env


def model_for(variant, seed=0):
    """The demo weights for ``tiny`` when they exist, else random weights with peaky corner maps.

    Plain random initialisation gives nearly flat corner maps (boxes that ignore the image); the
    sharpened head makes box comparisons between paths meaningful. Speed does not depend on it.
    """
    if variant == "tiny" and EMBEDDED_CHECKPOINT.is_file():
        from simtrack.checkpoints import load_model
        return load_model(EMBEDDED_CHECKPOINT).eval()
    torch.manual_seed(seed)
    model = simtrack.build_model(variant).eval()
    with torch.no_grad():
        for corner in ("tl", "br"):
            getattr(model.box_head, f"conv5_{corner}").weight.mul_(40)
    return model


def demo_sequences(data_root=None, count=None, frames=None):
    """The demo benchmark's sequences (generated on first use), optionally the first ``count``
    truncated to ``frames`` frames each."""
    from simtrack.data import load_dataset
    sequences = load_dataset("demo", root=data_root)[:count]
    if not frames:
        return sequences
    return [replace(s, frames=s.frames[:frames], boxes=s.boxes[:frames],
                    absent=None if s.absent is None else s.absent[:frames]) for s in sequences]


def max_box_difference(boxes_a, boxes_b):
    return float(np.max(np.abs(np.asarray(boxes_a) - np.asarray(boxes_b))))


def finish(args, env, results):
    if args.json:
        Path(args.json).write_text(json.dumps({"environment": env, "threads": args.threads, **results}, indent=2))
        print(f"JSON written to {args.json}")
