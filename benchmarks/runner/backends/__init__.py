"""Where sequences execute: ``local`` worker processes per device, or actors on a ``ray`` cluster.

A backend is a context manager with ``plan(jobs, devices, workers_per_device, threads, inputs) ->
Plan`` (its worker slots for those jobs) and ``execute(plan, spec, sink)``; both run the same
worker code (``worker.run_job`` per sequence, or ``worker.run_jobs_batched`` with
``--batch-sequences``).
"""
from .local import LocalBackend

BACKENDS = ("local", "ray")


def open_backend(name, address=None):
    """The backend called ``name`` (``ray`` is imported only when asked for; ``address``: its cluster)."""
    if name == "local":
        return LocalBackend()
    if name == "ray":
        from .ray_cluster import RayBackend
        return RayBackend(address)
    from simtrack.errors import ConfigError
    raise ConfigError(f"unknown backend {name!r}; choose one of {', '.join(BACKENDS)}")
