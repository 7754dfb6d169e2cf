"""Tools > Train: pick a network, a dataset and a run folder, edit the configs, train and watch.

The settings come from the config dataclasses (one tab per section, see
``spt_core.train.factory``); training runs in a :class:`~spt_studio.workers.training.
TrainingWorker` thread, and its events feed a progress bar, live loss curves and the newest
preview picture. Stop asks the loop to finish its step and write a checkpoint; Resume loads the
run's saved network settings and continues from its newest checkpoint.

This module holds the dialog and its settings; starting, resuming, stopping and following a run
is :class:`~spt_studio.dialogs.training_run.TrainingRunMixin`'s.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from spt_core.config import field_choices, path_fields
from spt_core.models.checkpoint import latest_checkpoint
from spt_core.search.store import DEFAULT_PSEUDO_LABELS
from spt_core.train import factory
from spt_core.train.events import DoneEvent
from spt_studio.dialogs.training_run import TrainingRunMixin
from spt_studio.dialogs.worker_dialog import WorkerDialog
from spt_studio.widgets.config_form import ConfigForm, value_error
from spt_studio.widgets.factories import (
    AUTO_DEVICE_TIP,
    device_combo,
    line_edit,
    push_button,
    scrolled,
)
from spt_studio.widgets.loss_plot import LossPlot
from spt_studio.widgets.path_row import typed_path
from spt_studio.widgets.preview_panel import PreviewPanel

KIND_LABELS = {
    "semantic": "Semantic network (H_S)",
    "appearance": "Appearance network (H_A)",
    "joint": "Joint (H_S + H_A end to end)",
    "posenet": "Pose regressor (P)",
    "parser": "Human parser (for photos)",
}
SECTION_LABELS = {
    "train": "Training",
    "model": "Network",
    "losses": "Losses",
    "semantic_losses": "Parsing losses",
    "progressive": "256 px",
    "inputs": "Inputs",
}
#: Kinds that train on the pseudo labels (the dialog offers to run the search for them).
NEEDS_PSEUDO_LABELS = ("semantic", "joint")


class TrainingDialog(TrainingRunMixin, WorkerDialog):
    """Non-modal training window (see the module docstring).

    Args:
        parent: Qt parent (the main window).
        data_dir: dataset folder to start with.

    Signals:
        run_finished(object): the DoneEvent of a run that ended (finished or stopped).
    """

    run_finished = Signal(object)

    def __init__(self, parent: QWidget | None = None, data_dir: Path | None = None):
        super().__init__(parent, "Train a network", (1180, 720))
        self.forms: dict[str, ConfigForm] = {}
        self.last_done: DoneEvent | None = None
        self._seconds_per_step: float | None = None
        self._run_dir_auto = True  # follow kind and dataset until the user types a folder
        self._search_dialog = None
        self._form_error_shown = False

        self._build_widgets()
        self._build_layout()
        if data_dir is not None:
            self.data_edit.setText(str(data_dir))
        self._kind_changed()
        self._set_running(False)

    # ---- construction -----------------------------------------------------------------------

    def _build_widgets(self) -> None:
        self.kind_combo = QComboBox()
        for kind in factory.trainer_kinds():
            self.kind_combo.addItem(KIND_LABELS.get(kind, kind), kind)
        self.kind_combo.currentIndexChanged.connect(self._kind_changed)
        self.preset_combo = QComboBox()
        self.preset_combo.addItems(["paper", "tiny"])
        self.preset_combo.setToolTip(
            "paper: the method's settings; tiny: a 32x16 network that trains in seconds on a "
            "CPU (to try the editor)"
        )
        self.preset_combo.activated.connect(self._apply_preset)
        self.data_edit = line_edit("dataset folder (PG2 layout)")
        self.data_edit.editingFinished.connect(self._data_changed)
        self.run_edit = line_edit("run folder: checkpoints, log.jsonl, previews")
        self.run_edit.textEdited.connect(self._run_edited)
        self.run_edit.textChanged.connect(self._update_buttons)
        self.device_combo = device_combo(AUTO_DEVICE_TIP)
        self.search_button = push_button(
            "mdi6.magnify",
            "Pseudo labels…",
            self.open_search,
            "run the pseudo-label search the semantic network needs",
        )

        self.tabs = QTabWidget()
        self.start_button = push_button("mdi6.play", "Start", self.start)
        self.stop_button = push_button(
            "mdi6.stop", "Stop", self.stop, "stop after the current step and write a checkpoint"
        )
        self.resume_button = push_button(
            "mdi6.restart",
            "Resume",
            self.resume,
            "continue the run in the run folder from its newest checkpoint, with its saved "
            "network and loss settings",
        )

        self._build_status_lines("step %v / %m")
        self.eta_label = QLabel("")
        # A failure message may name a file or a setting the user wants to copy.
        self.error_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self.loss_plot = LossPlot()
        self.preview = PreviewPanel()

    def _build_layout(self) -> None:
        grid = QGridLayout()
        grid.addWidget(QLabel("Network"), 0, 0)
        grid.addWidget(self.kind_combo, 0, 1)
        grid.addWidget(QLabel("Preset"), 0, 2)
        grid.addWidget(self.preset_combo, 0, 3)
        grid.addWidget(QLabel("Dataset"), 1, 0)
        grid.addWidget(self._browse_row(self.data_edit, "dataset folder"), 1, 1, 1, 3)
        grid.addWidget(QLabel("Run folder"), 2, 0)
        grid.addWidget(self._browse_row(self.run_edit, "run folder"), 2, 1, 1, 3)
        grid.addWidget(QLabel("Device"), 3, 0)
        grid.addWidget(self.device_combo, 3, 1)
        grid.addWidget(self.search_button, 3, 3)
        grid.setColumnStretch(1, 1)

        buttons = QHBoxLayout()
        for button in (self.start_button, self.stop_button, self.resume_button):
            buttons.addWidget(button)
        buttons.addStretch(1)

        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addLayout(grid)
        left_layout.addWidget(self.tabs, 1)
        left_layout.addLayout(buttons)

        right = QSplitter(Qt.Orientation.Vertical)
        right.addWidget(self.loss_plot)
        right.addWidget(self.preview)
        right.setStretchFactor(0, 1)
        right.setStretchFactor(1, 1)
        right.setSizes([360, 320])

        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(left)
        split.addWidget(right)
        split.setStretchFactor(0, 2)
        split.setStretchFactor(1, 3)
        split.setSizes([470, 700])

        status = QHBoxLayout()
        status.addWidget(self.progress, 2)
        status.addWidget(self.eta_label)
        layout = QVBoxLayout(self)
        layout.addWidget(split, 1)
        layout.addLayout(status)
        layout.addWidget(self.status_label)
        layout.addWidget(self.error_label)

    # ---- settings -----------------------------------------------------------------------------

    @property
    def kind(self) -> str:
        return self.kind_combo.currentData()

    @property
    def run_dir(self) -> Path | None:
        return typed_path(self.run_edit)

    def set_kind(self, kind: str) -> None:
        """Select a network kind (its forms are reset to the defaults)."""
        index = self.kind_combo.findData(kind)
        if index < 0:
            raise ValueError(f"unknown network kind {kind!r}")
        if index == self.kind_combo.currentIndex():
            self._kind_changed()
        else:
            self.kind_combo.setCurrentIndex(index)

    def _kind_changed(self) -> None:
        self._build_forms(factory.default_sections(self.kind, self.data_dir))
        self.preset_combo.setCurrentText("paper")
        self.search_button.setVisible(self.kind in NEEDS_PSEUDO_LABELS)
        self._suggest_run_dir()

    def _build_forms(self, sections: dict) -> None:
        self.tabs.clear()
        self.forms = {}
        for name, config in sections.items():
            cls = type(config)
            form = ConfigForm(
                cls,
                config,
                choices=field_choices(cls),
                paths=path_fields(cls),
                # The device has its own combo box above the tabs.
                hidden=("device",) if name == "train" else (),
            )
            form.changed.connect(self._update_buttons)
            self.tabs.addTab(scrolled(form), SECTION_LABELS.get(name, name))
            self.forms[name] = form
        if "train" in sections:
            self.device_combo.setCurrentText(sections["train"].device)
        self._update_buttons()

    def set_sections(self, sections: dict) -> None:
        """Show these configs (section name -> dataclass) in the forms of the current kind."""
        for name, config in sections.items():
            if name in self.forms:
                self.forms[name].set_value(config)
        if "train" in sections and self.device_combo.findText(sections["train"].device) >= 0:
            self.device_combo.setCurrentText(sections["train"].device)

    def sections(self) -> dict:
        """The configs the forms describe, the device from its combo box.

        Raises:
            ValueError: a field that does not parse or a config its dataclass refuses.
        """
        out = {}
        for name, form in self.forms.items():
            try:
                out[name] = form.value()
            except ValueError as exc:
                raise ValueError(f"{SECTION_LABELS.get(name, name)}: {exc}") from None
        if "train" in out:
            out["train"] = dataclasses.replace(out["train"], device=self.device_combo.currentText())
        return out

    def _apply_preset(self) -> None:
        self.set_sections(factory.presets(self.kind)[self.preset_combo.currentText()])

    def _data_changed(self) -> None:
        # Sizes that depend on the dataset (the pose regressor's) follow it, unless running.
        if not self.is_running():
            sized = factory.default_sections(self.kind, self.data_dir)
            if "model" in self.forms and self.forms["model"].error() is None:
                current = self.forms["model"].value()
                if current == type(current)():  # untouched defaults only
                    self.forms["model"].set_value(sized["model"])
        self._suggest_run_dir()

    def _run_edited(self) -> None:
        self._run_dir_auto = False

    def _suggest_run_dir(self) -> None:
        if not self._run_dir_auto or self.data_dir is None:
            self._update_buttons()
            return
        self.run_edit.setText(
            str(self.data_dir.parent / "runs" / f"{self.data_dir.name}-{self.kind}")
        )

    def _browse(self, edit: QLineEdit, title: str) -> None:
        chosen = QFileDialog.getExistingDirectory(self, f"Choose the {title}", edit.text())
        if not chosen:
            return
        edit.setText(chosen)
        if edit is self.data_edit:
            self._data_changed()
        else:
            self._run_dir_auto = False

    # ---- state ------------------------------------------------------------------------------

    def _update_buttons(self) -> None:
        running = self.is_running()
        error = None if running else value_error(self.sections)
        # A form problem is shown until fixed; a run's failure stays until the next attempt.
        if error is not None:
            self.error_label.setText(error)
            self._form_error_shown = True
        elif self._form_error_shown:
            self.error_label.setText("")
            self._form_error_shown = False
        run_dir = self.run_dir
        has_run = run_dir is not None and latest_checkpoint(run_dir) is not None
        self.start_button.setEnabled(not running and error is None)
        self.resume_button.setEnabled(not running and has_run)
        self.stop_button.setEnabled(running and not self.worker.stop_requested)

    def _settings_widgets(self) -> tuple[QWidget, ...]:
        # The forms, not the tab widget, are disabled: a run's settings stay readable.
        return (
            self.kind_combo,
            self.preset_combo,
            self.data_edit,
            self.run_edit,
            self.device_combo,
            self.search_button,
            *self.forms.values(),
        )

    def _fail(self, message: str) -> None:
        self.error_label.setText(message)
        self._form_error_shown = False
        self.status_label.setText("not running")

    # ---- other tools and closing --------------------------------------------------------------

    def open_search(self) -> None:
        """Open the pseudo-label search for the dataset (what the semantic network trains on)."""
        from spt_studio.dialogs.search import SearchDialog

        if self._search_dialog is None:
            self._search_dialog = SearchDialog(self, self.data_dir)
            self._search_dialog.completed.connect(self._search_completed)
        elif self.data_dir is not None and not self._search_dialog.is_running():
            self._search_dialog.set_data_dir(self.data_dir)
        self._search_dialog.show()
        self._search_dialog.raise_()

    def _search_completed(self, summary) -> None:
        # Train on what was just searched, also when it was saved somewhere else than the
        # dataset's default file.
        inputs = self.forms.get("inputs")
        if inputs is None or "pseudo_labels" not in inputs.editors or self.is_running():
            return
        default = self.data_dir / DEFAULT_PSEUDO_LABELS if self.data_dir else None
        same = default is not None and Path(summary.out) == default
        inputs.editors["pseudo_labels"].setText("" if same else str(summary.out))

    def closeEvent(self, event) -> None:  # noqa: N802 (Qt's name)
        # Closing stops the run cleanly (checkpoint written) without freezing the GUI: the
        # worker thread outlives the window until its step ends.
        self.stop()
        super().closeEvent(event)
