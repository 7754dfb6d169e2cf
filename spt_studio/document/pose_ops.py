"""Pose edits as pure functions: bone-length-locked drags, mirroring in place, pose copying.

A pose is the ``spt_core.skeleton`` convention: float32 (18, 2) (x, y), NaN for missing.
"""

from __future__ import annotations

import numpy as np

from spt_core import pose_tree
from spt_core import skeleton as sk

#: Parent of every joint in a tree rooted at the neck (the bone lock rotates a dragged joint's
#: subtree about its parent): :data:`spt_core.pose_tree.PARENT`.
PARENT = pose_tree.PARENT


def subtree(joint: int) -> list[int]:
    """``joint`` and every joint below it in :data:`PARENT`."""
    out = [joint]
    for child, parent in enumerate(PARENT):
        if parent == joint:
            out += subtree(child)
    return out


def move_joint(
    pose: np.ndarray, joint: int, target: tuple[float, float], bone_lock: bool = False
) -> np.ndarray:
    """A copy of ``pose`` with ``joint`` dragged towards ``target``.

    Without the lock only that joint moves. With it, the joint stays at its bone length from
    its parent (it is projected onto that circle) and its whole subtree rotates with it, so
    every bone keeps its length; dragging the neck (the root) translates the whole pose.
    """
    out = np.asarray(pose, np.float32).copy()
    target_xy = np.asarray(target, np.float64)
    if not bone_lock or np.isnan(out[joint]).any():
        out[joint] = target_xy
        return out
    parent = PARENT[joint]
    if parent is None or np.isnan(out[parent]).any():
        # No anchor: move the subtree rigidly.
        delta = target_xy - out[joint]
        members = subtree(joint)
        out[members] = out[members] + delta.astype(np.float32)
        return out
    pivot = out[parent].astype(np.float64)
    old = out[joint].astype(np.float64) - pivot
    new = target_xy - pivot
    if np.hypot(*new) < 1e-6 or np.hypot(*old) < 1e-6:
        return out
    angle = np.arctan2(new[1], new[0]) - np.arctan2(old[1], old[0])
    cos, sin = np.cos(angle), np.sin(angle)
    rotation = np.array([[cos, -sin], [sin, cos]])
    members = subtree(joint)
    out[members] = ((out[members].astype(np.float64) - pivot) @ rotation.T + pivot).astype(
        np.float32
    )
    return out


def body_centre_x(pose: np.ndarray) -> float:
    """The x the body is mirrored about: the mean x of the present joints."""
    ok = sk.present(pose)
    if not ok.any():
        return 0.0
    return float(np.mean(pose[ok, 0]))


def mirror_in_place(
    pose: np.ndarray, visible: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray | None]:
    """Mirror a pose left/right about its own vertical centre line (the person stays put).

    ``skeleton.mirror_pose`` flips about the image centre (x -> width - 1 - x); passing
    width = 2 * centre + 1 makes it flip about the body's centre instead.

    Returns:
        (mirrored pose, visibility permuted the same way or None).
    """
    centre = body_centre_x(pose)
    mirrored = sk.mirror_pose(pose, width=2 * centre + 1)
    flipped_visible = None if visible is None else np.asarray(visible)[sk.MIRROR_INDEX].copy()
    return mirrored.astype(np.float32), flipped_visible


def fit_pose(pose: np.ndarray, from_size: tuple[int, int], to_size: tuple[int, int]) -> np.ndarray:
    """A pose of an image of ``from_size`` carried to an image of ``to_size`` (both (H, W)).

    Same size: copied exactly. Otherwise scaled uniformly by the height ratio (people in
    person crops fill the height) and centred horizontally, so the body keeps its proportions.
    """
    pose = np.asarray(pose, np.float32)
    if tuple(from_size) == tuple(to_size):
        return pose.copy()
    scale = to_size[0] / from_size[0]
    out = sk.scale_pose(pose, scale)
    out[:, 0] += (to_size[1] - from_size[1] * scale) / 2.0
    return out
