"""One vocabulary for every command: each option's name, meaning, syntax and help, defined once.

Commands build their parsers from these groups, so ``--checkpoint`` or ``--device`` mean the same
thing in ``benchmarks.run``, ``benchmarks.profile``, ``simtrack.convert``, ``simtrack.train``,
``simtrack.track`` and the VOT server, and the VOT server's environment variables are the option
names (``--cuda-graphs`` <-> ``SIMTRACK_CUDA_GRAPHS``). docs/options.md has the table. Nothing here
imports torch: scoring commands use the same groups.
"""
import argparse
import os
import sys

from ..data import catalog
from ..devices import DEVICE_SYNTAX, parse_device
from ..errors import ConfigError
from ..model.config import VARIANTS
from ..speed import CROPS, ENGINES, PRECISIONS, SpeedOptions

ENV_PREFIX = "SIMTRACK_"
_TRUE, _FALSE = ("1", "true", "yes", "on"), ("", "0", "false", "no", "off")

HELP = {
    "checkpoint": "weights file in any supported format (.pth, .pth.tar, .pt, .safetensors)",
    "variant": "model variant; default: the one the file records (our .safetensors), else the one "
               "whose tensor shapes the file holds",
    "device": f"device to run on: {DEVICE_SYNTAX} (default: auto, a GPU when present, else the CPU)",
    "devices": "devices to spread work over: auto (every GPU, else the CPU), cpu, cuda (every GPU) or a "
               "comma-separated list of device names (cuda:N, GPU/MIG UUIDs) such as cuda:0,cuda:1; NAMExK "
               "gives a device K workers, e.g. cuda:0x2,cuda:1; each worker sees only its device (default: auto)",
    "precision": "arithmetic of the network: fp32 (exact), bf16 or fp16 (torch autocast, openvino, tensorrt), "
                 "int8 (onnxruntime's dynamic quantisation; boxes drift) (default: fp32)",
    "engine": "what runs the network: torch (the exact path), or the model's ONNX export on onnxruntime (CPU, or "
              "CUDA on a GPU), onnxruntime-tensorrt, openvino (CPU) or tensorrt (GPU); the crop and the "
              "post-processing are the same (default: torch; for an exported .onnx checkpoint onnxruntime, else "
              "openvino; docs/deploy.md)",
    "fast": "on a GPU, crop on the GPU (same pixels and boxes as the exact path); no effect on the CPU",
    "compile": "torch.compile the per-frame forward; optionally name the backend, e.g. --compile "
               "aot_eager (default: off; inductor when given without a name)",
    "cuda_graphs": "replay the per-frame forward from CUDA graphs (CUDA devices only)",
    "crop": "where search crops are cut: auto (on the GPU with --fast on CUDA, else OpenCV), cv2 or torch; "
            "both give the same pixels (default: auto)",
    "batch_sequences": "sequences tracked in lock-step, their frames in one forward pass (default: 1)",
    "threads": "torch (or the engine's) and OpenCV threads per process (default: the cores split between the "
               "processes)",
    "dataset": f"dataset name; the benchmarks: {', '.join(catalog.benchmark_keys())} (docs/datasets.md)",
    "data_root": "dataset folder, or the folder that holds it under its usual name "
                 "(default: $SIMTRACK_DATA/<Dataset>, else ./data/<Dataset>)",
    "split": "dataset split (default: the benchmark split, e.g. test); e.g. train_0 for a labelled "
             "TrackingNet chunk, val for GOT-10k",
    "sequences": "comma-separated sequence names to use (default: all of the split)",
    "results": "results root folder; results live in <results>/<tracker>/<dataset>/",
    "trackers": "trackers to compare, in legend order; NAME alone means <results>/NAME/<dataset>; NAME=RESULTS "
                "takes a folder or an archive (.zip, .tar.gz, .tar.xz) of result files",
    "protocol": "whose rules compute the numbers and the per-frame values: official (the benchmark's own "
                "toolkit), or another toolkit's (default: official)",
    "tracker_name": "tracker name: the results subfolder <results>/<NAME>/<dataset>",
    "bootstrap": "bootstrap resamples of the sequences for the interval of every score; 0 = no intervals "
                 "(default: 1000)",
    "confidence": "confidence level of the intervals, as 0.95 or 95 (default: 0.95)",
    "seed": "seed of the resampling, so that intervals and p-values repeat exactly (default: 0)",
    "compare": "paired comparisons on the same sequences (difference, its interval, sign-flip p-value): no name = "
               "every pair of --trackers, one name = it against each other tracker, several = every pair among them",
    "bands": "band around each curve in the plots: runs (+-1 std over repeated runs) or interval (the pointwise "
             "bootstrap interval over sequences) (default: runs)",
    "tracker": "the tracker to run: simtrack (default), mil (OpenCV's TrackerMIL, no weights) or any class or "
               "factory with init(image, box) and update(image) -> box, as package.module:Object "
               "(docs/own_tracker.md)",
    "tracker_option": "KEY=VALUE given to the --tracker's factory as a keyword argument; VALUE is read as a "
                      "Python literal (2, 0.5, true, [1, 2], 'text'), else kept as text; repeat for several",
    "shard": "run only part K of N of the sequence runs (K from 1 to N; split longest first, balanced by frames), "
             "so that N tasks, e.g. a SLURM array, write into one results folder; the last part to finish "
             "evaluates (see docs/cluster.md)",
}


