"""Tools > Train, driven offscreen: train a few real steps, watch the plot, stop, resume."""

from __future__ import annotations

import dataclasses
import json
import typing

import numpy as np
import pytest
from helpers import make_tiny_dataset, searched_people
from PySide6.QtCore import Qt

from spt_core.config import SearchConfig
from spt_core.models.checkpoint import latest_checkpoint
from spt_core.train.loop import LOG
from spt_studio.dialogs.training import TrainingDialog
from spt_studio.dialogs.training_run import format_duration
from spt_studio.widgets.config_form import ConfigForm
from spt_studio.workers.training import running_threads

TIMEOUT_MS = 60_000


@pytest.fixture(scope="module")
def people(tmp_path_factory):
    """24 synthetic people, pseudo labels in the dataset folder (where the dialog looks)."""
    return searched_people(tmp_path_factory, "dialog")


def _dialog(qtbot, data, run_dir, **train_changes):
    dialog = TrainingDialog(None, data)
    qtbot.addWidget(dialog)
    dialog.run_edit.setText(str(run_dir))
    dialog.preset_combo.setCurrentText("tiny")
    dialog._apply_preset()
    train = dialog.forms["train"].value()
    changes = dict(steps=500, log_every=1, preview_every=2, checkpoint_every=1000)
    dialog.forms["train"].set_value(dataclasses.replace(train, **{**changes, **train_changes}))
    dialog.device_combo.setCurrentText("cpu")
    return dialog


def _logged(run_dir) -> list[dict]:
    return [json.loads(line) for line in (run_dir / LOG).read_text().splitlines()]


def _assert_plot_matches_log(dialog, run_dir):
    dialog.loss_plot.flush()
    records = _logged(run_dir)
    assert dialog.loss_plot.names() == [k for k in records[0] if k not in ("step", "lr")]
    for name in dialog.loss_plot.names():
        x, y = dialog.loss_plot.plotted(name)
        assert x.tolist() == [r["step"] for r in records]
        np.testing.assert_array_equal(y, [r[name] for r in records])


def _wait_idle(qtbot, dialog):
    qtbot.waitUntil(lambda: not dialog.is_running(), timeout=TIMEOUT_MS)
    qtbot.waitUntil(lambda: not running_threads(), timeout=TIMEOUT_MS)


