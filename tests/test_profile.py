"""The profiler: FLOPs counted by torch agree with the architecture; the report has every section."""
import json

import pytest
import torch

import simtrack
from benchmarks.perf.measure import count_flops, interleaved, parameter_counts
from benchmarks.profile import main
from simtrack.errors import ConfigError


def multiply_adds_per_frame(cfg):
    """Multiply-adds of one forward_search written out from the architecture."""
    search, template, foveal = cfg.search_grid ** 2, cfg.template_grid ** 2, cfg.foveal_grid ** 2
    tokens, dim, hidden = template + 1 + search + foveal, cfg.embed_dim, cfg.hidden_dim
    patch_embed = search * 3 * cfg.patch_size ** 2 * dim
    block = tokens * dim * 3 * dim + 2 * tokens * tokens * dim + tokens * dim * dim \
        + 2 * tokens * dim * int(cfg.mlp_ratio * dim)
    widths = [hidden, cfg.head_channels, cfg.head_channels // 2, cfg.head_channels // 4, cfg.head_channels // 8]
    corner = sum(search * 9 * a * b for a, b in zip(widths, widths[1:])) + search * widths[-1]
    return patch_embed + cfg.depth * block + search * dim * hidden + 2 * corner


def test_counted_flops_equal_the_architecture_count():
    model = simtrack.build_model("tiny").eval()
    flops = count_flops(model)
    assert flops["per_frame_gmacs"] * 1e9 == multiply_adds_per_frame(model.config)
    assert flops["per_frame_gflops"] == 2 * flops["per_frame_gmacs"]
    assert 0 < flops["template_gflops"] < flops["per_frame_gflops"]


def test_parameter_counts_match_the_official_model():
    with torch.device("meta"):
        model = simtrack.build_model("b16")
    counts = parameter_counts(model)
    # tests/data/official_keys.txt: 88,643,458 values, of which CLIP's unused 768 x 512 projection
    # (kept as a buffer, not a parameter) is 393,216.
    assert counts["total"] == 88_643_458 - 768 * 512
    assert counts["bottleneck"] == 768 * 256 + 256 and counts["backbone"] + counts["box_head"] == 88_053_378


def test_interleaved_times_every_candidate_in_turn():
    order = []
    times = interleaved({"a": lambda: order.append("a"), "b": lambda: order.append("b")}, repeats=3, warmup=1)
    assert order == ["a", "b"] * 4 and all(len(t) == 3 for t in times.values())


def test_report_has_every_section(tmp_path, capsys):
    out = tmp_path / "profile.json"
    assert main(["--variant", "tiny", "--device", "cpu", "--batch-sequences", "2", "--iterations", "1",
                 "--json", str(out)]) == 0
    report = json.loads(out.read_text())
    assert set(report["frame_stages"]) == {"decode", "crop_normalise", "model", "postprocess", "total"}
    assert all(stage["median_ms"] > 0 for stage in report["frame_stages"].values())
    assert report["model_latency_batch1"]["median_ms"] > 0
    assert set(report["throughput"]) == {"batch1_frames_per_s", "batch2_frames_per_s", "speedup"}
    env = report["environment"]
    assert env["torch"] == torch.__version__ and env["device"] == "cpu" and env["logical_cores"] >= 1
    assert "model only, batch 1" in capsys.readouterr().out


def test_bad_arguments_are_refused(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--variant", "tiny", "--batch-sequences", "0"])
    assert exit_info.value.code == 2 and "--batch-sequences must be at least 1" in capsys.readouterr().err
    with pytest.raises(ConfigError, match="--device cuda:99: this machine has no such GPU; devices present: cpu"):
        main(["--variant", "tiny", "--device", "cuda:99"])


def test_a_self_describing_checkpoint_needs_no_variant_and_old_flags_still_work(tmp_path, capsys):
    out = tmp_path / "profile.json"
    assert main(["--checkpoint", str(simtrack.EMBEDDED_CHECKPOINT), "--device", "cpu", "--batch", "2",
                 "--exact", "--repeats", "1", "--json", str(out)]) == 0
    report = json.loads(out.read_text())
    assert report["variant"] == "tiny" and report["path"] == "exact" and "batch2_frames_per_s" in report["throughput"]
    err = capsys.readouterr().err
    assert "--batch is deprecated" in err and "--exact is deprecated" in err


@pytest.mark.skipif(not simtrack.speed.engine_installed("onnxruntime"), reason="onnxruntime not installed")
def test_a_weights_file_on_another_engine_runs_its_cached_export(exported_tiny, tmp_path, monkeypatch):
    """As the tracker does: the export cached by the file's hash (exported_tiny placed it), not a new
    export of the loaded model keyed by a hash of its tensors."""
    from simtrack.engines import cache
    monkeypatch.setattr(cache, "exported_model", lambda model: pytest.fail("exported the model in memory"))
    out = tmp_path / "profile.json"
    assert main(["--checkpoint", str(simtrack.EMBEDDED_CHECKPOINT), "--engine", "onnxruntime", "--device", "cpu",
                 "--batch-sequences", "2", "--iterations", "1", "--json", str(out)]) == 0
    report = json.loads(out.read_text())
    assert report["variant"] == "tiny" and report["engine"] == "onnxruntime"
    assert report["engine_record"]["providers"] == ["CPUExecutionProvider"]
