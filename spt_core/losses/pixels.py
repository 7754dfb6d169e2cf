"""Pixel terms of L_A that the authors' code does not have (decision 0006): the pixels an edit
keeps, the cycle in pixels, and the mean colour of each label.

All are unpaired: they compare the outputs with the *source* image only, in regions the two
parsings determine. Images are in [-1, 1]; maps are 10-channel label probabilities (one-hot or
soft, background first) or (B, H, W) label maps.
"""

from __future__ import annotations

import torch

from spt_core import labels as lb

#: Fewer pixels than this (in a map's soft area) and a label's mean colour is not compared.
MIN_AREA = 4.0


def probabilities(labels_or_probabilities: torch.Tensor) -> torch.Tensor:
    """(B, H, W) labels or (B, 10, H, W) probabilities -> (B, 10, H, W) float."""
    if labels_or_probabilities.dim() == 3:
        return lb.one_hot_torch(labels_or_probabilities.long()).float()
    return labels_or_probabilities.float()


def kept_pixel_loss(
    fake: torch.Tensor,
    source_image: torch.Tensor,
    source_map: torch.Tensor,
    target_map: torch.Tensor,
) -> torch.Tensor:
    """Mean |fake - source| over the pixels where the source and target maps show the same label
    at the same place (soft weight ``sum_l S_s[l] S_t[l]``): the background the person did not
    cross and, in a paint edit, everything not painted. Zero when no pixel is kept."""
    from spt_core.models.inputs import same_label  # the identity part's mask, as G_A reads it

    kept = same_label(probabilities(source_map), probabilities(target_map))[:, None]
    kept = kept.to(fake.dtype)
    total = (kept * (fake - source_image).abs()).sum()
    return total / (3.0 * kept.sum()).clamp(min=1.0)


def label_colour_loss(
    fake: torch.Tensor, fake_map: torch.Tensor, source_image: torch.Tensor, source_map: torch.Tensor
) -> torch.Tensor:
    """Mean over (sample, body label present in both maps) of the L1 distance between the mean
    colour of ``fake`` inside its map's label region and that of the source inside the source's:
    a painted-bare forearm takes the colour of the person's own skin, a painted skirt that of
    a lower garment. A first-order companion of the semantic-aware style loss."""
    fake_p, source_p = probabilities(fake_map)[:, 1:], probabilities(source_map)[:, 1:]
    fake_area, source_area = fake_p.sum((2, 3)), source_p.sum((2, 3))  # (B, 9)
    fake_mean = torch.einsum("blhw,bchw->blc", fake_p.to(fake.dtype), fake)
    fake_mean = fake_mean / fake_area.clamp(min=1.0)[..., None]
    source_mean = torch.einsum("blhw,bchw->blc", source_p.to(source_image.dtype), source_image)
    source_mean = source_mean / source_area.clamp(min=1.0)[..., None]
    present = ((fake_area >= MIN_AREA) & (source_area >= MIN_AREA)).to(fake.dtype)  # (B, 9)
    distance = (fake_mean - source_mean).abs().mean(-1)
    return (present * distance).sum() / present.sum().clamp(min=1.0)
