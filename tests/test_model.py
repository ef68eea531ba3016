from pathlib import Path

import pytest
import torch
from model_helpers import official_twin, random_model

import simtrack
from simtrack.checkpoints import ours_to_official
from simtrack.errors import ConfigError
from simtrack.model import VARIANTS, ModelConfig, get_config

KEYS_FILE = Path(__file__).parent / "data" / "official_keys.txt"


def official_keys():
    rows = [line.split("\t") for line in KEYS_FILE.read_text().splitlines()]
    return {name: tuple(int(d) for d in shape.strip("()").split(",") if d.strip()) for name, shape, _ in rows}


def test_b16_has_exactly_the_official_names_and_shapes():
    with torch.device("meta"):
        model = simtrack.build_model("b16")
    official = {k: tuple(v.shape) for k, v in ours_to_official(model.state_dict()).items()}
    assert official == official_keys()


def test_b16_parameter_count_matches_the_reference():
    with torch.device("meta"):
        model = simtrack.build_model("b16")
    # 88,643,458 in the reference includes CLIP's unused 768x512 projection (a buffer here).
    assert sum(p.numel() for p in model.parameters()) + 768 * 512 == 88_643_458


@pytest.mark.parametrize("variant", ["tiny", "b16"])
def test_forward_matches_official_structure(variant):
    """Tokens bit for bit: both run scaled_dot_product_attention (nn.MultiheadAttention's kernel on
    torch 2). The official bottleneck reads every token and ours the search tokens only, a different
    matrix shape: at batch 2 the boxes are round-off apart (the tracker, at batch 1, is bit-exact)."""
    model = random_model(variant, seed=1)
    twin = official_twin(model)
    cfg = model.config
    torch.manual_seed(2)
    template = torch.randn(2, 3, cfg.template_size, cfg.template_size)
    search = torch.randn(2, 3, cfg.search_size, cfg.search_size)
    anno = torch.tensor([[0.25, 0.3, 0.5, 0.4], [0.1, -0.05, 0.95, 0.7]], dtype=torch.float64)
    with torch.no_grad():
        ours_tokens = model.backbone(template, search, anno)
        official_tokens = twin.backbone(template, search, anno)
        ours_boxes = model(template, search, anno)["boxes"]
        official_boxes = twin(template, search, anno)[:, 0]
    assert torch.equal(ours_tokens, official_tokens)
    assert torch.allclose(ours_boxes, official_boxes, atol=1e-6, rtol=0)


def test_explicit_attention_differs_by_round_off_only():
    """The explicit softmax(QK^T)V (torch 1.x arithmetic, used for FLOP counting) vs the default."""
    model = random_model("tiny", seed=3)
    cfg = model.config
    template = torch.randn(1, 3, cfg.template_size, cfg.template_size)
    search = torch.randn(1, 3, cfg.search_size, cfg.search_size)
    anno = torch.tensor([0.25, 0.25, 0.5, 0.5], dtype=torch.float64)
    with torch.no_grad():
        fused = model(template, search, anno)["boxes"]
        model.backbone.set_fused_attention(False)
        explicit = model(template, search, anno)["boxes"]
    assert torch.allclose(explicit, fused, atol=1e-6)


def test_foveal_tokens_see_only_the_central_window():
    model = random_model("b16", seed=4)
    cfg = model.config
    assert cfg.foveal_offset == 24 and cfg.foveal_grid == 4
    anno = torch.tensor([0.25, 0.25, 0.5, 0.5], dtype=torch.float64)
    template = torch.randn(1, 3, 112, 112)
    n_template = cfg.template_grid ** 2
    with torch.no_grad():
        base = model.embed_template(template, anno)[0, n_template:]
        outside = template.clone()
        outside[:, :, :24] += 1.0          # rows above the window
        outside[:, :, :, 88:] += 1.0       # columns right of it
        assert torch.equal(model.embed_template(outside, anno)[0, n_template:], base)
        inside = template.clone()
        inside[:, :, 24 + 16 + 3, 24 + 2 * 16 + 5] += 5.0   # inside foveal patch (row 1, col 2)
        changed = (model.embed_template(inside, anno)[0, n_template:] != base).any(1)
        assert changed.nonzero().flatten().tolist() == [1 * 4 + 2]


def test_foveal_position_is_mean_of_diagonal_template_neighbours():
    model = random_model("b16", seed=5)
    anno = torch.tensor([0.2, 0.3, 0.5, 0.4], dtype=torch.float64)
    with torch.no_grad():
        template_pos = model.backbone.template_pos(anno, torch.float32)[0].reshape(7, 7, -1)
        foveal_pos = model.backbone.foveal_pos_embed(template_pos.reshape(1, 49, -1))[0].reshape(4, 4, -1)
    for a in range(4):
        for b in range(4):
            expected = (template_pos[a + 2, b + 2] + template_pos[a + 1, b + 1]) / 2
            assert torch.equal(foveal_pos[a, b], expected)


def test_template_coverage_is_intersection_over_patch_area():
    model = simtrack.build_model("b16")
    # Target covering exactly template patches (2..3, 1..4): x in [16, 80), y in [32, 64).
    anno = torch.tensor([16 / 112, 32 / 112, 64 / 112, 32 / 112], dtype=torch.float64)
    coverage = model.backbone.template_pos.coverage(anno).reshape(7, 7)
    expected = torch.zeros(7, 7, dtype=torch.float64)
    expected[2:4, 1:5] = 1
    assert torch.allclose(coverage, expected, atol=1e-6)
    half = torch.tensor([8 / 112, 0, 8 / 112, 16 / 112], dtype=torch.float64)  # half of patch (0, 0)
    assert model.backbone.template_pos.coverage(half).reshape(7, 7)[0, 0].item() == pytest.approx(0.5, abs=1e-6)


def test_variant_registry_and_l14_geometry():
    assert set(VARIANTS) >= {"b16", "l14", "b16_mae", "tiny"}
    l14 = get_config("l14")
    assert (l14.template_grid, l14.search_grid, l14.foveal_grid, l14.foveal_size) == (8, 16, 4, 56)
    assert l14.template_factor == 1.5 and l14.pretrain_grid == 16
    with torch.device("meta"):
        model = simtrack.build_model("l14")
    assert model.backbone.pos_embed.shape == (1, 257, 1024)
    mae = get_config("b16_mae")
    assert (mae.activation, mae.norm_eps, mae.pre_norm, mae.patch_bias) == ("gelu", 1e-6, False, True)


def test_unknown_variant_and_config_keys_are_refused():
    with pytest.raises(ConfigError, match="unknown variant 'b17'"):
        simtrack.build_model("b17")
    with pytest.raises(ConfigError, match="embed_dimm"):
        ModelConfig.from_dict({"name": "x", "embed_dimm": 10})
    with pytest.raises(ConfigError, match="multiple of patch_size"):
        ModelConfig(name="x", template_size=100)
