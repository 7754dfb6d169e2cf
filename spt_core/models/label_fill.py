"""The label fill: the source's colours painted into the target parsing (decision 0007).

A coarse render that the appearance generator reads as three more target-side channels
(``AppearanceNetConfig.colour_hint``). Each pixel of the target map gets the colour the source
shows for the target's label there:

* where the source shows the same label at the same place, the source pixel itself;
* elsewhere the colour of that label's source pixels extended smoothly outward (a push-pull
  pyramid fill, :func:`push_pull_fill`): a painted-longer sleeve continues the sleeve's colour,
  the place an arm left gets the background around it, a raised arm the arm's colour;
* a label the source does not show borrows from a related one (:data:`FALLBACK_LABELS`: a
  skirt painted over pants takes the pants' colours, a bared arm the skin of the other arm, the
  face or the legs), the last resort being the mean of the whole image; a leg whose only
  pixels are below mid-shin (shoes under long trousers) counts as not shown.

The network still draws texture, shading and edges; the fill tells it *which colour* belongs
where, which unpaired training gives it only weakly (method §8 leaves painted garments open).
Everything is batched torch, differentiable in the target parsing (joint training reaches G_S
through it), and runs on any device.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from spt_core import labels as lb
from spt_core import skeleton as sk

#: For each label, the labels whose source colours stand in when the source lacks it (in
#: order). Skin for skin, garment for garment: what "paint longer sleeves / pants into a
#: skirt / bare the arms" means to a user (the garment keeps its fabric).
FALLBACK_LABELS: dict[int, tuple[int, ...]] = {
    lb.BACKGROUND: (),
    lb.FACE: (lb.LEFT_ARM, lb.RIGHT_ARM, lb.LEFT_LEG, lb.RIGHT_LEG),
    lb.HAIR: (lb.FACE,),
    lb.UPPER_CLOTHES: (lb.SKIRT, lb.PANTS),
    lb.PANTS: (lb.SKIRT, lb.UPPER_CLOTHES),
    lb.SKIRT: (lb.PANTS, lb.UPPER_CLOTHES),
    lb.LEFT_ARM: (lb.RIGHT_ARM, lb.FACE, lb.LEFT_LEG, lb.RIGHT_LEG),
    lb.RIGHT_ARM: (lb.LEFT_ARM, lb.FACE, lb.RIGHT_LEG, lb.LEFT_LEG),
    lb.LEFT_LEG: (lb.RIGHT_LEG, lb.LEFT_ARM, lb.RIGHT_ARM, lb.FACE),
    lb.RIGHT_LEG: (lb.LEFT_LEG, lb.RIGHT_ARM, lb.LEFT_ARM, lb.FACE),
}

#: A label counts as shown by the source from this many pixels on (fewer: its fallback), so a
#: few stray pixels of a label do not decide a whole painted garment's colour.
MIN_LABEL_PIXELS = 6.0


def push_pull_fill(values: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    """Fill the pixels of ``values`` whose ``weight`` is 0 from the weighted ones around them.

    Push: a pyramid of weighted sums (2x2 average pooling of ``values * weight`` and
    ``weight``) down to one pixel. Pull: from the coarsest level up, each level's weighted
    mean is blended with the upsampled level below by its coverage (``min(weight, 1)``), so a
    fully known pixel keeps its value exactly and a hole gets a smooth, distance-weighted
    extension of the known colours (a classical scattered-data fill; Gortler et al. 1996).

    Args:
        values: (N, C, H, W).
        weight: (N, 1, H, W) in [0, 1] (soft allowed).

    Returns:
        (N, C, H, W); where a sample's weights are all 0 the result is 0.
    """
    numerators, weights = [values * weight], [weight]
    while max(numerators[-1].shape[-2:]) > 1:
        # Down to a single pixel, halving each side that is still longer than one.
        kernel = tuple(2 if side > 1 else 1 for side in numerators[-1].shape[-2:])
        numerators.append(F.avg_pool2d(numerators[-1], kernel, ceil_mode=True))
        weights.append(F.avg_pool2d(weights[-1], kernel, ceil_mode=True))
    filled = numerators[-1] / weights[-1].clamp_min(1e-8)
    for numerator, level_weight in zip(numerators[-2::-1], weights[-2::-1], strict=True):
        coarse = F.interpolate(
            filled, size=numerator.shape[-2:], mode="bilinear", align_corners=False
        )
        mean = numerator / level_weight.clamp_min(1e-8)
        coverage = level_weight.clamp(0.0, 1.0)
        filled = coverage * mean + (1.0 - coverage) * coarse
    return filled


#: The leg labels and the (knee, ankle) joints of their side.
LEG_JOINTS: dict[int, tuple[int, int]] = {
    lb.LEFT_LEG: (sk.L_KNEE, sk.L_ANKLE),
    lb.RIGHT_LEG: (sk.R_KNEE, sk.R_ANKLE),
}


def label_fill(
    image: torch.Tensor,
    source_parsing: torch.Tensor,
    target_parsing: torch.Tensor,
    source_poses: np.ndarray | None = None,
) -> torch.Tensor:
    """The source's colours laid into the target parsing (see the module docstring).

    Args:
        image: (B, 3, H, W) source image in [-1, 1].
        source_parsing, target_parsing: (B, 9, H, W) maps of labels 1..9 (one-hot or soft;
            the background is one minus their sum).
        source_poses: (B, 18, 2) source poses in the image's frame (NaN missing). With them a
            leg counts as shown only by pixels above the middle of its shin: the leg labels
            also cover the shoes, and under long trousers the shoes alone would give a leg
            painted bare the shoes' colour instead of skin.

    Returns:
        (B, 3, H, W) in [-1, 1].
    """
    from spt_core.models.inputs import with_background

    target = with_background(target_parsing).to(image.dtype)
    if torch.is_inference_mode_enabled():
        # While a joint is dragged or a map painted the source stays the same: its fields
        # are made once (the push-pull fill is most of this function's time).
        key = _source_key(image, source_parsing, source_poses)
        fields = _RECENT_SOURCE.get(key)
        if fields is None:
            fields = _source_fields(image, source_parsing, source_poses)
            _RECENT_SOURCE.clear()
            _RECENT_SOURCE[key] = fields
    else:
        fields = _source_fields(image, source_parsing, source_poses)
    return (fields * target[:, :, None]).sum(1).clamp(-1.0, 1.0)


#: The last source's fields (inference only): one entry, replaced by the next source.
_RECENT_SOURCE: dict = {}


def _source_key(image: torch.Tensor, parsing: torch.Tensor, poses) -> tuple:
    poses = None if poses is None else np.asarray(poses, np.float64).tobytes()
    return (
        str(image.device),
        tuple(image.shape),
        image.detach().cpu().numpy().tobytes(),
        parsing.detach().cpu().numpy().tobytes(),
        poses,
    )


def _source_fields(image: torch.Tensor, source_parsing: torch.Tensor, source_poses):
    """(B, 10, 3, H, W): for each label, the colours the fill gives it (its own source pixels
    spread by the push-pull fill, or a fallback label's, or the image mean)."""
    from spt_core.models.inputs import with_background

    source = with_background(source_parsing).to(image.dtype)
    batch, labels, height, width = source.shape
    channels = image.shape[1]
    stacked = image[:, None].expand(batch, labels, channels, height, width)
    fields = push_pull_fill(
        stacked.reshape(batch * labels, channels, height, width),
        source.reshape(batch * labels, 1, height, width),
    ).reshape(batch, labels, channels, height, width)
    present = _shown(source, source_poses)  # (B, labels)
    overall = image.mean((-2, -1), keepdim=True)  # (B, 3, 1, 1)
    resolved = []
    for label in range(labels):
        field = overall.expand(batch, channels, height, width)
        # Walk the chain from its end, so the first present label wins.
        for candidate in reversed((label, *FALLBACK_LABELS[label])):
            shown = present[:, candidate].view(batch, 1, 1, 1)
            field = torch.where(shown, fields[:, candidate], field)
        resolved.append(field)
    return torch.stack(resolved, 1)


def _shown(source: torch.Tensor, poses: np.ndarray | None) -> torch.Tensor:
    """(B, 10) bool: the labels the (B, 10, H, W) source map shows (``MIN_LABEL_PIXELS``;
    legs above mid-shin only, where ``poses`` give the knee and ankle)."""
    counts = source.sum(-1)  # (B, 10, H): pixels per row
    shown = counts.sum(-1) >= MIN_LABEL_PIXELS
    if poses is None:
        return shown
    if isinstance(poses, torch.Tensor):
        poses = poses.detach().cpu().numpy()
    poses = np.asarray(poses, np.float64).reshape(len(source), sk.NUM_JOINTS, 2)
    rows = torch.arange(source.shape[-2], device=source.device, dtype=source.dtype)
    for label, (knee, ankle) in LEG_JOINTS.items():
        mid = (poses[:, knee, 1] + poses[:, ankle, 1]) / 2.0
        known = torch.from_numpy(np.isfinite(mid)).to(source.device)
        cut = torch.from_numpy(np.nan_to_num(mid, nan=np.inf)).to(source.device, source.dtype)
        above = (counts[:, label] * (rows[None] < cut[:, None])).sum(-1) >= MIN_LABEL_PIXELS
        shown[:, label] = torch.where(known, above, shown[:, label])
    return shown
