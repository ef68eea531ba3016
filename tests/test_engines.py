"""Engines besides torch: the ONNX export, ONNX Runtime and OpenVINO behind the same tracker.

Every engine runs only the network, so with the same previous box an fp32 engine gives torch's box
within 1e-3 px. The model is the embedded demo model, exported once per test process (the
``exported_tiny`` fixture of conftest.py); the frames are rendered demo sequences.
"""
import contextlib
import io
import json
import shutil

import numpy as np
import pytest

import simtrack
from simtrack import export, track
from simtrack.batch import BatchTracker
from simtrack.cli import run_cli
from simtrack.data.synthetic.generator import DEMO_SEED_BASE, render_sequence
from simtrack.engines import cache, load_exported, read_exported
from simtrack.engines.exported import PREFIX, TEMPLATE_KEY
from simtrack.errors import CheckpointError, ConfigError
from simtrack.formats.file_hash import file_sha256
from simtrack.speed import SpeedOptions, engine_installed

ENGINES = [pytest.param(name, marks=pytest.mark.skipif(not engine_installed(name), reason=f"{name} not installed"))
           for name in ("onnxruntime", "openvino")]
FRAMES = 50          # per sequence; two sequences
PER_FRAME_LIMIT = 1e-3


@pytest.fixture(scope="module")
def sequences():
    return [render_sequence(DEMO_SEED_BASE + k, FRAMES) for k in (0, 5)]


@pytest.fixture(scope="module")
def torch_boxes(sequences):
    """The exact path's boxes of every frame (the init box first)."""
    tracker = simtrack.Tracker.from_checkpoint(simtrack.EMBEDDED_CHECKPOINT, device="cpu")
    result = []
    for sequence in sequences:
        boxes = [tracker.init(sequence.frames[0], sequence.boxes[0])]
        boxes += [tracker.update(frame) for frame in sequence.frames[1:]]
        result.append(np.array(boxes))
    return result


def test_the_export_command_writes_one_checked_file_that_tells_everything(exported_tiny):
    path, printed = exported_tiny
    assert "largest difference from torch (batch 1 and 2, random inputs): template tokens" in printed
    boxes_difference = float(printed.split("boxes ")[1].split(",")[0])
    assert boxes_difference < 1e-5
    model = read_exported(path)
    assert (model.variant, model.precision) == ("tiny", "fp32")
    assert model.checkpoint_sha256 == file_sha256(simtrack.EMBEDDED_CHECKPOINT)
    assert json.loads(model.metadata[PREFIX + "config"]) == simtrack.VARIANTS["tiny"].to_dict()
    assert model.metadata[PREFIX + "opset"] == "18" and model.metadata[PREFIX + "version"] == simtrack.__version__
    assert model.template_onnx()[:2] == b"\x08\x0a"     # the template step: an ONNX model (IR version 10)
    assert not list(path.parent.glob(".*partial"))


@pytest.mark.parametrize("argv, message", [
    (["--out", "{out}"], "already exists; pass --force"),
    (["--out", "{folder}/model.txt"], "end the name in .onnx"),
    (["--out", "{folder}/new.onnx", "--format", "tflite"], "invalid choice: 'tflite'"),
    (["--out", "{folder}/new.onnx", "--checkpoint", "{folder}/missing.pth"], "the file does not exist"),
    (["--out", "{folder}/new.onnx", "--checkpoint", "{out}"], "is already exported"),
    (["--out", "{folder}/new.onnx", "--variant", "b16"], "holds variant 'tiny' but the model is variant 'b16'"),
])
def test_the_export_command_refuses_bad_inputs_in_one_line_and_writes_nothing(exported_tiny, argv, message, capsys):
    path, _ = exported_tiny
    folder = path.parent
    before = sorted(p.name for p in folder.iterdir())
    argv = [item.format(out=path, folder=folder) for item in argv]
    if "--checkpoint" not in argv:
        argv += ["--checkpoint", str(simtrack.EMBEDDED_CHECKPOINT)]
    with pytest.raises(SystemExit) as exit_info:
        run_cli(export.main, argv)
    err = capsys.readouterr().err
    assert exit_info.value.code == 2 and message in err and err.count("\n") == 1, err
    assert sorted(p.name for p in folder.iterdir()) == before


