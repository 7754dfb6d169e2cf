"""A moved limb keeps its own labels: the semantic network's map corrected along moved limbs
(decision 0008).

The semantic network predicts the target parsing from the source parsing and the two poses. Where
a limb moves far (an arm raised), it often gets the limb's garment wrong (a raised long sleeve
comes out as bare arm, which the label fill then colours as skin) or leaves part of the limb
out. The geometry already knows better: each limb is a rigid part whose transform
(:func:`spt_core.parts.part_affines`) carries the source's labels along it. So, for every limb
that moved, the source pixels that belong to that limb (nearer its bone than to any other part)
are moved by the limb's transform, and where they land inside the limb's target mask their
labels replace the network's. The torso, the head and the background stay the network's.

Only the source pixels nearest the limb's own bone are moved: moving everything inside the limb's
mask carried pieces of the torso along with a raised upper arm (the region the body left scored
0.22 instead of 0.19 on the edit benchmark).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from spt_core import skeleton as sk
from spt_core.parts import (
    DEFAULT_GEOMETRY,
    LIMB_PARTS,
    NUM_PARTS,
    PartGeometry,
    part_affines,
    part_masks,
)

#: The torso part's index (:data:`spt_core.parts.PART_NAMES`).
TORSO_PART = 0

#: A limb whose transform moves no point of the frame by more than this many pixels did not
#: move (the network's map is kept there).
STILL_PIXELS = 0.5

_TORSO_QUAD = (sk.R_SHOULDER, sk.L_SHOULDER, sk.L_HIP, sk.R_HIP)


def _segment_distance(points: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Distance of each (N, 2) point to the segment a-b."""
    ab = b - a
    t = np.clip(((points - a) @ ab) / max(float(ab @ ab), 1e-9), 0.0, 1.0)
    return np.linalg.norm(points - (a + t[:, None] * ab), axis=1)


def limb_owners(pose: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """(H, W) part index of every pixel: the limb whose bone is nearest, or the torso where the
    torso quad (shoulders and hips) is nearer (0 inside it). Pixels nearest no present part
    (no limb and no torso) are -1. (A read-only array, shared between calls.)
    """
    pose = np.ascontiguousarray(pose, np.float64)
    return _owners(pose.tobytes(), tuple(int(v) for v in size))


# While a joint is dragged the source pose stays the same: its owners are computed once.
@lru_cache(maxsize=8)
def _owners(pose_bytes: bytes, size: tuple[int, int]) -> np.ndarray:
    import cv2

    height, width = size
    pose = np.frombuffer(pose_bytes, np.float64).reshape(sk.NUM_JOINTS, 2)
    ok = sk.present(pose)
    ys, xs = np.mgrid[0:height, 0:width]
    points = np.stack([xs.ravel(), ys.ravel()], axis=1).astype(np.float64)
    distances = np.full((NUM_PARTS, points.shape[0]), np.inf)
    for part, (start, end, _) in LIMB_PARTS.items():
        if ok[start] and ok[end]:
            distances[part] = _segment_distance(points, pose[start], pose[end])
    if ok[list(_TORSO_QUAD)].all():
        quad = pose[list(_TORSO_QUAD)]
        edges = [_segment_distance(points, quad[k], quad[(k + 1) % 4]) for k in range(4)]
        inside = np.zeros((height, width), np.uint8)
        cv2.fillPoly(inside, [np.round(quad).astype(np.int32)], 1)
        distances[TORSO_PART] = np.where(inside.ravel() > 0, 0.0, np.min(edges, axis=0))
    owners = distances.argmin(axis=0)
    owners[~np.isfinite(distances.min(axis=0))] = -1
    owners = owners.reshape(height, width)
    owners.flags.writeable = False
    return owners


def _moved(affine: np.ndarray, size: tuple[int, int]) -> bool:
    """Whether a (2, 3) transform moves any corner of the frame by more than STILL_PIXELS."""
    height, width = size
    corners = np.array([[0, 0, 1], [width, 0, 1], [0, height, 1], [width, height, 1]], float)
    return bool(np.abs(corners @ affine.T - corners[:, :2]).max() > STILL_PIXELS)


def moved_limb_labels(
    parsing: np.ndarray,
    source_pose: np.ndarray,
    target_pose: np.ndarray,
    geometry: PartGeometry = DEFAULT_GEOMETRY,
) -> np.ndarray:
    """The source's limb labels moved onto the target pose, for the limbs that moved.

    Args:
        parsing: (H, W) source labels.
        source_pose, target_pose: (18, 2) poses in that frame (NaN = missing).

    Returns:
        (H, W) uint8: a moved limb's label where it lands inside its target mask, 0 elsewhere
        (0 means "no opinion", not background).
    """
    from spt_core.part_composite import inverse_warp

    parsing = np.asarray(parsing, np.uint8)
    height, width = parsing.shape
    affines, valid = part_affines(source_pose, target_pose, geometry)
    masks = part_masks(target_pose, (height, width), geometry)
    owners = limb_owners(source_pose, (height, width))
    out = np.zeros((height, width), np.uint8)
    for part in LIMB_PARTS:
        if not valid[part] or not _moved(affines[part], (height, width)):
            continue
        own = np.where(owners == part, parsing, 0).astype(np.uint8)
        warped = inverse_warp(own, affines[part], (height, width))
        region = masks[part] & (warped != 0)
        out[region] = warped[region]
    return out


def with_limb_labels(probabilities, layers: np.ndarray):
    """The (B, 10, H, W) soft parsing with each (B, H, W) layer's labels put in as certainties
    where the layer has one (a torch tensor; the layers from :func:`moved_limb_labels`)."""
    import torch

    from spt_core import labels as lb

    labels = torch.from_numpy(np.asarray(layers, np.int64)).to(probabilities.device)
    inside = (labels > 0).to(probabilities.dtype)[:, None]
    certain = lb.one_hot_torch(labels).to(probabilities.dtype)
    return probabilities * (1.0 - inside) + certain * inside


def correct_limbs(probabilities, parsings: np.ndarray, source_poses, target_poses):
    """A batch's (B, 10, H, W) soft target parsing with the moved limbs' labels put in: the
    (B, H, W) source ``parsings`` and (B, 18, 2) poses are in the maps' frame."""
    layers = np.stack(
        [
            moved_limb_labels(parsing, source, target)
            for parsing, source, target in zip(parsings, source_poses, target_poses, strict=True)
        ]
    )
    return with_limb_labels(probabilities, layers)
