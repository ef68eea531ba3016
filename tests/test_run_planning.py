"""Device parsing, worker slots and job order, with pretend GPUs (no torch, no processes)."""
from collections import Counter

import numpy as np
import pytest

from benchmarks.planning import Job, make_plan, order_jobs, parse_devices, plan_slots
from simtrack.data.sequence import Sequence
from simtrack.errors import ConfigError


def seq(name, frames):
    return Sequence(name, "fake", [f"{name}/{i:04d}.jpg" for i in range(frames)], np.ones((frames, 4)))


def test_auto_uses_every_visible_gpu_else_the_cpu():
    assert parse_devices("auto", cuda_count=4) == ["cuda:0", "cuda:1", "cuda:2", "cuda:3"]
    assert parse_devices("auto", cuda_count=0) == ["cpu"]
    assert parse_devices("cuda", cuda_count=2) == ["cuda:0", "cuda:1"]


def test_explicit_device_lists_are_kept_in_order_without_duplicates():
    assert parse_devices("cuda:2, cuda:0,cuda:2", cuda_count=4) == ["cuda:2", "cuda:0"]
    assert parse_devices("cpu", cuda_count=4) == ["cpu"]


@pytest.mark.parametrize("spec, message", [("cuda:4", "cuda:4 is not available"), ("gpu0", "not a device name"),
                                           ("cuda:0", "devices present: cpu$")])
def test_bad_device_names_say_what_exists(spec, message):
    with pytest.raises(ConfigError, match=message):
        parse_devices(spec, cuda_count=4 if spec != "cuda:0" else 0)


def test_four_gpus_two_workers_each_give_eight_round_robin_slots():
    slots = plan_slots(parse_devices("auto", cuda_count=4), workers_per_device=2, cores=16)
    assert [slot.device for slot in slots] == [f"cuda:{i % 4}" for i in range(8)]
    assert [slot.index for slot in slots] == list(range(8))
    assert Counter(slot.device for slot in slots) == {f"cuda:{i}": 2 for i in range(4)}
    assert {slot.threads for slot in slots} == {2}   # 16 cores / 8 workers


def test_fewer_jobs_than_slots_still_spread_over_devices():
    plan = make_plan([seq("a", 5), seq("b", 9), seq("c", 7)], parse_devices("auto", 4), workers_per_device=2,
                     cores=16)
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
    plan = make_plan([seq("a", 4), seq("b", 6)], ["cpu"], repeats=2, cores=2, done={("b", 1), ("a", 2)})
    assert [(job.sequence.name, job.repeat) for job in plan.jobs] == [("b", 2), ("a", 1)]
    assert plan.frames == 10
    assert all(isinstance(job, Job) for job in plan.jobs)