@pytest.mark.parametrize("engine", ENGINES)
def test_every_fp32_engine_gives_the_exact_paths_boxes_per_frame(engine, exported_tiny, sequences, torch_boxes):
    """Fed torch's previous box on every frame, the engine's box is torch's within 1e-3 px; free-running
    (its own previous boxes) the trajectories are only reported: a crop side can round the other way."""
    tracker = simtrack.Tracker.from_checkpoint(exported_tiny[0], engine=engine, device="cpu")
    assert tracker.options.engine == engine and tracker.preprocess.method == "cv2"
    fed, free = 0.0, 0.0
    for sequence, expected in zip(sequences, torch_boxes):
        assert np.array_equal(tracker.init(sequence.frames[0], sequence.boxes[0]), expected[0])
        for index, frame in enumerate(sequence.frames[1:], 1):
            tracker.state = list(expected[index - 1])
            fed = max(fed, float(np.abs(tracker.update(frame) - expected[index]).max()))
        tracker.init(sequence.frames[0], sequence.boxes[0])
        boxes = np.array([tracker.update(frame) for frame in sequence.frames[1:]])
        free = max(free, float(np.abs(boxes - expected[1:]).max()))
    print(f"{engine}: fed {fed:.2e} px, free-running {free:.2e} px")
    assert fed <= PER_FRAME_LIMIT
    assert 0 < tracker.confidence <= 1


def test_a_weights_file_on_another_engine_is_exported_once_into_the_cache(exported_tiny, monkeypatch, tmp_path):
    # exported_tiny placed the command's file where the cache keeps the embedded model's export
    monkeypatch.setattr(cache, "_export", lambda *args: pytest.fail("exported again"))
    model = load_exported(simtrack.EMBEDDED_CHECKPOINT, None, SpeedOptions(engine="onnxruntime"))
    assert model.path.parent == cache.cache_root() / "onnx"
    assert model.checkpoint_sha256 == file_sha256(simtrack.EMBEDDED_CHECKPOINT)
    assert model.path.read_bytes() == exported_tiny[0].read_bytes()
    monkeypatch.undo()
    # A missing or damaged cache file is made again (here by a stand-in exporter), under its lock.
    monkeypatch.setenv("SIMTRACK_CACHE", str(tmp_path / "cache"))
    made = []

    def fake_export(model, target, sha256, source, check=True):
        made.append(target)
        with open(target, "wb") as handle:    # as the real one does, via formats.atomic
            handle.write(exported_tiny[0].read_bytes())
    monkeypatch.setattr("simtrack.engines.export.export_model", fake_export)
    first = load_exported(simtrack.EMBEDDED_CHECKPOINT, "tiny", SpeedOptions(engine="openvino")).path
    first.write_bytes(b"damaged")
    again = load_exported(simtrack.EMBEDDED_CHECKPOINT, "tiny", SpeedOptions(engine="openvino")).path
    assert again == first and len(made) == 2 and read_exported(again).variant == "tiny"
    assert first.with_name(first.name + ".lock").exists()


def test_an_exported_model_runs_in_batches(exported_tiny, sequences, torch_boxes):
    sequence = sequences[0]
    batch = BatchTracker.from_checkpoint(exported_tiny[0], 2, device="cpu")
    assert batch.runner.name == "onnxruntime"
    for slot in (0, 1):
        batch.init(slot, sequence.frames[0], sequence.boxes[0])
    boxes = [batch.update({0: frame, 1: frame}) for frame in sequence.frames[1:6]]
    for row, result in enumerate(boxes, 1):
        assert np.abs(result[0] - torch_boxes[0][row]).max() < 1e-2 and np.array_equal(result[0], result[1])


