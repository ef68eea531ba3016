"""Results prove where they came from: a resume keeps only files a provenance record vouches for.

The record of a sequence is written before its files; everything a record of this run's identity
does not vouch for is refused before any tracking (nothing changed), or moved aside with
``--discard-unverified``. The command-line cases stop before workers start, so they are fast.
"""
import json

import numpy as np
import pytest
import torch
from fabricate import make_lasot

import simtrack
from benchmarks import run
from benchmarks.runner import folders as outputs
from benchmarks.runner import provenance
from benchmarks.runner.provenance import Inspection, State, inspect, record_path, run_identity, verify, write_sequence
from simtrack.cli import run_cli
from simtrack.data import load_dataset
from simtrack.errors import ResultsError
from simtrack.formats.file_hash import file_sha256

SPEED = {"fast": False, "precision": "fp32", "compile": False, "cuda_graphs": False, "crop": "auto",
         "batch_sequences": 1}
IDENTITY = run_identity("ab" * 32, "tiny", SPEED)
BOXES, TIMES = np.array([[1, 2, 3, 4], [2, 3, 4, 5.5]]), np.array([0.5, 0.01])


def written(folder, name="seq", identity=IDENTITY, boxes=BOXES):
    write_sequence(folder, name, boxes, TIMES[:len(boxes)], identity)
    return outputs.result_paths(folder, name)


def test_the_record_is_written_before_the_files_and_vouches_for_them(tmp_path, monkeypatch):
    order = []
    real = provenance.atomic_write
    monkeypatch.setattr(provenance, "atomic_write", lambda path, data: (order.append(path.name), real(path, data)))
    boxes_path, times_path = written(tmp_path)
    assert order == ["seq.json", "seq_time.txt", "seq.txt"]
    record = json.loads(record_path(tmp_path, "seq").read_text())
    assert record["identity"] == IDENTITY and record["frames"] == 2
    assert record["files"] == {"seq.txt": file_sha256(boxes_path), "seq_time.txt": file_sha256(times_path)}
    assert verify(tmp_path, "seq", 2, IDENTITY).state is State.DONE


def test_a_kill_between_record_and_files_means_track_again(tmp_path):
    boxes_path, times_path = written(tmp_path)
    boxes_path.unlink()                                   # killed after the times file
    assert verify(tmp_path, "seq", 2, IDENTITY).state is State.TODO
    times_path.unlink()                                   # killed right after the record
    assert verify(tmp_path, "seq", 2, IDENTITY).state is State.TODO


@pytest.mark.parametrize("damage, reason", [
    (lambda folder: record_path(folder, "seq").unlink(), "no provenance record"),
    (lambda folder: record_path(folder, "seq").write_text("{\"files\": "), "record seq.json does not parse"),
    (lambda folder: record_path(folder, "seq").write_text("[1, 2]"), "is not a provenance record"),
    (lambda folder: (folder / "seq.txt").write_text("1,2,3,4\n2,3,4,6\n"), "seq.txt differs from the checksum"),
    (lambda folder: (folder / "seq_time.txt").write_text("0.1\n"), "seq_time.txt differs from the checksum"),
    (lambda folder: record_path(folder, "seq").write_text(json.dumps({"files": {}, "identity": IDENTITY})),
     "is not listed in its record"),
])
def test_files_the_record_cannot_vouch_for_are_unverified(tmp_path, damage, reason):
    written(tmp_path)
    damage(tmp_path)
    verdict = verify(tmp_path, "seq", 2, IDENTITY)
    assert verdict.state is State.UNVERIFIED and reason in verdict.reason
    assert tmp_path / "seq.txt" in verdict.files


def test_another_checkpoint_variant_or_option_is_named(tmp_path):
    written(tmp_path, identity=run_identity("cd" * 32, "b16", {**SPEED, "precision": "bf16"}))
    reason = verify(tmp_path, "seq", 2, IDENTITY).reason
    assert "checkpoint sha256 cdcdcdcdcdcd... (this run: abababababab...)" in reason
    assert "precision bf16 (this run: fp32)" in reason and "variant b16 (this run: tiny)" in reason


