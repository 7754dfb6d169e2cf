"""One writer per output: an exclusive lock file for a run folder or an output file.

Two ``spt train`` runs into one ``--out`` (or two searches into one ``.npz``) would interleave
their checkpoints, logs and saves and both report success. A lock file holding the owner's pid
and host, created with ``O_CREAT | O_EXCL`` (atomic on local file systems), lets the second
writer stop at once with a message that names the path and the owner.

A lock left behind by a killed process is taken over when its pid is dead on this host. A lock
from another host cannot be checked and is refused; its message says which file to delete.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

from spt_core.errors import SptError

#: The lock file inside a locked folder.
FOLDER_LOCK = ".spt.lock"
#: A lock file that is empty or unreadable this long after it was written is a leftover of a
#: process killed between creating and filling it (a live owner fills it in microseconds).
UNREADABLE_GRACE_S = 10.0


class OutputLockedError(SptError):
    """Another live process writes to this output; the message names it and its pid."""

    def __init__(self, target: Path, lock_file: Path, owner: dict):
        self.target, self.lock_file, self.owner = target, lock_file, owner
        pid, host = owner.get("pid", "?"), owner.get("host", "?")
        super().__init__(
            f"{target} is in use by another process (pid {pid} on {host}); wait for it to "
            f"finish or choose another output. If that process is gone, delete {lock_file}."
        )


def _this_host() -> str:
    return socket.gethostname()


def _pid_alive(pid: int) -> bool:
    """Whether a process with this pid exists on this host (signal 0 checks, sends nothing)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, owned by another user
    except OSError:
        return True  # cannot tell: never take over a lock we are unsure about
    return True


class OutputLock:
    """An exclusive lock on ``target`` held through the file ``lock_file``.

    Use :func:`lock_folder` or :func:`lock_file` to make one; ``with`` acquires and releases it.
    Not reentrant: a second lock on the same target in the same process is refused like any
    other live owner.
    """

    def __init__(self, target: str | Path, lock_file: str | Path):
        self.target = Path(target)
        self.lock_file = Path(lock_file)
        self._token: str | None = None

    @property
    def held(self) -> bool:
        """Whether this object holds the lock."""
        return self._token is not None

    def acquire(self) -> None:
        """Take the lock, taking over a stale one.

        Raises:
            OutputLockedError: a live process (or one on another host) holds it.
        """
        if self.held:
            return
        self.lock_file.parent.mkdir(parents=True, exist_ok=True)
        for _ in range(5):  # a few rounds: a stale lock removed, a racing owner gone, ...
            if self._try_create():
                return
            owner = self._read(self.lock_file)
            if owner is not None and not self._is_stale(owner):
                raise OutputLockedError(self.target, self.lock_file, owner)
            if owner is None and not self._unreadable_for_long():
                raise OutputLockedError(self.target, self.lock_file, {"pid": "?", "host": "?"})
            self._take_over(owner)
        raise OutputLockedError(self.target, self.lock_file, self._read(self.lock_file) or {})

    def release(self) -> None:
        """Give the lock back (only if this object still owns the file); idempotent."""
        if not self.held:
            return
        owner = self._read(self.lock_file)
        if owner is not None and owner.get("token") == self._token:
            with contextlib.suppress(FileNotFoundError):
                self.lock_file.unlink()
        self._token = None

    def __enter__(self) -> OutputLock:
        self.acquire()
        return self

    def __exit__(self, *exc_info) -> None:
        self.release()

    # ---- internals ----------------------------------------------------------------------------

    def _try_create(self) -> bool:
        token = uuid.uuid4().hex
        record = {"pid": os.getpid(), "host": _this_host(), "token": token, "time": time.time()}
        try:
            fd = os.open(self.lock_file, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            return False
        try:
            os.write(fd, json.dumps(record).encode())  # one small write: never seen half done
        finally:
            os.close(fd)
        self._token = token
        return True

    @staticmethod
    def _read(path: Path) -> dict | None:
        """The owner record, or None when the file is empty, unreadable or gone."""
        try:
            owner = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return owner if isinstance(owner, dict) else None

    @staticmethod
    def _is_stale(owner: dict) -> bool:
        if owner.get("host") != _this_host():
            return False
        try:
            pid = int(owner.get("pid"))
        except (TypeError, ValueError):
            return True
        return not _pid_alive(pid)

    def _unreadable_for_long(self) -> bool:
        try:
            age = time.time() - self.lock_file.stat().st_mtime
        except FileNotFoundError:
            return True  # gone meanwhile: just try again
        return age > UNREADABLE_GRACE_S

    def _take_over(self, stale: dict | None) -> None:
        """Remove the stale lock file, unless someone replaced it since we read it.

        Renaming first means two processes taking over at once cannot both remove a file:
        only one rename of it succeeds, and what was renamed is checked before it is deleted.
        """
        aside = self.lock_file.with_name(f"{self.lock_file.name}.{uuid.uuid4().hex[:8]}.stale")
        try:
            os.rename(self.lock_file, aside)
        except FileNotFoundError:
            return
        moved = self._read(aside)
        if moved is not None and (stale is None or moved.get("token") != stale.get("token")):
            # A new owner's lock was moved by mistake: put it back unless another one exists.
            with contextlib.suppress(OSError):
                os.link(aside, self.lock_file)
        with contextlib.suppress(FileNotFoundError):
            aside.unlink()


def lock_folder(folder: str | Path) -> OutputLock:
    """A lock on an output folder (its lock file lives inside it)."""
    folder = Path(folder)
    return OutputLock(folder, folder / FOLDER_LOCK)


def lock_file(path: str | Path) -> OutputLock:
    """A lock on an output file (``.<name>.lock`` beside it)."""
    path = Path(path)
    return OutputLock(path, path.with_name(f".{path.name}.lock"))


@contextlib.contextmanager
def holding(lock: OutputLock | None) -> Iterator[None]:
    """Hold ``lock`` for the block (nothing when None)."""
    if lock is None:
        yield
        return
    with lock:
        yield
