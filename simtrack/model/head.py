"""STARK-style corner head: two conv towers score top-left and bottom-right corners."""
import torch
from torch import nn


def conv_bn_relu(in_channels, out_channels):
    return nn.Sequential(nn.Conv2d(in_channels, out_channels, 3, padding=1),
                         nn.BatchNorm2d(out_channels), nn.ReLU(inplace=True))


class CornerHead(nn.Module):
    """Predicts a box as the soft-argmax of two corner heat maps.

    The expected coordinates use cell top-left corners (``stride * index``, no half-cell
    offset), exactly as the official head, so the reachable range is [0, (grid-1)*stride].
    """

    def __init__(self, in_channels, channels, grid, stride):
        super().__init__()
        widths = [in_channels, channels, channels // 2, channels // 4, channels // 8]
        for corner in ("tl", "br"):
            for i in range(4):
                setattr(self, f"conv{i + 1}_{corner}", conv_bn_relu(widths[i], widths[i + 1]))
            setattr(self, f"conv5_{corner}", nn.Conv2d(widths[4], 1, 1))
        self.grid, self.image_size = grid, grid * stride
        index = torch.arange(grid) * stride
        self.register_buffer("coord_x", index.repeat(grid).float(), persistent=False)
        self.register_buffer("coord_y", index.repeat_interleave(grid).float(), persistent=False)

    def score_map(self, x, corner):
        for i in range(1, 6):
            x = getattr(self, f"conv{i}_{corner}")(x)
        return x

    def soft_argmax(self, score_map):
        prob = torch.softmax(score_map.reshape(-1, self.grid * self.grid).float(), dim=1)
        return (self.coord_x * prob).sum(1), (self.coord_y * prob).sum(1), prob

    def forward(self, features):
        """features (B, C, grid, grid) -> corners (B, 4) as x1, y1, x2, y2 normalised, and peak probabilities (B, 2)."""
        x_tl, y_tl, prob_tl = self.soft_argmax(self.score_map(features, "tl"))
        x_br, y_br, prob_br = self.soft_argmax(self.score_map(features, "br"))
        corners = torch.stack([x_tl, y_tl, x_br, y_br], 1) / self.image_size
        peaks = torch.stack([prob_tl.max(1).values, prob_br.max(1).values], 1)
        return corners, peaks
