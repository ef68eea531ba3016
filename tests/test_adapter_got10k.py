"""The got10k toolkit (0.1.3) running SimTrack through our adapter on fabricated local data."""
import gc
import json
import os
import warnings
from pathlib import Path

import cv2
import numpy as np
import pytest
from model_helpers import random_model
from PIL import Image

import simtrack
from simtrack.checkpoints import save_checkpoint
from simtrack.data.synthetic.generator import DEMO_SEED_BASE, render_sequence
from simtrack.errors import DatasetError, TrackerInputError
from simtrack.formats.images import read_image

os.environ.setdefault("MPLBACKEND", "Agg")
pytest.importorskip("got10k")          # optional third-party package; our adapter must then import
from simtrack.adapters import got10k as got10k_adapter  # noqa: E402
from simtrack.adapters.got10k import SimTrackGOT10k  # noqa: E402

SIZE = (96, 72)
FRAMES = 16


def write_video(folder, seed, name_format):
    """JPEG frames of one synthetic video in ``folder``; returns its boxes."""
    video = render_sequence(seed, FRAMES, SIZE)
    folder.mkdir(parents=True, exist_ok=True)
    for index, frame in enumerate(video.frames, start=1):
        cv2.imwrite(str(folder / name_format.format(index)), cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
    return video.boxes


def make_otb(root):
    """Basketball (comma GT), Bolt (tab GT) and Jogging with two targets, as OTB names them."""
    for k, (name, sep) in enumerate((("Basketball", ","), ("Bolt", "\t"))):
        boxes = write_video(root / name / "img", DEMO_SEED_BASE + k, "{:04d}.jpg")
        np.savetxt(root / name / "groundtruth_rect.txt", boxes, fmt="%g", delimiter=sep)
    boxes = write_video(root / "Jogging" / "img", DEMO_SEED_BASE + 2, "{:04d}.jpg")
    np.savetxt(root / "Jogging" / "groundtruth_rect.1.txt", boxes, fmt="%g", delimiter=",")
    np.savetxt(root / "Jogging" / "groundtruth_rect.2.txt", boxes + [2, 1, 0, 0], fmt="%g", delimiter=",")


def make_got10k_val(root):
    """Two GOT-10k val sequences with labels, meta_info.ini and an absent span in the second."""
    names = ["GOT-10k_Val_000001", "GOT-10k_Val_000002"]
    for k, name in enumerate(names):
        folder = root / "val" / name
        boxes = write_video(folder, DEMO_SEED_BASE + 10 + k, "{:08d}.jpg")
        np.savetxt(folder / "groundtruth.txt", boxes, fmt="%.4f", delimiter=",")
        absence = np.zeros(FRAMES, dtype=int)
        absence[5:8] = k
        labels = {"absence": absence, "cover": np.where(absence, 0, 8), "cut_by_image": np.zeros(FRAMES, int)}
        for label, values in labels.items():
            np.savetxt(folder / f"{label}.label", values, fmt="%d")
        (folder / "meta_info.ini").write_text(
            "[METAINFO]\nobject_class: box\nmotion_class: moving\nmajor_class: thing\nroot_class: object\n"
            f"motion_adverb: slowly\nresolution: ({SIZE[0]}, {SIZE[1]})\n")
    (root / "val" / "list.txt").write_text("\n".join(names) + "\n")


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    path = tmp_path_factory.mktemp("weights") / "tiny.safetensors"
    return save_checkpoint(random_model("tiny", seed=5), path)


@pytest.fixture
def tracker(checkpoint):
    return SimTrackGOT10k.from_checkpoint(checkpoint, device="cpu")


def direct_boxes(checkpoint, img_files, init_box):
    """Our Tracker on the same frames, without the toolkit."""
    tracker = simtrack.Tracker.from_checkpoint(checkpoint, device="cpu")
    tracker.init(read_image(img_files[0]), init_box)
    return np.array([init_box] + [tracker.update(read_image(path)) for path in img_files[1:]])


def assert_written_like(record_file, boxes):
    """The toolkit writes ``%.3f``: compare text to text."""
    written = Path(record_file).read_text().split()
    assert written == [",".join(f"{v:.3f}" for v in box) for box in boxes]


def assert_unit_interval(*values):
    for value in values:
        assert np.isfinite(value) and 0 <= value <= 1, value


def test_otb_experiment_on_local_data_matches_our_tracker(tmp_path, tracker, checkpoint, monkeypatch):
    import got10k.datasets.otb as otb_module

    monkeypatch.setattr(otb_module, "download", lambda *a, **k: pytest.fail("the OTB experiment tried to download"))
    make_otb(tmp_path / "OTB")
    experiment = got10k_adapter.local_otb_experiment(tmp_path / "OTB", tmp_path / "results", tmp_path / "reports")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ResourceWarning)
        experiment.run(tracker)
        gc.collect()
    assert not [w for w in caught if issubclass(w.category, ResourceWarning)]
    performance = experiment.report([tracker.name])
    assert json.loads((tmp_path / "reports/OTB2015/SimTrack/performance.json").read_text()) == \
        json.loads(json.dumps(performance))
    overall = performance["SimTrack"]["overall"]
    assert_unit_interval(overall["success_score"], overall["precision_score"], overall["success_rate"])
    assert set(performance["SimTrack"]["seq_wise"]) == {"Basketball", "Bolt", "Jogging.1", "Jogging.2"}
    for index, name in enumerate(experiment.dataset.seq_names):
        img_files, anno = experiment.dataset[index]
        assert_written_like(tmp_path / f"results/OTB2015/SimTrack/{name}.txt",
                            direct_boxes(checkpoint, img_files, anno[0]))


