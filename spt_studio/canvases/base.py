"""A zoomable, pannable view of one photo, and the same view following an edited document;
the pose and label canvases build on them.

Scene coordinates: pixel (row r, column c) covers the square [c, c+1) x [r, r+1), so the pixel
centre, which is image coordinate (x=c, y=r) in the pose and label-map convention, sits at scene
point (c + 0.5, r + 0.5). :meth:`ImageCanvas.to_image` and :meth:`ImageCanvas.to_scene` convert.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QImage, QPainter, QPixmap
from PySide6.QtWidgets import QGraphicsPixmapItem, QGraphicsScene, QGraphicsView

from spt_studio import resources  # noqa: F401 - PySide6/3.11 None refcount guard
from spt_studio.document import Change, History

#: Zoom limits (view pixels per image pixel).
MIN_ZOOM, MAX_ZOOM = 0.25, 64.0


def rgb_to_qimage(rgb: np.ndarray) -> QImage:
    """A deep-copied QImage of an (H, W, 3) uint8 RGB array."""
    rgb = np.ascontiguousarray(rgb)
    height, width = rgb.shape[:2]
    return QImage(rgb.data, width, height, 3 * width, QImage.Format.Format_RGB888).copy()


class ImageCanvas(QGraphicsView):
    """Photo in a scene, wheel zoom about the cursor, pan with the middle button or Space+drag.

    Signals:
        cursor_moved(x, y): image coordinates under the mouse (pixel-centre convention).
        view_changed(region): the part of the photo shown after a zoom, pan or resize, a
            QRectF in photo pixels, or None when the whole photo is fitted (the result view
            follows it).
    """

    cursor_moved = Signal(float, float)
    view_changed = Signal(object)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setScene(QGraphicsScene(self))
        self.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.NoAnchor)
        self.setResizeAnchor(QGraphicsView.ViewportAnchor.AnchorViewCenter)
        self.setDragMode(QGraphicsView.DragMode.NoDrag)
        self.setMouseTracking(True)
        self.setBackgroundBrush(Qt.GlobalColor.darkGray)
        # Panning uses the (hidden) scroll bars: middle button or Space + drag, no bars.
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        # Only the changed region is redrawn (the paint overlay updates small rectangles).
        self.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.MinimalViewportUpdate)
        self.photo_item = QGraphicsPixmapItem()
        self.photo_item.setZValue(0)
        self.photo_item.setTransformationMode(Qt.TransformationMode.FastTransformation)
        self.scene().addItem(self.photo_item)
        self.image_size: tuple[int, int] = (0, 0)
        self._pan_from: QPointF | None = None
        self._space_down = False
        self._fitted = True

    # -- content ----------------------------------------------------------------------------

    def set_photo(self, rgb: np.ndarray | None) -> None:
        """Show a photo (None clears); a new size refits the view."""
        if rgb is None:
            self.photo_item.setPixmap(QPixmap())
            self.image_size = (0, 0)
            return
        size = (int(rgb.shape[0]), int(rgb.shape[1]))
        self.photo_item.setPixmap(QPixmap.fromImage(rgb_to_qimage(rgb)))
        if size != self.image_size:
            self.image_size = size
            # A wide margin around the photo: handles at the border stay grabbable, and a
            # zoomed view can pan (and zoom about the cursor) past the photo's edges.
            margin = float(max(size))
            self.setSceneRect(QRectF(-margin, -margin, size[1] + 2 * margin, size[0] + 2 * margin))
            self.fit()

    # -- coordinates --------------------------------------------------------------------------

    @staticmethod
    def to_image(scene: QPointF) -> tuple[float, float]:
        return (scene.x() - 0.5, scene.y() - 0.5)

    @staticmethod
    def to_scene(x: float, y: float) -> QPointF:
        return QPointF(x + 0.5, y + 0.5)

    def event_image_pos(self, event) -> tuple[float, float]:
        return self.to_image(self.mapToScene(event.position().toPoint()))

    # -- zoom and pan ---------------------------------------------------------------------------

    @property
    def zoom(self) -> float:
        return float(self.transform().m11())

    def set_zoom(self, zoom: float, anchor: QPointF | None = None) -> None:
        """Zoom to ``zoom`` keeping the scene point under viewport point ``anchor`` (default:
        the viewport centre) where it is."""
        zoom = float(np.clip(zoom, MIN_ZOOM, MAX_ZOOM))
        self._fitted = False
        if anchor is None:
            anchor = QPointF(self.viewport().width() / 2, self.viewport().height() / 2)
        fixed = self.mapToScene(anchor.toPoint())
        self.scale(zoom / self.zoom, zoom / self.zoom)
        # Scroll so that the scene point comes back under the anchor (done by hand: the
        # AnchorUnderMouse option follows the real cursor, not the event's position).
        moved = self.mapFromScene(fixed) - anchor.toPoint()
        self.horizontalScrollBar().setValue(self.horizontalScrollBar().value() + moved.x())
        self.verticalScrollBar().setValue(self.verticalScrollBar().value() + moved.y())
        self._emit_view()

    def zoom_by(self, factor: float, anchor: QPointF | None = None) -> None:
        self.set_zoom(self.zoom * factor, anchor)

    def fit(self) -> None:
        """Fit the whole photo in the view."""
        if self.image_size == (0, 0):
            return
        height, width = self.image_size
        self.fitInView(QRectF(0, 0, width, height), Qt.AspectRatioMode.KeepAspectRatio)
        self._fitted = True
        self._emit_view()

    def shown_region(self) -> QRectF | None:
        """The part of the photo (scene = photo pixels) the view shows; None when fitted."""
        if self._fitted or self.image_size == (0, 0):
            return None
        return self.mapToScene(self.viewport().rect()).boundingRect()

    def _emit_view(self) -> None:
        self.view_changed.emit(self.shown_region())

    def scrollContentsBy(self, dx: int, dy: int) -> None:  # noqa: N802 - Qt override
        super().scrollContentsBy(dx, dy)
        self._emit_view()

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        if self._fitted:
            self.fit()
        else:
            self._emit_view()

    def wheelEvent(self, event) -> None:  # noqa: N802 - Qt override
        steps = event.angleDelta().y() / 120.0
        if steps:
            self.zoom_by(1.25**steps, event.position())

    def keyPressEvent(self, event) -> None:  # noqa: N802 - Qt override
        if event.key() == Qt.Key.Key_Space and not event.isAutoRepeat():
            self._space_down = True
            self.viewport().setCursor(Qt.CursorShape.OpenHandCursor)
            return
        super().keyPressEvent(event)

    def keyReleaseEvent(self, event) -> None:  # noqa: N802 - Qt override
        if event.key() == Qt.Key.Key_Space and not event.isAutoRepeat():
            self._space_down = False
            self.viewport().unsetCursor()
            return
        super().keyReleaseEvent(event)

    def start_pan(self, event) -> bool:
        """Begin a pan for a middle click or Space+left click; True when it did."""
        button = event.button()
        if button == Qt.MouseButton.MiddleButton or (
            button == Qt.MouseButton.LeftButton and self._space_down
        ):
            self._pan_from = event.position()
            self.viewport().setCursor(Qt.CursorShape.ClosedHandCursor)
            return True
        return False

    def continue_pan(self, event) -> bool:
        if self._pan_from is None:
            return False
        delta = event.position() - self._pan_from
        self._pan_from = event.position()
        self.horizontalScrollBar().setValue(self.horizontalScrollBar().value() - int(delta.x()))
        self.verticalScrollBar().setValue(self.verticalScrollBar().value() - int(delta.y()))
        return True

    def end_pan(self) -> bool:
        if self._pan_from is None:
            return False
        self._pan_from = None
        self.viewport().unsetCursor()
        return True


class DocumentCanvas(ImageCanvas):
    """An image canvas that shows the document of a :class:`History` and follows its changes.

    Subclasses define :meth:`on_change` and extend :meth:`show_document` with what they draw
    over the photo.
    """

    def __init__(self, parent=None):
        super().__init__(parent)
        self.history: History | None = None

    def set_history(self, history: History | None) -> None:
        """Show (and edit) the document of ``history``; None shows nothing."""
        if self.history is not None:
            self.history.remove_listener(self.on_change)
        self.history = history
        if history is not None:
            history.add_listener(self.on_change)
        self.show_document()

    def show_document(self) -> None:
        """Redraw everything from the document: here its photo (cleared when there is none)."""
        self.set_photo(None if self.history is None else self.history.doc.image)

    def on_change(self, change: Change) -> None:
        """Redraw what ``change`` touched (the History calls it after every edit)."""
        raise NotImplementedError
