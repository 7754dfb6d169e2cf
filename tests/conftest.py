"""Shared test set-up: Qt runs headless, and the shared real-pose data is found beside the repo."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# Before any test module can import Qt: GUI tests must run without a display.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

REPO_ROOT = Path(__file__).resolve().parents[1]
#: The real PG2 / Def-GAN pose annotations, shared by every checkout (../shared/data/poses).
SHARED_POSES_DIR = REPO_ROOT.parent / "shared" / "data" / "poses"


@pytest.fixture(scope="session")
def shared_poses_dir() -> Path:
    """The folder holding the real pose CSVs; the test is skipped when it is absent."""
    if not SHARED_POSES_DIR.is_dir():
        pytest.skip(f"shared pose data folder not found at {SHARED_POSES_DIR}")
    return SHARED_POSES_DIR


@pytest.fixture(scope="module")
def one_thread():
    """Torch on one thread for a module (``pytestmark = pytest.mark.usefixtures(...)``): tiny
    networks run several times faster on one thread than on two threads that compete with
    other work for a 2-core machine."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
