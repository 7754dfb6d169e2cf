"""Crop / resize / pad to the model's size, and the way back to the photo."""

from __future__ import annotations

import numpy as np
import pytest

from spt_core import skeleton as sk
from spt_core.letterbox import Letterbox
from spt_core.prepare.framing import frame_person, person_box


def _pose_in_box(x0, y0, x1, y1) -> np.ndarray:
    pose = sk.missing_pose()
    pose[sk.NOSE] = ((x0 + x1) / 2, y0)
    pose[sk.R_ANKLE] = (x0, y1)
    pose[sk.L_ANKLE] = (x1, y1)
    return pose


@pytest.mark.parametrize("size", [(128, 64), (256, 176)])
@pytest.mark.parametrize("source", [(480, 640), (1000, 300), (90, 70)])
def test_points_round_trip_and_the_person_is_centred_inside(size, source):
    height, width = source
    pose = _pose_in_box(0.3 * width, 0.2 * height, 0.6 * width, 0.9 * height)
    framing = frame_person(pose, None, source, size)
    target = framing.pose_to_target(pose)
    assert (sk.present(target) == sk.present(pose)).all()  # nobody is cut off
    back = framing.to_source(target)
    np.testing.assert_allclose(back, pose, atol=1e-3)  # NaN where missing, on both sides
    # The box (with its margin) fits, centred to within a pixel.
    centre = (np.nanmin(target, 0) + np.nanmax(target, 0)) / 2
    np.testing.assert_allclose(centre, ((size[1] - 1) / 2, (size[0] - 1) / 2), atol=1.0)
    extent = np.nanmax(target, 0) - np.nanmin(target, 0)
    assert extent[1] <= size[0] and extent[0] <= size[1]
    assert max(extent[1] / size[0], extent[0] / size[1]) > 0.7  # and fills the frame


def test_a_bright_dot_lands_where_to_target_says():
    """Independent check of the image warp: the centroid of a dot drawn in the photo."""
    photo = np.zeros((600, 400, 3), np.uint8)
    ys, xs = np.mgrid[:600, :400]
    dot = (xs - 251.0) ** 2 + (ys - 333.0) ** 2 <= 9.0**2
    photo[dot] = 255
    pose = _pose_in_box(120, 100, 300, 560)
    framing = frame_person(pose, None, photo.shape[:2], (128, 64))
    framed = framing.apply_image(photo)[..., 0].astype(np.float64)
    ty, tx = np.mgrid[: framed.shape[0], : framed.shape[1]]
    centroid = np.array([(framed * tx).sum(), (framed * ty).sum()]) / framed.sum()
    np.testing.assert_allclose(centroid, framing.to_target(np.array([251.0, 333.0])), atol=0.15)


def test_mapping_matches_an_affine_written_out_by_hand():
    framing = Letterbox(source_size=(100, 80), size=(128, 64), scale=(0.5, 0.5), offset=(12, -3))
    # x' = (x + 0.5) * 0.5 - 0.5 + 12 ; y' = (y + 0.5) * 0.5 - 0.5 - 3
    np.testing.assert_allclose(framing.to_target(np.array([10.0, 20.0])), (16.75, 6.75))
    np.testing.assert_allclose(framing.to_source(np.array([16.75, 6.75])), (10.0, 20.0))
    assert Letterbox.from_dict(framing.to_dict()) == framing


def test_labels_and_results_go_back_onto_the_photo():
    source = (300, 200)
    pose = _pose_in_box(50, 40, 150, 280)
    framing = frame_person(pose, None, source, (128, 64))
    labels = np.zeros((128, 64), np.uint8)
    labels[40:80, 20:40] = 3
    back = framing.labels_to_source(labels)
    assert back.shape == source
    # The label block covers the photo area that maps into it.
    corner = framing.to_source(np.array([[20.0, 40.0], [39.0, 79.0]]))
    (x0, y0), (x1, y1) = np.ceil(corner[0]).astype(int), np.floor(corner[1]).astype(int)
    assert (back[y0 + 1 : y1 - 1, x0 + 1 : x1 - 1] == 3).all()
    assert (back == 3).sum() == pytest.approx((y1 - y0 + 1) * (x1 - x0 + 1), rel=0.15)
    photo = np.full(source + (3,), 40, np.uint8)
    result = np.full((128, 64, 3), 200, np.uint8)
    mask = np.zeros((128, 64), np.float32)
    mask[40:80, 20:40] = 1
    pasted = framing.paste_back(result, photo, mask)
    inner = pasted[y0 + 2 : y1 - 2, x0 + 2 : x1 - 2]
    assert (inner == 200).all() and pasted[5, 5, 0] == 40


def test_person_box_uses_mask_and_joints():
    mask = np.zeros((100, 50), np.float32)
    mask[10:90, 20:30] = 1
    pose = sk.missing_pose()
    pose[sk.R_WRIST] = (5, 50)
    assert person_box(pose, mask, (100, 50)) == (5.0, 10.0, 29.0, 89.0)
    assert person_box(sk.missing_pose(), None, (100, 50)) == (0.0, 0.0, 49.0, 99.0)
