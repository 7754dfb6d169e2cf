"""Tools > Train a model: the whole recipe (``spt train recipe``) in one window.

From a dataset folder (or a synthetic one made first) to a model the editor renders with: the
pseudo-label search, the semantic network, the pose regressor (with the pose loss), the
appearance network, end-to-end training and the export, each stage listed with its state, the
running stage's progress, losses and newest preview. Stop finishes the current step and writes
a checkpoint; Resume (the same button) continues where the recipe stopped, with the settings it
started with (read from its ``recipe.json``). When the model is exported, "Use this model"
loads it into the editor. The single-network trainings stay in Tools > Train networks.
"""

from __future__ import annotations

import functools
from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QSpinBox,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from spt_core.errors import SptError
from spt_core.train.events import PreviewEvent, StepEvent
from spt_core.train.recipe import Recipe, RecipeConfig, StageEvent, read_recipe_state
from spt_studio.dialogs.worker_dialog import WorkerDialog
from spt_studio.widgets.factories import device_combo, line_edit, push_button
from spt_studio.widgets.preview_panel import PreviewPanel

#: Recipe presets: (label, config factory, synthetic image size, synthetic image count).
PRESETS = {
    "default": ("the shipped model's recipe (hours on a CPU)", RecipeConfig, (128, 64), 2000),
    "tiny": ("tiny: a 32x16 test of every stage (a minute; learns little)", RecipeConfig.tiny,
             (32, 16), 12),
}  # fmt: skip

STAGE_TITLES = {
    "search": "pseudo-label search",
    "semantic": "semantic network",
    "posenet": "pose regressor (pose loss)",
    "appearance": "appearance network",
    "joint": "end-to-end training",
    "export": "export the model",
}


def recipe_config(preset: str, pose_loss: bool) -> RecipeConfig:
    """The recipe of a preset, with or without the pose regressor and pose loss."""
    import dataclasses

    from spt_core.config import PoseNetConfig

    config = PRESETS[preset][1]()
    if not pose_loss:
        return dataclasses.replace(config, posenet=None)
    if config.posenet is None:
        return dataclasses.replace(config, posenet=PoseNetConfig(size=config.appearance.size))
    return config


def build_recipe(data_dir: Path, out_dir: Path, config, device: str, synthetic: tuple | None):
    """The recipe to run (in the worker thread); first writes a synthetic dataset into
    ``data_dir`` when ``synthetic`` = (count, size) is given and the folder holds none."""
    from spt_core.data.dataset import PersonDataset

    if synthetic is not None:
        try:
            PersonDataset(data_dir)
        except (SptError, OSError):
            from spt_core.data.synthetic import generate_dataset

            count, size = synthetic
            generate_dataset(data_dir, count=count, size=size, seed=0, workers=1)
    return Recipe(data_dir, out_dir, config, device=device)


