import pickle
import warnings

import pytest
import torch
from model_helpers import random_model
from official_reference import Visual

from simtrack import convert
from simtrack.checkpoints import (
    guess_variant,
    load_model,
    load_weights,
    official_to_ours,
    ours_to_official,
    save_checkpoint,
    save_official,
)
from simtrack.cli import run_cli
from simtrack.errors import CheckpointError
from simtrack.model import ModelConfig, build_model

MAE_LIKE = ModelConfig(name="mae_like", patch_size=8, embed_dim=64, depth=2, num_heads=2, activation="gelu",
                       norm_eps=1e-6, pre_norm=False, patch_bias=True, clip_proj_dim=0, template_size=56,
                       search_size=112, foveal_size=32, hidden_dim=32, head_channels=32)


def same_weights(a, b, prefix=""):
    sa, sb = a.state_dict(), b.state_dict()
    return all(torch.equal(sa[k], sb[k]) for k in sa if k.startswith(prefix))


def test_round_trip_between_official_and_our_names_is_lossless():
    state = random_model("tiny").state_dict()
    official = ours_to_official(state)
    assert "backbone.visual.transformer.resblocks.0.attn.in_proj_weight" in official
    back = official_to_ours(official)
    assert back.keys() == state.keys()
    assert all(torch.equal(back[k], state[k]) for k in state)


def test_bare_official_state_dict(tmp_path):
    model = random_model("tiny", seed=1)
    path = save_official(model, tmp_path / "sim-vit-tiny.pth")
    fresh = load_weights(build_model("tiny"), path)
    assert same_weights(model, fresh)
    assert load_model(path).config.name == "tiny"   # variant guessed from shapes


class TrainingStats:   # stands in for the official AverageMeter / Settings classes
    def __init__(self):
        self.avg = 0.5


class RunsCode:
    def __reduce__(self):
        import os
        return (os.system, (f"touch {self.marker}",))


def test_official_training_checkpoint_is_read_without_running_pickled_code(tmp_path):
    model = random_model("tiny", seed=2)
    marker = tmp_path / "code_ran"
    evil = RunsCode()
    evil.marker = marker
    torch.save({"epoch": 50, "actor_type": "SimTrackActor", "net": ours_to_official(model.state_dict()),
                "optimizer": {"state": {}}, "stats": {"train": TrainingStats()}, "settings": evil},
               tmp_path / "SimTrack_ep0050.pth.tar")
    with pytest.raises(pickle.UnpicklingError):   # torch alone refuses the file; our loader reads it
        torch.load(tmp_path / "SimTrack_ep0050.pth.tar", weights_only=True)
    fresh = load_weights(build_model("tiny"), tmp_path / "SimTrack_ep0050.pth.tar")
    assert same_weights(model, fresh)
    assert not marker.exists()


def test_pysot_snapshot_with_module_prefix_and_clip_text_tower(tmp_path):
    model = random_model("tiny", seed=3)
    state = {}
    for name, tensor in ours_to_official(model.state_dict()).items():
        state["module." + name.replace("backbone.visual.", "backbone.model.visual.")] = tensor
    state.update({"module.backbone.model.token_embedding.weight": torch.zeros(10, 4),
                  "module.backbone.model.transformer.resblocks.0.ln_1.weight": torch.ones(4),
                  "module.backbone.model.logit_scale": torch.tensor(1.0),
                  "module.backbone.model.ln_final.weight": torch.ones(4)})
    torch.save({"epoch": 19, "state_dict": state, "optimizer": {}}, tmp_path / "checkpoint_e19.pth")
    fresh = load_weights(build_model("tiny"), tmp_path / "checkpoint_e19.pth")
    assert same_weights(model, fresh)


def clip_state(model):
    """An OpenAI-CLIP-style state_dict (fp16, visual.* + text tower) holding model's backbone."""
    official = ours_to_official(model.state_dict())
    state = {k[len("backbone."):]: v.half() for k, v in official.items() if k.startswith("backbone.visual.")}
    state.update({"positional_embedding": torch.zeros(77, 8).half(), "text_projection": torch.zeros(8, 8).half(),
                  "transformer.resblocks.0.attn.in_proj_weight": torch.zeros(24, 8).half(),
                  "logit_scale": torch.tensor(4.6), "input_resolution": torch.tensor(224)})
    return state


