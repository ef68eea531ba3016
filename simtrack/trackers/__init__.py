"""Any tracker, not only SimTrack: a spec such as ``mypkg.module:Factory`` (or a built-in name:
``simtrack``, ``mil``) names a class or factory with the got10k toolkit's ``init(image, box)`` /
``update(image) -> box`` methods, or our ``simtrack.Tracker`` protocol; the runner
(``benchmarks.run --tracker``), the VOT TraX server (``SIMTRACK_TRACKER``), the VOT 0.9 Python
runtime (``simtrack.adapters.vot_python``) and the got10k adapter (``spec_tracker``) build it
from the same spec. docs/own_tracker.md shows a complete example.

    from simtrack.trackers import parse_spec, build
    spec = parse_spec("mytrackers.ncc:NCCTracker", ["search=2.0"])
    tracker = build(spec, device="cpu")          # GenericTracker: checked boxes, bridged images
    tracker.init(rgb_image, (x, y, w, h)); box = tracker.update(rgb_image)
"""
from .generic import GenericTracker, PreparedFrame, check_box
from .spec import BUILTINS, SIMTRACK, TrackerSpec, build, parse_options, parse_spec, parse_value, provenance

__all__ = ["BUILTINS", "SIMTRACK", "GenericTracker", "PreparedFrame", "TrackerSpec", "build", "check_box",
           "parse_options", "parse_spec", "parse_value", "provenance"]
