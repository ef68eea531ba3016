"""Optimisation and the trainer: loss, parameter groups, learning, exact resume, signals, DDP on CPU."""
import dataclasses
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
import yaml
from safetensors import safe_open

import simtrack
from simtrack.checkpoints import load_model
from simtrack.cli import run_cli
from simtrack.errors import CheckpointError, ConfigError
from simtrack.model import get_config
from simtrack.train.__main__ import main as train_main
from simtrack.train.config import load_config
from simtrack.train.data import PairDataset, build_processor, load_pools
from simtrack.train.launch import Launch, first_host, read_launch
from simtrack.train.loss import CornerMapLoss, TrackingLoss, corner_targets
from simtrack.train.optim import build_optimizer
from simtrack.train.sampler import MixedPairSampler
from simtrack.train.state import load_state
from simtrack.train.sync_norm import synchronise_batchnorm
from simtrack.train.trainer import DistributedContext, Trainer

REPO = Path(__file__).resolve().parents[1]


def write_recipe(path, output_dir, epochs=2, samples=8, batch=4, **run):
    recipe = {
        "model": {"variant": "tiny"},
        "data": {"datasets": [{"name": "synthetic", "sequences": 3, "frames": 20}], "samples_per_epoch": samples,
                 "pairs_per_sequence": 4, "workers": 0},
        "optim": {"epochs": epochs, "batch_size": batch, "lr": 1e-3, "backbone_lr_mult": 1.0, "lr_drop_epoch": 1},
        "run": {"output_dir": str(output_dir), "device": "cpu", "tensorboard": False, "log_every": 1,
                "threads": 1, **run},
    }
    path.write_text(yaml.safe_dump(recipe))
    return path


def test_loss_values():
    criterion = TrackingLoss(giou_weight=2.0, l1_weight=5.0)
    target = torch.tensor([[0.25, 0.25, 0.5, 0.5]])
    loss, stats = criterion(torch.tensor([[0.5, 0.5, 0.5, 0.5]]), target)
    assert loss.item() == pytest.approx(0.0, abs=1e-6) and stats["iou"] == pytest.approx(1.0)
    # Same size, shifted by half a width: IoU 1/3 and the hull is the union.
    loss, stats = criterion(torch.tensor([[0.375, 0.25, 0.25, 0.25]]), torch.tensor([[0.125, 0.125, 0.25, 0.25]]))
    assert stats["giou"] == pytest.approx(1 - 1 / 3, abs=1e-6)
    assert stats["l1"] == pytest.approx(0.125 / 2, abs=1e-6)
    assert loss.item() == pytest.approx(2 * stats["giou"] + 5 * stats["l1"], abs=1e-6)
    # Disjoint: IoU 0, hull 0.1875 vs union 0.125, GIoU -1/3.
    loss, stats = criterion(torch.tensor([[0.625, 0.125, 0.25, 0.25]]), torch.tensor([[0.0, 0.0, 0.25, 0.25]]))
    assert stats["giou"] == pytest.approx(4 / 3, abs=1e-6) and stats["l1"] == pytest.approx(0.25, abs=1e-6)
    assert loss.item() == pytest.approx(2 * stats["giou"] + 5 * stats["l1"], abs=1e-6)
    # A degenerate prediction (negative width) drops the GIoU term for the batch, as the reference.
    _, stats = criterion(torch.tensor([[0.5, 0.5, -0.1, 0.2], [0.5, 0.5, 0.2, 0.2]]), target.repeat(2, 1))
    assert stats["giou"] == 0.0 and stats["l1"] > 0


def test_corner_map_targets_have_the_ground_truth_as_expectation():
    points = torch.tensor([[0.3, 0.55], [0.0, 0.5], [0.99, 0.1]])
    maps = corner_targets(points, 14).reshape(3, 14, 14)
    cells = torch.arange(14) / 14
    torch.testing.assert_close(maps.sum((1, 2)), torch.ones(3))
    torch.testing.assert_close((maps.sum(1) * cells).sum(1), torch.tensor([0.3, 0.0, 13 / 14]))
    torch.testing.assert_close((maps.sum(2) * cells).sum(1), torch.tensor([0.55, 0.5, 0.1]))


