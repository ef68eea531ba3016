"""Training inputs: pair sampling, mixing, crops and target encoding, sources in every dataset layout."""
import dataclasses

import numpy as np
import pytest
import torch
from fabricate import make_coco, make_got10k, make_lasot, make_trackingnet

from simtrack.data import Sequence
from simtrack.errors import DatasetError
from simtrack.model import get_config
from simtrack.train.config import DataSection, DatasetEntry, Jitter
from simtrack.train.data import EpochBatches, PairDataset, build_processor, load_pools
from simtrack.train.processing import CropSpec, PairProcessor, box_in_crop
from simtrack.train.sampler import MixedPairSampler, SequencePool, sample_frame_pair, visible_frames

TINY = get_config("tiny")


def video(visible, name="v"):
    """A sequence whose frames are never read, with the given visibility (as absence flags)."""
    n = len(visible)
    return Sequence(name=name, dataset="t", frames=[f"{i}.jpg" for i in range(n)],
                    boxes=np.tile([1.0, 1.0, 4.0, 3.0], (n, 1)), absent=~np.asarray(visible, bool))


def test_visible_frames_combines_every_flag():
    sequence = video(np.ones(6, bool))
    sequence.absent[1] = True
    sequence.boxes[2] = np.nan
    sequence.boxes[3, 2] = 0
    sequence.meta["cover"] = np.array([1, 1, 1, 1, 0, 8])
    assert visible_frames(sequence).tolist() == [True, False, False, False, False, True]


def test_pairs_respect_visibility_and_gap():
    rng = np.random.default_rng(0)
    visible = (np.arange(300) % 3 != 1) & (rng.random(300) < 0.9)
    visible[np.arange(0, 300, 3)] = True         # never more than 2 hidden frames in a row
    max_gap = 7
    pairs = np.array([sample_frame_pair(visible, max_gap, rng) for _ in range(3000)])
    template, search = pairs[:, 0], pairs[:, 1]
    assert visible[template].all() and visible[search].all()
    assert (template < len(visible) - 1).all()
    gaps = search - template
    assert gaps.min() >= 1 and gaps.max() <= max_gap - 1   # a visible frame is always within 6
    assert set(gaps) == set(range(1, max_gap))
    assert len(set(template)) > 0.9 * visible[:-1].sum()


def test_gap_grows_until_a_visible_search_frame_exists():
    visible = np.zeros(60, bool)
    visible[[0, 1, 2, 3, 4, 40]] = True          # after frame 4 the next visible one is 36 frames away
    rng = np.random.default_rng(1)
    for _ in range(200):
        template, search = sample_frame_pair(visible, 5, rng)
        assert visible[template] and visible[search] and template < search <= template + 4 + 40


def test_pool_keeps_only_sequences_that_can_give_pairs():
    still = Sequence(name="image", dataset="coco", frames=["a.jpg"], boxes=np.array([[1.0, 1, 2, 2]]))
    pool = SequencePool("mixed", [video(np.ones(20, bool), "long"), video(np.ones(19, bool), "short"),
                                  video(np.r_[np.ones(4), np.zeros(30)].astype(bool), "hidden"), still])
    assert [s.name for s in pool.sequences] == ["long", "image"]
    pair = SequencePool("coco", [still]).draw(np.random.default_rng(0), 200)
    assert (pair.template_frame, pair.search_frame) == (0, 0)
    with pytest.raises(DatasetError, match="none of its 1 sequences"):
        SequencePool("short only", [video(np.ones(10, bool))])
    test_split = Sequence(name="t", dataset="x", frames=["a"] * 30, boxes=np.ones((1, 4)))
    with pytest.raises(DatasetError, match="one box per frame"):
        SequencePool("test split", [test_split])


def test_datasets_are_mixed_by_ratio_not_size():
    big = SequencePool("big", [video(np.ones(25, bool), f"b{i}") for i in range(30)])
    small = SequencePool("small", [video(np.ones(25, bool), "s")])
    sampler = MixedPairSampler([big, small], [1, 3], max_gap=10)
    rng = np.random.default_rng(2)
    names = [sampler.draw(rng).sequence.name for _ in range(2000)]
    assert abs(names.count("s") / 2000 - 0.75) < 0.04


def target_frame(box, size=(200, 150)):
    frame = np.zeros((size[1], size[0], 3), np.uint8)
    x, y, w, h = box
    frame[y:y + h, x:x + w] = (255, 255, 255)
    return frame


def crop_pixels(array):
    """Undo the ImageNet normalisation: CHW float -> HWC in 0..1."""
    mean, std = np.array([0.485, 0.456, 0.406]), np.array([0.229, 0.224, 0.225])
    return array.transpose(1, 2, 0) * std + mean


def assert_box_on_target(image, box):
    """The encoded box must frame the white rectangle: white inside, black just outside."""
    size = image.shape[0]
    x1, y1, w, h = box * size
    x2, y2 = x1 + w, y1 + h
    gray = image.mean(2)
    inside = gray[int(np.ceil(y1 + 1)):int(y2 - 1), int(np.ceil(x1 + 1)):int(x2 - 1)]
    assert inside.size and inside.min() > 0.6
    ring = np.ones_like(gray, bool)
    ring[max(int(y1 - 2), 0):int(y2 + 3), max(int(x1 - 2), 0):int(x2 + 3)] = False
    assert gray[ring].max() < 0.4


