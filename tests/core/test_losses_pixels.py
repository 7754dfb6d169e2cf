"""The pixel terms of decision 0006 against hand computations on tiny images."""

import numpy as np
import pytest
import torch

from spt_core import labels as lb
from spt_core.config import AppearanceLossWeights
from spt_core.losses.pixels import kept_pixel_loss, label_colour_loss


def _maps():
    source = torch.zeros(1, 4, 4, dtype=torch.long)
    source[0, :2] = lb.UPPER_CLOTHES  # top half: a sleeve
    target = source.clone()
    target[0, 1] = lb.LEFT_ARM  # second row painted bare
    return source, target


def test_kept_pixels_are_the_same_label_same_place():
    source, target = _maps()
    image = torch.zeros(1, 3, 4, 4)
    fake = torch.zeros(1, 3, 4, 4)
    fake[0, :, 1] = 0.8  # the painted row differs: not kept, not counted
    fake[0, :, 3, 0] = 0.6  # one kept background pixel off by 0.6 in every channel
    # 12 kept pixels (rows 0, 2, 3), one of them off by 0.6: mean 0.6 / 12.
    assert kept_pixel_loss(fake, image, source, target).item() == pytest.approx(0.6 / 12)


def test_label_colours_compare_region_means():
    source, target = _maps()
    image = torch.zeros(1, 3, 4, 4)
    image[0, :, :2] = 0.5  # the sleeve's colour
    image[0, 0, 1, 0] = -0.5  # one sleeve pixel of another red: the region mean moves
    fake = torch.zeros(1, 3, 4, 4)
    fake[0, :, 0] = 0.5  # the sleeve row right
    fake[0, :, 1] = 0.2  # the painted arm row: arm is absent in the source, not compared
    # Present in both maps: background (not a body label, skipped) and upper clothes.
    source_mean = np.array([(8 * 0.5 - 1.0) / 8, 0.5, 0.5])  # red lowered by 1/8
    expected = np.abs(np.array([0.5, 0.5, 0.5]) - source_mean).mean()
    assert label_colour_loss(fake, target, image, source).item() == pytest.approx(expected)


def test_soft_maps_are_accepted_and_the_authors_weights_are_off():
    source, target = _maps()
    soft = lb.one_hot_torch(target).float() * 0.5 + lb.one_hot_torch(source).float() * 0.5
    image = torch.rand(1, 3, 4, 4) * 2 - 1
    assert kept_pixel_loss(image, image, source, soft).item() == 0.0
    weights = AppearanceLossWeights()
    assert weights.pixels == 0.0 and weights.label_colours == 0.0
