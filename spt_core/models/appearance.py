"""The appearance generator G_A (method §4.2): E_A, E'_S, deformable skips, global + local.

Global generator (``AppearanceGenerator``): Def-GAN's 128-px two-stream U-Net with SPT's parsing
inputs. E_A reads [source image | source parsing | source heat maps] (3 + 9 + 18 = 30 ch), E'_S
reads [target heat maps | target parsing] (18 + 9 = 27 ch, the authors' order); both have the
same structure (Conv3×3 with bias, then ``DownBlock``s doubling up to ``max_channels``, the
deepest without normalisation). On the ``deformable_levels`` finest levels the appearance
feature is moved into the target pose part by part (``deformable_skip``) before it is
concatenated with the target feature; coarser levels are concatenated unwarped. The decoder
is the semantic generator's: ``UpBlock``s from the deepest level, dropout on the deepest
``dropout_layers``, then ReLU → Conv3×3 → 3 → tanh (optionally after a nearest ×2 upsample:
the released 256-px model's 128-px core outputs at 256).

The local enhancer (pix2pixHD-style, 256 px) is in :mod:`spt_core.models.local_enhancer`; the
inputs both are called with are built in :mod:`spt_core.models.inputs`. See
docs/appearance_network.md for the layer tables.

Any input size works: sizes not divisible by ``2**depth`` are zero-padded symmetrically inside
the network (the part transforms are re-expressed in the padded frame) and cropped back.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch
import torch.nn.functional as F
from torch import nn

from spt_core import parts as parts_mod
from spt_core.config.base import arguments
from spt_core.models.blocks import NORM_KINDS, DownBlock, UpBlock, check_map, init_weights
from spt_core.models.semantic import level_widths

if TYPE_CHECKING:
    from spt_core.config import AppearanceNetConfig


#: The ``AppearanceNetConfig`` fields that are the global generator's arguments (the local
#: enhancer takes them too).
GENERATOR_FIELDS = ("image_channels", "parsing_channels", "pose_channels", "base_channels",
                    "max_channels", "depth", "deformable_levels", "dropout", "dropout_layers",
                    "test_time_dropout", "norm", "torso_mask", "identity_part", "label_gate",
                    "upsample", "colour_hint")  # fmt: skip


# --------------------------------------------------------------------------------------------
# Part warps


def deformable_skip(
    feature: torch.Tensor, thetas: torch.Tensor, part_masks: torch.Tensor
) -> torch.Tensor:
    """Def-GAN's "mask" deformable skip: warp a feature by every part, mask, take the maximum.

    The feature is replicated once per part, each copy warped with its part's inverse transform
    (normalised thetas are resolution independent, so the same thetas serve every level), then
    multiplied by that part's target mask resized bilinearly to the feature's size, and the
    maximum over parts is kept. A part that is absent at a pixel contributes 0 to the maximum,
    as in Def-GAN, so negative feature values survive only where every part covers the pixel.

    Args:
        feature: (B, C, h, w) source-frame feature map.
        thetas: (B, P, 2, 3) normalised inverse warps (target -> source).
        part_masks: (B, P, H, W) target-frame masks at any resolution.

    Returns:
        (B, C, h, w) feature in the target frame.
    """
    size = (feature.shape[-2], feature.shape[-1])
    masks = parts_mod.resize_masks(part_masks, size).to(feature.dtype)
    return parts_mod.combine_parts(parts_mod.warp_parts(feature, thetas), masks)


def _pad_split(size: int, factor: int) -> tuple[int, int]:
    """(before, after) zero padding that makes ``size`` a multiple of ``factor``."""
    total = -size % factor
    return total // 2, total - total // 2


def pad_thetas(
    thetas: torch.Tensor, size: tuple[int, int], pads: tuple[int, int, int, int]
) -> torch.Tensor:
    """Re-express normalised thetas of an (H, W) frame in that frame zero-padded by ``pads``.

    With ``align_corners=False`` a normalised coordinate u of the original frame becomes
    ``u * W / W' + (left - right) / W'`` in the padded frame of width W' (likewise for y), an
    affine map P; the padded transform is P theta P^-1.

    Args:
        thetas: (..., 2, 3) normalised transforms of the original frame.
        size: (H, W) of the original frame.
        pads: (left, right, top, bottom) padding in pixels (``F.pad`` order).
    """
    height, width = size
    left, right, top, bottom = pads
    padded_w, padded_h = width + left + right, height + top + bottom
    scale = thetas.new_tensor([width / padded_w, height / padded_h])
    shift = thetas.new_tensor([(left - right) / padded_w, (top - bottom) / padded_h])
    linear, translation = thetas[..., :2], thetas[..., 2]
    # P theta P^-1 with P(u) = s*u + c: linear s A s^-1, translation s*(t - A s^-1 c) + c.
    new_linear = scale[:, None] * linear / scale[None, :]
    inv_shift = shift / scale
    new_translation = scale * (translation - (linear @ inv_shift[:, None])[..., 0]) + shift
    return torch.cat([new_linear, new_translation[..., None]], dim=-1)


# --------------------------------------------------------------------------------------------
# Encoder


class AppearanceEncoder(nn.Module):
    """One encoder stream (E_A or E'_S): a list of features, full resolution first.

    Conv3×3 stride 1 (bias) to ``widths[0]``, then ``DownBlock``s; the deepest has no
    normalisation (Def-GAN). The level-0 output can be faded with a feature from a higher
    resolution branch: ``(1 - alpha) * conv(x) + alpha * fade_in`` (the local enhancer's
    progressive growing, method §4.2).

    Args:
        in_channels: input channels.
        widths: output widths of levels 0..depth (``level_widths``).
        norm: ``make_norm`` kind of every down block except the deepest.
    """

    def __init__(self, in_channels: int, widths: list[int], norm: str) -> None:
        super().__init__()
        self.in_channels = in_channels
        self.stem = nn.Conv2d(in_channels, widths[0], kernel_size=3, padding=1, bias=True)
        depth = len(widths) - 1
        self.downs = nn.ModuleList(
            DownBlock(widths[i], widths[i + 1], norm if i + 1 < depth else "none")
            for i in range(depth)
        )

    def forward(
        self, x: torch.Tensor, fade_in: torch.Tensor | None = None, alpha: float = 0.0
    ) -> list[torch.Tensor]:
        """(B, in_channels, H, W) → [level 0 (H, W), level 1 (H/2, W/2), ..., level depth]."""
        first = self.stem(x)
        if fade_in is not None:
            first = (1.0 - alpha) * first + alpha * fade_in
        features = [first]
        for down in self.downs:
            features.append(down(features[-1]))
        return features


# --------------------------------------------------------------------------------------------
# Global generator


class AppearanceGenerator(nn.Module):
    """G_A = (E_A, E'_S, decoder): renders the source person in the target pose and parsing.

    Args:
        image_channels: image channels (3).
        parsing_channels: parsing channels, labels 1..9 (background dropped, method §1.6).
        pose_channels: heat-map channels per pose (18).
        base_channels: width of the full-resolution encoder level (64).
        max_channels: cap on every width (512).
        depth: stride-2 levels per encoder (5: 128x64 -> 4x2).
        deformable_levels: how many of the finest levels get deformable skips (4); 0 turns
            the warps off (thetas and masks are then not needed).
        dropout: Dropout2d probability of the ``dropout_layers`` deepest up blocks.
        dropout_layers: how many of the deepest up blocks use dropout (3).
        test_time_dropout: keep dropout active in ``eval()`` mode too. The authors never call
            ``eval()``, so their released model is stochastic at test time; default off.
        norm: "sample" (Def-GAN), "instance", "batch" or "none".
        output_upsample: nearest-neighbour ×2 before the last convolution, so the output is
            twice the input size (the released DeepFashion model's 128-px core at 256 px).
        torso_mask, identity_part, label_gate: which part warps the generator reads
            (``AppearanceNetConfig``); they change the inputs :class:`AppearanceInputs` builds
            for it, not its layers.
        colour_hint: E'_S also reads the label fill (3 more channels after the target parsing,
            ``models.label_fill``; decision 0007): ``forward``'s ``colour_hint`` argument.
    """

    def __init__(
        self,
        image_channels: int = 3,
        parsing_channels: int = 9,
        pose_channels: int = 18,
        base_channels: int = 64,
        max_channels: int = 512,
        depth: int = 5,
        deformable_levels: int = 4,
        dropout: float = 0.5,
        dropout_layers: int = 3,
        test_time_dropout: bool = False,
        norm: str = "sample",
        output_upsample: bool = False,
        torso_mask: str = "full",
        identity_part: bool = False,
        label_gate: bool = False,
        upsample: str = "transpose",
        colour_hint: bool = False,
    ) -> None:
        super().__init__()
        if norm not in NORM_KINDS:
            raise ValueError(f"norm must be one of {NORM_KINDS}, got {norm!r}")
        if depth < 1 or base_channels < 1 or max_channels < base_channels:
            raise ValueError(
                f"need depth >= 1 and 1 <= base_channels <= max_channels, got depth={depth}, "
                f"base_channels={base_channels}, max_channels={max_channels}"
            )
        if not 0 <= deformable_levels <= depth + 1:
            raise ValueError(
                f"deformable_levels must be in [0, depth + 1 = {depth + 1}], "
                f"got {deformable_levels}"
            )
        self.image_channels = image_channels
        self.parsing_channels = parsing_channels
        self.pose_channels = pose_channels
        self.depth = depth
        self.deformable_levels = deformable_levels
        self.test_time_dropout = test_time_dropout
        self.output_upsample = output_upsample
        self.torso_mask = torso_mask
        self.identity_part = identity_part
        self.label_gate = label_gate
        self.colour_hint = colour_hint
        self.source_channels = image_channels + parsing_channels + pose_channels
        self.target_channels = pose_channels + parsing_channels
        if colour_hint:
            self.target_channels += image_channels

        self.widths = level_widths(base_channels, max_channels, depth)
        self.appearance_encoder = AppearanceEncoder(self.source_channels, self.widths, norm)
        self.target_encoder = AppearanceEncoder(self.target_channels, self.widths, norm)

        # ups[k] lands on level depth-1-k; every skip is [appearance half | target half].
        self.decoder_widths = [min(max_channels, 2 * w) for w in self.widths[:-1]]
        self.ups = nn.ModuleList()
        previous = 0
        for k, level in enumerate(range(depth - 1, -1, -1)):
            in_ch = 2 * self.widths[level + 1] + previous
            p = dropout if k < dropout_layers else 0.0
            self.ups.append(UpBlock(in_ch, self.decoder_widths[level], norm, p, upsample))
            previous = self.decoder_widths[level]
        self.head = nn.Sequential(
            nn.ReLU(),
            nn.Conv2d(previous + 2 * self.widths[0], image_channels, 3, padding=1, bias=True),
            nn.Tanh(),
        )
        init_weights(self)

    @classmethod
    def from_config(
        cls, cfg: AppearanceNetConfig, output_upsample: bool | None = None
    ) -> AppearanceGenerator:
        """Build the global generator from an ``AppearanceNetConfig``.

        Args:
            cfg: the config.
            output_upsample: override ``cfg.output_upsample`` (the local enhancer forces it).
        """
        upsample = cfg.output_upsample if output_upsample is None else output_upsample
        return cls(**arguments(cfg, *GENERATOR_FIELDS), output_upsample=upsample)

    def train(self, mode: bool = True) -> AppearanceGenerator:
        """Set train/eval mode; with ``test_time_dropout`` the dropout layers stay active."""
        super().train(mode)
        if self.test_time_dropout:
            for module in self.modules():
                if isinstance(module, nn.Dropout2d):
                    module.train(True)
        return self

    def forward(
        self,
        source_image: torch.Tensor,
        source_parsing: torch.Tensor,
        source_heatmaps: torch.Tensor,
        target_parsing: torch.Tensor,
        target_heatmaps: torch.Tensor,
        thetas: torch.Tensor | None = None,
        part_masks: torch.Tensor | None = None,
        colour_hint: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """The source person rendered in the target pose and parsing.

        Args:
            source_image: (B, 3, H, W) in [-1, 1].
            source_parsing: (B, 9, H, W) labels 1..9, one-hot or soft.
            source_heatmaps: (B, 18, H, W) source pose heat maps.
            target_parsing: (B, 9, H, W) target parsing, one-hot or soft (H_S's softmax).
            target_heatmaps: (B, 18, H, W) target pose heat maps.
            thetas: (B, P, 2, 3) normalised part transforms target -> source
                (``part_warp_inputs``); needed when ``deformable_levels > 0``.
            part_masks: (B, P, H, W) target-frame part masks.
            colour_hint: (B, 3, H, W) the label fill (``models.label_fill.label_fill``);
                needed with ``colour_hint``.

        Returns:
            (B, 3, H, W) image in [-1, 1], or (B, 3, 2H, 2W) with ``output_upsample``.

        Raises:
            ValueError: a wrong channel count, batch or size (the message names the input).
        """
        source_in, target_in = self._inputs(
            source_image,
            source_parsing,
            source_heatmaps,
            target_parsing,
            target_heatmaps,
            colour_hint,
        )
        self._check_warp(thetas, part_masks, source_image)
        return self.run(source_in, target_in, thetas, part_masks)[0]

    def encode(
        self,
        source_image: torch.Tensor,
        source_parsing: torch.Tensor,
        source_heatmaps: torch.Tensor,
        target_parsing: torch.Tensor,
        target_heatmaps: torch.Tensor,
        thetas: torch.Tensor | None = None,
        part_masks: torch.Tensor | None = None,
        colour_hint: torch.Tensor | None = None,
    ) -> list[torch.Tensor]:
        """The skip tensors the decoder reads, finest level first (same arguments as forward).

        Level l is ``[appearance (widths[l]) | target (widths[l])]``; the appearance half is
        deformably warped on the ``deformable_levels`` finest levels. Sizes divisible by
        ``2**depth`` are required here (no internal padding), so the levels line up with the
        input.
        """
        source_in, target_in = self._inputs(
            source_image,
            source_parsing,
            source_heatmaps,
            target_parsing,
            target_heatmaps,
            colour_hint,
        )
        self._check_warp(thetas, part_masks, source_image)
        height, width = source_image.shape[-2:]
        if height % 2**self.depth or width % 2**self.depth:
            raise ValueError(
                f"source_image: encode needs a size divisible by 2**depth = {2**self.depth}, "
                f"got {height}x{width}"
            )
        return self._skips(source_in, target_in, thetas, part_masks, None, 0.0)

    def run(
        self,
        source_in: torch.Tensor,
        target_in: torch.Tensor,
        thetas: torch.Tensor | None,
        part_masks: torch.Tensor | None,
        fade_in: tuple[torch.Tensor, torch.Tensor] | None = None,
        alpha: float = 0.0,
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Unchecked forward on concatenated inputs; pads to a multiple of ``2**depth``.

        Args:
            source_in: (B, source_channels, H, W) = [image | parsing | heat maps].
            target_in: (B, target_channels, H, W) = [heat maps | parsing].
            thetas, part_masks: as in ``forward`` (masks at any resolution).
            fade_in: (appearance, target) level-0 features of a higher-resolution branch,
                (B, widths[0], H, W) each, blended into the encoders' first layer by ``alpha``.
            alpha: fade-in weight.

        Returns:
            (image, feat, skip0): the output image; the last up block's output (B,
            decoder_widths[0], H, W), the local enhancer's "global feat"; and the level-0
            skip (B, 2 * widths[0], H, W).
        """
        height, width = source_in.shape[-2:]
        factor = 2**self.depth
        (top, bottom), (left, right) = _pad_split(height, factor), _pad_split(width, factor)
        padded = bool(top or bottom or left or right)
        if padded:
            pads = (left, right, top, bottom)
            source_in, target_in = F.pad(source_in, pads), F.pad(target_in, pads)
            if fade_in is not None:
                fade_in = (F.pad(fade_in[0], pads), F.pad(fade_in[1], pads))
            if self.deformable_levels:
                part_masks = F.pad(parts_mod.resize_masks(part_masks, (height, width)), pads)
                thetas = pad_thetas(thetas, (height, width), pads)
        skips = self._skips(source_in, target_in, thetas, part_masks, fade_in, alpha)
        x = None
        for up, level in zip(self.ups, range(self.depth, 0, -1), strict=True):
            x = up(skips[level] if x is None else torch.cat([x, skips[level]], dim=1))
        feat, skip0 = x, skips[0]
        out = torch.cat([feat, skip0], dim=1)
        if self.output_upsample:
            out = F.interpolate(out, scale_factor=2, mode="nearest")
        out = self.head(out)
        if padded:
            k = 2 if self.output_upsample else 1
            out = out[..., k * top : k * (top + height), k * left : k * (left + width)]
            feat = feat[..., top : top + height, left : left + width]
            skip0 = skip0[..., top : top + height, left : left + width]
        return out, feat, skip0

    def _skips(self, source_in, target_in, thetas, part_masks, fade_in, alpha):
        appearance = self.appearance_encoder(
            source_in, None if fade_in is None else fade_in[0], alpha
        )
        target = self.target_encoder(target_in, None if fade_in is None else fade_in[1], alpha)
        skips = []
        for level, (app, tgt) in enumerate(zip(appearance, target, strict=True)):
            if level < self.deformable_levels:
                app = deformable_skip(app, thetas, part_masks)
            skips.append(torch.cat([app, tgt], dim=1))
        return skips

    def _inputs(
        self,
        source_image,
        source_parsing,
        source_heatmaps,
        target_parsing,
        target_heatmaps,
        colour_hint=None,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Check the maps against ``source_image`` and build the two encoder inputs."""
        if self.colour_hint and colour_hint is None:
            raise ValueError(
                "colour_hint is required: the generator reads the label fill "
                "(colour_hint); build the inputs with AppearanceInputs.build"
            )
        check_map("source_image", source_image, self.image_channels, None)
        reference = (source_image.shape[0], *source_image.shape[2:])
        for name, x, channels in (
            ("source_parsing", source_parsing, self.parsing_channels),
            ("source_heatmaps", source_heatmaps, self.pose_channels),
            ("target_parsing", target_parsing, self.parsing_channels),
            ("target_heatmaps", target_heatmaps, self.pose_channels),
        ):
            check_map(name, x, channels, reference, "source_image")
        dtype = source_image.dtype
        source_in = torch.cat(
            [source_image, source_parsing.to(dtype), source_heatmaps.to(dtype)], dim=1
        )
        target = [target_heatmaps.to(dtype), target_parsing.to(dtype)]
        if self.colour_hint:
            check_map("colour_hint", colour_hint, self.image_channels, reference, "source_image")
            target.append(colour_hint.to(dtype))
        return source_in, torch.cat(target, dim=1)

    def _check_warp(self, thetas, part_masks, source_image) -> None:
        if not self.deformable_levels:
            return
        check_warp_inputs(thetas, part_masks, source_image)


def check_warp_inputs(
    thetas: torch.Tensor | None, part_masks: torch.Tensor | None, source_image: torch.Tensor
) -> None:
    """Raise ValueError unless thetas (B, P, 2, 3) and part_masks (B, P, H, W) fit the image."""
    if thetas is None or part_masks is None:
        missing = "thetas" if thetas is None else "part_masks"
        raise ValueError(
            f"{missing} is required: the generator has deformable skips (deformable_levels > 0);"
            " build them with part_warp_inputs()"
        )
    batch, _, height, width = source_image.shape
    if thetas.dim() != 4 or thetas.shape[0] != batch or tuple(thetas.shape[2:]) != (2, 3):
        raise ValueError(f"thetas: expected ({batch}, P, 2, 3), got {tuple(thetas.shape)}")
    expected = (batch, thetas.shape[1], height, width)
    if tuple(part_masks.shape) != expected:
        raise ValueError(f"part_masks: expected {expected}, got {tuple(part_masks.shape)}")


# --------------------------------------------------------------------------------------------
# Local enhancer