def test_got10k_val_experiment_runs_once_and_reports(tmp_path, tracker, checkpoint):
    make_got10k_val(tmp_path / "GOT-10k")
    experiment = got10k_adapter.local_got10k_experiment(tmp_path / "GOT-10k", "val", tmp_path / "results",
                                                        tmp_path / "reports")
    experiment.run(tracker)
    performance = experiment.report([tracker.name])
    overall = performance["SimTrack"]["overall"]
    assert_unit_interval(overall["ao"], overall["sr"], *overall["succ_curve"])
    assert (tmp_path / "reports/GOT-10k/SimTrack/performance.json").is_file()
    for index, name in enumerate(experiment.dataset.seq_names):
        runs = sorted((tmp_path / "results/GOT-10k/SimTrack" / name).glob(f"{name}_[0-9]*.txt"))
        assert [run.name for run in runs] == [f"{name}_001.txt"]     # deterministic: one repetition
        img_files, anno = experiment.dataset[index][:2]
        assert_written_like(runs[0], direct_boxes(checkpoint, img_files, anno[0]))


def test_init_and_update_take_pil_images_of_any_mode(tracker):
    video = render_sequence(DEMO_SEED_BASE + 3, 4, SIZE)
    as_array = simtrack.Tracker(tracker.tracker.model, device="cpu")
    as_array.init(video.frames[0], video.boxes[0])
    tracker.init(Image.fromarray(video.frames[0]), video.boxes[0])
    for frame in video.frames[1:]:
        np.testing.assert_array_equal(tracker.update(Image.fromarray(frame)), as_array.update(frame))
    gray = Image.fromarray(video.frames[1]).convert("L")
    assert tracker.update(gray).shape == (4,)
    assert tracker.is_deterministic and tracker.name == "SimTrack"


def test_missing_or_empty_roots_raise_dataset_errors(tmp_path):
    with pytest.raises(DatasetError, match="does not exist"):
        got10k_adapter.local_otb_experiment(tmp_path / "nowhere")
    (tmp_path / "empty").mkdir()
    with pytest.raises(DatasetError, match="no OTB2015 sequence"):
        got10k_adapter.local_otb_experiment(tmp_path / "empty")
    with pytest.raises(DatasetError, match="val/list.txt"):
        got10k_adapter.local_got10k_experiment(tmp_path / "empty")
    (tmp_path / "empty" / "val").mkdir()
    (tmp_path / "empty" / "val" / "list.txt").write_text("GOT-10k_Val_000009\n")
    with pytest.raises(DatasetError, match="GOT-10k_Val_000009"):
        got10k_adapter.local_got10k_experiment(tmp_path / "empty")


def test_track_refuses_truncated_and_wrong_size_frames(tmp_path, tracker):
    boxes = write_video(tmp_path / "clip", DEMO_SEED_BASE + 4, "{:04d}.jpg")
    frames = sorted(str(path) for path in (tmp_path / "clip").glob("*.jpg"))[:4]
    whole = Path(frames[2]).read_bytes()
    Path(frames[2]).write_bytes(whole[:len(whole) // 2])
    with pytest.raises(TrackerInputError, match=r"0003.jpg is truncated"):
        tracker.track(frames, boxes[0])
    cv2.imwrite(frames[2], np.zeros((SIZE[0], SIZE[1], 3), np.uint8))     # rotated: 72x96 instead of 96x72
    with pytest.raises(TrackerInputError, match=r"0003.jpg is 72x96 pixels but the sequence's first frame is 96x72"):
        tracker.track(frames, boxes[0])
