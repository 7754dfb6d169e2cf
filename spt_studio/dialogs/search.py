"""Tools > Pseudo-label search: run the search over a dataset with progress, cancel and a summary.

The result file (``pseudo_labels.npz`` in the dataset folder unless another is chosen) is what
the semantic network trains on; the training dialog looks there by default.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from spt_core.config import SearchConfig, field_choices
from spt_core.search.store import DEFAULT_PSEUDO_LABELS
from spt_studio.dialogs.worker_dialog import WorkerDialog
from spt_studio.widgets.config_form import ConfigForm
from spt_studio.widgets.factories import device_combo, line_edit, push_button, scrolled
from spt_studio.widgets.path_row import typed_path
from spt_studio.workers.search import SearchSummary, SearchWorker


class SearchDialog(WorkerDialog):
    """Non-modal pseudo-label search window.

    Args:
        parent: Qt parent.
        data_dir: dataset folder to start with.

    Signals:
        completed(object): the :class:`SearchSummary` of a search that ran to the end.
    """

    completed = Signal(object)

    def __init__(self, parent: QWidget | None = None, data_dir: Path | None = None):
        super().__init__(parent, "Pseudo-label search", (620, 640))
        self.summary: SearchSummary | None = None
        self._out_auto = True

        self.data_edit = line_edit("dataset folder (PG2 layout, with parsing maps)")
        self.data_edit.textChanged.connect(self._suggest_out)
        self.out_edit = line_edit("pseudo-label file (.npz)")
        self.out_edit.textEdited.connect(self._out_edited)
        self.device_combo = device_combo()
        self.replace_check = QCheckBox("replace a file of other data or settings")
        self.replace_check.setToolTip(
            "otherwise a file of the same search is continued, and one of another is refused"
        )
        self.form = ConfigForm(SearchConfig, choices=field_choices(SearchConfig))
        self.form.changed.connect(self._update_buttons)
        self.start_button = push_button("mdi6.play", "Search", self.start)
        self.cancel_button = push_button(
            "mdi6.stop", "Cancel", self.cancel, "stop after the chunk of samples in progress"
        )
        self._build_status_lines("%v / %m samples")
        self.result_text = QPlainTextEdit()
        self.result_text.setReadOnly(True)
        self.result_text.setPlaceholderText("the summary of the search appears here")

        grid = QGridLayout()
        grid.addWidget(QLabel("Dataset"), 0, 0)
        grid.addWidget(self._browse_row(self.data_edit, "folder"), 0, 1)
        grid.addWidget(QLabel("Output"), 1, 0)
        grid.addWidget(self._browse_row(self.out_edit, "file"), 1, 1)
        grid.addWidget(QLabel("Device"), 2, 0)
        grid.addWidget(self.device_combo, 2, 1)
        grid.addWidget(self.replace_check, 3, 1)
        buttons = QHBoxLayout()
        buttons.addWidget(self.start_button)
        buttons.addWidget(self.cancel_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addLayout(grid)
        layout.addWidget(scrolled(self.form), 2)
        layout.addLayout(buttons)
        layout.addWidget(self.progress)
        layout.addWidget(self.status_label)
        layout.addWidget(self.error_label)
        layout.addWidget(self.result_text, 1)

        if data_dir is not None:
            self.set_data_dir(data_dir)
        self._set_running(False)

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
    def out_path(self) -> Path | None:
        return typed_path(self.out_edit)

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

    def _update_buttons(self) -> None:
        running = self.is_running()
        error = self.form.error()
        if not running:
            self.error_label.setText(error or "")
        self.start_button.setEnabled(not running and error is None)
        self.cancel_button.setEnabled(running)

    def _settings_widgets(self) -> tuple[QWidget, ...]:
        return (self.data_edit, self.out_edit, self.device_combo, self.replace_check, self.form)

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
        worker = SearchWorker(
            self.data_dir,
            out,
            config,
            self.device_combo.currentText(),
            replace=self.replace_check.isChecked(),
        )
        worker.progress.connect(self._on_progress)
        self._start_worker(worker, "pseudo-label search")
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
        super()._on_ended()
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
