"""Our ViT layers compute what timm's compute (names, seeded init and outputs bit for bit), so that
loading a model needs neither timm nor torchvision."""
import subprocess
import sys
from functools import partial

import pytest
import torch

from simtrack.model.layers import Block, PatchEmbed, QuickGELU, trunc_normal_

timm_layers = pytest.importorskip("timm.layers")
from timm.models.vision_transformer import Block as TimmBlock  # noqa: E402


@pytest.mark.parametrize("fused", [True, False])
@pytest.mark.parametrize("activation", ["quick_gelu", "gelu"])
def test_blocks_equal_timm_blocks(fused, activation):
    norm = partial(torch.nn.LayerNorm, eps=1e-5)
    ours_act, timm_act = (QuickGELU, timm_layers.QuickGELU) if activation == "quick_gelu" else (torch.nn.GELU,) * 2
    torch.manual_seed(0)
    ours = Block(64, 4, 4.0, act_layer=ours_act, norm_layer=norm)
    torch.manual_seed(0)
    theirs = TimmBlock(64, 4, 4.0, qkv_bias=True, act_layer=timm_act, norm_layer=norm)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert all(torch.equal(a, b) for a, b in zip(ours.state_dict().values(), theirs.state_dict().values()))
    ours.attn.fused_attn = theirs.attn.fused_attn = fused
    x = torch.randn(2, 50, 64)
    assert torch.equal(ours(x), theirs(x))


def test_patch_embedding_and_truncated_normal_equal_timm():
    torch.manual_seed(1)
    ours = PatchEmbed(16, 64, bias=False)
    torch.manual_seed(1)
    theirs = timm_layers.PatchEmbed(img_size=None, patch_size=16, embed_dim=64, bias=False, strict_img_size=False)
    x = torch.randn(2, 3, 128, 128)
    assert list(ours.state_dict()) == list(theirs.state_dict()) and torch.equal(ours(x), theirs(x))
    a, b = torch.empty(1000), torch.empty(1000)
    torch.manual_seed(3)
    trunc_normal_(a, std=0.02)
    torch.manual_seed(3)
    timm_layers.trunc_normal_(b, std=0.02)
    assert torch.equal(a, b)


def test_loading_a_model_imports_neither_timm_nor_torchvision():
    code = ("import sys, simtrack; simtrack.load_model(simtrack.EMBEDDED_CHECKPOINT); "
            "print(sorted(m for m in ('timm', 'torchvision') if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.stdout.strip() == "[]", result.stderr
