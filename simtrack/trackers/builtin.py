"""``simtrack`` as a tracker spec: the factory the VOT Python runtime and the got10k adapter call
for ``tracker = simtrack`` (the runner and the TraX server build SimTrack their own way)."""


def simtrack_tracker(checkpoint=None, variant=None, device="auto", **speed):
    """A ``simtrack.Tracker`` for ``checkpoint`` (empty: the embedded demo model); ``speed`` are the
    speed options (precision, fast, compile, cuda_graphs, crop)."""
    from ..tracker import Tracker
    from ..weights import resolve_checkpoint
    return Tracker.from_checkpoint(resolve_checkpoint(checkpoint, "checkpoint"), variant=variant or None,
                                   device=device, **speed)
