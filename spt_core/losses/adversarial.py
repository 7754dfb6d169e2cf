"""LSGAN objectives (method §4.3: the authors' GANLoss with ``use_lsgan=True``, MSE against 1 / 0).

Every function takes one score tensor (any shape, e.g. PatchGAN maps) or a list / tuple of them,
e.g. one per fake sample or per discriminator; list terms are summed, each term being a mean
over its own tensor.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

Scores = torch.Tensor | Sequence[torch.Tensor]


def _as_list(scores: Scores, name: str) -> list[torch.Tensor]:
    items = [scores] if isinstance(scores, torch.Tensor) else list(scores)
    if not items:
        raise ValueError(f"{name}: expected a score tensor or a non-empty list of them")
    return items


def lsgan_discriminator_loss(real_scores: Scores, fake_scores: Scores) -> torch.Tensor:
    """LSGAN discriminator loss ``0.5 * (sum_r mean((r - 1)^2) + sum_f mean(f^2))``.

    For single tensors this is the authors' per-term ``0.5 * [(D(real) - 1)^2 + D(fake)^2]``.
    With lists, each real and each fake tensor adds its own mean; to weigh one real batch
    against two fakes as the authors' separate terms do, pass the real scores twice.

    Args:
        real_scores: D's scores of real samples (detached from G is the caller's concern).
        fake_scores: D's scores of generated samples (usually computed on detached fakes).

    Returns:
        A scalar tensor.
    """
    real = sum((r - 1.0).pow(2).mean() for r in _as_list(real_scores, "real_scores"))
    fake = sum(f.pow(2).mean() for f in _as_list(fake_scores, "fake_scores"))
    return 0.5 * (real + fake)


def lsgan_generator_loss(fake_scores: Scores) -> torch.Tensor:
    """LSGAN generator loss ``sum_f mean((f - 1)^2)``: fakes should be scored as real.

    Args:
        fake_scores: D's scores of generated samples (not detached, so G gets the gradient).

    Returns:
        A scalar tensor.
    """
    return sum((f - 1.0).pow(2).mean() for f in _as_list(fake_scores, "fake_scores"))