def test_corner_map_loss_reads_the_head_through_hooks():
    model = simtrack.build_model("tiny")
    corner_loss = CornerMapLoss(model)
    batch = 2
    output = model(torch.randn(batch, 3, 56, 56), torch.randn(batch, 3, 112, 112), torch.tensor([[0.25, 0.25, 0.5, 0.5]]))
    loss = corner_loss(torch.tensor([[0.3, 0.3, 0.2, 0.2]]).repeat(batch, 1))
    loss.backward()
    assert loss.item() > 0 and model.box_head.conv5_tl.weight.grad.abs().sum() > 0
    assert output["boxes"].shape == (batch, 4) and corner_loss.maps == {}


def test_three_parameter_groups_with_backbone_multiplier():
    model = simtrack.build_model("tiny")
    config = load_config(REPO / "simtrack" / "configs" / "b16_full.yaml")
    optimizer, scheduler = build_optimizer(model, config.optim)
    groups = {group["name"]: group for group in optimizer.param_groups}
    assert [groups[n]["lr"] for n in ("head", "template_position", "backbone")] == pytest.approx([1e-4, 1e-4, 1e-5])
    assert all(group["weight_decay"] == 1e-4 for group in optimizer.param_groups)
    names = {id(p): n for n, p in model.named_parameters()}
    assert all(names[id(p)].startswith("backbone.template_pos.") for p in groups["template_position"]["params"])
    assert all(names[id(p)].startswith(("bottleneck.", "box_head.")) for p in groups["head"]["params"])
    assert sum(len(g["params"]) for g in optimizer.param_groups) == len(names)
    for _ in range(40):
        optimizer.step()
        scheduler.step()
    assert groups["backbone"]["lr"] == pytest.approx(1e-6)


def test_a_few_steps_reduce_the_loss_on_a_fixed_batch(tmp_path):
    torch.manual_seed(0)
    config = load_config(write_recipe(tmp_path / "r.yaml", tmp_path / "out"))
    pools, ratios = load_pools(config.data)
    dataset = PairDataset(MixedPairSampler(pools, ratios, 50), build_processor(get_config("tiny"), config.data), 0)
    batch = {k: torch.stack([dataset[i][k] for i in range(4)]) for k in ("template", "search", "template_anno",
                                                                        "search_box")}
    model = simtrack.build_model("tiny").train()
    optimizer, _ = build_optimizer(model, config.optim)
    criterion = TrackingLoss()
    l1 = []
    for _ in range(8):
        loss, stats = criterion(model(batch["template"], batch["search"], batch["template_anno"])["boxes"],
                                batch["search_box"])
        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 0.1)
        optimizer.step()
        l1.append(stats["l1"])   # the GIoU term switches on and off with degenerate boxes; L1 is always on
    assert l1[-1] < 0.7 * l1[0], l1


def run_trainer(recipe, resume=None, stop_after=None):
    trainer = Trainer(load_config(recipe), resume=resume)
    steps = []

    def callback(t, stats):
        steps.append(stats["loss"])
        if stop_after is not None and len(steps) == stop_after:
            t.request_stop()
    try:
        code = trainer.train(callback)
    finally:
        trainer.close()
    return trainer, code, steps


def test_interrupted_run_resumes_exactly_where_it_stopped(tmp_path):
    straight, code, losses = run_trainer(write_recipe(tmp_path / "a.yaml", tmp_path / "a", tensorboard=True))
    assert code == 0 and len(losses) == 4
    assert list((tmp_path / "a" / "tensorboard").glob("events.out.tfevents.*"))

    recipe = write_recipe(tmp_path / "b.yaml", tmp_path / "b")
    _, code, first = run_trainer(recipe, stop_after=3)       # epoch 2, after its first batch
    assert code == 128 + signal.SIGINT
    state = torch.load(tmp_path / "b" / "checkpoints" / "last.state.pt", weights_only=True)
    assert (state["epoch"], state["samples_done"], state["weights"]) == (1, 4, "interrupted.safetensors")
    resumed, code, rest = run_trainer(recipe, resume="auto")
    assert code == 0 and len(rest) == 1
    assert first + rest == pytest.approx(losses, rel=0, abs=0)
    for name, tensor in straight.model.state_dict().items():
        torch.testing.assert_close(resumed.model.state_dict()[name], tensor, rtol=0, atol=0)
    assert resumed.scheduler.state_dict() == straight.scheduler.state_dict()
    assert resumed.optimizer.param_groups[0]["lr"] == pytest.approx(1e-5)   # x0.1 after each epoch (step 1)
    final = load_model(tmp_path / "b" / "checkpoints" / "epoch_0002.safetensors")
    torch.testing.assert_close(final.state_dict(), straight.model.state_dict(), rtol=0, atol=0)