def test_train_stop_and_resume_from_the_dialog(qtbot, people, tmp_path):
    run_dir = tmp_path / "run"
    dialog = _dialog(qtbot, people, run_dir)
    assert dialog.start_button.isEnabled() and not dialog.resume_button.isEnabled()
    qtbot.mouseClick(dialog.start_button, Qt.MouseButton.LeftButton)
    assert dialog.is_running() and dialog.stop_button.isEnabled()
    # The settings are frozen while a run uses them, but stay readable.
    assert not dialog.forms["model"].isEnabled() and dialog.tabs.isEnabled()

    # The GUI thread stays free: the plot fills while this test only processes events.
    qtbot.waitUntil(
        lambda: (
            "cross_entropy" in dialog.loss_plot.curves
            and len(dialog.loss_plot.plotted("cross_entropy")[0]) >= 3
        ),
        timeout=TIMEOUT_MS,
    )
    qtbot.mouseClick(dialog.stop_button, Qt.MouseButton.LeftButton)
    _wait_idle(qtbot, dialog)

    done = dialog.last_done
    assert done.reason == "stopped" and 3 <= done.step < 500
    assert latest_checkpoint(run_dir).name == f"step_{done.step:07d}"
    assert dialog.progress.value() == done.step and dialog.progress.maximum() == 500
    _assert_plot_matches_log(dialog, run_dir)
    assert not dialog.preview.label.pixmap().isNull()
    assert dialog.preview.caption.text().startswith("semantic preview, step")
    assert dialog.resume_button.isEnabled() and dialog.error_label.text() == ""

    # Resume continues the step count from the checkpoint.
    stopped_at = done.step
    qtbot.mouseClick(dialog.resume_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(
        lambda: dialog.loss_plot.data("cross_entropy")[0].max() >= stopped_at + 2,
        timeout=TIMEOUT_MS,
    )
    dialog.stop()
    _wait_idle(qtbot, dialog)
    assert dialog.last_done.reason == "stopped" and dialog.last_done.step > stopped_at
    steps = [r["step"] for r in _logged(run_dir)]
    assert steps == list(range(1, dialog.last_done.step + 1))  # no gap, no repeat
    _assert_plot_matches_log(dialog, run_dir)


def test_errors_are_shown_in_the_dialog(qtbot, people, tmp_path):
    make_tiny_dataset(tmp_path / "no_pseudo")
    dialog = _dialog(qtbot, tmp_path / "no_pseudo", tmp_path / "run")
    assert dialog.start()
    _wait_idle(qtbot, dialog)  # the worker fails while loading; the dialog lives on
    assert "pseudo-label file not found" in dialog.error_label.text()
    assert dialog.start_button.isEnabled() and latest_checkpoint(tmp_path / "run") is None

    dialog.data_edit.setText(str(tmp_path / "missing"))
    assert not dialog.start() and "dataset folder not found" in dialog.error_label.text()
    assert not dialog.is_running()

    # A run folder that already holds a run is refused: Resume is the way to continue it.
    dialog = _dialog(qtbot, people, tmp_path / "run2", steps=2)
    assert dialog.start()
    _wait_idle(qtbot, dialog)
    assert dialog.last_done.reason == "finished"
    assert not dialog.start() and "press Resume" in dialog.error_label.text()


def test_invalid_settings_disable_start(qtbot, people, tmp_path):
    dialog = _dialog(qtbot, people, tmp_path / "run")
    dialog.forms["model"].editors["size"].setText("100x64")  # not divisible by 2**depth
    assert not dialog.start_button.isEnabled()
    assert "divisible" in dialog.error_label.text()
    dialog.forms["model"].editors["size"].setText("32x16")
    assert dialog.start_button.isEnabled() and dialog.error_label.text() == ""


def test_kinds_and_forms_follow_the_dataclasses(qtbot, people):
    dialog = TrainingDialog(None, people)
    qtbot.addWidget(dialog)
    kinds = [dialog.kind_combo.itemData(i) for i in range(dialog.kind_combo.count())]
    assert {"semantic", "appearance", "posenet"} <= set(kinds)
    dialog.set_kind("posenet")
    assert set(dialog.forms) == {"train", "model"}
    # The pose regressor defaults to the dataset's own size (synthetic people: 128x64).
    assert dialog.forms["model"].editors["size"].text() == "128x64"
    dialog.set_kind("appearance")
    assert dialog.forms["inputs"].editors["parsing"].currentText() == "gt"
    # The 256-px schedule has its own tab; the 128-px run it starts from is a folder field.
    assert dialog.sections()["progressive"].fix_global_steps == 1000
    assert "128-px" in dialog.forms["progressive"].editors["global_from"].toolTip()
    # 1/29 survives the round trip through the spin box exactly (resume compares for equality).
    assert dialog.sections()["losses"].feature_scale == 1.0 / 29.0
    if "joint" in kinds:  # architectures come from the two starting runs: no network tab
        dialog.set_kind("joint")
        assert list(dialog.forms) == ["train", "losses", "semantic_losses", "inputs"]
        assert dialog.search_button.isVisibleTo(dialog)


def test_config_form_round_trip_and_tooltips(qtbot):
    from spt_core.config import AppearanceNetConfig

    config = AppearanceNetConfig.tiny(face_crop_size=(64, 64), dropout=0.25, test_time_dropout=True)
    form = ConfigForm(AppearanceNetConfig, config, choices={"norm": ("sample", "instance")})
    qtbot.addWidget(form)
    assert form.value() == config
    assert form.editors["size"].text() == "32x16"
    assert "global core" in form.editors["size"].toolTip()  # from the Attributes: docstring
    form.editors["face_crop_size"].setText("")
    assert form.value().face_crop_size is None
    form.editors["depth"].setValue(4)
    assert form.value().depth == 4
    form.editors["size"].setText("32 by 16")
    assert form.error().startswith("size:")


def test_format_duration():
    assert format_duration(75) == "1:15"
    assert format_duration(3725) == "1:02:05"


def test_every_config_class_round_trips_through_its_form(qtbot):
    from spt_core.config import field_choices, path_fields
    from spt_core.train import factory

    classes = {SearchConfig}
    for kind in factory.trainer_kinds():
        classes |= set(factory.sections_of(kind).values())
    for cls in classes:
        form = ConfigForm(cls, choices=field_choices(cls), paths=path_fields(cls))
        qtbot.addWidget(form)
        assert form.value() == cls(), cls.__name__


def test_typed_numbers_are_read_back(qtbot):
    from spt_core.config import TrainConfig

    form = ConfigForm(TrainConfig)
    qtbot.addWidget(form)
    lr = form.editors["lr"]
    lr.lineEdit().setText("1e-3")
    lr.interpretText()
    assert form.value().lr == 0.001
    search = ConfigForm(SearchConfig)
    qtbot.addWidget(search)
    search.editors["part_weights"].setText("2, " + ", ".join(["1"] * 9))
    assert search.value().part_weights == (2.0,) + (1.0,) * 9
    search.editors["part_weights"].setText("1, 2")
    assert "10 values" in search.error()


def test_a_broken_checkpoint_is_reported_on_resume(qtbot, people, tmp_path):
    broken = tmp_path / "run" / "checkpoints" / "step_0000003"
    broken.mkdir(parents=True)
    (broken / "config.json").write_text(json.dumps({"format": 99, "kind": "semantic"}))
    dialog = _dialog(qtbot, people, tmp_path / "run")
    assert dialog.resume_button.isEnabled()
    qtbot.mouseClick(dialog.resume_button, Qt.MouseButton.LeftButton)
    assert not dialog.is_running()
    assert "checkpoint format 99" in dialog.error_label.text()


def test_search_from_the_training_dialog_feeds_its_inputs(qtbot, people, tmp_path):
    dialog = TrainingDialog(None, people)
    qtbot.addWidget(dialog)
    dialog.open_search()
    search = dialog._search_dialog
    assert search.isVisible() and search.data_dir == people
    search.out_edit.setText(str(tmp_path / "elsewhere.npz"))
    search.device_combo.setCurrentText("cpu")
    with qtbot.waitSignal(search.completed, timeout=TIMEOUT_MS):
        assert search.start()
    qtbot.waitUntil(lambda: not running_threads(), timeout=TIMEOUT_MS)
    pseudo = dialog.forms["inputs"].value().pseudo_labels
    assert pseudo == str(tmp_path / "elsewhere.npz")


@dataclasses.dataclass(frozen=True)
class _Shape:
    """A config with a Literal field.

    Attributes:
        kind: which shape.
        sides: how many sides.
    """

    kind: typing.Literal["square", "disc"] = "disc"
    sides: int = 4


def test_literal_fields_get_a_combo_box(qtbot):
    form = ConfigForm(_Shape)
    qtbot.addWidget(form)
    combo = form.editors["kind"]
    assert [combo.itemText(i) for i in range(combo.count())] == ["square", "disc"]
    combo.setCurrentText("square")
    assert form.value() == _Shape(kind="square")
    assert form.editors["sides"].toolTip() == "how many sides."
