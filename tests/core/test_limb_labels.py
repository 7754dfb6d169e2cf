"""Moved limbs keep their labels (decision 0008): hand-made geometry, and the world's truth."""

import numpy as np
import pytest
import torch
from scipy import ndimage

from spt_core import labels as lb
from spt_core import skeleton as sk
from spt_core.limb_labels import NO_OPINION, limb_owners, moved_limb_labels, with_limb_labels
from spt_core.parts import LIMB_PARTS, PART_NAMES

#: A frontal standing pose at 128x64, every joint present (a Market-1501 training image's).
STANDING = sk.as_pose(
    [[29, 13], [29, 26], [16, 26], [12, 43], [20, 56], [42, 27], [45, 43], [43, 53], [20, 59],
     [20, 85], [21, 109], [36, 59], [35, 85], [32, 109], [27, 10], [31, 10], [24, 12], [36, 12]]
)  # fmt: skip


def _part(name: str) -> int:
    return PART_NAMES.index(name)


def _point(pose, a, b, t=0.5):
    x, y = pose[a] + t * (pose[b] - pose[a])
    return int(round(y)), int(round(x))


def test_owners_follow_the_nearest_bone():
    owners = limb_owners(STANDING, (128, 64))
    for part, (a, b, _) in LIMB_PARTS.items():
        assert owners[_point(STANDING, a, b)] == part, PART_NAMES[part]
    centre = STANDING[[sk.R_SHOULDER, sk.L_SHOULDER, sk.L_HIP, sk.R_HIP]].mean(0)
    assert owners[int(centre[1]), int(centre[0])] == 0  # the torso


def _sleeved_person():
    """A hand-made map: torso upper clothes, the right forearm a long sleeve drawn along its
    bone (3 px either side), the rest background."""
    import cv2

    parsing = np.zeros((128, 64), np.uint8)
    quad = STANDING[[sk.R_SHOULDER, sk.L_SHOULDER, sk.L_HIP, sk.R_HIP]]
    cv2.fillPoly(parsing, [np.round(quad).astype(np.int32)], lb.UPPER_CLOTHES)
    elbow, wrist = STANDING[sk.R_ELBOW], STANDING[sk.R_WRIST]
    cv2.line(parsing, tuple(np.round(elbow).astype(int)), tuple(np.round(wrist).astype(int)),
             lb.UPPER_CLOTHES, thickness=7)  # fmt: skip
    return parsing


def test_a_raised_forearm_keeps_its_sleeve_and_nothing_else_moves():
    parsing = _sleeved_person()
    # The right forearm swung 90 degrees about the elbow: it now points sideways.
    target = STANDING.copy()
    elbow, wrist = STANDING[sk.R_ELBOW], STANDING[sk.R_WRIST]
    length = np.linalg.norm(wrist - elbow)
    target[sk.R_WRIST] = elbow + np.array([-length, 0.0])
    layer = moved_limb_labels(parsing, STANDING, target)
    # Along the new forearm: the sleeve; the old forearm and the torso: no opinion.
    for t in (0.3, 0.5, 0.7):
        assert layer[_point(target, sk.R_ELBOW, sk.R_WRIST, t)] == lb.UPPER_CLOTHES
    assert layer[_point(STANDING, sk.R_ELBOW, sk.R_WRIST, 0.7)] == 0
    centre = STANDING[[sk.R_SHOULDER, sk.L_SHOULDER, sk.L_HIP, sk.R_HIP]].mean(0)
    assert layer[int(centre[1]), int(centre[0])] == 0
    # The moved labels are the source turned about the elbow: target -> source by the rotation
    # that takes the new forearm's direction onto the old one.
    angle = np.arctan2(*(wrist - elbow)[::-1]) - np.arctan2(*(target[sk.R_WRIST] - elbow)[::-1])
    turn = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    ys, xs = np.nonzero(layer)
    back = (np.stack([xs, ys], 1) - elbow) @ turn.T + elbow
    inside = (back[:, 1] >= 0) & (back[:, 1] < 128) & (back[:, 0] >= 0) & (back[:, 0] < 64)
    source = parsing[np.round(back[inside, 1]).astype(int), np.round(back[inside, 0]).astype(int)]
    assert np.mean(source == layer[ys[inside], xs[inside]]) > 0.9


def test_an_unmoved_pose_changes_nothing():
    assert not moved_limb_labels(_sleeved_person(), STANDING, STANDING.copy()).any()


def test_missing_joints_leave_their_limb_out():
    target = STANDING.copy()
    target[sk.R_WRIST] = STANDING[sk.R_ELBOW] + np.array([-20.0, 0.0])
    source = STANDING.copy()
    source[sk.R_WRIST] = np.nan
    assert not moved_limb_labels(_sleeved_person(), source, target).any()


def test_the_layer_becomes_certainty_only_where_it_has_a_label():
    probabilities = torch.full((1, lb.NUM_LABELS, 4, 4), 1.0 / lb.NUM_LABELS)
    layer = np.full((1, 4, 4), NO_OPINION, np.int16)
    layer[0, 1, 2] = lb.LEFT_ARM
    layer[0, 3, 3] = lb.BACKGROUND  # background is a label too
    out = with_limb_labels(probabilities, layer)
    assert out[0, lb.LEFT_ARM, 1, 2] == 1.0 and out[0, :, 1, 2].sum() == 1.0
    assert out[0, lb.BACKGROUND, 3, 3] == 1.0 and out[0, :, 3, 3].sum() == 1.0
    others = layer[0] == NO_OPINION
    torch.testing.assert_close(out[0][:, others], probabilities[0][:, others])


