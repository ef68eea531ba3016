"""Training recipes: the shipped ones load, typos and bad values are refused with the key named."""
from pathlib import Path

import pytest

from simtrack.errors import ConfigError
from simtrack.train.config import config_from_dict, load_config, with_overrides

CONFIGS = Path(__file__).resolve().parents[1] / "simtrack" / "configs"


@pytest.mark.parametrize("recipe", ["b16_full", "b16_got10k", "tiny_synthetic"])
def test_shipped_recipes_load(recipe):
    config = load_config(CONFIGS / f"{recipe}.yaml")
    assert config.name == recipe
    assert config.data.datasets


def test_paper_recipe_values():
    config = load_config(CONFIGS / "b16_full.yaml")
    assert [(d.name, d.split if isinstance(d.split, str) else "chunks", d.ratio) for d in config.data.datasets] == [
        ("lasot", "train", 1.0), ("got10k", "vottrain", 1.0), ("coco", "train2017", 1.0), ("trackingnet", "chunks", 1.0)]
    assert len(config.data.datasets[3].split) == 12
    optim = config.optim
    assert (optim.lr, optim.weight_decay, optim.backbone_lr_mult, optim.epochs, optim.lr_drop_epoch) == (
        1e-4, 1e-4, 0.1, 50, 40)
    assert (optim.giou_weight, optim.l1_weight, optim.grad_clip, optim.batch_size) == (2.0, 5.0, 0.1, 64)
    assert (config.data.search_jitter.centre, config.data.search_jitter.scale) == (3.5, 0.5)
    assert config.data.samples_per_epoch == 60000 and config.data.max_gap == 200
    got10k = load_config(CONFIGS / "b16_got10k.yaml")
    assert [(d.name, d.split) for d in got10k.data.datasets] == [("got10k", "train_full")]


def test_unknown_key_names_it_and_the_known_keys(tmp_path):
    path = tmp_path / "typo.yaml"
    path.write_text("model: {variant: tiny}\noptim: {epocs: 3}\ndata: {datasets: [{name: synthetic}]}\n")
    with pytest.raises(ConfigError, match=r"optim\.epocs.*known keys in optim:.*'epochs'") as error:
        load_config(path)
    assert str(path) in str(error.value)


@pytest.mark.parametrize("raw, message", [
    ({"modle": {}}, r"unknown key\(s\) modle"),
    ({"data": {"datasets": [{"name": "lasot", "splt": "train"}]}}, r"data\.datasets\[0\]\.splt"),
    ({"data": {"datasets": []}}, "non-empty list"),
    ({"optim": {"lr": "fast"}}, r"optim\.lr must be of type float"),
    ({"optim": {"epochs": 2.5}}, r"optim\.epochs must be of type int"),
    ({"optim": {"precision": "fp8"}}, "optim.precision must be one of fp32, bf16, fp16"),
    ({"optim": {"amp": "bf16", "precision": "bf16"}}, "give only optim.precision"),
    ({"run": {"device": "gpu"}}, "run.device 'gpu' is not a device name"),
    ({"model": {"variant": "b32"}}, "is not one of"),
    ({"data": {"datasets": [{"name": "lasot", "ratio": 0}]}}, "ratios must be > 0"),
])
def test_bad_values_are_config_errors(raw, message):
    raw.setdefault("data", {"datasets": [{"name": "synthetic"}]})
    with pytest.raises(ConfigError, match=message):
        config_from_dict(raw)


def test_missing_file(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(tmp_path / "nope.yaml")


def test_the_old_amp_key_still_works_with_a_notice(capsys):
    config = config_from_dict({"optim": {"amp": "none"}, "data": {"datasets": [{"name": "synthetic"}]}})
    assert config.optim.precision == "fp32"
    assert "optim.amp is deprecated" in capsys.readouterr().err


def test_overrides_are_validated_like_recipe_keys():
    config = config_from_dict({"data": {"datasets": [{"name": "synthetic"}]}})
    changed = with_overrides(config, {"optim.epochs": 2, "run.device": "cpu"})
    assert (changed.optim.epochs, changed.run.device, changed.data.datasets) == (2, "cpu", config.data.datasets)
    with pytest.raises(ConfigError, match=r"optim\.epocs"):
        with_overrides(config, {"optim.epocs": 2})
    with pytest.raises(ConfigError, match="not a recipe key"):
        with_overrides(config, {"epochs": 2})
