"""`vot evaluate` with an exit code scripts can trust: non-zero when any tracker failed.

    python evaluate_checked.py SimTrack [--workspace DIR] [other `vot evaluate` options ...]

The VOT toolkit 0.7.4 exits with status 0 after a tracker error, with or without `--persist`.
This wrapper runs `vot evaluate` with the same arguments (its output passes through unchanged),
then checks with the toolkit's own scan that every tracker has complete results for every
experiment and sequence, and reports the tracker errors the toolkit printed and the tracker logs
it wrote. Exit status: 0 when everything is complete, 1 when something is missing (the lines
above the status say what and where to look), 2 when `vot` itself could not run.
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

ERROR_LINE = re.compile(r"encountered an error at sequence|interrupted by tracker error|Tracker output written to")


def vot_command():
    """The `vot` next to this interpreter (same environment), else the one on PATH."""
    beside = Path(sys.executable).with_name("vot")
    return str(beside) if beside.exists() else shutil.which("vot")


def run_evaluate(arguments, workspace):
    """Run `vot evaluate` passing its output through; returns (exit code, the lines that report errors)."""
    command = vot_command()
    if command is None:
        print("evaluate_checked: no `vot` command found; install the VOT toolkit (pip install -e '.[vot]')",
              file=sys.stderr)
        sys.exit(2)
    process = subprocess.Popen([command, "evaluate", *arguments], cwd=workspace, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True, errors="replace")
    errors = []
    for line in process.stdout:
        sys.stdout.write(line)
        if ERROR_LINE.search(line):
            errors.append(line.strip())
    return process.wait(), errors


def incomplete_runs(workspace, trackers, experiments=None):
    """``(tracker, experiment, sequence)`` of every run the toolkit's scan finds incomplete."""
    from vot.workspace import Workspace
    loaded = Workspace.load(str(workspace))
    chosen = [experiment for experiment in loaded.stack
              if not experiments or experiment.identifier in experiments.split(",")]
    missing = []
    for tracker in loaded.registry.resolve(*trackers, storage=loaded.storage.substorage("results"),
                                           skip_unknown=False):
        for experiment in chosen:
            for sequence in experiment.transform(loaded.dataset):
                if not experiment.scan(tracker, sequence)[0]:
                    missing.append((tracker.identifier, experiment.identifier, sequence.name))
    return missing


def new_logs(folder, before):
    return sorted(set(folder.glob("*.log")) - before) if folder.is_dir() else []


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0], allow_abbrev=False)
    parser.add_argument("trackers", nargs="+", help="tracker identifiers, as for vot evaluate")
    parser.add_argument("--workspace", default=os.getcwd(), help="workspace folder (default: this folder)")
    parser.add_argument("--experiments", help="comma-separated experiments, as for vot evaluate")
    args, passed_on = parser.parse_known_args(argv)
    workspace = Path(args.workspace).resolve()
    arguments = [*args.trackers, "--workspace", str(workspace), *passed_on]
    if args.experiments:
        arguments += ["--experiments", args.experiments]
    logs = workspace / "logs"
    before = set(logs.glob("*.log")) if logs.is_dir() else set()
    code, errors = run_evaluate(arguments, workspace)
    if code != 0:
        print(f"evaluate_checked: vot evaluate exited with status {code}", file=sys.stderr)
        return 2
    missing = incomplete_runs(workspace, args.trackers, args.experiments)
    written = new_logs(logs, before)
    if not missing and not errors:
        print(f"evaluate_checked: results complete for {', '.join(args.trackers)}")
        return 0
    for line in errors:
        print(f"evaluate_checked: tracker error: {line}", file=sys.stderr)
    for tracker, experiment, sequence in missing[:20]:
        print(f"evaluate_checked: incomplete: {tracker} {experiment}/{sequence}", file=sys.stderr)
    if len(missing) > 20:
        print(f"evaluate_checked: ... and {len(missing) - 20} more incomplete runs", file=sys.stderr)
    for path in written:
        print(f"evaluate_checked: tracker output: {path}", file=sys.stderr)
    print(f"evaluate_checked: FAILED: {len(missing)} incomplete run(s), {len(errors)} tracker error line(s)",
          file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
