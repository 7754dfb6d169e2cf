"""Actions from a table: one :class:`ActionSpec` row per command (text, icon, shortcut, tip,
slot), turned into QActions and laid into menus and toolbars by key."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QActionGroup, QIcon, QKeySequence


def icon(name: str) -> QIcon:
    """A qtawesome icon, or an empty one when qtawesome cannot draw it."""
    try:
        import qtawesome

        return qtawesome.icon(name)
    except Exception:  # noqa: BLE001 - an icon is never worth a crash
        return QIcon()


@dataclass
class ActionSpec:
    """One row of the action table."""

    key: str
    text: str
    slot: object
    icon: str = ""
    shortcut: str | QKeySequence.StandardKey | None = None
    tip: str = ""
    checkable: bool = False
    needs_document: bool = True
    pass_checked: bool = False  # call slot(checked) instead of slot()
    extra_shortcuts: tuple[str, ...] = ()  # more keys for the same command (Ctrl+Y for redo)


def create_actions(parent, specs: list[ActionSpec]) -> dict[str, QAction]:
    """QActions for ``specs`` (icon, shortcut shown in the tooltip, window-wide shortcut),
    added to ``parent`` so their shortcuts work whichever child has focus."""
    actions = {}
    for spec in specs:
        action = QAction(icon(spec.icon) if spec.icon else QIcon(), spec.text, parent)
        if spec.shortcut:
            action.setShortcut(QKeySequence(spec.shortcut))
        if spec.extra_shortcuts:
            # Each key once: a key bound twice is ambiguous to Qt and triggers nothing.
            keys = list(action.shortcuts())
            for extra in map(QKeySequence, spec.extra_shortcuts):
                if extra not in keys:
                    keys.append(extra)
            action.setShortcuts(keys)
        tip = spec.tip or spec.text.replace("&", "").rstrip(".")
        if spec.shortcut:
            tip += f"  ({action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)})"
        action.setToolTip(tip)
        action.setStatusTip(tip)
        action.setCheckable(spec.checkable)
        # Qt hands ``checked`` to any slot that takes an argument, and the slots here take
        # optional paths or datasets: call them without it unless asked.
        if spec.pass_checked:
            action.triggered.connect(spec.slot)
        else:
            action.triggered.connect(lambda _checked=False, slot=spec.slot: slot())
        action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        parent.addAction(action)
        actions[spec.key] = action
    return actions


def exclusive(parent, actions: list[QAction]) -> QActionGroup:
    """Make checkable actions mutually exclusive (modes, tools)."""
    group = QActionGroup(parent)
    group.setExclusive(True)
    for action in actions:
        group.addAction(action)
    return group


def fill(container, actions: dict[str, QAction], keys: list[str | None]) -> None:
    """Add actions (None = a separator) to a menu or a toolbar."""
    for key in keys:
        if key is None:
            container.addSeparator()
        else:
            container.addAction(actions[key])
