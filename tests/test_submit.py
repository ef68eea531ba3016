"""GOT-10k / TrackingNet server zips: layout, validation, and a catalogue of refused submissions."""
import io
import zipfile

import fabricate
import numpy as np
import pytest

from benchmarks import submit
from benchmarks.scoring.submission import make_submission, validate_submission
from simtrack.cli import run_cli
from simtrack.data.sequence import Sequence
from simtrack.errors import ConfigError, SubmissionError

GOT_NAMES = [f"GOT-10k_Test_{index:06d}" for index in (1, 2, 3)]
TN_NAMES = ["-3TIfnTSM6c_2", "_0aXy_ab_1", "abc_1"]
FRAMES = {0: 4, 1: 6, 2: 5}


def split_sequences(dataset, names):
    return [Sequence(name, dataset, [f"{k}.jpg" for k in range(FRAMES[i])], np.array([[1.0, 2, 10, 10]]))
            for i, name in enumerate(names)]


def boxes(count, shift=0.0):
    return np.c_[np.arange(count) + shift, np.arange(count), np.full(count, 10.5), np.full(count, 12.25)]


def write_results(folder, sequences, runs=1, times=True, sep=","):
    for k in range(1, runs + 1):
        target = folder if k == 1 else folder / f"repeat{k}"
        target.mkdir(parents=True, exist_ok=True)
        for seq in sequences:
            np.savetxt(target / f"{seq.name}.txt", boxes(len(seq), k), fmt="%.3f", delimiter=sep)
            if times:
                np.savetxt(target / f"{seq.name}_time.txt", np.full(len(seq), 0.01 * k), fmt="%.5f")


def snapshot(folder):
    return {path.relative_to(folder): path.read_bytes() for path in sorted(folder.rglob("*")) if path.is_file()}


def test_got10k_zip_layout_runs_and_times(tmp_path):
    sequences = split_sequences("got10k_test", GOT_NAMES)
    results = tmp_path / "results" / "simtrack" / "got10k_test"
    write_results(results, sequences, runs=3)
    before = snapshot(results)
    path = make_submission("got10k_test", "simtrack", results, sequences)
    assert path == tmp_path / "results" / "simtrack" / "got10k_test.zip"
    assert snapshot(results) == before                                 # originals untouched
    with zipfile.ZipFile(path) as archive:
        names = set(archive.namelist())
        assert names == {f"{s}/{s}_{k}.txt" for s in GOT_NAMES for k in ("001", "002", "003", "time")}
        rows = np.loadtxt(io.BytesIO(archive.read(f"{GOT_NAMES[1]}/{GOT_NAMES[1]}_002.txt")), delimiter=",")
        np.testing.assert_allclose(rows, boxes(6, 2))
        times = np.loadtxt(io.BytesIO(archive.read(f"{GOT_NAMES[0]}/{GOT_NAMES[0]}_time.txt")), delimiter=",")
        np.testing.assert_allclose(times, np.tile([0.01, 0.02, 0.03], (4, 1)))


def test_trackingnet_zip_has_comma_files_at_the_root(tmp_path):
    sequences = split_sequences("trackingnet", TN_NAMES)
    results = tmp_path / "raw"
    write_results(results, sequences, runs=2, times=False, sep="\t")  # tab-separated input is fine
    path = make_submission("trackingnet", "t", results, sequences, out_path=tmp_path / "out" / "tn.zip")
    with zipfile.ZipFile(path) as archive:
        assert sorted(archive.namelist()) == sorted(f"{name}.txt" for name in TN_NAMES)
        text = archive.read(f"{TN_NAMES[0]}.txt").decode()
    assert text.splitlines()[0] == "1.0000,0.0000,10.5000,12.2500"     # first run only
    assert len(text.splitlines()) == 4


def test_building_refuses_incomplete_or_non_finite_results(tmp_path):
    sequences = split_sequences("got10k_test", GOT_NAMES)
    results = tmp_path / "r"
    write_results(results, sequences[:2], times=False)
    bad = boxes(4)
    bad[2, 1] = np.nan
    np.savetxt(results / f"{GOT_NAMES[0]}.txt", bad, fmt="%.3f", delimiter=",")
    with pytest.raises(SubmissionError) as caught:
        make_submission("got10k_test", "t", results, sequences)
    assert "no results for 1 of 3 sequences: GOT-10k_Test_000003" in str(caught.value)
    write_results(results, sequences[2:], times=False)
    with pytest.raises(SubmissionError) as caught:
        make_submission("got10k_test", "t", results, sequences)
    message = str(caught.value)
    assert "GOT-10k_Test_000001 run 1: frame 3 has a non-finite box" in message
    assert "_time.txt" in message
    assert not list(tmp_path.glob("*.zip")) and not list(tmp_path.rglob("*.zip"))
    with pytest.raises(ConfigError, match="no submission format"):
        make_submission("lasot", "t", results, sequences)


