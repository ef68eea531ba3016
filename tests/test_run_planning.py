"""Device parsing, worker slots, Ray node plans, shards and job order, with pretend GPUs and nodes
(no torch, no processes, no cluster)."""
import argparse
from collections import Counter

import numpy as np
import pytest

from benchmarks.runner.planning import (
    Device,
    Job,
    Plan,
    RayNode,
    order_jobs,
    parse_devices,
    plan_jobs,
    plan_node_slots,
    plan_slots,
    shard_jobs,
)
from simtrack.cli import options
from simtrack.data.sequence import Sequence
from simtrack.devices import parse_device, parse_gpu_listing
from simtrack.errors import ConfigError

GPU0 = "GPU-5c7b6b0f-1a2b-3c4d-5e6f-0123456789ab"
GPU1 = "GPU-aa7b6b0f-1a2b-3c4d-5e6f-0123456789cd"
MIG = "MIG-c6d4f1ef-42e4-5de3-91c7-45d012d5d4e9"
LISTING = f"""GPU 0: NVIDIA A100-SXM4-40GB (UUID: {GPU0})
GPU 1: NVIDIA A100-SXM4-40GB (UUID: {GPU1})
  MIG 3g.20gb     Device  0: (UUID: {MIG})
  MIG 3g.20gb     Device  1: (UUID: MIG-0000f1ef-42e4-5de3-91c7-45d012d5d4e9)
"""


def seq(name, frames):
    return Sequence(name, "fake", [f"{name}/{i:04d}.jpg" for i in range(frames)], np.ones((frames, 4)))


def names(devices):
    return [device.name for device in devices]


def test_auto_uses_every_visible_gpu_else_the_cpu():
    assert names(parse_devices("auto", cuda_count=4, environ={})) == ["cuda:0", "cuda:1", "cuda:2", "cuda:3"]
    assert parse_devices("auto", cuda_count=0) == [Device("cpu")]
    assert names(parse_devices("cuda", cuda_count=2, environ={})) == ["cuda:0", "cuda:1"]


def test_each_gpu_worker_sees_exactly_its_device():
    assert [d.visible for d in parse_devices("cuda:1,cuda:0", cuda_count=2, environ={})] == ["1", "0"]
    # Inside a job that was given GPUs 4 and 6, cuda:1 is physical GPU 6.
    assert parse_devices("cuda:1", cuda_count=2, environ={"CUDA_VISIBLE_DEVICES": "4,6"}) == [Device("cuda:1", "6")]
    assert parse_devices("cpu", cuda_count=4) == [Device("cpu", None)]


def test_repeated_devices_and_counts_give_a_device_more_workers():
    assert parse_devices("cuda:0x2,cuda:1", cuda_count=2, environ={}) == [Device("cuda:0", "0", 2),
                                                                          Device("cuda:1", "1", None)]
    assert parse_devices("cuda:2, cuda:0,cuda:2", cuda_count=4, environ={}) == [Device("cuda:2", "2", 2),
                                                                               Device("cuda:0", "0", None)]
    slots = plan_slots(parse_devices("cuda:0x2,cuda:1", cuda_count=2, environ={}), cores=6)
    assert [(s.device, s.visible, s.threads) for s in slots] == [("cuda:0", "0", 2), ("cuda:1", "1", 2),
                                                                 ("cuda:0", "0", 2)]
    # The count replaces --workers-per-device for its device only.
    slots = plan_slots(parse_devices("cuda:0x3,cuda:1", cuda_count=2, environ={}), workers_per_device=2, cores=8)
    assert Counter(s.device for s in slots) == {"cuda:0": 3, "cuda:1": 2}
    assert len(plan_slots(parse_devices("cpux3", cuda_count=0), cores=2)) == 3


def test_gpu_and_mig_uuids_become_the_workers_cuda_visible_devices():
    gpus = parse_gpu_listing(LISTING)
    assert [(g.index, g.uuid, len(g.migs)) for g in gpus] == [(0, GPU0, 0), (1, GPU1, 2)]
    devices = parse_devices(f"{GPU0},{MIG.upper()}x2", cuda_count=2, gpus=gpus, environ={})
    assert devices == [Device(GPU0, GPU0, None), Device(MIG, MIG, 2)]
    slots = plan_slots(devices, cores=3)
    assert [s.visible for s in slots] == [GPU0, MIG, MIG]
    # A restricted job may use its own GPU (by index) and that GPU's MIG instances, nothing else.
    assert parse_devices(MIG, 1, gpus=gpus, environ={"CUDA_VISIBLE_DEVICES": "1"}) == [Device(MIG, MIG)]
    with pytest.raises(ConfigError, match="outside this process's CUDA_VISIBLE_DEVICES"):
        parse_devices(GPU0, 1, gpus=gpus, environ={"CUDA_VISIBLE_DEVICES": "1"})
    with pytest.raises(ConfigError, match=f"not a GPU or MIG instance of this machine .*{GPU1}"):
        parse_devices("GPU-00000000-1a2b-3c4d-5e6f-0123456789ab", 2, gpus=gpus, environ={})


