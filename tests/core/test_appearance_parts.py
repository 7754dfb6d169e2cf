"""The departures of decision 0006 in G_A: the "body" torso mask, the background part and
the resize up blocks, each checked against a hand computation."""

from __future__ import annotations

import numpy as np
import torch

from spt_core import labels as lb
from spt_core import skeleton as sk
from spt_core.config import AppearanceNetConfig
from spt_core.models.appearance import deformable_skip
from spt_core.models.blocks import UpBlock
from spt_core.models.inputs import AppearanceInputs, with_background, with_identity_part
from spt_core.models.loading import build_network
from tests.core.test_models_appearance import _poses

SIZE = (64, 32)


def _person_maps(poses: np.ndarray) -> torch.Tensor:
    """(B, 9, H, W) one-hot parsings: thick strokes from the neck to the hips and along each
    arm (hand-made, enough to tell person from background)."""
    import cv2

    maps = np.zeros((len(poses), *SIZE), np.uint8)
    for k, pose in enumerate(poses):
        for a, b in (
            (sk.NECK, sk.R_HIP),
            (sk.NECK, sk.L_HIP),
            (sk.R_ELBOW, sk.R_WRIST),
            (sk.L_ELBOW, sk.L_WRIST),
            (sk.R_SHOULDER, sk.R_ELBOW),
            (sk.L_SHOULDER, sk.L_ELBOW),
        ):
            start, end = np.round(pose[a]).astype(int), np.round(pose[b]).astype(int)
            cv2.line(maps[k], tuple(map(int, start)), tuple(map(int, end)), lb.UPPER_CLOTHES, 5)
    return lb.one_hot_torch(torch.from_numpy(maps.astype(np.int64)))[:, 1:].float()


def _labels(one_hot: torch.Tensor) -> torch.Tensor:
    return with_background(one_hot).argmax(1)


def test_identity_part_mask_is_same_label_same_place():
    source, target = _poses(SIZE, 2)
    source_map, target_map = _person_maps(source), _person_maps(target)
    thetas = torch.zeros(2, 10, 2, 3)
    masks = torch.zeros(2, 10, *SIZE)
    new_thetas, new_masks = with_identity_part(thetas, masks, source_map, target_map)
    assert new_thetas.shape == (2, 11, 2, 3) and new_masks.shape == (2, 11, *SIZE)
    torch.testing.assert_close(new_thetas[:, 10], torch.eye(2, 3).expand(2, 2, 3))
    expected = _labels(source_map) == _labels(target_map)
    torch.testing.assert_close(new_masks[:, 10], expected.float())


def _inputs(config, source, target, source_map, target_map):
    generator = build_network(config).eval()
    image = torch.rand(len(source), 3, *SIZE) * 2 - 1
    inputs = AppearanceInputs.build(
        generator, image, source_map, target_map, source, target, config.heatmap_sigma
    )
    return generator, image, inputs


GATED = {"torso_mask": "body", "identity_part": True, "label_gate": True}


def test_gated_skips_carry_no_label_the_target_does_not_ask_for():
    """The label mass that the parts would carry onto each pixel, for every label other than
    the target's: with the authors' inputs the old arm reaches the background through the
    torso's whole-image mask; with the gate nothing of another label arrives anywhere."""
    source, target = _poses(SIZE, 2)
    source_map, target_map = _person_maps(source), _person_maps(target)
    wrong = 1.0 - with_background(target_map)
    carried_wrong = {}
    for name, changes in (("authors", {}), ("gated", GATED)):
        config = AppearanceNetConfig.tiny(size=SIZE, **changes)
        _, _, inputs = _inputs(config, source, target, source_map, target_map)
        carried = deformable_skip(with_background(source_map), inputs.thetas, inputs.part_masks)
        carried_wrong[name] = (carried * wrong).sum(1)
    left = (source_map.sum(1) > 0) & (target_map.sum(1) == 0)
    assert carried_wrong["authors"][left].mean() > 0.5
    # Bilinear warps blur label edges by a pixel; nothing more than that gets through.
    assert carried_wrong["gated"].max() < 0.5
    assert carried_wrong["gated"].mean() < 0.01


def test_unwarped_background_reaches_the_skip_unchanged():
    """Where only the identity part covers a pixel, the finest skip holds the source's own
    (ReLU'd) stem features there."""
    config = AppearanceNetConfig.tiny(size=SIZE, **GATED)
    source, target = _poses(SIZE, 2)
    source_map, target_map = _person_maps(source), _person_maps(target)
    generator, image, inputs = _inputs(config, source, target, source_map, target_map)
    skips = generator.encode(
        image,
        source_map,
        inputs.source_heatmaps,
        target_map,
        inputs.target_heatmaps,
        inputs.thetas,
        inputs.part_masks,
    )
    appearance = skips[0][:, : generator.widths[0]]
    source_in = torch.cat([image, source_map, inputs.source_heatmaps], 1)
    expected = generator.appearance_encoder.stem(source_in).clamp(min=0)
    only_identity = (inputs.part_masks[:, 10] == 1) & (inputs.part_masks[:, :10].amax(1) == 0)
    assert only_identity.sum() > 200
    chosen = only_identity[:, None].expand_as(appearance)
    torch.testing.assert_close(appearance[chosen], expected[chosen])


def test_the_authors_inputs_are_unchanged_by_default():
    config = AppearanceNetConfig.tiny(size=SIZE)
    generator = build_network(config)
    source, target = _poses(SIZE, 1)
    maps = _person_maps(source)
    inputs = AppearanceInputs.build(
        generator, torch.zeros(1, 3, *SIZE), maps, maps, source, target, 1.5
    )
    assert inputs.thetas.shape[1] == 10
    assert inputs.part_masks[0, 0].all()  # the torso's whole-image mask


def test_resize_up_block_draws_no_checkerboard():
    """On a constant input the transposed convolution's uneven overlap makes a period-2
    pattern; nearest x2 + 3x3 gives a constant interior."""
    torch.manual_seed(0)
    x = torch.ones(1, 8, 6, 6)
    for kind, flat in (("transpose", False), ("resize", True)):
        block = UpBlock(8, 4, norm="none", upsample=kind)
        torch.nn.init.normal_(block.conv.weight)
        y = block(x)[0, :, 2:-2, 2:-2]
        assert y.shape[-2:] == (8, 8)
        spread = (y - y[:, :1, :1]).abs().max().item()
        assert (spread < 1e-5) == flat, kind


def test_resize_generator_runs_at_odd_sizes():
    config = AppearanceNetConfig.tiny(upsample="resize", size=(30, 14))
    generator = build_network(config)
    source, target = _poses((30, 14), 1)
    maps = torch.zeros(1, 9, 30, 14)
    inputs = AppearanceInputs.build(
        generator, torch.zeros(1, 3, 30, 14), maps, maps, source, target, 1.5
    )
    assert inputs.render(generator).shape == (1, 3, 30, 14)
