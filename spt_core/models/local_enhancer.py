"""The local enhancer of the 256-px appearance generator (method §4.2, §5.1).

pix2pixHD-style, with the progressive fade-in of the released DeepFashion model: a global
:class:`~spt_core.models.appearance.AppearanceGenerator` at half resolution, two full-size local
encoders, and a local decoder whose output fades in over the global one with ``alpha``. See
docs/appearance_network.md for the layer tables.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING

import torch
import torch.nn.functional as F
from torch import nn

from spt_core import parts as parts_mod
from spt_core.config.base import arguments
from spt_core.models.appearance import GENERATOR_FIELDS, AppearanceGenerator, deformable_skip
from spt_core.models.blocks import DownBlock, UpBlock, init_weights

if TYPE_CHECKING:
    from spt_core.config import AppearanceNetConfig

#: Keys of the optional half-resolution inputs of ``LocalEnhancedGenerator.forward``.
LOW_RES_KEYS: tuple[str, ...] = (
    "source_image",
    "source_parsing",
    "source_heatmaps",
    "target_parsing",
    "target_heatmaps",
    "part_masks",
)


class LocalEnhancedGenerator(nn.Module):
    """G_A at twice the global resolution: global generator + local enhancer with fade-in.

    The global generator (``output_upsample=True``) runs on half-resolution copies of the
    inputs. Two local encoders (Conv3×3 → ``local_channels`` at full size, ``DownBlock`` →
    ``base_channels`` at half size, normalised) read the full-size inputs. Their full-size
    features are deformably warped and concatenated; their half-size features fade into the
    global encoders' first layer. The local decoder reads [global feat | global level-0 skip]
    (which replaces the local half-size skip), goes up to full size with an ``UpBlock``,
    concatenates the full-size skip, and ends ReLU → Conv3×3 → 3 → tanh. The output is
    ``alpha * local + (1 - alpha) * global``.

    Args:
        local_channels: width of the local encoders' full-size level (default
            ``base_channels // 2``, the authors' 32).
        alpha: default fade-in weight (1 = fully local, the test-time value; a trainer
            ramps it from 0). ``forward(alpha=...)`` overrides it.
        Other arguments: as ``AppearanceGenerator``.
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
        local_channels: int | None = None,
        alpha: float = 1.0,
        torso_mask: str = "full",
        identity_part: bool = False,
        label_gate: bool = False,
        upsample: str = "transpose",
    ) -> None:
        super().__init__()
        self.global_generator = AppearanceGenerator(
            image_channels=image_channels,
            parsing_channels=parsing_channels,
            pose_channels=pose_channels,
            base_channels=base_channels,
            max_channels=max_channels,
            depth=depth,
            deformable_levels=deformable_levels,
            dropout=dropout,
            dropout_layers=dropout_layers,
            test_time_dropout=test_time_dropout,
            norm=norm,
            output_upsample=True,
            torso_mask=torso_mask,
            identity_part=identity_part,
            label_gate=label_gate,
            upsample=upsample,
        )
        glob = self.global_generator
        self.torso_mask, self.identity_part = torso_mask, identity_part
        self.label_gate = label_gate
        self.parsing_channels = parsing_channels
        local_channels = base_channels // 2 if local_channels is None else local_channels
        if local_channels < 1:
            raise ValueError(f"local_channels must be at least 1, got {local_channels}")
        self.alpha = _check_alpha(alpha)
        self.local_warp = deformable_levels > 0
        # The half-size level is "not the deepest", so it keeps its normalisation (method §4.2).
        local_widths = [local_channels, base_channels]
        self.local_appearance_encoder = _LocalEncoder(glob.source_channels, local_widths, norm)
        self.local_target_encoder = _LocalEncoder(glob.target_channels, local_widths, norm)
        up_in = glob.decoder_widths[0] + 2 * glob.widths[0]
        up_out = max(1, glob.decoder_widths[0] // 2)
        self.local_up = UpBlock(up_in, up_out, norm, 0.0, upsample)
        self.local_head = nn.Sequential(
            nn.ReLU(),
            nn.Conv2d(up_out + 2 * local_channels, image_channels, 3, padding=1, bias=True),
            nn.Tanh(),
        )
        init_weights(self)

    @classmethod
    def from_config(cls, cfg: AppearanceNetConfig) -> LocalEnhancedGenerator:
        """Build from an ``AppearanceNetConfig`` (``local_channels``, ``fade_in_alpha``...)."""
        # colour_hint is refused with the local enhancer by the config: it reads no label fill.
        fields = (*(f for f in GENERATOR_FIELDS if f != "colour_hint"), "local_channels")
        return cls(**arguments(cfg, *fields, alpha="fade_in_alpha"))

    def local_parameters(self) -> Iterator[nn.Parameter]:
        """Parameters outside the global generator (trained alone first, method §5.1)."""
        for name, parameter in self.named_parameters():
            if not name.startswith("global_generator."):
                yield parameter

    def forward(
        self,
        source_image: torch.Tensor,
        source_parsing: torch.Tensor,
        source_heatmaps: torch.Tensor,
        target_parsing: torch.Tensor,
        target_heatmaps: torch.Tensor,
        thetas: torch.Tensor | None = None,
        part_masks: torch.Tensor | None = None,
        alpha: float | None = None,
        low_res: Mapping[str, torch.Tensor] | None = None,
    ) -> torch.Tensor:
        """Full-size output: the same inputs as ``AppearanceGenerator.forward`` at full size.

        Args:
            alpha: fade-in weight in [0, 1]; None uses ``self.alpha``. 0 gives exactly the
                global generator's output on the half-size inputs.
            low_res: optional half-size versions of the inputs, keys from ``LOW_RES_KEYS``
                (the authors resize the real image bicubically and recompute heat maps at 128
                px with sigma 6). A missing key is derived here: 2×2 average pooling (images,
                parsing, heat maps; differentiable, as the authors' cycle input) or bilinear
                resizing (part masks).
            Others: as ``AppearanceGenerator.forward``; H and W must be even.

        Returns:
            (B, 3, H, W) image in [-1, 1].
        """
        glob = self.global_generator
        alpha = self.alpha if alpha is None else _check_alpha(alpha)
        full = {
            "source_image": source_image,
            "source_parsing": source_parsing,
            "source_heatmaps": source_heatmaps,
            "target_parsing": target_parsing,
            "target_heatmaps": target_heatmaps,
        }
        source_in, target_in = glob._inputs(**full)
        glob._check_warp(thetas, part_masks, source_image)
        batch, _, height, width = source_image.shape
        if height % 2 or width % 2:
            raise ValueError(f"source_image: size must be even, got {height}x{width}")
        half = (height // 2, width // 2)
        small = self._low_res_inputs(full, part_masks, half, batch, low_res or {})
        small_source, small_target = glob._inputs(**{k: small[k] for k in full})

        local_app = self.local_appearance_encoder(source_in)
        local_tgt = self.local_target_encoder(target_in)
        fade_in = (local_app[1], local_tgt[1])
        global_out, feat, skip0 = glob.run(
            small_source, small_target, thetas, small["part_masks"], fade_in, alpha
        )
        top = local_app[0]
        if self.local_warp:
            top = deformable_skip(top, thetas, part_masks)
        x = self.local_up(torch.cat([feat, skip0], dim=1))
        local_out = self.local_head(torch.cat([x, top, local_tgt[0]], dim=1))
        return alpha * local_out + (1.0 - alpha) * global_out

    def _low_res_inputs(self, full, part_masks, half, batch, low_res) -> dict:
        unknown = sorted(set(low_res) - set(LOW_RES_KEYS))
        if unknown:
            raise ValueError(f"low_res: unknown keys {unknown}; expected some of {LOW_RES_KEYS}")
        small: dict = {}
        for name, x in full.items():
            small[name] = low_res[name] if name in low_res else F.avg_pool2d(x, 2)
            if tuple(small[name].shape[-2:]) != half or small[name].shape[0] != batch:
                raise ValueError(
                    f"low_res[{name!r}]: expected batch {batch} and size {half[0]}x{half[1]}, "
                    f"got {tuple(small[name].shape)}"
                )
        masks = low_res.get("part_masks")
        if masks is None and part_masks is not None:
            masks = parts_mod.resize_masks(part_masks, half)
        small["part_masks"] = masks
        return small


class _LocalEncoder(nn.Module):
    """Conv3×3 (bias) → widths[0] at full size; DownBlock (normalised) → widths[1] at half."""

    def __init__(self, in_channels: int, widths: list[int], norm: str) -> None:
        super().__init__()
        self.stem = nn.Conv2d(in_channels, widths[0], kernel_size=3, padding=1, bias=True)
        self.down = DownBlock(widths[0], widths[1], norm)

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        first = self.stem(x)
        return [first, self.down(first)]


def _check_alpha(alpha: float) -> float:
    alpha = float(alpha)
    if not 0.0 <= alpha <= 1.0:
        raise ValueError(f"alpha must be in [0, 1], got {alpha}")
    return alpha
