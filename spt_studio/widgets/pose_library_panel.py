"""The pose library dock (issue #19): the shipped library's poses and the user's own as skeleton
thumbnails; a click applies one as the target pose, "More like this" shows the real poses
nearest the chosen one, and the current pose can be saved to (and deleted from) the user
library."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QIcon, QPixmap
from PySide6.QtWidgets import (
    QHBoxLayout,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from spt_core import skeleton as sk
from spt_studio.canvases.base import rgb_to_qimage

THUMB = (96, 48)  # (H, W) of a thumbnail


def thumbnail(pose: np.ndarray) -> QIcon:
    """A skeleton drawn on black in the library's 128x64 frame, shrunk to :data:`THUMB`."""
    import cv2

    image = sk.draw_skeleton(np.zeros((128, 64, 3), np.uint8), pose)
    small = cv2.resize(image, (THUMB[1], THUMB[0]), interpolation=cv2.INTER_AREA)
    return QIcon(QPixmap.fromImage(rgb_to_qimage(np.ascontiguousarray(small))))


class PoseLibraryPanel(QWidget):
    """Library and user poses in one grid.

    Signals:
        pose_chosen(pose, name): a thumbnail was clicked; ``pose`` is (18, 2) in the 128x64
            frame.
        save_requested(): "Save current pose" was pressed (the window knows the pose).
    """

    pose_chosen = Signal(object, str)
    save_requested = Signal()

    def __init__(self, library=None, user=None, parent=None):
        super().__init__(parent)
        from spt_core.pose_library import UserPoses, load_library

        self.library = library if library is not None else load_library()
        self.user = user if user is not None else UserPoses()
        self.similar_of: int | None = None  # showing "more like this" of this library pose
        self.grid = QListWidget()
        self.grid.setViewMode(QListWidget.ViewMode.IconMode)
        self.grid.setIconSize(QSize(THUMB[1], THUMB[0]))
        self.grid.setResizeMode(QListWidget.ResizeMode.Adjust)
        self.grid.setMovement(QListWidget.Movement.Static)
        self.grid.setSpacing(2)
        self.grid.itemClicked.connect(self._clicked)
        self.grid.currentItemChanged.connect(lambda *_: self._update_buttons())
        self.more = QPushButton("More like this")
        self.more.setToolTip("Show the real poses nearest the selected library pose")
        self.more.clicked.connect(self.show_similar)
        self.back = QPushButton("All poses")
        self.back.clicked.connect(self.show_all)
        self.save = QPushButton("Save current…")
        self.save.setToolTip("Keep the current target pose in your own library")
        self.save.clicked.connect(self.save_requested)
        self.delete = QPushButton("Delete")
        self.delete.setToolTip("Remove the selected pose from your own library")
        self.delete.clicked.connect(self.delete_selected)
        buttons = QHBoxLayout()
        for button in (self.more, self.back, self.save, self.delete):
            buttons.addWidget(button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(self.grid, 1)
        layout.addLayout(buttons)
        self.show_all()

    # -- contents ---------------------------------------------------------------------------

    def _add(self, pose: np.ndarray, name: str, key: tuple) -> None:
        item = QListWidgetItem(thumbnail(pose), name)
        item.setData(Qt.ItemDataRole.UserRole, key)
        item.setToolTip(name)
        self.grid.addItem(item)

    def show_all(self) -> None:
        """Every library pose (library:N), then the user's own (user:NAME)."""
        self.similar_of = None
        self.grid.clear()
        for index, pose in enumerate(self.library.poses):
            self._add(pose, f"library:{index}", ("library", index))
        for name, pose in self.user.poses.items():
            self._add(pose, f"user:{name}", ("user", name))
        self._update_buttons()

    def show_similar(self) -> None:
        """The real poses nearest the selected library pose."""
        key = self.selected_key()
        if key is None or key[0] != "library":
            return
        self.similar_of = key[1]
        self.grid.clear()
        for k, pose in enumerate(self.library.similar[key[1]]):
            self._add(pose, f"library:{key[1]} · {k}", ("similar", key[1], k))
        self._update_buttons()

    def selected_key(self) -> tuple | None:
        item = self.grid.currentItem()
        return None if item is None else item.data(Qt.ItemDataRole.UserRole)

    def pose_of(self, key: tuple) -> np.ndarray:
        if key[0] == "library":
            return self.library.poses[key[1]]
        if key[0] == "similar":
            return self.library.similar[key[1]][key[2]]
        return self.user.poses[key[1]]

    def _clicked(self, item: QListWidgetItem) -> None:
        key = item.data(Qt.ItemDataRole.UserRole)
        self._update_buttons()
        self.pose_chosen.emit(self.pose_of(key).copy(), item.text())

    def _update_buttons(self) -> None:
        key = self.selected_key()
        self.more.setEnabled(key is not None and key[0] == "library")
        self.back.setEnabled(self.similar_of is not None)
        self.delete.setEnabled(key is not None and key[0] == "user")

    # -- the user library ---------------------------------------------------------------------

    def add_user_pose(self, name: str, pose: np.ndarray) -> None:
        """Save ``pose`` (128x64 frame) as the user's ``name`` and show it."""
        self.user.add(name, pose)
        self.show_all()

    def delete_selected(self) -> None:
        key = self.selected_key()
        if key is not None and key[0] == "user":
            self.user.remove(key[1])
            self.show_all()
