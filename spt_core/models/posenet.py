"""The pose regressor P of the pose loss (method §4.5): an image -> 18 heat maps network.

Architecture: CycleGAN's ``resnet_9blocks`` generator (Johnson et al.'s style-transfer net):
c7s1-64 (reflection pad 3, Conv 7×7), two stride-2 Conv 3×3 downs to 128 and 256, ``n_blocks``
residual blocks (reflection pad 1, Conv 3×3, norm, ReLU, [dropout], reflection pad 1, Conv 3×3,
norm, identity shortcut), two stride-2 ConvTranspose 3×3 ups (output padding 1) to 128 and 64,
c7s1-18 and tanh. Normalisation: InstanceNorm2d without affine; convolutions carry biases
(CycleGAN turns biases on with instance norm). The authors train P separately to regress the
sigma = 6 heat maps (values in [0, 1], so the tanh's negative half is unused) and freeze it;
their checkpoint is not released.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch
from torch import nn

from spt_core.config.base import arguments
from spt_core.models.blocks import init_weights, make_norm

if TYPE_CHECKING:
    from spt_core.config import PoseNetConfig


class ResnetBlock(nn.Module):
    """x + [pad, conv3×3, norm, ReLU, (dropout), pad, conv3×3, norm](x)."""

    def __init__(self, channels: int, norm: str, dropout: float) -> None:
        super().__init__()
        layers: list[nn.Module] = [
            nn.ReflectionPad2d(1),
            nn.Conv2d(channels, channels, kernel_size=3),
            make_norm(norm, channels),
            nn.ReLU(inplace=True),
        ]
        if dropout > 0:
            layers.append(nn.Dropout(dropout))
        layers += [
            nn.ReflectionPad2d(1),
            nn.Conv2d(channels, channels, kernel_size=3),
            make_norm(norm, channels),
        ]
        self.block = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.block(x)


class PoseRegressor(nn.Module):
    """P: RGB image in [-1, 1] -> pose heat maps through tanh (CycleGAN resnet generator).

    Args:
        in_channels: image channels (3).
        out_channels: heat-map channels (18).
        base_channels: width of the first layer (64, CycleGAN's ngf).
        n_blocks: residual blocks (9).
        n_downsampling: stride-2 downs (and ups); H and W must be divisible by
            ``2**n_downsampling``.
        norm: ``make_norm`` kind ("instance": InstanceNorm2d, no affine).
        dropout: dropout probability inside the residual blocks (0: none).
    """

    def __init__(
        self,
        in_channels: int = 3,
        out_channels: int = 18,
        base_channels: int = 64,
        n_blocks: int = 9,
        n_downsampling: int = 2,
        norm: str = "instance",
        dropout: float = 0.0,
    ) -> None:
        super().__init__()
        if n_blocks < 0 or n_downsampling < 0 or base_channels < 1:
            raise ValueError(
                f"need n_blocks >= 0, n_downsampling >= 0, base_channels >= 1, got "
                f"{n_blocks}, {n_downsampling}, {base_channels}"
            )
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.n_downsampling = n_downsampling
        layers: list[nn.Module] = [
            nn.ReflectionPad2d(3),
            nn.Conv2d(in_channels, base_channels, kernel_size=7),
            make_norm(norm, base_channels),
            nn.ReLU(inplace=True),
        ]
        width = base_channels
        for _ in range(n_downsampling):
            layers += [
                nn.Conv2d(width, 2 * width, kernel_size=3, stride=2, padding=1),
                make_norm(norm, 2 * width),
                nn.ReLU(inplace=True),
            ]
            width *= 2
        layers += [ResnetBlock(width, norm, dropout) for _ in range(n_blocks)]
        for _ in range(n_downsampling):
            layers += [
                nn.ConvTranspose2d(
                    width, width // 2, kernel_size=3, stride=2, padding=1, output_padding=1
                ),
                make_norm(norm, width // 2),
                nn.ReLU(inplace=True),
            ]
            width //= 2
        layers += [nn.ReflectionPad2d(3), nn.Conv2d(width, out_channels, kernel_size=7), nn.Tanh()]
        self.model = nn.Sequential(*layers)
        init_weights(self)

    @classmethod
    def from_config(cls, cfg: PoseNetConfig) -> PoseRegressor:
        """Build from a ``PoseNetConfig``."""
        return cls(**arguments(cfg, "base_channels", "n_blocks", "n_downsampling", "dropout"))

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        """(B, in_channels, H, W) image -> (B, out_channels, H, W) heat maps in [-1, 1].

        Raises:
            ValueError: a wrong channel count, or H, W not divisible by 2**n_downsampling.
        """
        if not isinstance(image, torch.Tensor) or image.dim() != 4:
            shape = tuple(image.shape) if isinstance(image, torch.Tensor) else type(image).__name__
            raise ValueError(f"image: expected (B, {self.in_channels}, H, W), got {shape}")
        if image.shape[1] != self.in_channels:
            raise ValueError(f"image: expected {self.in_channels} channels, got {image.shape[1]}")
        factor = 2**self.n_downsampling
        if image.shape[2] % factor or image.shape[3] % factor:
            raise ValueError(
                f"image: size {image.shape[2]}x{image.shape[3]} must be divisible by {factor}"
            )
        return self.model(image)
