"""Several independent targets tracked in lock-step, their search crops sent through the model as one batch.

On hardware where one frame does not fill the device (a GPU, or a many-core CPU), a batch of K
crops costs much less than K single-frame passes. Each target keeps the exact per-target
pre/post-processing of ``Tracker``; only the network pass is shared, so boxes equal those of
batch size 1 up to the float round-off of batched matrix products. Every engine of ``Tracker``
batches (exported models have a dynamic batch dimension); importing this module needs no torch.
"""
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Optional, Union

import numpy as np

from .errors import ConfigError, TrackerInputError
from .formats.images import as_rgb_uint8
from .tracker import BoxLike, DeviceLike, Tracker, _network_mode, check_box, load_for_options, locate


class BatchTracker:
    """Up to ``capacity`` targets ("slots" 0..capacity-1), each with its own template and state.

    ``init(slot, image, box)`` starts (or restarts) a slot; ``update({slot: image})`` advances the
    given slots by one frame each with one forward pass and returns ``{slot: box}``;
    ``release(slot)`` frees a slot for the next target. ``options`` are ``Tracker``'s speed options.
    """

    def __init__(self, model: Any, capacity: int, device: DeviceLike = "auto", **options: Any) -> None:
        if not isinstance(capacity, int) or capacity < 1:
            raise ConfigError(f"batch capacity must be a positive integer, got {capacity!r}")
        self.capacity = capacity
        self._single = Tracker(model, device=device, **options)  # crop, network runner, template step
        self.device, self.config, self.model = self._single.device, self._single.config, self._single.model
        self.states: dict[int, list[float]] = {}        # slot -> its target's box on the last frame
        self.confidence: dict[int, float] = {}
        self.runner = self._single.runner
        self._tokens: Any = None                        # (capacity, template tokens, width), by the first init

    @classmethod
    def from_checkpoint(cls, path: Union[str, Path], capacity: int, variant: Optional[str] = None,
                        device: DeviceLike = "auto", **options: Any) -> "BatchTracker":
        """As ``Tracker.from_checkpoint``, with ``capacity`` slots."""
        model, device, options = load_for_options(path, variant, device, options)
        return cls(model, capacity, device=device, **options)

    def _check_slot(self, slot: int) -> int:
        if not isinstance(slot, (int, np.integer)) or not 0 <= slot < self.capacity:
            raise TrackerInputError(f"slot must be an integer in 0..{self.capacity - 1}, got {slot!r}")
        return int(slot)

    @_network_mode
    def init(self, slot: int, image: np.ndarray, box: BoxLike) -> np.ndarray:
        """Start tracking ``box`` = (x, y, w, h) on ``image`` in ``slot``; returns the box."""
        slot = self._check_slot(slot)
        image, box = as_rgb_uint8(image), check_box(box)
        tokens = self._single.embed_target(image, box)
        if self._tokens is None or self._tokens.dtype != tokens.dtype:
            self._tokens = self.runner.allocate_tokens(self.capacity, tokens)
        self._tokens[slot] = tokens[0]
        self.states[slot] = [float(v) for v in box]
        self.confidence[slot] = 1.0
        return box.copy()

    @_network_mode
    def update(self, images: Mapping[int, np.ndarray]) -> dict[int, np.ndarray]:
        """Advance every slot in ``images`` ({slot: RGB uint8 frame}) by one frame; returns {slot: box}."""
        slots = sorted(self._check_slot(slot) for slot in images)
        idle = [slot for slot in slots if slot not in self.states]
        if idle:
            raise TrackerInputError(f"update() for slot(s) {idle} before init(): initialise each slot first")
        if not slots:
            return {}
        frames = [as_rgb_uint8(images[slot]) for slot in slots]
        crops, factors = zip(*(self._single.crop_search(frame, self.states[slot])
                               for slot, frame in zip(slots, frames)))
        tokens = self._tokens
        assert tokens is not None   # allocated by the first init, and every slot here was initialised
        tokens = tokens if slots == list(range(self.capacity)) else tokens[slots]
        output = self.runner.forward_search(tokens, self.runner.concat(crops))
        boxes_in_crop, confidence = self.runner.to_host(output["boxes"]), output["confidence"].tolist()
        result = {}
        for row, (slot, frame) in enumerate(zip(slots, frames)):
            self.states[slot] = locate(self.states[slot], boxes_in_crop[row], factors[row],
                                       self.config.search_size, frame.shape)
            self.confidence[slot] = confidence[row]
            result[slot] = np.array(self.states[slot], dtype=np.float64)
        return result

    def release(self, slot: int) -> None:
        """Forget the target in ``slot`` (its template row is overwritten by the next init)."""
        slot = self._check_slot(slot)
        self.states.pop(slot, None)
        self.confidence.pop(slot, None)
