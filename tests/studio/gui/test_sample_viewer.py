"""The sample browser window, driven offscreen."""

from __future__ import annotations

import numpy as np
from helpers import make_tiny_dataset
from PySide6.QtWidgets import QMessageBox

from spt_core import labels as lb
from spt_studio.dialogs.sample_viewer import SampleViewer


def test_viewer_lists_samples_and_shows_parsing(qtbot, tmp_path):
    make_tiny_dataset(tmp_path)
    window = SampleViewer(tmp_path)
    qtbot.addWidget(window)
    assert window.samples.count() == 3
    window.samples.setCurrentRow(2)
    parsing = window.panels[1].pixmap().toImage()
    scale = parsing.width() // 16
    # The hand-made parsing is upper clothes (label 3) at rows 5..19, columns 4..11.
    inside = parsing.pixelColor(8 * scale, 10 * scale)
    outside = parsing.pixelColor(1 * scale, 1 * scale)
    assert (inside.red(), inside.green(), inside.blue()) == tuple(int(v) for v in lb.PALETTE[3])
    assert (outside.red(), outside.green(), outside.blue()) == (0, 0, 0)
    assert "3 samples" in window.statusBar().currentMessage()


def test_bad_folder_shows_an_error_and_keeps_state(qtbot, tmp_path, monkeypatch):
    make_tiny_dataset(tmp_path / "good")
    window = SampleViewer(tmp_path / "good")
    qtbot.addWidget(window)
    shown = []
    monkeypatch.setattr(QMessageBox, "warning", lambda *args: shown.append(args[2]))
    assert not window.open_dataset(tmp_path / "missing")
    assert shown and "dataset folder not found" in shown[0]
    assert window.samples.count() == 3
    assert np.isfinite(window.dataset.poses[0, 2]).all()