def test_sigint_saves_and_exits(tmp_path):
    recipe = write_recipe(tmp_path / "r.yaml", tmp_path / "out", epochs=50, samples=8, batch=2)
    env = dict(os.environ, PYTHONPATH=str(REPO))
    process = subprocess.Popen([sys.executable, "-m", "simtrack.train", "--config", str(recipe)], cwd=tmp_path,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    deadline = time.time() + 60
    lines = []
    for line in process.stdout:
        lines.append(line)
        if "step 2/" in line or time.time() > deadline:
            break
    process.send_signal(signal.SIGINT)
    output, _ = process.communicate(timeout=60)
    assert process.returncode == 128 + signal.SIGINT, "".join(lines) + output
    assert "continue with --resume" in output
    state = torch.load(tmp_path / "out" / "checkpoints" / "last.state.pt", weights_only=True)
    assert state["samples_done"] > 0 or state["epoch"] > 0
    load_model(tmp_path / "out" / "checkpoints" / "interrupted.safetensors")


def torchrun(recipe, *extra):
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
               "-m", "simtrack.train", "--config", str(recipe), *extra]
    env = dict(os.environ, PYTHONPATH=str(REPO), OMP_NUM_THREADS="1")
    result = subprocess.run(command, cwd=recipe.parent, env=env, capture_output=True, text=True, timeout=240)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result


@pytest.fixture(scope="module")
def ddp_run(tmp_path_factory):
    """torchrun, 2 processes x batch 2, two steps."""
    folder = tmp_path_factory.mktemp("ddp")
    recipe = write_recipe(folder / "one.yaml", folder / "ddp", epochs=1, samples=8, batch=2)
    result = torchrun(recipe)
    return recipe, folder / "ddp", result.stdout + result.stderr


def weights_and_loss(path):
    with safe_open(str(path), "pt") as file:
        return {key: file.get_tensor(key) for key in file.keys()}, float(file.metadata()["loss"])


def test_two_processes_on_cpu_train_and_resume(ddp_run, tmp_path):
    _, out, output = ddp_run
    assert "epoch 1 done" in output
    state = torch.load(out / "checkpoints" / "last.state.pt", weights_only=True)
    assert (state["epoch"], state["samples_done"], state["world_size"]) == (1, 0, 2)
    # Resuming restores the saved state exactly, and training carries on from it.
    shutil.copytree(out, tmp_path / "ddp")
    out = tmp_path / "ddp"
    trainer = Trainer(load_config(write_recipe(tmp_path / "two.yaml", out, epochs=2, samples=8, batch=2)),
                      resume="auto")
    saved = load_model(out / "checkpoints" / "epoch_0001.safetensors")
    torch.testing.assert_close(trainer.model.state_dict(), saved.state_dict(), rtol=0, atol=0)
    assert trainer.epoch == 1 and trainer.scheduler.last_epoch == 1
    torch.testing.assert_close(trainer.optimizer.state_dict()["state"], state["optimizer"]["state"], rtol=0, atol=0)
    try:
        assert trainer.train() == 0
    finally:
        trainer.close()
    assert torch.load(out / "checkpoints" / "last.state.pt", weights_only=True)["epoch"] == 2


def test_srun_tasks_on_two_nodes_train_what_torchrun_trains_on_one(ddp_run, tmp_path):
    recipe, torchrun_out, _ = ddp_run
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    tasks = []
    for rank in (0, 1):   # srun -N 2 --ntasks-per-node 1: one task per node, each the node's local rank 0
        env = dict(os.environ, PYTHONPATH=str(REPO), OMP_NUM_THREADS="1", SLURM_JOB_ID="77", SLURM_STEP_ID="0",
                   SLURM_PROCID=str(rank), SLURM_NODEID=str(rank), SLURM_LOCALID="0", SLURM_STEP_NUM_TASKS="2",
                   SLURM_NTASKS="2", SLURM_STEP_NODELIST="localhost,localhost", MASTER_PORT=str(port))
        tasks.append(subprocess.Popen([sys.executable, "-m", "simtrack.train", "--config", str(recipe), "--output-dir",
                                       str(tmp_path / "srun")], cwd=tmp_path,
                                      env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True))
    outputs = [task.communicate(timeout=240)[0] for task in tasks]
    assert [task.returncode for task in tasks] == [0, 0], "\n".join(outputs)
    assert "epoch 1 done" in outputs[0] and not outputs[1].strip()        # one training, one writer, one log
    srun_weights, srun_loss = weights_and_loss(tmp_path / "srun" / "checkpoints" / "epoch_0001.safetensors")
    ddp_weights, ddp_loss = weights_and_loss(torchrun_out / "checkpoints" / "epoch_0001.safetensors")
    torch.testing.assert_close(srun_weights, ddp_weights, rtol=0, atol=0)
    assert srun_loss == ddp_loss


