"""The label fill (decision 0007): the push-pull fill against known images and OpenCV's
inpainting, the label rules on hand-made maps, and the generator's grown inputs."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch

from spt_core import labels as lb
from spt_core.config import AppearanceNetConfig
from spt_core.models.checkpoint import load_weights
from spt_core.models.inputs import AppearanceInputs
from spt_core.models.label_fill import label_fill, push_pull_fill
from spt_core.models.loading import build_network
from tests.core.test_models_appearance import _poses

SIZE = (64, 32)


def _one_hot(labels: np.ndarray) -> torch.Tensor:
    return lb.one_hot_torch(torch.from_numpy(labels.astype(np.int64)))[:, 1:].float()


def test_fill_keeps_known_pixels_and_fills_a_constant_exactly():
    values = torch.rand(2, 3, 37, 21)
    full = torch.ones(2, 1, 37, 21)
    torch.testing.assert_close(push_pull_fill(values, full), values)
    weight = (torch.rand(2, 1, 37, 21) > 0.9).float()
    constant = torch.tensor([0.2, -0.5, 0.7]).view(1, 3, 1, 1).expand(2, 3, 37, 21)
    torch.testing.assert_close(push_pull_fill(constant, weight), constant.contiguous())


def test_fill_of_a_hole_in_a_smooth_image_is_close_to_the_truth_and_to_opencv():
    import cv2

    y, x = np.mgrid[0:64, 0:48].astype(np.float32)
    truth = np.stack([x / 48, y / 64, 0.5 + 0.3 * np.sin(x / 9)], -1)  # smooth, in [0, 1]
    known = np.ones((64, 48), bool)
    known[20:44, 14:34] = False  # a hole the size of a person's torso
    filled = (
        push_pull_fill(
            torch.from_numpy(truth).permute(2, 0, 1)[None],
            torch.from_numpy(known.astype(np.float32))[None, None],
        )[0]
        .permute(1, 2, 0)
        .numpy()
    )
    hole = ~known
    ours = np.abs(filled - truth)[hole].mean()
    image = (truth * 255).round().astype(np.uint8)
    telea = cv2.inpaint(image, hole.astype(np.uint8), 3, cv2.INPAINT_TELEA) / 255.0
    theirs = np.abs(telea - truth)[hole].mean()
    assert ours < 0.06, ours  # the hole spans a third of the colour ramp: a flat fill is ~0.12
    assert ours < 2.0 * theirs + 0.01, (ours, theirs)
    np.testing.assert_allclose(filled[known], truth[known], atol=1e-6)


def _person(height: int = 64, width: int = 32) -> tuple[np.ndarray, np.ndarray]:
    """A hand-made person: face, red shirt with long sleeves, blue pants, grey background."""
    labels = np.zeros((height, width), np.uint8)
    image = np.zeros((height, width, 3), np.float32)
    image[:] = (0.1, 0.1, 0.1)
    paint = {
        lb.FACE: ((4, 12, 12, 20), (0.8, 0.6, 0.5)),
        lb.UPPER_CLOTHES: ((12, 34, 10, 22), (0.9, -0.8, -0.8)),
        lb.PANTS: ((34, 58, 11, 21), (-0.8, -0.8, 0.9)),
    }
    for label, ((top, bottom, left, right), colour) in paint.items():
        labels[top:bottom, left:right] = label
        image[top:bottom, left:right] = colour
    labels[12:30, 6:10] = lb.UPPER_CLOTHES  # the sleeves
    image[12:30, 6:10] = (0.9, -0.8, -0.8)
    return labels, image


def _fill(labels, image, target) -> np.ndarray:
    tensor = torch.from_numpy(image).permute(2, 0, 1)[None]
    out = label_fill(tensor, _one_hot(labels[None]), _one_hot(target[None]))
    return out[0].permute(1, 2, 0).numpy()


def test_label_fill_rules_on_a_hand_made_person():
    labels, image = _person()
    target = labels.copy()
    target[40:58, 8:24] = lb.SKIRT  # pants into a skirt, wider than the pants were
    target[20:30, 6:10] = lb.LEFT_ARM  # the sleeve shortened: bare forearm
    target[4:12, 12:20] = lb.BACKGROUND  # the face painted out
    fill = _fill(labels, image, target)
    same = labels == target
    np.testing.assert_allclose(fill[same], image[same], atol=1e-5)  # kept where unchanged
    # No skirt in the source: the skirt takes the pants' blue (its fallback), even where the
    # pants never were.
    np.testing.assert_allclose(fill[40:58, 8:24], np.broadcast_to((-0.8, -0.8, 0.9), (18, 16, 3)))
    # No arm in the source: the bare forearm takes the face's skin.
    np.testing.assert_allclose(fill[20:30, 6:10], np.broadcast_to((0.8, 0.6, 0.5), (10, 4, 3)))
    # The face's place becomes the background around it.
    np.testing.assert_allclose(fill[4:12, 12:20], np.broadcast_to((0.1, 0.1, 0.1), (8, 8, 3)))


def test_label_fill_reaches_the_target_parsing_by_gradient():
    labels, image = _person()
    target = _one_hot(labels[None]).requires_grad_(True)
    tensor = torch.from_numpy(image).permute(2, 0, 1)[None]
    label_fill(tensor, _one_hot(labels[None]), target).sum().backward()
    assert target.grad is not None and target.grad.abs().sum() > 0


def test_a_generator_grown_to_read_the_fill_starts_as_the_one_it_was_grown_from(tmp_path):
    config = AppearanceNetConfig.tiny(size=SIZE, identity_part=True, label_gate=True)
    torch.manual_seed(0)
    plain = build_network(config).eval()
    from safetensors.torch import save_file

    save_file(plain.state_dict(), str(tmp_path / "generator.safetensors"))
    grown = build_network(dataclasses.replace(config, colour_hint=True)).eval()
    with pytest.raises(Exception, match="shape mismatches"):
        load_weights(grown, tmp_path, "generator")
    load_weights(grown, tmp_path, "generator", grow_inputs=True)
    assert grown.target_encoder.stem.in_channels == plain.target_encoder.stem.in_channels + 3

    source, target = _poses(SIZE, 2)
    labels, _ = _person()
    parsing = _one_hot(np.stack([labels, labels]))
    image = torch.rand(2, 3, *SIZE) * 2 - 1
    outputs = []
    for generator in (plain, grown):
        inputs = AppearanceInputs.build(
            generator, image, parsing, parsing, source, target, config.heatmap_sigma
        )
        assert ("colour_hint" in inputs.extra) == generator.colour_hint
        with torch.no_grad():
            outputs.append(inputs.render(generator))
    torch.testing.assert_close(outputs[0], outputs[1])
    with pytest.raises(ValueError, match="colour_hint is required"):
        grown(image, parsing, inputs.source_heatmaps, parsing, inputs.target_heatmaps,
              inputs.thetas, inputs.part_masks)  # fmt: skip


def test_colour_hint_is_refused_where_nothing_reads_it():
    with pytest.raises(ValueError, match="colour_hint"):
        AppearanceNetConfig(colour_hint=True, local_enhancer=True, size=(256, 256))
    with pytest.raises(ValueError, match="colour_hint"):
        AppearanceNetConfig(colour_hint=True, parsing_channels=0)


def test_shoes_alone_do_not_make_a_bared_leg_shoe_coloured():
    from spt_core import skeleton as sk

    labels, image = _person()
    labels[58:62, 11:16], image[58:62, 11:16] = lb.RIGHT_LEG, (-0.9, -0.9, -0.9)  # a shoe
    labels[58:62, 16:21], image[58:62, 16:21] = lb.LEFT_LEG, (-0.9, -0.9, -0.9)
    pose = np.full((1, sk.NUM_JOINTS, 2), np.nan, np.float32)
    pose[0, sk.R_KNEE], pose[0, sk.R_ANKLE] = (13, 46), (13, 59)
    pose[0, sk.L_KNEE], pose[0, sk.L_ANKLE] = (18, 46), (18, 59)
    target = labels.copy()
    target[48:58, 11:16] = lb.RIGHT_LEG  # trousers shortened: the right shin bared
    tensor = torch.from_numpy(image).permute(2, 0, 1)[None]
    maps = _one_hot(labels[None]), _one_hot(target[None])
    shin = label_fill(tensor, *maps, pose)[0, :, 48:58, 11:16].permute(1, 2, 0).numpy()
    np.testing.assert_allclose(shin, np.broadcast_to((0.8, 0.6, 0.5), shin.shape), atol=1e-5)
    # Without the pose the shoe counts as the leg, and its colour spreads up the shin.
    blind = label_fill(tensor, *maps)[0, :, 54:58, 11:16].permute(1, 2, 0).numpy()
    assert np.abs(blind - np.array((-0.9, -0.9, -0.9))).max() < 0.2


def test_inference_reuses_the_source_fields_and_never_a_stale_source():
    """Under inference mode the source's fields are remembered (a drag changes the target
    only); the result equals the uncached one, and another source is never served stale."""
    import torch

    from spt_core.models.label_fill import label_fill

    generator = torch.Generator().manual_seed(3)
    image = torch.rand(1, 3, 16, 8, generator=generator) * 2 - 1
    source = torch.zeros(1, 9, 16, 8)
    source[:, 2, 4:12, 2:6] = 1.0  # upper clothes
    target = torch.zeros(1, 9, 16, 8)
    target[:, 2, 2:14, 1:7] = 1.0
    plain = label_fill(image, source, target)
    with torch.inference_mode():
        first = label_fill(image, source, target)
        again = label_fill(image, source, target * 0.5)
        other = label_fill(-image, source, target)
    torch.testing.assert_close(first, plain)
    torch.testing.assert_close(again, label_fill(image, source, target * 0.5))
    torch.testing.assert_close(other, label_fill(-image, source, target))
    assert not torch.equal(other, first)
