"""Fast inference paths: the same pixels and, in fp32, the same boxes as the exact tracker."""
import numpy as np
import pytest
import torch
from model_helpers import moving_object_frames, random_model

import simtrack
from simtrack.checkpoints import save_checkpoint
from simtrack.crop import sample_target, sample_target_torch
from simtrack.errors import ConfigError
from simtrack.inference import low_precision_copy

CUDA = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")


def track(tracker, frames, box):
    tracker.init(frames[0], box)
    return np.array([tracker.update(frame) for frame in frames[1:]])


def random_windows(rng, count):
    """Boxes inside, across every edge, and beyond the frame; crops up- and down-scaled."""
    for _ in range(count):
        height, width = (int(v) for v in rng.integers(1, 200, 2))
        box = (rng.uniform(-50, width + 20), rng.uniform(-50, height + 20),
               rng.uniform(0.5, 120), rng.uniform(0.5, 120))
        yield (rng.integers(0, 256, (height, width, 3), dtype=np.uint8), box,
               float(rng.choice([1.5, 2.0, 4.0])), int(rng.choice([8, 56, 112, 224])))


def test_torch_crop_gives_the_opencv_pixels_exactly():
    rng = np.random.default_rng(0)
    for image, box, factor, size in random_windows(rng, 150):
        expected, expected_factor = sample_target(image, box, factor, size)
        patch, resize_factor = sample_target_torch(torch.from_numpy(image), box, factor, size)
        assert resize_factor == expected_factor
        assert np.array_equal(patch.numpy(), expected), (image.shape, box, factor, size)


def test_torch_crop_of_an_exact_2x_reduction_and_of_a_touching_edge():
    image = np.random.default_rng(1).integers(0, 256, (300, 300, 3), dtype=np.uint8)
    for box in [(100, 100, 56, 56),       # side 224 -> 112: OpenCV switches to INTER_AREA
                (250, 250, 40, 50),       # window reaches the right/bottom edge: last row/column dropped
                (0, 0, 300, 300)]:        # window larger than the frame on every side
        expected, _ = sample_target(image, box, 2.0, 112)
        assert np.array_equal(sample_target_torch(torch.from_numpy(image), box, 2.0, 112)[0].numpy(), expected)


def test_fast_means_the_gpu_crop_on_cuda_and_nothing_on_the_cpu():
    model = random_model("tiny", seed=21)
    assert simtrack.Tracker(model, device="cpu", fast=True).preprocess.method == "cv2"
    assert simtrack.Tracker(model, device="cpu", fast=True, crop="torch").preprocess.method == "torch"
    assert simtrack.Tracker(model, device="cpu").preprocess.method == "cv2"


@pytest.mark.parametrize("options", [{"crop": "torch"}, {"fast": True, "crop": "torch"}])
def test_torch_crop_tracker_boxes_equal_the_exact_ones(options):
    model = random_model("tiny", seed=21)
    frames, boxes = moving_object_frames(25, seed=4)
    exact = track(simtrack.Tracker(model, device="cpu"), frames, boxes[0])
    fast = track(simtrack.Tracker(model, device="cpu", **options), frames, boxes[0])
    assert len(np.unique(exact.round(2), axis=0)) > 5       # the boxes really move
    np.testing.assert_array_equal(fast, exact)


def test_fast_tracker_near_the_frame_border():
    model = random_model("tiny", seed=22)
    frames, _ = moving_object_frames(8, seed=5)
    exact = track(simtrack.Tracker(model, device="cpu"), frames, (140.3, 100.7, 19.4, 18.9))
    fast = track(simtrack.Tracker(model, device="cpu", fast=True, crop="torch"), frames, (140.3, 100.7, 19.4, 18.9))
    np.testing.assert_array_equal(fast, exact)


