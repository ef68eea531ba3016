"""The CPU side of where work runs: the cores this process may use, how many threads torch and
OpenCV take, and how work is shared out among several processes (longest first)."""
import os
from collections.abc import Callable, Sequence
from typing import Optional, TypeVar

Item = TypeVar("Item")
_chosen_threads: Optional[int] = None     # set_threads' count, for the engines that make their own pools


def usable_cores() -> int:
    """Cores this process may run on (respects affinity masks and container CPU sets)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def set_threads(threads: int, torch_too: bool = True) -> None:
    """Give this process ``threads`` threads for torch's intra-op work, OpenCV's pool and the engines'
    sessions (``chosen_threads``).

    torch's inter-op pool gets one thread (it can only be set before the first parallel work;
    later calls keep what was set). ``torch_too=False`` leaves torch alone (not even imported): for
    the engines other than torch.
    """
    global _chosen_threads
    import cv2
    _chosen_threads = threads
    cv2.setNumThreads(threads)
    if not torch_too:
        return
    try:
        import torch
    except ImportError:        # the torch-free install: the engines read chosen_threads()
        return
    torch.set_num_threads(threads)
    try:
        torch.set_num_interop_threads(1)
    except RuntimeError:
        pass


def chosen_threads() -> Optional[int]:
    """The thread count ``set_threads`` gave this process (None: never called, each library's default)."""
    return _chosen_threads


def limit_threads(threads: int) -> None:
    """``set_threads`` for a process that may never load torch (another ``--tracker``): OpenCV's pool
    now, torch's if it is loaded, and the OpenMP/BLAS variables that libraries loaded later read."""
    import sys
    for name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ[name] = str(threads)
    set_threads(threads, torch_too="torch" in sys.modules)


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
