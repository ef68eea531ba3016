"""Protocols: which rule, thresholds, scoring and length rule each toolkit applies to each dataset family."""
from dataclasses import dataclass, replace
from functools import partial
from typing import Callable, Optional

import numpy as np

from simtrack.data import catalog
from simtrack.data.readers import otb
from simtrack.errors import ConfigError

from .lengths import CUT, CUT_TRUTH, PAD_MISS, PAD_ZERO, REFUSE, LengthRule
from .rules import (
    got10k_otb_rule,
    got10k_val_rule,
    matlab_rule,
    pysot_rule,
    pytracking_rule,
    tc128_rule,
    trackingnet_rule,
)
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
    lengths: LengthRule = LengthRule()  # what the toolkit does with short and long result files
    speed: str = "frames_per_second"  # or "got10k_sequence_mean" / "got10k_pooled"
    needs_cover: bool = False
    view: Optional[Callable] = None   # Sequence -> the sequence as the toolkit reads it (got10k: Tiger1)

    @property
    def allow_longer(self):
        """Results longer than the ground truth are scored (cut), not refused."""
        return self.lengths.long != REFUSE

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


def protocol_sequences(protocol, sequences):
    """The sequences as the protocol's toolkit reads them (``Protocol.view``), and a note naming each
    one that differs from our reading (got10k: Tiger1 from frame 1)."""
    if protocol.view is None:
        return list(sequences), []
    viewed, notes = [], []
    for sequence in sequences:
        seen = protocol.view(sequence)
        if seen is not sequence:
            notes.append(f"{sequence.name}: scored on all {len(seen.boxes)} annotated frames from frame 1, as "
                         f"{protocol.lengths.toolkit}'s OTB reader reads it (OTB's own toolkit and pysot start at "
                         f"frame {sequence.meta.get('first_frame', '?')}: {len(sequence.boxes)} frames)")
        viewed.append(seen)
    return viewed, notes


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


# What each toolkit does with short and long result files (docs/evaluation.md has the table).
_MATLAB_HINT = "; --protocol pytracking or stark pad it with zero boxes, as their analysis does"
GOT10K_EXACT = LengthRule(REFUSE, REFUSE, "the GOT-10k toolkit",
                          "the GOT-10k toolkit asserts one box per frame (ExperimentGOT10k), as its server checks",
                          "the GOT-10k toolkit asserts one box per frame (ExperimentGOT10k), as its server checks")
TRACKINGNET_LENGTHS = LengthRule(PAD_MISS, CUT, "the TrackingNet devkit (metrics.py)",
                                 "the devkit aligns rows by index: missing rows are misses at every threshold",
                                 "the devkit aligns rows by index: extra rows are ignored")
LASOT_MATLAB_LENGTHS = LengthRule(REFUSE, CUT, "the LaSOT/TNL2K MATLAB toolkit",
                                  "the LaSOT/TNL2K MATLAB toolkit fails on a file shorter than the ground truth "
                                  "(calc_seq_err_robust.m indexes past its end)", "longer files are cut")
OTB_MATLAB_LENGTHS = LengthRule(REFUSE, CUT, "the OTB MATLAB toolkit",
                                "the OTB MATLAB toolkit fails on a file shorter than the sequence "
                                "(calcSeqErrRobust.m reads past its end)" + _MATLAB_HINT, "longer files are cut")
TC128_LENGTHS = LengthRule(CUT_TRUTH, REFUSE, "the TC128 evaluation scripts",
                           "the TC128 scripts score a short file on the frames it covers (M = min of the two lengths)",
                           "the TC128 scripts (plotSuccPre.m) fail on a file longer than the ground truth: their "
                           "carry-forward loop reads the ground truth past its end")


