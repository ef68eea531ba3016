import numpy as np
import pytest

from simtrack.crop import crop_window, sample_target


def test_crop_side_is_ceiled_and_placement_rounds_half_to_even():
    # side = ceil(sqrt(10*10)*2) = 20; x1 = round(2.5 + 5 - 10) = round(-2.5) = -2 (even)
    assert crop_window((2.5, 3.5, 10, 10), 2.0) == (-2, -2, 20)
    # x1 = round(3.5 + 5 - 10) = round(-1.5) = -2; y1 = round(4.5 + 5 - 10) = round(-0.5) = 0
    assert crop_window((3.5, 4.5, 10, 10), 2.0) == (-2, 0, 20)
    # side = ceil(sqrt(12*3) * 4) = 24; x1 = round(100 + 6 - 12) = 94; y1 = round(39.5) = 40 (even)
    assert crop_window((100, 50, 12, 3), 4.0) == (94, 40, 24)
    with pytest.raises(ValueError):
        crop_window((0, 0, 0, 5), 2.0)


def test_inside_crop_is_a_plain_slice():
    image = np.arange(20 * 30 * 3, dtype=np.uint8).reshape(20, 30, 3)
    patch, factor = sample_target(image, (10, 6, 4, 4), 2.0, 8)  # window x 8..16, y 4..12
    assert factor == 1.0
    assert np.array_equal(patch, image[4:12, 8:16])


def test_right_and_bottom_edges_drop_the_last_pixel_and_pad_zeros():
    image = np.full((10, 10, 3), 200, np.uint8)
    # window x 6..10, y 6..10 touches the right/bottom edge: one column/row too many is padded
    patch, _ = sample_target(image, (7, 7, 2, 2), 2.0, 4)
    assert np.all(patch[:3, :3] == 200)
    assert np.all(patch[3, :] == 0) and np.all(patch[:, 3] == 0)


def test_left_and_top_padding_is_exact():
    image = np.full((10, 10, 3), 100, np.uint8)
    patch, _ = sample_target(image, (-1, -2, 2, 2), 2.0, 4)  # window x -2..2, y -3..1
    assert np.all(patch[:3] == 0) and np.all(patch[:, :2] == 0)
    assert np.all(patch[3, 2:] == 100)


def test_window_entirely_outside_the_image_gives_a_black_patch():
    image = np.full((10, 10, 3), 50, np.uint8)
    patch, factor = sample_target(image, (40, 40, 5, 5), 2.0, 8)
    assert patch.shape == (8, 8, 3) and not patch.any() and factor == 8 / 10
