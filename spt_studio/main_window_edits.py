"""The main window's edit commands: pose (mirror, reset, hide, copy, bone lock), parsing
(use the predicted map, initialise from the pose, reset) and the second person of clothing
transfer. Each pushes a command on the document's History. A mixin of
:class:`~spt_studio.main_window.MainWindow`, kept apart so the window stays wiring."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtWidgets import QFileDialog, QMessageBox

from spt_core import skeleton as sk
from spt_core.errors import SptError
from spt_studio.document import (
    MirrorPose,
    PersonData,
    ResetPose,
    SetParsing,
    SetPose,
    SetReference,
    SetSetting,
)
from spt_studio.document.frames import labels_to_photo
from spt_studio.document.person_init import (
    detect_person,
    document_from_image,
    document_from_sample,
    parsing_from_pose,
)
from spt_studio.document.pose_ops import fit_pose
from spt_studio.main_window_files import IMAGE_FILTER


class EditCommandsMixin:
    """Edit commands; expects the attributes :class:`MainWindow` sets up (history, doc,
    pose_canvas, label_canvas, status bar, set_mode, error, _pick_sample)."""

    def undo(self) -> None:
        if self.history is not None:
            self.history.undo()

    def redo(self) -> None:
        if self.history is not None:
            self.history.redo()

    def mirror_pose(self) -> None:
        self.history.push(MirrorPose(self.doc))

    def reset_pose(self) -> None:
        self.history.push(ResetPose(self.doc))

    def toggle_joint(self) -> None:
        if self.pose_canvas.selected_joint < 0:
            self.statusBar().showMessage("Click a joint first, then press H", 4000)
            return
        self.pose_canvas.toggle_joint_visible()

    def set_bone_lock(self, on: bool) -> None:
        self.pose_canvas.bone_lock = bool(on)
        if self.doc is not None:
            self.doc.settings["bone_lock"] = bool(on)

    def copy_pose(self, pose: np.ndarray, from_size: tuple[int, int], what: str) -> None:
        """Make ``pose`` (of an image of ``from_size``) the target pose, every joint shown."""
        fitted = fit_pose(pose, from_size, self.doc.size)
        self.history.push(
            SetPose(self.doc, fitted, np.ones(sk.NUM_JOINTS, bool), text=f"pose of {what}")
        )

    def copy_pose_from_sample(self) -> None:
        picked = self._pick_sample("Copy the pose of a dataset sample")
        if picked is not None:
            dataset, index = picked
            size = dataset.size or self.doc.size
            self.copy_pose(dataset.poses[index], size, dataset.names[index])

    def copy_pose_from_reference(self) -> None:
        ref = self.doc.reference
        if ref is None:
            self.statusBar().showMessage("Load a second person first (transfer mode)", 4000)
            return
        self.copy_pose(ref.pose, ref.image.shape[:2], ref.name)

    def copy_pose_from_image(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Copy the pose of a photo", "", IMAGE_FILTER)
        if not path:
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
        doc = self.doc
        predicted = doc.predicted_parsing
        if predicted is None:
            self.statusBar().showMessage("No predicted parsing yet: repose once first", 4000)
            return
        predicted = labels_to_photo(predicted, doc.size)
        self.history.push(SetParsing(doc, "target_parsing", predicted, "use predicted parsing"))
        self.set_mode("paint")

    def parsing_from_pose(self) -> None:
        doc = self.doc
        labels = parsing_from_pose(doc.effective_target_pose(), doc.size)
        self.history.push(SetParsing(doc, self.label_canvas.layer, labels, "parsing from pose"))

    def reset_parsing(self) -> None:
        doc = self.doc
        self.history.push(SetParsing(doc, "target_parsing", doc.source_parsing, "reset parsing"))

    def set_transfer_labels(self, labels: list[int]) -> None:
        if self.doc is None:
            return
        labels = sorted(int(v) for v in labels)
        if labels != self.doc.settings.get("transfer_labels"):
            self.history.push(SetSetting(self.doc, "transfer_labels", labels, "garments"))

    def set_reference(self, reference: PersonData) -> None:
        self.history.push(SetReference(self.doc, reference))
        if self.doc.mode != "transfer":
            self.set_mode("transfer")

    def load_reference_image(self, path: str | Path | None = None) -> None:
        if self.doc is None:
            return
        if not path:
            path, _ = QFileDialog.getOpenFileName(self, "Second person", "", IMAGE_FILTER)
            if not path:
                return
        try:
            other, _ = document_from_image(path)
        except SptError as exc:
            self.error("Cannot open image", exc)
            return
        self.set_reference(
            PersonData(other.name, other.image, other.source_pose, other.source_parsing)
        )

    def load_reference_sample(self, dataset=None, index: int | None = None) -> None:
        if self.doc is None:
            return
        if dataset is None:
            picked = self._pick_sample("Second person: a dataset sample")
            if picked is None:
                return
            dataset, index = picked
        try:
            other = document_from_sample(dataset, index)
        except SptError as exc:
            self.error("Cannot open sample", exc)
            return
        self.set_reference(
            PersonData(other.name, other.image, other.source_pose, other.source_parsing)
        )
