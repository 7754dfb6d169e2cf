"""Appearance network: G_A (global + local enhancer), D_A, D_F, face crops, pose regressor P.

References are computed another way: warped skips against hand-shifted encoder features,
padded thetas against warps of the unpadded tensor, face crops against array slices and
hand-computed box geometry, D_F's 128-px path against a plain PatchGAN on a pooled input,
parameter counts against layer-by-layer arithmetic (and CycleGAN's printed 11.378 M).
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from spt_core import parts
from spt_core import skeleton as sk
from spt_core.config import AppearanceNetConfig, PoseNetConfig, from_dict, to_dict
from spt_core.models.appearance import AppearanceGenerator, deformable_skip, pad_thetas
from spt_core.models.appearance_discriminators import FaceDiscriminator, ImageDiscriminator
from spt_core.models.face import crop_faces, face_boxes
from spt_core.models.inputs import part_warp_inputs
from spt_core.models.loading import build_network
from spt_core.models.local_enhancer import LocalEnhancedGenerator
from spt_core.models.posenet import PoseRegressor

TINY = AppearanceNetConfig.tiny()

# A standing person and the same person with raised arms, in [0, 1] image coordinates.
_STANDING = [
    (0.50, 0.12), (0.50, 0.20), (0.38, 0.20), (0.33, 0.35), (0.30, 0.48), (0.62, 0.20),
    (0.67, 0.35), (0.70, 0.48), (0.42, 0.52), (0.41, 0.70), (0.40, 0.90), (0.58, 0.52),
    (0.59, 0.70), (0.60, 0.90), (0.47, 0.10), (0.53, 0.10), (0.44, 0.11), (0.56, 0.11),
]  # fmt: skip
_ARMS_UP = {3: (0.30, 0.08), 4: (0.28, 0.00), 6: (0.70, 0.08), 7: (0.72, 0.00)}


def _poses(size: tuple[int, int], batch: int = 2) -> tuple[np.ndarray, np.ndarray]:
    height, width = size
    source = np.array(_STANDING, dtype=np.float32) * [width - 1, height - 1]
    target_rel = np.array(_STANDING, dtype=np.float32)
    for joint, xy in _ARMS_UP.items():
        target_rel[joint] = xy
    target = (target_rel + [0.05, 0.0]) * [width - 1, height - 1]
    return np.repeat(source[None], batch, 0), np.repeat(target[None], batch, 0)


def _inputs(batch: int, size: tuple[int, int], seed: int = 0) -> dict:
    gen = torch.Generator().manual_seed(seed)
    height, width = size
    labels = torch.randint(0, 10, (2, batch, height, width), generator=gen)
    one_hot = F.one_hot(labels, 10).movedim(-1, 2)[:, :, 1:].float()  # background dropped
    return {
        "source_image": torch.rand(batch, 3, height, width, generator=gen) * 2 - 1,
        "source_parsing": one_hot[0],
        "source_heatmaps": torch.rand(batch, 18, height, width, generator=gen),
        "target_parsing": one_hot[1],
        "target_heatmaps": torch.rand(batch, 18, height, width, generator=gen),
    }


def _warp(batch: int, size: tuple[int, int]) -> dict:
    source, target = _poses(size, batch)
    thetas, masks = part_warp_inputs(source, target, size)
    return {"thetas": thetas, "part_masks": masks}


def _identity_warp(batch: int, size: tuple[int, int]) -> dict:
    return {
        "thetas": torch.eye(2, 3).expand(batch, parts.NUM_PARTS, 2, 3).clone(),
        "part_masks": torch.ones(batch, parts.NUM_PARTS, *size),
    }


def _n_params(module: torch.nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


# --------------------------------------------------------------------------------------------
# G_A: shapes, sizes, validation


def test_tiny_generator_shapes_range_and_padding():
    torch.manual_seed(0)
    generator = AppearanceGenerator.from_config(TINY)
    out = generator(**_inputs(2, (32, 16)), **_warp(2, (32, 16)))
    assert out.shape == (2, 3, 32, 16)
    assert out.abs().max() <= 1.0 and out.std() > 0
    # 36x20 is not a multiple of 2**3: padded inside, cropped back.
    odd = generator(**_inputs(1, (36, 20)), **_warp(1, (36, 20)))
    assert odd.shape == (1, 3, 36, 20) and torch.isfinite(odd).all()
    upsampling = AppearanceGenerator.from_config(dataclasses.replace(TINY, output_upsample=True))
    assert upsampling(**_inputs(1, (32, 16)), **_warp(1, (32, 16))).shape == (1, 3, 64, 32)
    assert upsampling(**_inputs(1, (36, 20)), **_warp(1, (36, 20))).shape == (1, 3, 72, 40)


def test_default_config_128x64_forward_and_parameter_count():
    torch.manual_seed(0)
    generator = AppearanceGenerator.from_config(AppearanceNetConfig()).eval()
    with torch.no_grad():
        out = generator(**_inputs(1, (128, 64)), **_warp(1, (128, 64)))
    assert out.shape == (1, 3, 128, 64) and torch.isfinite(out).all()
    assert out.abs().max() <= 1.0

    # Layer-by-layer count of docs/appearance_network.md (weights + biases + 2 per norm).
    enc = [64, 128, 256, 512, 512, 512]

    def encoder(in_ch: int) -> int:
        downs = sum(a * b * 16 for a, b in zip(enc[:-1], enc[1:], strict=True))
        return in_ch * 64 * 9 + 64 + downs + 2 * 4

    ups = [(1024, 512), (512 + 1024, 512), (512 + 1024, 512), (512 + 512, 256), (256 + 256, 128)]
    decoder = sum(i * o * 16 + 2 for i, o in ups) + (128 + 128) * 3 * 9 + 3
    assert _n_params(generator) == encoder(30) + encoder(27) + decoder


def test_generator_input_validation_names_the_input():
    generator = AppearanceGenerator.from_config(TINY)
    inputs, warp = _inputs(1, (32, 16)), _warp(1, (32, 16))
    bad = dict(inputs, source_parsing=torch.rand(1, 10, 32, 16))
    with pytest.raises(ValueError, match="source_parsing: expected 9 channels, got 10"):
        generator(**bad, **warp)
    bad = dict(inputs, target_heatmaps=torch.rand(1, 18, 32, 8))
    with pytest.raises(ValueError, match="target_heatmaps: expected batch 1 and size 32x16"):
        generator(**bad, **warp)
    with pytest.raises(ValueError, match="thetas is required"):
        generator(**inputs)
    with pytest.raises(ValueError, match="part_masks: expected"):
        generator(**inputs, thetas=warp["thetas"], part_masks=warp["part_masks"][:, :5])
    with pytest.raises(ValueError, match="source_image"):
        generator(**dict(inputs, source_image=torch.rand(1, 1, 32, 16)), **warp)
    # Without deformable skips the warp inputs are not needed.
    plain = AppearanceGenerator.from_config(dataclasses.replace(TINY, deformable_levels=0))
    assert plain(**inputs).shape == (1, 3, 32, 16)


# --------------------------------------------------------------------------------------------
# Deformable skips


def _appearance_features(generator: AppearanceGenerator, inputs: dict) -> list[torch.Tensor]:
    source_in = torch.cat(
        [inputs["source_image"], inputs["source_parsing"], inputs["source_heatmaps"]], dim=1
    )
    return generator.appearance_encoder(source_in)


def test_identity_warp_leaves_the_appearance_feature_unchanged():
    torch.manual_seed(0)
    generator = AppearanceGenerator.from_config(TINY).eval()
    inputs = _inputs(2, (32, 16))
    with torch.no_grad():
        skips = generator.encode(**inputs, **_identity_warp(2, (32, 16)))
        features = _appearance_features(generator, inputs)
    for level, feature in enumerate(features):
        width = generator.widths[level]
        assert skips[level].shape[1] == 2 * width
        torch.testing.assert_close(skips[level][:, :width], feature, rtol=0, atol=1e-5)


def test_translation_warp_shifts_each_level_by_its_own_pixel_count():
    torch.manual_seed(0)
    generator = AppearanceGenerator.from_config(TINY).eval()
    inputs = _inputs(1, (32, 16))
    # Target pixel (x, y) samples source (x, y + 8) at 32x16: every part moves the same way.
    affine = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 8.0]])
    theta = parts.affine_to_theta(affine, (32, 16), (32, 16)).float()
    warp = {
        "thetas": theta.expand(1, parts.NUM_PARTS, 2, 3).clone(),
        "part_masks": torch.ones(1, parts.NUM_PARTS, 32, 16),
    }
    with torch.no_grad():
        skips = generator.encode(**inputs, **warp)
        features = _appearance_features(generator, inputs)
    for level, feature in enumerate(features):
        warped = skips[level][:, : generator.widths[level]]
        if level >= TINY.deformable_levels:  # the coarsest level is concatenated unwarped
            torch.testing.assert_close(warped, feature, rtol=0, atol=0)
            continue
        shift = 8 // 2**level  # 8 px at 32x16 is 4 px at 16x8 and 2 px at 8x4
        expected = torch.zeros_like(feature)
        expected[:, :, :-shift] = feature[:, :, shift:]
        torch.testing.assert_close(warped, expected, rtol=0, atol=1e-5)
        assert not torch.allclose(warped, feature, atol=1e-2)


def test_deformable_skip_masks_each_part_at_the_feature_resolution():
    torch.manual_seed(0)
    feature = torch.randn(1, 3, 16, 8)
    # Part 0 (identity) owns the left half, part 1 (2-px shift right at 16x8) the right half.
    shift = parts.affine_to_theta(np.array([[1.0, 0, -4.0], [0, 1, 0]]), (32, 16), (32, 16))
    thetas = torch.zeros(1, 2, 2, 3)
    thetas[0, 0] = torch.eye(2, 3)
    thetas[0, 1] = shift.float()
    masks = torch.zeros(1, 2, 32, 16)  # full-resolution masks: resized to 16x8 inside
    masks[0, 0, :, :8] = 1
    masks[0, 1, :, 8:] = 1
    out = deformable_skip(feature, thetas, masks)
    shifted = torch.zeros_like(feature)
    shifted[..., 2:] = feature[..., :-2]
    left = torch.zeros_like(feature)
    left[..., :4] = feature[..., :4]
    right = torch.zeros_like(feature)
    right[..., 4:] = shifted[..., 4:]
    # A part absent at a pixel contributes 0 to the maximum (Def-GAN).
    torch.testing.assert_close(out, torch.maximum(left, right), rtol=0, atol=1e-5)


def test_padded_thetas_warp_like_the_unpadded_frame():
    torch.manual_seed(0)
    tensor = torch.randn(2, 3, 12, 10)
    affines = np.array([[[0.9, 0.1, 1.5], [-0.2, 1.1, -2.0]], [[1.2, 0.0, -1.0], [0.3, 0.8, 2.5]]])
    thetas = parts.affine_to_theta(affines, (12, 10), (12, 10)).float()
    pads = (1, 5, 2, 2)  # left, right, top, bottom: deliberately asymmetric
    padded = parts.warp(F.pad(tensor, pads), pad_thetas(thetas, (12, 10), pads))
    torch.testing.assert_close(
        padded[:, :, 2:14, 1:11], parts.warp(tensor, thetas), rtol=0, atol=1e-5
    )


def test_part_warp_inputs_identity_for_equal_poses():
    source, _ = _poses((32, 16), batch=1)
    thetas, masks = part_warp_inputs(source[0], source[0], (32, 16))
    assert thetas.shape == (1, 10, 2, 3) and masks.shape == (1, 10, 32, 16)
    assert thetas.dtype == masks.dtype == torch.float32
    torch.testing.assert_close(thetas[0], torch.eye(2, 3).expand(10, 2, 3), atol=1e-4, rtol=0)
    assert masks[0, 0].min() == 1  # torso: the whole image
    assert 0 < masks[0, 2:].sum() < masks[0, 2:].numel()


# --------------------------------------------------------------------------------------------
# Gradients and dependence on the inputs


def test_gradients_reach_both_encoders():
    torch.manual_seed(0)
    generator = AppearanceGenerator.from_config(TINY)
    generator(**_inputs(2, (32, 16)), **_warp(2, (32, 16))).square().mean().backward()
    for encoder in (generator.appearance_encoder, generator.target_encoder):
        assert encoder.stem.weight.grad.abs().sum() > 0
        assert encoder.downs[0].conv.weight.grad.abs().sum() > 0


def test_output_depends_on_target_parsing_and_source_image():
    torch.manual_seed(0)
    generator = AppearanceGenerator.from_config(TINY).eval()
    inputs, warp = _inputs(1, (32, 16)), _warp(1, (32, 16))
    with torch.no_grad():
        base = generator(**inputs, **warp)
        torch.testing.assert_close(generator(**inputs, **warp), base, rtol=0, atol=0)
        other_parsing = _inputs(1, (32, 16), seed=1)["target_parsing"]
        changed = generator(**dict(inputs, target_parsing=other_parsing), **warp)
        assert (changed - base).abs().max() > 1e-4
        other_image = -inputs["source_image"]
        changed = generator(**dict(inputs, source_image=other_image), **warp)
        assert (changed - base).abs().max() > 1e-4


def test_test_time_dropout_option():
    torch.manual_seed(0)
    inputs, warp = _inputs(1, (32, 16)), _warp(1, (32, 16))
    stochastic = AppearanceGenerator.from_config(
        dataclasses.replace(TINY, test_time_dropout=True)
    ).eval()
    with torch.no_grad():
        assert not torch.equal(stochastic(**inputs, **warp), stochastic(**inputs, **warp))
    assert not stochastic.training and stochastic.ups[0].dropout.training


# --------------------------------------------------------------------------------------------
# Local enhancer


def test_local_enhancer_alpha_zero_is_exactly_the_global_generator():
    torch.manual_seed(0)
    model = LocalEnhancedGenerator.from_config(TINY).eval()
    inputs, warp = _inputs(2, (32, 16)), _warp(2, (32, 16))
    with torch.no_grad():
        faded_out = model(**inputs, **warp, alpha=0.0)
        half = {name: F.avg_pool2d(x, 2) for name, x in inputs.items()}
        global_only = model.global_generator(
            **half,
            thetas=warp["thetas"],
            part_masks=parts.resize_masks(warp["part_masks"], (16, 8)),
        )
        full = model(**inputs, **warp, alpha=1.0)
        given = model(**inputs, **warp, alpha=0.0, low_res=half)
    assert faded_out.shape == full.shape == (2, 3, 32, 16)
    assert torch.equal(faded_out, global_only)
    assert torch.equal(given, global_only)
    assert (full - faded_out).abs().max() > 1e-3 and full.abs().max() <= 1.0
    local = {id(p) for p in model.local_parameters()}
    assert local and not local & {id(p) for p in model.global_generator.parameters()}


def test_local_enhancer_fade_in_replaces_the_global_first_layer_at_alpha_one():
    torch.manual_seed(0)
    model = LocalEnhancedGenerator.from_config(TINY).eval()
    inputs, warp = _inputs(1, (32, 16)), _warp(1, (32, 16))
    with torch.no_grad():
        before = {a: model(**inputs, **warp, alpha=a) for a in (0.5, 1.0)}
        for encoder in (
            model.global_generator.appearance_encoder,
            model.global_generator.target_encoder,
        ):
            encoder.stem.weight.add_(0.5)
        after = {a: model(**inputs, **warp, alpha=a) for a in (0.5, 1.0)}
    # At alpha = 1 the global encoders' level 0 is the local encoders' half-size feature.
    assert torch.equal(before[1.0], after[1.0])
    assert (before[0.5] - after[0.5]).abs().max() > 1e-4


def test_local_enhancer_gradients_and_validation():
    torch.manual_seed(0)
    model = LocalEnhancedGenerator.from_config(TINY)
    model(**_inputs(1, (32, 16)), **_warp(1, (32, 16)), alpha=0.5).mean().backward()
    assert model.local_appearance_encoder.down.conv.weight.grad.abs().sum() > 0  # via fade-in
    assert model.global_generator.head[1].weight.grad.abs().sum() > 0
    with pytest.raises(ValueError, match="alpha must be in"):
        model(**_inputs(1, (32, 16)), **_warp(1, (32, 16)), alpha=1.5)
    with pytest.raises(ValueError, match="low_res\\['source_image'\\]"):
        model(
            **_inputs(1, (32, 16)),
            **_warp(1, (32, 16)),
            low_res={"source_image": torch.rand(1, 3, 8, 8)},
        )


@pytest.mark.parametrize(
    "preset", [AppearanceNetConfig.deepfashion_256x256, AppearanceNetConfig.deepfashion_256x176]
)
def test_deepfashion_presets_at_full_size(preset):
    cfg = preset(base_channels=4, max_channels=16, local_channels=2)
    model = build_network(cfg).eval()
    assert isinstance(model, LocalEnhancedGenerator)
    with torch.no_grad():
        out = model(**_inputs(1, cfg.size), **_warp(1, cfg.size))
    assert out.shape == (1, 3, *cfg.size) and torch.isfinite(out).all()
    assert cfg.core_size == (cfg.size[0] // 2, cfg.size[1] // 2)


# --------------------------------------------------------------------------------------------
# Face crops


def _head_pose(centre_x: float = 30.0) -> np.ndarray:
    """Head joints averaging to (centre_x, 20.6), truncated to (centre_x, 20); torso scale 26
    -> half-side int(10.4) = 10."""
    pose = sk.missing_pose()
    dx = centre_x - 30.0
    for joint, xy in {
        sk.NOSE: (30, 20),
        sk.R_EYE: (28, 19),
        sk.L_EYE: (32, 19),
        sk.R_EAR: (26, 22),
        sk.L_EAR: (34, 23),
        sk.R_SHOULDER: (20, 30),
        sk.L_SHOULDER: (40, 30),
        sk.R_HIP: (20, 56),
        sk.L_HIP: (40, 56),
    }.items():
        pose[joint] = (xy[0] + dx, xy[1])
    return pose


def test_face_crop_of_box_size_is_the_box():
    torch.manual_seed(0)
    image = torch.rand(1, 3, 64, 64)
    boxes, valid = face_boxes(_head_pose()[None], (64, 64))
    assert valid.tolist() == [True] and boxes.tolist() == [[20, 10, 40, 30]]
    crop = crop_faces(image, _head_pose()[None], crop_size=(20, 20))
    torch.testing.assert_close(crop, image[:, :, 10:30, 20:40], rtol=0, atol=1e-5)


def test_face_crop_places_a_marked_square_where_computed_by_hand():
    image = torch.zeros(1, 3, 64, 64)
    image[:, :, 15:20, 25:30] = 1.0  # inside the box [20, 40) x [10, 30)
    crop = crop_faces(image, _head_pose()[None])  # default: the image size, 64x64
    assert crop.shape == (1, 3, 64, 64)
    # Scale 64 / 20 = 3.2: box offsets 5..10 become crop pixels 16..32 (bilinear edges blur).
    assert torch.allclose(crop[..., 18:30, 18:30], torch.ones(1, 3, 12, 12), atol=1e-5)
    outside = torch.ones(64, 64, dtype=torch.bool)
    outside[14:34, 14:34] = False
    assert crop[..., outside].abs().max() < 1e-6


def test_face_crop_blank_without_head_and_clipped_at_the_border():
    no_head = _head_pose()
    no_head[list(sk.HEAD_JOINTS)] = np.nan
    no_torso = _head_pose()
    no_torso[sk.L_HIP] = np.nan
    image = torch.rand(3, 3, 64, 64)
    poses = np.stack([no_head, _head_pose(), no_torso])
    crops = crop_faces(image, poses)
    assert crops[0].abs().max() == 0 and crops[2].abs().max() == 0 and crops[1].abs().max() > 0
    boxes, valid = face_boxes(_head_pose(centre_x=5.0)[None], (64, 64))
    assert valid.tolist() == [True] and boxes.tolist() == [[0, 10, 15, 30]]


def test_face_crop_gradient_reaches_the_box_only():
    image = torch.rand(1, 3, 64, 64, requires_grad=True)
    crop_faces(image, _head_pose()[None], crop_size=(32, 32)).sum().backward()
    grad = image.grad[0].abs().sum(0)
    assert grad[10:30, 20:40].min() > 0
    box = torch.zeros(64, 64, dtype=torch.bool)
    box[9:31, 19:41] = True  # bilinear sampling reaches one pixel past the box edge
    assert grad[~box].max() == 0


# --------------------------------------------------------------------------------------------
# Discriminators


def test_image_discriminator_at_128x64():
    torch.manual_seed(0)
    disc = ImageDiscriminator.from_config(AppearanceNetConfig())
    assert disc.patch.in_channels == 12
    image, parsing = torch.rand(2, 3, 128, 64) * 2 - 1, torch.rand(2, 9, 128, 64)
    scores = disc(image, parsing)
    assert scores.shape == (2, 1, 14, 6) == (2, 1, *disc.output_size(128, 64))
    with pytest.raises(ValueError, match="parsing: expected \\(B, 9, H, W\\)"):
        disc(image, torch.rand(2, 10, 128, 64))
    with pytest.raises(ValueError, match="parsing: expected batch and size"):
        disc(image, torch.rand(2, 9, 64, 32))


def test_face_discriminator_fade_in_paths():
    torch.manual_seed(0)
    cfg = AppearanceNetConfig.tiny(face_gan=True, face_fade_in=True)
    disc = FaceDiscriminator.from_config(cfg)
    face = torch.rand(2, 3, 64, 64) * 2 - 1
    low, high = disc(face, alpha=0.0), disc(face, alpha=1.0)
    assert low.shape == high.shape == (2, 1, *disc.output_size(64, 64)) == (2, 1, 2, 2)
    assert (low - high).abs().max() > 1e-4
    # alpha = 0 is the 128-px D_F on the 2x2 average-pooled crop.
    torch.testing.assert_close(low, disc.patch(F.avg_pool2d(face, 2)), rtol=0, atol=1e-6)
    plain = FaceDiscriminator(base_channels=8)
    assert plain(face).shape == (2, 1, 6, 6)
    assert not hasattr(plain, "first_256")


# --------------------------------------------------------------------------------------------
# Pose regressor and config


def test_pose_regressor_shape_range_and_parameter_count():
    torch.manual_seed(0)
    regressor = PoseRegressor.from_config(PoseNetConfig(size=(32, 16), base_channels=8, n_blocks=2))
    heatmaps = regressor(torch.rand(2, 3, 32, 16) * 2 - 1)
    assert heatmaps.shape == (2, 18, 32, 16)
    assert heatmaps.abs().max() <= 1.0 and heatmaps.std() > 0
    with pytest.raises(ValueError, match="divisible by 4"):
        regressor(torch.rand(1, 3, 30, 16))
    # CycleGAN's resnet_9blocks (3 -> 3) prints 11.378 M (11,378,179) parameters; 3 -> 18 output
    # channels add 15 x (64 * 49 + 1) to the last convolution.
    assert _n_params(PoseRegressor()) == 11_378_179 + 15 * (64 * 49 + 1)


def test_config_presets_round_trip_and_validation():
    df = AppearanceNetConfig.deepfashion_256x176()
    assert df.core_size == (128, 88) and df.face_size == (256, 256) and df.face_gan
    assert AppearanceNetConfig().core_size == (128, 64) and not AppearanceNetConfig().face_gan
    assert from_dict(AppearanceNetConfig, to_dict(df)) == df
    with pytest.raises(ValueError, match="face_fade_in needs face_gan"):
        AppearanceNetConfig(face_fade_in=True)
    with pytest.raises(ValueError, match="deformable_levels"):
        AppearanceNetConfig(deformable_levels=7)


def test_old_configs_with_the_retired_pose_regressor_fields_still_load():
    # Checkpoints written before P got its own PoseNetConfig carry pose_regressor_* fields.
    old = {**to_dict(AppearanceNetConfig.tiny()), "pose_regressor_channels": 64}
    assert from_dict(AppearanceNetConfig, old) == AppearanceNetConfig.tiny()
    with pytest.raises(ValueError, match="unknown keys"):
        from_dict(AppearanceNetConfig, {**old, "pose_regressor_chanels": 64})
