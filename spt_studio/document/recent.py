"""File > Open Recent: the photos, projects and folders opened last, newest first.

A JSON list in the per-user data folder (beside the autosaves), written atomically; paths that
no longer exist are left out when the list is read. Qt-free.
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

from spt_core.io_utils import write_text_atomic

#: How many entries the menu keeps.
RECENT_LIMIT = 10


class RecentFiles:
    """The recent list stored in ``path`` (a JSON list of absolute paths, newest first)."""

    def __init__(self, path: str | Path, limit: int = RECENT_LIMIT) -> None:
        self.path = Path(path)
        self.limit = limit

    def _read(self) -> list[str]:
        try:
            items = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return []  # no list yet, or a damaged one: start a new one
        return [item for item in items if isinstance(item, str)] if isinstance(items, list) else []

    def items(self) -> list[Path]:
        """The entries that still exist, newest first."""
        return [Path(item) for item in self._read() if Path(item).exists()]

    def add(self, path: str | Path) -> None:
        """Put ``path`` first (once); the oldest fall off past ``limit``. A list that cannot
        be written is left as it was (the menu is a convenience, never an error)."""
        entry = str(Path(path).resolve())
        items = [entry] + [item for item in self._read() if item != entry]
        with contextlib.suppress(OSError):
            self.path.parent.mkdir(parents=True, exist_ok=True)
            write_text_atomic(self.path, json.dumps(items[: self.limit], indent=1))

    def clear(self) -> None:
        """Forget every entry."""
        with contextlib.suppress(OSError):
            write_text_atomic(self.path, "[]")
