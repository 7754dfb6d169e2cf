"""Blocks, the semantic generator H_S and the PatchGAN discriminators.

References are computed another way: SampleNorm by hand and by InstanceNorm3d(1); UpBlock by a
padded transposed convolution; patch counts by applying the convolution size formula layer by
layer; layer widths from the table in docs/semantic_network.md.
"""

from __future__ import annotations

import dataclasses

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from spt_core.config import SemanticNetConfig
from spt_core.losses.parsing import pose_weighted_cross_entropy
from spt_core.models import (
    DownBlock,
    ParsingDiscriminator,
    PatchDiscriminator,
    SampleNorm,
    SemanticGenerator,
    UpBlock,
    init_weights,
    make_norm,
)

TINY = SemanticNetConfig(size=(32, 16), base_channels=8, depth=3, disc_channels=8)


def _inputs(batch: int, size: tuple[int, int], num_labels: int = 10, seed: int = 0) -> dict:
    """One-hot source parsing, random heat maps, binary masks."""
    gen = torch.Generator().manual_seed(seed)
    height, width = size
    labels = torch.randint(0, num_labels, (batch, height, width), generator=gen)
    return {
        "source_parsing": F.one_hot(labels, num_labels).movedim(-1, 1).float(),
        "source_heatmaps": torch.rand(batch, 18, height, width, generator=gen),
        "target_heatmaps": torch.rand(batch, 18, height, width, generator=gen),
        "source_mask": (torch.rand(batch, 1, height, width, generator=gen) > 0.5).float(),
        "target_mask": (torch.rand(batch, 1, height, width, generator=gen) > 0.5).float(),
    }


# --------------------------------------------------------------------------------------------
# Blocks


def test_sample_norm_matches_hand_computation_and_instance_norm_3d():
    torch.manual_seed(0)
    x = torch.randn(3, 5, 6, 4, dtype=torch.float64) * 3 + 2
    norm = SampleNorm(eps=1e-3).double()
    with torch.no_grad():
        norm.weight.fill_(1.7)
        norm.bias.fill_(-0.3)
    flat = x.reshape(3, -1)
    mean = flat.mean(dim=1).view(3, 1, 1, 1)
    var = ((flat - flat.mean(dim=1, keepdim=True)) ** 2).mean(dim=1).view(3, 1, 1, 1)
    by_hand = (x - mean) / torch.sqrt(var + 1e-3) * 1.7 - 0.3
    out = norm(x)
    torch.testing.assert_close(out, by_hand, rtol=0, atol=1e-12)

    reference = nn.InstanceNorm3d(1, eps=1e-3, affine=True).double()
    with torch.no_grad():
        reference.weight.fill_(1.7)
        reference.bias.fill_(-0.3)
    torch.testing.assert_close(out, reference(x.unsqueeze(1)).squeeze(1), rtol=0, atol=1e-12)
    # One scalar pair, not per channel: the whole affine is two numbers.
    assert sum(p.numel() for p in norm.parameters()) == 2


def test_make_norm_kinds():
    assert isinstance(make_norm("sample", 8), SampleNorm)
    instance = make_norm("instance", 8)
    assert isinstance(instance, nn.InstanceNorm2d) and not instance.affine
    assert isinstance(make_norm("batch", 8), nn.BatchNorm2d)
    assert isinstance(make_norm("none", 8), nn.Identity)
    with pytest.raises(ValueError, match="norm must be one of"):
        make_norm("layer", 8)


def test_down_block_halves_and_up_block_doubles():
    x = torch.randn(2, 4, 10, 6)
    assert DownBlock(4, 5, "sample")(x).shape == (2, 5, 5, 3)
    assert DownBlock(4, 5, "none")(x).shape == (2, 5, 5, 3)
    assert UpBlock(4, 5, "instance", dropout=0.5)(x).shape == (2, 5, 20, 12)


def test_up_block_crop_equals_a_padded_transposed_convolution():
    # Cropping 1 px from the unpadded output is what padding=1 does in a transposed conv.
    torch.manual_seed(1)
    block = UpBlock(4, 3, "none").eval()
    x = torch.randn(2, 4, 5, 3)
    expected = F.conv_transpose2d(F.relu(x), block.conv.weight, stride=2, padding=1)
    torch.testing.assert_close(block(x), expected)


