"""LSGAN losses, the pose-weighted cross-entropy and the parsing metrics on hand-made cases."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from spt_core.losses import (
    confusion_matrix,
    iou_from_confusion,
    lsgan_discriminator_loss,
    lsgan_generator_loss,
    parsing_accuracy_and_iou,
    pose_weighted_cross_entropy,
)

# --------------------------------------------------------------------------------------------
# LSGAN


def test_lsgan_losses_on_known_numbers():
    real = torch.tensor([[1.0, 0.5]])  # (r - 1)^2: 0, 0.25 -> mean 0.125
    fake = torch.tensor([[0.0, 1.0]])  # f^2: 0, 1 -> mean 0.5; (f - 1)^2: 1, 0 -> mean 0.5
    assert float(lsgan_discriminator_loss(real, fake)) == pytest.approx(0.5 * (0.125 + 0.5))
    assert float(lsgan_generator_loss(fake)) == pytest.approx(0.5)
    assert float(lsgan_generator_loss(torch.ones(3, 1, 2, 2))) == 0.0


def test_lsgan_losses_sum_lists():
    real = [torch.tensor([1.0, 0.5]), torch.tensor([3.0])]  # 0.125 + 4
    fake = [torch.tensor([0.0, 1.0]), torch.tensor([[2.0]])]  # 0.5 + 4 ; (f-1)^2: 0.5 + 1
    assert float(lsgan_discriminator_loss(real, fake)) == pytest.approx(0.5 * (4.125 + 4.5))
    assert float(lsgan_generator_loss(fake)) == pytest.approx(1.5)
    assert float(lsgan_generator_loss(tuple(fake))) == pytest.approx(1.5)
    with pytest.raises(ValueError, match="non-empty"):
        lsgan_generator_loss([])


def test_lsgan_generator_loss_has_gradient():
    fake = torch.tensor([0.0, 2.0], requires_grad=True)
    lsgan_generator_loss(fake).backward()
    torch.testing.assert_close(fake.grad, torch.tensor([-1.0, 1.0]))  # d/df mean((f-1)^2)


# --------------------------------------------------------------------------------------------
# Pose-weighted cross-entropy

# 1 x 3 labels x 2 x 2 pixels
LOGITS = torch.tensor(
    [[[[2.0, 0.0], [1.0, -1.0]], [[0.5, 1.0], [1.0, 3.0]], [[-1.0, 2.0], [0.0, 0.0]]]]
)
TARGET = torch.tensor([[[0, 2], [1, 1]]])
MASK = torch.tensor([[[[1.0, 0.0], [0.0, 1.0]]]])


def _hand_ce() -> list[float]:
    """Per-pixel -log softmax at the target label, with math (no torch)."""
    values = []
    for i in range(2):
        for j in range(2):
            scores = [float(LOGITS[0, c, i, j]) for c in range(3)]
            log_z = math.log(sum(math.exp(s) for s in scores))
            values.append(log_z - scores[int(TARGET[0, i, j])])
    return values


def test_weighted_cross_entropy_by_hand():
    ce = _hand_ce()
    weights = [2.0, 1.0, 1.0, 2.0]  # 1 + M, row-major
    expected = sum(w * c for w, c in zip(weights, ce, strict=True)) / 4
    assert float(pose_weighted_cross_entropy(LOGITS, TARGET, MASK)) == pytest.approx(expected)
    # (B, H, W) mask and no mask
    assert float(pose_weighted_cross_entropy(LOGITS, TARGET, MASK[:, 0])) == pytest.approx(expected)
    assert float(pose_weighted_cross_entropy(LOGITS, TARGET)) == pytest.approx(sum(ce) / 4)
    assert float(pose_weighted_cross_entropy(LOGITS, TARGET)) == pytest.approx(
        float(F.cross_entropy(LOGITS, TARGET))
    )


def test_full_mask_doubles_the_loss_exactly():
    torch.manual_seed(0)
    logits = torch.randn(2, 10, 8, 4)
    target = torch.randint(0, 10, (2, 8, 4))
    plain = pose_weighted_cross_entropy(logits, target)
    assert torch.equal(
        pose_weighted_cross_entropy(logits, target, torch.ones(2, 1, 8, 4)), 2 * plain
    )


def test_integer_and_one_hot_targets_agree_and_soft_targets_match_torch():
    torch.manual_seed(1)
    logits = torch.randn(2, 10, 8, 4)
    target = torch.randint(0, 10, (2, 8, 4))
    mask = (torch.rand(2, 1, 8, 4) > 0.5).float()
    one_hot = F.one_hot(target, 10).movedim(-1, 1).float()
    torch.testing.assert_close(
        pose_weighted_cross_entropy(logits, target, mask),
        pose_weighted_cross_entropy(logits, one_hot, mask),
    )
    soft = torch.softmax(torch.randn(2, 10, 8, 4), dim=1)
    torch.testing.assert_close(
        pose_weighted_cross_entropy(logits, soft), F.cross_entropy(logits, soft)
    )


def test_confident_correct_prediction_gives_almost_zero_and_stays_finite():
    target = torch.tensor([[[0, 1], [2, 0]]])
    logits = 60.0 * F.one_hot(target, 3).movedim(-1, 1).float()
    assert float(pose_weighted_cross_entropy(logits, target, torch.ones(1, 2, 2))) < 1e-6
    # Confidently wrong: large but finite (log_softmax, no log(0)).
    wrong = pose_weighted_cross_entropy(logits, (target + 1) % 3)
    assert math.isfinite(float(wrong)) and float(wrong) == pytest.approx(60.0, rel=1e-4)


def test_cross_entropy_shape_errors():
    with pytest.raises(ValueError, match="labels must be in 0..2"):
        pose_weighted_cross_entropy(LOGITS, TARGET + 1)
    with pytest.raises(ValueError, match="target: expected"):
        pose_weighted_cross_entropy(LOGITS, TARGET[:, :1])
    with pytest.raises(ValueError, match="pose_mask"):
        pose_weighted_cross_entropy(LOGITS, TARGET, torch.ones(1, 2, 2, 2))
    with pytest.raises(ValueError, match="integer labels"):
        pose_weighted_cross_entropy(LOGITS, TARGET.float())


# --------------------------------------------------------------------------------------------
# Accuracy and IoU

TRUE = np.array([[0, 0, 1, 1], [0, 0, 1, 1], [2, 2, 2, 2], [2, 2, 2, 2]])
PRED = np.array([[0, 0, 0, 1], [0, 0, 1, 1], [2, 2, 2, 2], [2, 2, 3, 3]])
# label 0: |P|=5 |T|=4 inter 4 -> 4/5; label 1: 3, 4, 3 -> 3/4; label 2: 6, 8, 6 -> 6/8;
# label 3: predicted only -> 0; labels 4..9 in neither: skipped.
HAND_IOU = [0.8, 0.75, 0.75, 0.0]


def test_accuracy_and_iou_of_one_hand_made_pair():
    accuracy, mean_iou = parsing_accuracy_and_iou(PRED, TRUE)
    assert accuracy == pytest.approx(13 / 16)
    assert mean_iou == pytest.approx(sum(HAND_IOU) / 4)  # 0.575


def test_per_image_and_dataset_iou_differ_as_defined():
    perfect = np.full((4, 4), 5)
    pred = torch.from_numpy(np.stack([PRED, perfect]))
    true = torch.from_numpy(np.stack([TRUE, perfect]))
    accuracy, mean_iou = parsing_accuracy_and_iou(pred, true)
    assert accuracy == pytest.approx(29 / 32)
    assert mean_iou == pytest.approx((0.575 + 1.0) / 2)  # mean of per-image means

    confusion = confusion_matrix(pred, true)
    assert confusion.shape == (10, 10) and int(confusion.sum()) == 32
    assert int(confusion[1, 0]) == 1 and int(confusion[2, 3]) == 2 and int(confusion[5, 5]) == 16
    per_label, dataset_mean = iou_from_confusion(confusion)
    torch.testing.assert_close(
        per_label[[0, 1, 2, 3, 5]], torch.tensor(HAND_IOU + [1.0], dtype=torch.float64)
    )
    assert torch.isnan(per_label[[4, 6, 7, 8, 9]]).all()
    assert dataset_mean == pytest.approx((sum(HAND_IOU) + 1.0) / 5)  # 0.66, not 0.7875


def test_confusion_matrices_accumulate_over_batches():
    both = confusion_matrix(np.stack([PRED, TRUE]), np.stack([TRUE, TRUE]))
    torch.testing.assert_close(both, confusion_matrix(PRED, TRUE) + confusion_matrix(TRUE, TRUE))


def test_metric_input_errors():
    with pytest.raises(ValueError, match="differ in shape"):
        parsing_accuracy_and_iou(PRED, TRUE[:3])
    with pytest.raises(ValueError, match=r"true_labels: labels must be in 0..9"):
        parsing_accuracy_and_iou(PRED, TRUE + 8)
