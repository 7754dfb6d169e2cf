"""The one letterbox (spt_core.letterbox) against hand-made images and hand-computed frames."""

from __future__ import annotations

import numpy as np
import pytest

from spt_core.letterbox import Letterbox, scaled_copy


def test_a_joint_on_a_4x4_block_lands_on_the_blocks_pixel_and_maps_back():
    image = np.zeros((128, 64, 3), np.uint8)
    labels = np.zeros((128, 64), np.uint8)
    image[40:44, 20:24] = 200
    labels[40:44, 20:24] = 3
    pose = np.full((18, 2), np.nan, np.float32)
    pose[0] = (21.5, 41.5)  # the block's centre
    pose[1] = (40.0, 100.0)
    letterbox = Letterbox.fit((128, 64), (32, 16))  # a 4x shrink, no padding
    small, small_labels = letterbox.images(image), letterbox.labels(labels)
    moved = letterbox.poses(pose)
    # The block is one pixel, (5, 10); the joint is on its centre.
    assert small[10, 5].tolist() == [200, 200, 200] and small.sum() == 600
    assert small_labels[10, 5] == 3 and small_labels.sum() == 3
    assert moved[0].tolist() == [5.0, 10.0]
    back = letterbox.poses_back(moved)
    assert np.nanmax(np.abs(back - pose)) < 0.5
    assert np.isnan(moved[2:]).all() and np.isnan(back[2:]).all()


def test_fit_pads_the_short_side_and_centres_the_image():
    letterbox = Letterbox.fit((150, 90), (128, 64))
    scale = min(128 / 150, 64 / 90)  # width limits: 90 -> 64
    new_h, new_w = round(150 * scale), round(90 * scale)
    assert letterbox.resized == (new_h, new_w) == (107, 64)
    assert letterbox.offset == (0, (128 - 107) // 2)
    assert letterbox.box == (10, 117, 0, 64)
    # A pixel centre maps to the centre of the pixels it was resampled into.
    corner = letterbox.poses(np.array([[-0.5, -0.5], [89.5, 149.5]], np.float32))
    np.testing.assert_allclose(corner, [[-0.5, 9.5], [63.5, 116.5]], atol=1e-4)


def test_images_and_labels_equal_a_hand_made_resize_and_pad():
    import cv2

    rng = np.random.default_rng(0)
    image = rng.integers(0, 255, (150, 90, 3), dtype=np.uint8)
    labels = rng.integers(0, 10, (150, 90), dtype=np.uint8)
    letterbox = Letterbox.fit((150, 90), (128, 64))
    expected = np.zeros((128, 64, 3), np.uint8)
    expected[10:117] = cv2.resize(image, (64, 107), interpolation=cv2.INTER_AREA)
    np.testing.assert_array_equal(letterbox.images(image), expected)
    expected_labels = np.zeros((128, 64), np.uint8)
    expected_labels[10:117] = cv2.resize(labels, (64, 107), interpolation=cv2.INTER_NEAREST_EXACT)
    np.testing.assert_array_equal(letterbox.labels(labels), expected_labels)
    # Batches: a leading axis goes through unchanged.
    np.testing.assert_array_equal(letterbox.images(np.stack([image, image]))[1], expected)
    np.testing.assert_array_equal(letterbox.labels(labels[None])[0], expected_labels)
    # Cropping the padding gives the content back at the frame's resolution.
    np.testing.assert_array_equal(letterbox.crop(expected), expected[10:117])


def test_the_same_size_is_the_identity():
    letterbox = Letterbox.fit((128, 64), (128, 64))
    assert letterbox.identity
    image = np.arange(128 * 64 * 3, dtype=np.uint8).reshape(128, 64, 3)
    assert letterbox.images(image) is image
    pose = np.array([[3.25, 7.5]] * 18, np.float32)
    np.testing.assert_array_equal(letterbox.poses(pose), pose)


@pytest.mark.parametrize(
    ("size", "of", "expected"),
    [((128, 128), (256, 256), True), ((128, 64), (256, 128), True), ((128, 64), (256, 176), False)],
)
def test_scaled_copy(size, of, expected):
    assert scaled_copy(size, of) is expected
