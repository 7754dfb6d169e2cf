"""The palette of the 10 parsing labels: colour, name, key (0-9)."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QIcon, QPixmap
from PySide6.QtWidgets import QButtonGroup, QToolButton, QVBoxLayout, QWidget

from spt_core import labels as lb


def swatch(label: int, size: int = 16) -> QIcon:
    """A square icon in the label's colour."""
    pixmap = QPixmap(size, size)
    pixmap.fill(QColor(*(int(c) for c in lb.PALETTE[label])))
    return QIcon(pixmap)


def label_title(label: int) -> str:
    return lb.LABEL_NAMES[label].replace("_", " ")


class LabelPalette(QWidget):
    """One checkable button per label; exactly one is current.

    Signals:
        label_selected(int)
    """

    label_selected = Signal(int)

    def __init__(self, parent=None):
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.setSpacing(1)
        self.group = QButtonGroup(self)
        self.group.setExclusive(True)
        self.buttons: list[QToolButton] = []
        for label in range(lb.NUM_LABELS):
            button = QToolButton()
            button.setText(f"{label}  {label_title(label)}")
            button.setIcon(swatch(label))
            button.setCheckable(True)
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
            button.setSizePolicy(
                button.sizePolicy().horizontalPolicy().Expanding,
                button.sizePolicy().verticalPolicy(),
            )
            tip = "background (the eraser paints it)" if label == 0 else label_title(label)
            button.setToolTip(f"Paint {tip}  [key {label}]")
            self.group.addButton(button, label)
            layout.addWidget(button)
            self.buttons.append(button)
        layout.addStretch(1)
        self.group.idClicked.connect(self.label_selected)
        self.set_label(lb.UPPER_CLOTHES)

    def set_label(self, label: int) -> None:
        """Check the button of ``label`` (without emitting)."""
        self.buttons[label].setChecked(True)

    @property
    def label(self) -> int:
        return self.group.checkedId()
