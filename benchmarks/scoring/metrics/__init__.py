"""Benchmark metrics: each toolkit's per-frame rules, vectorised over every frame of every sequence.

Why one rule set per toolkit: the official numbers of the benchmarks come from different code (the
LaSOT/TNL2K and OTB MATLAB toolkits, the GOT-10k toolkit, the TrackingNet devkit) and papers quote
pytracking or pysot. They disagree on frame 1, absent frames, invalid boxes, thresholds, rounding and
averaging, so a number is only comparable with numbers computed under the same rules. A ``Protocol``
is one toolkit's rules for one dataset (see ``get_protocol``); ``evaluate_run`` turns the boxes of one
run into per-sequence counts (``RunStats``) from which ``summarize`` derives the scores of any subset
of sequences, and ``per_sequence`` the score of each sequence; ``frame_values`` gives the per-frame
values behind them. docs/evaluation.md lists the rules.

Per-frame conventions used by every rule: a frame counts as a success miss when its IoU is -1 or NaN,
as a precision miss when its centre error is +inf or NaN, and as a precision hit at every threshold
when its error is -1 (the OTB/LaSOT MATLAB treatment of invalid ground truth).

Modules: ``ground_truth`` (the concatenated annotations), ``geometry`` (box arithmetic in each
toolkit's order), ``rules`` (one per-frame rule per toolkit), ``thresholds`` (each toolkit's
threshold arrays), ``lengths`` (what each toolkit does with short and long result files),
``protocols`` (which rule, scoring and length rule apply to which dataset), ``aggregate`` (counts,
curves and scores).
"""
from .aggregate import (
                        MATLAB_EPS,
                        RunStats,
                        count_curve,
                        curve_scores,
                        evaluate_run,
                        fit_boxes,
                        fitted_boxes,
                        frame_values,
                        mean_curves,
                        per_sequence,
                        score_terms,
                        speed,
                        summarize,
                        threshold_buckets,
)
from .geometry import clip_to_image, iou_continuous, iou_plus_one
from .ground_truth import CHUNK_FRAMES, GroundTruth
from .lengths import LengthChange, LengthRule
from .protocols import PROTOCOLS, Protocol, get_protocol, protocol_sequences
from .rules import (
    GOT10K_EPS,
    FrameErrors,
    got10k_otb_rule,
    got10k_val_rule,
    matlab_rule,
    pysot_rule,
    pytracking_rule,
    tc128_rule,
    trackingnet_rule,
)
from .thresholds import NORMALIZED_0_050, PIXELS_0_50, PYTRACKING_OVERLAP, matlab_colon

__all__ = [
    "CHUNK_FRAMES", "GOT10K_EPS", "MATLAB_EPS", "NORMALIZED_0_050", "PIXELS_0_50",
    "PROTOCOLS", "PYTRACKING_OVERLAP", "FrameErrors", "GroundTruth", "LengthChange", "LengthRule", "Protocol",
    "RunStats",
    "clip_to_image", "count_curve", "curve_scores", "evaluate_run", "fit_boxes", "fitted_boxes", "frame_values", "get_protocol",
    "got10k_otb_rule", "got10k_val_rule", "iou_continuous", "iou_plus_one", "matlab_colon", "matlab_rule",
    "mean_curves", "per_sequence", "protocol_sequences", "pysot_rule", "pytracking_rule", "score_terms", "speed", "summarize",
    "tc128_rule", "threshold_buckets", "trackingnet_rule",
]
