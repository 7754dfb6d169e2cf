"""The main window shows what its editing session decides: a mode switched by an edit's rule
changes the page, the bone lock is the session's, the overview shows the session's parsing."""

from __future__ import annotations

import numpy as np
import pytest
from editor_helpers import wait_for_render

from spt_core import labels as lb
from spt_studio.document import SetParsing

pytest_plugins = ["editor_fixtures"]


def test_use_predicted_parsing_shows_the_paint_page(qtbot, make_window, synth_dataset):
    window = make_window()
    window.open_sample(synth_dataset, 1)
    wait_for_render(qtbot, window)
    assert window.editors.currentWidget() is window.pose_canvas
    assert window.doc.predicted_parsing is not None  # the repose predicted one
    window.actions_by_key["use_predicted"].trigger()
    assert window.session.mode == "paint"
    assert window.editors.currentWidget() is window.label_canvas
    assert window.actions_by_key["mode_paint"].isChecked()
    assert window.palette_dock.isVisible() and window.toolbars["Paint"].isVisible()
    assert not window.toolbars["Pose"].isVisible()
    # Undo restores the map, not the mode (a view setting, as switching by hand).
    window.undo()
    np.testing.assert_array_equal(window.doc.target_parsing, window.doc.source_parsing)
    assert window.editors.currentWidget() is window.label_canvas
    wait_for_render(qtbot, window)
    assert window.last_result.kind == "render"


def test_bone_lock_and_mode_are_the_sessions(qtbot, make_window, synth_dataset):
    window = make_window()
    window.set_mode("paint")  # before any document: only the page changes
    assert window.session is None and window.editors.currentWidget() is window.label_canvas
    window.set_mode("repose")
    window.open_sample(synth_dataset, 2)
    window.actions_by_key["bone_lock"].trigger()
    assert window.session.bone_lock and window.pose_canvas.bone_lock
    window.set_mode("transfer")
    assert window.doc.settings["mode"] == "transfer"
    assert window.render_label.text() == "transfer: load a second person"
    assert len(window.history) == 0 and not window.isWindowModified()
    with pytest.raises(ValueError):
        window.set_mode("sculpt")
    # A painted target map; transfer with her own pose still shows her own (source) map.
    doc = window.doc
    window.history.push(SetParsing(doc, "target_parsing", np.full(doc.size, lb.SKIRT, np.uint8)))
    window.update_overview()
    shown = window.overview.panels["parsing"].image
    np.testing.assert_array_equal(shown, lb.colorize(window.doc.source_parsing))
    wait_for_render(qtbot, window)


def test_letter_and_digit_keys_act_in_their_own_mode_only(qtbot, make_window, synth_dataset):
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    window = make_window()
    window.open_sample(synth_dataset, 1)
    window.choose_label(3)
    # Reposing: a digit does not change the paint label, L locks the bones.
    QTest.keyClick(window.pose_canvas, Qt.Key.Key_5)
    assert window.label_canvas.label == 3
    QTest.keyClick(window.pose_canvas, Qt.Key.Key_L)
    assert window.session.bone_lock
    # Painting: L does not touch the bone lock, a digit picks the label.
    window.set_mode("paint")
    QTest.keyClick(window.label_canvas, Qt.Key.Key_L)
    assert window.session.bone_lock
    QTest.keyClick(window.label_canvas, Qt.Key.Key_5)
    assert window.label_canvas.label == 5
    assert not window.actions_by_key["mirror"].isEnabled()
    assert window.actions_by_key["brush"].isEnabled()
    wait_for_render(qtbot, window)


def test_dropped_files_and_folders_open_as_what_they_are(
    qtbot, make_window, synth_dataset, tmp_path
):
    from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
    from PySide6.QtGui import QDropEvent

    from spt_core.shipped import sample_dir

    window = make_window()
    errors = []
    window.error = lambda title, exc: errors.append(f"{title}: {exc}")  # no modal box in a test

    def drop(path):
        mime = QMimeData()
        mime.setUrls([QUrl.fromLocalFile(str(path))])
        event = QDropEvent(
            QPointF(10, 10),
            Qt.DropAction.CopyAction,
            mime,
            Qt.MouseButton.LeftButton,
            Qt.KeyboardModifier.NoModifier,
        )
        window.dropEvent(event)
        assert not errors, errors
        wait_for_render(qtbot, window)

    drop(sample_dir("person_c"))  # a person folder: its own pose
    assert window.doc.name == "person_c"
    drop(synth_dataset.root)  # a dataset folder: its first sample
    assert window.doc.name == synth_dataset[0].name
    drop(sample_dir("person_d") / "image.png")  # the image of a person folder
    assert window.doc.name == "person_d"


