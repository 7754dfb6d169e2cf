"""Pose masks and skeleton drawing by hand (split from test_skeleton.py, which compares the
CSV reader, heat maps and masks with PG2's own code on the real annotations)."""

from __future__ import annotations

import numpy as np

from spt_core import skeleton as sk


def test_pose_mask_of_a_bone_by_hand():
    # Neck (x=20, y=10) to right shoulder (x=20, y=30): discs of radius 4 at y = 10, 14, ..., 30.
    pose = sk.missing_pose()
    pose[sk.NECK], pose[sk.R_SHOULDER] = (20, 10), (20, 30)
    mask = sk.pose_mask(pose, (50, 40), radius=4, closing=1)
    assert mask[10:31, 17:24].all()  # |dx| <= 3 is covered all along the bone
    assert mask[14, 16] and mask[14, 24]  # (dy, dx) = (0, 4) from an interior centre
    assert not mask[12, 16]  # (dy, dx) = (2, 4) from the nearest centres: 20 > 16
    assert mask[6, 20] and mask[34, 20]  # distance exactly 4 from an end is inside
    assert not mask[5, 20] and not mask[35, 20] and not mask[20, 15] and not mask[20, 25]
    assert not mask[7, 17]  # (dy, dx) = (3, 3): 18 > 16
    assert mask.sum() == mask[6:35, 16:25].sum()


def test_pose_mask_without_joints_is_empty():
    assert not sk.pose_mask(sk.missing_pose(), (128, 64)).any()
    lonely = sk.missing_pose()
    lonely[sk.R_WRIST] = (30, 30)  # no segment has both ends
    assert not sk.pose_mask(lonely, (128, 64)).any()


def test_draw_skeleton_marks_joints_and_leaves_input():
    image = np.zeros((64, 48, 3), np.uint8)
    pose = sk.missing_pose()
    pose[sk.NECK], pose[sk.R_SHOULDER] = (24, 10), (10, 12)
    drawn = sk.draw_skeleton(image, pose)
    assert not image.any()
    assert (drawn[10, 24] > 200).all() and (drawn[12, 10] > 200).all()
    assert not drawn[50:, :].any()
