"""The semantic generative network H_S = (E_S, E_P, G_S): source parsing + poses → target parsing.

The paper gives no layer details (method §3: [NOT FOUND]). Following the method notes'
proposal, the network reuses Def-GAN's 128-px two-stream U-Net, the skeleton of the appearance
generator (method §4.2), without the deformable warps:

* E_S encodes [source parsing (num_labels) | source heat maps (pose_channels) | source mask (1)],
  E_P encodes [target heat maps | target mask]; identical structure: Conv3×3 (bias) to
  ``base_channels`` at full resolution, then ``depth`` ``DownBlock``s doubling the width up to
  ``max_channels``; the deepest block has no normalisation (Def-GAN).
* G_S decodes from the deepest level upward. At every level the two encoders' features are
  concatenated (a skip from both streams) with the previous up-block output. The up block
  arriving at level l has ``min(max_channels, 2 * base_channels * 2**l)`` channels, Def-GAN's
  decoder list (512, 512, 512, 256, 128) at the default config. Dropout sits on the
  ``dropout_layers`` deepest up blocks. Last: ReLU → Conv3×3 (bias) → ``num_labels`` logits.

See docs/semantic_network.md for the layer table and the choices made.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch
from torch import nn

from spt_core.config.base import arguments
from spt_core.models.blocks import NORM_KINDS, DownBlock, UpBlock, check_map, init_weights

if TYPE_CHECKING:
    from spt_core.config import SemanticNetConfig


def level_widths(base_channels: int, max_channels: int, depth: int) -> list[int]:
    """Encoder widths at levels 0..depth: ``min(max_channels, base_channels * 2**level)``."""
    return [min(max_channels, base_channels * 2**level) for level in range(depth + 1)]


class StreamEncoder(nn.Module):
    """One encoder stream (E_S or E_P): a list of features, full resolution first.

    Args:
        in_channels: input channels.
        widths: output widths of levels 0..depth (``level_widths``).
        norm: ``make_norm`` kind of every down block except the deepest (no normalisation).
    """

    def __init__(self, in_channels: int, widths: list[int], norm: str) -> None:
        super().__init__()
        self.stem = nn.Conv2d(in_channels, widths[0], kernel_size=3, padding=1, bias=True)
        depth = len(widths) - 1
        self.downs = nn.ModuleList(
            DownBlock(widths[i], widths[i + 1], norm if i + 1 < depth else "none")
            for i in range(depth)
        )

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        """(B, in_channels, H, W) → [level 0 (H, W), level 1 (H/2, W/2), ..., level depth]."""
        features = [self.stem(x)]
        for down in self.downs:
            features.append(down(features[-1]))
        return features


class SemanticGenerator(nn.Module):
    """H_S: predicts target-pose parsing logits from a source parsing and two poses.

    Args:
        num_labels: parsing labels (10; background included).
        pose_channels: heat-map channels per pose (18).
        use_pose_mask: each encoder also reads its pose mask as one extra channel.
        base_channels: width of the full-resolution encoder level.
        max_channels: cap on every width.
        depth: stride-2 levels per encoder; H and W must be divisible by ``2**depth``.
        dropout: Dropout2d probability of the deepest ``dropout_layers`` up blocks (active in
            ``train()`` mode only; the authors left it on at test time, call ``train()`` to
            reproduce that).
        dropout_layers: how many of the deepest up blocks use dropout.
        norm: "sample", "instance", "batch" or "none" (see ``blocks.make_norm``).
    """

    def __init__(
        self,
        num_labels: int = 10,
        pose_channels: int = 18,
        use_pose_mask: bool = True,
        base_channels: int = 64,
        max_channels: int = 512,
        depth: int = 5,
        dropout: float = 0.5,
        dropout_layers: int = 3,
        norm: str = "sample",
    ) -> None:
        super().__init__()
        if norm not in NORM_KINDS:
            raise ValueError(f"norm must be one of {NORM_KINDS}, got {norm!r}")
        if depth < 1 or base_channels < 1 or max_channels < base_channels:
            raise ValueError(
                f"need depth >= 1 and 1 <= base_channels <= max_channels, got depth={depth}, "
                f"base_channels={base_channels}, max_channels={max_channels}"
            )
        self.num_labels = num_labels
        self.pose_channels = pose_channels
        self.use_pose_mask = use_pose_mask
        self.depth = depth
        mask_channels = 1 if use_pose_mask else 0
        self.source_channels = num_labels + pose_channels + mask_channels
        self.target_channels = pose_channels + mask_channels

        widths = level_widths(base_channels, max_channels, depth)
        self.source_encoder = StreamEncoder(self.source_channels, widths, norm)  # E_S
        self.target_encoder = StreamEncoder(self.target_channels, widths, norm)  # E_P

        # ups[k] arrives at level depth-1-k; the deepest blocks come first and take the dropout.
        decoder_widths = [min(max_channels, 2 * w) for w in widths[:-1]]
        self.ups = nn.ModuleList()
        previous = 0
        for k, level in enumerate(range(depth - 1, -1, -1)):
            in_ch = 2 * widths[level + 1] + previous
            p = dropout if k < dropout_layers else 0.0
            self.ups.append(UpBlock(in_ch, decoder_widths[level], norm, p))
            previous = decoder_widths[level]
        self.head = nn.Sequential(
            nn.ReLU(),
            nn.Conv2d(previous + 2 * widths[0], num_labels, kernel_size=3, padding=1, bias=True),
        )
        init_weights(self)

    @classmethod
    def from_config(cls, cfg: SemanticNetConfig) -> SemanticGenerator:
        """Build from a ``SemanticNetConfig`` (the architecture fields; ``size`` is not needed)."""
        fields = ("num_labels", "pose_channels", "use_pose_mask", "base_channels", "max_channels")
        return cls(**arguments(cfg, *fields, "depth", "dropout", "dropout_layers", "norm"))

    def forward(
        self,
        source_parsing: torch.Tensor,
        source_heatmaps: torch.Tensor,
        target_heatmaps: torch.Tensor,
        source_mask: torch.Tensor | None = None,
        target_mask: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """Target parsing logits.

        Args:
            source_parsing: (B, num_labels, H, W) one-hot map or probabilities (a softmax
                output, so joint training can back-propagate through it).
            source_heatmaps: (B, pose_channels, H, W) heat maps of the source pose.
            target_heatmaps: (B, pose_channels, H, W) heat maps of the target pose.
            source_mask: (B, 1, H, W) or (B, H, W) source pose mask; required when
                ``use_pose_mask``, ignored otherwise.
            target_mask: the same for the target pose.

        Returns:
            (B, num_labels, H, W) logits (no softmax; see ``predict``).

        Raises:
            ValueError: a wrong channel count, batch or spatial size (the message names the
                input, the expected and the actual value), or a missing mask.
        """
        source_in, target_in = self._inputs(
            source_parsing, source_heatmaps, target_heatmaps, source_mask, target_mask
        )
        source_features = self.source_encoder(source_in)
        target_features = self.target_encoder(target_in)
        x = None
        for up, level in zip(self.ups, range(self.depth, 0, -1), strict=True):
            skip = [source_features[level], target_features[level]]
            x = up(torch.cat(skip if x is None else [x, *skip], dim=1))
        return self.head(torch.cat([x, source_features[0], target_features[0]], dim=1))

    def predict(
        self,
        source_parsing: torch.Tensor,
        source_heatmaps: torch.Tensor,
        target_heatmaps: torch.Tensor,
        source_mask: torch.Tensor | None = None,
        target_mask: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """Per-pixel label probabilities (softmax of ``forward``), still differentiable.

        Same arguments as ``forward``; returns (B, num_labels, H, W) summing to 1 over labels.
        """
        logits = self(source_parsing, source_heatmaps, target_heatmaps, source_mask, target_mask)
        return torch.softmax(logits, dim=1)

    def _inputs(
        self,
        source_parsing: torch.Tensor,
        source_heatmaps: torch.Tensor,
        target_heatmaps: torch.Tensor,
        source_mask: torch.Tensor | None,
        target_mask: torch.Tensor | None,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Check every input against the first one and build the two encoder inputs."""
        check_map("source_parsing", source_parsing, self.num_labels, None)
        batch, _, height, width = source_parsing.shape
        reference = (batch, height, width)
        check_map(
            "source_heatmaps", source_heatmaps, self.pose_channels, reference, "source_parsing"
        )
        check_map(
            "target_heatmaps", target_heatmaps, self.pose_channels, reference, "source_parsing"
        )
        factor = 2**self.depth
        if height % factor or width % factor:
            raise ValueError(
                f"source_parsing: spatial size {height}x{width} must be divisible by "
                f"2**depth = {factor} (depth={self.depth})"
            )
        source = [source_parsing, source_heatmaps]
        target = [target_heatmaps]
        if self.use_pose_mask:
            for name, mask, parts in (
                ("source_mask", source_mask, source),
                ("target_mask", target_mask, target),
            ):
                if mask is None:
                    raise ValueError(
                        f"{name} is required: the network was built with use_pose_mask"
                    )
                if mask.dim() == 3:
                    mask = mask.unsqueeze(1)
                check_map(name, mask, 1, reference, "source_parsing")
                parts.append(mask.to(source_parsing.dtype))
        return torch.cat(source, dim=1), torch.cat(target, dim=1)
