"""The skeleton as a tree of bones rooted at the neck: bone lengths kept when a pose is taken
from another person (:func:`with_bone_lengths`), and poses in between keyframes interpolated by
the angle of each bone about its parent joint (:func:`interpolate`), so bones keep their length
(issue #19). Interpolating joint positions instead would shrink a forearm that swings through
half a turn to nothing halfway.
"""

from __future__ import annotations

import numpy as np

from spt_core import skeleton as sk

#: Parent of every joint in a tree rooted at the neck (None for the neck).
PARENT: tuple[int | None, ...] = (
    sk.NECK,  # nose
    None,  # neck
    sk.NECK, sk.R_SHOULDER, sk.R_ELBOW,  # right arm
    sk.NECK, sk.L_SHOULDER, sk.L_ELBOW,  # left arm
    sk.NECK, sk.R_HIP, sk.R_KNEE,  # right leg
    sk.NECK, sk.L_HIP, sk.L_KNEE,  # left leg
    sk.NOSE, sk.NOSE, sk.R_EYE, sk.L_EYE,  # eyes, ears
)  # fmt: skip


def _order() -> list[int]:
    """Joints so that every parent comes before its children."""
    order, pending = [sk.NECK], [j for j in range(sk.NUM_JOINTS) if j != sk.NECK]
    while pending:
        ready = [j for j in pending if PARENT[j] in order]
        order += ready
        pending = [j for j in pending if j not in ready]
    return order


ORDER: tuple[int, ...] = tuple(_order())


def bone_lengths(pose: np.ndarray) -> np.ndarray:
    """(18,) length of each joint's bone to its parent (NaN for the neck or a missing end)."""
    pose = np.asarray(pose, np.float64)
    out = np.full(sk.NUM_JOINTS, np.nan)
    for joint, parent in enumerate(PARENT):
        if parent is not None:
            out[joint] = np.hypot(*(pose[joint] - pose[parent]))
    return out


def with_bone_lengths(pose: np.ndarray, lengths_of: np.ndarray) -> np.ndarray:
    """``pose``'s bone directions with ``lengths_of``'s bone lengths, from ``pose``'s neck (a
    library pose applied to a person keeps her proportions). Bones either pose lacks keep
    ``pose``'s own."""
    pose = np.asarray(pose, np.float64)
    wanted = bone_lengths(lengths_of)
    out = pose.copy()
    for joint in ORDER:
        parent = PARENT[joint]
        if parent is None or not sk.present(pose)[[joint, parent]].all():
            continue
        vector = pose[joint] - pose[parent]
        length = np.hypot(*vector)
        if np.isfinite(wanted[joint]) and length > 1e-9:
            vector = vector * wanted[joint] / length
        out[joint] = out[parent] + vector
    return out.astype(np.float32)


def interpolate(a: np.ndarray, b: np.ndarray, t: float) -> np.ndarray:
    """The pose a fraction ``t`` (0..1) of the way from ``a`` to ``b``.

    The neck moves on a straight line; every bone turns about its parent joint by the shorter
    way round and its length changes linearly (constant when the two poses share it). A joint
    either pose lacks is missing in between; ``t`` = 0 and 1 give copies of ``a`` and ``b``.
    """
    a = np.asarray(a, np.float32)
    b = np.asarray(b, np.float32)
    if t <= 0.0:
        return a.copy()
    if t >= 1.0:
        return b.copy()
    both = sk.present(a) & sk.present(b)
    out = np.full((sk.NUM_JOINTS, 2), np.nan, np.float64)
    a64, b64 = a.astype(np.float64), b.astype(np.float64)
    for joint in ORDER:
        if not both[joint]:
            continue
        parent = PARENT[joint]
        if parent is None or not np.isfinite(out[parent]).all():
            out[joint] = (1 - t) * a64[joint] + t * b64[joint]  # the root, or a broken chain
            continue
        va, vb = a64[joint] - a64[parent], b64[joint] - b64[parent]
        angle_a, angle_b = np.arctan2(va[1], va[0]), np.arctan2(vb[1], vb[0])
        turn = (angle_b - angle_a + np.pi) % (2 * np.pi) - np.pi
        angle = angle_a + t * turn
        length = (1 - t) * np.hypot(*va) + t * np.hypot(*vb)
        out[joint] = out[parent] + length * np.array([np.cos(angle), np.sin(angle)])
    return out.astype(np.float32)


def frame_poses(keyframes: list[np.ndarray], frames: int) -> list[np.ndarray]:
    """``frames`` poses from the first keyframe to the last, the keyframes evenly spaced in
    time; the first and last are copies of the first and last keyframes."""
    if len(keyframes) < 2:
        raise ValueError("an animation needs at least two keyframes")
    if frames < 2:
        raise ValueError(f"an animation needs at least two frames, got {frames}")
    out = []
    segments = len(keyframes) - 1
    for i in range(frames):
        position = i * segments / (frames - 1)
        k = min(int(position), segments - 1)
        out.append(interpolate(keyframes[k], keyframes[k + 1], position - k))
    return out
