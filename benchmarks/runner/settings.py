"""What one run asks for, as a typed record: the command parses its options into ``RunSettings``,
and everything below the command reads this record instead of the argparse namespace."""
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from simtrack.speed import SpeedOptions
from simtrack.trackers.spec import TrackerSpec, parse_spec

from ..scoring.result_files import RESULTS_ROOT, report_folder


@dataclass(frozen=True)
class RunSettings:
    """One ``benchmarks.run`` invocation (docs/options.md describes each option)."""

    dataset: str = "demo"
    tracker: TrackerSpec = field(default_factory=lambda: parse_spec("simtrack"))   # --tracker, --tracker-option
    data_root: Optional[str] = None
    split: Optional[str] = None
    sequences: Optional[list[str]] = None
    checkpoint: Optional[str] = None              # None: the embedded demo model
    variant: Optional[str] = None
    tracker_name: Optional[str] = None            # None: the checkpoint's file name (SimTrack) or the tracker's
    results: Path = RESULTS_ROOT
    devices: str = "auto"
    workers_per_device: Optional[int] = None
    threads: Optional[int] = None
    backend: str = "local"                        # "local" or "ray"
    ray_address: Optional[str] = None
    shard: Optional[tuple[int, int]] = None       # (K, N): part K of N
    repeat: int = 1
    speed: SpeedOptions = field(default_factory=SpeedOptions)
    batch_sequences: int = 1
    discard_unverified: bool = False

    def report_dir(self, dataset_key: str) -> Path:
        return report_folder(self.results, dataset_key)
