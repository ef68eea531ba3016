"""torch vs ONNX Runtime vs OpenVINO (vs int8) on the CPU: network and frame time, fraction of the machine's
fp32 peak, boxes, and the whole demo benchmark in frames/s, taking turns.

    python -m benchmarks.perf.engines [--variants b16,tiny] [--threads 1,2] [--batches 1,8]
                                      [--engines torch,onnxruntime,openvino,onnxruntime-int8]
                                      [--iterations 5] [--demo-rounds 1] [--json OUT]

Each (variant, threads, batch) case runs in a process of its own (``OMP_WAIT_POLICY=PASSIVE``, ONNX
Runtime without spinning threads, so that no runtime's idle threads steal the cores of the next),
where every engine and the peak matrix products take turns on the same inputs: round robin, medians.

* network: one per-frame forward (``forward_search``) of ``batch`` crops, tokens ready;
* frame: ``Tracker.update`` on a 640x480 frame (batch 8: one ``BatchTracker.update`` of 8 targets),
  crop, network and post-processing, from the same state every time; the boxes of every engine are
  compared with torch's from that state (identical inputs);
* peak: the fastest fp32 matrix product found (numpy's BLAS, torch.mm, ONNX Runtime's and OpenVINO's
  MatMul; 2048 and 3072 square), measured in the same rounds, so under the same load; each engine's
  GFLOP/s (FLOPs counted by ``count_flops``) is given as a fraction of it;
* boxes (``--boxes``): the demo set with the tiny model, each engine fed torch's previous box on every
  frame (the per-frame difference) and free-running (its own boxes: a crop can round the other way);
* demo: ``benchmarks.run --dataset demo --devices cpu --engine E`` per engine, in turns, frames/s.

Weights: the demo model for tiny, random weights (peaky corner maps) for the others; speed does not
depend on them. Exports go through the cache (``simtrack.engines.cache``): the first b16 run exports.
"""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ENGINES = ("torch", "onnxruntime", "openvino", "onnxruntime-int8")
SPEED_OPTIONS = {"torch": {}, "onnxruntime": {"engine": "onnxruntime"}, "openvino": {"engine": "openvino"},
                 "onnxruntime-int8": {"engine": "onnxruntime", "precision": "int8"},
                 "openvino-bf16": {"engine": "openvino", "precision": "bf16"},
                 "torch-bf16": {"precision": "bf16"}}
PEAK_SIZES = (2048, 3072)
FRAME_SIZE = (640, 480)


def child_environment(threads):
    return dict(os.environ, OMP_WAIT_POLICY="PASSIVE", OMP_NUM_THREADS=str(threads),
                OPENBLAS_NUM_THREADS=str(threads), MKL_NUM_THREADS=str(threads))


# ----------------------------------------------------------------------------------- one case (child)

def peak_candidates(threads, sizes=PEAK_SIZES):
    """Callables computing square fp32 matrix products with every library present, and their FLOPs."""
    import torch
    candidates, rng = {}, np.random.default_rng(0)
    for n in sizes:
        a, b = (rng.standard_normal((n, n), dtype=np.float32) for _ in range(2))
        out = np.empty_like(a)
        candidates[f"numpy {n}"] = (lambda a=a, b=b, out=out: np.matmul(a, b, out=out), 2.0 * n ** 3)
        ta, tb = torch.from_numpy(a), torch.from_numpy(b)
        candidates[f"torch {n}"] = (lambda ta=ta, tb=tb: torch.mm(ta, tb), 2.0 * n ** 3)
    n = sizes[0]
    a, b = (rng.standard_normal((n, n), dtype=np.float32) for _ in range(2))
    try:
        model = _matmul_onnx(b)
    except ImportError:
        return candidates
    try:
        import onnxruntime
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads, options.inter_op_num_threads = threads, 1
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        session = onnxruntime.InferenceSession(model, options, providers=["CPUExecutionProvider"])
        candidates[f"onnxruntime {n}"] = (lambda: session.run(None, {"a": a}), 2.0 * n ** 3)
    except ImportError:
        pass
    try:
        import openvino
        core = openvino.Core()
        compiled = core.compile_model(core.read_model(model), "CPU", {
            "INFERENCE_PRECISION_HINT": "f32", "INFERENCE_NUM_THREADS": threads, "PERFORMANCE_HINT": "LATENCY"})
        request = compiled.create_infer_request()
        candidates[f"openvino {n}"] = (lambda: request.infer({"a": a}), 2.0 * n ** 3)
    except ImportError:
        pass
    return candidates


