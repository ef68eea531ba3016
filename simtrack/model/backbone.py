"""SimTrack's backbone: one ViT over template, class, search and foveal tokens.

Built from ``layers`` (timm's ``Block`` / ``PatchEmbed`` computation, without importing timm);
parameter names follow timm's VisionTransformer (``patch_embed``, ``cls_token``, ``pos_embed``,
``norm_pre``, ``blocks``, ``norm``) so that timm / MAE weights map one to one. The official CLIP names are handled by ``simtrack.checkpoints``.
"""
from functools import partial

import torch
import torch.nn.functional as F
from torch import nn

from .layers import Block, PatchEmbed, QuickGELU, trunc_normal_


class TemplatePositionMLP(nn.Module):
    """SimTrack's "distinguishable" template position embedding.

    Each template patch is described by how much of it the target covers and where its centre
    is; an MLP turns those three numbers into an embedding in (-1, 1). The patch windows and
    centres are fixed buffers (not in the state_dict, as in the official code).
    """

    def __init__(self, config):
        super().__init__()
        dim = config.embed_dim
        # Index names (0, 2) match the official ``pos_fc`` Sequential.
        self.pos_fc = nn.Sequential(nn.Linear(3, dim // 2), nn.ReLU(inplace=True),
                                    nn.Linear(dim // 2, dim), nn.Sigmoid())
        grid, patch, size = config.template_grid, config.patch_size, config.template_size
        cols = torch.arange(grid).repeat(grid)             # x index, fast
        rows = torch.arange(grid).repeat_interleave(grid)  # y index, slow
        x1, y1 = cols * patch / size, rows * patch / size
        x2, y2 = (cols * patch + patch) / size, (rows * patch + patch) / size
        self.register_buffer("windows", torch.stack([x1, y1, x2, y2], 1).float(), persistent=False)
        centres = torch.stack([(cols * patch + patch / 2) / size, (rows * patch + patch / 2) / size], 1)
        self.register_buffer("centres", centres.float(), persistent=False)

    def coverage(self, template_anno):
        """Fraction of each patch covered by the target box (B, N).

        Mixed precision as in the official tracker: a float64 box promotes the intersection to
        float64 while the patch windows stay float32.
        """
        anno = template_anno.reshape(-1, 4)
        box = torch.cat([anno[:, :2], anno[:, :2] + anno[:, 2:]], 1).clamp(0, 1)[:, None, :]
        win = self.windows[None]
        inter_w = (torch.minimum(win[..., 2], box[..., 2]) - torch.maximum(win[..., 0], box[..., 0])).clamp(min=0)
        inter_h = (torch.minimum(win[..., 3], box[..., 3]) - torch.maximum(win[..., 1], box[..., 1])).clamp(min=0)
        # The patch area stays in the window dtype (float32), as in the official code.
        area = (win[..., 2] - win[..., 0]) * (win[..., 3] - win[..., 1])
        return inter_w * inter_h / area

    def forward(self, template_anno, dtype):
        covered = (self.coverage(template_anno) + 1) / 2
        centres = self.centres.expand(covered.shape[0], -1, -1)
        features = torch.cat([covered[..., None].to(dtype), centres.to(dtype)], -1)
        return 2 * self.pos_fc(features) - 1


class SimTrackViT(nn.Module):
    """CLIP-style ViT (pre-norm, ``norm_pre`` before the blocks, ``norm`` on every output token)."""

    def __init__(self, config):
        super().__init__()
        self.config = config
        dim = config.embed_dim
        self.patch_embed = PatchEmbed(config.patch_size, dim, bias=config.patch_bias)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, dim))
        self.pos_embed = nn.Parameter(torch.zeros(1, 1 + config.pretrain_grid ** 2, dim))
        norm_layer = partial(nn.LayerNorm, eps=config.norm_eps)
        act_layer = QuickGELU if config.activation == "quick_gelu" else nn.GELU
        self.norm_pre = norm_layer(dim) if config.pre_norm else nn.Identity()
        self.blocks = nn.Sequential(*[
            Block(dim, config.num_heads, config.mlp_ratio, act_layer=act_layer, norm_layer=norm_layer)
            for _ in range(config.depth)])
        self.norm = norm_layer(dim)
        self.template_pos = TemplatePositionMLP(config)
        if config.clip_proj_dim:
            # CLIP's image projection: never used by SimTrack, kept so conversions are lossless.
            self.register_buffer("clip_proj", torch.zeros(dim, config.clip_proj_dim))
        trunc_normal_(self.pos_embed, std=0.02)
        trunc_normal_(self.cls_token, std=0.02)
        self.set_fused_attention(True)

    def set_fused_attention(self, enabled):
        """Choose torch's ``scaled_dot_product_attention`` (default) or the explicit softmax(QK^T)V.

        The official blocks call ``nn.MultiheadAttention(..., need_weights=False)``, which on torch 2
        runs ``scaled_dot_product_attention``; with it our outputs are bit-identical to the official
        model's on the same torch build. The explicit form is the torch 1.x arithmetic (float
        round-off away) and lets ``FlopCounterMode`` see every matrix product.
        """
        for block in self.blocks:
            block.attn.fused_attn = enabled

    @property
    def fused_attention(self):
        """Whether the blocks use ``scaled_dot_product_attention`` (see ``set_fused_attention``)."""
        return self.blocks[0].attn.fused_attn

    def search_pos_embed(self):
        """The pre-trained patch position table resized to the search grid (identity when equal)."""
        grid, size = self.config.pretrain_grid, self.config.search_grid
        table = self.pos_embed[:, 1:]
        if grid == size:
            return table
        table = table.reshape(1, grid, grid, -1).permute(0, 3, 1, 2)
        table = F.interpolate(table, size=(size, size), mode="bilinear", align_corners=False)
        return table.flatten(2).transpose(1, 2)

    def foveal_pos_embed(self, template_pos):
        """Mean of the two diagonal template-grid neighbours of each foveal patch."""
        cfg = self.config
        grid = template_pos.reshape(template_pos.shape[0], cfg.template_grid, cfg.template_grid, -1)
        low, high = cfg.foveal_neighbours
        n = cfg.foveal_grid
        pos = (grid[:, high:high + n, high:high + n] + grid[:, low:low + n, low:low + n]) / 2
        return pos.flatten(1, 2)

    def embed_template(self, template, template_anno):
        """Template and foveal tokens after ``norm_pre``; depends on the first frame only."""
        cfg = self.config
        template_pos = self.template_pos(template_anno, template.dtype)
        if template_pos.shape[0] != template.shape[0]:
            template_pos = template_pos.expand(template.shape[0], -1, -1)
        tokens = self.patch_embed(template) + template_pos
        lo = cfg.foveal_offset
        foveal = template[:, :, lo:lo + cfg.foveal_size, lo:lo + cfg.foveal_size]
        foveal_tokens = self.patch_embed(foveal) + self.foveal_pos_embed(template_pos)
        return self.norm_pre(torch.cat([tokens, foveal_tokens], 1))

    def forward_with_template(self, template_tokens, search):
        """Run the transformer; returns template, class and search tokens after ``norm``.

        Token order inside the transformer: template, class, search, foveal (the foveal tokens
        take part in attention and are dropped from the output).
        """
        cfg = self.config
        n_template = cfg.template_grid ** 2
        batch = search.shape[0]
        if template_tokens.shape[0] != batch:
            template_tokens = template_tokens.expand(batch, -1, -1)
        cls = (self.cls_token + self.pos_embed[:, :1]).expand(batch, -1, -1)
        search_tokens = self.patch_embed(search) + self.search_pos_embed()
        x = torch.cat([template_tokens[:, :n_template], self.norm_pre(cls),
                       self.norm_pre(search_tokens), template_tokens[:, n_template:]], 1)
        x = self.blocks(x)
        return self.norm(x[:, :x.shape[1] - cfg.foveal_grid ** 2])

    def forward(self, template, search, template_anno):
        """Official layout: (B, template + 1 + search tokens, C)."""
        return self.forward_with_template(self.embed_template(template, template_anno), search)
