"""Fixtures of the editor GUI tests (a pytest plugin: ``pytest_plugins = ["editor_fixtures"]``):
a small synthetic dataset, a real (random) pipeline, and editor windows."""

from __future__ import annotations

import pytest
from editor_helpers import SIZE


@pytest.fixture(scope="session")
def synth_dataset(tmp_path_factory):
    """Eight synthetic 128x64 people (two identities) with exact poses and parsings."""
    from spt_core.data.dataset import PersonDataset
    from spt_core.data.synthetic import generate_dataset

    root = tmp_path_factory.mktemp("synth")
    generate_dataset(root, count=8, size=SIZE, seed=3, poses_per_identity=4, workers=1)
    return PersonDataset(root)


@pytest.fixture(scope="session")
def pipeline():
    """Untrained networks of the normal widths at 128x64: real CPU renders, deterministic.

    ``SPT_TEST_PIPELINE=SEMANTIC_RUN,APPEARANCE_RUN`` uses two trained runs instead (e.g. to
    measure responsiveness with a larger model).
    """
    import os

    from spt_core.pipeline import SPTPipeline

    runs = os.environ.get("SPT_TEST_PIPELINE")
    if runs:
        semantic, appearance = runs.split(",")
        return SPTPipeline.from_checkpoints(semantic, appearance, device="cpu")
    return SPTPipeline.random(size=SIZE, seed=0)


@pytest.fixture
def make_window(qtbot, pipeline, tmp_path, monkeypatch):
    """Build editor windows that render with ``pipeline`` and never ask questions on close;
    the user's pose library lives in the test's folder, not the user's."""
    from spt_studio.main_window import MainWindow

    monkeypatch.setenv("SPT_USER_DATA", str(tmp_path / "user_data"))

    windows = []

    def make(**kwargs):
        kwargs.setdefault("pipeline", pipeline)
        kwargs.setdefault("autosave_dir", tmp_path / "autosave")
        kwargs.setdefault("autosave_ms", 0)
        window = MainWindow(**kwargs)
        window.ask_before_close = False
        qtbot.addWidget(window)
        window.show()
        qtbot.waitExposed(window)
        # Shortcuts reach only the active window.
        window.activateWindow()
        qtbot.waitUntil(window.isActiveWindow, timeout=3000)
        windows.append(window)
        return window

    yield make
    for window in windows:
        window.renderer.shutdown()
