"""Moved limbs and torsos keep their own pixels (decision 0010), and painted-bare skin is the
skin's colour (decision 0011): hand-made people against rotations and shifts done by hand."""

from __future__ import annotations

import cv2
import numpy as np
import torch

from spt_core import labels as lb
from spt_core import skeleton as sk
from spt_core.limb_pixels import moved_limb_pixels, paste_limbs
from spt_core.models.inputs import with_background

#: The frontal standing pose of test_limb_labels (128x64, every joint present).
STANDING = sk.as_pose(
    [[29, 13], [29, 26], [16, 26], [12, 43], [20, 56], [42, 27], [45, 43], [43, 53], [20, 59],
     [20, 85], [21, 109], [36, 59], [35, 85], [32, 109], [27, 10], [31, 10], [24, 12], [36, 12]]
)  # fmt: skip
QUAD = [sk.R_SHOULDER, sk.L_SHOULDER, sk.L_HIP, sk.R_HIP]


def _person():
    """Torso in a striped shirt, the right forearm a sleeve whose colour runs from red at the
    elbow to blue at the wrist, on grey."""
    parsing = np.zeros((128, 64), np.uint8)
    image = np.full((128, 64, 3), 90, np.uint8)
    cv2.fillPoly(parsing, [np.round(STANDING[QUAD]).astype(np.int32)], lb.UPPER_CLOTHES)
    stripes = (np.arange(64) // 3 % 2 * 120 + 60).astype(np.uint8)
    image[parsing == lb.UPPER_CLOTHES] = np.stack([np.broadcast_to(stripes, (128, 64))] * 3, -1)[
        parsing == lb.UPPER_CLOTHES
    ]
    elbow, wrist = STANDING[sk.R_ELBOW], STANDING[sk.R_WRIST]
    for t in np.linspace(0, 1, 60):
        point = tuple(np.round(elbow + t * (wrist - elbow)).astype(int))
        cv2.circle(parsing, point, 3, lb.UPPER_CLOTHES, -1)
        cv2.circle(image, point, 3, (int(255 * (1 - t)), 0, int(255 * t)), -1)
    return image, parsing


def _swung():
    target = STANDING.copy()
    elbow, wrist = STANDING[sk.R_ELBOW], STANDING[sk.R_WRIST]
    target[sk.R_WRIST] = elbow + np.array([0.0, -np.linalg.norm(wrist - elbow)])  # raised
    return target


def _point(pose, a, b, t):
    x, y = pose[a] + t * (pose[b] - pose[a])
    return int(round(y)), int(round(x))


def test_a_swung_forearm_carries_its_own_colours():
    image, parsing = _person()
    target = _swung()
    picture, labels = moved_limb_pixels(image, parsing, STANDING, target)
    for t in (0.2, 0.5, 0.8):
        y, x = _point(target, sk.R_ELBOW, sk.R_WRIST, t)
        sy, sx = _point(STANDING, sk.R_ELBOW, sk.R_WRIST, t)
        assert labels[y, x] == lb.UPPER_CLOTHES
        np.testing.assert_allclose(picture[y, x], image[sy, sx], atol=40)
    # Red near the elbow, blue near the wrist: the sleeve did not turn around.
    near, far = (_point(target, sk.R_ELBOW, sk.R_WRIST, t) for t in (0.15, 0.7))
    assert picture[near][0] > picture[near][2] and picture[far][2] > picture[far][0]
    # Nothing else moved: no labels on the torso or where the forearm was.
    assert labels[_point(STANDING, sk.R_ELBOW, sk.R_WRIST, 0.8)] == 0
    assert labels[int(STANDING[QUAD, 1].mean()), int(STANDING[QUAD, 0].mean())] == 0


def test_a_shifted_body_carries_its_torso_garment_shifted():
    image, parsing = _person()
    target = STANDING + np.array([4.0, 0.0])
    picture, labels = moved_limb_pixels(image, parsing, STANDING, target)
    shifted = np.roll(image, 4, axis=1)  # the same shift, done by hand
    centre = np.round(target[QUAD].mean(0)).astype(int)
    box = (slice(centre[1] - 10, centre[1] + 4), slice(centre[0] - 3, centre[0] + 4))
    assert (labels[box] == lb.UPPER_CLOTHES).all()  # clear of the arms' masks
    np.testing.assert_allclose(picture[box], shifted[box], atol=1.0)


def _paste(image, parsing, target, target_parsing, output):
    maps = with_background(
        lb.one_hot_torch(torch.from_numpy(target_parsing[None].astype(np.int64)))[:, 1:]
    )
    out = paste_limbs(
        output, image[None], parsing[None], maps.float(), STANDING[None], target[None]
    )
    return ((out[0].permute(1, 2, 0).numpy() + 1.0) * 127.5).round()


def test_paste_follows_the_target_map_and_leaves_the_rest_to_the_network():
    from spt_core.limb_labels import moved_limb_labels

    image, parsing = _person()
    target = _swung()
    landed = moved_limb_labels(parsing, STANDING, target)
    network = torch.zeros(1, 3, 128, 64)  # grey 127.5 everywhere
    target_map = np.where(landed > 0, landed, parsing)
    out = _paste(image, parsing, target, target_map, network)
    y, x = _point(target, sk.R_ELBOW, sk.R_WRIST, 0.5)
    sy, sx = _point(STANDING, sk.R_ELBOW, sk.R_WRIST, 0.5)
    np.testing.assert_allclose(out[y, x], image[sy, sx], atol=40)
    assert np.allclose(out[landed == 0], 127.5, atol=0.5)  # only where the limb landed
    # Painted as a bare arm: the limb's sleeve is not pasted over the painted label.
    painted = np.where(landed > 0, lb.RIGHT_ARM, parsing)
    assert np.allclose(_paste(image, parsing, target, painted, network), 127.5, atol=0.5)
    # Nothing moved: the network's output as it is.
    out = paste_limbs(network, image[None], parsing[None], torch.rand(1, 10, 128, 64),
                      STANDING[None], STANDING[None])  # fmt: skip
    assert torch.equal(out, network)


def test_bilinear_sampling_matches_opencvs_warp():
    """The numpy sampler of the carried pixels against cv2.warpAffine (float, bilinear, zero
    border) on a random picture and a rotated, sheared, shifted transform."""
    from spt_core.limb_labels import bilinear_at

    rng = np.random.default_rng(0)
    image = rng.integers(0, 256, (40, 30, 3)).astype(np.uint8)
    affine = np.array([[0.9, -0.3, 5.2], [0.25, 1.1, -3.7]])
    flags = cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP
    by_cv2 = cv2.warpAffine(image.astype(np.float32), affine, (30, 40), flags=flags)
    everywhere = np.ones((40, 30), bool)
    ours = bilinear_at(image, affine, everywhere).reshape(40, 30, 3)
    np.testing.assert_allclose(ours, by_cv2, atol=0.05)  # OpenCV rounds coordinates to 1/32 px


def _with_a_head(image, parsing):
    """A face disc with a hair cap over the head joints, a gradient across the face."""
    centre = tuple(np.round(STANDING[list(sk.HEAD_JOINTS)].mean(0)).astype(int))
    cv2.circle(parsing, centre, 5, lb.FACE, -1)
    cv2.ellipse(parsing, centre, (5, 5), 0, 180, 360, lb.HAIR, -1)
    ys, xs = np.nonzero(np.isin(parsing, (lb.FACE, lb.HAIR)))
    image[ys, xs] = np.stack([xs * 8 % 256, ys * 8 % 256, np.full_like(xs, 200)], 1)
    return image, parsing, centre


def test_a_head_moved_without_turning_keeps_its_face_and_one_that_turned_does_not():
    image, parsing, centre = _with_a_head(*_person())
    target = STANDING + np.array([3.0, 2.0])  # the whole body moved: the head did not turn
    picture, labels = moved_limb_pixels(image, parsing, STANDING, target)
    box = (slice(centre[1] + 2 - 3, centre[1] + 2 + 4), slice(centre[0] + 3 - 3, centre[0] + 3 + 4))
    moved_by_hand = np.roll(np.roll(image, 2, axis=0), 3, axis=1)
    assert np.isin(labels[box], (lb.FACE, lb.HAIR)).all()
    np.testing.assert_allclose(picture[box], moved_by_hand[box], atol=1.0)
    turned = target.copy()
    turned[sk.L_EAR] = np.nan  # the head turned: one ear went out of sight
    _, labels = moved_limb_pixels(image, parsing, STANDING, turned)
    assert not np.isin(labels, (lb.FACE, lb.HAIR)).any()
