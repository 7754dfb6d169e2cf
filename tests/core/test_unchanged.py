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


def _trousered_person():
    """Hand-made at 128x64: striped trousers on the thighs, flat skin on the shins, a grey
    background and shirt (the standing pose of test_limb_labels)."""
    import cv2

    from tests.core.test_limb_pixels import STANDING

    image = np.full((128, 64, 3), 90, np.uint8)
    parsing = np.zeros((128, 64), np.uint8)
    quad = [sk.R_SHOULDER, sk.L_SHOULDER, sk.L_HIP, sk.R_HIP]
    cv2.fillPoly(parsing, [np.round(STANDING[quad]).astype(np.int32)], lb.UPPER_CLOTHES)
    image[parsing == lb.UPPER_CLOTHES] = (120, 120, 120)
    for hip, knee, ankle, leg in ((sk.R_HIP, sk.R_KNEE, sk.R_ANKLE, lb.RIGHT_LEG),
                                  (sk.L_HIP, sk.L_KNEE, sk.L_ANKLE, lb.LEFT_LEG)):  # fmt: skip
        a, b, c = (tuple(np.round(STANDING[j]).astype(int)) for j in (hip, knee, ankle))
        cv2.line(parsing, b, c, leg, thickness=7)
        cv2.line(parsing, a, b, lb.PANTS, thickness=9)
    image[np.isin(parsing, (lb.LEFT_LEG, lb.RIGHT_LEG))] = (200, 150, 120)
    stripes = np.where(np.arange(128)[:, None] // 2 % 2 == 0, 30, 160) + np.zeros((1, 64))
    image[parsing == lb.PANTS] = np.stack([stripes] * 3, -1)[parsing == lb.PANTS]
    return Person(image, STANDING.astype(np.float32), parsing), STANDING


def test_painted_bare_skin_is_the_skins_colour_not_the_networks():
    """Decision 0011: trousers painted as bare thighs come out in the shins' skin colour,
    flat (no stripes showing through), wherever the network drew grey."""
    import spt_core.unchanged as unchanged
    from spt_core.unchanged import put_back

    person, _ = _trousered_person()
    edited = person.parsing.copy()
    thighs = edited == lb.PANTS
    edited[thighs] = np.where(np.arange(64) < 28, lb.RIGHT_LEG, lb.LEFT_LEG)[None].repeat(128, 0)[
        thighs
    ]
    source = torch.from_numpy(person.image).permute(2, 0, 1)[None].float() / 127.5 - 1.0
    network = torch.zeros_like(source)  # grey
    maps = _maps(person.parsing)[:, 1:], _maps(edited)[:, 1:]
    poses = person.pose[None], person.pose[None]
    out = put_back(network, source, *maps, *poses)
    out = ((out[0].permute(1, 2, 0).numpy() + 1.0) * 127.5).round()
    inner = ndimage.binary_erosion(thighs, SQUARE, iterations=2)
    assert inner.sum() > 30
    np.testing.assert_allclose(
        out[inner], np.broadcast_to([200, 150, 120], out[inner].shape), atol=3
    )
    # The same edit with the step off leaves the network's grey there.
    unchanged.SKIN_FILL, saved = 0.0, unchanged.SKIN_FILL
    try:
        grey = put_back(network, source, *maps, *poses)
    finally:
        unchanged.SKIN_FILL = saved
    assert torch.allclose(grey[0][:, torch.from_numpy(inner)], torch.zeros(1), atol=1e-3)
    # Raised legs are not bared in place: a moved part is the network's (and its own pixels').
    moved = person.pose.copy()
    moved[[sk.R_KNEE, sk.R_ANKLE]] += np.array([6.0, -4.0])
    out = put_back(network, source, *maps, person.pose[None], moved[None])
    below_hips = np.arange(128)[:, None] > person.pose[sk.R_HIP, 1] + 10  # clear of the torso
    right_inner = inner & (np.arange(64) < 24)[None] & below_hips
    assert right_inner.sum() > 10
    assert torch.allclose(out[0][:, torch.from_numpy(right_inner)], torch.zeros(1), atol=1e-3)


def test_pants_painted_into_a_skirt_keep_their_fabric():
    """Decision 0011: where a painted skirt covers the pants the source's own pixels stay
    (the same fabric); with no fabric classes they are the network's to draw."""
    import spt_core.unchanged as unchanged

    person, _ = _trousered_person()
    edited = person.parsing.copy()
    pants = edited == lb.PANTS
    edited[pants] = lb.SKIRT
    inner = ndimage.binary_erosion(pants, SQUARE, iterations=2)
    assert inner.sum() > 30

    def kept():
        mask = unchanged_mask(
            _maps(person.parsing), _maps(edited), person.pose[None], person.pose[None]
        )
        return mask[0, 0].numpy()

    assert (kept()[inner] > 0.999).all()
    unchanged.SAME_FABRIC, saved = (), unchanged.SAME_FABRIC
    try:
        assert (kept()[inner] < 0.001).all()
    finally:
        unchanged.SAME_FABRIC = saved
