"""Autosave and crash recovery, without Qt.

Each editor session writes its document every so often to ``<dir>/<session>.sptproj`` with a
small ``<session>.json`` beside it (owner process id, the project path the user saved to, time).
A clean exit removes both. At start-up, autosaves whose owner process no longer runs are what a
crash left behind: the editor offers every one of them, and deletes one only when the user says
so or once its recovered document has been autosaved again. Temporary files of a write that a
crash interrupted are removed first (:meth:`Autosaver.clean_stale`).
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


def _start_time(pid: int) -> str | None:
    """When process ``pid`` started (Linux ``/proc``), to tell it from a later one reusing the
    id; None where that cannot be read."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[-1].split()  # the command name may hold spaces
    return fields[19] if len(fields) > 19 else None


def _process_alive(pid: int, started: str | None = None) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        pass  # exists but belongs to someone else
    # After a reboot the id of a crashed session often belongs to another process.
    now = _start_time(pid)
    return started is None or now is None or now == started


def _session_pid(name: str) -> int | None:
    """The process id at the start of an autosave file name (``<pid>-<hex>...``)."""
    head = name.lstrip(".").split("-", 1)[0]
    return int(head) if head.isdigit() else None


@dataclass
class RecoveryEntry:
    """An autosave left by a session that did not exit cleanly."""

    autosave: Path
    project_path: Path | None
    saved_at: float
    name: str

    def load(self) -> Document:
        """The autosaved document.

        Raises:
            ProjectError: the autosave is damaged (the message names it).
        """
        return load_project(self.autosave)

    def discard(self) -> None:
        """Delete the autosave and its note (only when the user chose so, or after the
        recovered document was autosaved again)."""
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
        """This session's autosave file."""
        return self.directory / f"{self.session}{SUFFIX}"

    def write(self, doc: Document, project_path: str | Path | None = None) -> Path:
        """Save ``doc`` as this session's autosave (atomically)."""
        save_project(doc, self.path)
        info = {
            "pid": os.getpid(),
            "started": _start_time(os.getpid()),
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

    def clean_stale(self) -> list[Path]:
        """Delete what crashed sessions left half-written: the temporary files of an interrupted
        atomic write (``.<session>...``) and notes without an autosave. A complete autosave is
        never touched here. Returns the files removed."""
        if not self.directory.is_dir():
            return []
        removed = []
        for item in self.directory.iterdir():
            temporary = item.name.startswith(".")
            orphan = item.suffix == ".json" and not item.with_suffix(SUFFIX).exists()
            pid = _session_pid(item.name)
            if (temporary or orphan) and pid is not None and not _process_alive(pid):
                item.unlink(missing_ok=True)
                removed.append(item)
        return removed

    def find_recoverable(self) -> list[RecoveryEntry]:
        """Autosaves of every session whose process is gone, newest first."""
        if not self.directory.is_dir():
            return []
        entries = []
        for autosave in self.directory.glob(f"*{SUFFIX}"):
            if autosave.name.startswith("."):
                continue  # a temporary file of an interrupted write
            entry = self._entry(autosave)
            if entry is not None:
                entries.append(entry)
        return sorted(entries, key=lambda e: e.saved_at, reverse=True)

    def _entry(self, autosave: Path) -> RecoveryEntry | None:
        """The recovery entry of one autosave, or None while its session still runs."""
        try:
            info = json.loads(autosave.with_suffix(".json").read_text(encoding="utf-8"))
            if not isinstance(info, dict):
                info = {}
        except (OSError, ValueError):
            # Killed between the autosave and its note: the file name still names the owner.
            info = {}
        pid = info.get("pid", _session_pid(autosave.name))
        if not isinstance(pid, int) or _process_alive(pid, info.get("started")):
            return None
        project = info.get("project_path")
        saved_at = info.get("saved_at")
        try:
            mtime = autosave.stat().st_mtime
        except OSError:
            return None
        return RecoveryEntry(
            autosave=autosave,
            project_path=Path(project) if isinstance(project, str) and project else None,
            saved_at=float(saved_at) if isinstance(saved_at, (int, float)) else mtime,
            name=str(info.get("name", autosave.stem)),
        )
