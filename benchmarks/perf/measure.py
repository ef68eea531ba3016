"""Measuring SimTrack's cost: the helpers of the profiler (``benchmarks.profile``) and the ratio scripts.

One set of helpers makes every report take its numbers the same way: ``fingerprint`` records the
hardware and software, ``interleaved`` times candidates in turn, and the rest measure one thing
each (parameters, FLOPs, model latency, the stages of a frame, batched throughput).
"""
import os
import platform
import time
from pathlib import Path

import cv2
import numpy as np
import torch

import simtrack
from simtrack.batch import BatchTracker
from simtrack.cores import usable_cores
from simtrack.data import render_sequence
from simtrack.formats.images import read_image
from simtrack.tracker import locate

README_GFLOPS = 25.0   # the official README's figure for Sim-B/16
FRAME_SIZE = (1280, 720)
CPU_FEATURES = ("avx2", "avx512f", "avx512_bf16", "avx512_fp16", "amx_tile", "amx_bf16", "amx_fp16")


# ---------------------------------------------------------------- environment

def _cpu_info():
    """CPU model name and feature flags from /proc/cpuinfo (Linux); empty elsewhere."""
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return platform.processor(), set()
    model = next((line.split(":", 1)[1].strip() for line in text.splitlines() if line.startswith("model name")),
                 platform.processor())
    flags = next((set(line.split(":", 1)[1].split()) for line in text.splitlines() if line.startswith("flags")), set())
    return model, flags


def fingerprint(device):
    """Hardware and software a measurement was taken on (goes into every JSON report)."""
    model, flags = _cpu_info()
    info = {
        "python": platform.python_version(), "platform": platform.platform(),
        "torch": torch.__version__, "numpy": np.__version__,
        "opencv": cv2.__version__, "simtrack": simtrack.__version__,
        "cpu": model, "logical_cores": os.cpu_count(),
        "usable_cores": usable_cores(),
        "torch_threads": torch.get_num_threads(), "cpu_capability": torch.backends.cpu.get_cpu_capability(),
        "cpu_features": [name for name in CPU_FEATURES if name in flags],
        "bf16_hardware": "amx_bf16" in flags or "avx512_bf16" in flags,
        "device": str(device), "gpu": None,
    }
    if device.type == "cuda":
        info.update(gpu=torch.cuda.get_device_name(torch.device(str(device))), cuda=torch.version.cuda,
                    bf16_hardware=torch.cuda.is_bf16_supported())
    return info


# ---------------------------------------------------------------- timing helpers

def synchronize(device):
    """Wait for ``device``'s queued work (a torch CUDA device; the engines return when done)."""
    if isinstance(device, torch.device) and device.type == "cuda":
        torch.cuda.synchronize(device)


def interleaved(candidates, repeats, warmup=2):
    """Seconds per call of each named callable, measured round-robin.

    Taking turns spreads the load of a shared machine over all candidates alike, so their ratios
    stay meaningful even when the absolute times drift. Callables synchronise their device.
    """
    for call in candidates.values():
        for _ in range(warmup):
            call()
    times = {name: [] for name in candidates}
    for _ in range(repeats):
        for name, call in candidates.items():
            start = time.perf_counter()
            call()
            times[name].append(time.perf_counter() - start)
    return {name: np.array(values) for name, values in times.items()}


def bf16_note(env):
    """Whether the fingerprinted device computes bf16 natively, for the printed reports."""
    return "bf16 in hardware: " + ("yes" if env["bf16_hardware"] else "no (bf16 is emulated)")


def summary_ms(seconds):
    seconds = np.asarray(seconds)
    return {"median_ms": float(np.median(seconds) * 1e3), "p90_ms": float(np.percentile(seconds, 90) * 1e3),
            "runs": int(seconds.size)}


# ---------------------------------------------------------------- measurements

def parameter_counts(model):
    parts = {"backbone": model.backbone, "bottleneck": model.bottleneck, "box_head": model.box_head}
    counts = {name: sum(p.numel() for p in part.parameters()) for name, part in parts.items()}
    counts["total"] = sum(counts.values())
    return counts


