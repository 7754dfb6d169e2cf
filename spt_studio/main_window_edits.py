"""The main window's edit commands: pose (mirror, reset, hide, copy, bone lock), parsing
(use the predicted map, initialise from the pose, reset) and the second person of clothing
transfer. The rules are the editing session's
(:class:`~spt_studio.document.session.EditorSession`); this mixin of
:class:`~spt_studio.main_window.MainWindow` asks the user (file pickers, messages) and passes
the answer on, so the window stays wiring."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtWidgets import QMessageBox

from spt_core.errors import SptError
from spt_studio.document import PersonData
from spt_studio.document.person_init import detect_person, document_from_image, document_from_sample
from spt_studio.main_window_files import IMAGE_FILTER


class EditCommandsMixin:
    """Edit commands; expects the attributes :class:`MainWindow` sets up (session, doc,
    pose_canvas, label_canvas, status bar, error) and the file helpers of
    :class:`~spt_studio.main_window_files.FileCommandsMixin` (``_path_or_pick``, ``_try_open``,
    ``_pick_sample``)."""

    def undo(self) -> None:
        """Undo one step."""
        if self.session is not None:
            self.session.undo()

    def redo(self) -> None:
        """Redo one step."""
        if self.session is not None:
            self.session.redo()

    def mirror_pose(self) -> None:
        """Swap the left and right side of the target pose."""
        self.session.mirror_pose()

    def reset_pose(self) -> None:
        """Make the target pose the photo's pose again."""
        self.session.reset_pose()

    def toggle_joint(self) -> None:
        """Hide or show the joint selected on the pose canvas."""
        if self.pose_canvas.selected_joint < 0:
            self.statusBar().showMessage("Click a joint first, then press H", 4000)
            return
        self.pose_canvas.toggle_joint_visible()

    def set_bone_lock(self, on: bool) -> None:
        """Keep bone lengths while dragging (the canvas drags, the session remembers)."""
        self.pose_canvas.bone_lock = bool(on)
        if self.session is not None:
            self.session.set_bone_lock(on)

    def set_edit_source(self, on: bool) -> None:
        """Pose > Edit the photo's pose: the handles move the source pose (where the person's
        joints are in the photo) instead of the target pose."""
        self.pose_canvas.set_edit_source(on)
        if on:
            self.statusBar().showMessage(
                "Editing the photo's pose: drag each joint onto the person; turn this off to "
                "repose",
                15000,
            )

    def set_framing(self, on: bool) -> None:
        """Pose > Frame the person: the next drag on the pose canvas draws a box around the
        person to edit (one of several people, or one no detector finds)."""
        self.pose_canvas.set_framing(on)
        if on:
            self.set_mode("repose")
            self.statusBar().showMessage(
                "Drag a box around the person to edit, head to feet", 15000
            )

    def on_person_boxed(self, x0: float, y0: float, x1: float, y1: float) -> None:
        """A box was drawn: find the person in it (or fit the template to it)."""
        from PySide6.QtCore import Qt
        from PySide6.QtWidgets import QApplication

        self.actions_by_key["frame_person"].setChecked(False)
        self.pose_canvas.set_framing(False)
        if self.session is None:
            return
        QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            found = self.session.frame_person((x0, y0, x1, y1), self.use_detector)
        except ValueError as exc:
            self.statusBar().showMessage(f"Frame the person: {exc}", 8000)
            return
        finally:
            QApplication.restoreOverrideCursor()
        from spt_studio.document.person_init import detector_installed

        if found:
            message = "Found the person in the box; check the joints (Pose > Edit the photo's pose)"
        elif self.use_detector and detector_installed():
            message = "Nobody found in the box: the template was fitted to it; drag its joints"
        else:
            message = "The template was fitted to the box: drag its joints onto the person"
        self.statusBar().showMessage(message, 15000)

    def set_keep_unchanged(self, on: bool) -> None:
        """Keep the photo's own pixels where nothing changed, or let the network redraw all."""
        if self.session is not None and self.session.set_keep_unchanged(on):
            self.schedule_render()

    def _build_pose_library_dock(self) -> None:
        """The pose library dock (right; hidden until View > Pose library), when it loads."""
        from PySide6.QtCore import Qt
        from PySide6.QtWidgets import QDockWidget

        from spt_core.errors import SptError
        from spt_studio.widgets.pose_library_panel import PoseLibraryPanel

        self.pose_library_dock = QDockWidget("Pose library", self)
        self.pose_library_dock.setObjectName("pose_library")
        try:
            self.pose_library = PoseLibraryPanel()
        except SptError as exc:  # a damaged user library: say so, keep editing
            self.pose_library = None
            self.statusBar().showMessage(f"Pose library unavailable: {exc}", 15000)
            return
        self.pose_library.pose_chosen.connect(self.apply_library_pose)
        self.pose_library.save_requested.connect(self.save_library_pose)
        self.pose_library_dock.setWidget(self.pose_library)
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.pose_library_dock)
        self.pose_library_dock.hide()

    def apply_library_pose(self, pose: np.ndarray, name: str) -> None:
        """A library thumbnail was clicked: its pose becomes the target pose (one undo step;
        the person's bone lengths when the bone lock is on)."""
        if self.session is None:
            return
        if self.session.mode not in ("repose", "transfer"):
            self.set_mode("repose")
        self.session.apply_library_pose(pose, name)
        self.statusBar().showMessage(f"Pose {name} (Ctrl+Z undoes it)", 4000)

    def save_library_pose(self, name: str | None = None) -> bool:
        """Keep the current target pose in the user's library under ``name`` (asked)."""
        from PySide6.QtWidgets import QInputDialog

        from spt_core import skeleton as sk
        from spt_core.pose_library import normalise

        if self.session is None or self.pose_library is None:
            return False
        pose = self.doc.effective_target_pose()
        if not sk.has_torso(pose):
            self.statusBar().showMessage("The pose needs its four torso joints to be saved", 5000)
            return False
        if name is None:
            name, ok = QInputDialog.getText(self, "Save pose", "Name of the pose:")
            if not ok or not name.strip():
                return False
        self.pose_library.add_user_pose(name.strip(), normalise(pose))
        self.statusBar().showMessage(f"Saved pose user:{name.strip()}", 4000)
        return True

    def copy_pose(self, pose: np.ndarray, from_size: tuple[int, int], what: str) -> None:
        """Make ``pose`` (of an image of ``from_size``) the target pose, every joint shown."""
        self.session.copy_pose(pose, from_size, what)

    def copy_pose_from_sample(self) -> None:
        """Take the pose of a dataset sample the user picks."""
        picked = self._pick_sample("Copy the pose of a dataset sample")
        if picked is not None:
            dataset, index = picked
            size = dataset.size or self.doc.size
            self.copy_pose(dataset.poses[index], size, dataset.names[index])

    def copy_pose_from_reference(self) -> None:
        """Take the pose of the second person (transfer mode)."""
        if not self.session.copy_pose_from_reference():
            self.statusBar().showMessage("Load a second person first (transfer mode)", 4000)

    def copy_pose_from_image(self) -> None:
        """Take the pose detected in a photo the user picks (needs the detect extra)."""
        path = self._path_or_pick(None, "Copy the pose of a photo", IMAGE_FILTER)
        if path is None:
            return
        try:
            from spt_core.io_utils import read_image_rgb

            image = read_image_rgb(path)
        except SptError as exc:
            self.error("Cannot open image", exc)
            return
        found = detect_person(image)
        if found is None:
            QMessageBox.information(
                self,
                "No pose detector",
                "Detecting a pose in a photo needs the 'detect' extra "
                "(pip install 'spt-studio[detect]'). Copy the pose of a dataset sample instead.",
            )
            return
        self.copy_pose(found[0], image.shape[:2], Path(path).name)

    def use_predicted_parsing(self) -> None:
        """Paint from the parsing the model predicted (the session switches to paint)."""
        if not self.session.use_predicted_parsing():
            self.statusBar().showMessage("No predicted parsing yet: repose once first", 4000)

    def parsing_from_pose(self) -> None:
        """Draw a plain parsing from the target pose into the layer being painted."""
        self.session.parsing_from_pose(self.label_canvas.layer)

    def reset_parsing(self) -> None:
        """Make the target parsing the photo's parsing again."""
        self.session.reset_parsing()

    def set_transfer_labels(self, labels: list[int]) -> None:
        """The garments ticked in the transfer panel."""
        if self.session is not None:
            self.session.set_transfer_labels(labels)

    def set_reference(self, reference: PersonData) -> None:
        """Load the second person (the session switches to transfer) and say which garments
        are taken from her, so a ticked default is never a surprise."""
        self.session.set_reference(reference)
        from spt_core import labels as lb

        names = [lb.LABEL_NAMES[v].replace("_", " ") for v in self.session.transfer_labels]
        taking = ", ".join(names) if names else "nothing yet"
        self.statusBar().showMessage(
            f"Second person loaded: taking {taking} from her; tick the garments to take in the "
            "Transfer panel",
            15000,
        )

    def load_reference_image(self, path: str | Path | None = None) -> None:
        """The second person from a photo (a file picker when no path is given)."""
        if self.doc is None:
            return
        path = self._path_or_pick(path, "Second person", IMAGE_FILTER)
        opened = None if path is None else self._try_open("image", document_from_image, path)
        if opened is not None:
            self.set_reference(opened[0].source_person())

    def load_reference_sample(self, dataset=None, index: int | None = None) -> None:
        """The second person from a dataset sample (the picker when none is given)."""
        if self.doc is None:
            return
        if dataset is None:
            picked = self._pick_sample("Second person: a dataset sample")
            if picked is None:
                return
            dataset, index = picked
        other = self._try_open("sample", document_from_sample, dataset, index)
        if other is not None:
            self.set_reference(other.source_person())
