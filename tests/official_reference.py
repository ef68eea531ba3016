"""An independent test oracle with the official SimTrack structure and parameter names.

Written for the tests from the model reference (docs/model.md): CLIP's residual blocks on
``torch.nn.MultiheadAttention`` in sequence-first layout, the anchor/centre tables and the
padded-grid foveal position trick of the official backbone, the STARK corner head, and the
official tracker's pre/post-processing. Our model shares none of this code, so agreement
between the two is evidence of parity with the official implementation.
"""
import math
from collections import OrderedDict

import cv2
import torch
import torch.nn.functional as F
from torch import nn


class QuickGELU(nn.Module):
    def forward(self, x):
        return x * torch.sigmoid(1.702 * x)


class ResidualAttentionBlock(nn.Module):
    def __init__(self, width, heads, act, eps):
        super().__init__()
        self.attn = nn.MultiheadAttention(width, heads)
        self.ln_1 = nn.LayerNorm(width, eps=eps)
        self.mlp = nn.Sequential(OrderedDict([("c_fc", nn.Linear(width, width * 4)), ("gelu", act()),
                                              ("c_proj", nn.Linear(width * 4, width))]))
        self.ln_2 = nn.LayerNorm(width, eps=eps)

    def forward(self, x):
        y = self.ln_1(x)
        x = x + self.attn(y, y, y, need_weights=False)[0]
        return x + self.mlp(self.ln_2(x))


class Transformer(nn.Module):
    def __init__(self, width, layers, heads, act, eps):
        super().__init__()
        self.resblocks = nn.Sequential(*[ResidualAttentionBlock(width, heads, act, eps) for _ in range(layers)])

    def forward(self, x):
        return self.resblocks(x)