@pytest.mark.skipif(not engine_installed("onnxruntime"), reason="onnxruntime not installed")
def test_int8_is_opt_in_and_its_drift_stays_small(exported_tiny, sequences, torch_boxes, tmp_path):
    quantised = load_exported(exported_tiny[0], None, SpeedOptions(engine="onnxruntime", precision="int8"))
    assert quantised.precision == "int8" and quantised.path.parent == cache.cache_root() / "onnx"
    with pytest.raises(ConfigError, match="holds an int8 model .* never a default"):
        simtrack.Tracker.from_checkpoint(quantised.path, device="cpu")
    tracker = simtrack.Tracker.from_checkpoint(quantised.path, device="cpu", precision="int8")
    drift = 0.0
    sequence, expected = sequences[0], torch_boxes[0]
    tracker.init(sequence.frames[0], sequence.boxes[0])
    for index, frame in enumerate(sequence.frames[1:20], 1):
        tracker.state = list(expected[index - 1])
        drift = max(drift, float(np.abs(tracker.update(frame) - expected[index]).max()))
    assert 0 < drift < 3.0       # measured on the demo set: at most 0.65 px per frame (docs/deploy.md)


def foreign_onnx(path):
    """A valid ONNX model that simtrack did not write."""
    import onnx
    from onnx import TensorProto, helper
    graph = helper.make_graph([helper.make_node("Relu", ["x"], ["y"])], "g",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1])])
    onnx.save(helper.make_model(graph), str(path))
    return path


@pytest.mark.parametrize("case, message", [
    ("truncated", "is not an ONNX model, or it is damaged"),
    ("text", "is not an ONNX model, or it is damaged"),
    ("foreign", "is an ONNX model, but not one exported by simtrack"),
    ("variant", "holds variant 'tiny', not 'b16'"),
    ("torch", "runs on --engine onnxruntime, openvino or tensorrt, not on torch"),
    ("not installed", "engine openvino is not installed in this environment: pip install 'simtrack[openvino]'"),
    ("tensorrt", "engine tensorrt needs a CUDA GPU"),
    ("int8 on openvino", "precision int8 is not offered by engine openvino"),
    ("compile", "compile: torch option(s), not for engine onnxruntime"),
])
def test_bad_models_and_engines_are_refused_in_one_line_before_any_box(case, message, exported_tiny, tmp_path,
                                                                       monkeypatch, capsys):
    path, _ = exported_tiny
    model, extra = tmp_path / "model.onnx", []
    if case == "truncated":
        model.write_bytes(path.read_bytes()[:100_000])
    elif case == "text":
        model.write_text("not a model\n")
    elif case == "foreign":
        foreign_onnx(model)
    else:
        shutil.copyfile(path, model)
        extra = {"variant": ["--variant", "b16"], "torch": ["--engine", "torch"],
                 "not installed": ["--engine", "openvino"], "tensorrt": ["--engine", "tensorrt"],
                 "int8 on openvino": ["--engine", "openvino", "--precision", "int8"],
                 "compile": ["--compile", "aot_eager"]}[case]
    if case == "not installed":
        monkeypatch.setattr("simtrack.speed.engine_installed", lambda engine: engine != "openvino")
    frames = tmp_path / "frames"
    frames.mkdir()
    for index in range(3):
        import cv2
        cv2.imwrite(str(frames / f"{index:04d}.jpg"), np.full((60, 80, 3), 90 + 40 * index, np.uint8))
    boxes = tmp_path / "boxes.txt"
    with pytest.raises(SystemExit) as exit_info:
        run_cli(track.main, [str(frames), "--box", "20,20,30,30", "--checkpoint", str(model), "--device", "cpu",
                             "--boxes", str(boxes)] + extra)
    err = capsys.readouterr().err
    assert exit_info.value.code == 2 and message in err, err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert not boxes.exists()


