"""BlazePose's 33 landmarks -> the 18 OpenPose joints (no MediaPipe needed)."""

from __future__ import annotations

import numpy as np
import pytest

from spt_core import skeleton as sk
from spt_core.prepare.detect import (
    BLAZEPOSE_NAMES,
    MIRROR_INDEX,
    average_with_mirror,
    blazepose_to_openpose,
    mirror_landmarks,
)

# The mapping written out by hand from the two skeletons' documentation (BlazePose's landmark
# list, OpenPose's COCO order), independently of the table in spt_core.prepare.detect.
EXPECTED_SOURCE = {
    0: 0,  # nose <- nose
    2: 12, 3: 14, 4: 16,  # right shoulder, elbow, wrist
    5: 11, 6: 13, 7: 15,  # left shoulder, elbow, wrist
    8: 24, 9: 26, 10: 28,  # right hip, knee, ankle
    11: 23, 12: 25, 13: 27,  # left hip, knee, ankle
    14: 5, 15: 2,  # right eye, left eye (the pupils, not the inner/outer corners)
    16: 8, 17: 7,  # right ear, left ear
}  # fmt: skip
SIZE = (400, 300)


def _landmarks() -> np.ndarray:
    """33 distinct landmarks inside a 300x400 image, all fully visible."""
    rng = np.random.default_rng(0)
    xy = rng.uniform([5, 5], [295, 395], size=(33, 2))
    return np.concatenate([xy, np.ones((33, 1))], axis=1)


def test_blazepose_has_33_landmarks_in_its_documented_order():
    assert len(BLAZEPOSE_NAMES) == 33
    assert BLAZEPOSE_NAMES[0] == "nose" and BLAZEPOSE_NAMES[32] == "right_foot_index"
    assert (BLAZEPOSE_NAMES[11], BLAZEPOSE_NAMES[12]) == ("left_shoulder", "right_shoulder")


def test_every_joint_takes_its_landmark_and_the_neck_the_shoulder_midpoint():
    landmarks = _landmarks()
    pose = blazepose_to_openpose(landmarks, SIZE)
    assert pose.shape == (18, 2) and pose.dtype == np.float32
    for joint, source in EXPECTED_SOURCE.items():
        np.testing.assert_allclose(pose[joint], landmarks[source, :2], atol=1e-4)
    neck = (landmarks[11, :2] + landmarks[12, :2]) / 2
    np.testing.assert_allclose(pose[sk.NECK], neck, atol=1e-4)


def test_low_visibility_joints_are_missing():
    landmarks = _landmarks()
    landmarks[16, 2] = 0.2  # right wrist barely visible
    landmarks[11, 2] = 0.49  # left shoulder just under 0.5: the neck goes with it
    pose = blazepose_to_openpose(landmarks, SIZE, min_visibility=0.5)
    assert np.isnan(pose[sk.R_WRIST]).all()
    assert np.isnan(pose[sk.L_SHOULDER]).all() and np.isnan(pose[sk.NECK]).all()
    assert sk.present(pose).sum() == 15
    relaxed = blazepose_to_openpose(landmarks, SIZE, min_visibility=0.1)
    assert sk.present(relaxed).all()


def test_landmarks_outside_the_image_are_missing():
    landmarks = _landmarks()
    landmarks[27, :2] = (150, 420)  # left ankle below the bottom edge (H = 400)
    landmarks[0, :2] = (-3, 50)  # nose left of the image
    landmarks[28, :2] = (299, 399)  # right ankle on the last pixel: kept
    pose = blazepose_to_openpose(landmarks, SIZE)
    assert np.isnan(pose[sk.L_ANKLE]).all() and np.isnan(pose[sk.NOSE]).all()
    np.testing.assert_allclose(pose[sk.R_ANKLE], (299, 399))


def test_wrong_shape_is_refused():
    with pytest.raises(ValueError, match="33, 3"):
        blazepose_to_openpose(np.zeros((17, 3)), SIZE)


# BlazePose's left/right landmark pairs, written out from its documented topology (eyes 1-3 /
# 4-6, ears 7/8, mouth 9/10, then every pair from the shoulders 11/12 to the feet 31/32).
MIRROR_PAIRS = [(1, 4), (2, 5), (3, 6), (7, 8), (9, 10)] + [(i, i + 1) for i in range(11, 33, 2)]