class RecipeDialog(WorkerDialog):
    """The recipe window; ``use_model(path)`` asks the editor to load the exported model."""

    use_model = Signal(str)

    def __init__(self, parent: QWidget | None = None, out_dir: Path | None = None):
        super().__init__(parent, "Train a model", (860, 640))
        self._stage_items: dict[str, QTreeWidgetItem] = {}
        self._build_widgets()
        self._build_layout()
        if out_dir is not None:
            self.out_edit.setText(str(out_dir))
        self._preset_changed()
        self._set_running(False)

    # ---- construction -----------------------------------------------------------------------

    def _build_widgets(self) -> None:
        self.data_edit = line_edit("dataset folder (PG2 layout), or a new one for synthetic data")
        self.synth_check = QCheckBox("make a synthetic dataset there first, of")
        self.synth_count = QSpinBox()
        self.synth_count.setRange(8, 100_000)
        self.synth_count.setSuffix(" images")
        self.synth_check.toggled.connect(self.synth_count.setEnabled)
        self.out_edit = line_edit("recipe folder: every stage's run, recipe.json, model/")
        self.out_edit.textChanged.connect(self._out_changed)
        self.preset_combo = QComboBox()
        for key, (label, *_rest) in PRESETS.items():
            self.preset_combo.addItem(label, key)
        self.preset_combo.currentIndexChanged.connect(self._preset_changed)
        self.pose_check = QCheckBox("train the pose regressor and use the pose loss (§4.5)")
        self.device_combo = device_combo("auto: CUDA when there is a GPU, else the CPU")
        self.stages = QTreeWidget()
        self.stages.setHeaderLabels(["stage", "state"])
        self.stages.setRootIsDecorated(False)
        self._build_status_lines("step %v / %m")
        self.losses_label = QLabel("")
        self.losses_label.setWordWrap(True)
        self.preview = PreviewPanel()
        self.start_button = push_button("mdi6.play", "Start", self.start)
        self.stop_button = push_button(
            "mdi6.stop", "Stop", self.stop, "stop after the current step (a checkpoint is kept)"
        )
        self.use_button = push_button(
            "mdi6.check-bold", "Use this model", self.use, "load the exported model in the editor"
        )
        self.close_button = push_button("mdi6.close", "Close", self.close)

    def _build_layout(self) -> None:
        form = QFormLayout()
        form.addRow("Dataset", self._browse_row(self.data_edit, "dataset folder"))
        synth = QHBoxLayout()
        synth.addWidget(self.synth_check)
        synth.addWidget(self.synth_count)
        synth.addStretch(1)
        form.addRow("", synth)
        form.addRow("Recipe folder", self._browse_row(self.out_edit, "recipe folder"))
        form.addRow("Recipe", self.preset_combo)
        form.addRow("", self.pose_check)
        form.addRow("Device", self.device_combo)
        left = QVBoxLayout()
        left.addLayout(form)
        left.addWidget(self.stages, 1)
        left.addWidget(self.progress)
        left.addWidget(self.status_label)
        left.addWidget(self.losses_label)
        left.addWidget(self.error_label)
        columns = QHBoxLayout()
        columns.addLayout(left, 3)
        columns.addWidget(self.preview, 2)
        buttons = QHBoxLayout()
        for button in (self.start_button, self.stop_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        buttons.addWidget(self.use_button)
        buttons.addWidget(self.close_button)
        layout = QVBoxLayout(self)
        layout.addLayout(columns, 1)
        layout.addLayout(buttons)

    # ---- settings ---------------------------------------------------------------------------

    @property
    def out_dir(self) -> Path | None:
        from spt_studio.widgets.path_row import typed_path

        return typed_path(self.out_edit)

    @property
    def preset(self) -> str:
        return self.preset_combo.currentData()

    def config(self) -> RecipeConfig:
        """The recipe the settings describe (a new recipe; Resume uses the saved one)."""
        return recipe_config(self.preset, self.pose_check.isChecked())

    def _preset_changed(self) -> None:
        _label, factory, _size, count = PRESETS[self.preset]
        self.pose_check.setChecked(factory().posenet is not None)
        self.synth_count.setValue(count)
        self._show_stages(self.config().stages())

    def _out_changed(self) -> None:
        state = self._saved_state()
        if state is not None:
            self._show_stages(state.config.stages(), state.done)
        self._update_buttons()

    def _saved_state(self):
        if self.out_dir is None:
            return None
        try:
            return read_recipe_state(self.out_dir)
        except SptError:
            return None

    def _show_stages(self, stages: tuple[str, ...], done: list[str] | None = None) -> None:
        self.stages.clear()
        self._stage_items = {}
        for stage in stages:
            state = "done" if done and stage in done else "waiting"
            item = QTreeWidgetItem([STAGE_TITLES.get(stage, stage), state])
            self.stages.addTopLevelItem(item)
            self._stage_items[stage] = item
        self.stages.resizeColumnToContents(0)

    def _settings_widgets(self) -> tuple[QWidget, ...]:
        return (
            self.data_edit,
            self.synth_check,
            self.synth_count,
            self.out_edit,
            self.preset_combo,
            self.pose_check,
            self.device_combo,
        )

    def _browse(self, edit, what: str) -> None:
        folder = QFileDialog.getExistingDirectory(self, f"Choose the {what}", edit.text())
        if folder:
            edit.setText(folder)
            self._out_changed()

    def _update_buttons(self) -> None:
        running = self.is_running()
        state = self._saved_state()
        resumable = state is not None and not state.finished
        self.start_button.setText("Resume" if resumable else "Start")
        self.start_button.setEnabled(not running and not (state is not None and state.finished))
        self.stop_button.setEnabled(running)
        model = self.model_dir
        self.use_button.setEnabled(not running and model is not None and model.is_dir())

    @property
    def model_dir(self) -> Path | None:
        """The exported model of a finished recipe in the recipe folder, or None."""
        state = self._saved_state()
        if state is None or not state.finished:
            return None
        return self.out_dir / "model"

    # ---- actions ----------------------------------------------------------------------------

    def start(self) -> bool:
        """Start the recipe, or resume it where it stopped; False (and a message) when not."""
        if self.is_running():
            return False
        out = self.out_dir
        if out is None:
            return self._fail("choose a recipe folder")
        try:
            state = read_recipe_state(out)
        except SptError as exc:
            return self._fail(str(exc))
        data = self.data_dir
        if state is not None:  # resume with the settings it started with
            config = state.config
            data = data or state.data_dir
            self._show_stages(config.stages(), state.done)
        else:
            config = self.config()
            self._show_stages(config.stages())
        synthetic = None
        if self.synth_check.isChecked():
            synthetic = (self.synth_count.value(), PRESETS[self.preset][2])
        if data is None:
            return self._fail("choose a dataset folder")
        if synthetic is None and not data.is_dir():
            return self._fail(f"{data}: dataset folder not found")
        self.error_label.setText("")
        self.progress.setFormat("step %v / %m")
        device = self.device_combo.currentText()
        build = functools.partial(build_recipe, data, out, config, device, synthetic)
        from spt_studio.workers.training import TrainingWorker

        worker = TrainingWorker(build)
        worker.event.connect(self._on_event)
        self._start_worker(worker, "recipe")
        return True

    def stop(self) -> None:
        """Stop after the current step; Resume continues from there."""
        if self.worker is not None:
            self.worker.stop()
            self.status_label.setText("stopping after the current step…")
            self._update_buttons()

    def use(self) -> None:
        """Hand the exported model to the editor."""
        model = self.model_dir
        if model is not None:
            self.use_model.emit(str(model))
            self.status_label.setText(f"the editor now renders with {model}")

    def _fail(self, message: str) -> bool:
        self.error_label.setText(message)
        self.status_label.setText("not running")
        return False

    # ---- events from the worker -------------------------------------------------------------

    def _on_event(self, event) -> None:
        if isinstance(event, StageEvent):
            item = self._stage_items.get(event.stage)
            state = {"start": "running", "done": "done", "skipped": "done before"}[event.status]
            if item is not None:
                item.setText(1, state)
            self.status_label.setText(
                f"stage {event.index + 1} of {event.count}: {STAGE_TITLES[event.stage]} ({state})"
            )
            if event.status == "start":
                self.progress.setRange(0, 1)
                self.progress.setValue(0)
                self.losses_label.setText("")
            else:  # done, or done before
                self.progress.setValue(self.progress.maximum())
        elif isinstance(event, StepEvent):
            self.progress.setRange(0, event.total_steps)
            self.progress.setValue(event.step)
            self.losses_label.setText(
                "  ".join(f"{name} {value:.3f}" for name, value in event.losses.items())
            )
            for item in self._stage_items.values():
                if item.text(1).startswith("running"):
                    item.setText(1, f"running: step {event.step} / {event.total_steps}")
        elif isinstance(event, PreviewEvent):
            self.preview.set_images(event.step, event.images)

    def _on_finished(self, _done) -> None:
        state = self._saved_state()
        if state is not None and state.finished:
            self.status_label.setText(f"model ready: {self.out_dir / 'model'}")
            self.progress.setFormat("every stage done")
        else:
            self.status_label.setText("stopped; press Resume to continue where it stopped")
            for item in self._stage_items.values():
                if item.text(1).startswith("running"):
                    item.setText(1, "stopped")

    def _on_failed(self, message: str) -> None:
        self._fail(message)

    def shutdown(self, timeout_ms: int = 30_000) -> bool:
        """Stop the recipe and wait for its thread; True when none is left running."""
        thread = self.thread
        self.stop()
        return thread is None or thread.wait(timeout_ms)

    def closeEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        """Closing stops the recipe after its step (Resume later continues it)."""
        self.stop()
        super().closeEvent(event)
