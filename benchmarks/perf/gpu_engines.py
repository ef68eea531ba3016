"""The engines on one NVIDIA GPU: torch fp32 / bf16 / CUDA graphs vs ONNX Runtime CUDA vs TensorRT fp16, per
frame at batch 1 and batched, boxes compared, and end-to-end frames/s at batch 1.

    python -m benchmarks.perf.gpu_engines [--variants b16,tiny] [--batches 1,8,32] [--iterations 20]
                                          [--configurations all] [--device cuda:0] [--json OUT]

NOT RUN YET: no GPU was lent while it was written (docs/deploy.md); it refuses to start without one.
Every configuration takes turns with the others on the same inputs (round robin, medians):

* network: one per-frame forward of ``batch`` crops, tokens and crops already on the device
  (engines other than torch take host arrays: their upload and download are inside their time);
* frame: ``Tracker.update`` (batch > 1: ``BatchTracker.update`` of ``batch`` targets) on a 640x480 frame;
  the boxes of every configuration are compared with torch fp32's from the same state;
* end to end (batch 1): the demo sequences tracked from pre-decoded frames, frames/s (goal on one
  H100: 300 frames/s with b16);
* boxes (tiny, demo set): per frame with torch fp32's previous box fed, and free-running.

TensorRT engines are built on the first use (minutes for b16) and cached per GPU model and TensorRT
version (``simtrack.engines.cache``); run the script twice to time warm starts.
"""
import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

CONFIGURATIONS = {
    "torch fp32": {},
    "torch bf16": {"precision": "bf16"},
    "torch fp32 graphs": {"fast": True, "cuda_graphs": True},
    "torch bf16 graphs": {"fast": True, "cuda_graphs": True, "precision": "bf16"},
    "onnxruntime cuda fp32": {"engine": "onnxruntime"},
    "onnxruntime tensorrt fp16": {"engine": "onnxruntime-tensorrt", "precision": "fp16"},
    "tensorrt fp16": {"engine": "tensorrt", "precision": "fp16"},
    "tensorrt fp32": {"engine": "tensorrt"},
}
FRAME_SIZE = (640, 480)
GOAL_FRAMES_PER_S = 300


def available(configurations):
    from simtrack.speed import engine_installed
    kept = []
    for name in configurations:
        engine = CONFIGURATIONS[name].get("engine", "torch")
        if engine_installed(engine):
            kept.append(name)
        else:
            print(f"  skipped {name}: {engine} is not installed", flush=True)
    return kept


def build(name, source, model, batch, device):
    import simtrack
    from simtrack.batch import BatchTracker
    options = CONFIGURATIONS[name]
    if batch == 1:
        return (simtrack.Tracker.from_checkpoint(source, device=device, **options) if source
                else simtrack.Tracker(model, device=device, **options))
    return (BatchTracker.from_checkpoint(source, batch, device=device, **options) if source
            else BatchTracker(model, batch, device=device, **options))


def case(variant, batch, names, iterations, device):
    import torch

    from benchmarks.perf.common import model_for
    from benchmarks.perf.engines import weights_file
    from benchmarks.perf.measure import count_flops, interleaved, network_inputs, synchronize
    from simtrack.data import render_sequence
    model, source = model_for(variant), weights_file(variant)
    gflop = count_flops(model)["per_frame_gflops"] * batch
    video = render_sequence(seed=1_000_004, num_frames=2, size=FRAME_SIZE)
    first, frame, box = video.frames[0], video.frames[1], video.boxes[0]
    calls, frames_of, setup = {}, {}, {}
    for name in names:
        start = time.perf_counter()
        tracker = build(name, source, model, batch, device)
        if batch == 1:
            tracker.init(first, box)
            state, single = list(tracker.state), tracker

            def whole(t=tracker, s=state):
                t.state = list(s)
                return t.update(frame)
        else:
            for slot in range(batch):
                tracker.init(slot, first, box)
            single = tracker._single
            single.template_tokens = tracker._tokens[:1]
            frames = dict.fromkeys(range(batch), frame)

            def whole(t=tracker):
                for slot in range(batch):
                    t.states[slot] = [float(v) for v in box]
                return t.update(frames)[0]
        tokens, search = network_inputs(single, batch)

        def network(t=single, tk=tokens, s=search):
            t.runner.forward_search(tk, s)
            synchronize(t.device)
        calls[f"network {name}"], calls[f"frame {name}"], frames_of[name] = network, whole, whole
        whole()
        setup[name] = time.perf_counter() - start
    with torch.inference_mode():
        times = {key: float(np.median(values)) for key, values in interleaved(calls, iterations, warmup=5).items()}
        reference = np.asarray(frames_of[names[0]]())
        boxes = {name: float(np.abs(np.asarray(call()) - reference).max()) for name, call in frames_of.items()}
    base = names[0]
    record = {"variant": variant, "batch": batch, "gflop_per_call": gflop, "setup_s": setup, "configurations": {}}
    for name in names:
        network, whole = times[f"network {name}"], times[f"frame {name}"]
        record["configurations"][name] = {
            "network_ms": network * 1e3, "frame_ms": whole * 1e3, "frames_per_s": batch / whole,
            "network_vs_torch_fp32": times[f"network {base}"] / network,
            "frame_vs_torch_fp32": times[f"frame {base}"] / whole, "tflops": gflop / network / 1e3,
            "box_difference_px": boxes[name]}
        values = record["configurations"][name]
        print(f"  {name:28s} network {values['network_ms']:8.2f} ms ({values['network_vs_torch_fp32']:5.2f}x)  frame "
              f"{values['frame_ms']:8.2f} ms = {values['frames_per_s']:8.1f} frames/s  {values['tflops']:6.1f} TFLOP/s  "
              f"box diff {values['box_difference_px']:.1e} px", flush=True)
    return record