def count_flops(model, batch=1):
    """FLOPs (2 per multiply-add) of the template step and of one per-frame forward, counted by torch.

    Counted with the explicit attention (FlopCounterMode does not see the CPU's fused kernel);
    element-wise work (norms, softmax, activations) is not counted, as in the usual ViT figures.
    """
    from torch.utils.flop_counter import FlopCounterMode
    cfg, device = model.config, next(model.parameters()).device
    template = torch.zeros(batch, 3, cfg.template_size, cfg.template_size, device=device)
    search = torch.zeros(batch, 3, cfg.search_size, cfg.search_size, device=device)
    anno = torch.tensor([0.25, 0.25, 0.5, 0.5], dtype=torch.float64, device=device)
    fused = model.backbone.fused_attention
    model.backbone.set_fused_attention(False)
    try:
        with torch.inference_mode():
            with FlopCounterMode(display=False) as counter:
                tokens = model.embed_template(template, anno)
            template_flops = counter.get_total_flops()
            with FlopCounterMode(display=False) as counter:
                model.forward_search(tokens, search)
            search_flops = counter.get_total_flops()
    finally:
        model.backbone.set_fused_attention(fused)
    return {"template_gflops": template_flops / 1e9, "per_frame_gflops": search_flops / 1e9,
            "per_frame_gmacs": search_flops / 2e9, "readme_gflops": README_GFLOPS}


def network_inputs(tracker, batch=1, seed=0):
    """Template tokens and random search crops for ``batch`` targets, in the form ``tracker``'s engine takes."""
    cfg, device = tracker.config, tracker.device
    if tracker.options.engine == "torch":
        generator = torch.Generator().manual_seed(seed)
        search = torch.randn(batch, 3, cfg.search_size, cfg.search_size, generator=generator).to(device)
        return tracker.template_tokens.expand(batch, -1, -1), search
    search = np.random.default_rng(seed).standard_normal((batch, 3, cfg.search_size, cfg.search_size), np.float32)
    return np.repeat(tracker.template_tokens, batch, axis=0), search


def model_latency(tracker, repeats, batch=1):
    """Per-frame network time alone (crop already on the device) of an initialised ``tracker``."""
    device = tracker.device
    tokens, search = network_inputs(tracker, batch)

    def forward():
        with torch.inference_mode():
            tracker.runner.forward_search(tokens, search)
        synchronize(device)
    return interleaved({"model": forward}, repeats)["model"]


def demo_frame(folder, size=FRAME_SIZE):
    """A textured synthetic frame saved as JPEG (quality 95) and the target box on it."""
    scene = render_sequence(seed=1_000_000, num_frames=1, size=size)
    path = Path(folder) / "frame.jpg"
    cv2.imwrite(str(path), cv2.cvtColor(scene.frames[0], cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 95])
    box = scene.boxes[0] if scene.boxes[0, 2] > 0 else np.array([size[0] / 2, size[1] / 2, 80.0, 60.0])
    return path, box


def stage_times(tracker, frame_path, box, repeats):
    """Seconds per stage of one tracked frame: decode, crop+normalise, model, post-processing.

    Every repeat tracks the same frame from the same state, so the stages see identical work.
    """
    cfg, device = tracker.config, tracker.device
    image = read_image(frame_path)
    tracker.init(image, box)
    state = list(tracker.state)
    clock = time.perf_counter
    stages = {name: [] for name in ("decode", "crop_normalise", "model", "postprocess")}
    for index in range(repeats + 2):
        with torch.inference_mode():
            start = clock()
            image = read_image(frame_path)
            decoded = clock()
            search, resize_factor = tracker.crop_search(image, state)
            synchronize(device)
            cropped = clock()
            output = tracker.runner.forward_search(tracker.template_tokens, search)
            synchronize(device)
            modelled = clock()
            locate(state, output["boxes"][0], resize_factor, cfg.search_size, image.shape)
            float(output["confidence"][0])
            done = clock()
        if index >= 2:   # warm-up
            for name, seconds in zip(stages, (decoded - start, cropped - decoded, modelled - cropped, done - modelled)):
                stages[name].append(seconds)
    return {name: np.array(values) for name, values in stages.items()}


def batch_step(model, device, capacity, image, box, speed):
    """A callable advancing ``capacity`` targets on ``image`` by one batched step (returns the boxes)."""
    batch = BatchTracker(model, capacity, device=device, **speed.as_dict())
    for slot in range(capacity):
        batch.init(slot, image, box)
    frames = dict.fromkeys(range(capacity), image)

    def step():
        boxes = batch.update(frames)
        synchronize(device)
        for slot in range(capacity):   # same work every step: restart from the first box
            batch.states[slot] = [float(v) for v in box]
        return boxes
    return step


def throughput(model, device, capacity, image, box, speed, repeats):
    """Frames/s of BatchTracker steps at batch ``capacity`` and at batch 1, interleaved."""
    steps = {1: batch_step(model, device, 1, image, box, speed)}
    if capacity > 1:
        steps[capacity] = batch_step(model, device, capacity, image, box, speed)
    times = interleaved(steps, repeats)
    result = {f"batch{k}_frames_per_s": float(k / np.median(times[k])) for k in steps}
    if capacity > 1:
        result["speedup"] = result[f"batch{capacity}_frames_per_s"] / result["batch1_frames_per_s"]
    return result

