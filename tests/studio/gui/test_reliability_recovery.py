"""Crash recovery and hostile projects through the real window, offscreen (issue #15,
defects 2 and 6): every crashed session is offered, nothing is deleted before the user
decides, a recovered document is autosaved at once, and a manipulated project leaves the
open document untouched."""

from __future__ import annotations

import copy
import json
import zipfile

import numpy as np
from editor_helpers import wait_for_render
from PySide6.QtWidgets import QMessageBox

from spt_studio.document import Document, load_project, save_project
from spt_studio.document.autosave import Autosaver
from spt_studio.main_window_files import RecoveryDialog

pytest_plugins = ["editor_fixtures"]
DEAD_PID = 2**22 + 999


def crashed_autosave(directory, doc: Document) -> Autosaver:
    """An autosave of ``doc`` as a session killed with kill -9 leaves it."""
    saver = Autosaver(directory)
    saver.write(doc)
    info_path = saver.path.with_suffix(".json")
    info = json.loads(info_path.read_text())
    info["pid"] = DEAD_PID
    info_path.write_text(json.dumps(info))
    return saver


def two_crashed_sessions(synth_dataset, directory) -> tuple[Document, Document]:
    from spt_studio.document.person_init import document_from_sample

    older, newer = document_from_sample(synth_dataset, 1), document_from_sample(synth_dataset, 2)
    crashed_autosave(directory, older)
    saver = crashed_autosave(directory, newer)
    info_path = saver.path.with_suffix(".json")
    info = json.loads(info_path.read_text())
    info["saved_at"] += 60  # certainly the newer one
    info_path.write_text(json.dumps(info))
    return older, newer


def test_both_crashed_sessions_are_offered_and_the_older_one_recovered(
    qtbot, make_window, synth_dataset, tmp_path
):
    older, newer = two_crashed_sessions(synth_dataset, tmp_path / "autosave")
    offered = []

    def choose(window, entries):
        offered.append([e.name for e in entries])
        dialog = RecoveryDialog(entries, window)  # the dialog the user would see
        qtbot.addWidget(dialog)
        assert dialog.list.count() == 2
        dialog.list.setCurrentRow(1)
        dialog.recover_button.click()
        return dialog.choice

    window = make_window()
    window.choose_recovery = lambda entries: choose(window, entries)
    assert window.offer_recovery()
    assert offered == [[newer.name, older.name]]  # newest first
    assert window.doc.same_content(older)
    assert window.isWindowModified()
    # Unsaved work: autosaved under this session at once, before any further edit.
    assert window.autosaver.path.is_file()
    assert load_project(window.autosaver.path).same_content(older)
    # The newer session's autosave is kept for a later start; the recovered one was replaced.
    left = Autosaver(tmp_path / "autosave").find_recoverable()
    assert [e.name for e in left] == [newer.name]
    wait_for_render(qtbot, window)


def test_keeping_for_later_deletes_nothing(qtbot, make_window, synth_dataset, tmp_path):
    two_crashed_sessions(synth_dataset, tmp_path / "autosave")
    before = sorted(p.name for p in (tmp_path / "autosave").iterdir())
    window = make_window()
    dialogs = []

    def keep(entries):
        dialog = RecoveryDialog(entries, window)
        qtbot.addWidget(dialog)
        dialogs.append(dialog)
        dialog.keep_button.click()
        return dialog.choice

    window.choose_recovery = keep
    assert not window.offer_recovery()
    assert window.doc is None
    assert sorted(p.name for p in (tmp_path / "autosave").iterdir()) == before
    # Declining the single-autosave question ("No") keeps it too.
    single = tmp_path / "single"
    crashed_autosave(single, Document.from_person(*_person(synth_dataset)))
    other = make_window(autosave_dir=single)
    other.ask = lambda *args: QMessageBox.StandardButton.No
    assert not other.offer_recovery()
    assert len(Autosaver(single).find_recoverable()) == 1


def _person(dataset):
    sample = dataset[0]
    return "p.png", sample.image, sample.pose, sample.parsing


def test_discarding_removes_only_the_chosen_autosave(qtbot, make_window, synth_dataset, tmp_path):
    older, newer = two_crashed_sessions(synth_dataset, tmp_path / "autosave")
    window = make_window()
    answers = iter([("discard", 0), ("keep", None)])

    def choose(entries):
        action, index = next(answers)
        return action, None if index is None else entries[index]

    window.choose_recovery = choose
    assert not window.offer_recovery()
    assert [e.name for e in Autosaver(tmp_path / "autosave").find_recoverable()] == [older.name]


def test_a_manipulated_project_leaves_the_open_document_untouched(
    qtbot, make_window, synth_dataset, tmp_path
):
    window = make_window()
    window.open_sample(synth_dataset, 3)
    wait_for_render(qtbot, window)
    good = save_project(window.doc, tmp_path / "good.sptproj")
    window.mirror_pose()  # unsaved work the user agrees to replace
    doc_before, content_before = window.doc, copy.deepcopy(window.doc)
    bad = tmp_path / "bad.sptproj"
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(bad, "w") as dst:
        for name in src.namelist():
            data = src.read(name)
            if name == "project.json":
                meta = json.loads(data)
                meta["settings"], meta["target_pose"][2] = ["mode"], [1e30, 0.0]
                data = json.dumps(meta)
            dst.writestr(name, data)
    shown = []
    window.ask = lambda *args: QMessageBox.StandardButton.Discard
    window.error = lambda title, exc: shown.append((title, str(exc)))
    assert not window.open_project(bad)
    assert shown and shown[0][0] == "Cannot open project"
    assert "bad.sptproj" in shown[0][1] and "settings" in shown[0][1]
    assert window.doc is doc_before and window.doc.same_content(content_before)
    assert window.project_path is None
    np.testing.assert_array_equal(window.doc.target_pose, content_before.target_pose)
    wait_for_render(qtbot, window)
