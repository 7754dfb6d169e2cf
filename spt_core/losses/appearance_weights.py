"""Weights of the appearance network's generator losses (to be merged into spt_core.config).

Defaults are the authors' code (method §4.5); the paper itself does not print them.
Total generator loss = adversarial * L_adv + face * L_face + pose * L_pose + content * L_cont
+ style * L_sty, where each L sums its two terms (forward output and cycle output) with
weight 1 each.
"""

from __future__ import annotations

import dataclasses
import math


@dataclasses.dataclass(frozen=True)
class AppearanceLossWeights:
    """Weights of L_A's terms (the authors' code defaults).

    Attributes:
        adversarial: LSGAN generator term of the general discriminator D_A, on (I~_t, S~_t)
            and (I~_s, S_s).
        face: LSGAN generator term of the face discriminator D_F on both face crops (set 0
            for Market-1501, whose faces are too small, method §0).
        pose: MSE between the frozen pose regressor's maps and the target Gaussian maps, on
            both outputs. The large value offsets the small MSE of mostly-empty heat maps.
        content: MSE between relu2_1 features of the source image and its cycle reconstruction
            (the only link back to the input: there is no pixel loss).
        style: semantic-aware masked-Gram style loss, both parts.
        feature_scale: VGG features are multiplied by this before the content and style
            losses. The authors fed VGG16 [-1, 1] images normalised by ImageNet mean/std (a
            range of about 8.7); our VGG19 takes Caffe's 0-255 input (a range of 255), so its
            features are about 29x larger, content terms 29^2 and Gram terms 29^4 larger.
            1/29 restores the balance their weights were tuned for (a measured 1e5 style
            term at scale 1 would swamp everything else).
    """

    adversarial: float = 1.0
    face: float = 1.0
    pose: float = 700.0
    content: float = 0.03
    style: float = 1.0
    feature_scale: float = 1.0 / 29.0

    def __post_init__(self) -> None:
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            if not math.isfinite(value) or value < 0:
                raise ValueError(f"{field.name} must be a finite weight >= 0, got {value}")
