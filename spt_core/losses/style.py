"""The semantic-aware style loss L_A^sty and the two ablation variants of method §7.3.

Semantic-aware (method §4.5, the authors' code form). For features F (B, C, H, W) of relu2_1
and a soft mask m_l (B, H, W) of label l at the feature resolution,

    G_l(F, m) = (F * m_l)(F * m_l)^T / (H * W)          a C x C matrix,

normalised by the **full** spatial size H*W, not by the mask area (so a small region gives a
small Gram: the loss weighs regions by their size). Labels l are 2..9 (hair .. right leg; the
face is left to the face GAN). The masks Psi(S) are the binary label masks area-downsampled to
the feature size (2x2 average pooling for relu2_1). With v_l = [l in S1] * [l in S2] per sample,

    L = mean over b, l, i, j of ( v_l * (G_l(F1, Psi(S1)) - G_l(F2, Psi(S2))) )^2,

the mean running over all labels, visible or not, exactly as in the code. A label missing from
either map contributes nothing.

Parsing maps may be integer maps (B, H, W), one-hot or soft maps (B, 10, H, W), or 9-channel
maps without background (B, 9, H, W; labels 1..9, the generator's input layout, method §1.6).
Soft maps keep their gradient, so in end-to-end training the style loss reaches the semantic
network. A label is "present" in a map where it is the most likely label of at least one pixel.

Ablations (both reuse :func:`masked_gram`, so the variants differ only in their masks):

* :func:`mask_style_loss`: one whole-person mask, the union of labels 1..9 (the baseline's
  "mask-style" loss: no correspondence between regions, only between people).
* :func:`patch_style_loss`: square patches centred on the body joints present in both poses
  (our design of the paper's "patch-style" loss; see the function and docs/appearance_losses.md).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F

from spt_core.labels import NUM_LABELS, STYLE_LABELS

#: Joints whose patches the patch-style loss compares: the 13 body joints (neck, shoulders,
#: elbows, wrists, hips, knees, ankles). The 5 head joints are left out for the reason the
#: semantic loss drops the face label: the face has its own discriminator.
PATCH_JOINTS: tuple[int, ...] = (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13)


# --------------------------------------------------------------------------------------------
# Masks


def label_probabilities(parsing: torch.Tensor) -> torch.Tensor:
    """Any accepted parsing layout -> (B, 10, H, W) float per-label probabilities.

    Args:
        parsing: (B, H, W) integer labels 0..9, (B, 10, H, W) one-hot / soft, or (B, 9, H, W)
            labels 1..9 without background (background = 1 - sum, clamped at 0).

    Raises:
        ValueError: another shape, or integer labels outside 0..9.
    """
    if parsing.dim() == 3:
        if parsing.is_floating_point() or parsing.dtype == torch.bool:
            raise ValueError(f"parsing: (B, H, W) maps hold integer labels, not {parsing.dtype}")
        if parsing.numel() and (int(parsing.min()) < 0 or int(parsing.max()) >= NUM_LABELS):
            raise ValueError(f"parsing: labels must lie in 0..{NUM_LABELS - 1}")
        return F.one_hot(parsing.long(), NUM_LABELS).movedim(-1, 1).float()
    if parsing.dim() == 4 and parsing.shape[1] == NUM_LABELS:
        return parsing.float()
    if parsing.dim() == 4 and parsing.shape[1] == NUM_LABELS - 1:
        parsing = parsing.float()
        background = (1.0 - parsing.sum(dim=1, keepdim=True)).clamp(min=0.0)
        return torch.cat([background, parsing], dim=1)
    raise ValueError(
        f"parsing: expected (B, H, W) labels or (B, {NUM_LABELS} or {NUM_LABELS - 1}, H, W) maps,"
        f" got {tuple(parsing.shape)}"
    )


def _resize_masks(masks: torch.Tensor, size: tuple[int, int] | None) -> torch.Tensor:
    if size is None or tuple(masks.shape[-2:]) == tuple(size):
        return masks
    # Area resampling is the authors' 2x2 average pooling at relu2_1's half resolution, and
    # the natural generalisation to any other feature size.
    return F.interpolate(masks, size=tuple(size), mode="area")


def label_masks(
    parsing: torch.Tensor, labels: Sequence[int] = STYLE_LABELS, size: tuple[int, int] | None = None
) -> torch.Tensor:
    """Psi(S): soft masks of ``labels`` area-downsampled to ``size``.

    Args:
        parsing: a parsing map in any layout :func:`label_probabilities` accepts.
        labels: label ids to return, in this order (default: 2..9).
        size: (H, W) of the features; None keeps the map's size.

    Returns:
        (B, len(labels), H, W) float masks in [0, 1] (differentiable for soft maps).
    """
    probabilities = label_probabilities(parsing)
    return _resize_masks(probabilities[:, list(labels)], size)


def label_presence(parsing: torch.Tensor, labels: Sequence[int] = STYLE_LABELS) -> torch.Tensor:
    """(B, len(labels)) bool: whether each label is the most likely one at some pixel.

    For integer and one-hot maps this is "the label appears anywhere" (the authors' test on
    their binary maps); for soft maps the argmax keeps a faint probability from counting.
    """
    winners = label_probabilities(parsing).argmax(dim=1).flatten(1)  # (B, H*W)
    label_ids = torch.as_tensor(list(labels), device=winners.device)
    return (winners[:, None, :] == label_ids[None, :, None]).any(dim=-1)


# --------------------------------------------------------------------------------------------
# Gram matrices


def masked_gram(features: torch.Tensor, masks: torch.Tensor) -> torch.Tensor:
    """G_l = (F * m_l)(F * m_l)^T / (H * W) for every mask l.

    Args:
        features: (B, C, H, W).
        masks: (B, L, H, W), at the features' resolution.

    Returns:
        (B, L, C, C).

    Raises:
        ValueError: the batch or spatial sizes differ.
    """
    if features.dim() != 4 or masks.dim() != 4:
        raise ValueError(
            f"masked_gram: expected (B, C, H, W) and (B, L, H, W), got {tuple(features.shape)} "
            f"and {tuple(masks.shape)}"
        )
    batch, channels, height, width = features.shape
    if masks.shape[0] != batch or tuple(masks.shape[-2:]) != (height, width):
        raise ValueError(
            f"masked_gram: masks {tuple(masks.shape)} do not match features {tuple(features.shape)}"
        )
    # Gram entries are sums of squared activations: in float16 (autocast) they can overflow,
    # so they are always formed in float32.
    # autocast knows real devices only; the meta device (device-correctness tests) has none.
    kind = features.device.type if features.device.type != "meta" else "cpu"
    with torch.autocast(device_type=kind, enabled=False):
        masked = features.float().unsqueeze(1) * masks.float().unsqueeze(2)  # (B, L, C, H, W)
        masked = masked.flatten(3)
        return masked @ masked.transpose(-1, -2) / (height * width)


def _visible_gram_loss(
    grams1: torch.Tensor, grams2: torch.Tensor, visible: torch.Tensor
) -> torch.Tensor:
    """mean over b, l, i, j of (v_l (G1 - G2))^2; v is (B, L) bool."""
    weights = visible.to(grams1.dtype)[:, :, None, None]
    return ((grams1 - grams2) * weights).pow(2).mean()


def _check_batches(features1: torch.Tensor, features2: torch.Tensor) -> None:
    if features1.shape[:2] != features2.shape[:2]:
        raise ValueError(
            f"features: batch and channels must match, got {tuple(features1.shape)} and "
            f"{tuple(features2.shape)}"
        )


# --------------------------------------------------------------------------------------------
# Losses


def semantic_style_loss(
    features1: torch.Tensor,
    parsing1: torch.Tensor,
    features2: torch.Tensor,
    parsing2: torch.Tensor,
    labels: Sequence[int] = STYLE_LABELS,
) -> torch.Tensor:
    """The semantic-aware style loss L^sty(I1, I2, S1, S2) of method §4.5.

    In the method the first call is ``(Lambda(I~_t), S~_t, Lambda(I_s), S_s)`` and the second
    ``(Lambda(I~_s), S_s, Lambda(I~_t), S~_t)``; both have weight 1.

    Args:
        features1: (B, C, H1, W1) VGG features of image 1 (relu2_1 in the method).
        parsing1: parsing map of image 1 (any layout :func:`label_probabilities` accepts, at
            any resolution that area-downsamples to the features, e.g. twice their size).
        features2: (B, C, H2, W2) features of image 2.
        parsing2: parsing map of image 2.
        labels: the labels compared (default 2..9).

    Returns:
        A scalar tensor.
    """
    _check_batches(features1, features2)
    parsing1, parsing2 = parsing1.to(features1.device), parsing2.to(features2.device)
    grams1 = masked_gram(features1, label_masks(parsing1, labels, features1.shape[-2:]))
    grams2 = masked_gram(features2, label_masks(parsing2, labels, features2.shape[-2:]))
    visible = label_presence(parsing1, labels) & label_presence(parsing2, labels)
    return _visible_gram_loss(grams1, grams2, visible)


def person_masks(parsing: torch.Tensor, size: tuple[int, int] | None = None) -> torch.Tensor:
    """(B, 1, H, W) whole-person mask: the union of labels 1..9 (i.e. 1 - background)."""
    probabilities = label_probabilities(parsing)
    return _resize_masks(probabilities[:, 1:].sum(dim=1, keepdim=True), size)


def mask_style_loss(
    features1: torch.Tensor, parsing1: torch.Tensor, features2: torch.Tensor, parsing2: torch.Tensor
) -> torch.Tensor:
    """Ablation "mask-style": one Gram over the whole person instead of one per label.

    Same normalisation and mean as :func:`semantic_style_loss` with a single mask (labels
    1..9 together); a sample counts when both maps hold some non-background pixel.

    Returns:
        A scalar tensor.
    """
    _check_batches(features1, features2)
    parsing1, parsing2 = parsing1.to(features1.device), parsing2.to(features2.device)
    grams1 = masked_gram(features1, person_masks(parsing1, features1.shape[-2:]))
    grams2 = masked_gram(features2, person_masks(parsing2, features2.shape[-2:]))
    person = tuple(range(1, NUM_LABELS))
    visible = label_presence(parsing1, person).any(1, keepdim=True) & label_presence(
        parsing2, person
    ).any(1, keepdim=True)
    return _visible_gram_loss(grams1, grams2, visible)


def joint_patch_masks(
    joints: torch.Tensor,
    image_size: tuple[int, int],
    patch_size: int,
    joint_ids: Sequence[int] = PATCH_JOINTS,
) -> torch.Tensor:
    """Binary square masks around joints, at image resolution.

    The patch of a joint at (x, y) covers columns ``round(x) - patch_size // 2`` up to
    ``patch_size`` pixels further (rows likewise), clipped to the image. A missing joint (NaN)
    gives an empty mask.

    Args:
        joints: (B, 18, 2) (x, y) pixel coordinates in the image, NaN for missing joints.
        image_size: (H, W) of the image the joints live in.
        patch_size: side of the square in image pixels.
        joint_ids: which joints get a mask, in this order.

    Returns:
        (B, len(joint_ids), H, W) float masks in {0, 1}.
    """
    if joints.dim() != 3 or joints.shape[-1] != 2:
        raise ValueError(f"joints: expected (B, 18, 2), got {tuple(joints.shape)}")
    if patch_size < 1:
        raise ValueError(f"patch_size must be at least 1, got {patch_size}")
    height, width = image_size
    points = joints[:, list(joint_ids)].float()
    present = ~torch.isnan(points).any(dim=-1)  # (B, J)
    start = torch.nan_to_num(points, nan=0.0).round() - patch_size // 2  # (B, J, 2) = x0, y0
    xs = torch.arange(width, device=joints.device, dtype=points.dtype)
    ys = torch.arange(height, device=joints.device, dtype=points.dtype)
    inside_x = (xs >= start[..., 0:1]) & (xs < start[..., 0:1] + patch_size)  # (B, J, W)
    inside_y = (ys >= start[..., 1:2]) & (ys < start[..., 1:2] + patch_size)  # (B, J, H)
    masks = inside_y[..., :, None] & inside_x[..., None, :] & present[..., None, None]
    return masks.float()


def patch_style_loss(
    features1: torch.Tensor,
    joints1: torch.Tensor,
    features2: torch.Tensor,
    joints2: torch.Tensor,
    image_size: tuple[int, int],
    patch_size: int | None = None,
    joint_ids: Sequence[int] = PATCH_JOINTS,
) -> torch.Tensor:
    """Ablation "patch-style": Gram matrices of square patches around corresponding joints.

    Our design (the paper gives no formula): the patch around joint j in image 1 is compared
    with the patch around the same joint in image 2. Patches are built at image resolution
    (:func:`joint_patch_masks`), area-downsampled to the features like the label masks, and
    compared with the same masked Gram, normalisation and mean as the semantic loss, so the
    three variants differ only in their masks. A joint counts when it is present, and its
    patch overlaps the image, in both poses.

    Args:
        features1: (B, C, h, w) features of image 1.
        joints1: (B, 18, 2) pose of image 1 in image pixels (x, y), NaN = missing.
        features2: (B, C, h, w) features of image 2.
        joints2: pose of image 2.
        image_size: (H, W) of both images.
        patch_size: patch side in image pixels; None: one eighth of the image height
            (32 px at 256, 16 px on 128x64 Market images).
        joint_ids: joints compared (default: the 13 body joints).

    Returns:
        A scalar tensor.
    """
    _check_batches(features1, features2)
    size = patch_size if patch_size is not None else max(1, image_size[0] // 8)
    masks1 = joint_patch_masks(joints1.to(features1.device), image_size, size, joint_ids)
    masks2 = joint_patch_masks(joints2.to(features2.device), image_size, size, joint_ids)
    grams1 = masked_gram(features1, _resize_masks(masks1, features1.shape[-2:]))
    grams2 = masked_gram(features2, _resize_masks(masks2, features2.shape[-2:]))
    visible = masks1.flatten(2).any(-1) & masks2.flatten(2).any(-1)
    return _visible_gram_loss(grams1, grams2, visible)
