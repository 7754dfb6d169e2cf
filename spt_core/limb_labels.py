"""A moved limb keeps its own labels: the semantic network's map corrected along moved limbs
(decision 0008).

The semantic network predicts the target parsing from the source parsing and the two poses. Where
a limb moves far (an arm raised), it often gets the limb's garment wrong (a raised long sleeve
comes out as bare arm, which the label fill then colours as skin) or leaves part of the limb
out. The geometry already knows better: each limb is a rigid part whose transform
(:func:`spt_core.parts.part_affines`) carries the source's labels along it. So, for every limb
that moved, the source pixels that belong to that limb (nearer its bone than to any other part)
are moved by the limb's transform, and where they land inside the limb's target mask their
labels replace the network's.

A body that did not move keeps its map (decision 0010): when the torso and the head did not
move (an arm raised, a leg stepped), everything outside the moved limbs' source and target
masks is the source's own map, background included. The network redraws a whole map and gets
a still torso's outline and the unmoved arm's sleeve a little wrong every time (on the edit
benchmark's raised arms it was wrong in more pixels where nothing changed than changed at all).

Only the source pixels nearest the limb's own bone are moved: moving everything inside the limb's
mask carried pieces of the torso along with a raised upper arm (the region the body left scored
0.22 instead of 0.19 on the edit benchmark).
"""

from __future__ import annotations

import dataclasses
from functools import lru_cache

import numpy as np

from spt_core import labels as lb
from spt_core import skeleton as sk
from spt_core.parts import (
    DEFAULT_GEOMETRY,
    LIMB_PARTS,
    NUM_PARTS,
    PartGeometry,
    part_affines,
    part_masks,
)

#: The torso's and the head's part indices (:data:`spt_core.parts.PART_NAMES`).
TORSO_PART, HEAD_PART = 0, 1

#: A limb whose transform moves no point of the frame by more than this many pixels did not
#: move (the network's map is kept there).
STILL_PIXELS = 0.5

#: Forearms and shins own the pixels up to this fraction of the bone past the wrist or ankle
#: (the hand, the foot): otherwise a hand held by the hip belongs to the thigh and stays behind
#: when the arm is raised.
OWNER_END_EXTENSION = 0.5

#: Where a moved limb's labels may land: its target mask reaching this fraction of the bone past
#: the wrist or ankle (the owned hand or foot fits inside; the parts' default mask reaches 0.5).
LANDING = dataclasses.replace(DEFAULT_GEOMETRY, mask_end_extension=1.0)

#: A moved torso's target mask: the torso quad grown a little (not the whole image).
TORSO_BODY = dataclasses.replace(DEFAULT_GEOMETRY, torso_mask="body")

#: The moved limbs' masks grow by this many pixels before the still map is kept outside them
#: (their outlines are the network's to draw).
STILL_MARGIN = 1

#: Whether a still body keeps the source's map (decision 0010; False: only moved limbs' labels).
STILL_MAP = True

#: The labels a head that moved without turning carries (face and hair inside its square), and
#: how far its transform may be from a similarity of scale 1 (decision 0010).
HEAD_LABELS: tuple[int, ...] = (lb.FACE, lb.HAIR)
HEAD_DISTORTION = 0.15

#: No opinion, in a layer of labels (:func:`target_layer`).
NO_OPINION = -1

_LONG_LIMBS = (4, 5, 8, 9)  # shins and forearms

_TORSO_QUAD = (sk.R_SHOULDER, sk.L_SHOULDER, sk.L_HIP, sk.R_HIP)


