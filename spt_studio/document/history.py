"""Undo/redo for a document: a command stack with gesture merging and a clean index.

The clean index is the stack position that matches the file on disk; the document has unsaved
changes whenever the current position differs from it (QUndoStack's model). Merging into the
command at the clean position, or dropping redo commands that include it, makes the saved
state unreachable, so the clean index becomes -1 until the next save.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable

from spt_studio.document.commands import Command
from spt_studio.document.model import Change, Document

Listener = Callable[[Change], None]


class History:
    """The command stack of one document; the only way the editor changes the document.

    Args:
        doc: the document the commands act on.
        limit: most commands kept (the oldest are dropped; 0 = no limit).
    """

    def __init__(self, doc: Document, limit: int = 500):
        self.doc = doc
        self.limit = limit
        self._commands: list[Command] = []
        self._index = 0  # commands[:index] are applied
        self._clean = 0
        self._listeners: list[Listener] = []
        self._gestures = itertools.count(1)
        self._open_gesture: int | None = None

    # -- observers ------------------------------------------------------------------------

    def add_listener(self, listener: Listener) -> None:
        """Call ``listener(change)`` after every push, undo and redo."""
        self._listeners.append(listener)

    def remove_listener(self, listener: Listener) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)

    def _notify(self, change: Change) -> None:
        for listener in list(self._listeners):
            listener(change)

    # -- gestures ---------------------------------------------------------------------------

    def begin_gesture(self) -> int:
        """Start a mouse gesture; commands pushed with this id merge into one undo step."""
        self._open_gesture = next(self._gestures)
        return self._open_gesture

    def end_gesture(self) -> None:
        """Close the gesture: later commands never merge into its step."""
        self._open_gesture = None

    @property
    def gesture(self) -> int | None:
        """The id of the open gesture, or None."""
        return self._open_gesture

    # -- stack ------------------------------------------------------------------------------

    def push(self, command: Command | None) -> Change | None:
        """Apply ``command`` and record it (merged into the previous step when both belong to
        the open gesture). A None command (an edit that changes nothing) is ignored."""
        if command is None:
            return None
        change = command.redo(self.doc)
        top = self._commands[self._index - 1] if self._index else None
        merged = (
            top is not None
            and command.gesture is not None
            and command.gesture == self._open_gesture
            and top.gesture == command.gesture
            and top.merge(command, self.doc)
        )
        if merged:
            if self._clean == self._index:
                self._clean = -1  # the saved state was inside the merged step
        else:
            if self._clean > self._index:
                self._clean = -1  # the saved state lived in the redo branch we drop
            del self._commands[self._index :]
            self._commands.append(command)
            self._index += 1
            if self.limit and len(self._commands) > self.limit:
                drop = len(self._commands) - self.limit
                del self._commands[:drop]
                self._index -= drop
                self._clean = self._clean - drop if self._clean >= drop else -1
        self._notify(change)
        return change

    def undo(self) -> bool:
        """Revert the last applied command; False when there is none."""
        if not self._index:
            return False
        self.end_gesture()
        self._index -= 1
        self._notify(self._commands[self._index].undo(self.doc))
        return True

    def redo(self) -> bool:
        """Re-apply the next command; False when there is none."""
        if self._index >= len(self._commands):
            return False
        self.end_gesture()
        command = self._commands[self._index]
        self._index += 1
        self._notify(command.redo(self.doc))
        return True

    def can_undo(self) -> bool:
        return self._index > 0

    def can_redo(self) -> bool:
        return self._index < len(self._commands)

    def undo_text(self) -> str:
        return self._commands[self._index - 1].text if self._index else ""

    def redo_text(self) -> str:
        return self._commands[self._index].text if self.can_redo() else ""

    @property
    def index(self) -> int:
        """Number of applied commands."""
        return self._index

    def __len__(self) -> int:
        return len(self._commands)

    # -- clean state ------------------------------------------------------------------------

    def set_clean(self) -> None:
        """Mark the current state as saved."""
        self._clean = self._index

    def mark_dirty(self) -> None:
        """Make no reachable state count as saved (a recovered autosave was never saved)."""
        self._clean = -1

    def is_clean(self) -> bool:
        """True when the document equals what was last saved (or opened)."""
        return self._clean == self._index

    @property
    def clean_index(self) -> int:
        return self._clean

    def notify_all(self) -> None:
        """Tell observers everything changed (after a new document or a model output)."""
        self._notify(Change("all"))
