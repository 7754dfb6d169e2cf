"""Small widget builders the dialogs share, so each window's construction reads as a list of
its controls instead of repeating the same three lines (create, configure, connect) per widget.
"""

from __future__ import annotations

from collections.abc import Callable

import qtawesome as qta
from PySide6.QtWidgets import QComboBox, QLineEdit, QPushButton, QScrollArea, QWidget

from spt_core.devices import available_devices

#: Tooltip of a device combo box whose first entry is "auto".
AUTO_DEVICE_TIP = "auto picks CUDA when this machine has it"


def line_edit(placeholder: str) -> QLineEdit:
    """An empty line edit that says what belongs in it."""
    edit = QLineEdit()
    edit.setPlaceholderText(placeholder)
    return edit


def push_button(
    icon: str, text: str, on_click: Callable[[], object], tooltip: str | None = None
) -> QPushButton:
    """A button with a qtawesome ``icon`` (e.g. "mdi6.play") that calls ``on_click``."""
    button = QPushButton(qta.icon(icon), text)
    if tooltip is not None:
        button.setToolTip(tooltip)
    button.clicked.connect(on_click)
    return button


def device_combo(tooltip: str | None = None) -> QComboBox:
    """A combo box of the devices this machine can run on ("auto" first)."""
    combo = QComboBox()
    combo.addItems(list(available_devices()))
    if tooltip is not None:
        combo.setToolTip(tooltip)
    return combo


def scrolled(widget: QWidget) -> QScrollArea:
    """``widget`` in a scroll area that resizes it (long settings forms stay usable)."""
    scroll = QScrollArea()
    scroll.setWidgetResizable(True)
    scroll.setWidget(widget)
    return scroll
