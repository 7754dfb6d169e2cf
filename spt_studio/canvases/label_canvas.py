"""The label canvas: a parsing map painted over the photo.

The colourised map lives in an RGBA numpy buffer that a QImage wraps without copying; an edit
recolours only its changed rectangle in the buffer and asks the scene to repaint only that
rectangle, so painting costs the same on a large photo as on a small one.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QRectF, Qt, Signal
from PySide6.QtGui import QColor, QImage, QPen
from PySide6.QtWidgets import QGraphicsEllipseItem, QGraphicsItem, QStyleOptionGraphicsItem

from spt_core import labels as lb
from spt_studio.canvases.base import DocumentCanvas
from spt_studio.canvases.tools.paint import BrushTool, EraserTool, FillTool, PickerTool
from spt_studio.document import Change

#: RGBA colour of every label; background is transparent so the photo shows through.
RGBA_PALETTE = np.concatenate(
    [lb.PALETTE, np.full((lb.NUM_LABELS, 1), 255, np.uint8)], axis=1
).astype(np.uint8)
RGBA_PALETTE[lb.BACKGROUND, 3] = 0

TOOLS = {"brush": BrushTool, "eraser": EraserTool, "fill": FillTool, "picker": PickerTool}


class LabelOverlay(QGraphicsItem):
    """Draws the colourised labels with an opacity; repaints only exposed rectangles."""

    def __init__(self):
        super().__init__()
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemUsesExtendedStyleOption, True)
        self.rgba = np.zeros((1, 1, 4), np.uint8)
        self.qimage = QImage()
        self.overlay_opacity = 0.6

    def set_labels(self, labels: np.ndarray) -> None:
        """Recolour everything (a new map or size)."""
        self.prepareGeometryChange()
        height, width = labels.shape
        # Qt owns the pixels and self.rgba is a numpy view of them, so recolouring a block
        # updates the image in place. (Wrapping a numpy buffer in a QImage instead trips a
        # reference-count bug in PySide6: "none_dealloc" at exit.)
        self.qimage = QImage(width, height, QImage.Format.Format_RGBA8888)
        stride = self.qimage.bytesPerLine()
        pixels = np.frombuffer(self.qimage.bits(), np.uint8).reshape(height, stride)
        self.rgba = pixels[:, : 4 * width].reshape(height, width, 4)
        self.rgba[:] = RGBA_PALETTE[labels]
        self.update()

    def update_rect(self, labels: np.ndarray, rect: tuple[int, int, int, int]) -> None:
        """Recolour and repaint one rectangle (top, bottom, left, right)."""
        top, bottom, left, right = rect
        self.rgba[top:bottom, left:right] = RGBA_PALETTE[labels[top:bottom, left:right]]
        self.update(QRectF(left, top, right - left, bottom - top))

    def boundingRect(self) -> QRectF:  # noqa: N802 - Qt override
        return QRectF(0, 0, self.rgba.shape[1], self.rgba.shape[0])

    def paint(self, painter, option: QStyleOptionGraphicsItem, widget=None) -> None:
        if self.qimage.isNull():
            return
        exposed = option.exposedRect.intersected(self.boundingRect()).toAlignedRect()
        painter.setOpacity(self.overlay_opacity)
        painter.drawImage(exposed, self.qimage, exposed)


class LabelCanvas(DocumentCanvas):
    """Photo + parsing overlay; paint with the current tool and label.

    Signals:
        label_changed(int): the current label changed (palette key or picker).
    """

    label_changed = Signal(int)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.layer = "target_parsing"
        self.label = lb.UPPER_CLOTHES
        self.brush_size = 5.0
        self.overlay = LabelOverlay()
        self.overlay.setZValue(1)
        self.scene().addItem(self.overlay)
        self.brush_cursor = QGraphicsEllipseItem()
        pen = QPen(QColor("white"), 1.5, Qt.PenStyle.DashLine)
        pen.setCosmetic(True)
        self.brush_cursor.setPen(pen)
        self.brush_cursor.setZValue(20)
        self.brush_cursor.setVisible(False)
        self.scene().addItem(self.brush_cursor)
        self.tools = {name: cls(self) for name, cls in TOOLS.items()}
        self.tool = self.tools["brush"]

    # -- state ----------------------------------------------------------------------------------

    def show_document(self) -> None:
        super().show_document()
        self._show_labels()

    def _show_labels(self) -> None:
        """Recolour the whole overlay from the layer being painted (kept when no document)."""
        if self.history is not None:
            self.overlay.set_labels(self.history.doc.parsing(self.layer))

    def set_layer(self, layer: str) -> None:
        """Paint the target parsing (what the result uses) or fix the source parsing."""
        self.layer = layer
        self._show_labels()

    def on_change(self, change: Change) -> None:
        if self.history is None:
            return
        doc = self.history.doc
        if change.what == "all":
            self.show_document()
        elif change.what == "parsing" and change.layer == self.layer:
            if change.rect is None:
                self.overlay.set_labels(doc.parsing(self.layer))
            else:
                self.overlay.update_rect(doc.parsing(self.layer), change.rect)

    def set_tool(self, name: str) -> None:
        self.tool = self.tools[name]
        self.brush_cursor.setVisible(False)

    def set_label(self, label: int) -> None:
        if label != self.label:
            self.label = int(label)
            self.label_changed.emit(self.label)

    def set_brush_size(self, size: float) -> None:
        self.brush_size = float(np.clip(size, 1, 200))
        self._place_cursor(self.brush_cursor.data(0))

    def set_opacity(self, opacity: float) -> None:
        self.overlay.overlay_opacity = float(np.clip(opacity, 0.0, 1.0))
        self.overlay.update()

    # -- mouse ------------------------------------------------------------------------------------

    def _place_cursor(self, point) -> None:
        """Put the brush preview (a circle of the brush's footprint) at ``point`` (x, y)."""
        if point is None or self.tool.name not in ("brush", "eraser"):
            self.brush_cursor.setVisible(False)
            return
        self.brush_cursor.setData(0, point)
        r = self.brush_size / 2.0
        centre = self.to_scene(*point)
        self.brush_cursor.setRect(QRectF(centre.x() - r, centre.y() - r, 2 * r, 2 * r))
        self.brush_cursor.setVisible(True)

    def mousePressEvent(self, event) -> None:  # noqa: N802 - Qt override
        if self.start_pan(event):
            return
        if self.history is not None and event.button() == Qt.MouseButton.LeftButton:
            self.tool.press(event)

    def mouseMoveEvent(self, event) -> None:  # noqa: N802 - Qt override
        if self.continue_pan(event):
            return
        point = self.event_image_pos(event)
        self._place_cursor(point)
        self.cursor_moved.emit(*point)
        if self.history is not None and event.buttons() & Qt.MouseButton.LeftButton:
            self.tool.move(event)

    def mouseReleaseEvent(self, event) -> None:  # noqa: N802 - Qt override
        if self.end_pan():
            return
        if self.history is not None and event.button() == Qt.MouseButton.LeftButton:
            self.tool.release(event)

    def leaveEvent(self, event) -> None:  # noqa: N802 - Qt override
        self.brush_cursor.setVisible(False)
        super().leaveEvent(event)

    def image_to_view(self, x: float, y: float):
        """Viewport point of image coordinate (x, y) (tests drive the mouse with it)."""
        return self.mapFromScene(self.to_scene(x, y))
