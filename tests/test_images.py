"""Frames are verified as they are decoded: truncated, corrupt and wrong-size frames are refused.

OpenCV decodes a JPEG cut short without an error (grey rows), so these tests would pass with a
plain ``cv2.imread`` only if the check were there.
"""
import cv2
import numpy as np
import pytest

from benchmarks.runner.batched import DecodePool
from benchmarks.runner.tracking import FramePrefetcher
from simtrack.data import render_sequence
from simtrack.errors import TrackerInputError
from simtrack.formats.images import FrameSize, frame_problem, read_image

SIZE = (160, 120)


def encode(suffix, size=SIZE, seed=3, **params):
    frame = cv2.cvtColor(render_sequence(seed=seed, num_frames=1, size=size).frames[0], cv2.COLOR_RGB2BGR)
    flags = {"progressive": cv2.IMWRITE_JPEG_PROGRESSIVE, "restart": cv2.IMWRITE_JPEG_RST_INTERVAL,
             "quality": cv2.IMWRITE_JPEG_QUALITY}
    return cv2.imencode(suffix, frame, [v for k, value in params.items() for v in (flags[k], value)])[1].tobytes()


ENCODINGS = {"baseline": encode(".jpg"), "progressive": encode(".jpg", progressive=1),
             "restart markers": encode(".jpg", restart=2), "png": encode(".png")}


@pytest.mark.parametrize("name", ENCODINGS)
def test_whole_frames_pass_and_decode_as_opencv_does(tmp_path, name):
    data = ENCODINGS[name]
    path = tmp_path / f"f.{'png' if name == 'png' else 'jpg'}"
    path.write_bytes(data + b"\0\0 bytes after the end are ignored, as decoders ignore them")
    expected = cv2.cvtColor(cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)
    np.testing.assert_array_equal(read_image(path), expected)


def photo(channels, depth=np.uint8):
    """A noisy frame (every pixel value differs from its neighbours) with ``channels`` channels."""
    colour = cv2.cvtColor(render_sequence(seed=5, num_frames=1, size=SIZE).frames[0], cv2.COLOR_RGB2BGR)
    noisy = np.clip(colour + np.random.default_rng(5).integers(-40, 40, colour.shape), 0, 255).astype(np.uint8)
    image = {1: cv2.cvtColor(noisy, cv2.COLOR_BGR2GRAY), 3: noisy, 4: cv2.cvtColor(noisy, cv2.COLOR_BGR2BGRA)}[channels]
    if channels == 4:
        image[..., 3] = np.arange(image.shape[1], dtype=np.uint8)[None, :] * 2       # a varying alpha
    return image.astype(np.uint16) * 257 if depth == np.uint16 else image


FORMATS = [(suffix, channels) for suffix in (".jpg", ".png", ".bmp", ".webp", ".tif") for channels in (1, 3, 4)
           if (suffix, channels) != (".jpg", 4)] + [(".png16", 3), (".png16", 1), (".tif16", 4)]


@pytest.mark.parametrize("suffix, channels", FORMATS)
def test_frames_decode_to_the_same_pixels_as_bgr_then_conversion(tmp_path, suffix, channels):
    """read_image decodes straight to RGB where OpenCV can; the pixels must be those of decoding BGR and
    converting, bit for bit, whatever the format, channel count (grey, RGBA) or depth."""
    image = photo(channels, np.uint16 if suffix.endswith("16") else np.uint8)
    ok, data = cv2.imencode(suffix.removesuffix("16"), image)
    assert ok
    path = tmp_path / f"f{suffix.removesuffix('16')}"
    path.write_bytes(data.tobytes())
    expected = cv2.cvtColor(cv2.imdecode(data, cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)
    decoded = read_image(path)
    assert decoded.dtype == np.uint8 and decoded.shape == (*image.shape[:2], 3) and decoded.flags.c_contiguous
    np.testing.assert_array_equal(decoded, expected)


@pytest.mark.parametrize("name", ENCODINGS)
def test_a_frame_cut_anywhere_is_refused(name):
    data = ENCODINGS[name]
    cuts = sorted(set(np.linspace(8, len(data) - 1, 200).astype(int)))   # shorter: no signature, undecodable
    assert [cut for cut in cuts if frame_problem(data[:cut]) is None] == []


def test_the_half_jpeg_opencv_accepts_is_refused_with_its_path_and_the_fix(tmp_path):
    data = ENCODINGS["baseline"]
    path = tmp_path / "00000007.jpg"
    path.write_bytes(data[:len(data) // 2])
    assert cv2.imread(str(path)) is not None                          # what made this check necessary
    with pytest.raises(TrackerInputError, match=r"00000007.jpg is truncated.*re-extract or re-download"):
        read_image(path)


@pytest.mark.parametrize("damage, reason", [
    (lambda d: b"", "is empty"),
    (lambda d: d[:2] + b"\x00" + d[3:], "no JPEG marker at byte 2"),
    (lambda d: d[:2] + b"\xff\x05" + d[4:], "invalid JPEG marker 0xff05"),
    (lambda d: d[:-2] + b"\xff\x17\x00\x00\xff\xd9", "invalid JPEG marker 0xff17"),  # garbage after the scan
    (lambda d: d[:2] + b"\xff\xd9", "ends before any image data"),
    (lambda d: b"not an image at all", "cannot be decoded as an image"),
])
def test_corrupt_structure_is_refused(tmp_path, damage, reason):
    path = tmp_path / "frame.jpg"
    path.write_bytes(damage(ENCODINGS["baseline"]))
    with pytest.raises(TrackerInputError, match=reason):
        read_image(path)


def test_missing_and_unreadable_frames_name_the_path(tmp_path):
    with pytest.raises(TrackerInputError, match="gone.jpg does not exist"):
        read_image(tmp_path / "gone.jpg")
    with pytest.raises(TrackerInputError, match=r"is a folder, expected frame \(a file\)"):
        read_image(tmp_path)


def write(folder, name, data):
    path = folder / name
    path.write_bytes(data)
    return str(path)


def test_a_frame_of_another_size_fails_in_the_prefetcher_and_the_batched_pool(tmp_path):
    paths = [write(tmp_path, f"{i}.jpg", encode(".jpg", seed=i)) for i in range(3)]
    paths.append(write(tmp_path, "3.jpg", encode(".jpg", size=(120, 160))))
    message = r"3.jpg is 120x160 pixels but the sequence's first frame is 160x120"
    with pytest.raises(TrackerInputError, match=message):
        with FramePrefetcher(paths) as frames:
            assert len([frame for frame in frames]) == 3
    with DecodePool(workers=2, depth=4) as pool:
        pool.open("s", paths)
        assert [pool.next("s").shape for _ in range(3)] == [(120, 160, 3)] * 3
        with pytest.raises(TrackerInputError, match=message):
            pool.next("s")


def test_frame_size_starts_over_for_each_sequence():
    first, other = np.zeros((4, 6, 3), np.uint8), np.zeros((6, 4, 3), np.uint8)
    size = FrameSize()
    size.check(first, "a/1.jpg")
    with pytest.raises(TrackerInputError, match="a/2.jpg is 4x6 pixels but the sequence's first frame is 6x4"):
        size.check(other, "a/2.jpg")
    assert FrameSize().check(other, "b/1.jpg") is other
