"""Bad dataset input gives a DatasetError that names the path and says what was expected."""
import os
import re
import shutil
import threading

import numpy as np
import pytest
from fabricate import (
    make_folder,
    make_got10k,
    make_lasot,
    make_nfs,
    make_tnl2k,
    make_trackingnet,
    write_frames,
    write_rows,
)

from simtrack.data import load_dataset, resolve_root
from simtrack.data.files import read_boxes
from simtrack.data.synthetic.demo_root import MARKER, demo_marker
from simtrack.data.synthetic.generator import ensure_demo_dataset
from simtrack.errors import DatasetError


def raises(match, *args, **kwargs):
    with pytest.raises(DatasetError, match=match) as info:
        load_dataset(*args, **kwargs)
    return str(info.value)


def test_missing_root_says_where_and_how(tmp_path, monkeypatch):
    monkeypatch.setenv("SIMTRACK_DATA", str(tmp_path / "nowhere"))
    with pytest.raises(DatasetError) as info:
        resolve_root("lasot")
    message = str(info.value)
    assert str(tmp_path / "nowhere" / "LaSOT") in message and "$SIMTRACK_DATA" in message
    assert "LaSOT/<class>/<class>-<k>/img/00000001.jpg" in message and "groundtruth.txt" in message
    assert "--data-root DIR" in message and "SIMTRACK_DATA" in message
    assert len(re.findall(r"^  LaSOT/", message, flags=re.MULTILINE)) == 3
    raises(re.escape(str(tmp_path / "given")), "got10k", root=tmp_path / "given")


def test_folder_dataset_needs_a_root():
    raises("no default location", "folder")


def test_sequence_folder_without_groundtruth(tmp_path):
    make_folder(tmp_path)
    (tmp_path / "clip" / "groundtruth.txt").unlink()
    raises(re.escape(str(tmp_path / "clip" / "groundtruth.txt")), "folder", root=tmp_path)
    make_lasot(tmp_path / "LaSOT", names=["airplane-1"])
    gt = tmp_path / "LaSOT" / "airplane" / "airplane-1" / "groundtruth.txt"
    gt.unlink()
    raises(re.escape(str(gt)), "lasot", root=tmp_path / "LaSOT", sequences=["airplane-1"])


def test_wrong_line_counts(tmp_path):
    make_lasot(tmp_path / "LaSOT", names=["airplane-1"])
    flags = tmp_path / "LaSOT" / "airplane" / "airplane-1" / "out_of_view.txt"
    flags.write_text("0,0,0")
    message = raises("expected 6 flags", "lasot", root=tmp_path / "LaSOT", sequences=["airplane-1"])
    assert str(flags) in message

    make_tnl2k(tmp_path / "TNL2K", names=["seq"])
    write_rows(tmp_path / "TNL2K" / "seq" / "groundtruth.txt", [[1, 1, 2, 2]] * 3)
    raises(r"3 ground-truth rows for 4 frames", "tnl2k", root=tmp_path / "TNL2K")

    make_got10k(tmp_path / "GOT-10k", "val", names=["GOT-10k_Val_000001"])
    (tmp_path / "GOT-10k" / "val" / "GOT-10k_Val_000001" / "cover.label").write_text("1\n2\n")
    raises(r"cover.label: expected 6 cover levels", "got10k", root=tmp_path / "GOT-10k")


def test_ground_truth_longer_than_the_frames(tmp_path):
    make_trackingnet(tmp_path, "TRAIN_0", names=["clip_1"], num_frames=4)
    write_rows(tmp_path / "TRAIN_0" / "anno" / "clip_1.txt", [[1, 1, 2, 2]] * 5)
    message = raises("frame .*4.jpg does not exist", "trackingnet", root=tmp_path, split="train")
    assert str(tmp_path / "TRAIN_0" / "anno" / "clip_1.txt") in message


