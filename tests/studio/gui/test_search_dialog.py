"""Tools > Pseudo-label search, driven offscreen: progress, summary, cancel and continue."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from PySide6.QtCore import Qt

from spt_core.config import SearchConfig
from spt_core.data import synthetic
from spt_core.data.dataset import PersonDataset
from spt_core.search.engine import PseudoLabelSearch, SearchInputs
from spt_core.search.store import PseudoLabels
from spt_studio.dialogs.search import SearchDialog
from spt_studio.workers.training import running_threads

TIMEOUT_MS = 60_000


@pytest.fixture(scope="module")
def people(tmp_path_factory):
    """24 synthetic people and the search result computed directly (no editor involved)."""
    data = tmp_path_factory.mktemp("search") / "data"
    synthetic.generate_dataset(data, count=24, seed=5, workers=1)
    config = SearchConfig(query_chunk=4)
    direct = PseudoLabelSearch(config, device="cpu").run(
        SearchInputs.from_dataset(PersonDataset(data))
    )
    return data, config, direct


def _wait_idle(qtbot, dialog):
    qtbot.waitUntil(lambda: not dialog.is_running(), timeout=TIMEOUT_MS)
    qtbot.waitUntil(lambda: not running_threads(), timeout=TIMEOUT_MS)


def test_search_runs_with_progress_and_summary(qtbot, people, tmp_path):
    data, config, direct = people
    dialog = SearchDialog(None, data)
    qtbot.addWidget(dialog)
    assert dialog.out_edit.text() == str(data / "pseudo_labels.npz")  # where training looks
    out = tmp_path / "labels.npz"
    dialog.out_edit.setText(str(out))
    dialog.form.set_value(config)
    dialog.device_combo.setCurrentText("cpu")
    with qtbot.waitSignal(dialog.completed, timeout=TIMEOUT_MS) as finished:
        qtbot.mouseClick(dialog.start_button, Qt.MouseButton.LeftButton)
    _wait_idle(qtbot, dialog)
    summary = finished.args[0]
    saved = PseudoLabels.load(out)
    np.testing.assert_array_equal(saved.best, direct.best)
    found = direct.best >= 0
    assert summary.with_label == int(found.sum()) and summary.done == 24
    assert summary.median_distance == pytest.approx(float(np.median(direct.best_score[found])))
    assert (dialog.progress.value(), dialog.progress.maximum()) == (24, 24)
    assert "24 samples searched" in dialog.result_text.toPlainText()
    assert dialog.start_button.isEnabled() and not dialog.cancel_button.isEnabled()


def test_cancel_keeps_the_saved_chunks_and_start_continues(qtbot, people, tmp_path):
    data, config, direct = people
    dialog = SearchDialog(None, data)
    qtbot.addWidget(dialog)
    out = tmp_path / "labels.npz"
    dialog.out_edit.setText(str(out))
    dialog.form.set_value(config)
    assert dialog.start()

    # Cancel from inside the worker thread once 8 samples are saved, so the test does not race
    # the search: the engine stops before its third chunk of 4.
    def cancel_at_eight(done, total):
        if done >= 8:
            dialog.worker.cancel()

    dialog.worker.progress.connect(cancel_at_eight, Qt.ConnectionType.DirectConnection)
    _wait_idle(qtbot, dialog)
    assert dialog.summary.cancelled and dialog.summary.done == 8
    assert PseudoLabels.load(out).done == 8
    assert "cancelled after 8 of 24" in dialog.result_text.toPlainText()

    assert dialog.start()  # the same search: continued from sample 8
    _wait_idle(qtbot, dialog)
    assert not dialog.summary.cancelled
    np.testing.assert_array_equal(PseudoLabels.load(out).best, direct.best)


def test_errors_are_shown(qtbot, people, tmp_path):
    data, config, _ = people
    dialog = SearchDialog(None, tmp_path / "missing")
    qtbot.addWidget(dialog)
    assert not dialog.start() and "dataset folder not found" in dialog.error_label.text()

    # A file of another search is refused unless "replace" is ticked.
    dialog.set_data_dir(data)
    out = tmp_path / "labels.npz"
    dialog.out_edit.setText(str(out))
    dialog.form.set_value(dataclasses.replace(config, top_k=2))
    dialog.device_combo.setCurrentText("cpu")
    assert dialog.start()
    _wait_idle(qtbot, dialog)
    dialog.form.set_value(dataclasses.replace(config, top_k=3))
    assert dialog.start()
    _wait_idle(qtbot, dialog)
    assert "another config" in dialog.error_label.text()
    dialog.replace_check.setChecked(True)
    assert dialog.start()
    _wait_idle(qtbot, dialog)
    assert dialog.error_label.text() == "" and PseudoLabels.load(out).top_index.shape == (24, 3)

    dialog.form.editors["top_k"].setValue(0)  # SearchConfig refuses it: Search is disabled
    assert not dialog.start_button.isEnabled() and "top_k" in dialog.error_label.text()
