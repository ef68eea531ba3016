"""Every dataset layout, fabricated in miniature, read back through load_dataset."""
import os
from pathlib import Path

import cv2
import numpy as np
import pytest
from fabricate import (
    make_avist,
    make_coco,
    make_dtb70,
    make_folder,
    make_got10k,
    make_lasot,
    make_nfs,
    make_otb,
    make_tc128,
    make_tnl2k,
    make_trackingnet,
    make_uav123,
    make_vasttrack,
    remove_frames,
    write_rows,
)

from simtrack.data import FrameList, dataset_key, dataset_names, load_dataset, resolve_root
from simtrack.data.readers.lasot import ATTRIBUTES


def by_name(sequences):
    return {sequence.name: sequence for sequence in sequences}


def check_against(sequence, fabricated):
    np.testing.assert_array_equal(sequence.boxes, fabricated.boxes)
    assert sequence.boxes.dtype == np.float64 and sequence.boxes.shape[1] == 4
    assert len(sequence.frames) == fabricated.num_frames
    assert os.path.basename(sequence.frames[0]) == fabricated.first_frame
    assert all(os.path.isfile(frame) for frame in sequence.frames)
    if fabricated.absent is None:
        assert sequence.absent is None
    else:
        np.testing.assert_array_equal(sequence.absent, fabricated.absent)


def pixel(path):
    return int(cv2.imread(str(path))[0, 0, 0])


def test_lasot_test_and_train_splits(tmp_path):
    expected = make_lasot(tmp_path / "LaSOT")
    test_names = ["airplane-1", "airplane-13", "rubicCube-1"]          # all three are LaSOT test videos
    sequences = load_dataset("lasot", root=tmp_path / "LaSOT", sequences=test_names)
    assert [s.name for s in sequences] == test_names
    for sequence in sequences:
        check_against(sequence, expected[sequence.name])
        assert sequence.dataset == "lasot"
        assert sequence.language == f"the {sequence.name} target"
        assert sequence.meta["object_class"] == sequence.name.rsplit("-", 1)[0]
        flags = expected[sequence.name].extra["attribute_flags"]
        assert sequence.attributes == {full: bool(flag) for (_, full), flag in zip(ATTRIBUTES, flags)}
    first = sequences[0]
    assert first.absent.tolist() == [False, True, True, False, True, False]
    assert first.frames[3].endswith(os.path.join("airplane", "airplane-1", "img", "00000004.jpg"))
    assert [pixel(frame) for frame in first.frames] == list(range(6))
    assert isinstance(first.frames, FrameList) and first.frames[1:3] == [first.frames[1], first.frames[2]]

    train = load_dataset("lasot", root=tmp_path / "LaSOT", split="train")
    assert [s.name for s in train] == ["airplane-2"] and train[0].dataset == "lasot_train"


def test_lasot_own_test_list_and_lasot_ext(tmp_path):
    names = ["atv-1", "atv-10", "atv-2", "wingsuit-3"]
    make_lasot(tmp_path / "ext", names=names, attributes=False)
    ext = load_dataset("lasot_ext", root=tmp_path / "ext")
    assert [s.name for s in ext] == ["atv-1", "atv-2", "atv-10", "wingsuit-3"]
    assert all(s.attributes == {} and s.dataset == "lasot_ext" for s in ext)

    make_lasot(tmp_path / "own", names=["cat-1", "cat-2"], test_list=True)
    assert [s.name for s in load_dataset("lasot", root=tmp_path / "own")] == ["cat-1", "cat-2"]


def test_got10k_val_labels_and_meta(tmp_path):
    expected = make_got10k(tmp_path / "GOT-10k", "val")
    sequences = load_dataset("got10k", root=tmp_path / "GOT-10k")
    assert [s.name for s in sequences] == ["GOT-10k_Val_000001", "GOT-10k_Val_000002"]
    for sequence in sequences:
        fabricated = expected[sequence.name]
        check_against(sequence, fabricated)
        assert sequence.dataset == "got10k_val"
        np.testing.assert_array_equal(sequence.meta["cover"], fabricated.extra["cover"])
        assert sequence.meta["cover"].dtype.kind == "i"
        np.testing.assert_array_equal(sequence.meta["cut_by_image"], fabricated.extra["cut_by_image"])
        assert sequence.meta["image_size"] == (8, 6)
        assert sequence.meta["fps"] == 10
        assert sequence.meta["object_class"] == "cat" and sequence.meta["url"] == "https://example.org/video"
    assert by_name(load_dataset("got10k_val", root=tmp_path / "GOT-10k")).keys() == expected.keys()