def sync_batchnorm_rank(rank, port, answers):
    """One of two gloo processes: a synchronised BatchNorm over its half of a batch of 6."""
    context = DistributedContext("cpu", Launch(rank, 2, 0, "test", f"tcp://127.0.0.1:{port}"))
    torch.manual_seed(0)
    batch = torch.randn(6, 3, 4, 4) * 3 + 1
    layer = synchronise_batchnorm(torch.nn.Sequential(torch.nn.BatchNorm2d(3)))[0]
    layer.weight.data = torch.tensor([0.5, 1.0, 2.0])
    half = batch[rank * 3:(rank + 1) * 3].clone().requires_grad_()
    output = layer(half)
    (output * torch.arange(output.numel()).reshape(output.shape)).sum().backward()
    # numpy arrays travel by value; a tensor would be fetched through a socket of this process, which
    # may have exited by the time the test reads the queue
    values = [tensor.detach().numpy().copy() for tensor in
              (output, half.grad, layer.weight.grad, layer.running_mean, layer.running_var)]
    answers.put((rank, *values, context.mean({"loss": float(rank), "iou": 0.5})))
    try:
        context.check_same(f"recipe {rank}", "recipe")
    except ConfigError as error:
        answers.put((rank, str(error)))
    context.close()


def test_synchronised_batchnorm_makes_two_processes_one_batch(tmp_path):
    """2 processes x 3 samples = 1 process x 6 samples: outputs, gradients, running statistics."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    context = torch.multiprocessing.get_context("spawn")
    answers = context.Queue()
    processes = [context.Process(target=sync_batchnorm_rank, args=(rank, port, answers)) for rank in (0, 1)]
    for process in processes:
        process.start()
    messages = [answers.get(timeout=120) for _ in range(4)]
    results = {message[0]: message for message in messages if len(message) > 2}
    errors = {message[0]: message[1] for message in messages if len(message) == 2}
    for process in processes:
        process.join(60)
    torch.manual_seed(0)
    batch = (torch.randn(6, 3, 4, 4) * 3 + 1).requires_grad_()
    reference = torch.nn.BatchNorm2d(3)
    reference.weight.data = torch.tensor([0.5, 1.0, 2.0])
    output = reference(batch)
    (torch.cat([output[:3], output[3:]]) * torch.cat([torch.arange(144).reshape(3, 3, 4, 4)] * 2)).sum().backward()
    for rank in (0, 1):
        _, out, grad, weight_grad, mean, var, averaged = results[rank]
        out, grad, mean, var = (torch.from_numpy(array) for array in (out, grad, mean, var))
        torch.testing.assert_close(out, output[rank * 3:(rank + 1) * 3].detach(), rtol=1e-5, atol=1e-5)
        torch.testing.assert_close(grad, batch.grad[rank * 3:(rank + 1) * 3], rtol=1e-4, atol=1e-5)
        torch.testing.assert_close(mean, reference.running_mean)
        torch.testing.assert_close(var, reference.running_var)
        assert averaged == {"iou": 0.5, "loss": 0.5}       # the same mean on both ranks
        assert "process(es) 1 of 2 hold another recipe than process 0" in errors[rank]
    # DDP averages parameter gradients over the processes; the reference summed over one batch.
    torch.testing.assert_close(torch.from_numpy(results[0][3] + results[1][3]), reference.weight.grad, rtol=1e-4,
                               atol=1e-4)


def test_launch_environments():
    assert read_launch({}) == Launch()
    assert read_launch({"WORLD_SIZE": "4", "RANK": "3", "LOCAL_RANK": "1"}) == Launch(3, 4, 1, "torchrun")
    srun = {"SLURM_JOB_ID": "123456", "SLURM_STEP_ID": "0", "SLURM_PROCID": "5", "SLURM_LOCALID": "1",
            "SLURM_STEP_NUM_TASKS": "8", "SLURM_NTASKS": "8", "SLURM_STEP_NODELIST": "gpu[07-08,12],cpu1",
            "SLURM_LAUNCH_NODE_IPADDR": "10.1.1.1"}
    assert read_launch(srun) == Launch(5, 8, 1, "srun", "tcp://gpu07:23456")
    assert read_launch(dict(srun, MASTER_ADDR="fe80::1", MASTER_PORT="29400")).init_method == "tcp://[fe80::1]:29400"
    assert first_host("rack[2-3]-node[001-004]") == "rack2-node001" and first_host("a,b[1-2]") == "a"
    # The batch script itself (one process, though the job has 8 tasks) trains alone.
    assert read_launch({"SLURM_JOB_ID": "1", "SLURM_NTASKS": "8", "SLURM_PROCID": "0"}) == Launch()
    assert read_launch(dict(srun, SLURM_STEP_ID=str(0xFFFFFFFB))) == Launch()
    with pytest.raises(ConfigError, match="names the node of task 0.*srun --ntasks-per-node 1 torchrun"):
        read_launch({key: value for key, value in srun.items() if "NODE" not in key})
    with pytest.raises(ConfigError, match="OMPI_COMM_WORLD_SIZE=4: .*separate models.*torchrun"):
        read_launch({"OMPI_COMM_WORLD_SIZE": "4"})


def test_resume_from_another_variant_is_refused(tmp_path):
    run_trainer(write_recipe(tmp_path / "r.yaml", tmp_path / "out", epochs=1, samples=4))
    other = dataclasses.replace(get_config("tiny"), name="tiny_deep", depth=6)
    with pytest.raises(CheckpointError, match="written for variant 'tiny' but the recipe trains variant 'tiny_deep'"):
        load_state(tmp_path / "out" / "checkpoints" / "last.state.pt", simtrack.build_model(other))


@pytest.mark.parametrize("argv, message", [
    (["--config", "missing.yaml"], "does not exist"),
    (["--config", "{recipe}", "--resume"], "no training state to resume"),
    (["--config", "{recipe}", "--resume", "{weights}"], "holds weights only"),
])
def test_command_line_errors_are_one_line(tmp_path, capsys, argv, message):
    recipe = write_recipe(tmp_path / "r.yaml", tmp_path / "out")
    argv = [a.format(recipe=recipe, weights=tmp_path / "w.safetensors") for a in argv]
    with pytest.raises(SystemExit) as exit_info:
        run_cli(train_main, argv)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and message in err and "Traceback" not in err


@pytest.mark.parametrize("precision", ["bf16", "fp16"])
def test_mixed_precision_steps_train(tmp_path, precision):
    recipe = write_recipe(tmp_path / "r.yaml", tmp_path / "out", epochs=1, samples=4, batch=4)
    recipe.write_text(recipe.read_text().replace("lr_drop_epoch: 1", f"lr_drop_epoch: 1\n  precision: {precision}"))
    trainer = Trainer(load_config(recipe))
    before = {k: v.clone() for k, v in trainer.model.state_dict().items()}
    try:
        assert trainer.train() == 0
    finally:
        trainer.close()
    after = trainer.model.state_dict()
    assert all(torch.isfinite(v).all() for v in after.values() if v.is_floating_point())
    assert not torch.equal(before["box_head.conv5_tl.weight"], after["box_head.conv5_tl.weight"])


def test_backbone_is_initialised_from_a_local_timm_file(tmp_path):
    donor = simtrack.build_model("tiny")
    timm_state = {k[len("backbone."):]: v for k, v in donor.state_dict().items()
                  if k.startswith("backbone.") and not k.startswith("backbone.template_pos.")}
    torch.save(timm_state, tmp_path / "vit_tiny.pth")
    recipe = write_recipe(tmp_path / "r.yaml", tmp_path / "out", epochs=1, samples=4, batch=4)
    recipe.write_text(recipe.read_text().replace("variant: tiny", f"variant: tiny\n  backbone_init: {tmp_path / 'vit_tiny.pth'}"))
    trainer = Trainer(load_config(recipe))
    trainer.close()
    state = trainer.model.state_dict()
    torch.testing.assert_close(state["backbone.blocks.0.attn.qkv.weight"], timm_state["blocks.0.attn.qkv.weight"])
    assert not torch.equal(state["bottleneck.weight"], donor.state_dict()["bottleneck.weight"])
    missing = write_recipe(tmp_path / "m.yaml", tmp_path / "out")
    missing.write_text(missing.read_text().replace("variant: tiny", "variant: tiny\n  backbone_init: nowhere/ViT-B-16.pt"))
    with pytest.raises(CheckpointError, match="nowhere/ViT-B-16.pt does not exist"):
        Trainer(load_config(missing))
