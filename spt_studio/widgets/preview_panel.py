"""The newest preview pictures of a training run (name -> RGB uint8), scaled to the panel."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage, QPixmap
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget


def rgb_pixmap(image: np.ndarray) -> QPixmap:
    """An (H, W, 3) uint8 RGB array as a QPixmap (copied: the array may go away)."""
    image = np.ascontiguousarray(image, dtype=np.uint8)
    if image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f"expected an (H, W, 3) RGB image, got shape {image.shape}")
    height, width = image.shape[:2]
    qimage = QImage(image.data, width, height, 3 * width, QImage.Format.Format_RGB888)
    return QPixmap.fromImage(qimage.copy())


class PreviewPanel(QWidget):
    """Shows one of the pictures of the newest PreviewEvent; a combo box picks which when a
    trainer sends several. Enlarged pictures stay blocky (nearest neighbour): at 32x16 a
    smoothed preview would hide exactly the label boundaries one wants to judge.
    """

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.images: dict[str, np.ndarray] = {}
        self.step = 0
        self.caption = QLabel("")
        self.choice = QComboBox()
        self.choice.setVisible(False)
        self.choice.currentTextChanged.connect(self._show)
        self.label = QLabel("previews appear here")
        self.label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.label.setMinimumSize(200, 160)
        top = QHBoxLayout()
        top.addWidget(self.caption, 1)
        top.addWidget(self.choice)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.label, 1)

    def set_images(self, step: int, images: dict[str, np.ndarray]) -> None:
        """Show the pictures of ``step``, keeping the chosen name when it is still there."""
        self.images, self.step = dict(images), step
        current = self.choice.currentText()
        self.choice.blockSignals(True)
        self.choice.clear()
        self.choice.addItems(list(self.images))
        if current in self.images:
            self.choice.setCurrentText(current)
        self.choice.blockSignals(False)
        self.choice.setVisible(len(self.images) > 1)
        self._show()

    def _show(self) -> None:
        name = self.choice.currentText() or next(iter(self.images), "")
        image = self.images.get(name)
        if image is None:
            return
        self.caption.setText(f"{name} preview, step {self.step}")
        pixmap = rgb_pixmap(image)
        size = self.label.size()
        scale = min(size.width() / pixmap.width(), size.height() / pixmap.height())
        mode = (
            Qt.TransformationMode.FastTransformation
            if scale >= 1
            else Qt.TransformationMode.SmoothTransformation
        )
        self.label.setPixmap(pixmap.scaled(size, Qt.AspectRatioMode.KeepAspectRatio, mode))

    def resizeEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        super().resizeEvent(event)
        self._show()
