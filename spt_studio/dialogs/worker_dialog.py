"""What the tool windows that run a worker thread (training, pseudo-label search) share: a
non-modal window, rows of a path edit and its browse button, the progress / status / error
lines, and starting the worker with its signals wired to the window.
"""

from __future__ import annotations

import functools
from pathlib import Path

from PySide6.QtCore import QObject, QThread
from PySide6.QtWidgets import QDialog, QLabel, QLineEdit, QProgressBar, QWidget

from spt_studio.widgets.path_row import path_row, typed_path
from spt_studio.workers.training import start_in_thread


class WorkerDialog(QDialog):
    """A non-modal tool window that runs at most one worker at a time in its own thread.

    A subclass builds its widgets (``data_edit``, the dataset folder, and those of
    :meth:`_build_status_lines` among them) and defines ``_browse(edit, what)``,
    ``_settings_widgets()``, ``_update_buttons()``, ``_on_finished`` and ``_on_failed``.

    Args:
        parent: Qt parent (the main window, or the training dialog for the search).
        title: window title.
        size: initial (width, height).
    """

    def __init__(self, parent: QWidget | None, title: str, size: tuple[int, int]):
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setModal(False)
        self.resize(*size)
        self.worker: QObject | None = None
        self.thread: QThread | None = None

    def _build_status_lines(self, progress_format: str) -> None:
        """The progress bar (``progress_format`` such as "%v / %m samples"), the status line
        and the error line (red, wrapped) under the settings."""
        self.progress = QProgressBar()
        self.progress.setFormat(progress_format)
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.status_label = QLabel("ready")
        self.error_label = QLabel("")
        self.error_label.setWordWrap(True)
        self.error_label.setStyleSheet("color: #b00020;")

    def _browse_row(self, edit: QLineEdit, what: str) -> QWidget:
        """``edit`` with a button that lets the user choose ``what`` (see ``_browse``)."""
        return path_row(edit, f"choose the {what}", functools.partial(self._browse, edit, what))

    @property
    def data_dir(self) -> Path | None:
        """The dataset folder typed in the window, or None."""
        return typed_path(self.data_edit)

    def is_running(self) -> bool:
        """Whether a worker is running (or still winding down)."""
        return self.worker is not None

    def _set_running(self, running: bool) -> None:
        """Lock the settings while a worker runs (it read them when it started), then update
        the buttons."""
        for widget in self._settings_widgets():
            widget.setEnabled(not running)
        self._update_buttons()

    def _settings_widgets(self) -> tuple[QWidget, ...]:
        """The widgets that edit the settings of the next run."""
        raise NotImplementedError

    def _start_worker(self, worker: QObject, thread_name: str) -> None:
        """Run ``worker`` in a new thread named ``thread_name`` and show the window as running.

        The worker's ``status``, ``finished``, ``failed`` and ``ended`` signals are connected
        here; connect any other signal of it before.
        """
        self.worker = worker
        # Bound methods of this dialog (a QObject in the GUI thread): the worker's signals reach
        # them queued, in the GUI thread. A lambda would run in the worker thread instead.
        worker.status.connect(self.status_label.setText)
        worker.finished.connect(self._on_finished)
        worker.failed.connect(self._on_failed)
        worker.ended.connect(self._on_ended)
        self.thread = start_in_thread(worker, thread_name)
        self._set_running(True)

    def _on_ended(self) -> None:
        # The worker has emitted its last signal; its thread is quitting and released later.
        self.worker = None
        self.thread = None
        self._set_running(False)