def test_open_recent_lists_what_was_opened_and_reopens_it(qtbot, make_window, synth_dataset):
    from spt_core.shipped import sample_dir

    window = make_window()
    window.open_path(sample_dir("person_a"))
    window.open_image(sample_dir("person_b") / "image.png")
    wait_for_render(qtbot, window)
    window._fill_recent_menu()
    entries = [a for a in window.recent_menu.actions() if a.toolTip().startswith("/")]
    assert [a.toolTip() for a in entries] == [
        str((sample_dir("person_b") / "image.png").resolve()),
        str(sample_dir("person_a").resolve()),
    ]
    entries[1].trigger()
    assert window.doc.name == "person_a"
    wait_for_render(qtbot, window)


def test_the_photos_pose_is_dragged_onto_the_person(qtbot, make_window, tmp_path):
    from editor_helpers import drag, set_zoom, view_point
    from PySide6.QtCore import QPoint

    from spt_core import skeleton as sk
    from spt_core.io_utils import write_image_rgb

    window = make_window()
    photo = np.random.default_rng(3).integers(0, 255, (128, 64, 3), dtype=np.uint8)
    write_image_rgb(tmp_path / "photo.png", photo)
    window.open_image(tmp_path / "photo.png")  # no detector in this environment: the template
    wait_for_render(qtbot, window)
    template = window.doc.source_pose.copy()
    window.actions_by_key["edit_source"].trigger()
    assert window.pose_canvas.edit_source
    canvas = window.pose_canvas
    set_zoom(canvas, 4.0, (32, 64))
    start = canvas.joint_screen_pos(sk.L_WRIST)
    end = view_point(canvas, *(template[sk.L_WRIST] + (4.0, -6.0)))
    dx, dy = end.x() - start.x(), end.y() - start.y()
    steps = [
        QPoint(round(start.x() + dx * t), round(start.y() + dy * t)) for t in np.linspace(0, 1, 8)
    ]
    drag(canvas, steps)
    moved = window.doc.source_pose[sk.L_WRIST] - template[sk.L_WRIST]
    assert np.abs(moved - (4.0, -6.0)).max() < 1.0  # the photo's wrist went where dragged
    np.testing.assert_array_equal(window.doc.target_pose, window.doc.source_pose)  # followed
    request = window.session.render_request()
    np.testing.assert_array_equal(request.pose, window.doc.source_pose)
    window.actions_by_key["edit_source"].trigger()  # back to reposing: the target moves
    assert not canvas.edit_source
    wait_for_render(qtbot, window)
    placed = window.doc.source_pose.copy()
    elbow = canvas.joint_screen_pos(sk.L_ELBOW)
    drag(canvas, [elbow, QPoint(elbow.x() + 12, elbow.y() - 12), QPoint(elbow.x() + 24, elbow.y())])
    assert not np.allclose(window.doc.target_pose, placed, equal_nan=True)  # reposed
    window.actions_by_key["reset_pose"].trigger()  # Ctrl+R: back to the placed pose
    np.testing.assert_array_equal(window.doc.target_pose, placed)
    assert not np.allclose(placed, template, equal_nan=True)  # not the template
    wait_for_render(qtbot, window)


def test_an_upper_body_person_is_warned_about(qtbot, make_window, tmp_path):
    import shutil

    from spt_core import skeleton as sk
    from spt_core.person_files import read_pose_file, write_pose_file
    from spt_core.shipped import sample_dir

    folder = tmp_path / "upper_body"
    shutil.copytree(sample_dir("person_a"), folder)
    pose = read_pose_file(folder / "pose.json")
    pose[[sk.R_KNEE, sk.L_KNEE, sk.R_ANKLE, sk.L_ANKLE]] = np.nan
    write_pose_file(folder / "pose.json", pose)
    window = make_window()
    assert window.open_image(folder / "image.png")
    assert "No knee or ankle" in window.statusBar().currentMessage()
    assert window.open_image(sample_dir("person_a") / "image.png")
    assert "No knee or ankle" not in window.statusBar().currentMessage()
    wait_for_render(qtbot, window)