class Visual(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        w = cfg.embed_dim
        self.conv1 = nn.Conv2d(3, w, cfg.patch_size, cfg.patch_size, bias=False)
        self.class_embedding = nn.Parameter(torch.zeros(w))
        self.positional_embedding = nn.Parameter(torch.zeros(cfg.pretrain_grid ** 2 + 1, w))
        self.ln_pre = nn.LayerNorm(w, eps=cfg.norm_eps)
        self.transformer = Transformer(w, cfg.depth, cfg.num_heads, QuickGELU, cfg.norm_eps)
        self.ln_post = nn.LayerNorm(w, eps=cfg.norm_eps)
        if cfg.clip_proj_dim:
            self.proj = nn.Parameter(torch.zeros(w, cfg.clip_proj_dim))


class OfficialBackbone(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.visual = Visual(cfg)
        c = cfg.embed_dim
        self.pos_fc = nn.Sequential(nn.Linear(3, c // 2), nn.ReLU(), nn.Linear(c // 2, c), nn.Sigmoid())
        self.tz, self.wz, self.fz = cfg.template_grid, cfg.patch_size, cfg.foveal_grid
        y1 = torch.arange(0, self.wz * self.tz, self.wz).unsqueeze(1).repeat(1, self.tz).reshape(-1)
        x1 = torch.arange(0, self.wz * self.tz, self.wz).unsqueeze(0).repeat(self.tz, 1).reshape(-1)
        x2, y2 = x1 + self.wz, y1 + self.wz
        self.anchor = torch.stack([x1, y1, x2, y2], 1).unsqueeze(0) / (self.wz * self.tz)
        self.centre = torch.stack([(x1 + x2) / 2, (y1 + y2) / 2], 1).unsqueeze(0) / (self.wz * self.tz)

    def forward(self, template, search, anno):
        v, b, tz = self.visual, template.shape[0], self.tz
        x, xt = v.conv1(search), v.conv1(template)
        c, h = x.shape[1], x.shape[2]
        gt = torch.cat([anno[..., :2], anno[..., :2] + anno[..., 2:]], -1).reshape(-1, 1, 4)
        gt = gt.repeat(1, tz * tz, 1).reshape(-1, 4).clamp(0, 1)
        anchor = self.anchor.repeat(b, 1, 1).reshape(-1, 4)
        area = (anchor[:, 2] - anchor[:, 0]) * (anchor[:, 3] - anchor[:, 1])
        wh = (torch.min(anchor[:, 2:], gt[:, 2:]) - torch.max(anchor[:, :2], gt[:, :2])).clamp(min=0)
        cover = ((wh[:, 0] * wh[:, 1] / area).reshape(b, tz * tz) + 1) / 2
        pad = (tz - self.fz) * self.wz // 2
        xf = v.conv1(template[:, :, pad:-pad, pad:-pad]).reshape(b, c, -1).permute(0, 2, 1)
        x = x.reshape(b, c, -1).permute(0, 2, 1)
        xt = xt.reshape(b, c, -1).permute(0, 2, 1)
        g = int(math.sqrt(v.positional_embedding[1:].shape[0]))
        pos_s = F.interpolate(v.positional_embedding[1:].reshape(1, g, g, -1).permute(0, 3, 1, 2),
                              size=(h, h), mode="bilinear")
        feat = torch.cat([cover.reshape(-1, 1), self.centre.repeat(b, 1, 1).reshape(-1, 2)], 1)
        pos_t = (self.pos_fc(feat.to(x.dtype)).reshape(b, tz * tz, -1) * 2 - 1)
        pos_t = pos_t.reshape(b, tz, tz, -1).permute(0, 3, 1, 2)
        p1 = torch.zeros(b, c, tz + 1, tz + 1)
        p2 = torch.zeros(b, c, tz + 1, tz + 1)
        p1[:, :, :tz, :tz] = pos_t
        p2[:, :, 1:, 1:] = pos_t
        s = (tz - self.fz) // 2 + 1
        pos_f = ((p1 + p2)[:, :, s:s + self.fz, s:s + self.fz] / 2).reshape(b, c, -1).permute(0, 2, 1)
        pos_t = pos_t.reshape(b, c, -1).permute(0, 2, 1)
        pos_s = torch.cat([v.positional_embedding[0].reshape(1, 1, c), pos_s.reshape(1, c, -1).permute(0, 2, 1)], 1)
        x = torch.cat([v.class_embedding + torch.zeros(b, 1, c), x], 1) + pos_s
        x = torch.cat([xt + pos_t, x, xf + pos_f], 1)
        x = v.ln_pre(x).permute(1, 0, 2)
        x = v.transformer(x).permute(1, 0, 2)
        return v.ln_post(x)[:, :-(self.fz ** 2)]


def _conv(i, o):
    return nn.Sequential(nn.Conv2d(i, o, 3, 1, 1), nn.BatchNorm2d(o), nn.ReLU())


class OfficialHead(nn.Module):
    def __init__(self, inplanes, channel, feat_sz, stride):
        super().__init__()
        self.feat_sz, self.img_sz = feat_sz, feat_sz * stride
        for k in ("tl", "br"):
            setattr(self, f"conv1_{k}", _conv(inplanes, channel))
            setattr(self, f"conv2_{k}", _conv(channel, channel // 2))
            setattr(self, f"conv3_{k}", _conv(channel // 2, channel // 4))
            setattr(self, f"conv4_{k}", _conv(channel // 4, channel // 8))
            setattr(self, f"conv5_{k}", nn.Conv2d(channel // 8, 1, 1))
        index = torch.arange(0, feat_sz).view(-1, 1) * stride
        self.coord_x = index.repeat((feat_sz, 1)).view(feat_sz * feat_sz).float()
        self.coord_y = index.repeat((1, feat_sz)).view(feat_sz * feat_sz).float()

    def _branch(self, x, k):
        for i in range(1, 6):
            x = getattr(self, f"conv{i}_{k}")(x)
        prob = F.softmax(x.view(-1, self.feat_sz * self.feat_sz), dim=1)
        return torch.sum(self.coord_x * prob, 1), torch.sum(self.coord_y * prob, 1)

    def forward(self, x):
        x0, y0 = self._branch(x, "tl")
        x1, y1 = self._branch(x, "br")
        return torch.stack((x0, y0, x1, y1), 1) / self.img_sz


class OfficialSimTrack(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        self.backbone = OfficialBackbone(cfg)
        self.box_head = OfficialHead(cfg.hidden_dim, cfg.head_channels, cfg.search_grid, cfg.patch_size)
        self.bottleneck = nn.Linear(cfg.embed_dim, cfg.hidden_dim)

    def forward(self, template, search, anno):
        feat = self.bottleneck(self.backbone(template, search, anno)).permute(1, 0, 2)
        n = self.cfg.search_grid
        opt = feat[-n * n:].permute(1, 2, 0).contiguous().view(-1, self.cfg.hidden_dim, n, n)
        x0, y0, x1, y1 = self.box_head(opt).unbind(-1)
        return torch.stack([(x0 + x1) / 2, (y0 + y1) / 2, x1 - x0, y1 - y0], -1).view(-1, 1, 4)


def sample_target(im, target_bb, search_area_factor, output_sz):
    x, y, w, h = target_bb
    crop_sz = math.ceil(math.sqrt(w * h) * search_area_factor)
    x1 = round(x + 0.5 * w - crop_sz * 0.5)
    x2 = x1 + crop_sz
    y1 = round(y + 0.5 * h - crop_sz * 0.5)
    y2 = y1 + crop_sz
    x1_pad, y1_pad = max(0, -x1), max(0, -y1)
    x2_pad, y2_pad = max(x2 - im.shape[1] + 1, 0), max(y2 - im.shape[0] + 1, 0)
    crop = im[y1 + y1_pad:y2 - y2_pad, x1 + x1_pad:x2 - x2_pad, :]
    crop = cv2.copyMakeBorder(crop, y1_pad, y2_pad, x1_pad, x2_pad, cv2.BORDER_CONSTANT)
    return cv2.resize(crop, (output_sz, output_sz)), output_sz / crop_sz


class OfficialTracker:
    """The official test-time loop (initialize / track), CPU only."""

    def __init__(self, net):
        self.net, self.cfg = net.eval(), net.cfg
        self.mean = torch.tensor([0.485, 0.456, 0.406]).view((1, 3, 1, 1))
        self.std = torch.tensor([0.229, 0.224, 0.225]).view((1, 3, 1, 1))

    def _process(self, arr):
        t = torch.tensor(arr).float().permute((2, 0, 1)).unsqueeze(dim=0)
        return ((t / 255.0) - self.mean) / self.std

    def initialize(self, image, init_bbox):
        c = self.cfg
        patch, rz = sample_target(image, init_bbox, c.template_factor, c.template_size)
        self.template = self._process(patch)
        sz = torch.tensor(init_bbox[2:]) * rz
        anno = torch.tensor([int(c.template_size / 2 - sz[0] / 2), int(c.template_size / 2 - sz[1] / 2), sz[0], sz[1]])
        self.anno = anno / c.template_size
        self.state = init_bbox

    @torch.no_grad()
    def track(self, image):
        c = self.cfg
        H, W, _ = image.shape
        patch, rf = sample_target(image, self.state, c.search_factor, c.search_size)
        pred = self.net(self.template, self._process(patch), self.anno).view(-1, 4)
        cx, cy, w, h = (pred.mean(dim=0) * c.search_size / rf).tolist()
        cx_prev, cy_prev = self.state[0] + 0.5 * self.state[2], self.state[1] + 0.5 * self.state[3]
        half = 0.5 * c.search_size / rf
        box = [cx + (cx_prev - half) - 0.5 * w, cy + (cy_prev - half) - 0.5 * h, w, h]
        x1, y1, bw, bh = box
        x2, y2 = x1 + bw, y1 + bh
        x1, x2 = min(max(0, x1), W - 10), min(max(10, x2), W)
        y1, y2 = min(max(0, y1), H - 10), min(max(10, y2), H)
        self.state = [x1, y1, max(10, x2 - x1), max(10, y2 - y1)]
        return self.state
