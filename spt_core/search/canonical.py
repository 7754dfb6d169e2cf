"""Canonical part frames: every parsing map sampled part by part in a pose-free coordinate system.

The search distance of the method,

    D(s, p) = sum_j || B_p^j (x) S_p - f_j(B_s^j (x) S_s) ||^2 ,

compares the source part j, moved by the affine f_j onto the candidate's part j, with the
candidate's part j. For the eight limbs, f_j maps the source limb quad exactly onto the candidate
limb quad (both are rectangles along the bone, method §2.2), so f_j = A_s,j o A_p,j^-1 where
A_i,j maps a fixed canonical rectangle onto image i's quad. Sampling both maps in that canonical
rectangle therefore compares the same points that f_j puts together, and it needs one warp per
image and part instead of one per *pair* and part. The torso and the head, whose f_j are least
squares fits, get canonical frames fitted the same way to a template skeleton.

Our reconstruction (the paper's search code was never released): the distance is counted per
canonical sample rather than per candidate pixel, which makes it independent of how large the
candidate is drawn; docs/search.md has the details and the comparison with the pixel-frame form.

Canonical units: the torso scale (see ``parts.torso_scales``) is 1. Canonical x grows to the
person's left, y downwards (a frontal view: the person's right shoulder at smaller x), so a back
view gets a mirroring affine and right limbs are still compared with right limbs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from spt_core import parts
from spt_core import skeleton as sk

NONE_LABEL = 255  # a canonical sample outside the image or in a missing part

#: Template joints in canonical units (median Market-1501 proportions: shoulder width 0.7,
#: hip width 0.46, torso height 1.0 torso scales). Only the torso and head joints are used.
TEMPLATE: dict[int, tuple[float, float]] = {
    sk.R_SHOULDER: (-0.35, -0.5),
    sk.L_SHOULDER: (0.35, -0.5),
    sk.R_HIP: (-0.23, 0.5),
    sk.L_HIP: (0.23, 0.5),
    sk.NOSE: (0.0, -0.86),
    sk.R_EYE: (-0.07, -0.93),
    sk.L_EYE: (0.07, -0.93),
    sk.R_EAR: (-0.15, -0.9),
    sk.L_EAR: (0.15, -0.9),
}
#: Canonical windows (x0, x1, y0, y1) of the torso (the whole body around it: the method's
#: torso mask is the whole image) and of the head (the 0.4-scale head square of §2.2).
TORSO_WINDOW = (-1.25, 1.25, -1.4, 2.6)
HEAD_WINDOW = (-0.4, 0.4, -1.28, -0.48)
#: Canonical lengths of the limb rectangles (torso scales), for the sampling density only.
LIMB_LENGTHS = {2: 1.1, 3: 1.1, 4: 1.3, 5: 1.3, 6: 0.8, 7: 0.8, 8: 0.9, 9: 0.9}


@dataclass(frozen=True)
class PartGrid:
    """The sample grid of one part: ``height`` x ``width`` samples, and the affine taking a
    sample index (column, row) to canonical coordinates."""

    height: int
    width: int
    to_canonical: np.ndarray  # (2, 3)
    offset: int  # first index of this part in the concatenated sample vector

    @property
    def size(self) -> int:
        return self.height * self.width


class CanonicalLayout:
    """Sample grids of the 10 parts at a resolution of ``samples_per_unit`` per torso scale."""

    def __init__(self, samples_per_unit: float, geometry: parts.PartGeometry | None = None):
        self.samples_per_unit = float(samples_per_unit)
        self.geometry = geometry or parts.DEFAULT_GEOMETRY
        spu = self.samples_per_unit
        half = self.geometry.half_width
        windows = {0: TORSO_WINDOW, 1: HEAD_WINDOW}
        for part, length in LIMB_LENGTHS.items():
            windows[part] = (-half, half, 0.0, length)
        grids, offset = [], 0
        for part in range(parts.NUM_PARTS):
            x0, x1, y0, y1 = windows[part]
            width = max(2, round((x1 - x0) * spu))
            height = max(2, round((y1 - y0) * spu))
            sx, sy = (x1 - x0) / width, (y1 - y0) / height
            # Sample (c, r) sits at the centre of its cell.
            to_canonical = np.array([[sx, 0, x0 + 0.5 * sx], [0, sy, y0 + 0.5 * sy]])
            grids.append(PartGrid(height, width, to_canonical, offset))
            offset += height * width
        self.grids: tuple[PartGrid, ...] = tuple(grids)
        self.total = offset
        self.windows = windows

    def part_slices(self) -> list[slice]:
        return [slice(g.offset, g.offset + g.size) for g in self.grids]


def _compose(outer: np.ndarray, inner: np.ndarray) -> np.ndarray:
    """outer o inner for (..., 2, 3) affines (inner applied first)."""
    linear = outer[..., :, :2] @ inner[..., :, :2]
    translation = (outer[..., :, :2] @ inner[..., :, 2:]) + outer[..., :, 2:]
    return np.concatenate([linear, translation], axis=-1)


def canonical_affines(
    poses: np.ndarray, layout: CanonicalLayout, mirror_fallback: bool
) -> tuple[np.ndarray, np.ndarray]:
    """Affines from each part's canonical coordinates to image pixels, for a batch of poses.

    Args:
        poses: (N, 18, 2) poses.
        layout: the canonical layout (its windows give the limb lengths).
        mirror_fallback: a limb the pose lacks takes its mirror limb (the method's fallback for
            the *source* side of f_j); the candidate side never does.

    Returns:
        (affines (N, 10, 2, 3) canonical -> pixel, valid (N, 10) bool).
    """
    poses = np.asarray(poses, dtype=np.float64)
    n = poses.shape[0]
    ok = sk.present(poses)
    scales = parts.torso_scales(poses)
    affines = np.tile(parts.NO_OP, (n, parts.NUM_PARTS, 1, 1))
    valid = np.zeros((n, parts.NUM_PARTS), dtype=bool)

    torso = list(parts.TORSO_FIT_JOINTS)
    template = np.array([TEMPLATE[j] for j in torso])
    fitted, fit_ok = parts.fit_affine_batch(np.broadcast_to(template, (n, 4, 2)), poses[:, torso])
    valid[:, 0] = fit_ok & ok[:, torso].all(-1)
    affines[:, 0] = fitted

    head = list(sk.HEAD_JOINTS) + [sk.L_SHOULDER, sk.R_SHOULDER]
    head_template = np.array([TEMPLATE[j] for j in head])
    weights = ok[:, head].astype(np.float64)
    weights[:, 5:] *= ok[:, list(sk.HEAD_JOINTS)].any(-1, keepdims=True)
    fitted, fit_ok = parts.fit_affine_batch(
        np.broadcast_to(head_template, (n, len(head), 2)), poses[:, head], weights
    )
    valid[:, 1] = fit_ok
    affines[:, 1] = fitted

    geometry = layout.geometry
    for part, (a, b, mirror) in parts.LIMB_PARTS.items():
        x0, x1, y0, y1 = layout.windows[part]
        rectangle = np.array([[x1, y0], [x0, y0], [x0, y1], [x1, y1]])  # matches limb_quads
        own = ok[:, a] & ok[:, b]
        start, end = poses[:, a], poses[:, b]
        usable = own
        if mirror_fallback:
            ma, mb, _ = parts.LIMB_PARTS[mirror]
            use_mirror = ~own & ok[:, ma] & ok[:, mb]
            start = np.where(use_mirror[:, None], poses[:, ma], start)
            end = np.where(use_mirror[:, None], poses[:, mb], end)
            usable = own | use_mirror
        quads = parts.limb_quads(start, end, scales, geometry.mask_extension(part), geometry)
        fitted, fit_ok = parts.fit_affine_batch(np.broadcast_to(rectangle, (n, 4, 2)), quads)
        valid[:, part] = usable & fit_ok
        affines[:, part] = fitted
    affines[~valid] = parts.NO_OP
    return affines, valid


def embed_parsings(
    parsings: np.ndarray, poses: np.ndarray, layout: CanonicalLayout, mirror_fallback: bool
) -> np.ndarray:
    """Sample each label map in the 10 canonical part grids (nearest neighbour).

    Args:
        parsings: (N, H, W) uint8 label maps.
        poses: (N, 18, 2) their poses.
        layout: sample grids.
        mirror_fallback: see :func:`canonical_affines` (True for queries).

    Returns:
        (N, layout.total) uint8 labels, :data:`NONE_LABEL` outside the image or the part.
    """
    from spt_core.part_composite import inverse_warp

    parsings = np.asarray(parsings)
    affines, valid = canonical_affines(poses, layout, mirror_fallback)
    out = np.full((parsings.shape[0], layout.total), NONE_LABEL, dtype=np.uint8)
    for part, grid in enumerate(layout.grids):
        sample_to_pixel = _compose(affines[:, part], grid.to_canonical)
        for i in np.flatnonzero(valid[:, part]):
            sampled = inverse_warp(
                parsings[i], sample_to_pixel[i], (grid.height, grid.width), fill=NONE_LABEL
            )
            out[i, grid.offset : grid.offset + grid.size] = sampled.reshape(-1)
    return out


def sample_to_pixel_affines(
    poses: np.ndarray, layout: CanonicalLayout, mirror_fallback: bool
) -> tuple[np.ndarray, np.ndarray]:
    """(N, 10, 2, 3) affines from sample index (column, row) to pixel, and validity (N, 10)."""
    affines, valid = canonical_affines(poses, layout, mirror_fallback)
    composed = np.stack(
        [_compose(affines[:, p], g.to_canonical) for p, g in enumerate(layout.grids)], axis=1
    )
    return composed, valid
