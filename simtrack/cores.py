"""The CPU side of where work runs: the cores this process may use, how many threads torch and
OpenCV take, and how work is shared out among several processes (longest first)."""
import os
from collections.abc import Callable, Sequence
from typing import TypeVar

Item = TypeVar("Item")


def usable_cores() -> int:
    """Cores this process may run on (respects affinity masks and container CPU sets)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def set_threads(threads: int) -> None:
    """Give this process ``threads`` threads for torch's intra-op work and OpenCV's pool.

    torch's inter-op pool gets one thread (it can only be set before the first parallel work;
    later calls keep what was set).
    """
    import cv2
    import torch
    torch.set_num_threads(threads)
    try:
        torch.set_num_interop_threads(1)
    except RuntimeError:
        pass
    cv2.setNumThreads(threads)


def limit_threads(threads: int) -> None:
    """``set_threads`` for a process that may never load torch (another ``--tracker``): OpenCV's pool
    now, torch's if it is loaded, and the OpenMP/BLAS variables that libraries loaded later read."""
    import sys

    import cv2
    for name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ[name] = str(threads)
    cv2.setNumThreads(threads)
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.set_num_threads(threads)


def longest_first(items: Sequence[Item], parts: int, weight: Callable[[Item], float]) -> list[list[Item]]:
    """``items`` shared out into ``parts`` lists: each item, heaviest first, goes to the lightest list
    so far (ties: the first). Deterministic for the same items in the same order."""
    loads = [0.0] * parts
    shares: list[list[Item]] = [[] for _ in range(parts)]
    for item in sorted(items, key=weight, reverse=True):
        lightest = loads.index(min(loads))
        shares[lightest].append(item)
        loads[lightest] += weight(item)
    return shares