class ClipArchive(torch.nn.Module):
    """Shaped like OpenAI's CLIP: an image tower under ``visual`` plus text-tower entries."""

    def __init__(self, config):
        super().__init__()
        self.visual = Visual(config)
        self.token_embedding = torch.nn.Embedding(10, 8)
        self.positional_embedding = torch.nn.Parameter(torch.zeros(77, 8))
        self.ln_final = torch.nn.LayerNorm(8)
        self.text_projection = torch.nn.Parameter(torch.zeros(8, 8))
        self.logit_scale = torch.nn.Parameter(torch.tensor(4.6))

    def forward(self, x):
        return x


def test_clip_files_initialise_the_backbone_only(tmp_path):
    source = random_model("tiny", seed=4)
    with torch.no_grad():
        for p in source.parameters():   # fp16-representable values so the comparison is exact
            p.copy_(p.half().float())
    state = clip_state(source)
    torch.save(state, tmp_path / "ViT-tiny.pt")
    target = build_model("tiny")
    head_before = {k: v.clone() for k, v in target.state_dict().items() if not k.startswith("backbone.")}
    with pytest.raises(CheckpointError, match="only backbone weights"):
        load_weights(target, tmp_path / "ViT-tiny.pt")
    load_weights(target, tmp_path / "ViT-tiny.pt", backbone_only=True)
    ours = target.state_dict()
    for name, tensor in source.state_dict().items():
        if name.startswith("backbone.") and not name.startswith("backbone.template_pos"):
            assert torch.equal(ours[name], tensor), name
    assert all(torch.equal(ours[k], v) for k, v in head_before.items())


def test_clip_torchscript_archive(tmp_path):
    source = random_model("tiny", seed=5)
    archive = ClipArchive(source.config)
    archive.visual.load_state_dict({k[len("backbone.visual."):]: v for k, v in
                                    ours_to_official(source.state_dict()).items() if k.startswith("backbone.visual.")})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        scripted = torch.jit.script(archive)
    scripted.save(str(tmp_path / "ViT-tiny-jit.pt"))
    target = load_weights(build_model("tiny"), tmp_path / "ViT-tiny-jit.pt", backbone_only=True)
    assert same_weights(source, target, prefix="backbone.blocks")
    assert torch.equal(source.backbone.pos_embed, target.backbone.pos_embed)


def test_timm_mae_weights_initialise_a_standard_vit(tmp_path):
    source = build_model(MAE_LIKE)
    timm_state = {k[len("backbone."):]: v for k, v in source.state_dict().items()
                  if k.startswith("backbone.") and not k.startswith("backbone.template_pos")}
    timm_state.update({"head.weight": torch.zeros(10, 64), "fc_norm.weight": torch.ones(64)})
    torch.save({"model": timm_state}, tmp_path / "mae_pretrain.pth")
    target = build_model(MAE_LIKE)
    load_weights(target, tmp_path / "mae_pretrain.pth", backbone_only=True)
    assert same_weights(source, target, prefix="backbone.blocks")
    assert torch.equal(source.backbone.patch_embed.proj.bias, target.backbone.patch_embed.proj.bias)


def test_our_format_records_the_variant(tmp_path):
    model = random_model("tiny", seed=6)
    path = save_checkpoint(model, tmp_path / "tiny.safetensors", {"note": "test"})
    loaded = load_model(path)
    assert loaded.config == model.config and same_weights(model, loaded)
    with pytest.raises(CheckpointError, match="holds variant 'tiny' but the model is variant 'b16'"):
        with torch.device("meta"):
            other = build_model("b16")
        load_weights(other, path)


def test_strict_loading_lists_missing_unexpected_and_misshapen_keys(tmp_path):
    state = ours_to_official(random_model("tiny").state_dict())
    del state["bottleneck.bias"]
    state["box_head.extra.weight"] = torch.zeros(1)
    state["backbone.pos_fc.0.weight"] = torch.zeros(5, 3)
    torch.save(state, tmp_path / "bad.pth")
    with pytest.raises(CheckpointError) as error:
        load_weights(build_model("tiny"), tmp_path / "bad.pth")
    message = str(error.value)
    assert "missing (1): bottleneck.bias" in message
    assert "unexpected (1): box_head.extra.weight" in message
    assert "backbone.template_pos.pos_fc.0.weight: file (5, 3) vs model (64, 3)" in message