@pytest.mark.parametrize("flips", [0.0, 1.0])
def test_crops_place_the_target_where_the_encoding_says(flips):
    processor = PairProcessor(CropSpec(2.0, 56, 7, 0.0, 0.0), CropSpec(4.0, 112, 14, 2.0, 0.3),
                              grayscale_prob=0.0, frame_flip_prob=flips, crop_flip_prob=flips,
                              brightness_jitter=0.0)
    template_box, search_box = (60, 50, 24, 18), (80, 60, 26, 16)
    rng = np.random.default_rng(3)
    for _ in range(10):
        sample = processor(target_frame(template_box), np.array(template_box, float),
                           target_frame(search_box), np.array(search_box, float), rng)
        assert sample["template"].shape == (3, 56, 56) and sample["search"].shape == (3, 112, 112)
        assert_box_on_target(crop_pixels(sample["template"]), sample["template_anno"])
        assert_box_on_target(crop_pixels(sample["search"]), sample["search_box"])
        # Without template jitter the template box is centred, sized by the crop's resize factor.
        side = np.ceil(np.sqrt(24 * 18) * 2.0)
        expected = box_in_crop(template_box, template_box, 56 / side, 56)
        np.testing.assert_allclose(expected[:2] + expected[2:] / 2, 27.5 / 56, atol=1e-9)
        if flips:
            expected[0] = 1 - expected[0] - expected[2]
        np.testing.assert_allclose(sample["template_anno"], expected, atol=1e-6)


def test_crop_outside_the_frame_is_refused():
    processor = PairProcessor(CropSpec(2.0, 56, 7, 0.0, 0.0), CropSpec(4.0, 112, 14, 0.0, 0.0))
    frame = target_frame((10, 10, 5, 5), size=(40, 30))
    outside = np.array([500.0, 400.0, 5.0, 5.0])
    assert processor(frame, np.array([10.0, 10, 5, 5]), frame, outside, np.random.default_rng(0)) is None


def mini_datasets(root):
    make_lasot(root / "LaSOT", names=("zebra-91", "zebra-92"), num_frames=20)
    make_got10k(root / "GOT-10k", split="train", num_frames=20)
    make_trackingnet(root / "TrackingNet", chunk="TRAIN_0", num_frames=21)
    make_coco(root / "COCO")
    return DataSection(root=str(root), samples_per_epoch=16, workers=0, datasets=(
        DatasetEntry("lasot", "train"), DatasetEntry("got10k", "train"),
        DatasetEntry("trackingnet", ["train_0"]), DatasetEntry("coco", "train2017")))


def test_every_layout_feeds_training(tmp_path):
    data = mini_datasets(tmp_path)
    pools, ratios = load_pools(data)
    assert [len(pool) for pool in pools] == [2, 2, 2, 2] and ratios == [1.0] * 4
    # GOT-10k frames 3-4 of the first sequence are absent; LaSOT's first sequence has occluded frames.
    assert not pools[1].visible[0][2:4].any() and not pools[0].visible[0][1:3].any()
    dataset = PairDataset(MixedPairSampler(pools, ratios, 200), build_processor(TINY, data), seed=0)
    seen = set()
    for index in range(24):
        sample = dataset[index]
        assert sample["template"].shape == (3, 56, 56) and sample["search"].shape == (3, 112, 112)
        assert torch.isfinite(sample["search_box"]).all()
        seen.add(dataset.sampler.draw(np.random.default_rng([0, index])).sequence.dataset)
    assert seen == {"lasot_train", "got10k_train", "trackingnet_train_0", "coco"}
    # A sample is a function of (seed, index) only.
    torch.testing.assert_close(dataset[5]["search"], dataset[5]["search"])


def test_bad_dataset_paths_and_layouts_are_clear(tmp_path):
    missing = DataSection(root=str(tmp_path / "nowhere"), datasets=(DatasetEntry("got10k", "train"),))
    with pytest.raises(DatasetError, match="got10k dataset not found at .*nowhere.*data.root"):
        load_pools(missing)
    make_lasot(tmp_path / "LaSOT", names=("zebra-91",), num_frames=20)
    wrong = DataSection(datasets=(DatasetEntry("got10k", "train", root=str(tmp_path / "LaSOT")),))
    with pytest.raises(DatasetError, match="expected layout"):
        load_pools(wrong)
    with pytest.raises(DatasetError, match="unknown split"):
        load_pools(DataSection(datasets=(DatasetEntry("lasot", "vottrain", root=str(tmp_path / "LaSOT")),)))


def test_epoch_batches_split_global_batches_between_processes():
    ranks = [EpochBatches(20, 2, rank, 2) for rank in (0, 1)]
    for batches in ranks:
        batches.set_epoch(1, start_batch=3)
    first = [list(batches) for batches in ranks]
    assert len(ranks[0]) == 2
    assert first[0] == [[32, 33], [36, 37]] and first[1] == [[34, 35], [38, 39]]


def test_pairs_per_sequence_shares_the_sequence_not_the_frames():
    pool = SequencePool("many", [video(np.ones(40, bool), f"s{i}") for i in range(50)])
    data = dataclasses.replace(DataSection(), search_jitter=Jitter(0.0, 0.0))
    dataset = PairDataset(MixedPairSampler([pool], [1], 200), build_processor(TINY, data), seed=0,
                          pairs_per_sequence=4)
    picks = []
    for index in range(8):
        rng = np.random.default_rng([0, index])
        shared = np.random.default_rng([0, index // 4, 1])
        pair = dataset.sampler.draw(rng, shared)
        picks.append((pair.sequence.name, pair.template_frame))
    assert len({name for name, _ in picks[:4]}) == 1 and len({name for name, _ in picks[4:]}) == 1
    assert len({frame for _, frame in picks[:4]}) > 1
