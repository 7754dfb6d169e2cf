"""A dataset browser: the list of samples of a PG2-layout folder and image | parsing | pose views.

This is the first window of SPT Studio: it lets a user look at a dataset (for example what
``spt synth`` wrote) before the editor proper exists. It reads through ``spt_core`` only.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QImage, QKeySequence, QPixmap
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QMainWindow,
    QMessageBox,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from spt_core import labels as lb
from spt_core import skeleton as sk
from spt_core.data.dataset import PersonDataset
from spt_core.errors import SptError
from spt_studio import resources  # noqa: F401 - PySide6/3.11 None refcount guard

PANEL_TITLES = ("image", "parsing", "pose")


def to_pixmap(rgb: np.ndarray, scale: int) -> QPixmap:
    """An RGB uint8 array as a pixmap enlarged by ``scale`` with nearest neighbour."""
    rgb = np.ascontiguousarray(rgb)
    height, width = rgb.shape[:2]
    image = QImage(rgb.data, width, height, 3 * width, QImage.Format.Format_RGB888).copy()
    return QPixmap.fromImage(image).scaled(
        width * scale,
        height * scale,
        Qt.AspectRatioMode.KeepAspectRatio,
        Qt.TransformationMode.FastTransformation,
    )


class SampleBrowser(QWidget):
    """A dataset's sample list beside image | parsing | pose views (used by the viewer window
    and by the editor's File > Open dataset sample dialog).

    Signals:
        status(str): a one-line summary for a status bar.
    """

    status = Signal(str)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.dataset: PersonDataset | None = None
        self.samples = QListWidget()
        self.samples.currentRowChanged.connect(self.show_sample)
        self.panels = [QLabel(alignment=Qt.AlignmentFlag.AlignCenter) for _ in PANEL_TITLES]
        views = QWidget()
        row = QHBoxLayout(views)
        for title, panel in zip(PANEL_TITLES, self.panels, strict=True):
            column = QVBoxLayout()
            column.addWidget(QLabel(title, alignment=Qt.AlignmentFlag.AlignCenter))
            column.addWidget(panel, 1)
            row.addLayout(column)
        splitter = QSplitter()
        splitter.addWidget(self.samples)
        splitter.addWidget(views)
        splitter.setStretchFactor(1, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(splitter)

    def open_dataset(self, folder: str | Path) -> bool:
        """Load a dataset folder; on bad data show the error and keep the current one."""
        try:
            dataset = PersonDataset(folder)
        except SptError as exc:
            QMessageBox.warning(self, "Cannot open dataset", str(exc))
            return False
        self.dataset = dataset
        self.samples.clear()
        self.samples.addItems(dataset.names)
        report = dataset.report
        self.status.emit(
            f"{folder}: {report.usable} samples, {report.identities} people, "
            f"{len(report.without_torso)} without torso filtered"
        )
        if len(dataset):
            self.samples.setCurrentRow(0)
        return True

    def show_sample(self, index: int) -> None:
        if self.dataset is None or index < 0:
            return
        try:
            sample = self.dataset[index]
        except SptError as exc:
            self.status.emit(str(exc))
            return
        scale = max(1, 320 // sample.image.shape[0])
        parsing = (
            lb.colorize(sample.parsing)
            if sample.parsing is not None
            else np.zeros_like(sample.image)
        )
        skeleton = sk.draw_skeleton(sample.image // 2, sample.pose)
        for panel, picture in zip(self.panels, (sample.image, parsing, skeleton), strict=True):
            panel.setPixmap(to_pixmap(picture, scale))


class SampleViewer(QMainWindow):
    """Browse a dataset folder: pick a sample, see its image, parsing and skeleton."""

    def __init__(self, dataset_dir: str | Path | None = None):
        super().__init__()
        self.setWindowTitle("SPT Studio - samples")
        self.browser = SampleBrowser()
        self.browser.status.connect(self.statusBar().showMessage)
        self.samples = self.browser.samples
        self.panels = self.browser.panels
        self.setCentralWidget(self.browser)
        open_action = QAction("&Open dataset folder...", self)
        open_action.setShortcut(QKeySequence.StandardKey.Open)
        open_action.triggered.connect(self.choose_dataset)
        self.menuBar().addMenu("&File").addAction(open_action)
        self.statusBar().showMessage("File > Open dataset folder to browse samples")
        self.resize(900, 560)
        if dataset_dir is not None:
            self.open_dataset(dataset_dir)

    @property
    def dataset(self) -> PersonDataset | None:
        return self.browser.dataset

    def choose_dataset(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Open dataset folder")
        if folder:
            self.open_dataset(folder)

    def open_dataset(self, folder: str | Path) -> bool:
        """Load a dataset folder; on bad data show the error and keep the current one."""
        return self.browser.open_dataset(folder)


class SamplePickerDialog(QDialog):
    """Pick one sample of a dataset folder (File > Open dataset sample, pose copy, transfer).

    After ``exec()`` returns Accepted, :attr:`dataset` and :attr:`index` name the sample.
    """

    #: The folder last opened, offered again next time.
    last_folder: str | None = None

    def __init__(
        self, parent=None, folder: str | Path | None = None, title: str = "Dataset sample"
    ):
        super().__init__(parent)
        self.setWindowTitle(title)
        self.browser = SampleBrowser()
        self.status = QLabel("Open a dataset folder (PG2 layout, e.g. what spt synth writes)")
        self.browser.status.connect(self.status.setText)
        self.browser.samples.itemDoubleClicked.connect(lambda _item: self.accept())
        choose = QPushButton("Dataset folder...")
        choose.clicked.connect(self.choose_dataset)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        bottom = QHBoxLayout()
        bottom.addWidget(choose)
        bottom.addWidget(self.status, 1)
        bottom.addWidget(buttons)
        layout = QVBoxLayout(self)
        layout.addWidget(self.browser, 1)
        layout.addLayout(bottom)
        self.resize(820, 480)
        folder = folder or SamplePickerDialog.last_folder
        if folder is not None and Path(folder).is_dir():
            self.open_dataset(folder)

    def open_dataset(self, folder: str | Path) -> bool:
        ok = self.browser.open_dataset(folder)
        if ok:
            SamplePickerDialog.last_folder = str(folder)
        return ok

    def choose_dataset(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Open dataset folder")
        if folder:
            self.open_dataset(folder)

    @property
    def dataset(self) -> PersonDataset | None:
        return self.browser.dataset

    @property
    def index(self) -> int:
        return self.browser.samples.currentRow()
