"""The main window's animation timeline (issue #19): keyframes from the canvas, frames rendered
off the GUI thread with a progress dialog and Cancel, played in the result view, saved as GIF or
MP4. A mixin of :class:`~spt_studio.main_window.MainWindow`."""

from __future__ import annotations

from pathlib import Path

import numpy as np


class AnimationMixin:
    """Expects the window's session, renderer, result_panel and status bar."""

    def _build_timeline_dock(self) -> None:
        from PySide6.QtCore import Qt, QTimer
        from PySide6.QtWidgets import QDockWidget

        from spt_studio.widgets.timeline import TimelineStrip

        self.timeline = TimelineStrip()
        self.timeline.add_requested.connect(self.add_keyframe)
        self.timeline.render_requested.connect(self.render_animation)
        self.timeline.play_requested.connect(self.play_animation)
        self.timeline.save_requested.connect(self.save_animation)
        self.timeline_dock = QDockWidget("Animation timeline", self)
        self.timeline_dock.setObjectName("timeline")
        self.timeline_dock.setWidget(self.timeline)
        self.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, self.timeline_dock)
        self.timeline_dock.hide()
        self.animation_frames: list[np.ndarray] = []
        self._frames_job = None
        self._play_timer = QTimer(self)
        self._play_timer.timeout.connect(self._next_frame)
        self._play_at = 0

    def add_keyframe(self) -> None:
        """The current target pose (hidden joints missing) becomes the next keyframe."""
        from spt_core import skeleton as sk

        if self.session is None:
            return
        pose = self.doc.effective_target_pose()
        if not sk.has_torso(pose):
            self.statusBar().showMessage("A keyframe needs the four torso joints", 5000)
            return
        self.timeline.add_keyframe(pose, self.doc.size)

    def render_animation(self) -> bool:
        """Render every frame in a worker thread, with progress and Cancel."""
        from PySide6.QtWidgets import QProgressDialog

        from spt_core.pipeline import Person
        from spt_core.pose_tree import frame_poses
        from spt_studio.widgets.timeline import start_frames

        pipe = self.renderer.worker.pipeline
        if self.session is None or pipe is None or len(self.timeline.keyframes) < 2:
            self.statusBar().showMessage("Two keyframes and a model are needed", 5000)
            return False
        doc = self.doc
        person = Person(doc.image, doc.source_pose.copy(), doc.source_parsing.copy())
        poses = frame_poses(self.timeline.keyframes, self.timeline.frame_count())
        dialog = QProgressDialog("Rendering the animation…", "Cancel", 0, len(poses), self)
        dialog.setMinimumDuration(300)
        worker, thread = start_frames(pipe, person, poses, self)
        self._frames_job = (worker, thread, dialog)
        worker.progress.connect(lambda done, total: dialog.setValue(done))
        dialog.canceled.connect(lambda: setattr(worker, "cancel", True))
        worker.finished.connect(self._animation_rendered)
        worker.failed.connect(self._animation_failed)
        return True

    def _animation_rendered(self, frames: list) -> None:
        _, _, dialog = self._frames_job
        dialog.reset()
        self.animation_frames = list(frames)
        complete = len(frames) == self.timeline.frame_count()
        self.timeline.set_frames_ready(complete)
        self.statusBar().showMessage(
            f"{len(frames)} frames rendered" if complete else "Rendering cancelled", 5000
        )
        if complete:
            self.play_animation()

    def _animation_failed(self, message: str) -> None:
        self._frames_job[2].reset()
        self.statusBar().showMessage(f"Animation failed: {message}", 10000)

    def wait_for_animation(self, timeout_ms: int = 60000) -> None:
        """Block until a running render finishes (tests, closing)."""
        if self._frames_job is not None:
            self._frames_job[1].wait(timeout_ms)

    def play_animation(self) -> None:
        """Show the rendered frames in the result view at the timeline's frame rate, once."""
        if not self.animation_frames:
            return
        self._play_at = 0
        self._play_timer.start(max(1, int(round(1000 / self.timeline.fps.value()))))

    def _next_frame(self) -> None:
        if self._play_at >= len(self.animation_frames):
            self._play_timer.stop()
            if self.doc is not None and self.doc.result is not None:
                self.result_panel.set_image(self.doc.result)
            return
        self.result_panel.set_image(self.animation_frames[self._play_at])
        self._play_at += 1

    def save_animation(self, path: str | Path | None = None) -> bool:
        """Write the rendered frames as GIF or MP4 (by suffix; asked when ``path`` is None)."""
        from PySide6.QtWidgets import QFileDialog, QMessageBox

        from spt_core.animation import write_video
        from spt_core.errors import SptError

        if not self.animation_frames:
            return False
        if not path:
            suggestion = f"{Path(self.doc.name).stem}_animation.mp4"
            path, _ = QFileDialog.getSaveFileName(
                self, "Save the animation", suggestion, "Video (*.mp4 *.gif)"
            )
            if not path:
                return False
        try:
            written = write_video(path, self.animation_frames, self.timeline.fps.value())
        except (OSError, SptError) as exc:
            QMessageBox.warning(self, "Cannot save the animation", f"{path}: {exc}")
            return False
        self.statusBar().showMessage(f"Saved {written}", 5000)
        return True
