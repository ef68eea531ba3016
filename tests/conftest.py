"""Suite-wide settings: one torch thread (CI has 2 cores and several tests start processes)."""
import os

import pytest
import torch

os.environ.setdefault("MPLBACKEND", "Agg")
torch.set_num_threads(1)     # module-scoped fixtures run before the per-test fixture below


@pytest.fixture(autouse=True)
def one_torch_thread():
    """Every test runs on one torch thread, whatever earlier code under test set.

    A second intra-op thread on a busy 2-core machine slows the tiny model down many times, and the
    TraX server runs with OMP_NUM_THREADS=1, so tests comparing with it need the same arithmetic.
    """
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(1)
