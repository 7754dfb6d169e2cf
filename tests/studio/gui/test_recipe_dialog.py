"""Tools > Train a model, driven in the real window: every stage of a tiny recipe, a Stop in
the middle stage and a Resume there, then "Use this model" renders with the new weights."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest
from editor_helpers import wait_for_render
from helpers import synthetic_data_fixture
from PySide6.QtCore import Qt

from spt_core.person_files import read_person
from spt_core.pipeline import SPTPipeline
from spt_core.shipped import sample_dir
from spt_core.train.events import StepEvent
from spt_core.train.recipe import RecipeConfig, StageEvent
from spt_studio.dialogs import recipe as recipe_dialog
from spt_studio.document.model import Document
from spt_studio.workers.training import running_threads

pytest_plugins = ["editor_fixtures"]
TIMEOUT_MS = 240_000

data = synthetic_data_fixture("recipe_dialog", count=12, seed=2, size=(32, 16))


@pytest.fixture
def slow_tiny(monkeypatch):
    """The tiny preset with a longer appearance stage, so a Stop lands inside it."""
    label, _factory, size, count = recipe_dialog.PRESETS["tiny"]
    longer = dataclasses.replace(RecipeConfig.tiny(), appearance_steps=12)
    monkeypatch.setitem(recipe_dialog.PRESETS, "tiny", (label, lambda: longer, size, count))


def _idle(qtbot, dialog) -> None:
    qtbot.waitUntil(lambda: not dialog.is_running(), timeout=TIMEOUT_MS)
    qtbot.waitUntil(lambda: not running_threads(), timeout=TIMEOUT_MS)


@pytest.mark.slow  # a tiny recipe twice (about a minute on 2 cores)
def test_train_a_model_stop_resume_and_use_it(qtbot, make_window, data, tmp_path, slow_tiny):
    person = read_person(sample_dir("person_b"))
    window = make_window()
    window.set_document(Document.from_person("person_b", person.image, person.pose, person.parsing))
    wait_for_render(qtbot, window)
    shipped_result = window.doc.result.copy()

    window.actions_by_key["train_recipe"].trigger()
    dialog = window._dialogs[-1]
    assert isinstance(dialog, recipe_dialog.RecipeDialog)
    out = tmp_path / "recipe"
    dialog.data_edit.setText(str(data))
    dialog.out_edit.setText(str(out))
    dialog.preset_combo.setCurrentIndex(dialog.preset_combo.findData("tiny"))
    dialog.device_combo.setCurrentText("cpu")
    assert dialog.pose_check.isChecked() and dialog.start_button.text() == "Start"
    assert not dialog.use_button.isEnabled()
    # search, semantic, posenet, appearance, joint, export
    assert dialog.stages.topLevelItemCount() == 6

    seen: list = []
    qtbot.mouseClick(dialog.start_button, Qt.MouseButton.LeftButton)
    assert dialog.is_running() and not dialog.out_edit.isEnabled()
    worker = dialog.worker

    def stop_in_appearance(event):
        # Connected without a receiver, this runs in the worker thread as each event is
        # emitted, so the stop lands right after the first appearance step (what Stop does,
        # minus the status line, which only the GUI thread may touch).
        seen.append(event)
        started = [e.stage for e in seen if isinstance(e, StageEvent) and e.status == "start"]
        if started and started[-1] == "appearance" and isinstance(event, StepEvent):
            worker.stop()

    worker.event.connect(stop_in_appearance)
    _idle(qtbot, dialog)
    state = json.loads((out / "recipe.json").read_text())
    assert state["done"] == ["search", "semantic", "posenet"], state["done"]
    assert dialog.start_button.text() == "Resume" and not dialog.use_button.isEnabled()
    assert "stopped" in dialog.status_label.text()

    qtbot.mouseClick(dialog.start_button, Qt.MouseButton.LeftButton)
    _idle(qtbot, dialog)
    assert dialog.error_label.text() == ""
    state = json.loads((out / "recipe.json").read_text())
    assert state["done"][-3:] == ["appearance", "joint", "export"]
    steps = [json.loads(line)["step"] for line in (out / "appearance" / "log.jsonl").open()]
    assert steps == list(range(1, 13))  # the stopped steps were not repeated nor lost
    assert dialog.use_button.isEnabled() and "model ready" in dialog.status_label.text()

    loaded = []
    window.renderer.model_loaded.connect(loaded.append)
    qtbot.mouseClick(dialog.use_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(loaded), timeout=TIMEOUT_MS)
    assert window.model_path == str(out / "model")
    window.schedule_render()
    wait_for_render(qtbot, window, timeout=TIMEOUT_MS)
    trained = SPTPipeline.from_pretrained(out / "model", device="cpu")
    from spt_core.photo_frame import repose_in_photo

    expected = repose_in_photo(trained, person, person.pose)  # the tiny model: 32x16
    assert np.array_equal(window.last_result.model_image, expected.model_image)
    assert np.array_equal(window.last_result.image, expected.image)  # at the photo's size
    assert not np.array_equal(window.doc.result, shipped_result)


def test_a_synthetic_dataset_is_made_once_before_the_recipe(tmp_path):
    from spt_core.data.dataset import PersonDataset

    folder = tmp_path / "data"
    recipe = recipe_dialog.build_recipe(
        folder, tmp_path / "out", RecipeConfig.tiny(), "cpu", (8, (32, 16))
    )
    assert len(PersonDataset(folder)) == 8 and recipe.data_dir == folder
    stamp = (folder / "annotations.csv").stat().st_mtime_ns
    recipe_dialog.build_recipe(folder, tmp_path / "out", RecipeConfig.tiny(), "cpu", (8, (32, 16)))
    assert (folder / "annotations.csv").stat().st_mtime_ns == stamp  # kept, not redrawn


def test_the_preset_and_pose_loss_make_the_recipe():
    assert recipe_dialog.recipe_config("default", False) == RecipeConfig()
    tiny = recipe_dialog.recipe_config("tiny", True)
    assert tiny == RecipeConfig.tiny() and tiny.posenet is not None
    assert recipe_dialog.recipe_config("tiny", False).stages()[2] == "appearance"
    assert recipe_dialog.recipe_config("default", True).posenet.size == (128, 64)


def test_loading_one_networks_run_offers_the_recipe(qtbot, make_window, tmp_path):
    from spt_core.models.checkpoint import CheckpointError

    window = make_window()
    run = tmp_path / "appearance_run"
    run.mkdir()
    (run / "config.json").write_text(json.dumps({"kind": "appearance", "format": 1}))
    with pytest.raises(CheckpointError) as raised:
        SPTPipeline.from_pretrained(run, device="cpu")
    window.on_model_failed(str(raised.value))  # what the render thread reports
    offer = window.recipe_offer
    assert offer.isVisible() and "one network of a model" in offer.text()
    train = next(b for b in offer.buttons() if b.text().startswith("Train a model"))
    qtbot.mouseClick(train, Qt.MouseButton.LeftButton)
    assert isinstance(window._dialogs[-1], recipe_dialog.RecipeDialog)
    assert window._dialogs[-1].isVisible()