def test_unreadable_and_foreign_files_are_refused(tmp_path):
    with pytest.raises(CheckpointError, match="does not exist"):
        load_weights(build_model("tiny"), tmp_path / "nope.pth")
    (tmp_path / "garbage.pth").write_bytes(b"not a checkpoint")
    with pytest.raises(CheckpointError, match="cannot read checkpoint"):
        load_weights(build_model("tiny"), tmp_path / "garbage.pth")
    torch.save({"fc.weight": torch.zeros(2, 2), "fc.bias": torch.zeros(2)}, tmp_path / "resnet.pth")
    with pytest.raises(CheckpointError, match="unrecognised parameter names"):
        load_weights(build_model("tiny"), tmp_path / "resnet.pth")
    assert guess_variant({"x": torch.zeros(1)}) is None


def test_convert_command_round_trip(tmp_path, capsys):
    model = random_model("tiny", seed=7)
    save_official(model, tmp_path / "official.pth")
    assert convert.main(["--checkpoint", str(tmp_path / "official.pth"), "--out", str(tmp_path / "ours.safetensors")]) == 0
    assert convert.main([str(tmp_path / "ours.safetensors"), str(tmp_path / "back.pth")]) == 0   # the old form
    assert "positional form 'convert IN OUT' is deprecated" in capsys.readouterr().err
    original = torch.load(tmp_path / "official.pth", weights_only=True)
    back = torch.load(tmp_path / "back.pth", weights_only=True)
    assert original.keys() == back.keys() and all(torch.equal(original[k], back[k]) for k in original)


@pytest.mark.parametrize("out, message", [("back.pth", "already exists; pass --force"),
                                          ("model.onnx", "cannot write a .onnx file"),
                                          ("model", "cannot write a suffix-less file"),
                                          ("folder.pth", "is a folder")])
def test_convert_refuses_outputs_it_would_overwrite_or_cannot_write(tmp_path, capsys, out, message):
    save_official(random_model("tiny", seed=7), tmp_path / "back.pth")
    (tmp_path / "folder.pth").mkdir()
    before = (tmp_path / "back.pth").read_bytes()
    with pytest.raises(SystemExit) as exit_info:
        run_cli(convert.main, ["--checkpoint", str(tmp_path / "back.pth"), "--out", str(tmp_path / out)])
    err = capsys.readouterr().err
    assert exit_info.value.code == 2 and message in err and "Traceback" not in err
    assert (tmp_path / "back.pth").read_bytes() == before and not (tmp_path / "model.onnx").exists()
    assert convert.main(["--checkpoint", str(tmp_path / "back.pth"), "--out", str(tmp_path / "back.pth"),
                         "--force"]) == 0


def test_convert_names_a_missing_input(tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        run_cli(convert.main, ["--checkpoint", str(tmp_path / "missing.pth"), "--out", str(tmp_path / "x.pth")])
    err = capsys.readouterr().err
    assert exit_info.value.code == 2 and "missing.pth: the file does not exist" in err and "Traceback" not in err


def test_safetensors_files_larger_than_any_checkpoint_are_refused_before_reading_tensors(tmp_path, monkeypatch):
    from safetensors.torch import save_file

    from simtrack import checkpoint_checks
    largest, _, most = checkpoint_checks.variant_limits()
    path = tmp_path / "wide.safetensors"
    save_file({"wide": torch.zeros(1_000, dtype=torch.uint8), "narrow": torch.zeros(3)}, str(path))
    monkeypatch.setattr(checkpoint_checks, "variant_limits", lambda: (largest, 999, most))
    with pytest.raises(CheckpointError) as error:
        load_weights(build_model("tiny"), path)
    assert str(error.value) == (f"{path}: tensor wide has 1,000 elements, more than any parameter of any SimTrack "
                                "variant (999); refused unread")
    size = path.stat().st_size
    monkeypatch.setattr(checkpoint_checks, "variant_limits", lambda: (largest, 1_000, size - 1))
    with pytest.raises(CheckpointError, match=f"is {size:,} bytes, more than a training checkpoint of the largest"):
        load_model(path)


def test_a_checkpoint_path_that_is_a_fifo_is_named_as_one(tmp_path):
    import os

    from simtrack.weights import resolve_checkpoint
    os.mkfifo(tmp_path / "weights.pth")
    with pytest.raises(CheckpointError) as error:
        resolve_checkpoint(tmp_path / "weights.pth")
    assert str(error.value).startswith(f"--checkpoint {tmp_path / 'weights.pth'}: the file is a FIFO (named pipe); ")
    with pytest.raises(CheckpointError, match=r"weights\.pth is a FIFO \(named pipe\), not a file \(pass"):
        load_weights(build_model("tiny"), tmp_path / "weights.pth")