def test_got10k_test_has_first_box_only(tmp_path):
    expected = make_got10k(tmp_path, "test", num_frames=5)
    sequences = load_dataset("got10k_test", root=tmp_path)
    for sequence in sequences:
        check_against(sequence, expected[sequence.name])
        assert sequence.boxes.shape == (1, 4) and not sequence.fully_annotated
        assert sequence.dataset == "got10k_test"
    np.testing.assert_array_equal(sequences[0].init_box, expected["GOT-10k_Test_000001"].boxes[0])


def test_got10k_vot_splits_use_shipped_lists(tmp_path):
    # Train_000001 belongs to the VOT-filtered training list, Train_000002 to its validation list.
    make_got10k(tmp_path, "train", names=["GOT-10k_Train_000001", "GOT-10k_Train_000002"])
    assert [s.name for s in load_dataset("got10k", root=tmp_path, split="train")] == \
        ["GOT-10k_Train_000001", "GOT-10k_Train_000002"]
    vottrain = load_dataset("got10k", root=tmp_path, split="vottrain", sequences=["GOT-10k_Train_000001"])
    assert vottrain[0].dataset == "got10k_vottrain" and len(vottrain[0]) == 6
    votval = load_dataset("got10k", root=tmp_path, split="VOTVAL", sequences=["GOT-10k_Train_000002"])
    assert votval[0].name == "GOT-10k_Train_000002"
    assert dataset_key("got10k", "train_full") == "got10k_train_full"


def test_trackingnet_numeric_frames_and_chunks(tmp_path):
    expected = make_trackingnet(tmp_path, "TEST")
    train = make_trackingnet(tmp_path, "TRAIN_3", names=["abc_0"], num_frames=4)
    sequences = load_dataset("trackingnet", root=tmp_path)
    assert [s.name for s in sequences] == ["-3TIfnTSM6c_2", "_0aXy_ab_1"]
    for sequence in sequences:
        check_against(sequence, expected[sequence.name])
        assert sequence.dataset == "trackingnet" and sequence.boxes.shape == (1, 4)
    frames = sequences[0].frames
    assert [os.path.basename(f) for f in frames[:3]] + [os.path.basename(frames[10])] == \
        ["0.jpg", "1.jpg", "2.jpg", "10.jpg"]
    assert [pixel(f) for f in frames] == list(range(11))
    np.testing.assert_allclose(sequences[0].boxes[0], expected["-3TIfnTSM6c_2"].boxes[0])

    for split in ("train", "TRAIN_3"):
        (chunk,) = load_dataset("trackingnet", root=tmp_path, split=split)
        check_against(chunk, train["abc_0"])
        assert chunk.meta["chunk"] == "TRAIN_3"
    assert chunk.dataset == "trackingnet_train_3"


def test_uav123_shared_folders_and_nan_rows(tmp_path):
    expected = make_uav123(tmp_path)
    sequences = by_name(load_dataset("uav123", root=tmp_path))
    assert list(sequences) == ["truck4_1", "truck4_2", "uav2"]
    for name, sequence in sequences.items():
        check_against(sequence, expected[name])
    part = sequences["truck4_2"]
    assert part.frames[0].endswith(os.path.join("truck4", "000577.jpg"))
    assert part.frames[-1].endswith(os.path.join("truck4", "001261.jpg"))
    assert pixel(part.frames[0]) == 576 % 256
    assert sequences["uav2"].absent.tolist() == [False, True, True, False, False]
    assert np.isnan(sequences["uav2"].boxes[1]).all()


def test_otb_quirks(tmp_path):
    expected = make_otb(tmp_path)
    sequences = by_name(load_dataset("otb100", root=tmp_path))
    assert set(sequences) == {"Basketball", "Board", "Car4", "David", "Human4", "Jogging-1", "Jogging-2", "Tiger1"}
    for name, sequence in sequences.items():
        check_against(sequence, expected[name])
    assert sequences["Tiger1"].frames[0].endswith("0006.jpg") and len(sequences["Tiger1"]) == 349
    assert sequences["David"].frames[0].endswith("0300.jpg") and sequences["David"].frames[-1].endswith("0770.jpg")
    assert sequences["Board"].frames[-1].endswith("00698.jpg")
    assert sequences["Jogging-1"].frames == sequences["Jogging-2"].frames
    assert not np.array_equal(sequences["Jogging-1"].boxes, sequences["Jogging-2"].boxes)


