"""Clothing-transfer page: the person, the second person, and which garments to take."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Signal
from PySide6.QtWidgets import QCheckBox, QGroupBox, QHBoxLayout, QPushButton, QVBoxLayout, QWidget

from spt_core import labels as lb
from spt_studio.widgets.image_panel import ImagePanel
from spt_studio.widgets.label_palette import label_title, swatch


def highlight(image: np.ndarray, parsing: np.ndarray, labels) -> np.ndarray:
    """The photo with everything but the chosen garments dimmed, so the garments that take
    part in the transfer stand out in their own colours."""
    chosen = np.isin(parsing, list(labels))
    out = (image.astype(np.float32) * 0.35 + 40).astype(np.uint8)
    out[chosen] = image[chosen]
    return out


class TransferPanel(QWidget):
    """Two photos side by side and the garment check boxes.

    Signals:
        labels_changed(list): the chosen garment labels.
        load_image_requested(), load_sample_requested()
    """

    labels_changed = Signal(list)
    load_image_requested = Signal()
    load_sample_requested = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        layout = QVBoxLayout(self)
        images = QHBoxLayout()
        self.onto = ImagePanel("this person (keeps face, hair and her pose from Repose)")
        self.clothes_from = ImagePanel("second person (gives the garments)")
        images.addWidget(self.onto)
        images.addWidget(self.clothes_from)
        layout.addLayout(images, 1)
        box = QGroupBox("Garments from the second person")
        row = QHBoxLayout(box)
        self.checks: dict[int, QCheckBox] = {}
        for label in lb.GARMENT_LABELS:
            check = QCheckBox(label_title(label))
            check.setIcon(swatch(label))
            check.setToolTip(f"Take the {label_title(label)} of the second person")
            check.toggled.connect(self._emit_labels)
            row.addWidget(check)
            self.checks[label] = check
        row.addStretch(1)
        self.load_image = QPushButton("Second image...")
        self.load_image.setToolTip("Open a photo of the person whose clothes to take")
        self.load_image.clicked.connect(self.load_image_requested)
        self.load_sample = QPushButton("Second from dataset...")
        self.load_sample.setToolTip("Take the second person from a dataset sample")
        self.load_sample.clicked.connect(self.load_sample_requested)
        row.addWidget(self.load_image)
        row.addWidget(self.load_sample)
        layout.addWidget(box)
        self._quiet = False

    def set_labels(self, labels) -> None:
        """Check exactly ``labels`` (without emitting)."""
        self._quiet = True
        for label, check in self.checks.items():
            check.setChecked(label in labels)
        self._quiet = False

    def labels(self) -> list[int]:
        return [label for label, check in self.checks.items() if check.isChecked()]

    def _emit_labels(self) -> None:
        if not self._quiet:
            self.labels_changed.emit(self.labels())

    def show_people(self, doc) -> None:
        """Refresh both photos from a document."""
        labels = doc.settings.get("transfer_labels", [])
        self.onto.set_image(highlight(doc.image, doc.source_parsing, labels))
        if doc.reference is None:
            self.clothes_from.set_image(None)
            self.clothes_from.title.setText("second person: load one below")
        else:
            ref = doc.reference
            self.clothes_from.set_image(highlight(ref.image, ref.parsing, labels))
            self.clothes_from.title.setText(f"second person: {ref.name}")