def test_our_files_for_another_length_of_sequence_are_not_redone_silently(tmp_path):
    written(tmp_path)
    verdict = verify(tmp_path, "seq", 3, IDENTITY)
    assert verdict.state is State.UNVERIFIED and "another number of frames than the sequence's 3" in verdict.reason


def test_a_folder_where_a_result_file_should_be_is_unverified(tmp_path):
    (tmp_path / "seq.txt").mkdir()
    assert verify(tmp_path, "seq", 2, IDENTITY).reason == "is not a regular file"


def test_inspection_covers_repeats_and_discard_moves_files_with_their_relative_path(tmp_path):
    sequences = [simtrack.data.Sequence(name, "fake", ["f"] * 2, np.ones((2, 4))) for name in ("a", "b")]
    folder = tmp_path / "trk" / "fake"
    written(folder, "a")
    written(folder / "repeat2", "a")
    written(folder / "repeat2", "b")
    (folder / "repeat2" / "b.txt").write_text("9,9,9,9\n9,9,9,9\n")
    (folder / "b.txt").write_text("1,1,1,1\n1,1,1,1\n")           # foreign
    found = inspect(tmp_path, "trk", "fake", sequences, 2, IDENTITY)
    assert found.done == {("a", 1), ("a", 2)}
    message = found.refusal()
    assert "3 file(s)" in message and "no provenance record in records/" in message and "b.txt" in message
    assert "repeat2/b.txt, repeat2/b_time.txt" in message and "--discard-unverified" in message
    target = found.discard()
    assert sorted(str(p.relative_to(target)) for p in target.rglob("*.txt")) == \
        ["b.txt", "repeat2/b.txt", "repeat2/b_time.txt"]
    assert inspect(tmp_path, "trk", "fake", sequences, 2, IDENTITY).unverified == []


def test_discard_moves_nothing_out_of_or_into_places_outside_the_run_folder(tmp_path):
    folder, outside = tmp_path / "trk" / "fake", tmp_path / "outside"
    outside.mkdir()
    keep = outside / "keep.txt"
    keep.write_text("precious\n")
    with pytest.raises(ResultsError, match="outside the run folder"):       # no absolute path below the target
        Inspection(folder, unverified=[([keep], "no provenance record")]).discard()
    assert keep.read_text() == "precious\n"
    (folder / "repeat2").mkdir(parents=True)
    (folder / "discarded").symlink_to(outside)                             # the discard folder leads elsewhere
    (folder / "repeat2" / "b.txt").write_text("1,1,1,1\n")
    with pytest.raises(ResultsError, match="outside"):
        Inspection(folder, unverified=[([folder / "repeat2" / "b.txt"], "no provenance record")]).discard()
    assert (folder / "repeat2" / "b.txt").is_file() and [p.name for p in outside.iterdir()] == ["keep.txt"]


def test_a_long_refusal_stays_one_line_and_lists_a_few_files(tmp_path):
    found = Inspection(tmp_path, unverified=[([tmp_path / f"s{i}.txt"], "no provenance record") for i in range(40)])
    message = found.refusal()
    assert "\n" not in message and "s4.txt and 35 more" in message and "40 file(s)" in message


# ------------------------------------------------------------------ the runner, refusing before any work

NAMES = ("cat-1", "cat-2")


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    torch.manual_seed(0)
    return simtrack.save_checkpoint(simtrack.build_model("tiny"), tmp_path_factory.mktemp("w") / "tiny.safetensors")


