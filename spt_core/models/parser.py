"""A small U-Net human parser: RGB image -> logits of the 10 labels.

Not the paper's parser (LIP-SSL, method §6.2, never released with SPT): a compact network that
can be trained on any dataset with parsing maps (synthetic people, LIP merged to 10 labels) and
used by ``spt prepare --parser``. It reuses the generator's blocks: a 3x3 stem, ``depth``
:class:`~spt_core.models.blocks.DownBlock` levels, as many :class:`UpBlock` levels with U-Net
skips (concatenation), and a 3x3 head.
"""

from __future__ import annotations

import torch
from torch import nn

from spt_core.labels import NUM_LABELS
from spt_core.models.blocks import DownBlock, UpBlock, check_map, init_weights


class HumanParser(nn.Module):
    """U-Net parser.

    Args:
        base_channels: width of the stem; doubles per level up to ``max_channels``.
        max_channels: widest level.
        depth: stride-2 levels; H and W must be divisible by ``2**depth``.
        norm: a ``make_norm`` kind ("instance" keeps small batches stable).
        num_labels: output channels (10).
    """

    def __init__(
        self,
        base_channels: int = 32,
        max_channels: int = 256,
        depth: int = 4,
        norm: str = "instance",
        num_labels: int = NUM_LABELS,
    ) -> None:
        super().__init__()
        if depth < 1 or base_channels < 1:
            raise ValueError("depth and base_channels must be at least 1")
        self.depth = depth
        widths = [min(base_channels * 2**i, max_channels) for i in range(depth + 1)]
        self.stem = nn.Conv2d(3, widths[0], kernel_size=3, padding=1)
        self.downs = nn.ModuleList(DownBlock(widths[i], widths[i + 1], norm) for i in range(depth))
        # Up level i takes the deeper features (plus the skip at that depth, except the deepest).
        self.ups = nn.ModuleList(
            UpBlock(widths[i + 1] * (1 if i == depth - 1 else 2), widths[i], norm)
            for i in reversed(range(depth))
        )
        self.head = nn.Sequential(
            nn.ReLU(), nn.Conv2d(widths[0] * 2, num_labels, kernel_size=3, padding=1)
        )
        init_weights(self)

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        """(B, 3, H, W) image in [-1, 1] -> (B, num_labels, H, W) logits."""
        check_map("image", image, 3, None)
        factor = 2**self.depth
        if image.shape[2] % factor or image.shape[3] % factor:
            raise ValueError(
                f"image: size {image.shape[2]}x{image.shape[3]} must be divisible by {factor} "
                f"(depth {self.depth})"
            )
        skips = [self.stem(image)]
        for down in self.downs:
            skips.append(down(skips[-1]))
        x = skips.pop()
        for up in self.ups:
            x = torch.cat([up(x), skips.pop()], dim=1)
        return self.head(x)
