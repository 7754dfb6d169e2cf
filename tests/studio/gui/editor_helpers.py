"""Helpers of the editor GUI tests: mouse drives with QTest, view/image coordinates, hand-made
label maps."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest

SIZE = (128, 64)


def wait_for_render(qtbot, window, timeout: int = 15000) -> None:
    """Wait until every requested render has finished."""
    qtbot.waitUntil(
        lambda: not window.renderer.busy and window.renderer.pending is None, timeout=timeout
    )


def view_point(canvas, x: float, y: float) -> QPoint:
    """Viewport position of image point (x, y)."""
    return canvas.mapFromScene(canvas.to_scene(x, y))


def image_point(canvas, point: QPoint) -> tuple[float, float]:
    """Image coordinates of a viewport position (what the canvas receives)."""
    return canvas.to_image(canvas.mapToScene(point))


def drag(canvas, points: list[QPoint], delay: int = 0) -> None:
    """Press at the first point, move through the rest, release at the last."""
    viewport = canvas.viewport()
    QTest.mousePress(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, points[0])
    for point in points[1:]:
        QTest.mouseMove(viewport, point, delay)
    QTest.mouseRelease(
        viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, points[-1]
    )


def set_zoom(canvas, zoom: float, centre: tuple[float, float]) -> None:
    """A known zoom, centred on an image point."""
    canvas.resetTransform()
    canvas.scale(zoom, zoom)
    canvas.centerOn(canvas.to_scene(*centre))


def horizontal_capsule(size, x0: float, x1: float, y: float, radius: float) -> np.ndarray:
    """Pixels whose centre is within ``radius`` of the horizontal segment (x0, y)-(x1, y),
    written out case by case: the band over the segment, and the two end discs."""
    ys, xs = np.mgrid[: size[0], : size[1]].astype(np.float64)
    left, right = min(x0, x1), max(x0, x1)
    band = (xs >= left) & (xs <= right) & (np.abs(ys - y) <= radius)
    ends = ((xs - left) ** 2 + (ys - y) ** 2 <= radius**2) | (
        (xs - right) ** 2 + (ys - y) ** 2 <= radius**2
    )
    return band | ends
