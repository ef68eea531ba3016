"""Raw results as published: other spellings of sequence names, archives read in memory, ambiguous matches."""
import io
import tarfile
import zipfile

import numpy as np
import pytest

from benchmarks.scoring import metrics
from benchmarks.scoring.result_files import load_results
from benchmarks.scoring.scores import load_all
from simtrack.data.sequence import Sequence
from simtrack.errors import ResultsError


def sequence(name, count=4, dataset="otb100"):
    boxes = np.c_[np.arange(count) + 1.0, np.arange(count) + 2.0, np.full(count, 10.0), np.full(count, 12.0)]
    return Sequence(name=name, dataset=dataset, frames=[""] * count, boxes=boxes)


def table(seq, shift=0.0):
    return "".join(f"{x + shift:.4f},{y:.4f},{w:.4f},{h:.4f}\n" for x, y, w, h in seq.boxes).encode()


def write_files(folder, files):
    for name, data in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return folder


def boxes_of(results, sequences, **kwargs):
    runs, problems = load_results("t", results, sequences, **kwargs)
    assert not problems, problems
    return runs


OTB = [sequence("Basketball"), sequence("Jogging-1"), sequence("Human4"), sequence("FleetFace")]


def test_otb_names_in_other_toolkits_spellings(tmp_path):
    files = {"basketball.txt": table(OTB[0], 1), "jogging_1.txt": table(OTB[1], 2), "human4_2.txt": table(OTB[2], 3),
             "fleetface.txt": table(OTB[3], 4), "fleetface_time.txt": b"0.5\n" * 4}
    runs = boxes_of(write_files(tmp_path / "pysot", files), OTB)
    assert [float(b[0, 0]) for b in runs.boxes[0]] == [2.0, 3.0, 4.0, 5.0]
    np.testing.assert_array_equal(runs.times[0][3], [0.5] * 4)
    got10k = {"Jogging.1/Jogging.1_001.txt": table(OTB[1]), "Jogging.1/Jogging.1_time.txt": b"0.1\n" * 4,
              **{f"{s.name}/{s.name}_001.txt": table(s) for s in OTB if s.name != "Jogging-1"}}
    assert len(boxes_of(write_files(tmp_path / "got10k", got10k), OTB).boxes) == 1


def test_pytracking_dataset_prefixes(tmp_path):
    nfs, uav = [sequence("Gymnastics", dataset="nfs")], [sequence("bird1_1", dataset="uav123")]
    assert boxes_of(write_files(tmp_path / "n", {"nfs_Gymnastics.txt": table(nfs[0])}), nfs).boxes[0][0].shape == (4, 4)
    assert boxes_of(write_files(tmp_path / "u", {"uav_bird1_1.txt": table(uav[0])}), uav).boxes[0][0].shape == (4, 4)


def test_an_exact_name_wins_and_two_candidates_are_an_error_naming_both(tmp_path):
    files = {"Basketball.txt": table(OTB[0], 1), "basketball.txt": table(OTB[0], 2)}
    runs = boxes_of(write_files(tmp_path / "exact", files), OTB[:1])
    assert runs.boxes[0][0][0, 0] == 2.0
    folder = write_files(tmp_path / "two", {"BASKETBALL.txt": table(OTB[0]), "basketball.txt": table(OTB[0])})
    _, problems = load_results("t", folder, OTB[:1])
    assert len(problems) == 1 and "two result files could be sequence Basketball" in problems[0]
    assert "BASKETBALL.txt" in problems[0] and "basketball.txt" in problems[0]


def test_names_of_two_sequences_match_only_exactly(tmp_path):
    sequences = [sequence("ab_1", dataset="trackingnet"), sequence("ab-1", dataset="trackingnet")]
    folder = write_files(tmp_path / "t", {"ab_1.txt": table(sequences[0])})
    _, problems = load_results("t", folder, sequences)
    assert problems == [f"{folder}: no results for 1 of 2 sequences: ab-1 (looked for <seq>.txt, <seq>/<seq>_001.txt "
                        "and <seq>_001.txt, any case, with or without a nfs_/uav_ prefix)"]


def archive_bytes(kind, files):
    buffer = io.BytesIO()
    if kind == "zip":
        with zipfile.ZipFile(buffer, "w") as archive:
            for name, data in files.items():
                archive.writestr(name, data)
            archive.writestr("__MACOSX/ATOM/._airplane-1.txt", b"junk")
    else:
        with tarfile.open(fileobj=buffer, mode=f"w:{kind}") as archive:
            for name, data in files.items():
                info = tarfile.TarInfo(name)
                info.size = len(data)
                archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