def test_the_python_interface_refuses_the_same_way(exported_tiny):
    with pytest.raises(CheckpointError, match="not one exported by simtrack"):
        read_exported(foreign_onnx(exported_tiny[0].parent / "foreign.onnx"))
    with pytest.raises(ConfigError, match="model must be a SimTrack model or an exported model"):
        simtrack.Tracker("model.onnx", engine="onnxruntime", device="cpu")
    with pytest.raises(ConfigError, match="fast: torch option"):
        SpeedOptions(engine="openvino", fast=True)
    with pytest.raises(ConfigError, match="engine 'onnx' is not one of torch, onnxruntime"):
        SpeedOptions(engine="onnx")
    from simtrack.devices import EngineDevice
    if engine_installed("onnxruntime"):
        import onnxruntime
        if "CUDAExecutionProvider" not in onnxruntime.get_available_providers():
            with pytest.raises(ConfigError, match="needs ONNX Runtime's CUDAExecutionProvider.*onnxruntime-gpu"):
                SpeedOptions(engine="onnxruntime").checked(EngineDevice("cuda", 0))
    with pytest.raises(ConfigError, match="engine openvino runs on the CPU here"):
        SpeedOptions(engine="openvino").checked(EngineDevice("cuda", 0))
    assert SpeedOptions().record() == {k: v for k, v in SpeedOptions().as_dict().items() if k != "engine"}
    assert SpeedOptions(engine="openvino").record()["engine"] == "openvino"


def test_the_template_step_travels_inside_the_file(exported_tiny, tmp_path):
    """No sidecar file: a copy of the .onnx alone tracks, and without the template it is refused."""
    import onnx
    proto = onnx.load(str(exported_tiny[0]))
    kept = [entry for entry in proto.metadata_props if entry.key != TEMPLATE_KEY]
    del proto.metadata_props[:]
    proto.metadata_props.extend(kept)
    onnx.save(proto, str(tmp_path / "no-template.onnx"))
    with pytest.raises(CheckpointError, match="template step .* is missing"):
        read_exported(tmp_path / "no-template.onnx")
    printed = io.StringIO()
    with contextlib.redirect_stderr(printed):
        lonely = tmp_path / "lonely" / "tiny.onnx"
        lonely.parent.mkdir()
        shutil.copyfile(exported_tiny[0], lonely)
        tracker = simtrack.Tracker.from_checkpoint(lonely, device="cpu")
        frame = np.full((80, 100, 3), 100, np.uint8)
        tracker.init(frame, (30, 20, 30, 30))
        assert tracker.update(frame).shape == (4,)


def test_a_model_in_memory_is_exported_by_the_hash_of_its_weights(exported_tiny, sequences, torch_boxes,
                                                                   monkeypatch):
    from simtrack.checkpoints import load_model
    model = load_model(simtrack.EMBEDDED_CHECKPOINT)
    asked = []
    monkeypatch.setattr(cache, "exported_model", lambda given: asked.append(given) or read_exported(exported_tiny[0]))
    tracker = simtrack.Tracker(model, device="cpu", engine="openvino")
    assert asked == [model] and tracker.runner.name == "openvino" and str(tracker.device) == "cpu"
    sequence = sequences[1]
    tracker.init(sequence.frames[0], sequence.boxes[0])
    assert np.abs(tracker.update(sequence.frames[1]) - torch_boxes[1][1]).max() < 1e-3
    from simtrack.engines.export import state_sha256
    assert state_sha256(model) == state_sha256(load_model(simtrack.EMBEDDED_CHECKPOINT)) != state_sha256(
        simtrack.build_model("tiny"))


def test_the_got10k_adapter_takes_the_engine(exported_tiny, sequences, torch_boxes):
    pytest.importorskip("got10k")
    from simtrack.adapters.got10k import SimTrackGOT10k
    tracker = SimTrackGOT10k.from_checkpoint(exported_tiny[0], device="cpu", engine="onnxruntime")
    assert tracker.tracker.runner.name == "onnxruntime"
    sequence = sequences[0]
    tracker.init(sequence.frames[0], sequence.boxes[0])
    assert np.abs(tracker.update(sequence.frames[1]) - torch_boxes[0][1]).max() < 1e-3


def test_the_run_header_names_a_faster_engine_when_one_is_installed(monkeypatch):
    from simtrack.engines import faster_engine_note
    monkeypatch.setattr("simtrack.engines.engine_installed", lambda engine: engine == "openvino")
    assert faster_engine_note("torch", ["cpu"]).startswith("note: openvino is installed; --engine openvino ran b16")
    assert faster_engine_note("openvino", ["cpu"]) == faster_engine_note("torch", ["cuda:0"]) == ""
    monkeypatch.setattr("simtrack.engines.engine_installed", lambda engine: False)
    assert faster_engine_note("torch", ["cpu"]) == ""


