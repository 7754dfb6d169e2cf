"""Networks (nn.Modules only; losses live in spt_core.losses, loops in spt_core.train)."""

from spt_core.models.blocks import DownBlock, SampleNorm, UpBlock, init_weights, make_norm
from spt_core.models.discriminators import ParsingDiscriminator, PatchDiscriminator
from spt_core.models.semantic import SemanticGenerator

__all__ = [
    "DownBlock",
    "ParsingDiscriminator",
    "PatchDiscriminator",
    "SampleNorm",
    "SemanticGenerator",
    "UpBlock",
    "init_weights",
    "make_norm",
]
