"""Keep what an edit did not change: the source's own pixels where nothing moved or was painted.

A network redraws every pixel, and a redrawn pixel is never quite the photo's (softer, a little
speckle). A user who paints a sleeve expects the face, the other garments and the background to
stay exactly as they were; one who raises an arm expects the background and the legs to. So
after the appearance network, the pipeline puts the source pixels back where

* the source and target parsings show the same label at the same place (pants and skirt count
  as one: a retyped garment keeps its fabric, decision 0011), and
* that place did not move: it is background, or every joint is where it was (a paint edit),
  or it lies in a body part whose transform is the identity (the legs when an arm is raised);

with a feathered edge (eroded 1 px, then blurred), so the network's pixels and the kept ones
meet without a seam (decision 0007; ``SPTPipeline(keep_unchanged=...)``, ``spt ...
--redraw-all`` turns it off). Labels may be soft (G_S's probabilities).
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from spt_core import labels as lb
from spt_core import parts as parts_mod
from spt_core import skeleton as sk

#: A joint or part moved by less than this (pixels) counts as not moved.
STILL_PIXELS = 0.5
#: Gaussian blur of the feathered edge, in pixels.
FEATHER_SIGMA = 1.0
#: How far the outline of a silhouette reaches into its background (anti-aliasing, a drawn
#: contour), in pixels.
OUTLINE_PIXELS = 2
#: Garment labels that are one fabric cut two ways: pants painted into a skirt (or back) keep
#: the source's own pixels where the new garment covers the old (decision 0011).
SAME_FABRIC: tuple[tuple[int, int], ...] = ((lb.PANTS, lb.SKIRT),)
#: The skin labels a paint edit may bare (:func:`bared_skin`), and how much of the fill's skin
#: colour replaces the network's drawing there (1: all of it; 0 turns the step off).
SKIN_LABELS: tuple[int, ...] = (lb.LEFT_ARM, lb.RIGHT_ARM, lb.LEFT_LEG, lb.RIGHT_LEG)
SKIN_FILL = 1.0
#: Part masks that hug the body (the torso quad grown a little, not the whole image).
BODY_GEOMETRY = parts_mod.PartGeometry(torso_mask="body")


def still_parts(source_poses: np.ndarray, target_poses: np.ndarray) -> np.ndarray:
    """(B, 10) bool: parts (present in both poses) whose target -> source transform moves no
    corner of the target pose's bounding box by ``STILL_PIXELS`` or more: an identity
    transform. Measured at the whole body's corners, a slightly rotated part counts as moved
    (conservative: a moved part is redrawn, never pasted)."""
    source = np.asarray(source_poses, np.float64).reshape(-1, sk.NUM_JOINTS, 2)
    target = np.asarray(target_poses, np.float64).reshape(-1, sk.NUM_JOINTS, 2)
    affines, valid = parts_mod.part_affines(source, target)
    still = np.zeros(valid.shape, dtype=bool)
    finite = np.where(sk.present(target)[..., None], target, np.nan)
    low = np.nanmin(finite, axis=1)  # (B, 2)
    high = np.nanmax(finite, axis=1)
    for b in range(len(source)):
        if not np.isfinite(low[b]).all():
            continue
        corners = np.array(
            [[low[b, 0], low[b, 1]], [high[b, 0], low[b, 1]], [low[b, 0], high[b, 1]], high[b]]
        )
        homogeneous = np.concatenate([corners, np.ones((4, 1))], 1)  # (4, 3)
        moved = np.einsum("pij,kj->pki", affines[b], homogeneous) - corners[None]
        still[b] = valid[b] & (np.linalg.norm(moved, axis=-1).max(-1) < STILL_PIXELS)
    return still


def unchanged_mask(
    source_labels: torch.Tensor,
    target_labels: torch.Tensor,
    source_poses: np.ndarray,
    target_poses: np.ndarray,
    still: torch.Tensor | None = None,
) -> torch.Tensor:
    """(B, 1, H, W) in [0, 1]: where the source's pixels are kept (see the module docstring).

    Args:
        source_labels, target_labels: (B, 10, H, W) label maps, background first (soft
            allowed).
        source_poses, target_poses: (B, 18, 2) poses in the maps' frame (NaN missing).
        still: the poses' :func:`still_region` when the caller has it already.
    """
    from spt_core.models.inputs import same_label

    size = tuple(source_labels.shape[-2:])
    source = np.asarray(source_poses, np.float64)
    target = np.asarray(target_poses, np.float64)
    same = same_label(source_labels, target_labels)  # (B, H, W)
    for a, b in SAME_FABRIC:  # a garment retyped keeps its fabric (decision 0011)
        same = (
            same
            + source_labels[:, a] * target_labels[:, b]
            + source_labels[:, b] * target_labels[:, a]
        )
    background = (source_labels[:, 0] * target_labels[:, 0]).float()
    region = (
        still if still is not None else still_region(source, target, size, same.device, same.dtype)
    )
    # The source's background right next to where the person left still holds the person's
    # anti-aliased outline: kept, it would draw a thin ghost of the old silhouette.
    band = left_band(source_labels, target_labels)
    keep = torch.maximum(background, same * region)[:, None] * (1.0 - band)
    return feather(keep)


def still_region(
    source_poses: np.ndarray, target_poses: np.ndarray, size: tuple[int, int], device, dtype
) -> torch.Tensor:
    """(B, H, W) in {0, 1}: where nothing moved: everywhere when every joint stayed (a paint
    edit), else the target masks of the parts whose transform is the identity."""
    source = np.asarray(source_poses, np.float64).reshape(-1, sk.NUM_JOINTS, 2)
    target = np.asarray(target_poses, np.float64).reshape(-1, sk.NUM_JOINTS, 2)
    both = sk.present(source) & sk.present(target)
    shift = np.linalg.norm(np.where(both[..., None], source - target, 0.0), axis=-1)
    unmoved = (shift < STILL_PIXELS).all(-1) & (sk.present(source) == sk.present(target)).all(-1)
    still = still_parts(source, target)
    masks = torch.from_numpy(parts_mod.part_masks(target, size, BODY_GEOMETRY)).to(device)
    body_still = (masks * torch.from_numpy(still).to(device)[..., None, None]).amax(1)
    where = torch.from_numpy(unmoved).to(device)[:, None, None]
    return torch.where(where, torch.ones_like(body_still, dtype=dtype), body_still.to(dtype))


def bared_skin(
    output: torch.Tensor,
    source: torch.Tensor,
    source_labels: torch.Tensor,
    target_labels: torch.Tensor,
    source_poses: np.ndarray,
    still: torch.Tensor,
) -> torch.Tensor:
    """Where the target shows an arm's or a leg's skin on a place that did not move and the
    source shows a garment there (sleeves painted shorter, pants painted into a skirt), the
    label fill's skin colour (:func:`~spt_core.models.label_fill.label_fill`: the source's
    own skin, extended smoothly) instead of the network's drawing, feathered inside the
    region (decision 0011).

    The network reads the garment under the new skin through its skips and draws a ghost of
    it (checked trousers showing through painted-bare legs); skin has little texture a smooth
    fill would miss. ``output``, ``source``: (B, 3, H, W) in [-1, 1]; labels (B, 10, H, W),
    background first (soft allowed); ``still``: (B, H, W) where nothing moved
    (:func:`still_region`).
    """
    from spt_core.models.label_fill import label_fill

    skin = target_labels[:, list(SKIN_LABELS)].sum(1)
    garment = source_labels[:, list(lb.GARMENT_LABELS)].sum(1)
    region = skin * garment * still.to(skin.dtype)
    inside = (region > 0.5).to(output.dtype)[:, None]
    if not bool(inside.any()):
        return output
    fill = label_fill(source, source_labels[:, 1:], target_labels[:, 1:], source_poses)
    alpha = blur(inside) * inside * SKIN_FILL
    return alpha * fill.to(output.dtype) + (1.0 - alpha) * output


def feather(mask: torch.Tensor, sigma: float = FEATHER_SIGMA) -> torch.Tensor:
    """A (B, 1, H, W) mask eroded by one pixel (3x3 minimum) and blurred by a Gaussian."""
    eroded = -F.max_pool2d(-mask.float(), 3, stride=1, padding=1)
    return blur(eroded, sigma)


def blur(mask: torch.Tensor, sigma: float = FEATHER_SIGMA) -> torch.Tensor:
    """A (B, 1, H, W) mask blurred by a normalised Gaussian (radius 3 sigma, edges replicated),
    clamped to [0, 1]."""
    mask = mask.float()
    radius = max(1, int(round(3 * sigma)))
    x = torch.arange(-radius, radius + 1, dtype=torch.float32, device=mask.device)
    kernel = torch.exp(-0.5 * (x / sigma) ** 2)
    kernel = (kernel / kernel.sum()).to(mask.dtype)
    padded = F.pad(mask, (radius, radius, radius, radius), mode="replicate")
    blurred = F.conv2d(padded, kernel.view(1, 1, 1, -1))
    blurred = F.conv2d(blurred, kernel.view(1, 1, -1, 1))
    return blurred.clamp(0.0, 1.0)


def keep_unchanged(output: torch.Tensor, source: torch.Tensor, keep: torch.Tensor) -> torch.Tensor:
    """``keep * source + (1 - keep) * output`` for (B, 3, H, W) images and a (B, 1, H, W) mask."""
    return keep * source + (1.0 - keep) * output


def fill_uncovered(
    output: torch.Tensor,
    source: torch.Tensor,
    source_labels: torch.Tensor,
    target_labels: torch.Tensor,
) -> torch.Tensor:
    """Where the person left (source: person, target: background), the background filled in
    from around it instead of the network's drawing there.

    The fill is the push-pull extension of the source's background pixels (the label fill's
    background, ``models.label_fill``), leaving out the band where the person left
    (:func:`left_band`, which holds the old outline); the region is that band blurred, times
    the target's background probability, so it never paints over the person's new outline.

    Args:
        output, source: (B, 3, H, W) images in [-1, 1].
        source_labels, target_labels: (B, 10, H, W) label maps, background first (soft
            allowed).
    """
    from spt_core.models.label_fill import push_pull_fill

    band = left_band(source_labels, target_labels)
    filled = push_pull_fill(source.float(), source_labels[:, :1].float() * (1.0 - band))
    region = (blur(band) * target_labels[:, :1].float()).clamp(0.0, 1.0)
    return region * filled + (1.0 - region) * output


def left_band(source_labels: torch.Tensor, target_labels: torch.Tensor) -> torch.Tensor:
    """(B, 1, H, W): where the person left (source: person, target: background), grown by
    ``OUTLINE_PIXELS`` (the outline drawn around the old silhouette is part of it)."""
    left = (1.0 - source_labels[:, :1].float()) * target_labels[:, :1].float()
    size = 2 * OUTLINE_PIXELS + 1
    return F.max_pool2d(left, size, stride=1, padding=OUTLINE_PIXELS)


def put_back(
    output: torch.Tensor,
    source: torch.Tensor,
    source_parsing: torch.Tensor,
    target_parsing: torch.Tensor,
    source_poses: np.ndarray,
    target_poses: np.ndarray,
    fill: bool = True,
) -> torch.Tensor:
    """The pipeline's finish: with ``fill`` the place the person left filled in
    (:func:`fill_uncovered`) and newly bared skin drawn in the skin's colour
    (:func:`bared_skin`), then the source's pixels kept where label and place did not change
    (:func:`unchanged_mask`). Parsings are (B, 9, H, W) without background."""
    from spt_core.models.inputs import with_background

    source_maps = with_background(source_parsing.float())
    target = with_background(target_parsing.float())
    size = tuple(target.shape[-2:])
    # Where nothing moved, once for both the kept pixels and the bared skin.
    still = still_region(source_poses, target_poses, size, target.device, target.dtype)
    mask = unchanged_mask(source_maps, target, source_poses, target_poses, still)
    if fill:
        output = fill_uncovered(output.float(), source, source_maps, target)
        output = bared_skin(output, source, source_maps, target, source_poses, still)
    return keep_unchanged(output.float(), source, mask)
