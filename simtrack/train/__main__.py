"""``python -m simtrack.train --config simtrack/configs/<recipe>.yaml [--resume [STATE]]``.

Several processes: ``torchrun --nproc_per_node N -m simtrack.train --config ...`` (multi-node with
torchrun's ``--nnodes`` / ``--node_rank`` / ``--rdzv_endpoint`` flags). See docs/training.md.
"""
import argparse
import dataclasses

from ..cli import run_cli
from .config import load_config
from .trainer import Trainer


def parse_args(argv=None):
    parser = argparse.ArgumentParser(prog="python -m simtrack.train", description=__doc__.split("\n")[0])
    parser.add_argument("--config", required=True, help="training recipe (YAML), e.g. simtrack/configs/b16_full.yaml")
    parser.add_argument("--resume", nargs="?", const="auto", default=None, metavar="STATE",
                        help="continue a stopped run: its output_dir's last.state.pt, or the given state file")
    parser.add_argument("--output-dir", help="override run.output_dir of the recipe")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    config = load_config(args.config)
    if args.output_dir:
        config = dataclasses.replace(config, run=dataclasses.replace(config.run, output_dir=args.output_dir))
    trainer = Trainer(config, resume=args.resume)
    try:
        return trainer.train()
    finally:
        trainer.close()


if __name__ == "__main__":
    run_cli(main)