def test_device_names_have_one_canonical_spelling():
    assert parse_device(" CUDA:01 ") == "cuda:1"
    assert parse_device(GPU0.lower()) == GPU0
    assert parse_device(f"mig-gpu-{GPU0[4:]}/1/0") == f"MIG-GPU-{GPU0[4:]}/1/0"
    with pytest.raises(ConfigError, match="GPU/MIG UUID"):
        parse_device("GPU-123")


@pytest.mark.parametrize("spec, message", [("cuda:4", "cuda:4 is not available"), ("gpu0", "not a device name"),
                                           ("cuda:0", "devices present: cpu$"), ("cuda", "has no GPU"),
                                           ("auto,cpu", "auto cannot be part"), ("cuda:0x0", "0 workers"),
                                           (",", "names no device")])
def test_bad_device_names_say_what_exists(spec, message):
    with pytest.raises(ConfigError, match=message):
        parse_devices(spec, cuda_count=4 if spec not in ("cuda:0", "cuda") else 0, environ={})


def test_four_gpus_two_workers_each_give_eight_round_robin_slots():
    slots = plan_slots(parse_devices("auto", cuda_count=4, environ={}), workers_per_device=2, cores=16)
    assert [slot.device for slot in slots] == [f"cuda:{i % 4}" for i in range(8)]
    assert [slot.index for slot in slots] == list(range(8))
    assert Counter(slot.device for slot in slots) == {f"cuda:{i}": 2 for i in range(4)}
    assert {slot.threads for slot in slots} == {2}   # 16 cores / 8 workers


def test_fewer_jobs_than_slots_still_spread_over_devices():
    jobs = plan_jobs([seq("a", 5), seq("b", 9), seq("c", 7)])      # as LocalBackend.plan does
    slots = plan_slots(parse_devices("auto", 4, environ={}), workers_per_device=2, cores=16, max_slots=len(jobs))
    plan = Plan(slots, jobs)
    assert [slot.device for slot in plan.slots] == ["cuda:0", "cuda:1", "cuda:2"]
    assert {slot.threads for slot in plan.slots} == {5}


@pytest.mark.parametrize("cores, workers, threads", [(2, 2, 1), (1, 1, 1), (6, 6, 1), (32, 8, 4)])
def test_cpu_default_is_one_single_threaded_worker_per_core_up_to_eight(cores, workers, threads):
    slots = plan_slots(["cpu"], cores=cores)
    assert len(slots) == workers and {slot.threads for slot in slots} == {threads}


def test_cpu_workers_per_device_splits_the_cores():
    slots = plan_slots(["cpu"], workers_per_device=3, cores=8)
    assert [(slot.device, slot.threads) for slot in slots] == [("cpu", 2)] * 3
    with pytest.raises(ConfigError, match="at least 1"):
        plan_slots(["cpu"], workers_per_device=0, cores=8)


def test_jobs_come_longest_first_with_repeats_and_stable_ties():
    jobs = order_jobs([seq("short", 3), seq("long", 10), seq("mid-b", 5), seq("mid-a", 5)], repeats=2)
    assert [(job.sequence.name, job.repeat) for job in jobs] == [
        ("long", 1), ("long", 2), ("mid-a", 1), ("mid-a", 2), ("mid-b", 1), ("mid-b", 2), ("short", 1), ("short", 2)]
    assert len({job.id for job in jobs}) == len(jobs)
    assert jobs[1].label == "long (repeat 2)" and jobs[0].label == "long"
    with pytest.raises(ConfigError, match="--repeat"):
        order_jobs([seq("a", 1)], repeats=0)


def test_complete_runs_are_left_out_of_the_plan():
    plan = Plan(plan_slots(["cpu"], cores=2), plan_jobs([seq("a", 4), seq("b", 6)], repeats=2, done={("b", 1), ("a", 2)}))
    assert [(job.sequence.name, job.repeat) for job in plan.jobs] == [("b", 2), ("a", 1)]
    assert plan.frames == 10
    assert all(isinstance(job, Job) for job in plan.jobs)


def job_names(jobs):
    return [(job.sequence.name, job.repeat) for job in jobs]