LASOT = [sequence("airplane-1", dataset="lasot"), sequence("cat-3", dataset="lasot")]


@pytest.mark.parametrize("kind, suffix", [("zip", ".zip"), ("gz", ".tar.gz"), ("xz", ".tar.xz")])
@pytest.mark.parametrize("top", ["", "ATOM/", "ATOM/lasot/"])
def test_archives_are_read_in_memory_with_or_without_top_folders(tmp_path, kind, suffix, top):
    files = {f"{top}{s.name}.txt": table(s, k) for k, s in enumerate(LASOT)}
    files[f"{top}{LASOT[0].name}_time.txt"] = b"0.25\n" * 4
    path = tmp_path / f"ATOM_lasot{suffix}"
    path.write_bytes(archive_bytes(kind, files))
    runs = boxes_of(path, LASOT)
    assert [float(b[0, 0]) for b in runs.boxes[0]] == [1.0, 2.0]
    np.testing.assert_array_equal(runs.times[0][0], [0.25] * 4)
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]          # nothing extracted


def test_archive_problems_name_the_member_and_bad_archives_are_refused(tmp_path):
    path = tmp_path / "T.zip"
    path.write_bytes(archive_bytes("zip", {"T/airplane-1.txt": table(LASOT[0])[:-20], "T/cat-3.txt": table(LASOT[1])}))
    _, problems = load_results("t", path, LASOT)
    assert problems and problems[0].startswith(f"{path}:/T/airplane-1.txt, line 4: expected 4 numbers")
    (tmp_path / "bad.zip").write_bytes(b"PK\x03\x04 not really")
    with pytest.raises(ResultsError, match=r"bad\.zip is not a readable results archive"):
        load_results("t", tmp_path / "bad.zip", LASOT)
    (tmp_path / "r.7z").write_bytes(b"7z")
    with pytest.raises(ResultsError, match=r"\.7z archives are not read; extract it"):
        load_results("t", tmp_path / "r.7z", LASOT)


def test_results_in_two_folders_of_an_archive_are_ambiguous(tmp_path):
    path = tmp_path / "both.zip"
    path.write_bytes(archive_bytes("zip", {f"{top}/{s.name}.txt": table(s) for top in ("old", "new") for s in LASOT}))
    _, problems = load_results("t", path, LASOT)
    assert problems == [f"{path}:: results for these sequences in several folders: {path}:/new, {path}:/old; "
                        "point at the one you mean"]


def test_a_missing_tracker_folder_lists_the_tracker_folders_found(tmp_path):
    for name in ("ATOM", "DiMP"):
        (tmp_path / "results" / name / "lasot").mkdir(parents=True)
    rules = metrics.get_protocol("lasot")
    with pytest.raises(ResultsError) as info:
        load_all(rules, {"atom": tmp_path / "results" / "atom" / "lasot"}, LASOT)
    assert f"results folder {tmp_path / 'results' / 'atom' / 'lasot'} does not exist; folders in " \
           f"{tmp_path / 'results'}: ATOM, DiMP" in str(info.value)


def test_test_sequences_without_a_known_length_take_it_from_their_runs(tmp_path):
    from simtrack.data import MissingFrames
    seq = Sequence("GOT-10k_Test_000001", "got10k_test", MissingFrames(None, "no frames"), np.array([[1.0, 2, 3, 4]]))
    folder = write_files(tmp_path / "t", {f"{seq.name}.txt": table(sequence("x", 6)),
                                          f"repeat2/{seq.name}.txt": table(sequence("x", 5))})
    _, problems = load_results("t", folder, [seq], allow_longer=False)
    assert problems == [f"{folder}/repeat2/{seq.name}.txt: 5 boxes for a sequence of 6 frames; expected one 'x,y,w,h' "
                        "line per frame, the first frame included (commas, tabs or spaces). Re-run the tracker on this "
                        "sequence"]


def test_a_folder_named_like_a_sequence_without_run_files_is_not_a_result(tmp_path):
    folder = write_files(tmp_path / "t", {"airplane-1/notes.txt": b"hello\n", "cat-3.txt": table(LASOT[1])})
    _, problems = load_results("t", folder, LASOT)
    assert len(problems) == 1 and "no results for 1 of 2 sequences: airplane-1" in problems[0]
