"""Device names beyond indices: GPU/MIG UUIDs for one process, and one device per spawned worker."""
import multiprocessing

import pytest
import torch

from benchmarks.runner.backends.worker import claim_device
from benchmarks.runner.planning import Slot
from simtrack import devices
from simtrack.errors import ConfigError

GPU = "GPU-5c7b6b0f-1a2b-3c4d-5e6f-0123456789ab"
MIG = "MIG-c6d4f1ef-42e4-5de3-91c7-45d012d5d4e9"


def test_a_uuid_names_the_cuda_index_torch_gives_that_device(monkeypatch):
    monkeypatch.setattr(devices, "cuda_count", lambda: 2)
    monkeypatch.setattr(devices, "visible_uuids", lambda: ["0000000f-1a2b-3c4d-5e6f-0123456789ab", GPU[4:]])
    assert devices.resolve_device(GPU.lower()) == torch.device("cuda", 1)
    assert devices.check_present(GPU, "--device") == GPU
    with pytest.raises(ConfigError, match=f"--device {MIG}: no CUDA device of this process .*CUDA_VISIBLE_DEVICES={MIG}"):
        devices.check_present(MIG, "--device")


def report_device(slot, answers):
    answers.put((claim_device(slot), multiprocessing.current_process().name,
                 __import__("os").environ.get("CUDA_VISIBLE_DEVICES")))


@pytest.mark.parametrize("visible", ["3", MIG])
def test_each_spawned_worker_sees_exactly_its_device_as_cuda_0(visible, monkeypatch):
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "1,3")          # the runner's own view is left alone
    context = multiprocessing.get_context("spawn")
    answers = context.Queue()
    process = context.Process(target=report_device, args=(Slot(0, "cuda:1", 1, visible), answers), name="w0")
    process.start()
    assert answers.get(timeout=60) == ("cuda:0", "w0", visible)
    process.join(30)
    assert claim_device(Slot(0, "cpu", 1)) == "cpu"
