"""``python -m simtrack.export --checkpoint FILE --format onnx --out model.onnx``: the model as one ONNX
file that ONNX Runtime, OpenVINO and TensorRT run (``--engine``), with or without torch.

The file holds the per-frame step (batch dimension dynamic) and, in its metadata, the template step
and everything needed to track with it without flags: the variant and its configuration, crop
sizes, normalisation, the source checkpoint's sha256, precision, opset and versions. The export is
checked against torch on the spot (the largest difference is printed) before the file appears.
``--precision int8`` quantises the per-frame step's matrix products (ONNX Runtime's dynamic
quantisation; boxes drift, docs/deploy.md); its ``--checkpoint`` may also be an fp32 ``.onnx`` file.
An existing OUT is refused unless ``--force`` is given. Needs the ``export`` extra (onnx, onnxscript,
onnxruntime) and torch.
"""
import sys
import tempfile
import time
from pathlib import Path

from .cli import options, run_cli
from .cli.paths import check_output_file
from .engines.exported import EXPORTED_PRECISIONS
from .errors import ConfigError

FORMATS = ("onnx",)


def build_parser():
    parser = options.parser("python -m simtrack.export", __doc__.split("\n\n")[0],
                            epilog="Example: python -m simtrack.export --checkpoint sim-b16.safetensors --format onnx "
                                   "--out sim-b16.onnx; then python -m simtrack.track clip.mp4 --box 120,80,60,90 "
                                   "--checkpoint sim-b16.onnx")
    options.add_checkpoint(parser, default_help="required: the weights to export")
    parser.add_argument("--format", choices=FORMATS, default="onnx", help="file format to write")
    parser.add_argument("--out", metavar="FILE", help="file to write, ending in .onnx")
    parser.add_argument("--precision", choices=EXPORTED_PRECISIONS, default="fp32",
                        help=options.help_text("precision", "fp32", note="export: fp32, or int8 weights for "
                                               "--engine onnxruntime --precision int8"))
    parser.add_argument("--force", action="store_true", help="overwrite OUT if it exists")
    return parser


def output_path(text, force):
    """The output file, refused before any loading when its ending or its existence is wrong."""
    path = Path(text).expanduser()
    if path.suffix.lower() != ".onnx":
        raise ConfigError(f"--out {text}: --format onnx writes an .onnx file; end the name in .onnx")
    return check_output_file(path, "--out", force)


def _differences(worst):
    return ", ".join(f"{name.replace('_', ' ')} {value:.2g}" for name, value in worst.items())


def main(argv=None):
    args = build_parser().parse_args(argv)
    if not args.checkpoint or not args.out:
        raise ConfigError("give the weights to export and the file to write: --checkpoint FILE --out model.onnx")
    out = output_path(args.out, args.force)
    from .engines import is_exported, read_exported
    from .engines.exported import check_packages
    from .weights import resolve_checkpoint
    source = resolve_checkpoint(args.checkpoint)
    if Path(source).resolve() == out.resolve():
        raise ConfigError("--checkpoint and --out are the same file; give another --out")
    start = time.perf_counter()
    if is_exported(source):
        if args.precision != "int8":
            raise ConfigError(f"{source} is already exported; python -m simtrack.export takes an .onnx checkpoint "
                              f"only to quantise it: add --precision int8")
        from .engines.quantise import quantise
        exported = read_exported(source, args.variant)
        quantise(exported, out)
        print(f"wrote {out} (variant {exported.variant}, int8, {out.stat().st_size / 1e6:.1f} MB) in "
              f"{time.perf_counter() - start:.0f} s; int8 boxes drift from torch's, see docs/deploy.md")
        return 0
    check_packages()
    from .checkpoints import load_model
    from .engines.export import export_model
    from .engines.quantise import quantise
    from .formats.file_hash import file_sha256
    model = load_model(source, args.variant)
    sha256 = file_sha256(source)
    if args.precision == "fp32":
        worst = export_model(model, out, sha256, Path(source).name)
    else:
        with tempfile.TemporaryDirectory(dir=out.parent) as folder:
            fp32 = Path(folder) / "fp32.onnx"
            worst = export_model(model, fp32, sha256, Path(source).name)
            quantise(read_exported(fp32), out)
    print(f"wrote {out} (variant {model.config.name}, {args.precision}, {out.stat().st_size / 1e6:.1f} MB) in "
          f"{time.perf_counter() - start:.0f} s; largest difference from torch"
          f"{' before quantisation' if args.precision == 'int8' else ''} (batch 1 and 2, random inputs): "
          f"{_differences(worst)}", file=sys.stdout)
    return 0


if __name__ == "__main__":
    run_cli(main)