def test_down_block_is_pre_activation_conv_then_norm():
    torch.manual_seed(2)
    block = DownBlock(3, 4, "sample")
    x = torch.randn(2, 3, 8, 8)
    conv = F.conv2d(F.leaky_relu(x, 0.2), block.conv.weight, stride=2, padding=1)
    flat = conv.reshape(2, -1)
    expected = (conv - flat.mean(1).view(2, 1, 1, 1)) / torch.sqrt(
        flat.var(1, unbiased=False).view(2, 1, 1, 1) + 1e-3
    )
    torch.testing.assert_close(block(x), expected, rtol=1e-5, atol=1e-5)
    assert block.conv.bias is None


def test_init_weights_std_and_constants():
    torch.manual_seed(3)
    net = nn.Sequential(
        nn.Conv2d(64, 128, 4), nn.ConvTranspose2d(128, 64, 4), SampleNorm(), nn.BatchNorm2d(4)
    )
    with torch.no_grad():
        for p in net.parameters():
            p.fill_(5.0)
    init_weights(net)
    for conv in (net[0], net[1]):
        assert abs(float(conv.weight.detach().std()) - 0.02) < 0.0005
        assert abs(float(conv.weight.detach().mean())) < 0.0005
        assert torch.count_nonzero(conv.bias) == 0
    for norm in (net[2], net[3]):
        assert torch.all(norm.weight == 1) and torch.all(norm.bias == 0)


# --------------------------------------------------------------------------------------------
# Semantic generator


@pytest.fixture(scope="module")
def default_generator() -> SemanticGenerator:
    return SemanticGenerator.from_config(SemanticNetConfig()).eval()


def test_default_layer_widths_follow_the_documented_table(default_generator):
    encoder = default_generator.source_encoder
    assert encoder.stem.in_channels == 10 + 18 + 1
    assert default_generator.target_encoder.stem.in_channels == 18 + 1
    widths = [encoder.stem.out_channels] + [d.conv.out_channels for d in encoder.downs]
    assert widths == [64, 128, 256, 512, 512, 512]
    # Only the deepest down block lacks a normalisation.
    assert [type(d.norm).__name__ for d in encoder.downs] == ["SampleNorm"] * 4 + ["Identity"]
    ups = [(u.conv.in_channels, u.conv.out_channels) for u in default_generator.ups]
    assert ups == [(1024, 512), (1536, 512), (1536, 512), (1024, 256), (512, 128)]
    dropouts = [getattr(u.dropout, "p", 0.0) for u in default_generator.ups]
    assert dropouts == [0.5, 0.5, 0.5, 0.0, 0.0]
    head = default_generator.head[1]
    assert (head.in_channels, head.out_channels, head.kernel_size) == (256, 10, (3, 3))


@pytest.mark.parametrize("size", [(128, 64), (128, 128)])
def test_default_generator_output_shape(default_generator, size):
    with torch.no_grad():
        logits = default_generator(**_inputs(1, size))
    assert logits.shape == (1, 10, *size)
    assert torch.isfinite(logits).all()


@pytest.mark.parametrize(
    "changes",
    [
        {},
        {"size": (32, 32)},
        {"use_pose_mask": False},
        {"norm": "instance"},
        {"norm": "batch", "dropout_layers": 1},
        {"max_channels": 16, "depth": 4},
    ],
)
def test_tiny_generator_shapes(changes):
    cfg = dataclasses.replace(TINY, **changes)
    net = SemanticGenerator.from_config(cfg)
    inputs = _inputs(2, cfg.size)
    if not cfg.use_pose_mask:
        inputs["source_mask"] = inputs["target_mask"] = None
    assert net(**inputs).shape == (2, 10, *cfg.size)


def test_masks_may_drop_their_channel_axis():
    torch.manual_seed(4)
    net = SemanticGenerator.from_config(TINY).eval()
    inputs = _inputs(2, TINY.size)
    squeezed = dict(
        inputs, source_mask=inputs["source_mask"][:, 0], target_mask=inputs["target_mask"][:, 0]
    )
    with torch.no_grad():
        torch.testing.assert_close(net(**inputs), net(**squeezed))


def test_gradients_reach_both_encoders_and_a_soft_source():
    torch.manual_seed(5)
    net = SemanticGenerator.from_config(TINY)
    inputs = _inputs(2, TINY.size)
    soft = torch.softmax(torch.randn(2, 10, *TINY.size), dim=1).requires_grad_(True)
    inputs["source_parsing"] = soft
    logits = net(**inputs)
    target = torch.randint(0, 10, (2, *TINY.size))
    pose_weighted_cross_entropy(logits, target, inputs["target_mask"]).backward()
    for encoder in (net.source_encoder, net.target_encoder):
        assert encoder.stem.weight.grad is not None
        assert float(encoder.stem.weight.grad.abs().sum()) > 0
    # The joint training back-propagates through the predicted (soft) source map.
    assert float(soft.grad.abs().sum()) > 0


