"""Autosave and crash recovery, without Qt.

Each editor session writes its document every so often to ``<dir>/<session>.sptproj`` with a
small ``<session>.json`` beside it (owner process id, the project path the user saved to, time).
A clean exit removes both. At start-up, autosaves whose owner process no longer runs are what a
crash left behind: the editor offers to recover them.
"""

from __future__ import annotations

import json
import os
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from spt_core.io_utils import write_text_atomic
from spt_studio.document.model import Document
from spt_studio.document.project import SUFFIX, load_project, save_project


def default_autosave_dir() -> Path:
    """``$SPT_STUDIO_AUTOSAVE_DIR``, else the platform's per-user data folder."""
    if os.environ.get("SPT_STUDIO_AUTOSAVE_DIR"):
        return Path(os.environ["SPT_STUDIO_AUTOSAVE_DIR"])
    base = os.environ.get("XDG_DATA_HOME") or os.environ.get("LOCALAPPDATA")
    root = Path(base) if base else Path.home() / ".local" / "share"
    return root / "spt-studio" / "autosave"


def _process_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True  # exists but belongs to someone else
    return True


@dataclass
class RecoveryEntry:
    """An autosave left by a session that did not exit cleanly."""

    autosave: Path
    project_path: Path | None
    saved_at: float
    name: str

    def load(self) -> Document:
        return load_project(self.autosave)

    def discard(self) -> None:
        self.autosave.unlink(missing_ok=True)
        self.autosave.with_suffix(".json").unlink(missing_ok=True)


class Autosaver:
    """Writes one session's autosave and finds other sessions' leftovers.

    Args:
        directory: where autosaves live (created on the first write).
    """

    def __init__(self, directory: str | Path | None = None):
        self.directory = Path(directory) if directory is not None else default_autosave_dir()
        self.session = f"{os.getpid()}-{uuid.uuid4().hex[:8]}"

    @property
    def path(self) -> Path:
        return self.directory / f"{self.session}{SUFFIX}"

    def write(self, doc: Document, project_path: str | Path | None = None) -> Path:
        """Save ``doc`` as this session's autosave (atomically)."""
        save_project(doc, self.path)
        info = {
            "pid": os.getpid(),
            "project_path": None if project_path is None else str(project_path),
            "saved_at": time.time(),
            "name": doc.name,
        }
        write_text_atomic(self.path.with_suffix(".json"), json.dumps(info))
        return self.path

    def discard(self) -> None:
        """Remove this session's autosave (after a save or a clean exit)."""
        self.path.unlink(missing_ok=True)
        self.path.with_suffix(".json").unlink(missing_ok=True)

    def find_recoverable(self) -> list[RecoveryEntry]:
        """Autosaves of sessions whose process is gone, newest first."""
        if not self.directory.is_dir():
            return []
        entries = []
        for info_path in self.directory.glob("*.json"):
            autosave = info_path.with_suffix(SUFFIX)
            if not autosave.is_file():
                continue
            try:
                info = json.loads(info_path.read_text(encoding="utf-8"))
                pid = int(info["pid"])
            except (OSError, ValueError, KeyError, TypeError):
                continue  # unreadable sidecar: leave it rather than guess
            if _process_alive(pid):
                continue
            project = info.get("project_path")
            entries.append(
                RecoveryEntry(
                    autosave=autosave,
                    project_path=Path(project) if project else None,
                    saved_at=float(info.get("saved_at", autosave.stat().st_mtime)),
                    name=str(info.get("name", autosave.stem)),
                )
            )
        return sorted(entries, key=lambda e: e.saved_at, reverse=True)
