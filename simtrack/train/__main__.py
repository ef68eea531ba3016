"""``python -m simtrack.train --config simtrack/configs/<recipe>.yaml [--resume [STATE]] [--set KEY=VALUE ...]``.

Several processes: ``torchrun --nproc_per_node N -m simtrack.train --config ...`` (multi-node with
torchrun's ``--nnodes`` / ``--node_rank`` / ``--rdzv_endpoint`` flags), or under Slurm one task per
GPU with ``srun python -m simtrack.train --config ...``. See docs/training.md and docs/cluster.md.
Options given here replace the recipe's keys of the same meaning (``--device`` -> ``run.device``,
``--threads`` -> ``run.threads``, ``--precision`` -> ``optim.precision``, ``--output-dir`` ->
``run.output_dir``, ``--export`` -> ``run.export``); ``--set section.key=value`` replaces any key.
"""
import argparse
import re
from pathlib import Path

import yaml

from ..cli import options, run_cli
from ..cli.paths import check_output_file, check_writable
from ..errors import ConfigError
from ..speed import TORCH_PRECISIONS
from ..weights import EMBEDDED_CHECKPOINT
from .config import load_config, with_overrides
from .trainer import Trainer

_EXPONENT = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)[eE][+-]?\d+$")


def build_parser():
    parser = options.parser("python -m simtrack.train", __doc__.split("\n")[0])
    parser.add_argument("--config", required=True, metavar="RECIPE",
                        help="training recipe (YAML), e.g. simtrack/configs/b16_full.yaml")
    parser.add_argument("--resume", nargs="?", const="auto", default=None, metavar="STATE",
                        help="continue a stopped run: its output_dir's last.state.pt, or the given state file")
    parser.add_argument("--output-dir", metavar="DIR", help="replaces run.output_dir of the recipe")
    options.add_device(parser, default=None, note="replaces run.device of the recipe (under torchrun give "
                       "cuda: each process takes the GPU of its LOCAL_RANK)")
    options.add_threads(parser, default_help="run.threads of the recipe", note="replaces run.threads")
    parser.add_argument("--precision", choices=TORCH_PRECISIONS,
                        help=options.help_text("precision", "optim.precision of the recipe",
                                               "replaces optim.precision"))
    parser.add_argument("--export", metavar="FILE", help="replaces run.export: also write the final weights to FILE")
    parser.add_argument("--set", dest="settings", nargs="+", action="extend", type=setting, default=[],
                        metavar="KEY=VALUE",
                        help="replace recipe keys, e.g. --set optim.epochs=2 optim.batch_size=16 "
                             "run.sync_batchnorm=true (values are YAML: numbers, true/false, [lists], {maps}; "
                             "default: none)")
    return parser


def setting(text):
    """``"optim.epochs=2"`` -> ``("optim.epochs", 2)``; the value is read as YAML so types come out right."""
    key, separator, value = str(text).partition("=")
    if not separator or not key.strip():
        raise argparse.ArgumentTypeError(f"--set expects KEY=VALUE with a recipe key such as optim.epochs, got {text!r}")
    if _EXPONENT.match(value.strip()):  # YAML 1.1 reads 1e-4 (no dot) as a string
        return key.strip(), float(value)
    try:
        return key.strip(), yaml.safe_load(value) if value.strip() else None
    except yaml.YAMLError as error:
        raise argparse.ArgumentTypeError(f"--set {key}: {value!r} is not a YAML value ({error.problem})") from None


def recipe_from(args):
    """The recipe with the command line's replacements applied (and validated)."""
    config = load_config(args.config)
    overrides = dict(args.settings)
    for key, value in (("run.output_dir", args.output_dir), ("run.device", args.device),
                       ("run.threads", args.threads), ("optim.precision", args.precision), ("run.export", args.export)):
        if value is not None:
            if key in overrides and overrides[key] != value:
                raise ConfigError(f"--set {key}={overrides[key]!r} contradicts --{key.split('.')[1].replace('_', '-')} "
                                  f"{value}; give one of them")
            overrides[key] = value
    config = with_overrides(config, overrides) if overrides else config
    if config.run.export and "run.export" not in overrides and _inside_weights(config.run.export):
        raise ConfigError(f"{args.config}: run.export {config.run.export} would overwrite the embedded demo weights; "
                          f"recipes never write there by themselves: pass --export {config.run.export} to mean it")
    return config


def _inside_weights(path):
    return Path(path).resolve().is_relative_to(EMBEDDED_CHECKPOINT.parent)


def check_outputs(config):
    """Refuse an output folder or export file that could not be written, before building anything."""
    check_writable([config.run.output_dir], "run.output_dir (--output-dir)")
    if config.run.export:
        check_output_file(config.run.export, "run.export")


def main(argv=None):
    args = build_parser().parse_args(argv)
    config = recipe_from(args)
    check_outputs(config)
    trainer = Trainer(config, resume=args.resume)
    try:
        return trainer.train()
    finally:
        trainer.close()


if __name__ == "__main__":
    run_cli(main)
