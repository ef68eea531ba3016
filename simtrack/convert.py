"""``python -m simtrack.convert IN OUT``: rewrite a checkpoint in our format or the official one.

OUT ending in ``.safetensors`` gets our format (weights + variant config); any other ending gets a
bare state_dict with the official names, which the official code loads with ``strict=True``.
"""
import argparse

from .checkpoints import load_model, save_checkpoint, save_official
from .cli import run_cli
from .model import VARIANTS


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m simtrack.convert", description=__doc__.splitlines()[0])
    parser.add_argument("input", help="any supported SimTrack checkpoint")
    parser.add_argument("output", help="OUT.safetensors (our format) or OUT.pth (official names)")
    parser.add_argument("--variant", choices=sorted(VARIANTS),
                        help="model variant, needed only when the input file cannot tell")
    args = parser.parse_args(argv)
    model = load_model(args.input, args.variant)
    if args.output.endswith(".safetensors"):
        save_checkpoint(model, args.output, {"source": args.input})
    else:
        save_official(model, args.output)
    print(f"wrote {args.output} (variant {model.config.name})")
    return 0


if __name__ == "__main__":
    run_cli(main)
