"""A line edit with a browse button beside it, and the path typed in it (dialogs and config
forms share them)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import qtawesome as qta
from PySide6.QtWidgets import QHBoxLayout, QLineEdit, QToolButton, QWidget


def path_row(edit: QLineEdit, tooltip: str, on_browse: Callable[[], None]) -> QWidget:
    """``edit`` stretched, then a folder button that calls ``on_browse``; returns the row."""
    holder = QWidget()
    row = QHBoxLayout(holder)
    row.setContentsMargins(0, 0, 0, 0)
    row.addWidget(edit, 1)
    browse = QToolButton()
    browse.setIcon(qta.icon("mdi6.folder-open"))
    browse.setToolTip(tooltip)
    browse.clicked.connect(lambda _checked=False: on_browse())
    row.addWidget(browse)
    return holder


def typed_path(edit: QLineEdit) -> Path | None:
    """The path typed in ``edit`` (``~`` expanded), or None while it is blank."""
    text = edit.text().strip()
    return Path(text).expanduser() if text else None
