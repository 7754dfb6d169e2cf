"""The main window's file commands: open a photo, a dataset sample or a project, save
(atomically), export, autosave and crash recovery (every crashed session's autosave is
offered; none is deleted before the user decides). A mixin of
:class:`~spt_studio.main_window.MainWindow`, kept apart so the window stays wiring."""

from __future__ import annotations

import copy
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QLabel,
    QListWidget,
    QMessageBox,
    QVBoxLayout,
)

from spt_core import skeleton as sk
from spt_core.errors import SptError
from spt_studio.document import load_project, save_project
from spt_studio.document.autosave import RecoveryEntry
from spt_studio.document.person_init import (
    document_from_image,
    document_from_person_folder,
    document_from_sample,
)

IMAGE_FILTER = "Images (*.png *.jpg *.jpeg *.bmp *.tif *.tiff *.webp)"
PROJECT_FILTER = "SPT Studio project (*.sptproj)"

T = TypeVar("T")


class FileCommandsMixin:
    """File commands; expects the attributes :class:`MainWindow` sets up (history, doc,
    project_path, autosaver, status bar, set_document); its ``_path_or_pick``, ``_try_open``
    and ``_pick_sample`` serve the other menus' file commands too."""

    def error(self, title: str, exc: Exception) -> None:
        """Tell the user; the message names the file (SptError messages do)."""
        QMessageBox.warning(self, title, str(exc))

    def ask(self, title: str, text: str, buttons, default):
        """A question box (one place, so tests can answer it)."""
        return QMessageBox.question(self, title, text, buttons, default)

    def confirm_discard(self) -> bool:
        """True when the current document may be replaced (saved, or the user agrees)."""
        if self.history is None or self.history.is_clean():
            return True
        buttons = QMessageBox.StandardButton
        answer = self.ask(
            "Unsaved changes",
            f"Save the changes to {self.doc.name} first?",
            buttons.Save | buttons.Discard | buttons.Cancel,
            buttons.Save,
        )
        if answer == buttons.Save:
            return self.save()
        return answer == buttons.Discard

    def _path_or_pick(
        self, path: str | Path | None, caption: str, file_filter: str
    ) -> str | Path | None:
        """``path``, or else a file the user picks in an open dialog; None when cancelled."""
        if path:
            return path
        chosen, _ = QFileDialog.getOpenFileName(self, caption, "", file_filter)
        return chosen or None

    def _try_open(self, what: str, load: Callable[..., T], *args: Any) -> T | None:
        """``load(*args)``, or None once the user is told why ``what`` could not be opened
        (the library's errors name the file)."""
        try:
            return load(*args)
        except SptError as exc:
            self.error(f"Cannot open {what}", exc)
            return None

    def _load_replacing(self, what: str, load: Callable[..., T], *args: Any) -> T | None:
        """``load(*args)`` once the open document may be replaced (see :meth:`confirm_discard`);
        None when the user keeps it or ``what`` could not be opened."""
        if not self.confirm_discard():
            return None
        return self._try_open(what, load, *args)

    def open_image(self, path: str | Path | None = None) -> bool:
        """Open a photo; a pose and parsing are detected, or the template is placed."""
        path = self._path_or_pick(path, "Open image", IMAGE_FILTER)
        opened = None if path is None else self._load_replacing("image", document_from_image, path)
        if opened is None:
            return False
        doc, detected = opened
        self.set_document(doc)
        self.recent.add(path)
        if detected and not sk.has_legs(doc.source_pose):
            self.statusBar().showMessage(
                "No knee or ankle in this photo: the model is trained on whole bodies, so an "
                "upper-body photo comes out poorly. A full-length photo works best.",
                20000,
            )
        if not detected:
            from spt_studio.document.person_init import detector_installed

            why = (
                "The detector found nobody in this photo"
                if detector_installed()
                else "No detector installed (pip install -e '.[detect]')"
            )
            self.statusBar().showMessage(
                f"{why}: a standing template pose was placed. Pose > Edit the photo's pose and "
                "drag the joints onto the person, then Parsing > Initialise from pose and paint.",
                20000,
            )
        return True

    def open_path(self, path: str | Path) -> bool:
        """Open whatever ``path`` is: a person folder, a dataset folder (its first sample), a
        project or a photo (the command line and drag-and-drop)."""
        from spt_studio.document.person_init import is_person_folder

        path = Path(path)
        if path.is_dir() and is_person_folder(path):
            return self.open_person_folder(path)
        if path.is_dir():
            from spt_core.data.dataset import PersonDataset
            from spt_core.errors import SptError
            from spt_studio.dialogs.sample_viewer import SamplePickerDialog

            SamplePickerDialog.last_folder = str(path)
            try:
                dataset = PersonDataset(path)
            except SptError as exc:
                self.error("Cannot open dataset", exc)
                return False
            opened = self.open_sample(dataset, 0)
            if opened:
                self.recent.add(path)
            return opened
        if path.suffix == ".sptproj":
            return self.open_project(path)
        return self.open_image(path)

    def dragEnterEvent(self, event) -> None:  # noqa: N802 - Qt override
        """Accept files and folders dragged from a file manager."""
        if any(url.isLocalFile() for url in event.mimeData().urls()):
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:  # noqa: N802 - Qt override
        """Open the first dropped file or folder (as :meth:`open_path`)."""
        local = [url.toLocalFile() for url in event.mimeData().urls() if url.isLocalFile()]
        if local:
            event.acceptProposedAction()
            self.open_path(local[0])

    def open_person_folder(self, folder: str | Path) -> bool:
        """Open a person folder (image.png, pose.json, parsing.png: the shipped samples)."""
        doc = self._load_replacing("person folder", document_from_person_folder, folder)
        if doc is None:
            return False
        self.set_document(doc)
        self.recent.add(folder)
        self.statusBar().showMessage(f"Opened {doc.name} with its own pose and parsing", 8000)
        return True

    def _pick_sample(self, title: str):
        from spt_studio.dialogs.sample_viewer import SamplePickerDialog

        dialog = SamplePickerDialog(self, title=title)
        if dialog.exec() != SamplePickerDialog.DialogCode.Accepted:
            return None
        if dialog.dataset is None or dialog.index < 0:
            return None
        return dialog.dataset, dialog.index

    def open_sample(self, dataset=None, index: int | None = None) -> bool:
        """Open a dataset sample (the picker dialog when none is given)."""
        if dataset is None:
            picked = self._pick_sample("Open dataset sample")
            if picked is None:
                return False
            dataset, index = picked
        doc = self._load_replacing("sample", document_from_sample, dataset, index)
        if doc is None:
            return False
        self.set_document(doc)
        self.statusBar().showMessage(f"Opened {doc.name} from dataset {dataset.root.name}", 8000)
        return True

    def open_project(self, path: str | Path | None = None) -> bool:
        path = self._path_or_pick(path, "Open project", PROJECT_FILTER)
        doc = None if path is None else self._load_replacing("project", load_project, path)
        if doc is None:
            return False
        self.set_document(doc, Path(path))
        self.recent.add(path)
        self.statusBar().showMessage(f"Opened project {path}", 8000)
        return True

    def save(self) -> bool:
        if self.project_path is None:
            return self.save_as()
        return self.save_to(self.project_path)

    def save_as(self) -> bool:
        if self.doc is None:
            return False
        suggestion = str(Path(self.doc.name).with_suffix(".sptproj"))
        path, _ = QFileDialog.getSaveFileName(self, "Save project", suggestion, PROJECT_FILTER)
        return bool(path) and self.save_to(path)

    def save_to(self, path: str | Path) -> bool:
        """Save atomically; on failure the previous file is untouched and the user told."""
        try:
            written = save_project(self.doc, path)
        except (OSError, SptError, ValueError) as exc:
            QMessageBox.warning(self, "Cannot save project", f"{path}: {exc}")
            return False
        self.project_path = written
        self.recent.add(written)
        self.history.set_clean()
        self._discard_autosave()
        self._autosaved_changes = self._changes
        self._update_actions()
        self.statusBar().showMessage(f"Saved {written}", 5000)
        return True

    def export_result(self, path: str | Path | None = None, model_frame: bool = False) -> bool:
        """Write the result as PNG: at the photo's size (the person redrawn in the photo), or
        with ``model_frame`` the model's own output at its size (File > Export model frame)."""
        doc = self.doc
        image = None if doc is None else (doc.model_result if model_frame else doc.result)
        if image is None:
            self.statusBar().showMessage("No result to export yet", 4000)
            return False
        if not path:
            kind = "model" if model_frame else "result"
            suggestion = f"{Path(doc.name).stem}_{kind}.png"
            title = "Export the model's frame" if model_frame else "Export result"
            path, _ = QFileDialog.getSaveFileName(self, title, suggestion, "PNG (*.png)")
            if not path:
                return False
        path = Path(path)
        if path.suffix.lower() != ".png":
            path = path.with_name(path.name + ".png")
        from spt_core.io_utils import write_image_rgb

        try:
            write_image_rgb(path, image)
        except (OSError, SptError, ValueError) as exc:
            QMessageBox.warning(self, "Cannot export", f"{path}: {exc}")
            return False
        height, width = image.shape[:2]
        self.statusBar().showMessage(f"Exported {path} ({width}x{height})", 5000)
        return True

    def export_model_frame(self) -> bool:
        """File > Export model frame: the model's own output, at its size."""
        return self.export_result(model_frame=True)

    def autosave(self, wait: bool = False) -> bool:
        """Write the autosave when something changed since the last one.

        A snapshot of the document is encoded and written in a background thread, so a large
        photo never stalls the GUI; ``wait`` joins it (tests). Returns whether one started.
        """
        if self.doc is None or self._changes == self._autosaved_changes:
            return False
        if self._autosave_thread is not None and self._autosave_thread.is_alive():
            return False  # the previous one is still writing; the next tick catches up
        if self._autosave_error:
            self.statusBar().showMessage(f"Autosave failed: {self._autosave_error}", 10000)
            self._autosave_error = ""
        snapshot = copy.deepcopy(self.doc)
        project_path = self.project_path

        def write() -> None:
            try:
                self.autosaver.write(snapshot, project_path)
            except (OSError, SptError, ValueError) as exc:
                self._autosave_error = str(exc)

        self._autosave_thread = threading.Thread(target=write, name="spt-autosave", daemon=True)
        self._autosave_thread.start()
        self._autosaved_changes = self._changes
        if wait:
            self._autosave_thread.join()
        return True

    def _discard_autosave(self) -> None:
        if self._autosave_thread is not None:
            self._autosave_thread.join()  # never let a late write resurrect the file
        self.autosaver.discard()

    def offer_recovery(self) -> bool:
        """At start-up: offer every autosave crashed sessions left, newest first.

        Nothing is deleted until the user decides: recover one (the others stay for a later
        start), discard one, or keep them all for later. Returns whether one was recovered.
        """
        self.autosaver.clean_stale()
        entries = self.autosaver.find_recoverable()
        while entries:
            action, entry = self.choose_recovery(entries)
            if action == "recover" and entry is not None:
                if self._recover(entry):
                    return True
                entries.remove(entry)  # damaged: kept on disk, so it can be discarded later
            elif action == "discard" and entry is not None:
                entry.discard()
                entries.remove(entry)
            else:
                return False
        return False

    def choose_recovery(self, entries: list[RecoveryEntry]) -> tuple[str, RecoveryEntry | None]:
        """Ask what to do with the autosaves: ("recover" | "discard" | "keep", entry)."""
        if len(entries) > 1:
            dialog = RecoveryDialog(entries, self)
            dialog.exec()
            return dialog.choice
        entry = entries[0]
        buttons = QMessageBox.StandardButton
        answer = self.ask(
            "Recover unsaved work",
            f"SPT Studio did not close properly. Recover {entry.name} (autosaved "
            f"{_when(entry)})?\n\nNo keeps the autosave for the next start; Discard deletes it.",
            buttons.Yes | buttons.No | buttons.Discard,
            buttons.Yes,
        )
        if answer == buttons.Yes:
            return "recover", entry
        return ("discard", entry) if answer == buttons.Discard else ("keep", None)

    def _recover(self, entry: RecoveryEntry) -> bool:
        """Open ``entry`` as unsaved work and autosave it at once under this session, so a
        second crash right away still finds it; only then is the old autosave deleted."""
        try:
            doc = entry.load()
        except SptError as exc:
            self.error("Cannot recover", exc)
            return False
        self.set_document(doc, entry.project_path)
        self.history.mark_dirty()
        self._changes += 1  # set_document counts it as autosaved; it is not, yet
        self._update_actions()
        self.autosave(wait=True)
        if self._autosave_error or not self.autosaver.path.is_file():
            self.statusBar().showMessage(f"Autosave failed: {self._autosave_error}", 10000)
        else:
            entry.discard()
        return True