def test_a_bf16_tracker_does_not_change_an_exact_tracker_sharing_its_model():
    frames, boxes = moving_object_frames(6, seed=6)
    alone = track(simtrack.Tracker(random_model("tiny", seed=23), device="cpu"), frames, boxes[0])
    model = random_model("tiny", seed=23)
    reduced = simtrack.Tracker(model, device="cpu", fast=True, precision="bf16")
    exact = simtrack.Tracker(model, device="cpu")
    reduced.init(frames[0], boxes[0])
    exact.init(frames[0], boxes[0])
    shared = []
    for frame in frames[1:]:
        reduced.update(frame)               # runs on its private bf16 copy of the weights
        shared.append(exact.update(frame))
    assert model.bottleneck.weight.dtype == torch.float32
    assert np.array_equal(np.array(shared), alone)


def test_compiled_forward_gives_the_exact_boxes():
    """torch.compile's graph capture of the per-frame forward, on a backend that needs no C++
    toolchain (inductor, compile=True, is the same capture plus ~50 s of code generation here)."""
    torch._dynamo.reset()
    model = random_model("tiny", seed=28)
    frames, boxes = moving_object_frames(8, seed=9)
    exact = track(simtrack.Tracker(model, device="cpu"), frames, boxes[0])
    tracker = simtrack.Tracker(model, device="cpu", compile="aot_eager")
    assert tracker.options.compile_backend == "aot_eager"
    assert np.max(np.abs(track(tracker, frames, boxes[0]) - exact)) < 1e-3


@pytest.mark.parametrize("precision", ["bf16", "fp16"])
def test_reduced_precision_tracks_the_same_object(precision):
    model = random_model("tiny", seed=24)
    frames, boxes = moving_object_frames(10, seed=7)
    exact = track(simtrack.Tracker(model, device="cpu"), frames, boxes[0])
    reduced = track(simtrack.Tracker(model, device="cpu", fast=True, precision=precision), frames, boxes[0])
    assert reduced.dtype == np.float64 and np.all(np.isfinite(reduced))
    assert np.max(np.abs(reduced - exact)) < 2.0     # pixels; random weights make this a loose check


@pytest.mark.parametrize("dtype", [torch.bfloat16, torch.float16])
def test_stored_low_precision_weights_give_the_autocast_numbers_bit_for_bit(dtype):
    model = random_model("tiny", seed=27)
    twin = low_precision_copy(model, dtype)
    assert twin.bottleneck.weight.dtype == dtype and model.bottleneck.weight.dtype == torch.float32
    template, search = torch.randn(1, 3, 56, 56), torch.randn(2, 3, 112, 112)
    anno = torch.tensor([0.3, 0.3, 0.4, 0.4], dtype=torch.float64)
    with torch.inference_mode(), torch.autocast("cpu", dtype=dtype):
        expected = model(template, search, anno)
        got = twin(template, search, anno)
    assert torch.equal(got["boxes"], expected["boxes"]) and torch.equal(got["confidence"], expected["confidence"])


def test_speed_options_reach_the_tracker_from_a_checkpoint(tmp_path):
    path = save_checkpoint(random_model("tiny", seed=25), tmp_path / "tiny.safetensors")
    tracker = simtrack.Tracker.from_checkpoint(path, device="cpu", fast=True, precision="bf16")
    assert tracker.options.fast and tracker.options.precision == "bf16"
    assert tracker.runner.dtype == torch.bfloat16


@pytest.mark.parametrize("options, message", [
    ({"precision": "int8"}, "precision"),
    ({"crop": "pil"}, "crop"),
    ({"cuda_graphs": True}, "CUDA device"),
    ({"compile": "no_such_backend"}, "compile backend 'no_such_backend'"),
])
def test_bad_speed_options_are_refused(options, message):
    with pytest.raises(ConfigError, match=message):
        simtrack.Tracker(random_model("tiny"), device="cpu", **options)


@CUDA
def test_gpu_crop_and_cuda_graphs_match_the_exact_tracker():
    model = random_model("tiny", seed=26)
    frames, boxes = moving_object_frames(12, seed=8)
    exact = track(simtrack.Tracker(model, device="cpu"), frames, boxes[0])
    for options in ({"fast": True}, {"fast": True, "cuda_graphs": True}):
        tracker = simtrack.Tracker(model, device="cuda", **options)
        assert tracker.preprocess.method == "torch"
        # cuDNN convolutions may use TF32 by default: a looser bound than on the CPU.
        assert np.max(np.abs(track(tracker, frames, boxes[0]) - exact)) < 0.05