def _segment_distance(points: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Distance of each (N, 2) point to the segment a-b."""
    ab = b - a
    t = np.clip(((points - a) @ ab) / max(float(ab @ ab), 1e-9), 0.0, 1.0)
    return np.linalg.norm(points - (a + t[:, None] * ab), axis=1)


def limb_owners(pose: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """(H, W) part index of every pixel: the limb whose bone is nearest (forearms and shins
    reach ``OWNER_END_EXTENSION`` past their end joint), or the torso where the torso quad
    (shoulders and hips) is nearer (0 inside it). Pixels nearest no present part
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
            end_point = pose[end]
            if part in _LONG_LIMBS:
                end_point = end_point + OWNER_END_EXTENSION * (pose[end] - pose[start])
            distances[part] = _segment_distance(points, pose[start], end_point)
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


def moved_parts(
    source_pose: np.ndarray,
    target_pose: np.ndarray,
    size: tuple[int, int],
    geometry: PartGeometry = DEFAULT_GEOMETRY,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(affines (10, 2, 3), valid (10,), moved (10,)) of one pose pair: ``moved`` is true for a
    part whose transform moves a frame corner by more than ``STILL_PIXELS``, or that is present
    in one pose only (its place is unknown)."""
    affines, valid = part_affines(source_pose, target_pose, geometry)
    source_masks = part_masks(source_pose, size, geometry)
    target_masks = part_masks(target_pose, size, geometry)
    present = source_masks.any(axis=(1, 2)) | target_masks.any(axis=(1, 2))
    moved = np.array(
        [
            (present[part] and not valid[part]) or (valid[part] and _moved(affines[part], size))
            for part in range(NUM_PARTS)
        ]
    )
    return affines, valid, moved


def landing(geometry: PartGeometry) -> PartGeometry:
    """``geometry`` with the mask end extension of :data:`LANDING` (where moved limbs land)."""
    extension = max(geometry.mask_end_extension, LANDING.mask_end_extension)
    return dataclasses.replace(geometry, mask_end_extension=extension)


def bilinear_at(image: np.ndarray, affine: np.ndarray, where: np.ndarray) -> np.ndarray:
    """(N, C) float32: ``image`` (H, W, C) sampled bilinearly at the pixels ``where`` (H, W
    bool) through the target -> source ``affine`` (2, 3); 0 outside the image.

    numpy, not ``cv2.warpAffine``: OpenCV's bilinear rounding changed between releases (5.0 and
    5.1 differ by a grey level here and there), and the pipeline's outputs must not depend on
    which OpenCV wheel is installed.
    """
    ys, xs = np.nonzero(where)
    points = np.stack([xs, ys, np.ones_like(xs)], axis=1).astype(np.float64) @ affine.T
    pixels = np.asarray(image, np.float32)
    height, width = pixels.shape[:2]
    x0, y0 = np.floor(points[:, 0]).astype(int), np.floor(points[:, 1]).astype(int)
    fx, fy = (points[:, 0] - x0)[:, None], (points[:, 1] - y0)[:, None]
    out = np.zeros((len(xs), pixels.shape[2]), np.float64)
    for dy, dx, weight in ((0, 0, (1 - fx) * (1 - fy)), (0, 1, fx * (1 - fy)),
                           (1, 0, (1 - fx) * fy), (1, 1, fx * fy)):  # fmt: skip
        x, y = x0 + dx, y0 + dy
        inside = (x >= 0) & (x < width) & (y >= 0) & (y < height)
        out[inside] += weight[inside] * pixels[y[inside], x[inside]]
    return out.astype(np.float32)


def head_moved_rigidly(
    source_pose: np.ndarray, target_pose: np.ndarray, affine: np.ndarray
) -> bool:
    """Whether a head moved without turning: the same head joints (nose, eyes, ears) are
    visible in both poses and its transform is a similarity within ``HEAD_DISTORTION`` (scale
    and shear). A head that turned shows another side of itself; its pixels are not carried."""
    head = list(sk.HEAD_JOINTS)
    if not (sk.present(source_pose)[head] == sk.present(target_pose)[head]).all():
        return False
    linear = np.asarray(affine, np.float64)[:, :2]
    a, b = (linear[0, 0] + linear[1, 1]) / 2, (linear[0, 1] - linear[1, 0]) / 2
    similarity = np.array([[a, b], [-b, a]])
    scale = float(np.hypot(a, b))
    return (
        abs(scale - 1.0) <= HEAD_DISTORTION and np.abs(linear - similarity).max() <= HEAD_DISTORTION
    )


def carry_parts(
    parsing: np.ndarray,
    source_pose: np.ndarray,
    target_pose: np.ndarray,
    geometry: PartGeometry = DEFAULT_GEOMETRY,
    image: np.ndarray | None = None,
    torso_labels: tuple[int, ...] = (),
    head_labels: tuple[int, ...] = (),
) -> tuple[np.ndarray, np.ndarray | None]:
    """Each moved limb's own labelled source pixels (those it owns, :func:`limb_owners`) moved
    by its transform to where they land inside its target mask (:data:`LANDING`); with
    ``torso_labels`` also a moved torso's pixels of those labels (outside every limb's source
    mask), landing inside its target body mask where no limb landed; with ``head_labels`` a
    moved head's pixels of those labels inside its source square, landing inside its target
    square where nothing else landed, when the head moved without turning
    (:func:`head_moved_rigidly`).

    Args:
        parsing: (H, W) source labels.
        source_pose, target_pose: (18, 2) poses in that frame (NaN = missing).
        image: (H, W, C) source picture to carry along (bilinear), or None.

    Returns:
        (labels (H, W) uint8, 0 where nothing landed; picture (H, W, C) float32 with the carried
        colours there, or None without ``image``).
    """
    from spt_core.part_composite import inverse_warp

    parsing = np.asarray(parsing, np.uint8)
    size = parsing.shape
    labels = np.zeros(size, np.uint8)
    picture = None if image is None else np.zeros(np.shape(image), np.float32)
    affines, valid, moved = moved_parts(source_pose, target_pose, size, geometry)
    carried = [part for part in LIMB_PARTS if valid[part] and moved[part]]
    if torso_labels and valid[TORSO_PART] and moved[TORSO_PART]:
        carried.append(TORSO_PART)  # after the limbs: only where no limb landed
    head = head_labels and valid[HEAD_PART] and moved[HEAD_PART]
    if head and head_moved_rigidly(source_pose, target_pose, affines[HEAD_PART]):
        carried.append(HEAD_PART)
    if not carried:
        return labels, picture
    masks = part_masks(target_pose, size, landing(geometry))
    owners = limb_owners(source_pose, size)
    for part in carried:
        own = owners == part
        if part == TORSO_PART:
            limbs = part_masks(source_pose, size, geometry)[list(LIMB_PARTS)].any(axis=0)
            own &= ~limbs & np.isin(parsing, torso_labels)
            region = part_masks(target_pose, size, TORSO_BODY)[TORSO_PART] & (labels == 0)
        elif part == HEAD_PART:  # the head square (it owns no pixels of limb_owners)
            own = part_masks(source_pose, size, geometry)[HEAD_PART] & np.isin(parsing, head_labels)
            region = masks[HEAD_PART] & (labels == 0)
        else:
            region = masks[part]
        warped = inverse_warp(np.where(own, parsing, 0).astype(np.uint8), affines[part], size)
        region = region & (warped != 0)
        labels[region] = warped[region]
        if picture is not None:
            picture[region] = bilinear_at(image, affines[part], region)
    return labels, picture


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
        (H, W) uint8: a moved limb's label where it lands inside its target mask (reaching
        past the wrist or ankle, :data:`LANDING`), 0 elsewhere
        (0 means "no opinion", not background).
    """
    return carry_parts(parsing, source_pose, target_pose, geometry)[0]


