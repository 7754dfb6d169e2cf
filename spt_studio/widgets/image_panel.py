"""A titled panel that shows an RGB array scaled to fit, sharp pixels when enlarged."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QPainter, QPixmap
from PySide6.QtWidgets import QLabel, QSizePolicy, QVBoxLayout, QWidget

from spt_studio.canvases.base import rgb_to_qimage


class ImageView(QWidget):
    """Paints one image centred and scaled to fit (nearest neighbour when enlarging)."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.pixmap = QPixmap()
        self.image: np.ndarray | None = None
        self.region: QRectF | None = None  # the part shown (image pixels); None: all
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(48, 64)

    def set_image(self, rgb: np.ndarray | None) -> None:
        self.image = None if rgb is None else np.ascontiguousarray(rgb)
        self.pixmap = QPixmap() if rgb is None else QPixmap.fromImage(rgb_to_qimage(rgb))
        self.update()

    def set_region(self, region: QRectF | None) -> None:
        """Show only ``region`` of the image (image pixels, e.g. what a zoomed canvas shows),
        scaled to fit; None shows the whole image."""
        self.region = None if region is None else QRectF(region)
        self.update()

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt override
        return QSize(128, 256)

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt override
        painter = QPainter(self)
        painter.fillRect(self.rect(), self.palette().dark())
        if self.pixmap.isNull():
            painter.setPen(self.palette().light().color())
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, "-")
            return
        region = self.region
        if region is None or region.isEmpty():
            region = QRectF(0, 0, self.pixmap.width(), self.pixmap.height())
        # The region scaled to fit and centred; the image drawn where that puts it.
        scale = min(self.width() / region.width(), self.height() / region.height())
        x = (self.width() - region.width() * scale) / 2 - region.x() * scale
        y = (self.height() - region.height() * scale) / 2 - region.y() * scale
        target = QRectF(x, y, self.pixmap.width() * scale, self.pixmap.height() * scale)
        smooth = scale < 1  # shrinking: smooth; enlarging: sharp pixels
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, smooth)
        painter.drawPixmap(target, self.pixmap, QRectF(self.pixmap.rect()))


class ImagePanel(QWidget):
    """An :class:`ImageView` with a title above it."""

    def __init__(self, title: str, parent=None):
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.setSpacing(2)
        self.title = QLabel(title, alignment=Qt.AlignmentFlag.AlignCenter)
        self.view = ImageView()
        layout.addWidget(self.title)
        layout.addWidget(self.view, 1)

    def set_image(self, rgb: np.ndarray | None) -> None:
        self.view.set_image(rgb)

    def set_region(self, region: QRectF | None) -> None:
        self.view.set_region(region)

    @property
    def image(self) -> np.ndarray | None:
        return self.view.image