def _when(entry: RecoveryEntry) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(entry.saved_at))


class RecoveryDialog(QDialog):
    """Lists crashed sessions' autosaves, newest first; ``choice`` is what the user picked:
    ("recover" | "discard", entry) or ("keep", None)."""

    def __init__(self, entries: list[RecoveryEntry], parent=None):
        super().__init__(parent)
        self.setWindowTitle("Recover unsaved work")
        self.entries = entries
        self.choice: tuple[str, RecoveryEntry | None] = ("keep", None)
        self.list = QListWidget()
        for entry in entries:
            where = f" ({entry.project_path})" if entry.project_path else ""
            self.list.addItem(f"{entry.name}{where}, autosaved {_when(entry)}")
        self.list.setCurrentRow(0)
        buttons = QDialogButtonBox()
        self.recover_button = buttons.addButton("Recover", QDialogButtonBox.ButtonRole.AcceptRole)
        self.discard_button = buttons.addButton(
            "Discard", QDialogButtonBox.ButtonRole.DestructiveRole
        )
        self.keep_button = buttons.addButton(
            "Keep for later", QDialogButtonBox.ButtonRole.RejectRole
        )
        self.recover_button.clicked.connect(lambda: self._choose("recover"))
        self.discard_button.clicked.connect(lambda: self._choose("discard"))
        self.keep_button.clicked.connect(self.reject)
        layout = QVBoxLayout(self)
        text = "SPT Studio did not close properly. These autosaves hold unsaved work:"
        layout.addWidget(QLabel(text))
        layout.addWidget(self.list)
        layout.addWidget(buttons)

    def _choose(self, action: str) -> None:
        row = self.list.currentRow()
        if 0 <= row < len(self.entries):
            self.choice = (action, self.entries[row])
            self.accept()