def still_labels(
    parsing: np.ndarray,
    source_pose: np.ndarray,
    target_pose: np.ndarray,
    geometry: PartGeometry = DEFAULT_GEOMETRY,
) -> np.ndarray:
    """The source's own map where the body did not move (decision 0010).

    Returns:
        (H, W) int16: the source's label (background included) outside every moved limb's
        source and target masks (and its own pixels, hands and feet included; grown by
        ``STILL_MARGIN``) when the torso and the head did not move (everywhere when nothing
        moved); ``NO_OPINION`` elsewhere, and everywhere when the torso or the head moved.
    """
    import cv2

    parsing = np.asarray(parsing, np.uint8)
    size = parsing.shape
    out = np.full(size, NO_OPINION, np.int16)
    if not STILL_MAP:
        return out
    _, _, moved = moved_parts(source_pose, target_pose, size, geometry)
    if not moved.any():
        return parsing.astype(np.int16)  # nothing moved: the map is the source's
    if moved[TORSO_PART] or moved[HEAD_PART]:
        return out  # the whole body moved: the network's map
    source_masks = part_masks(source_pose, size, geometry)
    target_masks = part_masks(target_pose, size, geometry)
    owners = limb_owners(source_pose, size)
    changing = np.zeros(size, bool)
    for part in np.flatnonzero(moved):
        changing |= source_masks[part] | target_masks[part] | ((owners == part) & (parsing > 0))
    if STILL_MARGIN:
        side = 2 * STILL_MARGIN + 1
        changing = cv2.dilate(changing.astype(np.uint8), np.ones((side, side), np.uint8)) > 0
    out[~changing] = parsing[~changing]
    return out


def target_layer(
    parsing: np.ndarray,
    source_pose: np.ndarray,
    target_pose: np.ndarray,
    geometry: PartGeometry = DEFAULT_GEOMETRY,
) -> np.ndarray:
    """(H, W) int16: what the geometry knows of the target map: the still body's labels
    (:func:`still_labels`) with the moved limbs' (:func:`moved_limb_labels`) and a rigidly
    moved head's (:func:`carry_parts`) over them;
    ``NO_OPINION`` where it knows nothing (the network's map is used there)."""
    layer = still_labels(parsing, source_pose, target_pose, geometry)
    limbs, _ = carry_parts(parsing, source_pose, target_pose, geometry, head_labels=HEAD_LABELS)
    return np.where(limbs > 0, limbs.astype(np.int16), layer)


def with_limb_labels(probabilities, layers: np.ndarray):
    """The (B, 10, H, W) soft parsing with each (B, H, W) layer's labels put in as certainties
    where the layer has one (a torch tensor; layers from :func:`target_layer`, ``NO_OPINION``
    or any negative value = no opinion)."""
    import torch

    layers = np.asarray(layers, np.int64)
    labels = torch.from_numpy(np.maximum(layers, 0)).to(probabilities.device)
    inside = torch.from_numpy(layers >= 0).to(probabilities.device, probabilities.dtype)[:, None]
    certain = lb.one_hot_torch(labels).to(probabilities.dtype)
    return probabilities * (1.0 - inside) + certain * inside


def correct_limbs(probabilities, parsings: np.ndarray, source_poses, target_poses):
    """A batch's (B, 10, H, W) soft target parsing with what the geometry knows put in
    (:func:`target_layer`): the (B, H, W) source ``parsings`` and (B, 18, 2) poses are in the
    maps' frame."""
    layers = np.stack(
        [
            target_layer(parsing, source, target)
            for parsing, source, target in zip(parsings, source_poses, target_poses, strict=True)
        ]
    )
    return with_limb_labels(probabilities, layers)
