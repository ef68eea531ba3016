"""The benchmark runner behind ``python -m benchmarks.run``: planning, the tracking loops, worker
backends (local processes, Ray), the results folder with its locks, provenance records and
manifest, and the progress recorder."""