def test_shards_split_the_whole_run_longest_first_and_balanced():
    sequences = [seq(f"s{i}", frames) for i, frames in enumerate([90, 10, 40, 40, 30, 20, 70, 5])]
    parts = [plan_jobs(sequences, repeats=2, shard=(k, 3)) for k in (1, 2, 3)]
    every = sorted(pair for part in parts for pair in job_names(part))
    assert every == sorted(job_names(order_jobs(sequences, 2)))        # each job in exactly one part
    loads = [sum(job.frames for job in part) for part in parts]
    assert max(loads) - min(loads) <= 10, loads                        # greedy by frames: 205, 205, 200
    assert job_names(parts[2])[:2] == [("s6", 1), ("s6", 2)]           # 70 + 70 against 90 + 40 twice
    # The split ignores what is done: a restarted task keeps its part and skips finished jobs.
    assert job_names(plan_jobs(sequences, 2, done={("s0", 1)}, shard=(1, 3))) == job_names(parts[0])[1:]
    assert job_names(shard_jobs(order_jobs(sequences[::-1], 2), (2, 3))) == job_names(parts[1])


@pytest.mark.parametrize("text, message", [("0/4", "between 1 and N"), ("5/4", "between 1 and N"), ("2", "K/N"),
                                           ("a/b", "K/N"), ("1/2/3", "K/N")])
def test_shard_syntax(text, message):
    assert options.shard(" 2 / 4") == (2, 4)
    with pytest.raises(argparse.ArgumentTypeError, match=message):
        options.shard(text)


def node(name, cpus, gpus=0):
    return RayNode(f"id-{name}", name, f"host-{name}", cpus, gpus)


def fits(slots, nodes):
    """No slot asks for more than its node has, and each node's requests add up within it."""
    by_id = {n.id: n for n in nodes}
    for node_id in {s.node for s in slots}:
        mine = [s for s in slots if s.node == node_id]
        assert sum(s.cpus for s in mine) <= by_id[node_id].cpus + 1e-9
        assert sum(s.gpus for s in mine) <= by_id[node_id].gpus + 1e-9
        assert all(s.threads <= max(1, by_id[node_id].cpus) for s in mine)
    return True


def test_one_job_left_on_two_small_nodes_asks_for_what_one_node_has():
    nodes = [node("10.0.0.1", 2), node("10.0.0.2", 2)]
    slots = plan_node_slots(nodes, "auto", max_slots=1)
    assert [(s.node, s.threads, s.cpus) for s in slots] == [("id-10.0.0.1", 2, 2.0)]
    slots = plan_node_slots(nodes, "cpu", workers_per_device=1, max_slots=2)   # one actor per node
    assert [(s.node, s.threads, s.cpus) for s in slots] == [("id-10.0.0.1", 2, 2.0), ("id-10.0.0.2", 2, 2.0)]


@pytest.mark.parametrize("cpus, workers, threads, jobs", [
    ((8, 8, 8), None, None, 100), ((8, 8, 8), 3, None, 100), ((8, 8, 8), None, None, 4), ((8, 3, 1), 2, 4, 100),
    ((2, 2), 3, None, 100), ((16, 1.5), None, 6, 5), ((4,), 5, 3, 100)])
def test_uneven_cpu_clusters_never_ask_a_node_for_more_than_it_has(cpus, workers, threads, jobs):
    nodes = [node(f"10.0.0.{i}", c) for i, c in enumerate(cpus)]
    slots = plan_node_slots(nodes, "cpu", workers, threads, max_slots=jobs)
    assert 0 < len(slots) <= jobs and fits(slots, nodes)
    assert [s.index for s in slots] == list(range(len(slots)))


def test_gpu_nodes_get_gpu_actors_and_cpu_only_nodes_stay_out():
    nodes = [node("head", 4), node("gpu-a", 8, 2), node("gpu-b", 8, 4)]
    slots = plan_node_slots(nodes, "auto")
    assert Counter(s.node for s in slots) == {"id-gpu-b": 4, "id-gpu-a": 2}
    assert {(s.device, s.gpus) for s in slots} == {("cuda", 1.0)} and fits(slots, nodes)
    slots = plan_node_slots(nodes, "cuda:0x2,cuda:3")      # two actors share GPU 0; GPU 3 only on gpu-b
    assert sorted((s.node, s.gpus) for s in slots) == [("id-gpu-a", 0.5), ("id-gpu-a", 0.5), ("id-gpu-b", 0.5),
                                                       ("id-gpu-b", 0.5), ("id-gpu-b", 1.0)]
    assert fits(slots, nodes) and fits(plan_node_slots(nodes, "auto", workers_per_device=3), nodes)
    assert Counter(s.node for s in plan_node_slots(nodes, "cpu")) == {"id-gpu-a": 8, "id-gpu-b": 8, "id-head": 4}


@pytest.mark.parametrize("spec, message", [("cuda", "no node of the Ray cluster has a GPU"),
                                           (GPU0, "UUIDs name devices of one machine"), ("cpu,cuda:0", "not both")])
def test_impossible_ray_device_requests_are_refused_with_the_nodes(spec, message):
    with pytest.raises(ConfigError, match=message):
        plan_node_slots([node("10.0.0.1", 2)], spec)