def test_the_host_pipeline_is_the_torch_pipeline_bit_for_bit():
    """The engines' numpy normalisation and scale-back give the torch path's bits: only the network differs."""
    import torch

    from simtrack.crop import normalize
    from simtrack.tracker import locate
    rng = np.random.default_rng(0)
    for size in (8, 56, 112, 224):
        patch = rng.integers(0, 256, (size, size, 3), dtype=np.uint8)
        ours = normalize(patch)
        assert ours.dtype == np.float32 and ours.flags.c_contiguous and ours.shape == (1, 3, size, size)
        assert np.array_equal(ours, normalize(torch.from_numpy(patch)).numpy())
    for _ in range(2000):
        box = rng.uniform(0, 1, 4).astype(np.float32)
        state, factor, size = list(rng.uniform(5, 300, 4)), float(rng.uniform(0.2, 5)), int(rng.choice([112, 224]))
        assert locate(state, box, factor, size, (480, 640, 3)) == locate(state, torch.from_numpy(box), factor, size,
                                                                        (480, 640, 3))


def with_metadata(path, _graph=None, **facts):
    """``path``: an ONNX model (``_graph``'s, else a foreign one) carrying simtrack's metadata, with ``facts``
    replacing the good ones."""
    import onnx
    from onnx import helper
    proto = onnx.load(str(_graph or foreign_onnx(path)))
    good = {"format": "simtrack-onnx/1", "config": json.dumps(simtrack.VARIANTS["tiny"].to_dict()),
            "mean": "[0.485, 0.456, 0.406]", "std": "[0.229, 0.224, 0.225]", "template_onnx": ""}
    helper.set_model_props(proto, {PREFIX + key: value for key, value in {**good, **facts}.items()})
    onnx.save(proto, str(path))
    return path


@pytest.mark.parametrize("facts, message", [
    ({"config": "[" * 100_000}, "nested too deeply"),
    ({"config": "[1, 2]"}, "simtrack.config is a list, not a dict"),
    ({"config": '{"embed_dim": "128"}'}, "embed_dim = '128' is not a int"),
    ({"mean": "0.5"}, "simtrack.mean is a float, not a list"),
    ({"std": "{"}, "not valid JSON"),
    ({"mean": "[0.5, 0.5, 0.5]"}, "expects another normalisation"),
])
def test_damaged_metadata_is_refused_in_one_error(facts, message, tmp_path):
    """An .onnx is a download like any other: its metadata is read within bounds and checked, never trusted."""
    path = with_metadata(tmp_path / "model.onnx", **facts)
    with pytest.raises(CheckpointError, match=message):
        read_exported(path)


def test_exported_files_are_read_within_bounds(tmp_path, monkeypatch):
    import os

    from simtrack.formats import onnx_file
    good = with_metadata(tmp_path / "model.onnx")
    assert read_exported(good).variant == "tiny"
    monkeypatch.setattr(onnx_file, "MAX_ONNX_METADATA_BYTES", 100)
    with pytest.raises(CheckpointError, match="more than 100 bytes of metadata"):
        read_exported(good)
    monkeypatch.setattr(onnx_file, "MAX_ONNX_BYTES", 100)
    with pytest.raises(CheckpointError, match="more than the 100 it can hold.*without external data"):
        read_exported(good)
    fifo = tmp_path / "fifo.onnx"
    os.mkfifo(fifo)
    with pytest.raises(CheckpointError, match=r"is a FIFO \(named pipe\), not a regular file"):
        read_exported(fifo)
    lying = tmp_path / "lying.onnx"               # field 14 (metadata) claims 1 GB in a 6-byte file
    lying.write_bytes(bytes([14 << 3 | 2]) + (1 << 30).to_bytes(5, "little"))
    with pytest.raises(CheckpointError, match="not an ONNX model, or it is damaged"):
        read_exported(lying)


