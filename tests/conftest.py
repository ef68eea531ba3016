"""Suite-wide settings: one torch thread (CI has 2 cores and several tests start processes), and the
longest test files first, so that the parallel workers of ``make test`` (pytest-xdist, one file at a
time each) finish together instead of one waiting on a long file picked up last."""
import os

import pytest
import torch

os.environ.setdefault("MPLBACKEND", "Agg")
torch.set_num_threads(1)     # module-scoped fixtures run before the per-test fixture below


@pytest.fixture(scope="session", autouse=True)
def engine_cache(tmp_path_factory):
    """Exports made on the fly (``simtrack.engines.cache``) go to a folder of this session, not ~/.cache."""
    folder = tmp_path_factory.mktemp("simtrack-cache")
    previous = os.environ.get("SIMTRACK_CACHE")
    os.environ["SIMTRACK_CACHE"] = str(folder)
    yield folder
    if previous is None:
        os.environ.pop("SIMTRACK_CACHE", None)
    else:
        os.environ["SIMTRACK_CACHE"] = previous


@pytest.fixture(scope="session")
def exported_tiny(tmp_path_factory, engine_cache):
    """``(path, printed line)``: the embedded demo model exported by ``python -m simtrack.export``, once
    per test process (an export takes 10-20 s), and placed in the cache as its on-the-fly export."""
    import contextlib
    import io
    import shutil

    import simtrack
    from simtrack import export
    from simtrack.engines.cache import export_path
    from simtrack.formats.file_hash import file_sha256
    path = tmp_path_factory.mktemp("exported") / "tiny.onnx"
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        assert export.main(["--checkpoint", str(simtrack.EMBEDDED_CHECKPOINT), "--out", str(path)]) == 0
    cached = export_path("tiny", file_sha256(simtrack.EMBEDDED_CHECKPOINT))
    cached.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(path, cached)
    return path, printed.getvalue()


@pytest.fixture(autouse=True)
def one_torch_thread():
    """Every test runs on one torch thread, whatever earlier code under test set.

    A second intra-op thread on a busy 2-core machine slows the tiny model down many times, and the
    TraX server runs with OMP_NUM_THREADS=1, so tests comparing with it need the same arithmetic.
    """
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(1)


# Test files that take 10 s or more on an idle 2-core machine, longest first (see the durations
# `make test` prints at the end; update when a file grows).
LONGEST_FIRST = ("test_backends_ray.py", "test_vot_toolkit.py", "test_own_tracker.py", "test_bad_inputs.py",
                 "test_train_loop.py", "test_run_kill.py", "test_run_cli.py", "test_vot_server.py", "test_run_shards.py",
                 "test_perf_scripts.py", "test_docs.py")


def pytest_collection_modifyitems(items):
    rank = {name: position for position, name in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))   # stable: the rest keep their order
