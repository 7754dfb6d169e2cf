"""Parsing objectives and metrics: pose-weighted cross-entropy (L_S^ce), pixel accuracy, IoU.

L_S^ce (method §0, §3) is ``-|| S* (x) log S~ (x) (1 + M) ||_1``: a cross-entropy in which
pixels on the target body (pose mask M = 1) weigh double. We take the *mean* over pixels rather
than the sum, so the value (and a sensible λ_ce) does not depend on the resolution or batch.

Metrics. Two mean-IoU definitions are exposed, because they differ on small or rare labels:

* per image (``parsing_accuracy_and_iou``): for each image, IoU_l = |P_l ∩ T_l| / |P_l ∪ T_l|
  averaged over the labels present in the prediction *or* the truth of that image (a label in
  neither is skipped, a label in only one of them counts as IoU 0), then averaged over images;
* dataset level (``confusion_matrix`` + ``iou_from_confusion``): intersections and unions are
  accumulated over all images first, then IoU_l is averaged over labels with a non-empty union.

Background (label 0) counts as a label in both.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F


def pose_weighted_cross_entropy(
    logits: torch.Tensor,
    target: torch.Tensor,
    pose_mask: torch.Tensor | None = None,
    body_weight: float = 1.0,
) -> torch.Tensor:
    """Mean over pixels of ``(1 + body_weight * M) * CE`` (the paper's weighting at weight 1).

    Args:
        logits: (B, C, H, W) unnormalised scores (log_softmax is taken here, for stability).
        target: (B, H, W) integer labels, or (B, C, H, W) one-hot / soft labels; then
            ``CE = -sum_c target_c * log_softmax(logits)_c``.
        pose_mask: (B, 1, H, W) or (B, H, W) target pose mask in {0, 1} (fractional values
            weigh proportionally); None weighs every pixel 1.
        body_weight: extra weight of mask pixels (1: body pixels count double, as in the paper).

    Returns:
        A scalar tensor.

    Raises:
        ValueError: shapes that do not match, or an integer target outside 0..C-1.
    """
    if logits.dim() != 4:
        raise ValueError(f"logits: expected (B, C, H, W), got {tuple(logits.shape)}")
    batch, channels, height, width = logits.shape
    log_probs = F.log_softmax(logits, dim=1)
    if target.dim() == 3:
        if target.is_floating_point() or target.dtype == torch.bool:
            raise ValueError(
                f"target: a (B, H, W) target must hold integer labels, got {target.dtype}"
            )
        if tuple(target.shape) != (batch, height, width):
            raise ValueError(
                f"target: expected {(batch, height, width)} (as logits), got {tuple(target.shape)}"
            )
        target = target.long()
        if target.numel() and (int(target.min()) < 0 or int(target.max()) >= channels):
            raise ValueError(f"target: labels must be in 0..{channels - 1}")
        ce = -log_probs.gather(1, target.unsqueeze(1)).squeeze(1)
    elif target.dim() == 4:
        if tuple(target.shape) != tuple(logits.shape):
            raise ValueError(
                f"target: expected {tuple(logits.shape)} (as logits), got {tuple(target.shape)}"
            )
        ce = -(target.to(log_probs.dtype) * log_probs).sum(dim=1)
    else:
        raise ValueError(f"target: expected (B, H, W) or (B, C, H, W), got {tuple(target.shape)}")
    if pose_mask is None:
        return ce.mean()
    mask = pose_mask.squeeze(1) if pose_mask.dim() == 4 and pose_mask.shape[1] == 1 else pose_mask
    if tuple(mask.shape) != (batch, height, width):
        raise ValueError(
            f"pose_mask: expected (B, 1, H, W) or (B, H, W) = {(batch, height, width)}, "
            f"got {tuple(pose_mask.shape)}"
        )
    return ((1.0 + body_weight * mask.to(ce.dtype)) * ce).mean()


def _as_label_batch(labels, name: str, num_labels: int) -> torch.Tensor:
    """(H, W) or (B, H, W) numpy / torch integer labels → (B, H, W) int64 CPU tensor."""
    if not isinstance(labels, torch.Tensor):
        # A copy: read-only arrays (memory-mapped, broadcast) cannot back a tensor safely.
        labels = torch.from_numpy(np.array(labels))
    labels = labels.detach().to("cpu")
    if labels.is_floating_point() or labels.dtype == torch.bool:
        raise ValueError(f"{name}: expected integer labels, got {labels.dtype}")
    if labels.dim() == 2:
        labels = labels.unsqueeze(0)
    if labels.dim() != 3:
        raise ValueError(f"{name}: expected (H, W) or (B, H, W), got {tuple(labels.shape)}")
    labels = labels.long()
    if labels.numel() and (int(labels.min()) < 0 or int(labels.max()) >= num_labels):
        raise ValueError(f"{name}: labels must be in 0..{num_labels - 1}")
    return labels


def _per_image_confusion(pred: torch.Tensor, true: torch.Tensor, num_labels: int) -> torch.Tensor:
    """(B, H, W) pairs → (B, num_labels, num_labels) counts, rows = truth, columns = prediction."""
    batch = pred.shape[0]
    codes = (torch.arange(batch).view(-1, 1, 1) * num_labels + true) * num_labels + pred
    counts = torch.bincount(codes.flatten(), minlength=batch * num_labels * num_labels)
    return counts.view(batch, num_labels, num_labels)


def _check_pair(pred_labels, true_labels, num_labels: int) -> tuple[torch.Tensor, torch.Tensor]:
    pred = _as_label_batch(pred_labels, "pred_labels", num_labels)
    true = _as_label_batch(true_labels, "true_labels", num_labels)
    if pred.shape != true.shape:
        raise ValueError(
            f"pred_labels {tuple(pred.shape)} and true_labels {tuple(true.shape)} differ in shape"
        )
    return pred, true


def confusion_matrix(pred_labels, true_labels, num_labels: int = 10) -> torch.Tensor:
    """Pixel counts over all images: ``[t, p]`` = pixels of true label t predicted as p.

    Args:
        pred_labels: (H, W) or (B, H, W) integer labels (numpy or torch).
        true_labels: the same shape.
        num_labels: number of labels.

    Returns:
        (num_labels, num_labels) int64 tensor; add the matrices of several batches to
        accumulate a dataset.
    """
    pred, true = _check_pair(pred_labels, true_labels, num_labels)
    return _per_image_confusion(pred, true, num_labels).sum(dim=0)


def iou_from_confusion(confusion: torch.Tensor) -> tuple[torch.Tensor, float]:
    """Per-label IoU and their mean from a (possibly accumulated) confusion matrix.

    Args:
        confusion: (L, L) counts, rows = truth, columns = prediction.

    Returns:
        (per-label IoU as a float64 tensor of L values, NaN where the label is in neither
        prediction nor truth; mean IoU over the labels with a non-empty union, NaN if none).
    """
    confusion = torch.as_tensor(confusion).to(torch.float64)
    intersection = confusion.diagonal()
    union = confusion.sum(dim=0) + confusion.sum(dim=1) - intersection
    iou = torch.where(union > 0, intersection / union.clamp(min=1), torch.nan)
    present = union > 0
    mean = float(iou[present].mean()) if bool(present.any()) else float("nan")
    return iou, mean


def parsing_accuracy_and_iou(pred_labels, true_labels, num_labels: int = 10) -> tuple[float, float]:
    """Pixel accuracy and per-image mean IoU (see the module docstring for the definition).

    Args:
        pred_labels: (H, W) or (B, H, W) predicted labels (numpy or torch integers).
        true_labels: the same shape, the reference labels.
        num_labels: number of labels.

    Returns:
        (pixel accuracy over all pixels of all images, mean over images of the per-image mean
        IoU over labels present in the prediction or the truth).
    """
    pred, true = _check_pair(pred_labels, true_labels, num_labels)
    confusion = _per_image_confusion(pred, true, num_labels).to(torch.float64)
    accuracy = float(confusion.diagonal(dim1=1, dim2=2).sum() / confusion.sum())
    intersection = confusion.diagonal(dim1=1, dim2=2)
    union = confusion.sum(dim=1) + confusion.sum(dim=2) - intersection
    present = union > 0
    iou = torch.where(present, intersection / union.clamp(min=1), torch.zeros_like(union))
    per_image = iou.sum(dim=1) / present.sum(dim=1)
    return accuracy, float(per_image.mean())
