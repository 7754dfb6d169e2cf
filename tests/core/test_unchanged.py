"""Keeping the unchanged source pixels (decision 0007): which parts count as still, the mask
on a paint edit and on a repose, and the pipeline's composite against numpy by hand."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy import ndimage

from spt_core import labels as lb
from spt_core import parts as parts_mod
from spt_core import skeleton as sk
from spt_core.data import synthetic
from spt_core.data.dataset import PersonDataset
from spt_core.models.inputs import with_background
from spt_core.pipeline import Person, SPTPipeline
from spt_core.unchanged import OUTLINE_PIXELS, feather, fill_uncovered, still_parts, unchanged_mask

SQUARE = np.ones((3, 3), bool)  # the feather's kernels are square: grow and shrink alike


@pytest.fixture(scope="module")
def person(tmp_path_factory) -> Person:
    root = tmp_path_factory.mktemp("unchanged")
    synthetic.generate_dataset(root / "data", count=1, seed=4, size=(128, 64), workers=1)
    data = PersonDataset(root / "data")
    return Person(data.load_image(0), data.poses[0], data.load_parsing(0))


def _maps(labels: np.ndarray) -> torch.Tensor:
    return with_background(lb.one_hot_torch(torch.from_numpy(labels[None].astype(np.int64)))[:, 1:])


def _raised(pose: np.ndarray) -> np.ndarray:
    """The right arm swung up about the shoulder (elbow and wrist move, nothing else)."""
    raised = pose.copy()
    shoulder = pose[sk.R_SHOULDER]
    for joint in (sk.R_ELBOW, sk.R_WRIST):
        offset = pose[joint] - shoulder
        raised[joint] = shoulder + np.array([offset[1], -offset[0]]) * 0.8
    return raised


def test_still_parts_are_the_ones_an_arm_raise_does_not_move(person):
    pose = person.pose.astype(np.float64)
    assert still_parts(pose[None], pose[None])[0].all()
    still = still_parts(pose[None], _raised(pose)[None])[0]
    moved = {name for name, ok in zip(parts_mod.PART_NAMES, still, strict=True) if not ok}
    assert moved and all("arm" in name for name in moved), moved
    assert still[0] and still[1]  # torso and head


def test_a_paint_edit_keeps_everything_but_the_painted_region(person):
    edited = person.parsing.copy()
    upper = edited == lb.UPPER_CLOTHES
    rows = np.nonzero(upper.any(1))[0]
    edited[rows[len(rows) // 2] :][upper[rows[len(rows) // 2] :]] = lb.SKIRT
    mask = unchanged_mask(
        _maps(person.parsing), _maps(edited), person.pose[None], person.pose[None]
    )
    mask = mask[0, 0].numpy()
    painted = edited != person.parsing
    far = ~ndimage.binary_dilation(painted, structure=SQUARE, iterations=5)
    inside = ndimage.binary_erosion(painted, structure=SQUARE, iterations=3)
    assert painted.sum() > 20 and inside.any()
    np.testing.assert_allclose(mask[far], 1.0, atol=1e-6)
    np.testing.assert_allclose(mask[inside], 0.0, atol=1e-6)


def test_a_repose_keeps_the_background_and_the_still_legs_not_the_arm(person):
    target_pose = _raised(person.pose.astype(np.float64))
    # The target map: the source's, with the right forearm's old pixels (whatever it wears)
    # turned to background, and a block of arm drawn where the raised wrist goes.
    masks = parts_mod.part_masks(person.pose, (128, 64), parts_mod.PartGeometry(torso_mask="body"))
    names = list(parts_mod.PART_NAMES)
    forearm = masks[names.index("right_forearm")] & ~masks[names.index("torso")]
    old_arm = forearm & (person.parsing > 0)
    target = person.parsing.copy()
    target[old_arm] = lb.BACKGROUND
    x, y = np.round(target_pose[sk.R_WRIST]).astype(int)
    target[max(0, y - 3) : y + 3, max(0, x - 3) : x + 3] = lb.RIGHT_ARM
    mask = unchanged_mask(
        _maps(person.parsing), _maps(target), person.pose[None], target_pose[None]
    )[0, 0].numpy()
    background = (person.parsing == 0) & (target == 0)
    # Not the 2-px band around where the arm left: it holds the old outline.
    left = (person.parsing > 0) & (target == 0)
    outline = ndimage.binary_dilation(left, structure=SQUARE, iterations=OUTLINE_PIXELS)
    deep = ndimage.binary_erosion(background & ~outline, structure=SQUARE, iterations=5)
    assert deep.sum() > 1000
    near_outline = outline & background & ~left
    assert mask[near_outline].max() < 0.5
    np.testing.assert_allclose(mask[deep], 1.0, atol=1e-6)
    new_arm = ndimage.binary_erosion(target == lb.RIGHT_ARM, structure=SQUARE, iterations=2)
    old_arm = ndimage.binary_erosion(old_arm, structure=SQUARE, iterations=2)
    assert new_arm.any() and old_arm.any()
    assert mask[new_arm].max() < 1e-6 and mask[old_arm].max() < 1e-6
    legs = ndimage.binary_erosion(
        np.isin(person.parsing, (lb.LEFT_LEG, lb.RIGHT_LEG)), structure=SQUARE, iterations=2
    )
    if legs.any():  # still parts, same label: kept
        assert mask[legs].min() > 0.99


def test_feather_erodes_then_blurs():
    mask = torch.zeros(1, 1, 21, 21)
    mask[..., 5:16, 5:16] = 1.0
    out = feather(mask)[0, 0].numpy()
    # By hand: the square shrinks to columns 6..14, then a normalised Gaussian (sigma 1,
    # radius 3) sums over it; row 10 is far enough from the top and bottom edges.
    offsets = np.arange(-3, 4)
    kernel = np.exp(-0.5 * offsets**2)
    kernel /= kernel.sum()
    expected = [sum(kernel[o + 3] for o in offsets if 6 <= x - o <= 14) for x in range(21)]
    np.testing.assert_allclose(out[10], expected, atol=1e-6)
    assert out.min() >= 0.0 and out.max() <= 1.0


def test_the_pipeline_composite_is_the_mask_mix_of_source_and_network(person):
    pipe = SPTPipeline.random(size=(128, 64), seed=1, base_channels=8, max_channels=16)
    pipe.fill_uncovered = False  # the kept pixels alone (the fill has its own test)
    edited = person.parsing.copy()
    edited[edited == lb.PANTS] = lb.SKIRT
    kept = pipe.render(person, person.pose, edited)
    redrawn = pipe.render(person, person.pose, edited, keep=False)
    pipe.keep_unchanged = False
    assert np.array_equal(pipe.render(person, person.pose, edited), redrawn)
    mask = unchanged_mask(
        _maps(person.parsing), _maps(edited), person.pose[None], person.pose[None]
    )
    mask = mask[0, 0].numpy()[..., None]
    # The pipeline mixes in [-1, 1] floats before rounding; by hand in uint8 differs by <= 1.
    by_hand = mask * person.image + (1 - mask) * redrawn.astype(np.float64)
    assert np.abs(kept.astype(np.float64) - by_hand).max() <= 1.0
    assert np.array_equal(kept[mask[..., 0] == 1.0], person.image[mask[..., 0] == 1.0])
    assert not np.array_equal(kept, redrawn)


def test_the_place_the_person_left_gets_the_background_around_it():
    height, width = 48, 32
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    background = np.stack([x / width, y / height, np.full_like(x, 0.5)])  # a smooth ramp
    source = torch.from_numpy(background)[None].clone()
    labels = np.zeros((height, width), np.int64)
    labels[10:40, 10:20] = lb.UPPER_CLOTHES  # the person's old place
    source[:, :, 10:40, 10:20] = torch.tensor([-0.9, 0.9, -0.9]).view(1, 3, 1, 1)
    target = np.zeros_like(labels)
    target[10:40, 22:30] = lb.UPPER_CLOTHES  # she moved right
    maps = [
        with_background(lb.one_hot_torch(torch.from_numpy(m[None]))[:, 1:])
        for m in (labels, target)
    ]
    network = torch.full_like(source, 0.25)  # what a network drew everywhere
    out = fill_uncovered(network, source, *maps)[0].numpy()
    left = (labels > 0) & (target == 0)
    inside = ndimage.binary_erosion(left, structure=SQUARE, iterations=2)
    assert np.abs(out[:, inside] - background[:, inside]).mean() < 0.03
    assert np.abs(out[:, inside] - background[:, inside]).max() < 0.12
    new_place = ndimage.binary_erosion(target > 0, structure=SQUARE, iterations=1)
    np.testing.assert_allclose(out[:, new_place], 0.25)  # the person's new place is untouched