def _matmul_onnx(weight):
    import onnx
    from onnx import TensorProto, helper, numpy_helper
    n = weight.shape[0]
    graph = helper.make_graph([helper.make_node("MatMul", ["a", "b"], ["c"])], "matmul",
                              [helper.make_tensor_value_info("a", TensorProto.FLOAT, [n, n])],
                              [helper.make_tensor_value_info("c", TensorProto.FLOAT, [n, n])],
                              [numpy_helper.from_array(weight, "b")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)])
    onnx.checker.check_model(model)
    return model.SerializeToString()


def weights_file(variant):
    """The demo model's file for tiny (exports of a file are cached by its hash), else None."""
    from simtrack.weights import EMBEDDED_CHECKPOINT
    return EMBEDDED_CHECKPOINT if variant == "tiny" and EMBEDDED_CHECKPOINT.is_file() else None


def run_case(variant, threads, batch, engines, iterations, peak_sizes=PEAK_SIZES):
    """Times of every engine and the peak products, taking turns; returns the case's record."""
    import torch

    import simtrack
    from benchmarks.perf.common import model_for
    from benchmarks.perf.measure import count_flops, interleaved, network_inputs
    from simtrack.batch import BatchTracker
    from simtrack.cores import set_threads
    from simtrack.data import render_sequence
    set_threads(threads)
    model, source = model_for(variant), weights_file(variant)
    gflop = count_flops(model)["per_frame_gflops"] * batch
    video = render_sequence(seed=1_000_004, num_frames=2, size=FRAME_SIZE)
    first, frame, box = video.frames[0], video.frames[1], video.boxes[0]
    calls, trackers, setup = {}, {}, {}
    for name in engines:
        start = time.perf_counter()
        options = SPEED_OPTIONS[name]
        if batch == 1:
            tracker = (simtrack.Tracker.from_checkpoint(source, device="cpu", **options) if source
                       else simtrack.Tracker(model, device="cpu", **options))
            tracker.init(first, box)
            state = list(tracker.state)

            def whole(t=tracker, s=state):
                t.state = list(s)
                return t.update(frame)
        else:
            tracker = (BatchTracker.from_checkpoint(source, batch, device="cpu", **options) if source
                       else BatchTracker(model, batch, device="cpu", **options))
            for slot in range(batch):
                tracker.init(slot, first, box)
            frames = dict.fromkeys(range(batch), frame)

            def whole(t=tracker):
                for slot in range(batch):
                    t.states[slot] = [float(v) for v in box]
                return t.update(frames)[0]
        single = tracker if batch == 1 else tracker._single
        if batch > 1:
            single.template_tokens = tracker._tokens[:1]
        tokens, search = network_inputs(single, batch)
        calls[f"network {name}"] = lambda r=single.runner, tk=tokens, s=search: r.forward_search(tk, s)
        calls[f"frame {name}"] = whole
        trackers[name] = whole
        setup[name] = time.perf_counter() - start
    peak_calls = peak_candidates(threads, peak_sizes)
    for label, (call, _) in peak_calls.items():
        calls[f"peak {label}"] = call
    with torch.inference_mode():
        times = {name: float(np.median(values)) for name, values in interleaved(calls, iterations).items()}
        reference = np.asarray(trackers[engines[0]]())
        boxes = {name: float(np.abs(np.asarray(whole()) - reference).max()) for name, whole in trackers.items()}
    peaks = {label: flop / times[f"peak {label}"] / 1e9 for label, (_, flop) in peak_calls.items()}
    peak = max(peaks.values())
    result = {"variant": variant, "threads": threads, "batch": batch, "gflop_per_call": gflop,
              "load_average": os.getloadavg()[0], "setup_s": setup, "peak_gflops": peaks, "engines": {}}
    base = engines[0]
    for name in engines:
        network, whole = times[f"network {name}"], times[f"frame {name}"]
        result["engines"][name] = {
            "network_ms": network * 1e3, "frame_ms": whole * 1e3,
            "network_vs_torch": times[f"network {base}"] / network, "frame_vs_torch": times[f"frame {base}"] / whole,
            "gflops": gflop / network, "fraction_of_peak": gflop / network / peak,
            "box_difference_px": boxes[name]}
    return result


