"""Running a training from the training dialog: start, resume, stop, and the worker's events
(progress, live losses, previews, checkpoints). A mixin of
:class:`~spt_studio.dialogs.training.TrainingDialog`, kept apart so the dialog holds the
settings and this module the run.
"""

from __future__ import annotations

import functools

from spt_core.errors import SptError
from spt_core.models.checkpoint import latest_checkpoint
from spt_core.train import factory
from spt_core.train.events import CheckpointEvent, PreviewEvent, StepEvent
from spt_core.train.loop import LOG
from spt_studio.workers.training import TrainingWorker


def format_duration(seconds: float) -> str:
    """3725 -> "1:02:05"; 75 -> "1:15"."""
    seconds = max(0, round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


class TrainingRunMixin:
    """Start, resume and stop a run; expects what :class:`TrainingDialog` builds (the forms
    and folders, ``sections()``, ``kind``, the progress widgets and ``_fail``) and what its
    base :class:`~spt_studio.dialogs.worker_dialog.WorkerDialog` gives (``worker``,
    ``thread``, ``_start_worker``, ``_set_running``)."""

    # ---- actions ------------------------------------------------------------------------------

    def start(self) -> bool:
        """Start a new run in the run folder; False (and a message) when it cannot start."""
        if self.is_running():
            return False
        problem = self._check_folders()
        if problem is None and latest_checkpoint(self.run_dir) is not None:
            problem = (
                f"{self.run_dir} already holds a run: press Resume to continue it, or choose "
                "another run folder"
            )
        if problem:
            self._fail(problem)
            return False
        self.loss_plot.clear()
        return self._launch(resume=False)

    def resume(self) -> bool:
        """Continue the run in the run folder from its newest checkpoint.

        The run's saved network and loss settings replace the form's; False (and a message)
        when it cannot resume.
        """
        if self.is_running():
            return False
        problem = self._check_folders()
        if problem:
            self._fail(problem)
            return False
        try:
            info = factory.read_run(self.run_dir)
        except SptError as exc:
            self._fail(str(exc))
            return False
        if info is None:
            self._fail(f"{self.run_dir}: nothing to resume (no checkpoint)")
            return False
        if info.kind != self.kind:
            # Another kind's forms start from defaults, so its schedule and inputs come from
            # the run too; otherwise the form's schedule (e.g. more steps) and inputs stay.
            self.set_kind(info.kind)
            self.set_sections(info.sections)
        # The architecture and loss weights must be the checkpoint's (factory.check_resumable).
        self.set_sections({k: v for k, v in info.sections.items() if k not in ("train", "inputs")})
        self.loss_plot.load_log(self.run_dir / LOG, up_to_step=info.step)
        self.progress.setRange(0, max(1, self.forms["train"].value().steps))
        self.progress.setValue(info.step)
        return self._launch(resume=True)

    def stop(self) -> None:
        """Ask the run to stop after its current step (it writes a checkpoint)."""
        if self.worker is not None:
            self.worker.stop()
            self.status_label.setText("stopping after the current step…")
            self._update_buttons()

    def _check_folders(self) -> str | None:
        if self.data_dir is None:
            return "choose a dataset folder"
        if not self.data_dir.is_dir():
            return f"{self.data_dir}: dataset folder not found"
        if self.run_dir is None:
            return "choose a run folder"
        if self.run_dir.exists() and not self.run_dir.is_dir():
            return f"{self.run_dir}: not a folder"
        return None

    def _launch(self, resume: bool) -> bool:
        try:
            sections = self.sections()
        except ValueError as exc:
            self._fail(str(exc))
            return False
        self.error_label.setText("")
        self._seconds_per_step = None
        self.last_done = None
        self.progress.setRange(0, sections["train"].steps)
        if not resume:
            self.progress.setValue(0)
        self.eta_label.setText("")
        build = functools.partial(
            factory.build_trainer, self.kind, self.data_dir, self.run_dir, sections, resume
        )
        worker = TrainingWorker(build)
        worker.event.connect(self._on_event)
        self._start_worker(worker, "training")
        return True

    # ---- events from the worker ----------------------------------------------------------------

    def _on_event(self, event) -> None:
        if isinstance(event, StepEvent):
            self.loss_plot.add(event.step, event.losses)
            self.progress.setMaximum(event.total_steps)
            self.progress.setValue(event.step)
            # A short moving average: the first steps are slow (allocation, cuDNN tuning).
            sps = event.seconds_per_step
            self._seconds_per_step = (
                sps if self._seconds_per_step is None else 0.7 * self._seconds_per_step + 0.3 * sps
            )
            left = (event.total_steps - event.step) * self._seconds_per_step
            self.eta_label.setText(
                f"{self._seconds_per_step:.2f} s/step · ETA {format_duration(left)}"
            )
        elif isinstance(event, PreviewEvent):
            self.preview.set_images(event.step, event.images)
        elif isinstance(event, CheckpointEvent):
            self.status_label.setText(f"checkpoint at step {event.step}: {event.path}")

    def _on_finished(self, done) -> None:
        self.loss_plot.flush()
        self.last_done = done
        if done is None:
            self.status_label.setText("stopped before the first step (no checkpoint written)")
            return
        where = f"; checkpoint {done.checkpoint}" if done.checkpoint else ""
        self.status_label.setText(f"{done.reason} at step {done.step}{where}")
        self.eta_label.setText("")
        self.run_finished.emit(done)

    def _on_failed(self, message: str) -> None:
        self.loss_plot.flush()
        self._fail(message)

    def shutdown(self, timeout_ms: int = 30_000) -> bool:
        """Stop the run and wait for its thread (for the main window on quit).

        Returns:
            True when no thread is left running.
        """
        thread = self.thread
        self.stop()
        return thread is None or thread.wait(timeout_ms)
