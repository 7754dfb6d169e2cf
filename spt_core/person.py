"""The person a pipeline draws, and what a repose returns (re-exported by
:mod:`spt_core.pipeline`)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from spt_core import labels as lb
from spt_core import skeleton as sk
from spt_core.letterbox import Letterbox


@dataclass
class Person:
    """One person (or a batch: a leading axis on every field).

    Attributes:
        image: (H, W, 3) uint8 RGB.
        pose: (18, 2) float32 (x, y) pixels, NaN for missing joints.
        parsing: (H, W) uint8 labels 0..9.
    """

    image: np.ndarray
    pose: np.ndarray
    parsing: np.ndarray

    @property
    def batched(self) -> bool:
        return np.asarray(self.image).ndim == 4

    def check(self, what: str = "person") -> None:
        """Raise ValueError naming the field when shapes or values do not fit together."""
        image, pose, parsing = (np.asarray(a) for a in (self.image, self.pose, self.parsing))
        lead = image.shape[:-3]
        if image.ndim not in (3, 4) or image.shape[-1] != 3 or image.dtype != np.uint8:
            raise ValueError(
                f"{what}.image must be (H, W, 3) uint8 RGB, got {image.shape} {image.dtype}"
            )
        if pose.shape != (*lead, sk.NUM_JOINTS, 2):
            raise ValueError(f"{what}.pose must be {(*lead, 18, 2)}, got {pose.shape}")
        if parsing.shape != image.shape[:-1]:
            raise ValueError(f"{what}.parsing is {parsing.shape}, the image is {image.shape[:-1]}")
        lb.check_labels(parsing)
        # A pose without torso or far outside the image renders a flat grey picture, silently.
        sk.check_pose(pose, image.shape[-3:-1], f"{what}.pose")


@dataclass
class ReposeResult:
    """What :meth:`SPTPipeline.repose` returns (batched like its input).

    Attributes:
        image: (H, W, 3) uint8 the person in the target pose.
        parsing: (H, W) uint8 the predicted target parsing (argmax of the soft map).
        source: the (fitted) source person the result is aligned with.
        letterbox: how the person's frame maps into the result's (``letterbox.crop(image)``
            cuts the padding off; identity when the person was at the model's size).
    """

    image: np.ndarray
    parsing: np.ndarray
    source: Person
    letterbox: Letterbox
