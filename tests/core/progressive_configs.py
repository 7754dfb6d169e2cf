"""The tiny networks of the 256-px schedule tests (see progressive_fixtures.py)."""

from __future__ import annotations

from spt_core.config import AppearanceNetConfig, TrainConfig

SMALL = AppearanceNetConfig.tiny(size=(32, 32), face_gan=True)
BIG = AppearanceNetConfig.tiny(size=(64, 64), local_enhancer=True, face_gan=True, face_fade_in=True)
STAGE = TrainConfig(
    steps=2,
    batch_size=2,
    lr=2e-3,
    log_every=1,
    preview_every=0,
    checkpoint_every=100,
    device="cpu",
    decay_from=1.0,
)
