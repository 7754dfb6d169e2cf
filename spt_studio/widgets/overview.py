"""The side-by-side strip: source | parsing | pose | result."""

from __future__ import annotations

import numpy as np
from PySide6.QtWidgets import QHBoxLayout, QWidget

from spt_studio.widgets.image_panel import ImagePanel

PANELS = ("source", "parsing", "pose", "result")


class OverviewStrip(QWidget):
    """Four panels in a row; the main window fills them after every change and render."""

    def __init__(self, parent=None):
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        self.panels = {name: ImagePanel(name) for name in PANELS}
        for panel in self.panels.values():
            layout.addWidget(panel)

    def set_images(self, **images: np.ndarray | None) -> None:
        """Set any of ``source``, ``parsing``, ``pose``, ``result``."""
        for name, image in images.items():
            self.panels[name].set_image(image)