def test_the_mirror_swaps_each_left_landmark_with_its_right_partner():
    expected = list(range(33))
    for left, right in MIRROR_PAIRS:
        expected[left], expected[right] = right, left
    assert list(MIRROR_INDEX) == expected


def test_a_point_found_on_the_flipped_image_maps_back_to_its_pixel():
    # One bright pixel per landmark row; a perfect detector reports pixel centres (c + 0.5, as
    # MediaPipe's normalised x times the width does). numpy's flip moves the pixels.
    width, height = 300, 400
    landmarks = _landmarks()
    columns = np.floor(landmarks[:, 0]).astype(int)
    landmarks[:, 0] = columns + 0.5
    for row in range(33):
        image = np.zeros((height, width), np.uint8)
        image[int(landmarks[row, 1]), columns[row]] = 255
        found_column = int(np.argmax(image[:, ::-1].max(axis=0)))
        seen_in_mirror = landmarks.copy()
        seen_in_mirror[MIRROR_INDEX[row], 0] = found_column + 0.5
        back = mirror_landmarks(seen_in_mirror, width)
        assert back[row, 0] == pytest.approx(landmarks[row, 0])


def test_averaging_with_a_perfect_mirror_pass_returns_the_first_pass():
    width = SIZE[1]
    landmarks = _landmarks().astype(np.float32)
    landmarks[:, 2] = np.linspace(0.1, 1.0, 33)
    # What a perfect detector reports on the mirrored photo, built from the hand-written pairs.
    partner = dict(MIRROR_PAIRS) | {right: left for left, right in MIRROR_PAIRS}
    seen = np.empty_like(landmarks)
    for index in range(33):
        source = landmarks[partner.get(index, index)]
        seen[index] = (width - source[0], source[1], source[2])
    np.testing.assert_allclose(mirror_landmarks(mirror_landmarks(seen, width), width), seen)
    np.testing.assert_allclose(average_with_mirror(landmarks, seen, width), landmarks, atol=1e-4)
    # Two passes that disagree by d give the midpoint; a pass that found nobody drops out.
    shifted = seen.copy()
    shifted[:, 1] += 6.0
    averaged = average_with_mirror(landmarks, shifted, width)
    np.testing.assert_allclose(averaged[:, 1], landmarks[:, 1] + 3.0, atol=1e-4)
    np.testing.assert_allclose(average_with_mirror(landmarks, None, width), landmarks)
    np.testing.assert_allclose(average_with_mirror(None, seen, width), landmarks, atol=1e-4)
    assert average_with_mirror(None, None, width) is None


def test_a_side_view_whose_passes_name_the_legs_differently_keeps_two_legs():
    """Seen from the side, the mirrored pass may call the near leg the left one where the direct
    pass called it the right one; averaging by name put both legs on one line."""
    width = SIZE[1]
    landmarks = _landmarks().astype(np.float32)
    index = {name: i for i, name in enumerate(BLAZEPOSE_NAMES)}
    left = [index[f"left_{n}"] for n in ("hip", "knee", "ankle", "heel", "foot_index")]
    right = [index[f"right_{n}"] for n in ("hip", "knee", "ankle", "heel", "foot_index")]
    landmarks[left, 0] = 40.0  # the legs 30 pixels apart
    landmarks[right, 0] = 70.0
    # The mirrored pass sees the same two legs but names them the other way round.
    named_apart = landmarks.copy()
    named_apart[left + right] = landmarks[right + left]
    seen = mirror_landmarks(named_apart, width)  # what it reports on the mirrored photo
    np.testing.assert_allclose(mirror_landmarks(seen, width), named_apart, atol=1e-4)
    averaged = average_with_mirror(landmarks, seen, width)
    np.testing.assert_allclose(averaged[left, 0], 40.0, atol=1e-4)
    np.testing.assert_allclose(averaged[right, 0], 70.0, atol=1e-4)
    # By name the ankles would have met halfway.
    by_name = (landmarks + mirror_landmarks(seen, width)) / 2
    assert abs(by_name[left[2], 0] - by_name[right[2], 0]) < 1e-3