class HelpFormatter(argparse.HelpFormatter):
    """Shows ``(default: X)`` after options whose help does not already name their default."""

    def _get_help_string(self, action):
        text = action.help or ""
        if "default" in text or action.default in (None, False, argparse.SUPPRESS) or not action.option_strings:
            return text
        return f"{text} (default: {action.default})"


class Parser(argparse.ArgumentParser):
    """argparse with our help formatter and our error style: one line, exit status 2.

    With ``raise_errors`` a bad argument is a ConfigError instead, for a server that must report
    it over its protocol (the VOT server) rather than exit.
    """

    raise_errors = False

    def error(self, message):
        if self.raise_errors:
            raise ConfigError(f"{message} (see {self.prog} --help)")
        self.exit(2, f"error: {message} (see {self.prog} --help)\n")


def parser(prog, description, epilog=None, raise_errors=False):
    """A ``Parser``; reST literals of docstrings lose their backticks in the help text."""
    plain = (lambda text: text.replace("``", "") if text else text)
    result = Parser(prog=prog, description=plain(description), epilog=plain(epilog), formatter_class=HelpFormatter)
    result.raise_errors = raise_errors
    return result


def environment_name(dest):
    """The environment variable that mirrors an option: ``cuda_graphs`` -> ``SIMTRACK_CUDA_GRAPHS``."""
    return ENV_PREFIX + dest.upper()


def _env_text(dest, env):
    """The stripped value of the option's SIMTRACK_* variable; empty when unset or when the command
    reads no environment (``env`` false)."""
    return os.environ.get(environment_name(dest), "").strip() if env else ""


def _from_env(dest, default, env, choices=None):
    """The option's default from its SIMTRACK_* variable (unset or empty: ``default``); a value
    outside ``choices`` is a ConfigError naming the variable (argparse never checks defaults)."""
    value = _env_text(dest, env)
    if not value:
        return default
    if choices is not None and value not in choices:
        raise ConfigError(f"{environment_name(dest)}={value!r}: expected one of {', '.join(choices)}")
    return value


def _env_help(dest, text, env):
    return f"{text}; environment: {environment_name(dest)}" if env else text


def env_flag(dest, env):
    """A boolean option's default from its environment variable (``1``/``0``, ``true``/``false``...)."""
    value = _env_text(dest, env).lower()          # empty without env: False
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ConfigError(f"{environment_name(dest)}={value!r}: expected 1 or 0 (true/false, yes/no, on/off)")


