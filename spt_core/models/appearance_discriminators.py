"""Discriminators of the appearance network (method §4.3): D_A on image + parsing, D_F on faces.

Both are pix2pix "basic" PatchGANs (``discriminators.PatchDiscriminator``; LSGAN, no sigmoid).
D_A reads [image (3) | parsing labels 1..9 (9)] = 12 channels, so it judges realism and the
agreement of the image with its semantic layout. D_F reads a 3-channel face crop
(``models.face``); its fade-in variant grows a 128-px face discriminator to 256 px the way the
released code does: a 128-px path (2×2 average pooling, then the 128-px model's first conv +
LeakyReLU) and a 256-px path (its own first conv + LeakyReLU, then 2×2 average pooling) are
blended by alpha, and the remaining layers are shared.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch
import torch.nn.functional as F
from torch import nn

from spt_core.config.base import arguments
from spt_core.models.blocks import init_weights
from spt_core.models.discriminators import PatchDiscriminator

if TYPE_CHECKING:
    from spt_core.config import AppearanceNetConfig


class ImageDiscriminator(nn.Module):
    """D_A: a PatchGAN on [image | parsing] (method §4.3).

    Args:
        image_channels: image channels (3).
        parsing_channels: parsing channels (9: labels 1..9, background dropped).
        base_channels: first-layer width (64).
        n_layers: stride-2 layers (3: pix2pix "basic"; 128x64 -> 14x6 scores).
        norm: ``make_norm`` kind ("instance": InstanceNorm2d without affine).
    """

    def __init__(
        self,
        image_channels: int = 3,
        parsing_channels: int = 9,
        base_channels: int = 64,
        n_layers: int = 3,
        norm: str = "instance",
    ) -> None:
        super().__init__()
        self.image_channels = image_channels
        self.parsing_channels = parsing_channels
        self.patch = PatchDiscriminator(
            image_channels + parsing_channels, base_channels, n_layers, norm
        )

    @classmethod
    def from_config(cls, cfg: AppearanceNetConfig) -> ImageDiscriminator:
        """Build from an ``AppearanceNetConfig`` (``disc_channels``, ``disc_layers``, ...)."""
        names = {"base_channels": "disc_channels", "n_layers": "disc_layers", "norm": "disc_norm"}
        return cls(**arguments(cfg, "image_channels", "parsing_channels", **names))

    def output_size(self, height: int, width: int) -> tuple[int, int]:
        """(H', W') of the score map for an (H, W) input."""
        return self.patch.output_size(height, width)

    def forward(self, image: torch.Tensor, parsing: torch.Tensor) -> torch.Tensor:
        """Patch scores of an image with its parsing.

        Args:
            image: (B, 3, H, W) in [-1, 1].
            parsing: (B, 9, H, W) one-hot or soft labels 1..9 of the same image.

        Returns:
            (B, 1, H', W') scores (no sigmoid).

        Raises:
            ValueError: wrong channel counts or mismatched batch / sizes (names the input).
        """
        for name, x, channels in (
            ("image", image, self.image_channels),
            ("parsing", parsing, self.parsing_channels),
        ):
            if not isinstance(x, torch.Tensor) or x.dim() != 4 or x.shape[1] != channels:
                shape = tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__
                raise ValueError(f"{name}: expected (B, {channels}, H, W), got {shape}")
        if (parsing.shape[0], *parsing.shape[2:]) != (image.shape[0], *image.shape[2:]):
            raise ValueError(
                f"parsing: expected batch and size {(image.shape[0], *image.shape[2:])} "
                f"(as image), got {(parsing.shape[0], *parsing.shape[2:])}"
            )
        return self.patch(torch.cat([image, parsing.to(image.dtype)], dim=1))


class FaceDiscriminator(nn.Module):
    """D_F: a PatchGAN on face crops, optionally with the 128 -> 256 px fade-in (method §4.3).

    Without fade-in it is a plain ``PatchDiscriminator`` on the crop. With ``fade_in`` the
    crop (even H and W) goes through two first stages blended by alpha:
    ``(1 - alpha) * lrelu(conv1(pool(x))) + alpha * pool(lrelu(conv1_256(x)))``, then through
    the remaining PatchGAN layers. ``patch`` holds exactly a plain D_F's parameters, so a
    128-px D_F checkpoint loads into it (the authors initialise D_F from one).

    Args:
        image_channels: crop channels (3).
        base_channels: first-layer width (64).
        n_layers: stride-2 layers of the PatchGAN (3).
        norm: ``make_norm`` kind.
        fade_in: build the 256-px path.
        alpha: default fade-in weight (1 = 256-px path only; overridden by ``forward``).
    """

    def __init__(
        self,
        image_channels: int = 3,
        base_channels: int = 64,
        n_layers: int = 3,
        norm: str = "instance",
        fade_in: bool = False,
        alpha: float = 1.0,
    ) -> None:
        super().__init__()
        self.image_channels = image_channels
        self.fade_in = fade_in
        self.alpha = _check_alpha(alpha)
        self.patch = PatchDiscriminator(image_channels, base_channels, n_layers, norm)
        if fade_in:
            self.first_256 = nn.Conv2d(image_channels, base_channels, 4, stride=2, padding=1)
            init_weights(self.first_256)

    @classmethod
    def from_config(cls, cfg: AppearanceNetConfig) -> FaceDiscriminator:
        """Build from an ``AppearanceNetConfig`` (``face_disc_*``, ``face_fade_in``...)."""
        names = {
            "base_channels": "face_disc_channels",
            "n_layers": "face_disc_layers",
            "norm": "disc_norm",
            "fade_in": "face_fade_in",
            "alpha": "fade_in_alpha",
        }
        return cls(**arguments(cfg, "image_channels", **names))

    def output_size(self, height: int, width: int) -> tuple[int, int]:
        """(H', W') of the score map for an (H, W) crop."""
        if self.fade_in:
            height, width = max(height, self._min_fade_size), max(width, self._min_fade_size)
            return self.patch.output_size(height // 2, width // 2)
        return self.patch.output_size(height, width)

    @property
    def _min_fade_size(self) -> int:
        return 2 * self.patch.min_input_size

    def forward(self, face: torch.Tensor, alpha: float | None = None) -> torch.Tensor:
        """Patch scores of face crops.

        Args:
            face: (B, 3, H, W) crops in [-1, 1] (H and W even with fade-in).
            alpha: fade-in weight in [0, 1] (None: ``self.alpha``); ignored without fade-in.

        Returns:
            (B, 1, H', W') scores (see ``output_size``).
        """
        if not isinstance(face, torch.Tensor) or face.dim() != 4:
            shape = tuple(face.shape) if isinstance(face, torch.Tensor) else type(face).__name__
            raise ValueError(f"face: expected (B, {self.image_channels}, H, W), got {shape}")
        if face.shape[1] != self.image_channels:
            raise ValueError(f"face: expected {self.image_channels} channels, got {face.shape[1]}")
        if not self.fade_in:
            return self.patch(face)
        alpha = self.alpha if alpha is None else _check_alpha(alpha)
        height, width = face.shape[-2:]
        if height % 2 or width % 2:
            raise ValueError(f"face: the fade-in D_F needs an even size, got {height}x{width}")
        face = self._pad_small(face)
        layers = self.patch.model
        path_128 = layers[1](layers[0](F.avg_pool2d(face, 2)))
        path_256 = F.avg_pool2d(F.leaky_relu(self.first_256(face), 0.2), 2)
        return layers[2:]((1.0 - alpha) * path_128 + alpha * path_256)

    def _pad_small(self, face: torch.Tensor) -> torch.Tensor:
        # As PatchDiscriminator's small-input padding, at twice its minimum (the paths pool).
        height, width = face.shape[-2:]
        need_h = max(0, self._min_fade_size - height)
        need_w = max(0, self._min_fade_size - width)
        if not (need_h or need_w):
            return face
        pad = (need_w // 2, need_w - need_w // 2, need_h // 2, need_h - need_h // 2)
        return F.pad(face, pad, mode="replicate")


def _check_alpha(alpha: float) -> float:
    alpha = float(alpha)
    if not 0.0 <= alpha <= 1.0:
        raise ValueError(f"alpha must be in [0, 1], got {alpha}")
    return alpha
