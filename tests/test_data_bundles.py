"""Annotation-only distributions: the LaSOT toolkit's annos/, pysot JSON, and dataset folders without frames."""
import json
import re

import numpy as np
import pytest
from fabricate import (
    make_folder,
    make_got10k,
    make_lasot,
    make_lasot_toolkit,
    make_nfs,
    make_otb,
    make_tnl2k,
    make_trackingnet,
    make_uav123,
    remove_frames,
    write_pysot_json,
    write_rows,
)

from simtrack.data import MissingFrames, load_dataset
from simtrack.data.files import require_frames
from simtrack.data.readers.lasot import ATTRIBUTES
from simtrack.errors import DatasetError

LASOT_NAMES = ("airplane-1", "airplane-13", "rubicCube-1")


def by_name(sequences):
    return {seq.name: seq for seq in sequences}


@pytest.fixture
def lasot(tmp_path):
    expected = make_lasot(tmp_path / "LaSOT", names=LASOT_NAMES, test_list=True)
    return tmp_path / "LaSOT", expected


def test_lasot_toolkit_annos_give_boxes_absent_flags_and_attributes(tmp_path, lasot):
    _, expected = lasot
    toolkit = make_lasot_toolkit(tmp_path / "toolkit", expected)
    for root in (toolkit, toolkit / "annos", tmp_path):      # toolkit folder, annos itself, a folder above
        if root == tmp_path:
            (tmp_path / "LaSOT").rename(tmp_path / "LaSOT_folders")
            (tmp_path / "toolkit").rename(tmp_path / "LaSOT")
            toolkit = tmp_path / "LaSOT"
        sequences = load_dataset("lasot", root=root, frames_required=False)
        assert [seq.name for seq in sequences] == list(LASOT_NAMES)
        for seq in sequences:
            truth = expected[seq.name]
            np.testing.assert_array_equal(seq.boxes, truth.boxes)
            np.testing.assert_array_equal(seq.absent, truth.absent)
            assert seq.attributes == {full: bool(f) for (_, full), f in zip(ATTRIBUTES, truth.extra["attribute_flags"])}
            assert isinstance(seq.frames, MissingFrames) and len(seq) == truth.num_frames and seq.fully_annotated
            assert seq.meta["object_class"] == seq.name.rsplit("-", 1)[0]


def test_annotation_bundles_are_refused_where_frames_are_needed(tmp_path, lasot):
    toolkit = make_lasot_toolkit(tmp_path / "toolkit", lasot[1])
    with pytest.raises(DatasetError, match=r"LaSOT evaluation toolkit's annotations.*scored.*not tracked"):
        load_dataset("lasot", root=toolkit)
    sequence = load_dataset("lasot", root=toolkit, frames_required=False)[0]
    with pytest.raises(DatasetError, match="airplane-1 has no frames on disk"):
        require_frames(sequence)
    with pytest.raises(DatasetError, match="no frames"):
        sequence.frames[0]


def test_lasot_ext_toolkit_reads_every_annotation_file(tmp_path):
    expected = make_lasot(tmp_path / "ext", names=["atv-1", "atv-10", "wingsuit-3"])
    toolkit = make_lasot_toolkit(tmp_path / "toolkit", expected)
    (toolkit / "sequence_evaluation_config" / "testing_set.txt").unlink()
    assert [s.name for s in load_dataset("lasot_ext", root=toolkit, frames_required=False)] == ["atv-1", "atv-10",
                                                                                              "wingsuit-3"]


@pytest.mark.parametrize("damage, message", [
    (lambda annos: write_rows(annos / "airplane-1.txt", [[1, 2, 3]] * 6), r"annos/airplane-1\.txt, line 1: expected 4"),
    (lambda annos: (annos / "absent" / "airplane-1.txt").write_text("0\n1\n1\n0\n1\n"),
     r"absent/airplane-1\.txt: expected 6 flags \(one per frame\), found 5"),
    (lambda annos: (annos / "absent" / "airplane-1.txt").unlink(), r"missing LaSOT toolkit absent flags.*absent/airplane-1"),
    (lambda annos: write_rows(annos / "att" / "airplane-1.txt", [[0, 1, 0]]), r"att/airplane-1\.txt: expected 14"),
])
def test_malformed_toolkit_files_are_named(tmp_path, lasot, damage, message):
    toolkit = make_lasot_toolkit(tmp_path / "toolkit", lasot[1])
    damage(toolkit / "annos")
    with pytest.raises(DatasetError, match=message):
        load_dataset("lasot", root=toolkit, frames_required=False)


