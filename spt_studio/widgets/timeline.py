"""The animation timeline (issue #19): keyframe poses as thumbnails, add / remove / reorder,
render every frame in a worker thread (progress, cancel), play them in the result view, write
them as GIF or MP4."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QObject, QSize, QThread, Signal, Slot
from PySide6.QtWidgets import (
    QDoubleSpinBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from spt_studio.widgets.pose_library_panel import THUMB, thumbnail


class FramesWorker(QObject):
    """Renders an animation's frames in its own thread (the pipeline serialises calls)."""

    progress = Signal(int, int)
    finished = Signal(object)  # list of frames (fewer when cancelled)
    failed = Signal(str)

    def __init__(self, pipe, person, poses):
        super().__init__()
        self.pipe, self.person, self.poses = pipe, person, poses
        self.cancel = False

    @Slot()
    def run(self) -> None:
        from spt_core.animation import render_frames

        try:
            frames = render_frames(
                self.pipe,
                self.person,
                self.poses,
                progress=lambda done, total: self.progress.emit(done, total),
                cancelled=lambda: self.cancel,
            )
        except Exception as exc:  # noqa: BLE001 - reported in the editor, which goes on
            self.failed.emit(f"{type(exc).__name__}: {exc}")
            return
        self.finished.emit(frames)


class TimelineStrip(QWidget):
    """Keyframes (target poses in the photo's frame) in a row.

    Signals:
        add_requested(): "Add pose" (the window knows the current target pose).
        render_requested(): "Render" (the window owns the pipeline and the person).
        play_requested(): "Play" the last rendered frames.
        save_requested(): "Save video…".
    """

    add_requested = Signal()
    render_requested = Signal()
    play_requested = Signal()
    save_requested = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.keyframes: list[np.ndarray] = []
        self.strip = QListWidget()
        self.strip.setFlow(QListWidget.Flow.LeftToRight)
        self.strip.setViewMode(QListWidget.ViewMode.IconMode)
        self.strip.setIconSize(QSize(THUMB[1], THUMB[0]))
        self.strip.setWrapping(False)
        self.strip.setFixedHeight(THUMB[0] + 40)
        self.add = QPushButton("Add pose")
        self.add.setToolTip("Add the current target pose as the next keyframe")
        self.remove = QPushButton("Remove")
        self.left = QPushButton("◀")
        self.left.setToolTip("Move the selected keyframe earlier")
        self.right = QPushButton("▶")
        self.right.setToolTip("Move the selected keyframe later")
        self.seconds = QDoubleSpinBox(minimum=0.2, maximum=60.0, value=3.0, singleStep=0.5)
        self.seconds.setSuffix(" s")
        self.fps = QDoubleSpinBox(minimum=1.0, maximum=60.0, value=12.0, singleStep=1.0)
        self.fps.setSuffix(" fps")
        self.render = QPushButton("Render")
        self.play = QPushButton("Play")
        self.save = QPushButton("Save video…")
        self.add.clicked.connect(self.add_requested)
        self.remove.clicked.connect(self.remove_selected)
        self.left.clicked.connect(lambda: self.move_selected(-1))
        self.right.clicked.connect(lambda: self.move_selected(1))
        self.render.clicked.connect(self.render_requested)
        self.play.clicked.connect(self.play_requested)
        self.save.clicked.connect(self.save_requested)
        controls = QHBoxLayout()
        for widget in (self.add, self.remove, self.left, self.right, QLabel("Duration"),
                       self.seconds, self.fps, self.render, self.play, self.save):  # fmt: skip
            controls.addWidget(widget)
        controls.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(self.strip)
        layout.addLayout(controls)
        self.set_frames_ready(False)
        self._refresh()

    def add_keyframe(self, pose: np.ndarray, photo_size: tuple[int, int]) -> None:
        """Append ``pose`` (photo frame) as a keyframe."""
        self.keyframes.append(np.asarray(pose, np.float32).copy())
        self._refresh(photo_size)
        self.strip.setCurrentRow(len(self.keyframes) - 1)

    def remove_selected(self) -> None:
        row = self.strip.currentRow()
        if 0 <= row < len(self.keyframes):
            del self.keyframes[row]
            self._refresh()
            self.strip.setCurrentRow(min(row, len(self.keyframes) - 1))

    def move_selected(self, step: int) -> None:
        row = self.strip.currentRow()
        new = row + step
        if 0 <= row < len(self.keyframes) and 0 <= new < len(self.keyframes):
            keys = self.keyframes
            keys[row], keys[new] = keys[new], keys[row]
            self._refresh()
            self.strip.setCurrentRow(new)

    def frame_count(self) -> int:
        return max(2, int(round(self.seconds.value() * self.fps.value())))

    def set_frames_ready(self, ready: bool) -> None:
        self.play.setEnabled(ready)
        self.save.setEnabled(ready)

    def _refresh(self, photo_size: tuple[int, int] | None = None) -> None:
        from spt_core.pose_library import normalise

        self._photo_size = photo_size or getattr(self, "_photo_size", None)
        self.strip.clear()
        for k, pose in enumerate(self.keyframes):
            self.strip.addItem(QListWidgetItem(thumbnail(normalise(pose)), f"{k + 1}"))
        enough = len(self.keyframes) >= 2
        self.render.setEnabled(enough)
        self.remove.setEnabled(bool(self.keyframes))
        self.left.setEnabled(len(self.keyframes) > 1)
        self.right.setEnabled(len(self.keyframes) > 1)
        self.set_frames_ready(False)


def start_frames(pipe, person, poses, parent=None) -> tuple[FramesWorker, QThread]:
    """A :class:`FramesWorker` running in a new thread (quits the thread when done)."""
    thread = QThread(parent)
    worker = FramesWorker(pipe, person, poses)
    worker.moveToThread(thread)
    thread.started.connect(worker.run)
    worker.finished.connect(thread.quit)
    worker.failed.connect(thread.quit)
    thread.start()
    return worker, thread
