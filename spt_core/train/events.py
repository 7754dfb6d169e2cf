"""What a training run reports while it runs: the CLI prints these, the editor plots them."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np


@dataclass
class StepEvent:
    """Losses after ``step`` optimisation steps (averaged over processes with torchrun)."""

    step: int
    total_steps: int
    losses: dict[str, float]
    lr: float
    seconds_per_step: float


@dataclass
class PreviewEvent:
    """Preview pictures (RGB uint8), e.g. source | target pose | pseudo label | prediction."""

    step: int
    images: dict[str, np.ndarray] = field(default_factory=dict)


@dataclass
class CheckpointEvent:
    """A checkpoint directory was written."""

    step: int
    path: Path


@dataclass
class DoneEvent:
    """The run ended: "finished" (all steps) or "stopped" (a stop request)."""

    step: int
    reason: str
    checkpoint: Path | None


Event = StepEvent | PreviewEvent | CheckpointEvent | DoneEvent