def graph_of_another_size(path):
    """An ONNX file with simtrack's metadata (tiny) and the exported graphs' names, but sizes of no variant."""
    import base64

    import onnx
    from onnx import TensorProto, helper

    def model(nodes, inputs, outputs):
        graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info(name, TensorProto.FLOAT if name != "template_anno"
                                                                             else TensorProto.DOUBLE, shape)
                                              for name, shape in inputs],
                                  [helper.make_tensor_value_info(name, TensorProto.FLOAT, None) for name in outputs])
        return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])

    search = model([helper.make_node("ReduceMean", ["template_tokens"], ["boxes"], axes=[1], keepdims=0),
                    helper.make_node("ReduceMean", ["search"], ["confidence"], axes=[1, 2, 3], keepdims=0)],
                   [("template_tokens", ["B", 5, 7]), ("search", ["B", 3, 8, 8])], ["boxes", "confidence"])
    template = model([helper.make_node("Identity", ["template"], ["template_tokens"]),
                      helper.make_node("Identity", ["template_anno"], ["unused"])],
                     [("template", [1, 3, 8, 8]), ("template_anno", [1, 4])], ["template_tokens"])
    del template.graph.output[:]
    template.graph.output.extend([helper.make_tensor_value_info("template_tokens", TensorProto.FLOAT, None)])
    onnx.save(search, str(path))
    return with_metadata(path, _graph=path, template_onnx=base64.b64encode(template.SerializeToString()).decode())


@pytest.mark.parametrize("engine", ENGINES)
def test_graphs_that_are_not_simtracks_are_refused_when_loaded(engine, tmp_path):
    """Metadata can claim anything: each engine checks the graphs' names and sizes against the variant."""
    import base64
    foreign_template = base64.b64encode(foreign_onnx(tmp_path / "template.onnx").read_bytes()).decode()
    options = SpeedOptions(engine=engine)
    for path, message in ((with_metadata(tmp_path / "foreign.onnx", template_onnx=foreign_template),
                           r"\(per-frame step\) has inputs and outputs \['x', 'y'\]"),
                          (graph_of_another_size(tmp_path / "sizes.onnx"),
                           r"template_tokens has shape \('B', 5, 7\), variant tiny has \('B', 65, 128\)")):
        with pytest.raises(CheckpointError, match=message):
            simtrack.Tracker(read_exported(path), device="cpu", **options.as_dict())


@pytest.mark.skipif(not engine_installed("openvino"), reason="openvino not installed")
def test_openvino_computes_in_fp32_on_unpinned_threads(exported_tiny, monkeypatch):
    """OpenVINO's CPU plugin picks bf16 on CPUs with bf16 units (boxes then move by pixels) and pins
    each process's threads, which put one-thread runner workers on the same core: both are overridden."""
    import openvino

    from simtrack.devices import EngineDevice
    from simtrack.engines.runners import OpenVinoRunner
    monkeypatch.setattr("simtrack.engines.runners.chosen_threads", lambda: 1)      # as set_threads(1) leaves it

    def compiled(precision):
        options = SpeedOptions(engine="openvino", precision=precision)
        return OpenVinoRunner(read_exported(exported_tiny[0]), EngineDevice("cpu"), options)._search_model

    fp32 = compiled("fp32")
    assert fp32.get_property("INFERENCE_PRECISION_HINT") == openvino.Type.f32
    assert fp32.get_property("ENABLE_CPU_PINNING") is False
    assert fp32.get_property("INFERENCE_NUM_THREADS") == 1


