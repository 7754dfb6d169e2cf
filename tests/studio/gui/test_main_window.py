"""The editor's main window, driven offscreen with real mouse events and a real CPU pipeline."""

from __future__ import annotations

import copy
import json

import numpy as np
import pytest
from editor_helpers import (
    SIZE,
    drag,
    horizontal_capsule,
    image_point,
    set_zoom,
    view_point,
    wait_for_render,
)
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QMessageBox, QTextBrowser

from spt_core import labels as lb
from spt_core import skeleton as sk
from spt_core.io_utils import read_image_rgb, write_image_rgb
from spt_core.pipeline import Person
from spt_studio.document import load_project
from spt_studio.document.paint import flood_region_bfs
from spt_studio.document.person_init import parsing_from_pose, template_pose

# The editor fixtures (dataset, pipeline, windows) live in editor_fixtures.py.
pytest_plugins = ["editor_fixtures"]


def test_open_sample_and_drag_a_joint(qtbot, make_window, synth_dataset, pipeline):
    window = make_window()
    assert window.open_sample(synth_dataset, 0)
    wait_for_render(qtbot, window)
    doc = window.doc
    first = doc.result.copy()
    # The first render is the repose of the unchanged pose, as the pipeline computes it.
    person = Person(doc.image, doc.source_pose, doc.source_parsing)
    np.testing.assert_array_equal(first, pipeline.repose(person, doc.source_pose).image)

    canvas = window.pose_canvas
    joint = sk.R_WRIST
    start = doc.target_pose[joint].copy()
    press = canvas.joint_screen_pos(joint)
    # Grab the handle 2 screen pixels off its centre: the joint must not jump to the cursor.
    press = QPoint(press.x() + 2, press.y() + 1)
    steps = [QPoint(press.x() + 6 * k, press.y() - 4 * k) for k in range(6)]
    drag(canvas, steps)
    assert len(window.history) == 1  # one gesture, one undo step
    moved = doc.target_pose[joint]
    # Moved by the mouse displacement divided by the zoom (view pixels per image pixel).
    np.testing.assert_allclose(moved - start, np.array([30.0, -20.0]) / canvas.zoom, atol=1e-4)
    others = [j for j in range(sk.NUM_JOINTS) if j != joint]
    np.testing.assert_array_equal(doc.target_pose[others], doc.source_pose[others])
    wait_for_render(qtbot, window)
    assert np.abs(doc.result.astype(int) - first).max() > 0  # the result changed
    assert window.isWindowModified()

    window.actions_by_key["undo"].trigger()
    np.testing.assert_array_equal(doc.target_pose, doc.source_pose)
    assert not window.isWindowModified()
    wait_for_render(qtbot, window)
    np.testing.assert_array_equal(doc.result, first)


def test_pose_actions_mirror_hide_reset(qtbot, make_window, synth_dataset):
    window = make_window()
    window.open_sample(synth_dataset, 1)
    doc = window.doc
    before = doc.target_pose.copy()
    window.actions_by_key["mirror"].trigger()
    np.testing.assert_allclose(doc.target_pose[sk.L_WRIST, 1], before[sk.R_WRIST, 1])
    window.pose_canvas.select_joint(sk.NOSE)
    window.actions_by_key["toggle_joint"].trigger()
    assert not doc.target_visible[sk.NOSE]
    assert np.isnan(doc.effective_target_pose()[sk.NOSE]).all()
    window.actions_by_key["reset_pose"].trigger()
    np.testing.assert_array_equal(doc.target_pose, doc.source_pose)
    assert doc.target_visible.all()
    assert len(window.history) == 3
    window.actions_by_key["bone_lock"].trigger()
    assert window.pose_canvas.bone_lock and doc.settings["bone_lock"]
    window.actions_by_key["bone_lock"].trigger()
    assert not window.pose_canvas.bone_lock
    window.load_reference_sample(synth_dataset, 5)
    window.actions_by_key["copy_pose_reference"].trigger()
    np.testing.assert_array_equal(doc.target_pose, synth_dataset.poses[5])
    wait_for_render(qtbot, window)


