"""Parsing evaluation: the score accumulator and the three rows of the semantic table."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import body_poses, draw_parsing

from spt_core.data.parsing_pairs import ParsingPairs
from spt_core.eval.parsing import ParsingScores, evaluate_part_warp


def test_scores_on_hand_made_maps():
    truth = np.zeros((4, 4), np.uint8)
    truth[:2] = 3  # 8 pixels of label 3, 8 of background
    predicted = truth.copy()
    predicted[0, :2] = 0  # 2 label-3 pixels predicted as background
    scores = ParsingScores()
    scores.add(predicted, truth)
    summary = scores.summary()
    assert summary["pixel_accuracy"] == pytest.approx(14 / 16)
    # IoU(background) = 8 / 10, IoU(3) = 6 / 8; other labels absent.
    assert summary["miou"] == pytest.approx((0.8 + 0.75) / 2)
    assert summary["per_label_iou"]["upper_clothes"] == pytest.approx(0.75)


def test_part_warp_of_a_translated_pose_is_perfect():
    pose = body_poses(1, seed=9)[0]
    parsing = draw_parsing(pose, (128, 64), "short", "pants")
    moved_pose = pose + np.array([2.0, 4.0], np.float32)
    moved = np.zeros_like(parsing)
    moved[4:, 2:] = parsing[:-4, :-2]
    pairs = ParsingPairs(
        np.stack([parsing, moved]), np.stack([pose, moved_pose]), np.array([[0, 1]]), (128, 64)
    )
    summary = evaluate_part_warp(pairs)
    assert summary["pixel_accuracy"] == 1.0 and summary["miou"] == 1.0
