"""The layout holds: commands do not import commands, the library below the commands does not import
the command-line plumbing, scoring needs no torch, and old import paths still work with a notice."""
import ast
import importlib
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks.commands import MODULES

REPO = Path(__file__).resolve().parents[1]
COMMANDS = set(MODULES.values())


def module_name(path):
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(path):
    """Every module ``path`` imports (relative imports resolved), at any depth of the file."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")
                base = ".".join(parent[:len(parent) - node.level + 1] + ([base] if base else []))
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def sources(*tops):
    return [path for top in tops for path in sorted((REPO / top).rglob("*.py"))]


def test_commands_never_import_commands():
    for path in sources("benchmarks", "simtrack"):
        name = module_name(path)
        if name == "benchmarks.commands":      # the console entry points name every command by design
            continue
        others = (imported_modules(path) & COMMANDS) - {name}
        assert not others, f"{name} imports the command(s) {sorted(others)}"


def test_the_library_never_imports_the_command_line_plumbing():
    for path in sources("simtrack"):
        name = module_name(path)
        if name in COMMANDS or name.startswith("simtrack.cli"):
            continue
        plumbing = {module for module in imported_modules(path) if module.startswith("simtrack.cli")}
        assert not plumbing, f"{name} imports {sorted(plumbing)}: only commands may"


def test_simtrack_never_imports_benchmarks():
    for path in sources("simtrack"):
        assert not any(module.startswith("benchmarks") for module in imported_modules(path)), module_name(path)


def test_scoring_and_reports_never_import_the_runner():
    for path in sources("benchmarks/scoring", "benchmarks/reports"):
        runner = {module for module in imported_modules(path) if module.startswith("benchmarks.runner")}
        assert not runner, f"{module_name(path)} imports {sorted(runner)}"


def test_scoring_imports_no_torch_timm_or_torchvision():
    code = ("import sys, benchmarks.scoring.evaluation, benchmarks.scoring.submission, benchmarks.reports; "
            "print(sorted(m for m in ('torch', 'timm', 'torchvision') if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=120)
    assert result.stdout.strip() == "[]", result.stderr


@pytest.mark.parametrize("old, name, new", [
    ("benchmarks.evaluate", "evaluate", "benchmarks.reports"),
    ("benchmarks.evaluate", "evaluate_table", "benchmarks.reports"),
    ("benchmarks.submit", "make_submission", "benchmarks.scoring.submission"),
    ("benchmarks.submit", "validate_submission", "benchmarks.scoring.submission"),
])
def test_names_of_the_last_release_forward_with_a_notice(old, name, new):
    with pytest.warns(FutureWarning, match=f"{old}.{name} is deprecated.*use {new}.{name}"):
        value = getattr(importlib.import_module(old), name)
    assert value is getattr(importlib.import_module(new), name)


@pytest.mark.parametrize("old, new, name", [
    ("simtrack.images", "simtrack.formats.images", "read_image"),
    ("benchmarks.results_io", "benchmarks.scoring.result_files", "load_results"),
    ("benchmarks.metrics", "benchmarks.scoring.metrics", "get_protocol"),
])
def test_modules_of_the_last_release_forward_with_a_notice(old, new, name):
    code = f"from {old} import {name}; import {new}; assert {name} is {new}.{name}"
    result = subprocess.run([sys.executable, "-W", "default", "-c", code], capture_output=True, text=True,
                            cwd=REPO, timeout=120)
    assert result.returncode == 0, result.stderr
    assert f"FutureWarning: {old} is deprecated and will be removed in the next release; use {new}" in result.stderr
