"""Tools > Pseudo-label search: run the search over a dataset with progress, cancel and a summary.

The result file (``pseudo_labels.npz`` in the dataset folder unless another is chosen) is what
the semantic network trains on; the training dialog looks there by default.
"""

from __future__ import annotations

import functools
from pathlib import Path

import qtawesome as qta
from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from spt_core.config import SearchConfig, field_choices
from spt_core.devices import available_devices
from spt_core.search.store import DEFAULT_PSEUDO_LABELS
from spt_studio.widgets.config_form import ConfigForm
from spt_studio.widgets.path_row import path_row
from spt_studio.workers.search import SearchSummary, SearchWorker
from spt_studio.workers.training import start_in_thread


class SearchDialog(QDialog):
    """Non-modal pseudo-label search window.

    Args:
        parent: Qt parent.
        data_dir: dataset folder to start with.

    Signals:
        completed(object): the :class:`SearchSummary` of a search that ran to the end.
    """

    completed = Signal(object)

    def __init__(self, parent: QWidget | None = None, data_dir: Path | None = None):
        super().__init__(parent)
        self.setWindowTitle("Pseudo-label search")
        self.setModal(False)
        self.resize(620, 640)
        self.worker: SearchWorker | None = None
        self.thread = None
        self.summary: SearchSummary | None = None
        self._out_auto = True

        self.data_edit = QLineEdit()
        self.data_edit.setPlaceholderText("dataset folder (PG2 layout, with parsing maps)")
        self.data_edit.textChanged.connect(self._suggest_out)
        self.out_edit = QLineEdit()
        self.out_edit.setPlaceholderText("pseudo-label file (.npz)")
        self.out_edit.textEdited.connect(self._out_edited)
        self.device_combo = QComboBox()
        self.device_combo.addItems(list(available_devices()))
        self.replace_check = QCheckBox("replace a file of other data or settings")
        self.replace_check.setToolTip(
            "otherwise a file of the same search is continued, and one of another is refused"
        )
        self.form = ConfigForm(SearchConfig, choices=field_choices(SearchConfig))
        self.form.changed.connect(self._update_buttons)
        self.start_button = QPushButton(qta.icon("mdi6.play"), "Search")
        self.start_button.clicked.connect(self.start)
        self.cancel_button = QPushButton(qta.icon("mdi6.stop"), "Cancel")
        self.cancel_button.setToolTip("stop after the chunk of samples in progress")
        self.cancel_button.clicked.connect(self.cancel)
        self.progress = QProgressBar()
        self.progress.setFormat("%v / %m samples")
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.status_label = QLabel("ready")
        self.error_label = QLabel("")
        self.error_label.setWordWrap(True)
        self.error_label.setStyleSheet("color: #b00020;")
        self.result_text = QPlainTextEdit()
        self.result_text.setReadOnly(True)
        self.result_text.setPlaceholderText("the summary of the search appears here")

        grid = QGridLayout()
        grid.addWidget(QLabel("Dataset"), 0, 0)
        grid.addWidget(self._path_row(self.data_edit, "folder"), 0, 1)
        grid.addWidget(QLabel("Output"), 1, 0)
        grid.addWidget(self._path_row(self.out_edit, "file"), 1, 1)
        grid.addWidget(QLabel("Device"), 2, 0)
        grid.addWidget(self.device_combo, 2, 1)
        grid.addWidget(self.replace_check, 3, 1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.form)
        buttons = QHBoxLayout()
        buttons.addWidget(self.start_button)
        buttons.addWidget(self.cancel_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addLayout(grid)
        layout.addWidget(scroll, 2)
        layout.addLayout(buttons)
        layout.addWidget(self.progress)
        layout.addWidget(self.status_label)
        layout.addWidget(self.error_label)
        layout.addWidget(self.result_text, 1)

        if data_dir is not None:
            self.set_data_dir(data_dir)
        self._set_running(False)

    def _path_row(self, edit: QLineEdit, what: str) -> QWidget:
        return path_row(edit, f"choose the {what}", functools.partial(self._browse, edit, what))

    def _browse(self, edit: QLineEdit, what: str) -> None:
        if what == "folder":
            chosen = QFileDialog.getExistingDirectory(self, "Dataset folder", edit.text())
        else:
            chosen = QFileDialog.getSaveFileName(
                self, "Pseudo-label file", edit.text(), "Pseudo labels (*.npz)"
            )[0]
            self._out_auto = self._out_auto and not chosen
        if chosen:
            edit.setText(chosen)

    # ---- settings -----------------------------------------------------------------------------

    def set_data_dir(self, data_dir: str | Path) -> None:
        """Search this dataset (the output follows unless one was chosen)."""
        self.data_edit.setText(str(data_dir))

    @property
    def data_dir(self) -> Path | None:
        text = self.data_edit.text().strip()
        return Path(text).expanduser() if text else None

    @property
    def out_path(self) -> Path | None:
        text = self.out_edit.text().strip()
        return Path(text).expanduser() if text else None

    def _out_edited(self) -> None:
        self._out_auto = False

    def _suggest_out(self) -> None:
        if self._out_auto and self.data_dir is not None:
            self.out_edit.setText(str(self.data_dir / DEFAULT_PSEUDO_LABELS))

    def config(self) -> SearchConfig:
        """The search settings the form shows.

        Raises:
            ValueError: a field that does not parse or settings SearchConfig refuses.
        """
        return self.form.value()

    # ---- running ------------------------------------------------------------------------------

    def is_running(self) -> bool:
        return self.worker is not None

    def _update_buttons(self) -> None:
        running = self.is_running()
        error = self.form.error()
        if not running:
            self.error_label.setText(error or "")
        self.start_button.setEnabled(not running and error is None)
        self.cancel_button.setEnabled(running)

    def _set_running(self, running: bool) -> None:
        for widget in (
            self.data_edit,
            self.out_edit,
            self.device_combo,
            self.replace_check,
            self.form,
        ):
            widget.setEnabled(not running)
        self._update_buttons()

    def start(self) -> bool:
        """Start the search; False (with a message) when the settings do not allow it."""
        if self.is_running():
            return False
        if self.data_dir is None or not self.data_dir.is_dir():
            self.error_label.setText(f"{self.data_dir or 'no dataset'}: dataset folder not found")
            return False
        if self.out_path is None:
            self.error_label.setText("choose an output file")
            return False
        try:
            config = self.config()
        except ValueError as exc:
            self.error_label.setText(str(exc))
            return False
        self.error_label.setText("")
        self.result_text.clear()
        self.summary = None
        self.progress.setValue(0)
        out = self.out_path
        if out.suffix != ".npz":  # the store writes .npz; keep the name the user will look for
            out = out.with_suffix(".npz")
        self.worker = SearchWorker(
            self.data_dir,
            out,
            config,
            self.device_combo.currentText(),
            replace=self.replace_check.isChecked(),
        )
        # Bound methods: the worker's signals reach them queued, in the GUI thread.
        self.worker.status.connect(self.status_label.setText)
        self.worker.progress.connect(self._on_progress)
        self.worker.finished.connect(self._on_finished)
        self.worker.failed.connect(self._on_failed)
        self.worker.ended.connect(self._on_ended)
        self.thread = start_in_thread(self.worker, "pseudo-label search")
        self._set_running(True)
        return True

    def cancel(self) -> None:
        """Stop after the chunk in progress; the saved part is continued by the next start."""
        if self.worker is not None:
            self.worker.cancel()
            self.status_label.setText("cancelling after the current chunk…")
            self.cancel_button.setEnabled(False)

    def _on_progress(self, done: int, total: int) -> None:
        self.progress.setRange(0, max(1, total))
        self.progress.setValue(done)

    def _on_finished(self, summary: SearchSummary | None) -> None:
        self.summary = summary
        if summary is None:
            self.status_label.setText("cancelled before anything was saved")
            return
        self.result_text.setPlainText("\n".join(summary.lines()))
        self.status_label.setText("cancelled" if summary.cancelled else "done")
        if not summary.cancelled:
            self.completed.emit(summary)

    def _on_failed(self, message: str) -> None:
        self.status_label.setText("failed")
        self.error_label.setText(message)

    def _on_ended(self) -> None:
        error = self.error_label.text()
        self.worker = None
        self.thread = None
        self._set_running(False)
        if error and not self.error_label.text():  # keep the failure message visible
            self.error_label.setText(error)

    def shutdown(self, timeout_ms: int = 30_000) -> bool:
        """Cancel and wait for the search thread (for the main window on quit)."""
        thread = self.thread
        self.cancel()
        return thread is None or thread.wait(timeout_ms)

    def closeEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        self.cancel()
        super().closeEvent(event)
