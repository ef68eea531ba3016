"""Training recipes: the shipped ones load, typos and bad values are refused with the key named."""
import re
from pathlib import Path

import pytest

from simtrack.cli import run_cli
from simtrack.errors import ConfigError
from simtrack.train.__main__ import build_parser, recipe_from
from simtrack.train.__main__ import main as train_main
from simtrack.train.config import config_from_dict, load_config, with_overrides
from simtrack.weights import EMBEDDED_CHECKPOINT

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


def recipe_of(argv):
    return recipe_from(build_parser().parse_args(["--config", str(CONFIGS / "tiny_synthetic.yaml"), *argv]))


def test_set_replaces_recipe_keys_with_yaml_typed_values():
    config = recipe_of(["--set", "optim.epochs=2", "optim.batch_size=16", "--set", "optim.lr=2e-4",
                        "run.sync_batchnorm=true", "data.search_jitter.centre=0.5",
                        "data.datasets=[{name: synthetic, sequences: 5}]", "--threads", "3"])
    assert (config.optim.epochs, config.optim.batch_size, config.optim.lr, config.run.threads) == (2, 16, 2e-4, 3)
    assert config.run.sync_batchnorm is True and config.data.search_jitter.centre == 0.5
    assert config.data.datasets[0].sequences == 5 and config.data.search_jitter.scale == 0.15   # the rest is kept
    assert config.name == "tiny_synthetic"


@pytest.mark.parametrize("argv, message", [
    (["--set", "optim.epochs"], "KEY=VALUE"),
    (["--set", "optim.epochs=two"], "optim.epochs must be of type int"),
    (["--set", "optim.epocs=2"], r"optim\.epocs.*known keys in optim"),
    (["--set", "data.max_gap.x=1"], "holds no keys below it"),
    (["--set", "run.threads=2", "--threads", "3"], "contradicts --threads"),
    (["--set", "optim.lr=[1"], "not a YAML value"),
])
def test_bad_settings_are_one_line_errors(argv, message, capsys):
    with pytest.raises(SystemExit) as exit_info:
        run_cli(train_main, ["--config", str(CONFIGS / "tiny_synthetic.yaml"), *argv])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and re.search(message, err) and "Traceback" not in err


def test_int8_is_refused_for_training(capsys):
    """int8 is an exported model's precision (onnxruntime); training autocasts in torch's only, and used
    to take int8 silently and train in fp32."""
    with pytest.raises(ConfigError, match=r"optim\.precision must be one of fp32, bf16, fp16, got 'int8'"):
        config_from_dict({"optim": {"precision": "int8"}, "data": {"datasets": [{"name": "synthetic"}]}})
    with pytest.raises(SystemExit) as exit_info:
        build_parser().parse_args(["--config", str(CONFIGS / "tiny_synthetic.yaml"), "--precision", "int8"])
    assert exit_info.value.code == 2
    assert "invalid choice: 'int8'" in capsys.readouterr().err


def test_recipes_never_write_the_embedded_weights_unless_asked(tmp_path):
    assert load_config(CONFIGS / "tiny_synthetic.yaml").run.export is None
    recipe = tmp_path / "old_tiny.yaml"
    recipe.write_text((CONFIGS / "tiny_synthetic.yaml").read_text() + f"  export: {EMBEDDED_CHECKPOINT}\n")
    with pytest.raises(ConfigError, match="would overwrite the embedded demo weights; .* pass --export"):
        recipe_from(build_parser().parse_args(["--config", str(recipe)]))
    for argv in (["--export", str(EMBEDDED_CHECKPOINT)], ["--set", f"run.export={EMBEDDED_CHECKPOINT}"]):
        assert recipe_from(build_parser().parse_args(["--config", str(recipe), *argv])).run.export == str(
            EMBEDDED_CHECKPOINT)
    assert recipe_of(["--export", "mine.safetensors"]).run.export == "mine.safetensors"