def test_nfs_subsamples_240fps_labels(tmp_path):
    expected = make_nfs(tmp_path)
    sequences = by_name(load_dataset("nfs", root=tmp_path))
    for name, sequence in sequences.items():
        check_against(sequence, expected[name])
        assert sequence.meta["fps"] == 30
    assert len(sequences["Bee"].boxes) == 5 and len(sequences["Car"].boxes) == 4


def test_tnl2k_language_and_png_frames(tmp_path):
    expected = make_tnl2k(tmp_path)
    for sequence in load_dataset("tnl2k", root=tmp_path):
        check_against(sequence, expected[sequence.name])
        assert sequence.language == expected[sequence.name].extra["language"]


def test_coco_instances_are_one_frame_sequences(tmp_path):
    expected = make_coco(tmp_path)
    sequences = load_dataset("coco", root=tmp_path)
    assert [s.name for s in sequences] == ["9_100", "25_102"]
    for sequence in sequences:
        check_against(sequence, expected[sequence.name])
        assert sequence.meta["object_class"] == expected[sequence.name].extra["object_class"]
        assert sequence.meta["image_size"] == (8, 6)


def test_generic_folder_layout(tmp_path):
    expected = make_folder(tmp_path)
    sequences = by_name(load_dataset("folder", root=tmp_path))
    for name, sequence in sequences.items():
        check_against(sequence, expected[name])
    assert [pixel(f) for f in sequences["clip"].frames] == list(range(12))
    assert sequences["stills"].boxes.shape == (1, 4)


def test_resolve_root_order(tmp_path, monkeypatch):
    (tmp_path / "env" / "UAV123").mkdir(parents=True)
    (tmp_path / "cwd" / "data" / "UAV123").mkdir(parents=True)
    monkeypatch.chdir(tmp_path / "cwd")
    monkeypatch.delenv("SIMTRACK_DATA", raising=False)
    assert resolve_root("uav123") == Path("data") / "UAV123"
    monkeypatch.setenv("SIMTRACK_DATA", str(tmp_path / "env"))
    assert resolve_root("uav123") == tmp_path / "env" / "UAV123"
    assert resolve_root("uav123", tmp_path / "cwd" / "data") == tmp_path / "cwd" / "data" / "UAV123"
    assert resolve_root("uav123", tmp_path / "env" / "UAV123") == tmp_path / "env" / "UAV123"


def test_names_and_keys():
    assert {"lasot", "lasot_ext", "got10k", "got10k_val", "got10k_test", "trackingnet", "uav123", "tnl2k",
            "otb100", "nfs", "tc128", "tc128ce", "dtb70", "vasttrack", "avist", "coco", "folder",
            "demo"} == set(dataset_names())
    assert dataset_key("lasot") == "lasot" and dataset_key("got10k") == "got10k_val"
    assert dataset_key("got10k_test") == "got10k_test" and dataset_key("trackingnet", "train") == "trackingnet_train"


def test_a_folder_of_webp_or_tiff_frames_is_read_as_simtrack_track_reads_it(tmp_path):
    """One list of image extensions: what ``simtrack.track`` takes as frames, ``--dataset folder`` does too."""
    from simtrack.formats.video import FrameSource
    frames = tmp_path / "clip"
    frames.mkdir()
    for index in (1, 2, 10):
        assert cv2.imwrite(str(frames / f"{index}.webp"), np.full((6, 8, 3), index, np.uint8))
    (frames / "._1.webp").write_bytes(b"resource fork")                  # hidden: never a frame
    write_rows(frames / "groundtruth.txt", [[1, 1, 3, 3]])
    (sequence,) = load_dataset("folder", root=tmp_path)
    assert [Path(frame).name for frame in sequence.frames] == ["1.webp", "2.webp", "10.webp"]
    assert [path.name for path in FrameSource(frames).frames] == ["1.webp", "2.webp", "10.webp"]


