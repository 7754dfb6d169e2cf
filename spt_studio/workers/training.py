"""Training off the GUI thread: a QObject that drives ``Trainer.run()`` inside a QThread.

The worker builds the trainer itself (loading a dataset can take a while) and re-emits each
event as a queued signal. Stopping is cooperative: :meth:`TrainingWorker.stop` calls the
trainer's thread-safe ``request_stop()``, the loop finishes its step, writes a checkpoint and
ends with a ``DoneEvent("stopped")``.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from PySide6.QtCore import QObject, QThread, Signal, Slot

from spt_core.errors import SptError
from spt_core.train.events import DoneEvent, StepEvent

log = logging.getLogger(__name__)


class _Keeper(QObject):
    """Holds running threads and their workers until they end.

    Nothing else may own them: a QThread parented to a dialog would be destroyed with it while
    still running, which aborts the process. The release runs in the GUI thread (the keeper
    lives there), never in the ending thread, so the last reference to a QThread is never
    dropped from inside it.
    """

    def __init__(self):
        super().__init__()
        self.live: list[tuple[QThread, QObject]] = []

    @Slot()
    def release(self) -> None:
        for pair in [p for p in self.live if p[0].isFinished()]:
            pair[0].wait()
            self.live.remove(pair)


_keeper: _Keeper | None = None


def start_in_thread(worker: QObject, name: str) -> QThread:
    """Move ``worker`` to a new QThread, call its ``run`` slot there, and quit the thread when
    the worker emits ``ended``. Call from the GUI thread.
    """
    global _keeper
    if _keeper is None:
        _keeper = _Keeper()
    thread = QThread()
    thread.setObjectName(name)
    worker.moveToThread(thread)
    thread.started.connect(worker.run)
    worker.ended.connect(thread.quit)
    thread.finished.connect(_keeper.release)
    _keeper.live.append((thread, worker))
    thread.start()
    return thread


def running_threads() -> list[QThread]:
    """Worker threads started by :func:`start_in_thread` that have not been released."""
    return [] if _keeper is None else [thread for thread, _ in _keeper.live]


def describe_error(exc: BaseException) -> str:
    """A message for the user: the library's own errors say what to change; anything else
    keeps its type name so a report can find it."""
    if isinstance(exc, SptError | ValueError | OSError):
        return str(exc) or type(exc).__name__
    return f"{type(exc).__name__}: {exc}"


class TrainingWorker(QObject):
    """Build a trainer with ``build`` and run it, reporting through signals.

    Args:
        build: returns the trainer (called in the worker thread); any exception it raises is
            reported through ``failed``.

    Signals:
        status(str): what the worker is doing ("loading data", ...).
        progress(int, int): (step, total steps) after each logged step.
        event(object): every event of ``Trainer.run()`` (StepEvent, PreviewEvent, ...).
        finished(object): the DoneEvent, or None when stopped before training began.
        failed(str): the run could not start or go on; the message says why.
        ended(): after ``finished`` or ``failed``, always last.
    """

    status = Signal(str)
    progress = Signal(int, int)
    event = Signal(object)
    finished = Signal(object)
    failed = Signal(str)
    ended = Signal()

    def __init__(self, build: Callable[[], object]):
        super().__init__()
        self._build = build
        self._lock = threading.Lock()
        self._stop = False
        self.trainer = None

    def stop(self) -> None:
        """Ask the run to stop after its current step (callable from any thread)."""
        with self._lock:
            self._stop = True
            trainer = self.trainer
        if trainer is not None:
            trainer.request_stop()

    @property
    def stop_requested(self) -> bool:
        with self._lock:
            return self._stop

    @Slot()
    def run(self) -> None:
        try:
            self.status.emit("loading data")
            trainer = self._build()
            with self._lock:
                self.trainer = trainer
                stopped_early = self._stop
            if stopped_early:  # stop pressed while loading: no step, so no checkpoint either
                self.finished.emit(None)
                return
            self.status.emit(f"training on {trainer.device}")
            done = None
            for event in trainer.run():
                if isinstance(event, StepEvent):
                    self.progress.emit(event.step, event.total_steps)
                elif isinstance(event, DoneEvent):
                    done = event
                self.event.emit(event)
            self.finished.emit(done)
        except Exception as exc:  # noqa: BLE001 (a failed run must never take the editor down)
            if isinstance(exc, SptError):  # a refusal that explains itself: no traceback
                log.info("training refused: %s", exc)
            else:
                log.exception("training failed")
            self.failed.emit(describe_error(exc))
        finally:
            self.ended.emit()
