"""The editor window: menus, toolbars, docks and the wiring between them.

Behaviour lives elsewhere: edits are commands on the document's History
(:mod:`spt_studio.document`), mouse tools are in :mod:`spt_studio.canvases.tools`, renders run
in :mod:`spt_studio.workers.render`. Actions are built from one table
(:meth:`MainWindow._action_table`).

Layout: the mode's editor (pose canvas | label canvas | transfer page) on the left of a splitter,
the live result on the right; the label palette dock on the left in paint mode; the overview
strip (source | parsing | pose | result) docked at the bottom; render time and model in the
status bar.
"""

from __future__ import annotations

import threading
from pathlib import Path

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QComboBox,
    QDockWidget,
    QLabel,
    QMainWindow,
    QMessageBox,
    QSlider,
    QSpinBox,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from spt_core import labels as lb
from spt_core import skeleton as sk
from spt_studio import resources  # noqa: F401 - PySide6/3.11 None refcount guard
from spt_studio.canvases.label_canvas import LabelCanvas
from spt_studio.canvases.pose_canvas import PoseCanvas
from spt_studio.document import (
    MODES,
    Change,
    Document,
    History,
)
from spt_studio.document.autosave import Autosaver
from spt_studio.document.frames import crop_to_photo
from spt_studio.main_window_edits import EditCommandsMixin
from spt_studio.main_window_files import FileCommandsMixin
from spt_studio.widgets.actions import ActionSpec, create_actions, exclusive, fill
from spt_studio.widgets.image_panel import ImagePanel
from spt_studio.widgets.label_palette import LabelPalette, label_title
from spt_studio.widgets.overview import OverviewStrip
from spt_studio.widgets.transfer_panel import TransferPanel
from spt_studio.workers.render import (
    RenderController,
    RenderResult,
    pose_unchanged,
    request_for,
)

MODE_TITLES = {"repose": "Repose", "paint": "Paint parsing", "transfer": "Transfer"}


