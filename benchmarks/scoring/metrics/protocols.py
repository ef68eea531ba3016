"""Protocols: which rule, thresholds and scoring each toolkit applies to each dataset family."""
from dataclasses import dataclass
from functools import partial
from typing import Callable, Optional

import numpy as np

from simtrack.data import catalog
from simtrack.errors import ConfigError

from .rules import got10k_otb_rule, got10k_val_rule, matlab_rule, pysot_rule, pytracking_rule, trackingnet_rule
from .thresholds import NORMALIZED_0_050, PIXELS_0_50, PYTRACKING_OVERLAP, matlab_colon

PROTOCOLS = ("official", "pytracking", "stark", "got10k", "pysot")



@dataclass(frozen=True, eq=False)
class Protocol:
    """One toolkit's rules for one dataset."""

    key: str                      # one of PROTOCOLS
    dataset: str
    description: str
    frame_rule: Callable
    success_thresholds: np.ndarray
    precision_thresholds: Optional[np.ndarray] = None
    normalized_thresholds: Optional[np.ndarray] = None
    success_inclusive: bool = False   # IoU >= t (TrackingNet) instead of IoU > t
    pooled: bool = False              # GOT-10k: frames of all sequences pooled (AO, SR)
    trapezoid: bool = False           # TrackingNet: scores are trapezoid areas over [0, 1]
    normalized_mean: bool = False     # got10k ExperimentLaSOT: NP = mean of its 0-0.5 curve
    drop_empty_sequences: bool = False  # MATLAB ranking ignores sequences whose curve sums to 0
    allow_longer: bool = True         # results longer than the ground truth are cut
    speed: str = "frames_per_second"  # or "got10k_sequence_mean" / "got10k_pooled"
    needs_cover: bool = False

    @property
    def metrics(self):
        """Score names in report order."""
        if self.pooled:
            return ["AO", "SR0.5", "SR0.75", "FPS"]
        names = ["AUC"]
        if self.precision_thresholds is not None:
            names.append("P")
        if self.normalized_thresholds is not None:
            names.append("NP")
        names += ["Coverage"] if self.trapezoid else ["OP50", "OP75"]
        return names + ["FPS"]

    @property
    def main_metric(self):
        return "AO" if self.pooled else "AUC"


def get_protocol(dataset, protocol=None):
    """The Protocol for a dataset key under ``protocol`` (default ``official``)."""
    key = protocol or "official"
    if key not in PROTOCOLS:
        raise ConfigError(f"unknown protocol {key!r}; choose one of {', '.join(PROTOCOLS)}")
    found = catalog.parse_key(dataset)
    if found is not None and found[1] in found[0].servers:
        raise ConfigError(f"{dataset} has no public ground truth, so it cannot be evaluated locally; build the "
                          f"server zip with python -m benchmarks.submit --dataset {dataset}")
    if found is None or found[0].family is None:
        raise ConfigError(f"no evaluation protocol for dataset {dataset!r}; known: "
                          f"{', '.join(catalog.benchmark_keys())} (and their labelled splits, e.g. "
                          "trackingnet_train_0, got10k_train, lasot_train)")
    return _BUILDERS[key](dataset, found[0])


def _official(dataset, entry):
    family = entry.family
    if family == "got10k":
        return Protocol("official", dataset, "GOT-10k toolkit rules (frame 1 dropped, boxes clipped to the image, "
                        "cover > 0, frames of all sequences and runs pooled; NaN boxes count as IoU 0)",
                        partial(got10k_val_rule, nan_is_miss=True), np.linspace(0, 1, 101),
                        pooled=True, allow_longer=False, needs_cover=True)
    if family == "trackingnet":
        return Protocol("official", dataset, "TrackingNet devkit rules (coordinates rounded, IoU >= t, "
                        "trapezoid areas over 21 thresholds)", trackingnet_rule, np.linspace(0, 1, 21),
                        np.linspace(0, 50, 21), np.linspace(0, 0.5, 21), success_inclusive=True, trapezoid=True)
    lasot = family == "lasot"
    toolkit = "LaSOT/TNL2K MATLAB toolkit rules (absent frames are misses" if lasot else \
        "OTB MATLAB toolkit rules (invalid ground truth: success miss, precision hit"
    return Protocol("official", dataset, toolkit + "; frame 1 = GT; invalid boxes carry the previous box; "
                    "AUC = mean of 21 thresholds, P at 20 px, NP at 0.20)",
                    partial(matlab_rule, use_absence=lasot), matlab_colon(0, 0.05, 1), PIXELS_0_50,
                    NORMALIZED_0_050, drop_empty_sequences=True)


def _pytracking(dataset, entry, stark=False):
    rules = "STARK/OSTrack/SimTrack analysis rules (GT valid when w, h > 0" if stark else \
        "pytracking analysis rules (GT valid when x, y, w, h > 0"
    name = entry.name   # pytracking's analysis treats these datasets specially
    rule = partial(pytracking_rule, all_positive=not stark, visibility=name in ("lasot", "lasot_ext", "demo"),
                   invisible_is_miss=name in ("lasot", "demo"), invalid_center_hit=name == "uav123")
    return Protocol("stark" if stark else "pytracking", dataset,
                    rules + "; frame 1 = GT; zero-size boxes carry the previous box; NaN boxes refused)",
                    rule, PYTRACKING_OVERLAP, PIXELS_0_50, NORMALIZED_0_050)


def _got10k(dataset, entry):
    family = entry.family
    if family == "got10k":
        return Protocol("got10k", dataset, "got10k 0.1.3 ExperimentGOT10k (val) literally: a NaN box makes AO NaN",
                        partial(got10k_val_rule, nan_is_miss=False), np.linspace(0, 1, 101), pooled=True,
                        allow_longer=False, speed="got10k_pooled", needs_cover=True)
    lasot = family == "lasot"
    name = ("got10k ExperimentLaSOT (GitHub HEAD): NaN GT rows dropped, NP = mean of the 0-0.5 curve" if lasot else
            "got10k ExperimentUAV123: NaN GT rows dropped" if family == "uav" else
            "got10k 0.1.3 ExperimentOTB: frame 1 = GT, no repair, IoU with eps")
    return Protocol("got10k", dataset, name,
                    partial(got10k_otb_rule, drop_nan_gt=lasot or family == "uav", normalized=lasot),
                    np.linspace(0, 1, 21), PIXELS_0_50, np.linspace(0, 0.5, 51) if lasot else None,
                    normalized_mean=lasot, allow_longer=lasot, speed="got10k_sequence_mean")


def _pysot(dataset, entry):
    lasot = entry.family == "lasot"
    return Protocol("pysot", dataset, "pysot-toolkit OPEBenchmark rules (frame 1 as written, no repair"
                    + (", absent frames are misses)" if lasot else ")"),
                    partial(pysot_rule, use_absence=lasot), np.arange(0, 1.05, 0.05), np.arange(0, 51, 1.0),
                    np.arange(0, 51, 1) / 100, allow_longer=False)


_BUILDERS = {"official": _official, "pytracking": _pytracking, "stark": partial(_pytracking, stark=True),
             "got10k": _got10k, "pysot": _pysot}