def _pytracking_lengths(entry, stark):
    toolkit = "STARK's extract_results" if stark else "pytracking's extract_results"
    if entry.name in ("lasot", "demo"):   # the only dataset label ('lasot') whose short files raise
        return LengthRule(REFUSE, CUT, toolkit, f"{toolkit} raises 'Mis-match in tracker prediction and GT lengths' "
                          "on a short LaSOT file (it pads every other dataset's)", "longer files are cut",
                          one_row_fails=True)
    return LengthRule(PAD_ZERO, CUT, toolkit, "short files are padded with zero boxes", "longer files are cut",
                      one_row_fails=True)


def _got10k_lengths(family):
    if family == "got10k":
        why = "got10k 0.1.3 asserts one box per frame (ExperimentGOT10k)"
        return LengthRule(REFUSE, REFUSE, "got10k 0.1.3", why, why)
    if family == "lasot":   # 0.1.3 has no LaSOT experiment: GitHub head's ExperimentLaSOT
        return LengthRule(CUT_TRUTH, CUT, "got10k's ExperimentLaSOT (GitHub head)",
                          "ExperimentLaSOT cuts the ground truth to a short file, with a warning",
                          "longer files are cut, with a warning", silent=False)
    why = ("got10k 0.1.3 asserts one box per frame (ExperimentOTB.report; its GitHub head would instead cut the file "
           "and the ground truth to the shorter of the two, with a warning)")
    return LengthRule(REFUSE, REFUSE, "got10k 0.1.3", why, why)


def _pysot_lengths(family):
    toolkit = "pysot-toolkit"
    if family == "lasot":
        why = "pysot-toolkit fails: its LaSOT absent mask does not fit a file of another length (IndexError)"
        return LengthRule(REFUSE, REFUSE, toolkit, why, why)
    return LengthRule(REFUSE, CUT, toolkit, "pysot-toolkit reads past the end of a short file (its numba code has no "
                      "bounds check), which gives undefined numbers", "longer files are cut (pysot prints the "
                      "lengths)", silent=False)


def _official(dataset, entry):
    family = entry.family
    if family == "got10k":
        return Protocol("official", dataset, "GOT-10k toolkit rules (frame 1 dropped, boxes clipped to the image, "
                        "cover > 0, frames of all sequences and runs pooled; NaN boxes count as IoU 0)",
                        partial(got10k_val_rule, nan_is_miss=True), np.linspace(0, 1, 101),
                        pooled=True, lengths=GOT10K_EXACT, needs_cover=True)
    if family == "trackingnet":
        return Protocol("official", dataset, "TrackingNet devkit rules (coordinates rounded, IoU >= t, "
                        "trapezoid areas over 21 thresholds)", trackingnet_rule, np.linspace(0, 1, 21),
                        np.linspace(0, 50, 21), np.linspace(0, 0.5, 21), success_inclusive=True, trapezoid=True,
                        lengths=TRACKINGNET_LENGTHS)
    if family == "tc128":
        return Protocol("official", dataset, "TC128 evaluation scripts (plotSuccPre.m: frame 1 = GT; a box that is "
                        "all NaN or has w, h <= 0 carries the previous one; every frame scored, no invalid-GT rule; AUC = mean "
                        "of 21 thresholds, P at 20 px)", tc128_rule, matlab_colon(0, 0.05, 1), PIXELS_0_50,
                        lengths=TC128_LENGTHS)
    if family == "avist":    # no toolkit of its own: the AVisT paper's numbers come from pytracking's analysis
        rules = _pytracking(dataset, entry)
        return replace(rules, key="official", description="AVisT: " + rules.description)
    lasot = family == "lasot"
    toolkit = "LaSOT/TNL2K MATLAB toolkit rules (absent frames are misses" if lasot else \
        "OTB MATLAB toolkit rules (invalid ground truth: success miss, precision hit"
    return Protocol("official", dataset, toolkit + "; frame 1 = GT; invalid boxes carry the previous box; "
                    "AUC = mean of 21 thresholds, P at 20 px, NP at 0.20)",
                    partial(matlab_rule, use_absence=lasot, any_nan_carried=lasot), matlab_colon(0, 0.05, 1),
                    PIXELS_0_50, NORMALIZED_0_050, drop_empty_sequences=True, lengths=_matlab_lengths(entry))


