"""The initial parsing rules, judged against the exact parsing of synthetic people."""

from __future__ import annotations

import numpy as np
import pytest

from spt_core import labels as lb
from spt_core import skeleton as sk
from spt_core.data import synthetic
from spt_core.data.dataset import PersonDataset
from spt_core.prepare.rules import kmeans, nearest_part, rule_parsing


@pytest.fixture(scope="module")
def people(tmp_path_factory):
    root = tmp_path_factory.mktemp("rules") / "data"
    synthetic.generate_dataset(root, count=16, seed=5, workers=1)
    return PersonDataset(root)


def test_rules_beat_the_trivial_guess_on_synthetic_people(people):
    """Given the true mask and pose, the rules label most person pixels right.

    Measured here: 0.83 mean pixel accuracy on person pixels (16 people, seed 5), against 0.36
    for "everything is upper clothes"; on 200 other people (seed 11) 0.80 against 0.39, mean
    IoU 0.67 over the 10 labels (0.78 and 0.64 before the colour evidence).
    """
    confusion = np.zeros((lb.NUM_LABELS, lb.NUM_LABELS), np.int64)
    accuracy, trivial = [], []
    for i in range(len(people)):
        sample = people[i]
        person = sample.parsing > 0
        predicted = rule_parsing(sample.image, person.astype(np.float32), sample.pose)
        assert predicted.dtype == np.uint8
        assert ((predicted > 0) == person).all()  # background exactly outside the mask
        accuracy.append((predicted[person] == sample.parsing[person]).mean())
        trivial.append((sample.parsing[person] == lb.UPPER_CLOTHES).mean())
        np.add.at(confusion, (sample.parsing.ravel(), predicted.ravel()), 1)
    assert np.mean(accuracy) > 0.72 and np.mean(accuracy) > np.mean(trivial) + 0.3
    hit = np.diag(confusion)
    iou = hit / (confusion.sum(0) + confusion.sum(1) - hit)
    for label in range(lb.NUM_LABELS):
        assert iou[label] > 0.4, (lb.LABEL_NAMES[label], iou)
    # Left and right are the person's own: a right arm is rarely called a left one.
    assert confusion[lb.RIGHT_ARM, lb.LEFT_ARM] + confusion[lb.LEFT_ARM, lb.RIGHT_ARM] < 0.05 * (
        confusion[lb.RIGHT_ARM].sum() + confusion[lb.LEFT_ARM].sum()
    )


def _standing_pose() -> np.ndarray:
    pose = sk.missing_pose()
    joints = {
        sk.NOSE: (32, 14),
        sk.NECK: (32, 26),
        sk.R_EYE: (29, 12),
        sk.L_EYE: (35, 12),
        sk.R_SHOULDER: (22, 28),
        sk.L_SHOULDER: (42, 28),
        sk.R_ELBOW: (18, 48),
        sk.L_ELBOW: (46, 48),
        sk.R_WRIST: (16, 66),
        sk.L_WRIST: (48, 66),
        sk.R_HIP: (26, 66),
        sk.L_HIP: (38, 66),
        sk.R_KNEE: (25, 92),
        sk.L_KNEE: (39, 92),
        sk.R_ANKLE: (25, 118),
        sk.L_ANKLE: (39, 118),
    }
    for joint, xy in joints.items():
        pose[joint] = xy
    return pose


def test_hand_made_person_with_bare_arms_and_blue_trousers():
    """A figure painted by hand: skin head and arms, red top, blue trousers, brown hair."""
    import cv2

    pose = _standing_pose()
    skin, red, blue, brown = (224, 172, 140), (200, 30, 30), (30, 40, 160), (90, 50, 20)
    image = np.full((128, 64, 3), 235, np.uint8)
    line = {"thickness": 6}

    def seg(a, b, colour):
        pa, pb = tuple(int(v) for v in pose[a]), tuple(int(v) for v in pose[b])
        cv2.line(image, pa, pb, colour, **line)

    for (top, middle, end), colour in (
        ((sk.R_HIP, sk.R_KNEE, sk.R_ANKLE), blue),
        ((sk.L_HIP, sk.L_KNEE, sk.L_ANKLE), blue),
        ((sk.R_SHOULDER, sk.R_ELBOW, sk.R_WRIST), skin),
        ((sk.L_SHOULDER, sk.L_ELBOW, sk.L_WRIST), skin),
    ):
        seg(top, middle, colour)
        seg(middle, end, colour)
    torso = pose[[sk.R_SHOULDER, sk.L_SHOULDER, sk.L_HIP, sk.R_HIP]].astype(np.int32)
    cv2.fillPoly(image, [torso], red)
    cv2.circle(image, (32, 14), 8, skin, -1)
    cv2.ellipse(image, (32, 9), (9, 5), 0, 180, 360, brown, -1)  # hair above the eyes
    mask = (np.abs(image.astype(int) - 235).sum(-1) > 0).astype(np.float32)
    labels = rule_parsing(image, mask, pose)
    assert labels[14, 32] == lb.FACE and labels[6, 32] == lb.HAIR
    assert labels[45, 32] == lb.UPPER_CLOTHES
    assert labels[48, 18] == lb.RIGHT_ARM and labels[48, 46] == lb.LEFT_ARM
    assert labels[80, 25] == lb.PANTS and labels[80, 39] == lb.PANTS
    assert labels[100, 0] == lb.BACKGROUND


def test_nearest_part_follows_the_skeleton():
    pose = _standing_pose()
    part, names = nearest_part(pose, (128, 64))
    assert names == ["head", "torso", "right_arm", "left_arm", "right_leg", "left_leg"]
    assert names[part[14, 32]] == "head" and names[part[50, 32]] == "torso"
    assert names[part[60, 15]] == "right_arm" and names[part[105, 40]] == "left_leg"


def test_kmeans_is_deterministic_and_finds_separated_groups():
    rng = np.random.default_rng(1)
    groups = [rng.normal(centre, 1.0, (200, 3)) for centre in ((0, 0, 0), (50, 0, 0), (0, 50, 9))]
    colours = np.concatenate(groups)
    centres, assign = kmeans(colours, 3)
    again, _ = kmeans(colours, 3)
    np.testing.assert_array_equal(centres, again)
    for k in range(3):
        assert len(set(assign[k * 200 : (k + 1) * 200])) == 1
    np.testing.assert_allclose(
        sorted(map(tuple, centres.round())), [(0, 0, 0), (0, 50, 9), (50, 0, 0)], atol=1
    )


def test_grey_photos_keep_trousers_and_sleeves(people):
    """In a grey photo every colour is near the face's lightness: without the colour evidence
    (the garment's own colour against the face's) covered legs were called bare. Measured on
    200 people (seed 11): accuracy 0.64 -> 0.72, trousered people with >12% bare legs 72% -> 25%.
    """
    import cv2

    accuracy, bare_legs = [], []
    for i in range(len(people)):
        sample = people[i]
        grey = cv2.cvtColor(sample.image, cv2.COLOR_RGB2GRAY)
        person = sample.parsing > 0
        predicted = rule_parsing(np.stack([grey] * 3, -1), person.astype(np.float32), sample.pose)
        accuracy.append((predicted[person] == sample.parsing[person]).mean())
        legs_true, legs_found = (
            np.isin(labels, (lb.LEFT_LEG, lb.RIGHT_LEG)).sum() / person.sum()
            for labels in (sample.parsing, predicted)
        )
        if legs_true < 0.06:  # trousers down to the shoes
            bare_legs.append(legs_found > 0.12)
    assert np.mean(accuracy) > 0.66
    assert bare_legs and np.mean(bare_legs) < 0.45
