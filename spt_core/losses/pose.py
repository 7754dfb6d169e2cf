"""The pose loss L_A^pose: a frozen pose regressor P must find the target pose in the output.

Method §4.5: P is a separately trained heat-map regressor (CycleGAN resnet_9blocks, tanh
output), frozen while the appearance network trains; the target is the 18-channel sigma = 6
Gaussian maps in [0, 1]. The loss is the MSE between P's maps and the target, applied to both
the forward output I~_t (target pose P_t) and the cycle output I~_s (source pose P_s). Its
weight, 700, lives in :class:`spt_core.config.AppearanceLossWeights`.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


def freeze_module(module: nn.Module) -> nn.Module:
    """Freeze ``module`` in place: no parameter requires a gradient, eval mode. Returns it.

    Eval mode matters for a pose network with dropout (the authors' options allow it): the
    loss must not be noisy.
    """
    for parameter in module.parameters():
        parameter.requires_grad_(False)
    return module.eval()


def pose_loss(predicted_heatmaps: torch.Tensor, target_heatmaps: torch.Tensor) -> torch.Tensor:
    """Mean squared error between predicted and target heat maps.

    Args:
        predicted_heatmaps: (B, 18, H, W) output of the pose regressor (tanh, in [-1, 1]).
        target_heatmaps: (B, 18, H, W) Gaussian maps in [0, 1] (zero channels for missing
            joints, which the regressor must then also predict as empty, as in the code).

    Returns:
        A scalar tensor.

    Raises:
        ValueError: the shapes differ.
    """
    if predicted_heatmaps.shape != target_heatmaps.shape:
        raise ValueError(
            f"pose_loss: shapes differ, {tuple(predicted_heatmaps.shape)} vs "
            f"{tuple(target_heatmaps.shape)}"
        )
    return F.mse_loss(predicted_heatmaps, target_heatmaps.to(predicted_heatmaps.dtype))


def pose_loss_from_images(
    posenet: nn.Module, images: torch.Tensor, target_heatmaps: torch.Tensor
) -> torch.Tensor:
    """:func:`pose_loss` of ``posenet(images)``: the gradient reaches the images only.

    Args:
        posenet: the frozen pose regressor (see :func:`freeze_module`), images -> (B, 18, H, W).
        images: (B, 3, H, W) generated images in [-1, 1].
        target_heatmaps: (B, 18, H, W) Gaussian maps of the pose the images should show.

    Returns:
        A scalar tensor.

    Raises:
        ValueError: ``posenet`` still has trainable parameters. Training it through this loss
            would teach the judge to agree with the generator, so we refuse instead of
            silently freezing the caller's module.
    """
    trainable = [name for name, p in posenet.named_parameters() if p.requires_grad]
    if trainable:
        raise ValueError(
            f"posenet has {len(trainable)} trainable parameters (e.g. {trainable[0]!r}); "
            "call freeze_module(posenet) first"
        )
    return pose_loss(posenet(images), target_heatmaps)