def _matlab_lengths(entry):
    if entry.family != "lasot":
        return OTB_MATLAB_LENGTHS
    if entry.name in ("lasot", "demo"):     # pytracking refuses a short LaSOT file too: no hint
        return LASOT_MATLAB_LENGTHS
    return replace(LASOT_MATLAB_LENGTHS, short_why=LASOT_MATLAB_LENGTHS.short_why + _MATLAB_HINT)


# pytracking's analysis treats these datasets specially (by the label its loaders give them)
_VISIBILITY = ("lasot", "lasot_ext", "demo", "avist", "vasttrack")  # loaders that give target_visible
_INVISIBLE_MISS = ("lasot", "demo")                                    # label 'lasot': invisible = +inf errors


def _pytracking(dataset, entry, stark=False):
    rules = "STARK/OSTrack/SimTrack analysis rules (GT valid when w, h > 0" if stark else \
        "pytracking analysis rules (GT valid when x, y, w, h > 0"
    name = entry.name
    rule = partial(pytracking_rule, all_positive=not stark, visibility=name in _VISIBILITY,
                   invisible_is_miss=name in _INVISIBLE_MISS, invalid_center_hit=name == "uav123")
    lengths = _pytracking_lengths(entry, stark)
    padding = "; short files padded with zero boxes" if lengths.short == PAD_ZERO else ""
    return Protocol("stark" if stark else "pytracking", dataset,
                    rules + f"; frame 1 = GT; zero-size boxes carry the previous box; NaN boxes refused{padding})",
                    rule, PYTRACKING_OVERLAP, PIXELS_0_50, NORMALIZED_0_050, lengths=lengths)


def _got10k(dataset, entry):
    family = entry.family
    if family == "got10k":
        return Protocol("got10k", dataset, "got10k 0.1.3 ExperimentGOT10k (val) literally: a NaN box makes AO NaN",
                        partial(got10k_val_rule, nan_is_miss=False), np.linspace(0, 1, 101), pooled=True,
                        lengths=_got10k_lengths(family), speed="got10k_pooled", needs_cover=True)
    lasot = family == "lasot"
    name = ("got10k ExperimentLaSOT (GitHub HEAD): NaN GT rows dropped, NP = mean of the 0-0.5 curve" if lasot else
            "got10k ExperimentUAV123: NaN GT rows dropped" if family == "uav" else
            "got10k 0.1.3 ExperimentOTB: frame 1 = GT, no repair, IoU with eps")
    view = otb.from_frame_one if entry.name == "otb100" else None
    if view is not None:
        name += "; every annotated frame from frame 1 (Tiger1: 354 frames)"
    return Protocol("got10k", dataset, name,
                    partial(got10k_otb_rule, drop_nan_gt=lasot or family == "uav", normalized=lasot),
                    np.linspace(0, 1, 21), PIXELS_0_50, np.linspace(0, 0.5, 51) if lasot else None,
                    normalized_mean=lasot, lengths=_got10k_lengths(family), speed="got10k_sequence_mean",
                    view=view)


def _pysot(dataset, entry):
    lasot = entry.family == "lasot"
    return Protocol("pysot", dataset, "pysot-toolkit OPEBenchmark rules (frame 1 as written, no repair"
                    + (", absent frames are misses)" if lasot else ")"),
                    partial(pysot_rule, use_absence=lasot), np.arange(0, 1.05, 0.05), np.arange(0, 51, 1.0),
                    np.arange(0, 51, 1) / 100, lengths=_pysot_lengths(entry.family))


_BUILDERS = {"official": _official, "pytracking": _pytracking, "stark": partial(_pytracking, stark=True),
             "got10k": _got10k, "pysot": _pysot}