# ----------------------------------------------------------------------------------------------
# The validator's catalogue of malformed zips

def got10k_members(names=GOT_NAMES, frames=FRAMES, prefix=""):
    members = {}
    for index, name in enumerate(names):
        count = frames.get(index, 4)
        members[f"{prefix}{name}/{name}_001.txt"] = "".join(f"{k},{k},10,12\n" for k in range(count))
        members[f"{prefix}{name}/{name}_time.txt"] = "0.01\n" * count
    return members


def trackingnet_members(names=TN_NAMES, prefix=""):
    return {f"{prefix}{name}.txt": "".join(f"{k}.5,{k},10,12\n" for k in range(FRAMES[index]))
            for index, name in enumerate(names)}


def write_zip(path, members):
    with zipfile.ZipFile(path, "w") as archive:
        for name, text in members.items():
            archive.writestr(name, text)
    return path


def refused(tmp_path, dataset, members):
    sequences = split_sequences(dataset, GOT_NAMES if dataset == "got10k_test" else TN_NAMES)
    with pytest.raises(SubmissionError) as caught:
        validate_submission(write_zip(tmp_path / "s.zip", members), sequences)
    return str(caught.value)


def test_valid_zips_pass(tmp_path):
    validate_submission(write_zip(tmp_path / "g.zip", got10k_members()), split_sequences("got10k_test", GOT_NAMES))
    validate_submission(write_zip(tmp_path / "t.zip", trackingnet_members()), split_sequences("trackingnet", TN_NAMES))


def test_missing_and_extra_sequences(tmp_path):
    members = got10k_members()
    del members[f"{GOT_NAMES[2]}/{GOT_NAMES[2]}_001.txt"], members[f"{GOT_NAMES[2]}/{GOT_NAMES[2]}_time.txt"]
    members.update(got10k_members(["GOT-10k_Test_000099"]))
    message = refused(tmp_path, "got10k_test", members)
    assert "missing 1 sequence folder(s): GOT-10k_Test_000003" in message
    assert "1 folder(s) that are not test sequences: GOT-10k_Test_000099" in message
    members = trackingnet_members(TN_NAMES[:2])
    members["extra.txt"] = "1,2,3,4\n"
    message = refused(tmp_path, "trackingnet", members)
    assert "missing 1 sequence file(s): abc_1" in message and "extra.txt" in message


def test_wrong_line_count(tmp_path):
    members = trackingnet_members()
    members[f"{TN_NAMES[1]}.txt"] += "1,2,3,4\n"
    assert f"{TN_NAMES[1]}.txt: 7 lines for a sequence of 6 frames" in refused(tmp_path, "trackingnet", members)
    members = got10k_members()
    members[f"{GOT_NAMES[0]}/{GOT_NAMES[0]}_time.txt"] = "0.01\n"
    assert "_time.txt: 1 lines for a sequence of 4 frames" in refused(tmp_path, "got10k_test", members)


def test_nan_and_space_separated_lines(tmp_path):
    members = trackingnet_members()
    members[f"{TN_NAMES[0]}.txt"] = "1,2,3,4\n1,nan,3,4\n1,2,3,4\n1,2,3,4\n"
    assert "line 2 is '1,nan,3,4'; expected 4 comma-separated numbers" in refused(tmp_path, "trackingnet", members)
    members = got10k_members()
    members[f"{GOT_NAMES[1]}/{GOT_NAMES[1]}_001.txt"] = "1 2 3 4\n" * 6
    message = refused(tmp_path, "got10k_test", members)
    assert f"{GOT_NAMES[1]}/{GOT_NAMES[1]}_001.txt: line 1 is '1 2 3 4'" in message


def test_nested_folder(tmp_path):
    message = refused(tmp_path, "trackingnet", trackingnet_members(prefix="simtrack/"))
    assert "inside the folder 'simtrack/'" in message and "zip root" in message
    message = refused(tmp_path, "got10k_test", got10k_members(prefix="simtrack/"))
    assert "inside the folder 'simtrack/'" in message