class MainWindow(EditCommandsMixin, FileCommandsMixin, QMainWindow):
    """SPT Studio's editor window.

    Args:
        pipeline: an ``SPTPipeline`` to render with (tests, development); None loads the
            default model in the render thread when ``load_default_model``.
        load_default_model: try the shipped model at start (a missing one is reported in the
            status bar, not as an error).
        autosave_dir: where autosaves go (None: the per-user default).
        autosave_ms: autosave period; 0 disables it.
    """

    def __init__(
        self,
        pipeline=None,
        load_default_model: bool = True,
        autosave_dir: str | Path | None = None,
        autosave_ms: int = 60_000,
    ):
        super().__init__()
        self.history: History | None = None
        self.project_path: Path | None = None
        self.ask_before_close = True
        self.model_path, self.model_device = "", "auto"
        self.last_result: RenderResult | None = None
        self._changes = 0
        self._autosaved_changes = 0
        self._generation = 0  # bumped per document: late results of an old one are dropped
        self._model_missing = False  # the last model load failed: no renders until a new one
        self._autosave_thread: threading.Thread | None = None
        self._autosave_error = ""
        self._dialogs: list = []
        self.autosaver = Autosaver(autosave_dir)
        self.renderer = RenderController(pipeline, parent=self)
        self.renderer.result_ready.connect(self.on_result)
        self.renderer.render_failed.connect(self.on_render_failed)
        self.renderer.model_loaded.connect(self.on_model_loaded)
        self.renderer.model_failed.connect(self.on_model_failed)
        self._build_central()
        self._build_docks()
        self._build_status_bar()
        self.actions_by_key: dict[str, QAction] = {}
        self._build_actions()
        self._build_menus_and_toolbars()
        # Overview updates are throttled: a drag changes the pose ~60 times a second, the
        # strip needs a few refreshes a second at most.
        self._overview_timer = QTimer(self, singleShot=True, interval=60)
        self._overview_timer.timeout.connect(self.update_overview)
        self._autosave_timer = QTimer(self, interval=max(autosave_ms, 1000))
        self._autosave_timer.timeout.connect(self.autosave)
        if autosave_ms:
            self._autosave_timer.start()
        self.setWindowTitle("SPT Studio")
        self.resize(1280, 820)
        self.set_mode("repose")
        self._update_actions()
        if pipeline is None and load_default_model:
            self.renderer.load_model("", "auto")

    # ------------------------------------------------------------------------------------------
    # Construction

    def _build_central(self) -> None:
        self.pose_canvas = PoseCanvas()
        self.pose_canvas.setToolTip("")
        self.label_canvas = LabelCanvas()
        self.transfer_panel = TransferPanel()
        self.editors = QStackedWidget()
        for widget in (self.pose_canvas, self.label_canvas, self.transfer_panel):
            self.editors.addWidget(widget)
        self.result_panel = ImagePanel("result")
        self.result_panel.setToolTip("The live result: re-rendered after every edit")
        splitter = QSplitter()
        splitter.addWidget(self.editors)
        splitter.addWidget(self.result_panel)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        splitter.setSizes([600, 400])
        self.setCentralWidget(splitter)
        self.pose_canvas.cursor_moved.connect(self.show_cursor)
        self.label_canvas.cursor_moved.connect(self.show_cursor)
        self.label_canvas.label_changed.connect(self._label_changed)
        self.transfer_panel.labels_changed.connect(self.set_transfer_labels)
        self.transfer_panel.load_image_requested.connect(self.load_reference_image)
        self.transfer_panel.load_sample_requested.connect(self.load_reference_sample)

    def _build_docks(self) -> None:
        self.palette_widget = LabelPalette()
        self.palette_widget.label_selected.connect(self.label_canvas.set_label)
        panel = QWidget()
        layout = QVBoxLayout(panel)
        layout.setContentsMargins(4, 4, 4, 4)
        self.layer_combo = QComboBox()
        self.layer_combo.addItem("Target parsing (rendered)", "target_parsing")
        self.layer_combo.addItem("Source parsing (fix the photo's)", "source_parsing")
        self.layer_combo.setToolTip("Which map the brush paints")
        self.layer_combo.currentIndexChanged.connect(
            lambda _i: self.label_canvas.set_layer(self.layer_combo.currentData())
        )
        self.brush_spin = QSpinBox(minimum=1, maximum=200, value=5, suffix=" px")
        self.brush_spin.setToolTip("Brush diameter in image pixels  [ and ]")
        self.brush_spin.valueChanged.connect(self.label_canvas.set_brush_size)
        self.opacity_slider = QSlider(Qt.Orientation.Horizontal, minimum=0, maximum=100, value=60)
        self.opacity_slider.setToolTip("Opacity of the labels over the photo")
        self.opacity_slider.valueChanged.connect(lambda v: self.label_canvas.set_opacity(v / 100))
        layout.addWidget(QLabel("Paint on"))
        layout.addWidget(self.layer_combo)
        layout.addWidget(self.palette_widget)
        layout.addWidget(QLabel("Brush size"))
        layout.addWidget(self.brush_spin)
        layout.addWidget(QLabel("Overlay opacity"))
        layout.addWidget(self.opacity_slider)
        layout.addStretch(1)
        self.palette_dock = QDockWidget("Labels", self)
        self.palette_dock.setObjectName("labels")
        self.palette_dock.setWidget(panel)
        self.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, self.palette_dock)
        self.overview = OverviewStrip()
        self.overview_dock = QDockWidget("Source | parsing | pose | result", self)
        self.overview_dock.setObjectName("overview")
        self.overview_dock.setWidget(self.overview)
        self.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, self.overview_dock)
        self.resizeDocks([self.overview_dock], [230], Qt.Orientation.Vertical)

    def _build_status_bar(self) -> None:
        self.render_label = QLabel("no render yet")
        self.render_label.setToolTip("Time of the last render: in the model (and since the edit)")
        self.model_label = QLabel("loading model...")
        self.model_label.setToolTip("Model and device (Tools > Model and device)")
        self.statusBar().addPermanentWidget(self.render_label)
        self.statusBar().addPermanentWidget(self.model_label)
        self.statusBar().showMessage("File > Open image or Open dataset sample to start")

    def _action_table(self) -> list[ActionSpec]:
        std = QKeySequence.StandardKey
        specs = [
            ActionSpec(
                "open_image",
                "&Open image...",
                self.open_image,
                "fa5s.image",
                std.Open,
                "Open a photo of one person",
                needs_document=False,
            ),
            ActionSpec(
                "open_sample",
                "Open dataset &sample...",
                self.open_sample,
                "fa5s.database",
                "Ctrl+Shift+O",
                "Open a sample of a dataset folder",
                needs_document=False,
            ),
            ActionSpec(
                "open_project",
                "Open &project...",
                self.open_project,
                "fa5s.folder-open",
                "Ctrl+Shift+P",
                "Open a .sptproj project",
                needs_document=False,
            ),
            ActionSpec(
                "save",
                "&Save project",
                self.save,
                "fa5s.save",
                std.Save,
                "Save the project (.sptproj)",
            ),
            ActionSpec(
                "save_as",
                "Save project &as...",
                self.save_as,
                "",
                std.SaveAs,
                "Save the project under a new name",
            ),
            ActionSpec(
                "export",
                "&Export result PNG...",
                self.export_result,
                "fa5s.file-export",
                "Ctrl+E",
                "Write the result image as PNG",
            ),
            ActionSpec("quit", "&Quit", self.close, "", std.Quit, needs_document=False),
            ActionSpec("undo", "&Undo", self.undo, "fa5s.undo", std.Undo, "Undo one gesture"),
            ActionSpec("redo", "&Redo", self.redo, "fa5s.redo", std.Redo, "Redo"),
            ActionSpec(
                "mirror",
                "&Mirror left/right",
                self.mirror_pose,
                "fa5s.arrows-alt-h",
                "M",
                "Swap the left and right side of the target pose",
            ),
            ActionSpec(
                "reset_pose",
                "&Reset to source pose",
                self.reset_pose,
                "fa5s.undo-alt",
                "Ctrl+R",
                "Make the target pose the photo's pose again",
            ),
            ActionSpec(
                "toggle_joint",
                "&Hide/show selected joint",
                self.toggle_joint,
                "fa5s.eye-slash",
                "H",
                "A hidden joint is missing for the model",
            ),
            ActionSpec(
                "bone_lock",
                "&Bone-length lock",
                self.set_bone_lock,
                "fa5s.lock",
                "L",
                "Keep bone lengths while dragging",
                checkable=True,
                pass_checked=True,
            ),
            ActionSpec(
                "copy_pose_sample",
                "Copy pose from dataset &sample...",
                self.copy_pose_from_sample,
                "fa5s.copy",
                "",
                "Take the pose of a dataset sample",
            ),
            ActionSpec(
                "copy_pose_reference",
                "Copy pose from &second person",
                self.copy_pose_from_reference,
                "",
                "",
                "Take the pose of the second person (transfer mode)",
            ),
            ActionSpec(
                "copy_pose_image",
                "Copy pose from &image...",
                self.copy_pose_from_image,
                "",
                "",
                "Detect the pose in another photo (needs the detect extra)",
            ),
            ActionSpec(
                "brush",
                "&Brush",
                lambda: self.set_paint_tool("brush"),
                "fa5s.paint-brush",
                "B",
                "Paint the current label",
                checkable=True,
            ),
            ActionSpec(
                "eraser",
                "&Eraser",
                lambda: self.set_paint_tool("eraser"),
                "fa5s.eraser",
                "E",
                "Paint background",
                checkable=True,
            ),
            ActionSpec(
                "fill",
                "&Fill",
                lambda: self.set_paint_tool("fill"),
                "fa5s.fill-drip",
                "G",
                "Flood-fill a region of one label",
                checkable=True,
            ),
            ActionSpec(
                "picker",
                "&Picker",
                lambda: self.set_paint_tool("picker"),
                "fa5s.eye-dropper",
                "I",
                "Pick the label under the cursor",
                checkable=True,
            ),
            ActionSpec(
                "brush_smaller",
                "Smaller brush",
                lambda: self.resize_brush(1 / 1.25),
                "",
                "[",
                "Brush size / 1.25",
            ),
            ActionSpec(
                "brush_larger",
                "Larger brush",
                lambda: self.resize_brush(1.25),
                "",
                "]",
                "Brush size x 1.25",
            ),
            ActionSpec(
                "use_predicted",
                "Use &predicted parsing",
                self.use_predicted_parsing,
                "fa5s.magic",
                "P",
                "Paint from the parsing the model predicted",
            ),
            ActionSpec(
                "parsing_from_pose",
                "&Initialise from pose",
                self.parsing_from_pose,
                "fa5s.user",
                "",
                "Draw a plain parsing from the target pose",
            ),
            ActionSpec(
                "reset_parsing",
                "Reset to &source parsing",
                self.reset_parsing,
                "",
                "",
                "Make the target parsing the photo's parsing again",
            ),
            ActionSpec(
                "zoom_in", "Zoom &in", lambda: self._zoom(1.25), "fa5s.search-plus", std.ZoomIn
            ),
            ActionSpec(
                "zoom_out", "Zoom &out", lambda: self._zoom(0.8), "fa5s.search-minus", std.ZoomOut
            ),
            ActionSpec("zoom_fit", "&Fit", lambda: self._zoom(None), "fa5s.expand", "Ctrl+0"),
            ActionSpec(
                "train",
                "&Train...",
                self.open_training,
                "fa5s.dumbbell",
                "",
                "Train the networks on a dataset",
                needs_document=False,
            ),
            ActionSpec(
                "search",
                "Pseudo-label &search...",
                self.open_search,
                "fa5s.search",
                "",
                "Search pseudo labels for semantic training",
                needs_document=False,
            ),
            ActionSpec(
                "model",
                "&Model and device...",
                self.choose_model,
                "fa5s.cogs",
                "",
                "Choose the model and CPU / CUDA",
                needs_document=False,
            ),
            ActionSpec(
                "help",
                "Editor &help",
                self.show_help,
                "fa5s.question-circle",
                std.HelpContents,
                needs_document=False,
            ),
            ActionSpec("about", "&About", self.show_about, "", "", needs_document=False),
        ]
        for i, mode in enumerate(MODES, start=1):
            specs.append(
                ActionSpec(
                    f"mode_{mode}",
                    MODE_TITLES[mode],
                    lambda _c=False, m=mode: self.set_mode(m),
                    {
                        "repose": "fa5s.walking",
                        "paint": "fa5s.paint-brush",
                        "transfer": "fa5s.tshirt",
                    }[mode],
                    f"Ctrl+{i}",
                    f"{MODE_TITLES[mode]} mode",
                    checkable=True,
                    needs_document=False,
                )
            )
        for label in range(lb.NUM_LABELS):
            specs.append(
                ActionSpec(
                    f"label_{label}",
                    f"Label {label}: {label_title(label)}",
                    lambda _c=False, k=label: self.choose_label(k),
                    "",
                    str(label),
                    needs_document=False,
                )
            )
        return specs

    def _build_actions(self) -> None:
        specs = self._action_table()
        self.actions_by_key.update(create_actions(self, specs))
        self._document_actions = [self.actions_by_key[s.key] for s in specs if s.needs_document]
        a = self.actions_by_key
        exclusive(self, [a["mode_repose"], a["mode_paint"], a["mode_transfer"]])
        exclusive(self, [a["brush"], a["eraser"], a["fill"], a["picker"]])
        a["brush"].setChecked(True)

    def _build_menus_and_toolbars(self) -> None:
        a = self.actions_by_key
        menus = {
            "&File": [
                "open_image",
                "open_sample",
                "open_project",
                None,
                "save",
                "save_as",
                None,
                "export",
                None,
                "quit",
            ],
            "&Edit": ["undo", "redo"],
            "&View": [
                "mode_repose",
                "mode_paint",
                "mode_transfer",
                None,
                "zoom_in",
                "zoom_out",
                "zoom_fit",
            ],
            "&Pose": [
                "mirror",
                "reset_pose",
                "toggle_joint",
                "bone_lock",
                None,
                "copy_pose_sample",
                "copy_pose_reference",
                "copy_pose_image",
            ],
            "P&arsing": [
                "brush",
                "eraser",
                "fill",
                "picker",
                "brush_smaller",
                "brush_larger",
                None,
                "use_predicted",
                "parsing_from_pose",
                "reset_parsing",
                None,
            ]
            + [f"label_{k}" for k in range(lb.NUM_LABELS)],
            "&Tools": ["train", "search", None, "model"],
            "&Help": ["help", "about"],
        }
        for title, keys in menus.items():
            menu = self.menuBar().addMenu(title)
            fill(menu, a, keys)
            if title == "&View":
                menu.addSeparator()
                menu.addAction(self.palette_dock.toggleViewAction())
                menu.addAction(self.overview_dock.toggleViewAction())
        toolbars = {
            "File": ["open_image", "open_sample", "save", "export", None, "undo", "redo"],
            "Mode": ["mode_repose", "mode_paint", "mode_transfer"],
            "Pose": ["mirror", "reset_pose", "toggle_joint", "bone_lock"],
            "Paint": ["brush", "eraser", "fill", "picker", "use_predicted"],
            "View": ["zoom_in", "zoom_out", "zoom_fit"],
        }
        self.toolbars = {}
        for title, keys in toolbars.items():
            bar = self.addToolBar(title)
            bar.setObjectName(f"toolbar_{title.lower()}")
            fill(bar, a, keys)
            self.toolbars[title] = bar

    # ------------------------------------------------------------------------------------------
    # Document

    @property
    def doc(self) -> Document | None:
        return None if self.history is None else self.history.doc

    def set_document(self, doc: Document, project_path: Path | None = None) -> None:
        """Start editing ``doc`` (a fresh history: the document counts as saved)."""
        if self.history is not None:
            self.history.remove_listener(self.on_change)
        self.history = History(doc)
        self.history.add_listener(self.on_change)
        self._generation += 1
        self.project_path = project_path
        self.pose_canvas.set_history(self.history)
        self.label_canvas.set_history(self.history)
        self.last_result = None
        self.result_panel.set_image(doc.result)
        self.set_mode(doc.mode)
        self.transfer_panel.set_labels(doc.settings.get("transfer_labels", []))
        self.transfer_panel.show_people(doc)
        self.actions_by_key["bone_lock"].setChecked(bool(doc.settings.get("bone_lock")))
        self.pose_canvas.bone_lock = bool(doc.settings.get("bone_lock"))
        self._changes = self._autosaved_changes = 0
        self._update_actions()
        self.update_overview()
        self.schedule_render()

    def on_change(self, change: Change) -> None:
        """Every document change: refresh what depends on it and schedule a render."""
        self._changes += 1
        if change.what in ("reference", "settings", "all"):
            doc = self.doc
            self.transfer_panel.set_labels(doc.settings.get("transfer_labels", []))
            self.transfer_panel.show_people(doc)
        self._update_actions()
        if not self._overview_timer.isActive():
            self._overview_timer.start()
        self.schedule_render()

    def schedule_render(self) -> None:
        """Send the current document to the render worker (latest request wins)."""
        if self.doc is None:
            return
        request = request_for(self.doc)
        if request is None:
            self.render_label.setText("transfer: load a second person")
            return
        if self._model_missing:
            self.render_label.setText("no model: Tools > Model and device")
            return
        request.tag = self._generation
        self.renderer.request(request)

    def on_result(self, result: RenderResult) -> None:
        doc = self.doc
        if doc is None or result.tag != self._generation:
            return  # rendered for a document that is no longer open
        self.last_result = result
        # Results come in the model's letterboxed frame: show them with the photo's shape.
        doc.result = crop_to_photo(result.image, doc.size)
        if result.parsing is not None:
            doc.predicted_parsing = result.parsing
        self.result_panel.set_image(doc.result)
        self.render_label.setText(
            f"render {result.seconds * 1000:.0f} ms (edit to result {result.latency * 1000:.0f} ms)"
        )
        if not self._overview_timer.isActive():
            self._overview_timer.start()

    def on_render_failed(self, message: str) -> None:
        if not self.renderer.has_model:
            self.render_label.setText("no model: Tools > Model and device")
            return
        self.render_label.setText("render failed")
        self.statusBar().showMessage(f"Render failed: {message}", 10000)

    def on_model_loaded(self, text: str) -> None:
        self._model_missing = False
        self.model_label.setText(text)
        self.schedule_render()

    def on_model_failed(self, message: str) -> None:
        self._model_missing = not self.renderer.has_model
        self.model_label.setText(
            self.renderer.model_text if self.renderer.has_model else "no model"
        )
        if self._model_missing:
            self.render_label.setText("no model: Tools > Model and device")
        self.statusBar().showMessage(
            f"No model: {message}. Choose one in Tools > Model and device.", 15000
        )

    def update_overview(self) -> None:
        doc = self.doc
        if doc is None:
            return
        # The parsing and pose the current mode renders with: repose shows the predicted
        # map, paint the painted one, transfer this person's own map unless she is reposed.
        pose = doc.effective_target_pose()
        if doc.mode == "paint":
            parsing = doc.target_parsing
        elif doc.mode == "transfer" and pose_unchanged(doc.source_pose, pose):
            parsing = doc.source_parsing
        elif doc.predicted_parsing is not None:
            parsing = crop_to_photo(doc.predicted_parsing, doc.size)
        else:
            parsing = doc.source_parsing if doc.mode == "transfer" else doc.target_parsing
        self.overview.set_images(
            source=doc.image,
            parsing=lb.colorize(parsing),
            pose=sk.draw_skeleton(doc.image // 2, pose),
            result=doc.result,
        )

    def _update_actions(self) -> None:
        has_doc = self.history is not None
        for action in self._document_actions:
            action.setEnabled(has_doc)
        a = self.actions_by_key
        if has_doc:
            h = self.history
            a["undo"].setEnabled(h.can_undo())
            a["redo"].setEnabled(h.can_redo())
            a["undo"].setText(f"&Undo {h.undo_text()}".rstrip())
            a["redo"].setText(f"&Redo {h.redo_text()}".rstrip())
            a["copy_pose_reference"].setEnabled(self.doc.reference is not None)
            a["use_predicted"].setEnabled(True)
        name = (
            "" if not has_doc else (self.project_path.name if self.project_path else self.doc.name)
        )
        # Qt shows "*" in place of "[*]" while the window is modified.
        self.setWindowTitle(f"{name}[*] - SPT Studio" if name else "SPT Studio")
        self.setWindowModified(has_doc and not self.history.is_clean())

    # ------------------------------------------------------------------------------------------
    # Modes and tools

    def set_mode(self, mode: str) -> None:
        """Switch the editor page and the pipeline call (a view setting, saved with the
        project but not an undo step)."""
        if mode not in MODES:
            raise ValueError(f"unknown mode {mode!r}")
        self.editors.setCurrentIndex(MODES.index(mode))
        self.actions_by_key[f"mode_{mode}"].setChecked(True)
        self.palette_dock.setVisible(mode == "paint")
        for title, visible in (("Pose", mode == "repose"), ("Paint", mode == "paint")):
            self.toolbars[title].setVisible(visible)
        doc = self.doc
        if doc is not None and doc.settings.get("mode") != mode:
            doc.settings["mode"] = mode
            self.update_overview()
            self.schedule_render()

    def set_paint_tool(self, name: str) -> None:
        self.label_canvas.set_tool(name)
        self.actions_by_key[name].setChecked(True)
        self.statusBar().showMessage(f"{name} tool", 2000)

    def choose_label(self, label: int) -> None:
        self.label_canvas.set_label(label)
        self._label_changed(label)

    def _label_changed(self, label: int) -> None:
        self.palette_widget.set_label(label)
        self.statusBar().showMessage(f"label {label}: {label_title(label)}", 2000)

    def resize_brush(self, factor: float) -> None:
        size = self.brush_spin.value()
        new = round(size * factor)
        new = new if new != size else size + (1 if factor > 1 else -1)
        self.brush_spin.setValue(max(1, new))

    def _zoom(self, factor: float | None) -> None:
        canvas = self.editors.currentWidget()
        if not hasattr(canvas, "zoom_by"):
            return
        if factor is None:
            canvas.fit()
        else:
            canvas.zoom_by(factor)

    def show_cursor(self, x: float, y: float) -> None:
        doc = self.doc
        if doc is None:
            return
        column, row = round(x), round(y)
        if 0 <= row < doc.size[0] and 0 <= column < doc.size[1]:
            label = int(doc.parsing(self.label_canvas.layer)[row, column])
            self.statusBar().showMessage(f"x {column}  y {row}  label {label_title(label)}")

    # ------------------------------------------------------------------------------------------
    # Tools and help

    def open_training(self) -> None:
        try:
            from spt_studio.dialogs.training import TrainingDialog
        except ImportError as exc:
            QMessageBox.information(
                self, "Training", f"The training dialog is not available ({exc})."
            )
            return
        dialog = TrainingDialog(self)
        self._dialogs.append(dialog)
        dialog.show()

    def open_search(self) -> None:
        try:
            from spt_studio.dialogs.search import SearchDialog
        except ImportError as exc:
            QMessageBox.information(self, "Search", f"The search dialog is not available ({exc}).")
            return
        dialog = SearchDialog(self)
        self._dialogs.append(dialog)
        dialog.show()

    def choose_model(self) -> None:
        from spt_studio.widgets.model_dialog import ModelDialog

        dialog = ModelDialog(self, self.model_path, self.model_device)
        if dialog.exec() == ModelDialog.DialogCode.Accepted:
            self.model_path, self.model_device = dialog.choice()
            self.model_label.setText("loading model...")
            self.renderer.load_model(self.model_path, self.model_device)

    def show_help(self) -> None:
        from spt_studio.help import show_help

        self._dialogs.append(show_help(self))

    def show_about(self) -> None:
        QMessageBox.about(
            self,
            "About SPT Studio",
            "SPT Studio: person image generation with Semantic Parsing Transformation "
            "(Song et al., CVPR 2019).",
        )

    # ------------------------------------------------------------------------------------------

    def closeEvent(self, event) -> None:  # noqa: N802 - Qt override
        if self.ask_before_close and not self.confirm_discard():
            event.ignore()
            return
        self._autosave_timer.stop()
        self._discard_autosave()
        self.renderer.shutdown()
        event.accept()
