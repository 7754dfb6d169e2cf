"""Drawing a box around the person to edit (Pose > Frame the person): where the photo shows
several people, or where no detector can find the person."""

from __future__ import annotations

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QPen
from PySide6.QtWidgets import QGraphicsRectItem

from spt_studio.canvases.tools.base import Tool


class BoxTool(Tool):
    """Press, drag, release: a rubber-band box; the canvas's ``person_boxed`` signal carries it
    (x0, y0, x1, y1 in image pixels) on release."""

    name = "frame the person"

    def __init__(self, canvas):
        super().__init__(canvas)
        self.start: tuple[float, float] | None = None
        self.band = QGraphicsRectItem()
        pen = QPen(QColor(255, 220, 60), 2, Qt.PenStyle.DashLine)
        pen.setCosmetic(True)  # the same width at every zoom
        self.band.setPen(pen)
        self.band.setZValue(20)
        self.band.setVisible(False)
        canvas.scene().addItem(self.band)

    def _rect(self, end: tuple[float, float]) -> QRectF:
        a = self.canvas.to_scene(*self.start)
        b = self.canvas.to_scene(*end)
        return QRectF(a, b).normalized()

    def press(self, event) -> None:
        self.start = self.canvas.event_image_pos(event)
        self.band.setRect(self._rect(self.start))
        self.band.setVisible(True)

    def move(self, event) -> None:
        if self.start is not None:
            self.band.setRect(self._rect(self.canvas.event_image_pos(event)))

    def release(self, event) -> None:
        if self.start is None:
            return
        (x0, y0), (x1, y1) = self.start, self.canvas.event_image_pos(event)
        self.start = None
        self.band.setVisible(False)
        self.canvas.person_boxed.emit(float(x0), float(y0), float(x1), float(y1))
