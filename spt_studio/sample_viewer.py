"""A dataset browser: the list of samples of a PG2-layout folder and image | parsing | pose views.

This is the first window of SPT Studio: it lets a user look at a dataset (for example what
``spt synth`` wrote) before the editor proper exists. It reads through ``spt_core`` only.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QImage, QKeySequence, QPixmap
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QMainWindow,
    QMessageBox,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from spt_core import labels as lb
from spt_core import skeleton as sk
from spt_core.data.dataset import PersonDataset
from spt_core.errors import SptError

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


class SampleViewer(QMainWindow):
    """Browse a dataset folder: pick a sample, see its image, parsing and skeleton."""

    def __init__(self, dataset_dir: str | Path | None = None):
        super().__init__()
        self.setWindowTitle("SPT Studio - samples")
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
        self.setCentralWidget(splitter)
        open_action = QAction("&Open dataset folder...", self)
        open_action.setShortcut(QKeySequence.StandardKey.Open)
        open_action.triggered.connect(self.choose_dataset)
        self.menuBar().addMenu("&File").addAction(open_action)
        self.statusBar().showMessage("File > Open dataset folder to browse samples")
        self.resize(900, 560)
        if dataset_dir is not None:
            self.open_dataset(dataset_dir)

    def choose_dataset(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Open dataset folder")
        if folder:
            self.open_dataset(folder)

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
        self.statusBar().showMessage(
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
            self.statusBar().showMessage(str(exc))
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