def add_checkpoint(parser, default_help="the embedded tiny demo model", env=False):
    """``--checkpoint FILE`` and ``--variant``."""
    group = parser.add_argument_group("model")
    group.add_argument("--checkpoint", metavar="FILE", default=_from_env("checkpoint", None, env),
                       help=_env_help("checkpoint", f"{HELP['checkpoint']} (default: {default_help})", env))
    group.add_argument("--variant", choices=sorted(VARIANTS), default=_from_env("variant", None, env, sorted(VARIANTS)),
                       help=_env_help("variant", HELP["variant"], env))
    return group


def help_text(key, default_help=None, note=None):
    """``HELP[key]``, with its default replaced by ``default_help`` and ``note`` appended."""
    text = HELP[key] if default_help is None else f"{HELP[key].split(' (default')[0]} (default: {default_help})"
    return f"{text}; {note}" if note else text


def add_device(parser, env=False, default="auto", note=None):
    """``--device DEVICE``: one device (``default=None``: the command's own choice, explained in ``note``)."""
    if env:
        parse_device(_from_env("device", "auto", env), environment_name("device"))
    parser.add_argument("--device", default=_from_env("device", default, env),
                        type=lambda text: parse_device(text, "--device"),
                        help=_env_help("device", help_text("device", None if default == "auto" else "none", note),
                                       env))


def add_devices(parser):
    """``--devices LIST``: several devices (the runner spreads workers over them)."""
    parser.add_argument("--devices", default="auto", metavar="LIST", help=HELP["devices"])


def add_speed(parser, batching=False, env=False, batch_default=1):
    """The tracker's speed options: ``--engine --precision --fast --compile [BACKEND] --cuda-graphs --crop``
    (+ ``--batch-sequences``)."""
    group = parser.add_argument_group("speed options (see docs/speed.md and docs/deploy.md)")
    group.add_argument("--engine", choices=ENGINES, default=_from_env("engine", None, env, ENGINES),
                       help=_env_help("engine", HELP["engine"], env))
    group.add_argument("--precision", choices=PRECISIONS, default=_from_env("precision", "fp32", env, PRECISIONS),
                       help=_env_help("precision", HELP["precision"], env))
    group.add_argument("--fast", action="store_true", default=env_flag("fast", env),
                       help=_env_help("fast", HELP["fast"], env))
    group.add_argument("--compile", nargs="?", const=True, default=_compile_env(env), metavar="BACKEND",
                       help=_env_help("compile", HELP["compile"], env))
    group.add_argument("--cuda-graphs", action="store_true", default=env_flag("cuda_graphs", env),
                       help=_env_help("cuda_graphs", HELP["cuda_graphs"], env))
    group.add_argument("--crop", choices=CROPS, default=_from_env("crop", "auto", env, CROPS),
                       help=_env_help("crop", HELP["crop"], env))
    if batching:
        group.add_argument("--batch-sequences", type=positive_int("--batch-sequences"), default=batch_default,
                           metavar="K", help=HELP["batch_sequences"].replace("default: 1", f"default: {batch_default}"))
    return group


def _compile_env(env):
    """``SIMTRACK_COMPILE``: unset/0 off, 1 inductor, any other value a backend name."""
    value = _env_text("compile", env)
    if value.lower() in _FALSE:
        return False
    return True if value.lower() in _TRUE else value


def add_threads(parser, default_help=None, env=False, note=None):
    parser.add_argument("--threads", type=positive_int("--threads"), metavar="N", default=_threads_env(env),
                        help=_env_help("threads", help_text("threads", default_help, note), env))


def _threads_env(env):
    value = _env_text("threads", env)
    try:
        return positive_int(environment_name("threads"))(value) if value else None
    except argparse.ArgumentTypeError as error:
        raise ConfigError(str(error)) from None


