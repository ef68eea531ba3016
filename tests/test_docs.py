"""The README's examples run as printed: the benchmark cycle (convert -> run -> evaluate -> run ->
submit -> profile) on miniature LaSOT and GOT-10k copies, and the Python example on the demo set.

Blocks are found by the ``tests/test_docs.py runs this block`` comment above them, so an example
that stops working (a renamed option, a wrong tracker name) fails here.
"""
import importlib
import json
import re
import shlex
import sys
from pathlib import Path

import numpy as np
import pytest
from fabricate import make_got10k, make_lasot, write_rows

from simtrack.checkpoints import load_model, save_official
from simtrack.cli import run_cli
from simtrack.weights import EMBEDDED_CHECKPOINT

README = Path(__file__).resolve().parents[1] / "README.md"
MARKER = "tests/test_docs.py runs this block"


def marked_blocks(text, language):
    pattern = re.compile(r"<!-- " + re.escape(MARKER) + r"[^>]*-->\s*```" + language + r"\n(.*?)```", re.S)
    return pattern.findall(text)


def run_line(line, environment, monkeypatch, capsys):
    """``export K=V`` sets the environment; ``python -m MODULE ARGS`` runs MODULE's main in process."""
    words = shlex.split(line)
    if words[0] == "export":
        key, value = words[1].split("=", 1)
        monkeypatch.setenv(key, environment.get(key, value))
        return ""
    assert words[:2] == ["python", "-m"], f"README line is not a python -m command: {line}"
    module = importlib.import_module(words[2] if words[2] != "simtrack.train" else "simtrack.train.__main__")
    with pytest.raises(SystemExit) as exit_info:
        run_cli(module.main, words[3:])
    output = capsys.readouterr()
    assert exit_info.value.code == 0, f"{line}\n{output.out}\n{output.err}"
    return output.out


def test_the_benchmark_cycle_runs_as_printed(tmp_path, monkeypatch, capsys):
    data = tmp_path / "data"
    lasot = make_lasot(data / "LaSOT", names=("cat-1", "dog-1"), num_frames=5, test_list=True)
    make_got10k(data / "GOT-10k", split="test", num_frames=4)
    monkeypatch.chdir(tmp_path)
    save_official(load_model(EMBEDDED_CHECKPOINT), tmp_path / "sim-vit-b-16.pth")   # the released file's format
    for name, sequence in lasot.items():                                            # another tracker's raw results
        write_rows(tmp_path / "raw_results" / "OSTrack" / "lasot" / f"{name}.txt", sequence.boxes + 1)
    (block,) = marked_blocks(README.read_text(), "bash")
    outputs = [run_line(line, {"SIMTRACK_DATA": str(data)}, monkeypatch, capsys)
               for line in block.strip().splitlines()]

    evaluation = outputs[3]
    assert "| sim-b16 |" in evaluation and "| OSTrack |" in evaluation
    assert (tmp_path / "results" / "reports" / "lasot" / "summary.md").is_file()
    assert (tmp_path / "results" / "sim-b16" / "got10k_test.zip").is_file()
    manifest = json.loads((tmp_path / "results" / "sim-b16" / "lasot" / "manifest.json").read_text())
    assert manifest["variant"] == "tiny" and manifest["tracker"] == "sim-b16"
    assert "SimTrack tiny" in outputs[-1] and "model only, batch 1" in outputs[-1]


def test_the_python_example_runs_as_printed(tmp_path, monkeypatch):
    monkeypatch.setenv("SIMTRACK_DATA", str(tmp_path))
    (block,) = marked_blocks(README.read_text(), "python")
    namespace = {}
    exec(compile(block, str(README), "exec"), namespace)
    boxes, sequence = np.array(namespace["boxes"]), namespace["sequence"]
    assert boxes.shape == (len(sequence), 4) and np.isfinite(boxes).all()
    np.testing.assert_array_equal(boxes[0], sequence.init_box)
    assert np.abs(np.diff(boxes, axis=0)).sum() > 0      # the tracker moved


OWN_TRACKER = README.parent / "docs" / "own_tracker.md"


def test_the_own_tracker_page_runs_as_printed(tmp_path, monkeypatch, capsys):
    """docs/own_tracker.md: its example class, saved where the page says, runs with the page's commands
    (on a demo set of 3 short sequences written beforehand, so that MIL does not track 1,200 frames)."""
    from simtrack.data.synthetic.generator import ensure_demo_dataset

    text = OWN_TRACKER.read_text()
    (example,) = marked_blocks(text, "python")
    (tmp_path / "mytrackers").mkdir()
    (tmp_path / "mytrackers" / "__init__.py").write_text("")
    (tmp_path / "mytrackers" / "ncc.py").write_text(example)
    ensure_demo_dataset(tmp_path / "data" / "demo", num_sequences=3, num_frames=16, size=(160, 120))
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))          # what PYTHONPATH=. does for a new interpreter
    monkeypatch.delenv("SIMTRACK_DATA", raising=False)
    try:
        (block,) = marked_blocks(text, "bash")
        outputs = [run_line(line, {}, monkeypatch, capsys) for line in block.strip().splitlines()]
    finally:
        for name in [name for name in sys.modules if name.startswith("mytrackers")]:
            del sys.modules[name]
    assert "| NCCTracker |" in outputs[-1] and "| mil |" in outputs[-1]
    manifest = json.loads((tmp_path / "results" / "NCCTracker" / "demo" / "manifest.json").read_text())
    assert manifest["tracker_spec"]["options"] == {"search": 1.5}
    assert len(np.loadtxt(tmp_path / "results" / "mil" / "demo" / "checker-1.txt", delimiter=",")) == 16