def test_paint_a_stroke_undo_redo_and_fill(qtbot, make_window, synth_dataset):
    window = make_window()
    window.open_sample(synth_dataset, 2)
    QTest.keyClick(window.pose_canvas, Qt.Key.Key_2, Qt.KeyboardModifier.ControlModifier)
    canvas = window.label_canvas
    assert window.editors.currentWidget() is canvas and window.doc.mode == "paint"
    doc = window.doc
    original = doc.target_parsing.copy()
    set_zoom(canvas, 4.0, (32, 64))
    window.choose_label(lb.SKIRT)
    window.brush_spin.setValue(6)
    # A horizontal stroke from image x=14 to x=40 at y=60, in mouse steps of 8 view pixels.
    a = view_point(canvas, 14, 60)
    points = [QPoint(a.x() + 8 * k, a.y()) for k in range(14)]
    drag(canvas, points)
    assert len(window.history) == 1
    (x0, y0), (x1, y1) = image_point(canvas, points[0]), image_point(canvas, points[-1])
    assert y0 == y1
    expected = np.where(horizontal_capsule(SIZE, x0, x1, y0, 3.0), lb.SKIRT, original)
    np.testing.assert_array_equal(doc.target_parsing, expected.astype(np.uint8))
    # The command stores the changed rectangle only.
    stroke = window.history._commands[0]
    assert stroke.old.size < original.size / 4
    # The overlay shows the new colour where painted.
    row, column = int(y0), int((x0 + x1) / 2)
    assert tuple(canvas.overlay.rgba[row, column, :3]) == tuple(lb.PALETTE[lb.SKIRT])

    QTest.keyClick(canvas, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    np.testing.assert_array_equal(doc.target_parsing, original)
    assert tuple(canvas.overlay.rgba[row, column]) == tuple(
        np.append(lb.PALETTE[original[row, column]], 0 if original[row, column] == 0 else 255)
    )
    QTest.keyClick(canvas, Qt.Key.Key_Y, Qt.KeyboardModifier.ControlModifier)  # redo
    np.testing.assert_array_equal(doc.target_parsing, expected)
    QTest.keyClick(canvas, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    QTest.keyClick(
        canvas,
        Qt.Key.Key_Z,
        Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
    )  # redo, the platform's standard key
    np.testing.assert_array_equal(doc.target_parsing, expected)

    # Flood fill the background from the top-left corner with hair, picked by key "2".
    QTest.keyClick(canvas, Qt.Key.Key_2)
    assert canvas.label == lb.HAIR
    QTest.keyClick(canvas, Qt.Key.Key_E)
    assert canvas.tool.name == "eraser"
    QTest.keyClick(canvas, Qt.Key.Key_G)
    assert canvas.tool.name == "fill" and window.actions_by_key["fill"].isChecked()
    before_fill = doc.target_parsing.copy()
    region = flood_region_bfs(before_fill, 1, 1)
    QTest.mouseClick(canvas.viewport(), Qt.MouseButton.LeftButton, pos=view_point(canvas, 1, 1))
    np.testing.assert_array_equal(doc.target_parsing, np.where(region, lb.HAIR, before_fill))
    assert len(window.history) == 2
    window.undo()
    np.testing.assert_array_equal(doc.target_parsing, before_fill)
    wait_for_render(qtbot, window)
    assert window.last_result.kind == "render"


def test_transfer_clothing_between_two_samples(qtbot, make_window, synth_dataset, pipeline):
    window = make_window()
    window.open_sample(synth_dataset, 0)  # identity 0
    window.load_reference_sample(synth_dataset, 6)  # identity 1
    assert window.editors.currentWidget() is window.transfer_panel
    assert "taking upper clothes" in window.statusBar().currentMessage()  # the default, said
    panel = window.transfer_panel
    panel.checks[lb.PANTS].setChecked(True)
    panel.checks[lb.SKIRT].setChecked(True)
    assert window.doc.settings["transfer_labels"] == [lb.UPPER_CLOTHES, lb.PANTS, lb.SKIRT]
    wait_for_render(qtbot, window)
    doc = window.doc
    assert window.last_result.kind == "transfer"
    labels = (lb.UPPER_CLOTHES, lb.PANTS, lb.SKIRT)
    a = synth_dataset[6]
    expected = pipeline.transfer(
        clothes_from=Person(a.image, a.pose, a.parsing),
        onto=Person(doc.image, doc.source_pose, doc.source_parsing),
        labels=labels,
    )
    np.testing.assert_array_equal(doc.result, expected)
    # Outside the garments the person is untouched; inside, the clothes changed.
    garments = np.isin(doc.source_parsing, labels)
    np.testing.assert_array_equal(doc.result[~garments], doc.image[~garments])
    assert np.abs(doc.result[garments].astype(int) - doc.image[garments]).mean() > 5
    # Unticking a garment is an undo step too.
    panel.checks[lb.SKIRT].setChecked(False)
    assert doc.settings["transfer_labels"] == [lb.UPPER_CLOTHES, lb.PANTS]
    window.undo()
    assert doc.settings["transfer_labels"] == [lb.UPPER_CLOTHES, lb.PANTS, lb.SKIRT]
    assert panel.labels() == [lb.UPPER_CLOTHES, lb.PANTS, lb.SKIRT]
    wait_for_render(qtbot, window)
    np.testing.assert_array_equal(doc.result, expected)
    # Taking the second person's pose reposes this one in her clothes (one undo step).
    window.copy_pose_from_reference()
    assert not np.array_equal(doc.target_pose, doc.source_pose, equal_nan=True)
    wait_for_render(qtbot, window)
    reposed = pipeline.transfer(
        clothes_from=Person(a.image, a.pose, a.parsing),
        onto=Person(doc.image, doc.source_pose, doc.source_parsing),
        labels=labels,
        target_pose=doc.effective_target_pose(),
    )
    np.testing.assert_array_equal(doc.result, reposed)
    person = Person(doc.image, doc.source_pose, doc.source_parsing)
    predicted = pipeline.predict_parsing(person, doc.effective_target_pose())
    np.testing.assert_array_equal(doc.predicted_parsing, predicted)
    window.undo()
    wait_for_render(qtbot, window)
    np.testing.assert_array_equal(doc.result, expected)


def test_save_and_reopen_a_project(qtbot, make_window, synth_dataset, tmp_path):
    window = make_window()
    window.open_sample(synth_dataset, 3)
    doc = window.doc
    # Edits of every kind: a moved joint, a hidden joint, painted labels, a second person.
    pose = doc.target_pose.copy()
    pose[sk.L_KNEE] += (3.25, -1.5)
    from spt_studio.document import PaintStroke, SetJointVisible, SetPose

    window.history.push(SetPose(doc, pose))
    window.history.push(SetJointVisible(sk.R_EAR, False))
    window.history.push(PaintStroke.segment(doc, "target_parsing", (5, 5), (20, 9), 2.5, 7))
    window.load_reference_sample(synth_dataset, 7)
    window.set_transfer_labels([lb.PANTS])
    wait_for_render(qtbot, window)
    saved = copy.deepcopy(doc)
    path = tmp_path / "edit.sptproj"
    assert window.save_to(path)
    assert not window.isWindowModified() and window.history.is_clean()

    other = make_window()
    assert other.open_project(path)
    assert other.doc.same_content(saved)
    assert other.project_path == path
    assert not other.isWindowModified()
    # The file on disk is the same document too (read without the GUI).
    assert load_project(path).same_content(saved)
    wait_for_render(qtbot, other)


def test_bad_files_show_a_message_naming_them(
    qtbot, make_window, synth_dataset, tmp_path, monkeypatch
):
    shown = []
    monkeypatch.setattr(QMessageBox, "warning", lambda *args: shown.append(args[2]))
    window = make_window()
    window.open_sample(synth_dataset, 0)
    name = window.doc.name
    broken = tmp_path / "broken.sptproj"
    broken.write_bytes(b"PK\x03\x04 definitely not a zip")
    assert not window.open_project(broken)
    assert "broken.sptproj" in shown[-1]
    photo = tmp_path / "photo.png"
    photo.write_bytes(b"\x89PNG\r\n\x1a\n garbage")
    assert not window.open_image(photo)
    assert "photo.png" in shown[-1] and "not a readable image" in shown[-1]
    assert window.doc.name == name  # the open document is kept
    wait_for_render(qtbot, window)


def test_open_image_without_detector_uses_the_template(qtbot, make_window, tmp_path):
    window = make_window()
    assert "to start" in window.statusBar().currentMessage()
    rng = np.random.default_rng(5)
    photo = rng.integers(0, 255, (200, 120, 3), dtype=np.uint8)
    write_image_rgb(tmp_path / "me.png", photo)
    assert window.open_image(tmp_path / "me.png")
    assert "to start" not in window.statusBar().currentMessage()
    doc = window.doc
    np.testing.assert_array_equal(doc.image, photo)
    np.testing.assert_array_equal(doc.source_pose, template_pose((200, 120)))
    np.testing.assert_array_equal(
        doc.source_parsing, parsing_from_pose(doc.source_pose, (200, 120))
    )
    assert "template" in window.statusBar().currentMessage()
    # Whether the extra is missing or it found nobody, the message says which.
    from spt_studio.document import person_init

    installed = person_init.detector_installed()
    assert ("found nobody" in window.statusBar().currentMessage()) == installed
    assert ("No detector installed" in window.statusBar().currentMessage()) != installed
    # The result comes back letterboxed from 128x64 and is shown cropped to the photo's shape.
    wait_for_render(qtbot, window)
    height, width = doc.result.shape[:2]
    assert abs(width / height - 120 / 200) < 0.05


def test_export_result_and_autosave_recovery(qtbot, make_window, synth_dataset, tmp_path):
    window = make_window()
    window.open_sample(synth_dataset, 4)
    wait_for_render(qtbot, window)
    assert window.export_result(tmp_path / "out")
    np.testing.assert_array_equal(read_image_rgb(tmp_path / "out.png"), window.doc.result)

    window.mirror_pose()
    assert window.autosave(wait=True)
    assert not window.autosave(wait=True)  # nothing changed since
    saved = copy.deepcopy(window.doc)
    # Pretend this session crashed: its autosave now belongs to a process that is gone.
    info_path = window.autosaver.path.with_suffix(".json")
    info = json.loads(info_path.read_text())
    info["pid"] = 2**22 + 4321
    info_path.write_text(json.dumps(info))

    other = make_window()
    other.ask = lambda *args: QMessageBox.StandardButton.Yes
    assert other.offer_recovery()
    assert other.doc.same_content(saved)
    assert other.isWindowModified()  # recovered work is not saved work
    assert not info_path.exists()
    wait_for_render(qtbot, other)
    wait_for_render(qtbot, window)


@pytest.mark.parametrize(
    ("action", "module", "dialog_class"),
    [
        ("train", "spt_studio.dialogs.training", "TrainingDialog"),
        ("train_recipe", "spt_studio.dialogs.recipe", "RecipeDialog"),
        ("search", "spt_studio.dialogs.search", "SearchDialog"),
    ],
)
def test_tools_menu_opens_its_dialog(qtbot, make_window, action, module, dialog_class):
    """Tools > Train and Tools > Pseudo-label search each open one visible window."""
    cls = getattr(pytest.importorskip(module), dialog_class)
    window = make_window()
    window.actions_by_key[action].trigger()
    dialogs = [d for d in window._dialogs if isinstance(d, cls)]
    assert len(dialogs) == 1 and dialogs[0].isVisible()
    dialogs[0].close()


def test_training_from_the_tools_menu_plots_losses_and_stops(qtbot, make_window, tmp_path):
    """Tools > Train in the real window: a few real steps, points on the loss plot, Stop."""
    import dataclasses

    training = pytest.importorskip("spt_studio.dialogs.training")
    from spt_core.config import SearchConfig
    from spt_core.data import synthetic
    from spt_core.data.dataset import PersonDataset
    from spt_core.models.checkpoint import latest_checkpoint
    from spt_core.search.engine import PseudoLabelSearch, SearchInputs
    from spt_studio.workers.training import running_threads

    data = tmp_path / "data"
    synthetic.generate_dataset(data, count=16, seed=6, workers=1)
    PseudoLabelSearch(SearchConfig(), device="cpu").run(
        SearchInputs.from_dataset(PersonDataset(data)), data / "pseudo_labels.npz"
    )
    window = make_window()
    window.actions_by_key["train"].trigger()
    dialog = next(d for d in window._dialogs if isinstance(d, training.TrainingDialog))
    dialog.data_edit.setText(str(data))
    dialog.run_edit.setText(str(tmp_path / "run"))
    dialog.preset_combo.setCurrentText("tiny")
    dialog._apply_preset()
    train = dialog.forms["train"].value()
    dialog.forms["train"].set_value(
        dataclasses.replace(train, steps=500, log_every=1, preview_every=0, checkpoint_every=1000)
    )
    dialog.device_combo.setCurrentText("cpu")
    qtbot.mouseClick(dialog.start_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(
        lambda: (
            "cross_entropy" in dialog.loss_plot.curves
            and len(dialog.loss_plot.plotted("cross_entropy")[0]) >= 3
        ),
        timeout=60_000,
    )
    qtbot.mouseClick(dialog.stop_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dialog.is_running() and not running_threads(), timeout=60_000)
    assert dialog.last_done.reason == "stopped"
    assert latest_checkpoint(tmp_path / "run") is not None
    dialog.loss_plot.flush()
    log = (tmp_path / "run" / "log.jsonl").read_text()
    logged = [json.loads(line) for line in log.splitlines()]
    x, y = dialog.loss_plot.plotted("cross_entropy")
    assert x.tolist() == [r["step"] for r in logged]
    assert y.tolist() == [r["cross_entropy"] for r in logged]
    dialog.close()


def test_model_loads_in_the_worker_and_a_late_result_is_dropped(qtbot, make_window, synth_dataset):
    window = make_window(pipeline=None, load_default_model=False)
    assert not window.renderer.has_model
    window.open_sample(synth_dataset, 0)
    window.renderer.load_model("random", "cpu")
    qtbot.waitUntil(lambda: window.renderer.has_model, timeout=30000)
    assert "random" in window.model_label.text()
    wait_for_render(qtbot, window)
    first = window.doc
    # A render requested for the first document finishes after the second one is opened.
    window.schedule_render()
    window.open_sample(synth_dataset, 1)
    wait_for_render(qtbot, window)
    assert window.last_result.tag == window._generation
    assert first.result is not None and window.doc.result is not None


def test_help_page_opens(qtbot, make_window):
    window = make_window()
    window.actions_by_key["help"].trigger()
    dialog = window._dialogs[-1]
    qtbot.addWidget(dialog)
    assert dialog.isVisible()
    text = dialog.findChild(QTextBrowser).toPlainText()
    assert "Repose" in text and "Ctrl+Z" in text


def test_model_dialog_offers_models_and_devices(qtbot, make_window, monkeypatch):
    from spt_studio.dialogs.model_dialog import ModelDialog

    window = make_window()
    dialog = ModelDialog(window, "random", "cpu")
    qtbot.addWidget(dialog)
    assert dialog.choice() == ("random", "cpu")
    devices = [dialog.device.itemText(i) for i in range(dialog.device.count())]
    assert devices[:2] == ["auto", "cpu"]
    dialog.kind.setCurrentIndex(dialog.kind.findData("folder"))
    dialog.folder.setText("/models/mine")
    assert dialog.choice() == ("/models/mine", "cpu")
    # Accepting it in the window loads that model in the worker (here: a missing one).
    monkeypatch.setattr(ModelDialog, "exec", lambda self: ModelDialog.DialogCode.Accepted)
    monkeypatch.setattr(ModelDialog, "choice", lambda self: ("/no/such/model", "cpu"))
    window.actions_by_key["model"].trigger()
    qtbot.waitUntil(
        lambda: "no model" in window.statusBar().currentMessage().lower(), timeout=20000
    )
    assert "/no/such/model" in window.statusBar().currentMessage()


def test_open_dataset_sample_through_the_picker(qtbot, make_window, synth_dataset, monkeypatch):
    from spt_studio.dialogs.sample_viewer import SamplePickerDialog

    def accept_third(dialog):
        dialog.open_dataset(synth_dataset.root)
        dialog.browser.samples.setCurrentRow(2)
        assert dialog.browser.panels[1].pixmap() is not None  # the preview shows the parsing
        return SamplePickerDialog.DialogCode.Accepted

    monkeypatch.setattr(SamplePickerDialog, "exec", accept_third)
    window = make_window()
    window.actions_by_key["open_sample"].trigger()
    assert window.doc.name == synth_dataset.names[2]
    np.testing.assert_array_equal(window.doc.image, synth_dataset.load_image(2))
    np.testing.assert_array_equal(window.doc.source_parsing, synth_dataset.load_parsing(2))
    assert SamplePickerDialog.last_folder == str(synth_dataset.root)
    wait_for_render(qtbot, window)


def test_a_slow_render_marks_the_result_as_rendering(qtbot, make_window, synth_dataset, pipeline):
    import time

    class Slow:  # the real pipeline, each call 0.5 s slower
        def __init__(self, inner):
            self.inner = inner

        def __getattr__(self, name):
            return getattr(self.inner, name)

        def repose(self, *args):
            time.sleep(0.5)
            return self.inner.repose(*args)

    window = make_window(pipeline=Slow(pipeline))
    window.open_sample(synth_dataset, 0)
    qtbot.waitUntil(lambda: "rendering" in window.result_panel.title.text(), timeout=5000)
    wait_for_render(qtbot, window)
    assert window.result_panel.title.text() == "result"
