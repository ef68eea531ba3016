"""Small builders shared by the model, checkpoint and tracker tests."""
import numpy as np
import torch
from official_reference import OfficialSimTrack, OfficialTracker

import simtrack
from simtrack.checkpoints import ours_to_official


def random_model(variant="tiny", seed=0):
    """A randomly initialised model whose corner maps are peaky, so boxes depend on the input."""
    torch.manual_seed(seed)
    model = simtrack.build_model(variant).eval()
    with torch.no_grad():
        for corner in ("tl", "br"):
            getattr(model.box_head, f"conv5_{corner}").weight.mul_(40)
        for name, buffer in model.named_buffers():
            if name.endswith("running_mean"):
                buffer.normal_(0, 0.1)
            elif name.endswith("running_var"):
                buffer.uniform_(0.5, 1.5)
    return model


def official_twin(model):
    """The test oracle with the same weights, loaded strictly under the official names."""
    twin = OfficialSimTrack(model.config).eval()
    twin.load_state_dict(ours_to_official(model.state_dict()), strict=True)
    return twin


def official_tracker(model):
    return OfficialTracker(official_twin(model))


def moving_object_frames(num_frames=12, size=(160, 120), seed=0):
    """Frames of a textured square drifting over a noisy background, and its boxes."""
    rng = np.random.default_rng(seed)
    width, height = size
    background = rng.integers(0, 255, (height, width, 3), dtype=np.uint8)
    texture = rng.integers(0, 255, (24, 24, 3), dtype=np.uint8)
    frames, boxes = [], []
    for i in range(num_frames):
        x, y = 30 + 3 * i, 40 + 2 * i
        frame = background.copy()
        frame[y:y + 24, x:x + 24] = texture
        frames.append(frame)
        boxes.append((float(x), float(y), 24.0, 24.0))
    return frames, boxes