def test_otb_tiger1_keeps_the_rows_initomit_skips_for_got10k(tmp_path):
    from simtrack.data.readers.otb import from_frame_one
    make_otb(tmp_path)
    tiger = by_name(load_dataset("otb100", root=tmp_path, sequences=["Tiger1"]))["Tiger1"]
    whole = from_frame_one(tiger)
    assert len(tiger.boxes) == 349 and len(whole.boxes) == len(whole) == 354
    assert whole.frames[0].endswith("0001.jpg") and whole.frames[5] == tiger.frames[0]
    np.testing.assert_array_equal(whole.boxes[5:], tiger.boxes)
    assert from_frame_one(whole) is whole
    # pysot's OTB100.json starts Tiger1 at frame 6: got10k's reading cannot be rebuilt from it
    from fabricate import write_pysot_json

    from simtrack.errors import DatasetError
    json_path = write_pysot_json(tmp_path / "OTB100.json", [tiger])
    with pytest.raises(DatasetError, match="starts at frame 6 .*point --data-root at the OTB folders"):
        from_frame_one(load_dataset("otb100", root=json_path)[0])


def test_tc128_frame_ranges_and_the_ce_subset(tmp_path):
    expected = make_tc128(tmp_path / "TC128")
    sequences = by_name(load_dataset("tc128", root=tmp_path))       # found as <root>/TC128
    assert list(sequences) == sorted(expected)
    for name, sequence in sequences.items():
        check_against(sequence, expected[name])
    assert sequences["David"].frames[-1].endswith("0305.jpg") and pixel(sequences["David"].frames[0]) == 299 % 256
    assert sequences["Busstation_ce2"].frames[0].endswith("0006.jpg")      # range file in lower case
    ce = load_dataset("tc128ce", root=tmp_path / "TC128")
    assert [seq.name for seq in ce] == ["Busstation_ce2", "Yo-yos_ce1"] and ce[0].dataset == "tc128ce"
    remove_frames(tmp_path)
    bare = by_name(load_dataset("tc128", root=tmp_path / "TC128", frames_required=False))
    assert len(bare["David"]) == 6 and bare["David"].frames[0].endswith("0300.jpg")


def test_dtb70_five_digit_frames_and_zero_rows(tmp_path):
    expected = make_dtb70(tmp_path / "DTB70")
    sequences = by_name(load_dataset("dtb70", root=tmp_path))
    for name, sequence in sequences.items():
        check_against(sequence, expected[name])
    assert (sequences["Car6"].boxes[2:4] == 0).all() and sequences["Animal1"].boxes[0, 0] % 1 == 0.25


def test_vasttrack_classes_with_spaces_absent_rows_and_both_frame_folders(tmp_path):
    expected = make_vasttrack(tmp_path / "VastTrack")
    sequences = by_name(load_dataset("vasttrack", root=tmp_path))
    assert list(sequences) == list(expected)                          # the root's own testing_set.txt
    for name, sequence in sequences.items():
        check_against(sequence, expected[name])
    tape = sequences["Adhesive Tape-38"]
    assert tape.meta["object_class"] == "Adhesive Tape" and tape.language == "the Adhesive Tape-38 target"
    assert tape.absent.tolist() == [False, True, True, False, False, False]
    assert len(tape.attributes) == 10 and tape.attributes["Low Resolution"] is False
    imgs = make_vasttrack(tmp_path / "other", names=("Zither-16",), frame_folder="imgs")
    check_against(load_dataset("vasttrack", root=tmp_path / "other")[0], imgs["Zither-16"])
    from simtrack.data.readers.vasttrack import names, object_class
    shipped = names(tmp_path, "test")
    assert len(shipped) == 3500 == len(set(shipped)) and sum(" " in name for name in shipped) == 2120
    assert object_class("Adhesive Tape-38") == "Adhesive Tape" and len(set(map(object_class, shipped))) == 701


def test_avist_flags_and_frames(tmp_path):
    expected = make_avist(tmp_path / "AVisT")
    sequences = by_name(load_dataset("avist", root=tmp_path))
    for name, sequence in sequences.items():
        check_against(sequence, expected[name])
    assert sequences["caemoflaging_octopus"].absent.tolist() == [False, True, False, True, True, False]
    remove_frames(tmp_path)
    bare = by_name(load_dataset("avist", root=tmp_path, frames_required=False))
    assert len(bare["air_show_1"]) == 6 and bare["air_show_1"].frames[0].endswith("img_00001.jpg")