def test_every_parameter_of_both_encoders_gets_a_gradient():
    torch.manual_seed(8)
    net = SemanticGenerator.from_config(TINY)
    inputs = _inputs(2, TINY.size)
    target = torch.randint(0, 10, (2, *TINY.size))
    pose_weighted_cross_entropy(net(**inputs), target, inputs["target_mask"]).backward()
    for name, parameter in net.named_parameters():
        assert parameter.grad is not None and float(parameter.grad.abs().sum()) > 0, name


def test_forward_matches_the_documented_wiring_written_out_by_hand():
    # depth 3: E_S / E_P levels 0..3; up blocks read [E_S3|E_P3], [up|E_S2|E_P2], [up|E_S1|E_P1];
    # the head reads [up|E_S0|E_P0]. Values and gradients must match the module's loop.
    torch.manual_seed(9)
    net = SemanticGenerator.from_config(TINY).eval()
    inputs = _inputs(2, TINY.size)
    src = torch.cat([inputs["source_parsing"], inputs["source_heatmaps"], inputs["source_mask"]], 1)
    tgt = torch.cat([inputs["target_heatmaps"], inputs["target_mask"]], 1)

    def by_hand() -> torch.Tensor:
        s, p = [net.source_encoder.stem(src)], [net.target_encoder.stem(tgt)]
        for down_s, down_p in zip(net.source_encoder.downs, net.target_encoder.downs, strict=True):
            s.append(down_s(s[-1]))
            p.append(down_p(p[-1]))
        x = net.ups[0](torch.cat([s[3], p[3]], 1))
        x = net.ups[1](torch.cat([x, s[2], p[2]], 1))
        x = net.ups[2](torch.cat([x, s[1], p[1]], 1))
        return net.head(torch.cat([x, s[0], p[0]], 1))

    def loss_and_grads(logits: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        net.zero_grad()
        (logits * torch.linspace(-1, 1, logits.numel()).view_as(logits)).sum().backward()
        return logits.detach(), [p.grad.clone() for p in net.parameters()]

    module_out, module_grads = loss_and_grads(net(**inputs))
    hand_out, hand_grads = loss_and_grads(by_hand())
    torch.testing.assert_close(module_out, hand_out)
    for mine, theirs in zip(module_grads, hand_grads, strict=True):
        torch.testing.assert_close(mine, theirs)


def test_target_pose_changes_the_output():
    torch.manual_seed(6)
    net = SemanticGenerator.from_config(TINY).eval()
    inputs = _inputs(1, TINY.size, seed=1)
    other = dict(inputs, target_heatmaps=torch.rand(1, 18, *TINY.size))
    with torch.no_grad():
        first, again, moved = net(**inputs), net(**inputs), net(**other)
    torch.testing.assert_close(first, again)  # eval mode is deterministic (no dropout)
    assert float((first - moved).abs().max()) > 1e-3


def test_predict_is_the_softmax_of_forward():
    torch.manual_seed(7)
    net = SemanticGenerator.from_config(TINY).eval()
    inputs = _inputs(2, TINY.size)
    with torch.no_grad():
        logits = net(**inputs)
        probabilities = net.predict(**inputs)
    by_hand = logits.exp() / logits.exp().sum(dim=1, keepdim=True)
    torch.testing.assert_close(probabilities, by_hand)
    torch.testing.assert_close(probabilities.sum(dim=1), torch.ones(2, *TINY.size))


@pytest.mark.parametrize(
    ("key", "value", "pattern"),
    [
        (
            "source_parsing",
            torch.zeros(1, 9, 32, 16),
            r"source_parsing: expected 10 channels, got 9",
        ),
        ("source_heatmaps", torch.zeros(1, 17, 32, 16), r"source_heatmaps: expected 18 .*got 17"),
        ("target_heatmaps", torch.zeros(1, 18, 32, 8), r"target_heatmaps: .*32x16.*got .*32x8"),
        ("target_mask", torch.zeros(1, 2, 32, 16), r"target_mask: expected 1 channels, got 2"),
        ("source_mask", None, r"source_mask is required"),
        (
            "source_heatmaps",
            torch.zeros(18, 32, 16),
            r"source_heatmaps: expected a \(B, 18, H, W\)",
        ),
    ],
)
def test_wrong_inputs_give_clear_errors(key, value, pattern):
    net = SemanticGenerator.from_config(TINY)
    inputs = _inputs(1, TINY.size)
    inputs[key] = value
    with pytest.raises(ValueError, match=pattern):
        net(**inputs)


def test_size_not_divisible_by_two_to_the_depth_is_refused():
    net = SemanticGenerator.from_config(TINY)
    with pytest.raises(ValueError, match=r"36x16 must be divisible by 2\*\*depth = 8"):
        net(**_inputs(1, (36, 16)))


def test_tiny_generator_overfits_four_examples():
    # Dropout is off: at depth 3 every up block would carry it, and the check is capacity and
    # gradient flow, not regularisation.
    torch.manual_seed(0)
    net = SemanticGenerator.from_config(dataclasses.replace(TINY, dropout=0.0))
    inputs = _inputs(4, TINY.size, seed=3)
    coarse = torch.randint(0, 10, (4, 16, 8))
    target = coarse.repeat_interleave(2, dim=1).repeat_interleave(2, dim=2)
    optimizer = torch.optim.Adam(net.parameters(), lr=2e-3)
    first = None
    for _ in range(150):
        loss = pose_weighted_cross_entropy(net(**inputs), target, inputs["target_mask"])
        first = float(loss.detach()) if first is None else first
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    net.eval()
    with torch.no_grad():
        final = float(pose_weighted_cross_entropy(net(**inputs), target, inputs["target_mask"]))
    assert first > 2.0  # about 1.5 * ln(10) at the start
    assert final < 0.1


# --------------------------------------------------------------------------------------------
# Discriminators


def _pix2pix_side(side: int, n_layers: int) -> int:
    """Apply out = floor((n + 2 * pad - kernel) / stride) + 1 per layer (kernel 4, pad 1)."""
    for stride in [2] * n_layers + [1, 1]:
        side = (side + 2 - 4) // stride + 1
    return side


def test_patch_discriminator_patch_count_matches_the_pix2pix_formula():
    net = PatchDiscriminator(28, base_channels=8, n_layers=3)
    assert _pix2pix_side(128, 3) == 14 and _pix2pix_side(64, 3) == 6
    assert net(torch.randn(2, 28, 128, 64)).shape == (2, 1, 14, 6)
    assert net.output_size(128, 64) == (14, 6)
    # The well-known 70x70 PatchGAN figure: a 256x256 input gives 30x30 scores.
    assert PatchDiscriminator(3, base_channels=4).output_size(256, 256) == (30, 30)


def test_patch_discriminator_default_layers():
    net = PatchDiscriminator(28)
    convs = [m for m in net.modules() if isinstance(m, nn.Conv2d)]
    assert [(c.in_channels, c.out_channels, c.stride[0]) for c in convs] == [
        (28, 64, 2),
        (64, 128, 2),
        (128, 256, 2),
        (256, 512, 1),
        (512, 1, 1),
    ]
    assert all(c.bias is not None for c in convs)
    norms = [m for m in net.modules() if isinstance(m, nn.InstanceNorm2d)]
    assert len(norms) == 3 and not any(n.affine for n in norms)


def test_small_inputs_are_padded_to_a_one_pixel_score_map():
    net = PatchDiscriminator(28, base_channels=8, n_layers=3)
    # Without padding a 16-px side would vanish: 16 -> 8 -> 4 -> 2 -> 1 -> 0.
    assert _pix2pix_side(16, 3) == 0
    assert net.min_input_size == 24 and _pix2pix_side(24, 3) == 1
    scores = net(torch.randn(1, 28, 32, 16))
    assert scores.shape == (1, 1, _pix2pix_side(32, 3), 1) == (1, 1, 2, 1)
    strict = PatchDiscriminator(28, base_channels=8, n_layers=3, small_input_padding="error")
    with pytest.raises(ValueError, match="smaller than the minimum 24x24"):
        strict(torch.randn(1, 28, 32, 16))


def test_parsing_discriminator_from_config_and_checks():
    net = ParsingDiscriminator.from_config(dataclasses.replace(TINY, disc_layers=2))
    assert net.patch.model[0].out_channels == 8
    parsing = torch.softmax(torch.randn(2, 10, 32, 16), dim=1)
    heatmaps = torch.rand(2, 18, 32, 16)
    assert net(parsing, heatmaps).shape == (2, 1, _pix2pix_side(32, 2), _pix2pix_side(16, 2))
    with pytest.raises(ValueError, match=r"target_heatmaps: expected \(B, 18, H, W\)"):
        net(parsing, heatmaps[:, :17])
    with pytest.raises(ValueError, match="as parsing"):
        net(parsing, heatmaps[:1])
