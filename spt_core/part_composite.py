"""The "no learning" baseline: a label map or an image moved part by part onto another pose.

The torso transform (:mod:`spt_core.parts`) moves the whole map or picture; the head and limbs
are then laid over it, each inside its own target part mask, where the warped source shows the
body. The parsing evaluation, the appearance evaluation's "part warp" row and ``spt search
--show`` use it.
"""

from __future__ import annotations

import numpy as np

from spt_core.parts import DEFAULT_GEOMETRY, NUM_PARTS, PartGeometry, part_affines, part_masks


def warp_labels_by_parts(
    parsing: np.ndarray,
    source_pose: np.ndarray,
    target_pose: np.ndarray,
    geometry: PartGeometry = DEFAULT_GEOMETRY,
) -> np.ndarray:
    """Move a label map part by part onto another pose (nearest neighbour, no learning).

    The torso transform moves the whole map (background included) inside the torso mask; the
    head and limbs are then laid over it, each inside its own target part mask, where the warped
    source has a body label. This is the "no learning" baseline for parsing, and what
    ``spt search --show`` draws.

    Returns:
        (H, W) uint8 labels in the target pose.
    """
    labels, _ = _composite_by_parts(parsing, None, source_pose, target_pose, geometry)
    return labels


def warp_image_by_parts(
    image: np.ndarray,
    parsing: np.ndarray,
    source_pose: np.ndarray,
    target_pose: np.ndarray,
    geometry: PartGeometry = DEFAULT_GEOMETRY,
) -> np.ndarray:
    """Move an image part by part onto another pose (bilinear, no learning).

    The same composition as :func:`warp_labels_by_parts`: the torso transform moves the whole
    picture, then head and limbs are laid over it where the source parsing, moved by the same
    transform, shows the body. This is the "part-wise affine warp" baseline of the appearance
    network's quality table.

    Args:
        image: (H, W, 3) uint8 source image.
        parsing: (H, W) its labels (decide which warped pixels belong to the body).
        source_pose, target_pose: (18, 2) poses in that frame.

    Returns:
        (H, W, 3) uint8 image in the target pose.
    """
    _, picture = _composite_by_parts(parsing, image, source_pose, target_pose, geometry)
    return picture


def inverse_warp(
    array: np.ndarray, affine: np.ndarray, size: tuple[int, int], nearest: bool = True, fill=0
) -> np.ndarray:
    """``array`` sampled through a target -> source affine (the part transforms' convention)
    into an image of ``size`` (H, W): nearest neighbour for labels, bilinear for pictures;
    ``fill`` where the transform samples outside ``array``."""
    import cv2

    flags = (cv2.INTER_NEAREST if nearest else cv2.INTER_LINEAR) | cv2.WARP_INVERSE_MAP
    return cv2.warpAffine(
        array, affine, (size[1], size[0]), flags=flags,
        borderMode=cv2.BORDER_CONSTANT, borderValue=fill,
    )  # fmt: skip


def _composite_by_parts(parsing, image, source_pose, target_pose, geometry):
    height, width = parsing.shape
    affines, valid = part_affines(source_pose, target_pose, geometry)
    masks = part_masks(target_pose, (height, width), geometry)
    labels = np.zeros((height, width), np.uint8)
    picture = None if image is None else np.zeros_like(image)
    for part in range(NUM_PARTS):
        if not valid[part]:
            continue
        warped = inverse_warp(np.asarray(parsing, np.uint8), affines[part], (height, width))
        region = masks[part] if part == 0 else masks[part] & (warped != 0)
        labels[region] = warped[region]
        if picture is not None:
            moved = inverse_warp(image, affines[part], (height, width), nearest=False)
            picture[region] = moved[region]
    return labels, picture
