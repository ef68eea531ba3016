"""The ViT layers of SimTrack's backbone, written here with timm's module and parameter names.

timm's ``Block`` / ``PatchEmbed`` compute exactly this (the same operations in the same order, so
the same numbers bit for bit), but importing timm imports torchvision, which costs about 2 s of CPU
in every process that loads a model: each runner worker, each VOT tracker process, each
``simtrack.track``. Parameters are created in timm's order, so a seeded random model is the same.
Names follow timm's VisionTransformer so that timm / MAE weights map one to one.
"""
import math

import torch
import torch.nn.functional as F
from torch import nn


class QuickGELU(nn.Module):
    """CLIP's activation: ``x * sigmoid(1.702 x)``."""

    def forward(self, x):
        return x * torch.sigmoid(1.702 * x)


class PatchEmbed(nn.Module):
    """Non-overlapping patches to tokens: a strided convolution, flattened to (B, N, C)."""

    def __init__(self, patch_size, embed_dim, bias=True, in_chans=3):
        super().__init__()
        self.proj = nn.Conv2d(in_chans, embed_dim, kernel_size=patch_size, stride=patch_size, bias=bias)

    def forward(self, x):
        return self.proj(x).flatten(2).transpose(1, 2)


class Attention(nn.Module):
    """Multi-head self-attention; ``fused_attn`` picks torch's ``scaled_dot_product_attention`` or
    the explicit softmax(QK^T)V (see ``SimTrackViT.set_fused_attention``)."""

    def __init__(self, dim, num_heads):
        super().__init__()
        self.num_heads = num_heads
        self.head_dim = dim // num_heads
        self.scale = self.head_dim ** -0.5
        self.fused_attn = True
        self.qkv = nn.Linear(dim, dim * 3, bias=True)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x):
        batch, tokens, channels = x.shape
        qkv = self.qkv(x).reshape(batch, tokens, 3, self.num_heads, self.head_dim).permute(2, 0, 3, 1, 4)
        q, k, v = qkv.unbind(0)
        if self.fused_attn:
            x = F.scaled_dot_product_attention(q, k, v)
        else:
            attention = (q * self.scale) @ k.transpose(-2, -1)
            x = attention.softmax(dim=-1) @ v
        return self.proj(x.transpose(1, 2).reshape(batch, tokens, channels))


class Mlp(nn.Module):
    def __init__(self, dim, hidden, act_layer):
        super().__init__()
        self.fc1 = nn.Linear(dim, hidden)
        self.act = act_layer()
        self.fc2 = nn.Linear(hidden, dim)

    def forward(self, x):
        return self.fc2(self.act(self.fc1(x)))


class Block(nn.Module):
    """Pre-norm transformer block: ``x + attn(norm1(x))``, then ``x + mlp(norm2(x))``."""

    def __init__(self, dim, num_heads, mlp_ratio, act_layer, norm_layer):
        super().__init__()
        self.norm1 = norm_layer(dim)
        self.attn = Attention(dim, num_heads)
        self.norm2 = norm_layer(dim)
        self.mlp = Mlp(dim, int(dim * mlp_ratio), act_layer)

    def forward(self, x):
        x = x + self.attn(self.norm1(x))
        return x + self.mlp(self.norm2(x))


def trunc_normal_(tensor, std, low=-2.0, high=2.0):
    """Normal(0, ``std``) values truncated to [``low``, ``high``], in place, by the inverse-CDF method of
    timm (and torch before 2.14, which now samples differently), so that seeded models stay the same."""
    def cdf(value):
        return (1.0 + math.erf(value / math.sqrt(2.0))) / 2.0

    with torch.no_grad():
        tensor.uniform_(2 * cdf(low / std) - 1, 2 * cdf(high / std) - 1)
        tensor.erfinv_().mul_(std * math.sqrt(2.0)).clamp_(min=low, max=high)
    return tensor