# -------------------------------------------------------------------------------- boxes (child)

def run_boxes(engines, data_root, threads):
    """Per-frame (fed torch's previous box) and free-running box differences on the demo set, tiny."""
    import simtrack
    from benchmarks.perf.common import demo_sequences, model_for
    from simtrack.cores import set_threads
    from simtrack.formats.images import read_image
    set_threads(threads)
    model = model_for("tiny")
    sequences = demo_sequences(data_root)
    frames = {s.name: [read_image(path) for path in s.frames] for s in sequences}
    reference = simtrack.Tracker(model, device="cpu")
    expected = {}
    for s in sequences:
        boxes = [reference.init(frames[s.name][0], s.init_box)]
        expected[s.name] = np.array(boxes + [reference.update(image) for image in frames[s.name][1:]])
    result = {"sequences": len(sequences), "frames": sum(len(s) - 1 for s in sequences), "engines": {}}
    for name in engines:
        if name == "torch":
            continue
        tracker = simtrack.Tracker.from_checkpoint(weights_file("tiny"), device="cpu", **SPEED_OPTIONS[name])
        fed, free, per_sequence = [], [], []
        for s in sequences:
            images, truth = frames[s.name], expected[s.name]
            tracker.init(images[0], s.init_box)
            for index, image in enumerate(images[1:], 1):
                tracker.state = list(truth[index - 1])
                fed.append(np.abs(tracker.update(image) - truth[index]).max())
            tracker.init(images[0], s.init_box)
            own = np.array([tracker.update(image) for image in images[1:]])
            difference = np.abs(own - truth[1:]).max(1)
            free.extend(difference)
            per_sequence.append(float(difference.max()))
        result["engines"][name] = {"fed_max_px": float(np.max(fed)), "fed_median_px": float(np.median(fed)),
                                   "free_max_px": float(np.max(free)), "free_median_px": float(np.median(free)),
                                   "free_max_px_per_sequence": per_sequence}
    return result


# ----------------------------------------------------------------------------- demo runs (parent)

def demo_runs(engines, data_root, rounds):
    """``benchmarks.run --dataset demo --devices cpu`` per engine, in turns; frames/s of each run."""
    speeds = {name: [] for name in engines}
    for _ in range(rounds):
        for name in engines:
            with tempfile.TemporaryDirectory() as folder:
                options = SPEED_OPTIONS[name]
                command = [sys.executable, "-m", "benchmarks.run", "--dataset", "demo", "--devices", "cpu",
                           "--results", folder]
                command += ["--engine", options.get("engine", "torch"), "--precision", options.get("precision", "fp32")]
                if data_root:
                    command += ["--data-root", str(data_root)]
                done = subprocess.run(command, capture_output=True, text=True, env=child_environment(1))
                found = re.search(r"frames: (\d+) in ([\d.]+) s wall time \(([\d.]+) frames/s", done.stdout)
                if done.returncode != 0 or found is None:
                    raise RuntimeError(f"demo run with {name} failed:\n{done.stdout}\n{done.stderr}")
                speeds[name].append(float(found.group(3)))
                print(f"  demo run, {name}: {found.group(1)} frames, {found.group(3)} frames/s", flush=True)
    return {name: {"frames_per_s": float(np.median(values)), "runs": values} for name, values in speeds.items()}


