"""The tiny networks of the 256-px schedule tests (see progressive_fixtures.py)."""

from __future__ import annotations

from helpers import quick_train

from spt_core.config import AppearanceNetConfig

SMALL = AppearanceNetConfig.tiny(size=(32, 32), face_gan=True)
BIG = AppearanceNetConfig.tiny(size=(64, 64), local_enhancer=True, face_gan=True, face_fade_in=True)
STAGE = quick_train(steps=2, batch_size=2, checkpoint_every=100)