def end_to_end(variant, names, device, data_root, sequences):
    """Frames/s of whole sequences at batch 1 from pre-decoded frames (decoding excluded), per configuration."""
    from benchmarks.perf.common import demo_sequences, model_for
    from benchmarks.perf.engines import weights_file
    from simtrack.formats.images import read_image
    model, source = model_for(variant), weights_file(variant)
    chosen = demo_sequences(data_root, sequences)
    frames = [[read_image(path) for path in s.frames] for s in chosen]
    result = {}
    for name in names:
        tracker = build(name, source, model, 1, device)
        tracker.init(frames[0][0], chosen[0].init_box)     # warm-up (CUDA graphs, engine builds)
        for image in frames[0][1:10]:
            tracker.update(image)
        count, start = 0, time.perf_counter()
        for sequence, images in zip(chosen, frames):
            tracker.init(images[0], sequence.init_box)
            for image in images[1:]:
                tracker.update(image)
            count += len(images)
        result[name] = count / (time.perf_counter() - start)
        print(f"  {variant} end to end, batch 1, {name:28s} {result[name]:8.1f} frames/s"
              + ("  (goal met)" if variant == "b16" and result[name] >= GOAL_FRAMES_PER_S else ""), flush=True)
    return result


def boxes(names, device, data_root):
    """Per-frame (torch fp32's previous box fed) and free-running box differences, tiny, demo set."""
    import simtrack
    from benchmarks.perf.common import demo_sequences
    from simtrack.formats.images import read_image
    from simtrack.weights import EMBEDDED_CHECKPOINT
    chosen = demo_sequences(data_root)
    frames = {s.name: [read_image(path) for path in s.frames] for s in chosen}
    reference = simtrack.Tracker.from_checkpoint(EMBEDDED_CHECKPOINT, device=device)
    expected = {}
    for s in chosen:
        own = [reference.init(frames[s.name][0], s.init_box)]
        expected[s.name] = np.array(own + [reference.update(image) for image in frames[s.name][1:]])
    result = {}
    for name in names[1:]:
        tracker = simtrack.Tracker.from_checkpoint(EMBEDDED_CHECKPOINT, device=device, **CONFIGURATIONS[name])
        fed, free = [], []
        for s in chosen:
            images, truth = frames[s.name], expected[s.name]
            tracker.init(images[0], s.init_box)
            for index, image in enumerate(images[1:], 1):
                tracker.state = list(truth[index - 1])
                fed.append(np.abs(tracker.update(image) - truth[index]).max())
            tracker.init(images[0], s.init_box)
            free.extend(np.abs(np.array([tracker.update(image) for image in images[1:]]) - truth[1:]).max(1))
        result[name] = {"fed_max_px": float(np.max(fed)), "fed_median_px": float(np.median(fed)),
                        "free_max_px": float(np.max(free)), "free_median_px": float(np.median(free))}
        print(f"  boxes, tiny, demo set, {name:28s} per frame max {result[name]['fed_max_px']:.2e} px, median "
              f"{result[name]['fed_median_px']:.1e}; free-running max {result[name]['free_max_px']:.2e} px", flush=True)
    return result


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variants", default="b16,tiny")
    parser.add_argument("--batches", default="1,8,32")
    parser.add_argument("--iterations", type=int, default=20)
    parser.add_argument("--configurations", default="all",
                        help=f"comma-separated, the first the reference; from: {', '.join(CONFIGURATIONS)}")
    parser.add_argument("--device", default="cuda:0")
    parser.add_argument("--sequences", type=int, default=4, help="demo sequences for the end-to-end frames/s")
    parser.add_argument("--data-root", help="the demo dataset (default: as load_dataset)")
    parser.add_argument("--json", help="also write every measurement to this file")
    args = parser.parse_args(argv)
    import torch
    if not torch.cuda.is_available():
        print("error: benchmarks.perf.gpu_engines needs a CUDA GPU, and torch sees none here", file=sys.stderr)
        return 2
    names = list(CONFIGURATIONS) if args.configurations == "all" else args.configurations.split(",")
    unknown = [name for name in names if name not in CONFIGURATIONS]
    if unknown:
        print(f"error: unknown configuration(s) {unknown}; choose from {list(CONFIGURATIONS)}", file=sys.stderr)
        return 2
    names = available(names)
    from benchmarks.perf.measure import fingerprint
    env = fingerprint(torch.device(args.device))
    print(f"GPU {env['gpu']} (CUDA {env.get('cuda')}), torch {env['torch']}; CPU {env['cpu']}", flush=True)
    report = {"environment": env, "configurations": names, "cases": [], "end_to_end": {}}
    for variant in args.variants.split(","):
        for batch in map(int, args.batches.split(",")):
            print(f"{variant} batch {batch}", flush=True)
            report["cases"].append(case(variant, batch, names, args.iterations, args.device))
        report["end_to_end"][variant] = end_to_end(variant, names, args.device, args.data_root, args.sequences)
    report["boxes"] = boxes(names, args.device, args.data_root)
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2))
        print(f"JSON written to {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
