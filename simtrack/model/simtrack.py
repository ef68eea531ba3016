"""The SimTrack network: backbone, 768->256 bottleneck on the search tokens, corner head."""
from typing import Union

import torch
from torch import nn

from .backbone import SimTrackViT
from .config import ModelConfig, get_config
from .head import CornerHead


def corners_to_cxcywh(corners):
    x0, y0, x1, y1 = corners.unbind(-1)
    return torch.stack([(x0 + x1) / 2, (y0 + y1) / 2, x1 - x0, y1 - y0], -1)


class SimTrack(nn.Module):
    """Template crop + search crop + template box -> box in the search crop.

    ``forward`` is the whole network (training). Tracking splits it: ``embed_template`` once at
    the first frame, ``forward_search`` for every later frame; both give identical numbers.
    """

    def __init__(self, config):
        super().__init__()
        self.config = config
        self.backbone = SimTrackViT(config)
        self.bottleneck = nn.Linear(config.embed_dim, config.hidden_dim)
        self.box_head = CornerHead(config.hidden_dim, config.head_channels,
                                   config.search_grid, config.patch_size)

    def embed_template(self, template, template_anno):
        return self.backbone.embed_template(template, template_anno)

    def forward_search(self, template_tokens, search):
        """Returns ``boxes`` (B, 4) cx, cy, w, h normalised to the search crop and ``confidence`` (B,)."""
        tokens = self.backbone.forward_with_template(template_tokens, search)
        grid = self.config.search_grid
        search_tokens = tokens[:, -grid * grid:]
        features = self.bottleneck(search_tokens).transpose(1, 2).reshape(-1, self.config.hidden_dim, grid, grid)
        corners, peaks = self.box_head(features)
        return {"boxes": corners_to_cxcywh(corners), "corners": corners,
                "confidence": peaks.prod(1).sqrt()}

    def forward(self, template, search, template_anno):
        return self.forward_search(self.embed_template(template, template_anno), search)


def build_model(variant: Union[str, ModelConfig] = "b16") -> SimTrack:
    """A randomly initialised SimTrack of the named variant (see ``simtrack.model.VARIANTS``)."""
    return SimTrack(get_config(variant))
