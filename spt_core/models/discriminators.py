"""PatchGAN discriminators: pix2pix's "basic" D (method §4.3) and the parsing discriminator D_S.

``PatchDiscriminator`` is pix2pix's ``NLayerDiscriminator``: every 4×4 convolution has padding 1,
so each stride-2 layer maps a side n to floor(n / 2) and each stride-1 layer to n - 1. With
``n_layers`` stride-2 layers the output side is ``floor(n / 2**n_layers) - 2`` (256 → 30,
128 → 14, 64 → 6). Inputs too small for a 1×1 output (a side below ``3 * 2**n_layers``, e.g.
the 16-px width of a 32×16 test map) are padded symmetrically to that minimum before the first
layer, by edge replication (``small_input_padding``), so the D still scores them; the pad is
the same for real and fake inputs, so it cannot tell them apart.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch
import torch.nn.functional as F
from torch import nn

from spt_core.config.base import arguments
from spt_core.models.blocks import init_weights, make_norm

if TYPE_CHECKING:
    from spt_core.config import SemanticNetConfig

PADDING_MODES: tuple[str, ...] = ("replicate", "zeros", "error")


class PatchDiscriminator(nn.Module):
    """pix2pix "basic" PatchGAN: a map of real/fake scores, one per overlapping patch.

    Layers: Conv4×4 s2 → base + LReLU(0.2); (n_layers - 1) × [Conv4×4 s2, width doubling
    (capped at 8 × base, 512 by default) + norm + LReLU]; Conv4×4 s1 + norm + LReLU; Conv4×4 s1
    → 1 channel. Biases on everywhere; no sigmoid (LSGAN).

    Args:
        in_channels: input channels.
        base_channels: width of the first layer.
        n_layers: stride-2 layers (at least 1).
        norm: ``make_norm`` kind; "instance" = InstanceNorm2d without affine (pix2pix).
        small_input_padding: "replicate" or "zeros": pad inputs smaller than
            ``min_input_size`` up to it; "error": raise ValueError instead.
    """

    def __init__(
        self,
        in_channels: int,
        base_channels: int = 64,
        n_layers: int = 3,
        norm: str = "instance",
        small_input_padding: str = "replicate",
    ) -> None:
        super().__init__()
        if n_layers < 1:
            raise ValueError(f"n_layers must be at least 1, got {n_layers}")
        if small_input_padding not in PADDING_MODES:
            raise ValueError(
                f"small_input_padding must be one of {PADDING_MODES}, got {small_input_padding!r}"
            )
        self.in_channels = in_channels
        self.n_layers = n_layers
        self.small_input_padding = small_input_padding

        layers: list[nn.Module] = [
            nn.Conv2d(in_channels, base_channels, kernel_size=4, stride=2, padding=1),
            nn.LeakyReLU(0.2, inplace=True),
        ]
        width = base_channels
        for n in range(1, n_layers + 1):
            out = base_channels * min(2**n, 8)
            stride = 2 if n < n_layers else 1
            layers += [
                nn.Conv2d(width, out, kernel_size=4, stride=stride, padding=1),
                make_norm(norm, out),
                nn.LeakyReLU(0.2, inplace=True),
            ]
            width = out
        layers.append(nn.Conv2d(width, 1, kernel_size=4, stride=1, padding=1))
        self.model = nn.Sequential(*layers)
        init_weights(self)

    @property
    def min_input_size(self) -> int:
        """Smallest input side that still gives a 1-pixel output side: ``3 * 2**n_layers``."""
        return 3 * 2**self.n_layers

    def output_size(self, height: int, width: int) -> tuple[int, int]:
        """(H', W') of the score map for an (H, W) input, small-input padding included."""
        side = max(height, self.min_input_size), max(width, self.min_input_size)
        return tuple(s // 2**self.n_layers - 2 for s in side)  # type: ignore[return-value]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(B, in_channels, H, W) → (B, 1, H', W') patch scores (see ``output_size``)."""
        if x.dim() != 4 or x.shape[1] != self.in_channels:
            raise ValueError(
                f"discriminator input: expected (B, {self.in_channels}, H, W), got {tuple(x.shape)}"
            )
        return self.model(self._pad_small(x))

    def _pad_small(self, x: torch.Tensor) -> torch.Tensor:
        height, width = x.shape[-2:]
        need_h = max(0, self.min_input_size - height)
        need_w = max(0, self.min_input_size - width)
        if not (need_h or need_w):
            return x
        if self.small_input_padding == "error":
            raise ValueError(
                f"discriminator input {height}x{width} is smaller than the minimum "
                f"{self.min_input_size}x{self.min_input_size} for n_layers={self.n_layers}"
            )
        pad = (need_w // 2, need_w - need_w // 2, need_h // 2, need_h - need_h // 2)
        mode = "constant" if self.small_input_padding == "zeros" else "replicate"
        return F.pad(x, pad, mode=mode)


class ParsingDiscriminator(nn.Module):
    """D_S: a PatchGAN on [parsing probabilities | target heat maps].

    Conditioning on the target pose (a [PROPOSAL]; the paper's D_S input is [NOT FOUND]) lets
    D_S judge whether the map fits the pose, not only whether it looks like a person's parsing.

    Args:
        num_labels: parsing channels (10).
        pose_channels: heat-map channels (18).
        base_channels: width of the first PatchGAN layer.
        n_layers: stride-2 layers of the PatchGAN.
        norm: ``make_norm`` kind of the PatchGAN.
    """

    def __init__(
        self,
        num_labels: int = 10,
        pose_channels: int = 18,
        base_channels: int = 64,
        n_layers: int = 3,
        norm: str = "instance",
    ) -> None:
        super().__init__()
        self.num_labels = num_labels
        self.pose_channels = pose_channels
        self.patch = PatchDiscriminator(num_labels + pose_channels, base_channels, n_layers, norm)

    @classmethod
    def from_config(cls, cfg: SemanticNetConfig) -> ParsingDiscriminator:
        """Build from a ``SemanticNetConfig`` (``disc_channels``, ``disc_layers``)."""
        names = {"base_channels": "disc_channels", "n_layers": "disc_layers"}
        return cls(**arguments(cfg, "num_labels", "pose_channels", **names))

    def output_size(self, height: int, width: int) -> tuple[int, int]:
        """(H', W') of the score map for an (H, W) input."""
        return self.patch.output_size(height, width)

    def forward(self, parsing: torch.Tensor, target_heatmaps: torch.Tensor) -> torch.Tensor:
        """Patch scores of a (real one-hot or generated soft) parsing in the target pose.

        Args:
            parsing: (B, num_labels, H, W) one-hot map or probabilities.
            target_heatmaps: (B, pose_channels, H, W) heat maps of the pose it should fit.

        Returns:
            (B, 1, H', W') scores (no sigmoid).

        Raises:
            ValueError: wrong channel counts or mismatched batch / spatial sizes.
        """
        for name, x, channels in (
            ("parsing", parsing, self.num_labels),
            ("target_heatmaps", target_heatmaps, self.pose_channels),
        ):
            if x.dim() != 4 or x.shape[1] != channels:
                raise ValueError(f"{name}: expected (B, {channels}, H, W), got {tuple(x.shape)}")
        expected = (parsing.shape[0], *parsing.shape[2:])
        got = (target_heatmaps.shape[0], *target_heatmaps.shape[2:])
        if got != expected:
            raise ValueError(
                f"target_heatmaps: expected batch and size {expected} (as parsing), got {got}"
            )
        return self.patch(torch.cat([parsing, target_heatmaps.to(parsing.dtype)], dim=1))