def test_pysot_json_lasot_inverts_absent_and_keeps_frame_paths(tmp_path, lasot):
    root, expected = lasot
    folders = load_dataset("lasot", root=root)
    path = write_pysot_json(root / "LaSOT.json", folders, with_absent=True)
    for given in (root / "LaSOT.json", root.parent):      # the file, or a folder holding LaSOT/LaSOT.json
        sequences = by_name(load_dataset("lasot", root=given))
        for seq in folders:
            read = sequences[seq.name]
            np.testing.assert_array_equal(read.boxes, seq.boxes)
            np.testing.assert_array_equal(read.absent, seq.absent)      # pysot's 1 = visible became absent=False
            assert list(read.frames) == [str(frame) for frame in seq.frames]
            assert {k for k, v in read.attributes.items() if v} == {k for k, v in seq.attributes.items() if v}
    remove_frames(root)
    assert len(load_dataset("lasot", root=path, frames_required=False)[0]) == 6
    with pytest.raises(DatasetError, match=r"LaSOT\.json, video 'airplane-1': frame .*00000001\.jpg does not exist"):
        load_dataset("lasot", root=path)


@pytest.mark.parametrize("edit, message", [
    (lambda data: data["Basketball"].pop("gt_rect"), r"OTB100\.json, video 'Basketball': no 'gt_rect' key"),
    (lambda data: data["Basketball"].update(gt_rect=[[1, 2, 3]] * 7), "gt_rect must be a list of"),
    (lambda data: data["Basketball"].update(gt_rect=[[1, 2, 3, 4]] * 3), "3 gt_rect rows for 7 img_names"),
])
def test_malformed_pysot_json_is_named(tmp_path, edit, message):
    make_otb(tmp_path / "OTB100")
    path = write_pysot_json(tmp_path / "OTB100" / "OTB100.json", load_dataset("otb100", root=tmp_path / "OTB100"),
                            renamed={"Human4": "Human4-2"})
    data = json.loads(path.read_text())
    edit(data)
    path.write_text(json.dumps(data))
    with pytest.raises(DatasetError, match=message):
        load_dataset("otb100", root=path, frames_required=False)
    path.write_text("{not json")
    with pytest.raises(DatasetError, match=r"OTB100\.json: not valid JSON"):
        load_dataset("otb100", root=path, frames_required=False)


def test_pysot_json_names_and_splits(tmp_path):
    make_otb(tmp_path / "OTB100")
    folders = load_dataset("otb100", root=tmp_path / "OTB100")
    write_pysot_json(tmp_path / "OTB100" / "OTB100.json", folders, renamed={"Human4": "Human4-2"})
    read = load_dataset("otb100", root=tmp_path / "OTB100" / "OTB100.json", frames_required=False)
    assert [s.name for s in read] == [s.name for s in folders] and "Human4" in by_name(read)   # pysot's Human4-2
    make_nfs(tmp_path / "NFS")
    nfs = load_dataset("nfs", root=tmp_path / "NFS")
    write_pysot_json(tmp_path / "NFS" / "NFS240.json", nfs)
    with pytest.raises(DatasetError, match=r"NFS240\.json is pysot's file for split '240'; add --split 240"):
        load_dataset("nfs", root=tmp_path / "NFS" / "NFS240.json")
    assert len(load_dataset("nfs", split="240", root=tmp_path / "NFS")) == 3      # found in the folder by name