def speed_options(args) -> SpeedOptions:
    """The ``SpeedOptions`` record of the speed options in ``args`` (a namespace of ``add_speed``); without
    ``--engine``, the engine of ``--checkpoint`` (``simtrack.engines.default_engine``)."""
    engine = args.engine
    if engine is None:
        from ..engines import default_engine
        engine = default_engine(getattr(args, "checkpoint", None))
    return SpeedOptions(fast=args.fast, precision=args.precision, compile=args.compile,
                        cuda_graphs=args.cuda_graphs, crop=args.crop, engine=engine)


def add_dataset(parser, required=False, default=None, split=True, sequences=True):
    """``--dataset --data-root`` and, optionally, ``--split --sequences``."""
    group = parser.add_argument_group("data")
    dataset_help = HELP["dataset"] + (f" (default: {default})" if default else "")
    group.add_argument("--dataset", required=required, default=default, help=dataset_help)
    group.add_argument("--data-root", metavar="DIR", help=HELP["data_root"])
    if split:
        group.add_argument("--split", help=HELP["split"])
    if sequences:
        group.add_argument("--sequences", type=sequence_names, metavar="A,B", help=HELP["sequences"])
    return group


def add_results(parser, default):
    """``--results DIR``; ``default`` is the runner's results root (``benchmarks.scoring.result_files``)."""
    parser.add_argument("--results", default=str(default), metavar="DIR", help=HELP["results"])


def add_trackers(parser):
    """``--trackers NAME[=RESULTS] ...``: the result sets a scoring command compares."""
    parser.add_argument("--trackers", nargs="+", required=True, metavar="NAME[=RESULTS]", help=HELP["trackers"])


def add_protocol(parser, choices):
    """``--protocol``: whose rules score (``choices``: ``benchmarks.scoring.metrics.PROTOCOLS``)."""
    parser.add_argument("--protocol", choices=choices, default="official", help=HELP["protocol"])


def add_statistics(parser):
    """``--bootstrap --confidence --seed --compare --bands``: intervals and paired comparisons of scores."""
    group = parser.add_argument_group("intervals and comparisons (see docs/evaluation.md)")
    group.add_argument("--bootstrap", type=non_negative_int("--bootstrap"), default=1000, metavar="N",
                       help=HELP["bootstrap"])
    group.add_argument("--confidence", type=confidence_level, default=0.95, metavar="LEVEL", help=HELP["confidence"])
    group.add_argument("--seed", type=non_negative_int("--seed"), default=0, metavar="N", help=HELP["seed"])
    group.add_argument("--compare", nargs="*", metavar="NAME", help=HELP["compare"])
    group.add_argument("--bands", choices=("runs", "interval"), default="runs", help=HELP["bands"])
    return group


def confidence_level(text):
    """An argparse type: ``0.95`` or ``95`` -> 0.95 (strictly between 0 and 1)."""
    try:
        value = float(text)
    except (TypeError, ValueError):
        raise argparse.ArgumentTypeError(f"--confidence expects a level such as 0.95 or 95, got {text!r}") from None
    if 1 < value < 100:
        value /= 100
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(f"--confidence must lie between 0 and 1 (or 0 and 100 %), got {text!r}")
    return value


def non_negative_int(option):
    """An argparse type for integers >= 0 that names ``option`` in its error."""
    return _int_at_least(option, 0, "0 or more")