@pytest.mark.slow
def test_raised_arms_get_the_true_labels_more_often():
    """Against the world's true target map: the label is right in more of the region a raised
    arm entered with the rule than with the network's map alone."""
    from spt_core.data.synth.posing import load_pose_pool
    from spt_core.data.synth.writer import default_pose_csv
    from spt_core.eval.edit_world import build_cases
    from spt_core.pipeline import Person, SPTPipeline

    pool = load_pose_pool(default_pose_csv((128, 64)))
    cases = build_cases(pool, count=8, seed=11, kinds=("arm_raised",))
    pipe = SPTPipeline.from_pretrained(None, device="cpu")
    person = Person(
        *(np.stack([getattr(c, k) for c in cases]) for k in ("image", "pose", "parsing"))
    )
    targets = np.stack([c.target_pose for c in cases])
    accuracy = {}
    for rule in (False, True):
        pipe.limb_labels = rule
        maps = pipe.predict_parsing(person, targets)
        right = [
            np.mean(m[(c.target_parsing > 0) & (c.parsing == 0)] == c.target_parsing[
                (c.target_parsing > 0) & (c.parsing == 0)])
            for m, c in zip(maps, cases, strict=True)
        ]  # fmt: skip
        accuracy[rule] = float(np.mean(right))
    assert accuracy[True] > accuracy[False] + 0.2, accuracy


# ---- decision 0010: a still body keeps its map ---------------------------------------------


def _forearm_swung(pose: np.ndarray) -> np.ndarray:
    """The right forearm swung 90 degrees about the elbow (only the wrist moves)."""
    target = pose.copy()
    elbow, wrist = pose[sk.R_ELBOW], pose[sk.R_WRIST]
    target[sk.R_WRIST] = elbow + np.array([-np.linalg.norm(wrist - elbow), 0.0])
    return target


def test_a_still_body_keeps_the_source_map_outside_the_moved_limb():
    from spt_core.limb_labels import still_labels
    from spt_core.parts import part_masks

    parsing = _sleeved_person()
    target = _forearm_swung(STANDING)
    layer = still_labels(parsing, STANDING, target)
    masks = part_masks(STANDING, (128, 64)) | part_masks(target, (128, 64))
    forearm = masks[_part("right_forearm")]
    # Far from the forearm (source or target) every label is the source's, background too.
    far = ~ndimage.binary_dilation(forearm, iterations=3)
    assert (layer[far] == parsing[far]).all()
    assert (layer[far] == lb.BACKGROUND).any() and (layer[far] == lb.UPPER_CLOTHES).any()
    # On the forearm's old and new places the network decides.
    assert (layer[forearm] == NO_OPINION).all()


def test_a_moved_torso_or_nothing_moved_leave_no_still_map_or_all_of_it():
    from spt_core.limb_labels import still_labels

    parsing = _sleeved_person()
    shifted = STANDING + np.array([3.0, 0.0])
    assert (still_labels(parsing, STANDING, shifted) == NO_OPINION).all()
    assert (still_labels(parsing, STANDING, STANDING.copy()) == parsing).all()


def test_the_forearm_owns_the_hand_past_the_wrist():
    owners = limb_owners(STANDING, (128, 64))
    elbow, wrist = STANDING[sk.R_ELBOW], STANDING[sk.R_WRIST]
    hand = wrist + 0.35 * (wrist - elbow)
    assert owners[int(round(hand[1])), int(round(hand[0]))] == _part("right_forearm")


def test_smoothing_removes_a_thin_stripe_and_keeps_a_wide_region():
    """Decision 0010's map smoothing against scipy's uniform filter, and what it does to
    a hand-made map: a one-pixel stripe of skirt below a skirt disappears, the skirt stays."""
    from spt_core.models.inputs import smooth_soft_map

    labels = np.zeros((1, 40, 30), np.int64)
    labels[0, 5:20, 5:25] = lb.SKIRT  # the skirt
    labels[0, 20:35, 12] = lb.SKIRT  # a stripe below it
    probabilities = lb.one_hot_torch(torch.from_numpy(labels)).float()
    smoothed = smooth_soft_map(probabilities, 3)
    by_scipy = ndimage.uniform_filter(probabilities[0, lb.SKIRT].numpy(), size=3, mode="constant")
    inner = (slice(1, -1), slice(1, -1))  # scipy pads with zeros, the map with its own pixels
    np.testing.assert_allclose(smoothed[0, lb.SKIRT].numpy()[inner], by_scipy[inner], atol=1e-6)
    out = smoothed.argmax(1)[0].numpy()
    assert (out[22:35, 12] == lb.BACKGROUND).all()
    assert (out[6:19, 6:24] == lb.SKIRT).all()
    assert torch.equal(smooth_soft_map(probabilities, 1), probabilities)
