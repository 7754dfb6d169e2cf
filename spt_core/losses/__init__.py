"""Objectives (each returns a scalar tensor) and the parsing metrics."""

from spt_core.losses.adversarial import lsgan_discriminator_loss, lsgan_generator_loss
from spt_core.losses.parsing import (
    confusion_matrix,
    iou_from_confusion,
    parsing_accuracy_and_iou,
    pose_weighted_cross_entropy,
)

__all__ = [
    "confusion_matrix",
    "iou_from_confusion",
    "lsgan_discriminator_loss",
    "lsgan_generator_loss",
    "parsing_accuracy_and_iou",
    "pose_weighted_cross_entropy",
]
