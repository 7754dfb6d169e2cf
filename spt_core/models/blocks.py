"""Def-GAN / SPT building blocks (method §4.2), shared by the semantic and appearance networks.

* ``SampleNorm``: whole-sample normalisation (all of C×H×W at once) with a scalar affine, the
  authors' ``InstanceNorm3d(1)`` on ``x.unsqueeze(1)`` and keras-contrib's
  ``InstanceNormalization(axis=None)`` in Def-GAN.
* ``DownBlock``: LeakyReLU(0.2) → Conv 4×4 stride 2 (no bias) → norm.
* ``UpBlock``: ReLU → ConvTranspose 4×4 stride 2 (no bias) → crop 1 px → norm → Dropout2d.
* ``init_weights``: N(0, 0.02) convolutions, zero biases, identity norms.

The activation comes *before* the convolution (pre-activation), as in Def-GAN: an encoder level's
output is the raw normalised convolution, which is what the skip connections carry.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

# How an up block doubles the size: "transpose" (Def-GAN) or "resize" (nearest x2 + 3x3 conv).
from spt_core.config.networks import UPSAMPLE_KINDS

NORM_KINDS: tuple[str, ...] = ("sample", "instance", "batch", "none")


class SampleNorm(nn.Module):
    """Per-sample normalisation over all of C×H×W jointly, with one scalar scale and shift.

    ``y = (x - mean) / sqrt(var + eps) * weight + bias``, where mean and the biased variance are
    taken over every channel and pixel of one sample. This equals ``InstanceNorm3d(1,
    affine=True)`` applied to ``x.unsqueeze(1)`` (the authors' implementation), i.e. a LayerNorm
    over (C, H, W) whose affine is a single scalar pair rather than per-element.

    Args:
        eps: added to the variance (1e-3, keras-contrib's default used by Def-GAN).
    """

    def __init__(self, eps: float = 1e-3) -> None:
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(1))
        self.bias = nn.Parameter(torch.zeros(1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Normalise ``x`` of shape (B, ...) per sample over all non-batch dimensions."""
        normalised = F.layer_norm(x, x.shape[1:], eps=self.eps)
        return normalised * self.weight + self.bias

    def extra_repr(self) -> str:
        return f"eps={self.eps}"


def make_norm(kind: str, channels: int) -> nn.Module:
    """A normalisation layer by name.

    Args:
        kind: "sample" (``SampleNorm``), "instance" (``InstanceNorm2d``, no affine, no running
            statistics), "batch" (``BatchNorm2d``) or "none" (identity).
        channels: feature channels (ignored by "sample" and "none").

    Raises:
        ValueError: an unknown kind.
    """
    if kind == "sample":
        return SampleNorm()
    if kind == "instance":
        return nn.InstanceNorm2d(channels, affine=False)
    if kind == "batch":
        return nn.BatchNorm2d(channels)
    if kind == "none":
        return nn.Identity()
    raise ValueError(f"norm must be one of {NORM_KINDS}, got {kind!r}")


class DownBlock(nn.Module):
    """LeakyReLU(0.2) → Conv2d 4×4 stride 2 padding 1 (no bias) → norm: halves H and W.

    Args:
        in_ch: input channels.
        out_ch: output channels.
        norm: a ``make_norm`` kind; "none" for Def-GAN's last (deepest) encoder block.
    """

    def __init__(self, in_ch: int, out_ch: int, norm: str = "sample") -> None:
        super().__init__()
        # Not in-place: the input is also an encoder skip that the decoder reads later.
        self.act = nn.LeakyReLU(0.2)
        self.conv = nn.Conv2d(in_ch, out_ch, kernel_size=4, stride=2, padding=1, bias=False)
        self.norm = make_norm(norm, out_ch)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(B, in_ch, H, W) → (B, out_ch, H/2, W/2) (H and W even)."""
        return self.norm(self.conv(self.act(x)))


class UpBlock(nn.Module):
    """ReLU → ×2 up (see ``upsample``) → norm → Dropout2d: doubles H, W.

    "transpose": ConvTranspose2d 4×4 stride 2 (no bias) without padding gives 2H + 2; cropping
    one pixel on every side (Keras ``Cropping2D`` in Def-GAN) leaves exactly 2H. Its uneven
    kernel overlap draws the checkerboard texture of an undertrained decoder. "resize": Conv2d
    1×1 to ``out_ch`` at the input size, nearest-neighbour ×2, then Conv2d 3×3 (no biases,
    padding 1), which has no such overlap; mixing the channels before the upsampling keeps it
    cheaper than the transposed convolution.

    Args:
        in_ch: input channels.
        out_ch: output channels.
        norm: a ``make_norm`` kind.
        dropout: Dropout2d probability; 0 for none.
        upsample: one of :data:`UPSAMPLE_KINDS`.
    """

    def __init__(
        self,
        in_ch: int,
        out_ch: int,
        norm: str = "sample",
        dropout: float = 0.0,
        upsample: str = "transpose",
    ) -> None:
        super().__init__()
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {dropout}")
        if upsample not in UPSAMPLE_KINDS:
            raise ValueError(f"upsample must be one of {UPSAMPLE_KINDS}, got {upsample!r}")
        self.upsample = upsample
        self.act = nn.ReLU()
        if upsample == "transpose":
            self.conv = nn.ConvTranspose2d(
                in_ch, out_ch, kernel_size=4, stride=2, padding=0, bias=False
            )
        else:
            self.mix = nn.Conv2d(in_ch, out_ch, kernel_size=1, bias=False)
            self.conv = nn.Conv2d(out_ch, out_ch, kernel_size=3, padding=1, bias=False)
        self.norm = make_norm(norm, out_ch)
        self.dropout = nn.Dropout2d(dropout) if dropout > 0 else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(B, in_ch, H, W) → (B, out_ch, 2H, 2W)."""
        if self.upsample == "transpose":
            y = self.conv(self.act(x))[:, :, 1:-1, 1:-1]
        else:
            y = self.conv(F.interpolate(self.mix(self.act(x)), scale_factor=2, mode="nearest"))
        return self.dropout(self.norm(y))


def init_weights(module: nn.Module, std: float = 0.02) -> nn.Module:
    """Def-GAN / pix2pix initialisation, in place: returns ``module`` for chaining.

    Conv and transposed-conv weights ~ N(0, std), their biases 0; every normalisation layer
    with an affine (``SampleNorm``, ``BatchNorm2d``, affine ``InstanceNorm2d``) gets scale 1 and
    shift 0.

    Args:
        module: the network (visited recursively).
        std: standard deviation of the convolution weights.
    """
    norm_types = (
        SampleNorm,
        nn.modules.batchnorm._BatchNorm,
        nn.modules.instancenorm._InstanceNorm,
    )
    for layer in module.modules():
        if isinstance(layer, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
            nn.init.normal_(layer.weight, 0.0, std)
            if layer.bias is not None:
                nn.init.zeros_(layer.bias)
        elif isinstance(layer, norm_types):
            if getattr(layer, "weight", None) is not None:
                nn.init.ones_(layer.weight)
            if getattr(layer, "bias", None) is not None:
                nn.init.zeros_(layer.bias)
    return module


def check_map(
    name: str,
    x: torch.Tensor,
    channels: int,
    reference: tuple[int, int, int] | None,
    reference_name: str = "the first input",
) -> None:
    """Raise ValueError unless ``x`` is (B, channels, H, W) with (B, H, W) == ``reference``.

    The message names the input, what was expected and what came (shared by the generators).
    """
    if not isinstance(x, torch.Tensor) or x.dim() != 4:
        shape = tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__
        raise ValueError(f"{name}: expected a (B, {channels}, H, W) tensor, got {shape}")
    if x.shape[1] != channels:
        raise ValueError(f"{name}: expected {channels} channels, got {x.shape[1]}")
    if reference is not None and (x.shape[0], x.shape[2], x.shape[3]) != reference:
        b, h, w = reference
        raise ValueError(
            f"{name}: expected batch {b} and size {h}x{w} (as {reference_name}), "
            f"got batch {x.shape[0]} and size {x.shape[2]}x{x.shape[3]}"
        )