def _int_at_least(option, minimum, bound):
    """An argparse type for integers >= ``minimum`` naming ``option``; ``bound`` words the minimum in
    the refusal of a smaller number ("0 or more", "at least 1")."""
    def convert(text):
        try:
            value = int(text)
        except (TypeError, ValueError):
            raise argparse.ArgumentTypeError(f"{option} expects a whole number >= {minimum}, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"{option} must be {bound}, got {value}")
        return value
    return convert


def add_tracker(parser, env=False):
    """``--tracker SPEC`` and ``--tracker-option KEY=VALUE`` (repeatable): which tracker to build.

    With ``env`` their defaults are ``SIMTRACK_TRACKER`` and ``SIMTRACK_TRACKER_OPTION`` (several
    KEY=VALUE items separated by spaces, quoted as in a shell when a value holds spaces).
    """
    group = parser.add_argument_group("tracker (docs/own_tracker.md)")
    group.add_argument("--tracker", metavar="SPEC", default=_from_env("tracker", "simtrack", env),
                       help=_env_help("tracker", HELP["tracker"], env))
    group.add_argument("--tracker-option", action="append", metavar="KEY=VALUE", dest="tracker_options",
                       default=_tracker_options_env(env), help=_env_help("tracker_option", HELP["tracker_option"], env))
    return group


def _tracker_options_env(env):
    """``SIMTRACK_TRACKER_OPTION``: ``KEY=VALUE`` items split as a shell splits words."""
    value = _env_text("tracker_option", env)
    if not value:
        return None
    import shlex
    try:
        return shlex.split(value)
    except ValueError as error:
        raise ConfigError(f"{environment_name('tracker_option')}={value!r}: {error}; give KEY=VALUE items "
                          f"separated by spaces") from None


def tracker_spec(args, source="--tracker"):
    """The ``TrackerSpec`` of ``--tracker`` and ``--tracker-option`` in ``args`` (``add_tracker``)."""
    from ..trackers.spec import parse_spec
    return parse_spec(args.tracker, args.tracker_options or [], source)


def add_tracker_name(parser, default_help=None, required=False):
    text = HELP["tracker_name"] + (f" (default: {default_help})" if default_help else "")
    parser.add_argument("--tracker-name", metavar="NAME", required=required, help=text)


def add_shard(parser):
    """``--shard K/N``: this process's part of a run split over several tasks."""
    parser.add_argument("--shard", type=shard, metavar="K/N", help=HELP["shard"])


def shard(text):
    """An argparse type: ``"K/N"`` -> ``(K, N)`` with 1 <= K <= N (``--array=1-N`` gives K)."""
    parts = str(text).replace(" ", "").split("/")
    if len(parts) != 2 or not all(part.isdigit() for part in parts):
        raise argparse.ArgumentTypeError(f"--shard expects K/N (this task's part K of N, K from 1 to N), got {text!r}")
    index, count = int(parts[0]), int(parts[1])
    if not 1 <= index <= count:
        raise argparse.ArgumentTypeError(f"--shard {text}: K must be between 1 and N (parts are counted from 1)")
    return index, count


def sequence_names(text):
    """``"a, b,,a"`` -> ``["a", "b"]``: names stripped, empties and repeats dropped; None for None.

    A text that names no sequence at all (``""``, ``","``) is refused: it would otherwise mean
    "every sequence", the opposite of what was typed.
    """
    if text is None:
        return None
    names = list(dict.fromkeys(name.strip() for name in str(text).split(",") if name.strip()))
    if not names:
        raise argparse.ArgumentTypeError(f"--sequences {text!r} names no sequence; give comma-separated names "
                                         f"such as A,B, or leave the option out for all of them")
    return names


def positive_int(option):
    """An argparse type for integers >= 1 that names ``option`` in its error."""
    return _int_at_least(option, 1, "at least 1")


class Deprecated(argparse.Action):
    """An old spelling kept for one release: stores into the new option and prints a one-line notice."""

    def __init__(self, option_strings, dest, replacement, value=None, **kwargs):
        self.replacement, self.value = replacement, value
        if value is not None:
            kwargs["nargs"] = 0
        super().__init__(option_strings, dest, **kwargs)

    def __call__(self, parser, namespace, values, option_string=None):
        print(f"note: {option_string} is deprecated and will be removed in the next release; "
              f"use {self.replacement}", file=sys.stderr)
        setattr(namespace, self.dest, values if self.value is None else self.value)


def add_deprecated(parser, old, replacement, dest, value=None, **kwargs):
    """Accept ``old`` as an alias of ``replacement`` (hidden from --help)."""
    parser.add_argument(old, action=Deprecated, replacement=replacement, dest=dest, value=value,
                        help=argparse.SUPPRESS, default=argparse.SUPPRESS, **kwargs)