def test_missing_time_file_first_run_and_stray_files(tmp_path):
    members = got10k_members()
    del members[f"{GOT_NAMES[0]}/{GOT_NAMES[0]}_time.txt"]
    members[f"{GOT_NAMES[1]}/{GOT_NAMES[1]}_002.txt"] = members.pop(f"{GOT_NAMES[1]}/{GOT_NAMES[1]}_001.txt")
    members[f"{GOT_NAMES[2]}/notes.md"] = "hello"
    message = refused(tmp_path, "got10k_test", members)
    assert f"{GOT_NAMES[0]}/: no {GOT_NAMES[0]}_time.txt" in message
    assert f"{GOT_NAMES[1]}/: no {GOT_NAMES[1]}_001.txt" in message
    assert "unexpected file(s) notes.md" in message


def test_not_a_zip(tmp_path):
    path = tmp_path / "s.zip"
    path.write_text("not a zip")
    with pytest.raises(SubmissionError, match="not a readable zip"):
        validate_submission(path, split_sequences("trackingnet", TN_NAMES))


def test_cli_builds_and_checks(tmp_path, capsys):
    expected = fabricate.make_got10k(tmp_path / "GOT-10k", split="test")
    results = tmp_path / "results" / "simtrack" / "got10k_test"
    for name, truth in expected.items():
        results.mkdir(parents=True, exist_ok=True)
        np.savetxt(results / f"{name}.txt", boxes(truth.num_frames), fmt="%.2f", delimiter=",")
        np.savetxt(results / f"{name}_time.txt", np.full(truth.num_frames, 0.02), fmt="%.4f")
    common = ["--dataset", "got10k_test", "--data-root", str(tmp_path / "GOT-10k")]
    assert submit.main(common + ["--tracker-name", "simtrack", "--results", str(tmp_path / "results")]) == 0
    zip_path = tmp_path / "results" / "simtrack" / "got10k_test.zip"
    assert "validated" in capsys.readouterr().out and zip_path.exists()
    assert submit.main(common + ["--check", str(zip_path)]) == 0
    write_zip(tmp_path / "bad.zip", {"x.txt": "1,2,3,4\n"})
    with pytest.raises(SystemExit) as caught:
        run_cli(submit.main, common + ["--check", str(tmp_path / "bad.zip")])
    assert caught.value.code == 2 and capsys.readouterr().err.startswith("error: ")


def test_the_zip_gets_the_mode_the_umask_gives(tmp_path):
    import os
    import stat
    sequences = split_sequences("trackingnet", TN_NAMES)
    results = tmp_path / "results" / "simtrack" / "trackingnet"
    write_results(results, sequences)
    previous = os.umask(0o022)
    try:
        path = make_submission("trackingnet", "simtrack", results, sequences)
    finally:
        os.umask(previous)
    assert stat.S_IMODE(path.stat().st_mode) == 0o644


def test_sequences_read_without_frames_take_their_length_from_the_results(tmp_path):
    from simtrack.data import MissingFrames
    sequences = [Sequence(name, "trackingnet", MissingFrames(None, "no frames"), np.array([[1.0, 2, 10, 10]]))
                 for name in TN_NAMES]
    results = tmp_path / "r"
    results.mkdir()
    for count, seq in zip((4, 6, 5), sequences):
        np.savetxt(results / f"{seq.name}.txt", boxes(count), fmt="%.3f", delimiter=",")
    path = make_submission("trackingnet", "t", results, sequences)
    with zipfile.ZipFile(path) as archive:
        assert len(archive.read(f"{TN_NAMES[1]}.txt").splitlines()) == 6
    got = [Sequence(name, "got10k_test", MissingFrames(None, "no frames"), np.array([[1.0, 2, 10, 10]]))
           for name in GOT_NAMES]
    folder = tmp_path / "g"
    write_results(folder, split_sequences("got10k_test", GOT_NAMES))
    np.savetxt(folder / f"{GOT_NAMES[0]}_time.txt", np.full(3, 0.01), fmt="%.5f")   # 3 times for 4 boxes
    with pytest.raises(SubmissionError, match=f"{GOT_NAMES[0]}: per-frame times missing or not one per frame"):
        make_submission("got10k_test", "t", folder, got)