def test_unreadable_numbers_name_file_and_line(tmp_path):
    make_folder(tmp_path)
    gt = tmp_path / "clip" / "groundtruth.txt"
    lines = gt.read_text().splitlines()
    lines[2] = "1,2,three,4"
    gt.write_text("\n".join(lines))
    raises(re.escape(f"{gt}, line 3") + ".*'1,2,three,4'", "folder", root=tmp_path)
    gt.write_text("1,2,3\n4,5,6,7,8\n")                # right total, wrong rows
    raises(re.escape(f"{gt}, line 1: expected 4 numbers"), "folder", root=tmp_path)
    gt.write_text("\ufeff1,2,3,4\n\n 5;6;7;8 \n9\t10 11 12,\n1,2,3,x\n")
    raises(re.escape(f"{gt}, line 5:") + ".*'1,2,3,x'", "folder", root=tmp_path)


def test_mixed_separators_bom_and_blank_lines_parse(tmp_path):
    path = tmp_path / "groundtruth.txt"
    path.write_text("\ufeff1,2,3,4\r\n\r\n 5;6;7;8 \n9\t10  11 12,\nNaN,NaN,NaN,NaN\n")
    boxes = read_boxes(path)
    np.testing.assert_array_equal(boxes[:3], [[1, 2, 3, 4], [5, 6, 7, 8], [9, 10, 11, 12]])
    assert np.isnan(boxes[3]).all() and boxes.dtype == np.float64


def test_unknown_sequence_names_are_listed(tmp_path):
    make_got10k(tmp_path, "val")
    message = raises("GOT-10k_Val_000009", "got10k", root=tmp_path,
                     sequences=["GOT-10k_Val_000001", "GOT-10k_Val_000009"])
    assert str(tmp_path) in message and "close matches" in message
    make_got10k(tmp_path, "train", names=["GOT-10k_Train_000002"])
    raises("unknown sequence name.*GOT-10k_Train_000002", "got10k", root=tmp_path, split="vottrain",
           sequences=["GOT-10k_Train_000002"])


def test_missing_listed_sequence_folder(tmp_path):
    make_got10k(tmp_path, "val")
    shutil.rmtree(tmp_path / "val" / "GOT-10k_Val_000002")
    raises(re.escape(str(tmp_path / "val" / "GOT-10k_Val_000002")), "got10k", root=tmp_path)


def test_unknown_dataset_and_split():
    raises("unknown dataset 'lasott'.*did you mean 'lasot'", "lasott")
    raises("unknown split 'dev' for got10k.*vottrain", "got10k", split="dev")
    raises("already means split 'test'", "got10k_test", split="val")


def test_empty_frame_folder(tmp_path):
    write_frames(tmp_path / "clip", [])
    write_rows(tmp_path / "clip" / "groundtruth.txt", [[1, 1, 2, 2]])
    raises(re.escape(str(tmp_path / "clip" / "groundtruth.txt")) + ": the sequence has no frames", "folder",
           root=tmp_path)


def outcome_within(seconds, fifo, call):
    """What ``call()`` raised (None if nothing), failing the test if it is still blocked on ``fifo``
    after ``seconds``: the FIFO is then opened for writing and closed, so the reader gets EOF and returns."""
    outcome = {}

    def target():
        try:
            call()
        except Exception as error:          # handed to the test
            outcome["error"] = error
    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(seconds)
    if thread.is_alive():
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
        thread.join(seconds)
        pytest.fail(f"reading {fifo} blocked for {seconds} s")
    return outcome.get("error")


def test_an_nfs_annotation_that_is_a_fifo_is_refused_unread(tmp_path):
    make_nfs(tmp_path)
    annotation = tmp_path / "Bee" / "30" / "Bee.txt"
    annotation.unlink()
    os.mkfifo(annotation)
    error = outcome_within(10, annotation, lambda: load_dataset("nfs", root=tmp_path, frames_required=False))
    assert isinstance(error, DatasetError)
    assert str(error) == f"NfS annotation {annotation} is a FIFO (named pipe), not a regular file; refused unread"


def test_a_demo_marker_that_is_a_fifo_is_no_marker(tmp_path):
    os.mkfifo(tmp_path / MARKER)
    assert outcome_within(10, tmp_path / MARKER, lambda: demo_marker(tmp_path)) is None
    assert demo_marker(tmp_path) is None
    error = outcome_within(10, tmp_path / MARKER, lambda: ensure_demo_dataset(tmp_path, num_sequences=1,
                                                                               num_frames=1, size=(32, 24)))
    assert isinstance(error, DatasetError) and f"no {MARKER}" in str(error)
