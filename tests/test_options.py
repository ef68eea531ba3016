"""One vocabulary: every command's options have help, no markup, and a shared name means one thing."""
import argparse
import importlib
import os
from pathlib import Path

import pytest

from benchmarks.commands import MODULES
from simtrack.cli import options
from simtrack.speed import SpeedOptions

COMMANDS = {name: importlib.import_module(module) for name, module in MODULES.items()}


def parser_of(command):
    return COMMANDS[command].build_parser()


def visible_options(parser):
    return [action for action in parser._actions
            if action.option_strings and action.help != argparse.SUPPRESS and action.dest != "help"]


@pytest.mark.parametrize("command", sorted(MODULES))
def test_every_option_has_help_and_no_help_text_shows_markup(command, capsys):
    parser = parser_of(command)
    assert isinstance(parser, options.Parser), f"{command} does not build its parser with simtrack.cli.options.parser"
    for action in visible_options(parser):
        assert action.help and action.help.strip(), f"{command} {action.option_strings} has no help"
    with pytest.raises(SystemExit) as exit_info:
        parser.parse_args(["--help"])
    text = capsys.readouterr().out
    assert exit_info.value.code == 0 and "``" not in text and ":func:" not in text
    for action in visible_options(parser):
        if action.choices:
            assert "{" + ",".join(map(str, action.choices)) + "}" in text.replace("\n", "").replace(" ", "")


def shared_meaning(action):
    """The part of a shared option's help that must be the same in every command."""
    key = action.dest
    return options.HELP[key].split(" (default")[0] if key in options.HELP else None


def test_a_shared_option_name_means_the_same_in_every_command():
    seen = {}
    for command in MODULES:
        for action in visible_options(parser_of(command)):
            meaning = shared_meaning(action)
            if meaning is None:
                continue
            assert action.help.startswith(meaning.split(";")[0]), (command, action.dest, action.help)
            seen.setdefault(action.option_strings[0], set()).add(command)
    assert {"simtrack-run", "simtrack-profile", "simtrack-convert", "simtrack-vot"} <= seen["--checkpoint"]
    assert {"simtrack-run", "simtrack-profile", "simtrack-vot"} <= seen["--precision"]
    assert {"simtrack-profile", "simtrack-vot"} <= seen["--device"] and seen["--devices"] == {"simtrack-run"}


@pytest.mark.parametrize("command", ["simtrack-run", "simtrack-evaluate"])
def test_sequence_lists_are_read_by_one_function(command):
    args = parser_of(command).parse_args(["--dataset", "lasot", "--trackers", "t", "--sequences", " a, b,,a "]
                                         if command == "simtrack-evaluate" else ["--sequences", " a, b,,a "])
    assert args.sequences == ["a", "b"]


def test_speed_options_reach_the_tracker_from_every_tracking_command():
    for command in ("simtrack-run", "simtrack-profile", "simtrack-vot", "simtrack-track"):
        start = ["clip.mp4"] if command == "simtrack-track" else []
        args = parser_of(command).parse_args(start + ["--fast", "--precision", "bf16", "--compile", "aot_eager",
                                                      "--cuda-graphs", "--crop", "torch"])
        assert options.speed_options(args) == SpeedOptions(fast=True, precision="bf16", compile="aot_eager",
                                                           cuda_graphs=True, crop="torch", engine="torch")
        args = parser_of(command).parse_args(start + ["--engine", "openvino", "--precision", "fp16"])
        assert options.speed_options(args) == SpeedOptions(engine="openvino", precision="fp16")
        args = parser_of(command).parse_args(start + ["--checkpoint", "model.onnx"])   # an export: not torch
        assert options.speed_options(args).engine in ("onnxruntime", "openvino")


def test_vot_environment_variables_mirror_the_option_names(monkeypatch):
    monkeypatch.setenv("SIMTRACK_CHECKPOINT", "/w.pth")
    monkeypatch.setenv("SIMTRACK_DEVICE", "CUDA:1")
    monkeypatch.setenv("SIMTRACK_CUDA_GRAPHS", "yes")
    monkeypatch.setenv("SIMTRACK_COMPILE", "aot_eager")
    monkeypatch.setenv("SIMTRACK_THREADS", "3")
    monkeypatch.setenv("SIMTRACK_ENGINE", "onnxruntime")
    args = parser_of("simtrack-vot").parse_args([])
    assert (args.checkpoint, args.device, args.cuda_graphs, args.compile, args.threads, args.engine) == (
        "/w.pth", "cuda:1", True, "aot_eager", 3, "onnxruntime")
    for action in visible_options(parser_of("simtrack-vot")):
        if action.dest in options.HELP:
            assert options.environment_name(action.dest) in action.help
    monkeypatch.setenv("SIMTRACK_FAST", "maybe")
    with pytest.raises(options.ConfigError, match="SIMTRACK_FAST='maybe': expected 1 or 0"):
        parser_of("simtrack-vot")
    assert os.environ["SIMTRACK_FAST"] == "maybe"


@pytest.mark.parametrize("argv, message", [
    (["--threads", "0"], "--threads must be at least 1, got 0"),
    (["--device", "tpu"], "--device 'tpu' is not a device name; expected auto, cpu, cuda or cuda:N"),
    (["--variant", "b32"], "invalid choice: 'b32'"),
    (["--precision", "int4"], "invalid choice: 'int4'"),
    (["--engine", "tflite"], "invalid choice: 'tflite'"),
])
def test_bad_values_are_one_line_errors_naming_the_option(argv, message, capsys):
    parser = parser_of("simtrack-profile")
    with pytest.raises((SystemExit, options.ConfigError)) as raised:
        parser.parse_args(argv)
    text = str(raised.value) if isinstance(raised.value, options.ConfigError) else capsys.readouterr().err
    assert message in text and len(text.strip().splitlines()) == 1 and "usage:" not in text


def documented_options():
    """``{option: {command, ...}}`` from the table in docs/options.md."""
    text = (Path(__file__).resolve().parents[1] / "docs" / "options.md").read_text()
    table = text.split("checks this table against every command's parser -->", 1)[1].split("\n\n", 1)[0]
    rows = [line.split("|")[1:-1] for line in table.strip().splitlines()[2:]]
    return {cells[0].strip(" `").split()[0]: {name.strip() for name in cells[2].split(",")} for cells in rows}


def test_the_option_table_in_the_docs_is_the_parsers_table():
    actual = {}
    for command in MODULES:
        for action in visible_options(parser_of(command)):
            actual.setdefault(action.option_strings[0], set()).add(command.removeprefix("simtrack-"))
    assert documented_options() == actual