def test_a_fifo_weights_file_is_refused_in_one_error_not_a_hang(tmp_path):
    """Hashing a weights file to find its export opened it blindly: a FIFO named like a checkpoint blocked
    forever. The subprocess bounds the test should it hang again."""
    import os
    import subprocess
    import sys
    fifo = tmp_path / "fifo.pth"
    os.mkfifo(fifo)
    code = ("from simtrack.engines import load_exported\nfrom simtrack.errors import CheckpointError\n"
            "from simtrack.speed import SpeedOptions\ntry:\n"
            f"    load_exported({str(fifo)!r}, speed=SpeedOptions(engine='onnxruntime'))\n"
            "except CheckpointError as error:\n    print('refused:', error)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                          env=dict(os.environ, MPLBACKEND="Agg"))
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"refused: file {fifo} is a FIFO (named pipe), not a regular file; refused unread"


def test_a_files_hash_is_read_once_per_process_until_the_file_changes(tmp_path, monkeypatch):
    import hashlib
    import os

    from simtrack.formats import file_hash
    path = tmp_path / "weights.bin"
    path.write_bytes(b"weights" * 1000)
    assert file_sha256(path) == hashlib.sha256(path.read_bytes()).hexdigest()
    reads, sha256 = [], hashlib.sha256
    monkeypatch.setattr(file_hash.hashlib, "sha256", lambda: reads.append(1) or sha256())
    expected = {text: sha256(text * 1000).hexdigest() for text in (b"weights", b"other")}
    assert file_sha256(tmp_path / ".." / tmp_path.name / "weights.bin") == expected[b"weights"]
    assert reads == []                              # the same file, by another path: remembered
    path.write_bytes(b"other" * 1000)
    os.utime(path, ns=(1, 1))
    assert file_sha256(path) == expected[b"other"] and reads == [1]


def test_a_crafted_variant_name_writes_nothing_outside_the_cache(monkeypatch, engine_cache):
    """The variant comes from a checkpoint's or an exported file's config, so it can be "../../x": the
    cache's file names keep real variant names and turn anything else into a plain name inside it."""
    from types import SimpleNamespace

    from simtrack.engines import export as exporting
    from simtrack.engines.runners import tensorrt_engine_path
    written = []
    monkeypatch.setattr(exporting, "export_model", lambda model, out, *rest: written.append(out) or out.write_bytes(b"x"))
    monkeypatch.setattr(cache, "read_exported", lambda path, variant=None: path)     # the written file's path
    crafted = SimpleNamespace(config=SimpleNamespace(name="../../escaped"))
    target = cache._export(crafted, "ab" * 32, "crafted")
    assert written == [target] and target.parent == engine_cache / "onnx" and target.name.startswith("escaped-")
    assert not (engine_cache.parent / "escaped").exists() and not list(engine_cache.parent.glob("escaped*"))
    engine = tensorrt_engine_path(SimpleNamespace(sha256="cd" * 32, variant="../../../x"), "fp16", "../GPU name",
                                  (9, 0), "10.3")
    assert engine.parent.parent == engine_cache / "tensorrt" and engine.name.startswith("x-")
    assert engine.parent.name == "GPU-name-sm90-trt10.3"
    assert cache.export_path("b16_mae", "ef" * 32).name.startswith("b16_mae-")     # real names stay as they are
    assert cache.export_path(None, "ef" * 32).name.startswith("*-")                   # the pattern for any


def test_a_cached_tensorrt_engine_is_read_within_bounds(tmp_path, monkeypatch):
    """No GPU needed: the engine's cache step alone, with a stand-in builder."""
    from simtrack import limits
    from simtrack.engines.runners import TensorRtRunner
    runner = TensorRtRunner.__new__(TensorRtRunner)
    built = []
    runner._build = lambda: built.append(1) or b"engine bytes"
    path = tmp_path / "gpu" / "tiny.engine"
    assert runner._built(path) == b"engine bytes" and path.read_bytes() == b"engine bytes" and built == [1]
    assert runner._built(path) == b"engine bytes" and built == [1]          # read from the cache, not built again
    monkeypatch.setattr(limits, "MAX_TENSORRT_ENGINE_BYTES", 4)
    with pytest.raises(CheckpointError, match="TensorRT engine .* more than the 4 it can hold"):
        runner._built(path)


def test_the_cache_lock_follows_no_link(tmp_path):
    """A link in place of a lock file made open(..., "a") create its target wherever it pointed."""
    import os
    target = tmp_path / "cache" / "model.onnx"
    target.parent.mkdir()
    elsewhere = tmp_path / "elsewhere.txt"
    os.symlink(elsewhere, target.with_name("model.onnx.lock"))
    with pytest.raises(ConfigError, match=r"cannot open the lock file .*model\.onnx\.lock .*remove it"):
        with cache.locked(target):
            pytest.fail("locked through a link")
    assert not elsewhere.exists()
    with cache.locked(tmp_path / "cache" / "other.onnx"):
        assert (tmp_path / "cache" / "other.onnx.lock").is_file()
