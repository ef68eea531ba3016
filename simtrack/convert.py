"""``python -m simtrack.convert --checkpoint IN --out OUT``: rewrite a checkpoint in our format or the official one.

OUT ending in ``.safetensors`` gets our format (weights + variant config); ``.pth`` or ``.pt`` gets a
bare state_dict with the official names, which the official code loads with ``strict=True``. Other
endings are refused, and so is an existing OUT unless ``--force`` is given.
"""
import argparse
import sys
from pathlib import Path

from .cli import options, run_cli
from .cli.paths import check_output_file
from .errors import ConfigError

OUR_SUFFIXES = (".safetensors",)
OFFICIAL_SUFFIXES = (".pth", ".pt")


def build_parser():
    parser = options.parser("python -m simtrack.convert", __doc__.split("\n\n")[0])
    options.add_checkpoint(parser, default_help="required: the file to convert")
    parser.add_argument("--out", metavar="FILE",
                        help="file to write: OUT.safetensors (our format, records the variant) or OUT.pth / "
                             "OUT.pt (official names)")
    parser.add_argument("--force", action="store_true", help="overwrite OUT if it exists")
    parser.add_argument("legacy", nargs="*", help=argparse.SUPPRESS)   # the deprecated IN OUT form
    return parser


def output_path(text, force):
    """The output file, refused before any loading when its ending or its existence is wrong."""
    path = Path(text).expanduser()
    if path.suffix not in OUR_SUFFIXES + OFFICIAL_SUFFIXES:
        raise ConfigError(f"--out {text}: cannot write a {path.suffix or 'suffix-less'} file; end it in .safetensors "
                          f"(our format) or {' / '.join(OFFICIAL_SUFFIXES)} (official state_dict)")
    return check_output_file(path, "--out", force)


def main(argv=None):
    args = build_parser().parse_args(argv)
    if args.legacy:
        if len(args.legacy) != 2 or args.checkpoint or args.out:
            raise ConfigError("give --checkpoint IN --out OUT (the positional form IN OUT is deprecated)")
        print("note: the positional form 'convert IN OUT' is deprecated and will be removed in the next release; "
              "use --checkpoint IN --out OUT", file=sys.stderr)
        args.checkpoint, args.out = args.legacy
    if not args.checkpoint or not args.out:
        raise ConfigError("give the file to convert and the file to write: --checkpoint IN --out OUT")
    out = output_path(args.out, args.force)
    from .checkpoints import load_model, save_checkpoint, save_official
    from .weights import resolve_checkpoint

    source = resolve_checkpoint(args.checkpoint)
    model = load_model(source, args.variant)
    if out.suffix in OUR_SUFFIXES:
        save_checkpoint(model, out, {"source": str(source)})
    else:
        save_official(model, out)
    print(f"wrote {out} (variant {model.config.name})")
    return 0


if __name__ == "__main__":
    run_cli(main)
