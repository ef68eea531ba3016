"""The same sequences read from the dataset folders, the LaSOT toolkit's annos/ and pysot JSON score the same,
to the last bit, under every protocol."""
import numpy as np
import pytest
from fabricate import (
    make_dtb70,
    make_dtb70_toolkit,
    make_lasot,
    make_lasot_toolkit,
    make_nfs,
    make_otb,
    make_uav123,
    make_vasttrack,
    make_vasttrack_toolkit,
    remove_frames,
    write_pysot_json,
)

from benchmarks.scoring import metrics
from benchmarks.scoring.result_files import load_results
from benchmarks.scoring.scores import compute
from simtrack.data import load_dataset


def write_noisy_results(folder, sequences, seed=0):
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True)
    for seq in sequences:
        boxes = np.nan_to_num(seq.boxes) + rng.normal(0, 1.5, seq.boxes.shape)
        boxes[:, 2:] = np.abs(boxes[:, 2:]) + 0.5
        np.savetxt(folder / f"{seq.name}.txt", boxes, fmt="%.4f", delimiter=",")
        np.savetxt(folder / f"{seq.name}_time.txt", rng.uniform(0.01, 0.03, len(seq)), fmt="%.8f")


def scores(dataset, sequences, results, protocol):
    rules = metrics.get_protocol(dataset, protocol)
    runs, problems = load_results("t", results, sequences, rules.allow_longer)
    assert not problems, problems
    result = compute(rules, metrics.GroundTruth.from_sequences(sequences, rules.needs_cover), runs)
    per_sequence = metrics.per_sequence(rules, result.runs[0])
    return {**result.scores[0], **{f"seq {key}": tuple(values) for key, values in per_sequence.items()}}


def assert_same_scores(dataset, layouts, results):
    names = [seq.name for seq in layouts["folders"]]
    for label, sequences in layouts.items():
        assert [seq.name for seq in sequences] == names, label
    for protocol in metrics.PROTOCOLS:
        reference = scores(dataset, layouts["folders"], results, protocol)
        for label, sequences in layouts.items():
            other = scores(dataset, sequences, results, protocol)
            assert other.keys() == reference.keys()
            for key in reference:
                np.testing.assert_array_equal(other[key], reference[key], err_msg=f"{protocol} {label} {key}")


@pytest.fixture
def results(tmp_path):
    return tmp_path / "results"


def test_lasot_folders_toolkit_annos_and_pysot_json(tmp_path, results):
    expected = make_lasot(tmp_path / "LaSOT", names=("airplane-1", "airplane-13", "rubicCube-1"), num_frames=12,
                          test_list=True)
    folders = load_dataset("lasot", root=tmp_path / "LaSOT")
    write_noisy_results(results, folders)
    write_pysot_json(tmp_path / "pysot" / "LaSOT.json", folders, with_absent=True)
    toolkit = make_lasot_toolkit(tmp_path / "toolkit", expected)
    remove_frames(tmp_path)
    assert_same_scores("lasot", {
        "folders": load_dataset("lasot", root=tmp_path / "LaSOT", frames_required=False),
        "annos": load_dataset("lasot", root=toolkit, frames_required=False),
        "pysot": load_dataset("lasot", root=tmp_path / "pysot", frames_required=False)}, results)


@pytest.mark.parametrize("dataset, make, json_name, renamed", [
    ("otb100", make_otb, "OTB100.json", {"Human4": "Human4-2"}),
    ("uav123", make_uav123, "UAV123.json", None),
    ("nfs", make_nfs, "NFS30.json", None),
])
def test_otb_uav_nfs_folders_and_pysot_json(tmp_path, results, dataset, make, json_name, renamed):
    make(tmp_path / "data")
    folders = load_dataset(dataset, root=tmp_path / "data")
    write_noisy_results(results, folders)
    json_path = write_pysot_json(tmp_path / "data" / json_name, folders, renamed=renamed)
    layouts = {"folders": folders, "pysot": load_dataset(dataset, root=json_path)}
    if dataset != "nfs":   # NfS folders without frames cannot apply the one-frame trim (see docs)
        remove_frames(tmp_path / "data")
        layouts["folders without frames"] = load_dataset(dataset, root=tmp_path / "data", frames_required=False)
        layouts["pysot without frames"] = load_dataset(dataset, root=json_path, frames_required=False)
    assert_same_scores(dataset, layouts, results)


def test_vasttrack_and_dtb70_folders_and_their_toolkits_annotations(tmp_path, results):
    vast = make_vasttrack(tmp_path / "VastTrack", num_frames=9)
    dtb = make_dtb70(tmp_path / "DTB70")
    vast_toolkit = make_vasttrack_toolkit(tmp_path / "MatlabEvaluationToolkit", vast)
    dtb_toolkit = make_dtb70_toolkit(tmp_path / "drone-tracking", dtb)
    folders = {"vasttrack": load_dataset("vasttrack", root=tmp_path / "VastTrack"),
               "dtb70": load_dataset("dtb70", root=tmp_path / "DTB70")}
    write_noisy_results(results / "vasttrack", folders["vasttrack"])
    write_noisy_results(results / "dtb70", folders["dtb70"], seed=1)
    annos = {"vasttrack": load_dataset("vasttrack", root=vast_toolkit, frames_required=False),
             "dtb70": load_dataset("dtb70", root=dtb_toolkit, frames_required=False)}
    assert annos["vasttrack"][0].attributes == folders["vasttrack"][0].attributes
    assert len(annos["dtb70"][1].attributes) == 11
    remove_frames(tmp_path)
    for dataset in ("vasttrack", "dtb70"):
        assert_same_scores(dataset, {
            "folders": folders[dataset], "annos": annos[dataset],
            "folders without frames": load_dataset(dataset, root=tmp_path, frames_required=False)}, results / dataset)