def child(arguments):
    """Run one case in this process and print its record as one JSON line."""
    spec = json.loads(arguments)
    if spec["kind"] == "case":
        record = run_case(spec["variant"], spec["threads"], spec["batch"], spec["engines"], spec["iterations"])
    else:
        record = run_boxes(spec["engines"], spec.get("data_root"), spec["threads"])
    print("RESULT " + json.dumps(record), flush=True)


def spawn(spec, threads):
    done = subprocess.run([sys.executable, "-m", "benchmarks.perf.engines", "--child", json.dumps(spec)],
                          capture_output=True, text=True, env=child_environment(threads))
    line = next((line for line in done.stdout.splitlines() if line.startswith("RESULT ")), None)
    if done.returncode != 0 or line is None:
        raise RuntimeError(f"{spec} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    return json.loads(line[len("RESULT "):])


def print_case(record):
    peak = max(record["peak_gflops"].values())
    best = max(record["peak_gflops"], key=record["peak_gflops"].get)
    print(f"{record['variant']} batch {record['batch']}, {record['threads']} thread(s) (load {record['load_average']:.1f}); "
          f"peak {peak:.0f} GFLOP/s ({best}); {record['gflop_per_call']:.2f} GFLOP per call")
    for name, values in record["engines"].items():
        print(f"  {name:18s} network {values['network_ms']:9.1f} ms ({values['network_vs_torch']:4.2f}x)  "
              f"frame {values['frame_ms']:9.1f} ms ({values['frame_vs_torch']:4.2f}x)  "
              f"{values['gflops']:6.1f} GFLOP/s = {100 * values['fraction_of_peak']:5.1f} % of peak  "
              f"box diff {values['box_difference_px']:.1e} px", flush=True)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variants", default="b16,tiny")
    parser.add_argument("--threads", default="1,2", help="thread counts, comma-separated (default 1,2)")
    parser.add_argument("--batches", default="1,8")
    parser.add_argument("--engines", default=",".join(ENGINES),
                        help=f"the first is the reference (default {','.join(ENGINES)}; also: openvino-bf16, torch-bf16)")
    parser.add_argument("--iterations", type=int, default=5)
    parser.add_argument("--boxes", action=argparse.BooleanOptionalAction, default=True,
                        help="compare boxes over the demo set (default on)")
    parser.add_argument("--demo-rounds", type=int, default=1, help="benchmarks.run demo runs per engine (0: none)")
    parser.add_argument("--data-root", help="the demo dataset (default: as load_dataset)")
    parser.add_argument("--json", help="also write every measurement to this file")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        return child(args.child)
    from simtrack.speed import engine_installed
    engines = [name for name in args.engines.split(",")
               if engine_installed(SPEED_OPTIONS[name].get("engine", "torch"))]
    from benchmarks.perf.measure import _cpu_info
    cpu, _ = _cpu_info()
    print(f"{cpu}; {os.cpu_count()} logical cores; engines {', '.join(engines)}", flush=True)
    report = {"cpu": cpu, "engines": engines, "cases": [], "started": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
    for variant in filter(None, args.variants.split(",")):     # --variants "": only boxes and demo runs
        for threads in map(int, args.threads.split(",")):
            for batch in map(int, args.batches.split(",")):
                record = spawn({"kind": "case", "variant": variant, "threads": threads, "batch": batch,
                                "engines": engines, "iterations": args.iterations}, threads)
                print_case(record)
                report["cases"].append(record)
    if args.boxes:
        report["boxes"] = spawn({"kind": "boxes", "engines": engines, "data_root": args.data_root, "threads": 1}, 1)
        for name, values in report["boxes"]["engines"].items():
            print(f"demo set, tiny, {report['boxes']['frames']} frames: {name:18s} per frame (torch's previous box) "
                  f"max {values['fed_max_px']:.2e} px, median {values['fed_median_px']:.1e}; free-running max "
                  f"{values['free_max_px']:.2e} px, median {values['free_median_px']:.1e}", flush=True)
    if args.demo_rounds:
        report["demo_runs"] = demo_runs(engines, args.data_root, args.demo_rounds)
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2))
        print(f"JSON written to {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