@pytest.fixture
def lasot(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    make_lasot(tmp_path / "LaSOT", names=NAMES, num_frames=4, test_list=True)
    return tmp_path / "LaSOT"


def command(lasot, checkpoint, *extra):
    return ["--dataset", "lasot", "--data-root", str(lasot), "--checkpoint", str(checkpoint), "--results", "out",
            "--devices", "cpu", "--workers-per-device", "1", *extra]


def snapshot(folder):
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def refused(args, capsys):
    with pytest.raises(SystemExit) as exit_info:
        run_cli(run.main, args)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err
    return err


def identity_of(checkpoint, **speed):
    return run_identity(file_sha256(checkpoint), "tiny", {**SPEED, **speed})


def our_results(tmp_path, checkpoint, **speed):
    folder = tmp_path / "out" / "tiny" / "lasot"
    for sequence in load_dataset("lasot", root=tmp_path / "LaSOT"):
        write_sequence(folder, sequence.name, np.tile(sequence.boxes[:1], (len(sequence), 1)),
                       np.full(len(sequence), 0.01), identity_of(checkpoint, **speed))
    return folder


def test_foreign_results_without_records_are_refused_and_left_alone(lasot, checkpoint, tmp_path, capsys):
    folder = our_results(tmp_path, checkpoint)
    for path in (folder / "records").iterdir():
        path.unlink()                                              # as if copied in from elsewhere
    (folder / "records").rmdir()
    before = snapshot(tmp_path / "out")
    err = refused(command(lasot, checkpoint), capsys)
    assert "out/tiny/lasot holds 4 file(s) this runner cannot vouch for" in err
    assert "no provenance record" in err and "cat-1.txt" in err and "--tracker-name or --results" in err
    assert snapshot(tmp_path / "out") == before                    # no manifest, no lock file, no report


def test_an_unreadable_manifest_is_refused_not_replaced(lasot, checkpoint, tmp_path, capsys):
    folder = our_results(tmp_path, checkpoint)
    (folder / "manifest.json").write_text("{ not json")
    before = snapshot(tmp_path / "out")
    err = refused(command(lasot, checkpoint), capsys)
    assert "manifest.json does not parse as a run manifest" in err and "--discard-unverified" in err
    assert snapshot(tmp_path / "out") == before


@pytest.mark.parametrize("option, message", [
    ({"precision": "bf16"}, "written with precision bf16 (this run: fp32) (rerun with those to resume)"),
    ({"engine": "onnxruntime"}, "written with engine onnxruntime (this run: default) (rerun with those to resume)"),
])
def test_results_of_other_speed_options_or_another_engine_are_refused(option, message, lasot, checkpoint, tmp_path,
                                                                      capsys):
    our_results(tmp_path, checkpoint, **option)
    before = snapshot(tmp_path / "out")
    err = refused(command(lasot, checkpoint), capsys)
    assert message in err
    assert snapshot(tmp_path / "out") == before


def test_our_own_complete_results_are_kept_without_starting_a_worker(lasot, checkpoint, tmp_path, capsys):
    folder = our_results(tmp_path, checkpoint)
    before = {name: data for name, data in snapshot(folder).items() if name.endswith(".txt")}
    assert run.main(command(lasot, checkpoint)) == 0
    assert "0 done, 2 skipped (already complete)" in capsys.readouterr().out
    assert {name: data for name, data in snapshot(folder).items() if name.endswith(".txt")} == before


def test_discarding_moves_a_damaged_manifest_aside(tmp_path):
    folder = tmp_path / "trk" / "fake"
    written(folder, "a")
    (folder / "manifest.json").write_text("{ not json")
    sequences = [simtrack.data.Sequence("a", "fake", ["f"] * 2, np.ones((2, 4)))]
    found = inspect(tmp_path, "trk", "fake", sequences, 1, IDENTITY,
                    manifest_problem=(folder / "manifest.json", "manifest.json does not parse"))
    assert found.done == {("a", 1)} and "manifest.json does not parse: manifest.json" in found.refusal()
    target = found.discard()
    assert (target / "manifest.json").read_text() == "{ not json" and not (folder / "manifest.json").exists()
    assert (folder / "a.txt").is_file()


def test_repeat_folders_beyond_this_run_are_verified_too(tmp_path):
    sequences = [simtrack.data.Sequence("a", "fake", ["f"] * 2, np.ones((2, 4)))]
    folder = tmp_path / "trk" / "fake"
    written(folder, "a")
    (folder / "repeat3").mkdir(parents=True)
    (folder / "repeat3" / "a.txt").write_text("1,1,1,1\n1,1,1,1\n")     # would be evaluated as a third run
    found = inspect(tmp_path, "trk", "fake", sequences, 1, IDENTITY)
    assert found.done == {("a", 1)} and "repeat3/a.txt" in found.refusal()
