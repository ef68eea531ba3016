"""``python -m simtrack.train --config simtrack/configs/<recipe>.yaml [--resume [STATE]]``.

Several processes: ``torchrun --nproc_per_node N -m simtrack.train --config ...`` (multi-node with
torchrun's ``--nnodes`` / ``--node_rank`` / ``--rdzv_endpoint`` flags). See docs/training.md.
Options given here replace the recipe's keys of the same meaning (``--device`` -> ``run.device``,
``--threads`` -> ``run.threads``, ``--precision`` -> ``optim.precision``, ``--output-dir`` ->
``run.output_dir``).
"""
from .. import options
from ..cli import run_cli
from ..paths import check_output_file, check_writable
from .config import load_config, with_overrides
from .trainer import Trainer


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
    parser.add_argument("--precision", choices=options.PRECISIONS,
                        help=options.help_text("precision", "optim.precision of the recipe",
                                               "replaces optim.precision"))
    return parser


def recipe_from(args):
    """The recipe with the command line's replacements applied (and validated)."""
    config = load_config(args.config)
    overrides = {key: value for key, value in (("run.output_dir", args.output_dir), ("run.device", args.device),
                                               ("run.threads", args.threads), ("optim.precision", args.precision))
                 if value is not None}
    return with_overrides(config, overrides) if overrides else config


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