def test_an_unrecognised_root_lists_every_layout(tmp_path):
    (tmp_path / "stuff").mkdir()
    (tmp_path / "stuff" / "notes.txt").write_text("hello")
    with pytest.raises(DatasetError) as info:
        load_dataset("lasot", root=tmp_path / "stuff", frames_required=False)
    message = str(info.value)
    assert message.startswith(f"{tmp_path / 'stuff'} holds none of the lasot layouts we read (split 'test'); "
                              "expected layouts:")
    for layout in ("the dataset's own folders", "LaSOT evaluation toolkit", "pysot-toolkit JSON (LaSOT.json)"):
        assert layout in message
    assert "annos/absent/<class>-<k>.txt" in message and "img/00000001.jpg" in message


# ---------------------------------------------------------------- dataset folders without their frames

def test_test_splits_without_frames_have_no_known_length(tmp_path):
    make_got10k(tmp_path / "GOT-10k", "test")
    make_trackingnet(tmp_path / "TrackingNet", "TEST")
    for root in (tmp_path / "GOT-10k", tmp_path / "TrackingNet"):
        remove_frames(root)
    for name, root in (("got10k_test", tmp_path / "GOT-10k"), ("trackingnet", tmp_path / "TrackingNet")):
        sequences = load_dataset(name, root=root, frames_required=False)
        assert sequences and all(not s.length_known and len(s) == 0 and not s.fully_annotated for s in sequences)
        with pytest.raises(DatasetError, match="has no frames next to it|missing frame folder"):
            load_dataset(name, root=root)


def test_labelled_folders_without_frames_take_their_length_from_the_annotations(tmp_path):
    expected = {"tnl2k": make_tnl2k(tmp_path / "TNL2K"), "folder": make_folder(tmp_path / "own"),
                "otb100": make_otb(tmp_path / "OTB100"), "uav123": make_uav123(tmp_path / "UAV123"),
                "got10k_val": make_got10k(tmp_path / "GOT-10k", "val"),
                "trackingnet_train_0": make_trackingnet(tmp_path / "TrackingNet", "TRAIN_0")}
    roots = {"tnl2k": "TNL2K", "folder": "own", "otb100": "OTB100", "uav123": "UAV123", "got10k_val": "GOT-10k",
             "trackingnet_train_0": "TrackingNet"}
    remove_frames(tmp_path)
    for key, folder in roots.items():
        name, split = ("trackingnet", "train_0") if key.startswith("trackingnet") else (key, None)
        sequences = by_name(load_dataset(name, root=tmp_path / folder, split=split, frames_required=False))
        for seq_name, truth in expected[key].items():
            seq = sequences[seq_name]
            np.testing.assert_array_equal(seq.boxes, truth.boxes)
            if len(truth.boxes) > 1:
                assert len(seq) == truth.num_frames and seq.fully_annotated
            else:                                     # the folder layout's first-box-only sequence
                assert not seq.length_known
    with pytest.raises(DatasetError, match="does not exist|holds no image|missing frame folder"):
        load_dataset("tnl2k", root=tmp_path / "TNL2K")


def test_nfs_without_frames_subsamples_240_fps_labels_by_the_240_file(tmp_path):
    expected = make_nfs(tmp_path / "NFS")
    for name in expected:   # the 240 fps annotation beside: as many rows as the 30 fps file of Bee
        rows = (tmp_path / "NFS" / name / "30" / f"{name}.txt").read_text()
        (tmp_path / "NFS" / name / "240").mkdir()
        (tmp_path / "NFS" / name / "240" / f"{name}.txt").write_text(rows if name == "Bee" else rows * 8)
    remove_frames(tmp_path / "NFS")
    sequences = by_name(load_dataset("nfs", root=tmp_path / "NFS", frames_required=False))
    np.testing.assert_array_equal(sequences["Bee"].boxes, expected["Bee"].boxes)        # every 8th row
    np.testing.assert_array_equal(sequences["Dog"].boxes, expected["Dog"].boxes)
    assert len(sequences["Car"]) == 5        # the one-frame trim needs the frames: 5 rows stay 5 frames
    (tmp_path / "NFS" / "Dog" / "240" / "Dog.txt").unlink()
    with pytest.raises(DatasetError, match=re.escape(str(tmp_path / "NFS" / "Dog" / "30" / "Dog.txt"))
                       + ".*without the frames.*NFS30.json"):
        load_dataset("nfs", root=tmp_path / "NFS", frames_required=False)
