"""The editor window: menus, toolbars, docks and the wiring between them.

Behaviour lives elsewhere: the editing rules (mode, which parsing is shown, what is rendered,
pose and parsing edits) are the :class:`~spt_studio.document.session.EditorSession`'s, edits
are commands on its History, mouse tools are in :mod:`spt_studio.canvases.tools`, renders run
in :mod:`spt_studio.workers.render`. Actions are built from one table
(:mod:`spt_studio.main_window_actions`); the File, Edit, rendering and Tools commands are
mixins beside this module.

Layout: the mode's editor (pose canvas | label canvas | transfer page) on the left of a splitter,
the live result on the right; the label palette dock on the left in paint mode; the overview
strip (source | parsing | pose | result) docked at the bottom; render time and model in the
status bar.
"""

from __future__ import annotations

import threading
from pathlib import Path

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QComboBox,
    QDockWidget,
    QLabel,
    QMainWindow,
    QMenu,
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
from spt_studio.document import MODES, Change, Document, EditorSession, History
from spt_studio.document.autosave import Autosaver
from spt_studio.document.session import check_mode
from spt_studio.main_window_actions import MENUS, MODE_ACTIONS, TOOLBARS, action_table
from spt_studio.main_window_animation import AnimationMixin
from spt_studio.main_window_edits import EditCommandsMixin
from spt_studio.main_window_files import FileCommandsMixin
from spt_studio.main_window_render import RENDERING_AFTER_MS, RenderingMixin
from spt_studio.main_window_tools import ToolsMixin
from spt_studio.widgets.actions import create_actions, exclusive, fill
from spt_studio.widgets.image_panel import ImagePanel
from spt_studio.widgets.label_palette import LabelPalette, label_title
from spt_studio.widgets.overview import OverviewStrip
from spt_studio.widgets.transfer_panel import TransferPanel
from spt_studio.workers.render import RenderController, RenderResult


class MainWindow(
    AnimationMixin, EditCommandsMixin, FileCommandsMixin, RenderingMixin, ToolsMixin, QMainWindow
):
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
        self.session: EditorSession | None = None
        self.project_path: Path | None = None
        self.ask_before_close = True
        self.use_detector = True  # Frame the person searches the box (tests turn it off)
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
        from spt_studio.document.recent import RecentFiles

        self.recent = RecentFiles(self.autosaver.directory.parent / "recent.json")
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
        # "rendering…" above the result only when a render takes a while, so quick renders
        # during a drag do not make the title flicker.
        self._busy_timer = QTimer(self, singleShot=True, interval=RENDERING_AFTER_MS)
        self._busy_timer.timeout.connect(self.show_rendering)
        self.renderer.busy_changed.connect(self.on_busy_changed)
        self._autosave_timer = QTimer(self, interval=max(autosave_ms, 1000))
        self._autosave_timer.timeout.connect(self.autosave)
        if autosave_ms:
            self._autosave_timer.start()
        self.setWindowTitle("SPT Studio")
        self.setAcceptDrops(True)  # photos, projects, person and dataset folders
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
        self.pose_canvas.person_boxed.connect(self.on_person_boxed)
        for canvas in (self.pose_canvas, self.label_canvas):
            canvas.view_changed.connect(lambda region, c=canvas: self._follow_view(c, region))
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
        self._build_pose_library_dock()
        self._build_timeline_dock()

    def _build_status_bar(self) -> None:
        self.render_label = QLabel("no render yet")
        self.render_label.setToolTip(
            "Last render: time in the model (time from the edit to the result on screen)"
        )
        self.model_label = QLabel("loading model...")
        self.model_label.setToolTip("Model and device (Tools > Model and device)")
        self.model_label.setMaximumWidth(280)  # a long model path must not squeeze the hints
        self.statusBar().addPermanentWidget(self.render_label)
        self.statusBar().addPermanentWidget(self.model_label)
        self.statusBar().showMessage("File > Open image or Open dataset sample to start")

    def _build_actions(self) -> None:
        specs = action_table(self)
        self.actions_by_key.update(create_actions(self, specs))
        self._document_actions = [self.actions_by_key[s.key] for s in specs if s.needs_document]
        a = self.actions_by_key
        exclusive(self, [a["mode_repose"], a["mode_paint"], a["mode_transfer"]])
        exclusive(self, [a["brush"], a["eraser"], a["fill"], a["picker"]])
        a["brush"].setChecked(True)

    def _build_menus_and_toolbars(self) -> None:
        a = self.actions_by_key
        for title, keys in MENUS.items():
            menu = self.menuBar().addMenu(title)
            fill(menu, a, keys)
            if title == "&File":
                self.recent_menu = QMenu("Open &Recent", self)
                self.recent_menu.aboutToShow.connect(self._fill_recent_menu)
                menu.insertMenu(a["save"], self.recent_menu)
                menu.insertSeparator(a["save"])
            if title == "&View":
                menu.addSeparator()
                menu.addAction(self.palette_dock.toggleViewAction())
                menu.addAction(self.overview_dock.toggleViewAction())
                menu.addAction(self.pose_library_dock.toggleViewAction())
                menu.addAction(self.timeline_dock.toggleViewAction())
        self.toolbars = {}
        for title, keys in TOOLBARS.items():
            bar = self.addToolBar(title)
            bar.setObjectName(f"toolbar_{title.lower()}")
            fill(bar, a, keys)
            self.toolbars[title] = bar

    def _fill_recent_menu(self) -> None:
        """File > Open Recent: the entries that still exist, then Clear."""
        menu = self.recent_menu
        menu.clear()
        items = self.recent.items()
        for path in items:
            action = menu.addAction(path.name or str(path))
            action.setToolTip(str(path))
            action.triggered.connect(lambda _checked=False, p=path: self.open_path(p))
        if not items:
            menu.addAction("(nothing yet)").setEnabled(False)
        menu.addSeparator()
        menu.addAction("Clear the list", self.recent.clear)

    # ------------------------------------------------------------------------------------------
    # Document

    @property
    def history(self) -> History | None:
        """The open document's History (None before a document is opened)."""
        return None if self.session is None else self.session.history

    @property
    def doc(self) -> Document | None:
        """The open document, or None."""
        return None if self.session is None else self.session.doc

    def set_document(self, doc: Document, project_path: Path | None = None) -> None:
        """Start editing ``doc`` (a fresh session: the document counts as saved)."""
        self.statusBar().clearMessage()  # "Open ... to start" and older hints are stale now
        if self.session is not None:
            self.session.history.remove_listener(self.on_change)
        self.session = session = EditorSession(doc)
        session.history.add_listener(self.on_change)
        self._generation += 1
        self.project_path = project_path
        self.pose_canvas.set_history(session.history)
        self.label_canvas.set_history(session.history)
        self.last_result = None
        self.result_panel.set_image(doc.result)
        self.set_mode(session.mode)
        self.transfer_panel.set_labels(session.transfer_labels)
        self.transfer_panel.show_people(doc)
        self.actions_by_key["bone_lock"].setChecked(session.bone_lock)
        self.pose_canvas.bone_lock = session.bone_lock
        self.actions_by_key["keep_unchanged"].setChecked(session.keep_unchanged)
        self._changes = self._autosaved_changes = 0
        self._update_actions()
        self.update_overview()
        self.schedule_render()

    def on_change(self, change: Change) -> None:
        """Every document change: refresh what depends on it and schedule a render."""
        self._changes += 1
        session = self.session
        if change.what in ("reference", "settings", "all"):
            self.transfer_panel.set_labels(session.transfer_labels)
            self.transfer_panel.show_people(session.doc)
        if self.editors.currentIndex() != MODES.index(session.mode):
            # An edit whose rule switches the mode (a second person: transfer).
            self._show_mode(session.mode)
        self._update_actions()
        if not self._overview_timer.isActive():
            self._overview_timer.start()
        self.schedule_render()

    def update_overview(self) -> None:
        """Show what the session says the overview strip shows."""
        if self.session is None:
            return
        shown = self.session.overview()
        self.overview.set_images(
            source=shown.image,
            parsing=lb.colorize(shown.parsing),
            pose=sk.draw_skeleton(shown.image // 2, shown.pose),
            result=shown.result,
        )

    def _update_actions(self) -> None:
        has_doc = self.session is not None
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
        self._scope_actions()
        name = (
            "" if not has_doc else (self.project_path.name if self.project_path else self.doc.name)
        )
        # Qt shows "*" in place of "[*]" while the window is modified.
        self.setWindowTitle(f"{name}[*] - SPT Studio" if name else "SPT Studio")
        self.setWindowModified(has_doc and not self.history.is_clean())

    # ------------------------------------------------------------------------------------------
    # Modes and tools

    def set_mode(self, mode: str) -> None:
        """Switch the mode (the session's view setting: saved with the project, not an undo
        step), show its page and re-render when it changed."""
        check_mode(mode)
        changed = self.session is not None and self.session.set_mode(mode)
        self._show_mode(mode)
        if changed:
            self.update_overview()
            self.schedule_render()

    def _scope_actions(self) -> None:
        """Enable each mode's own actions in that mode only (``MODE_ACTIONS``)."""
        mode = None if self.session is None else self.session.mode
        for scope, keys in MODE_ACTIONS.items():
            for key in keys:
                self.actions_by_key[key].setEnabled(scope == mode)

    def _follow_view(self, canvas, region) -> None:
        """The result view shows what the mode's canvas shows (zoom and pan)."""
        if canvas is self.editors.currentWidget():
            self.result_panel.set_region(region)

    def _show_mode(self, mode: str) -> None:
        self._scope_actions()
        self.editors.setCurrentIndex(MODES.index(mode))
        canvas = self.editors.currentWidget()
        self.result_panel.set_region(getattr(canvas, "shown_region", lambda: None)())
        self.actions_by_key[f"mode_{mode}"].setChecked(True)
        self.palette_dock.setVisible(mode == "paint")
        for title, visible in (("Pose", mode == "repose"), ("Paint", mode == "paint")):
            self.toolbars[title].setVisible(visible)

    def set_paint_tool(self, name: str) -> None:
        """Pick the label canvas's tool ("brush", "eraser", "fill" or "picker")."""
        self.label_canvas.set_tool(name)
        self.actions_by_key[name].setChecked(True)
        self.statusBar().showMessage(f"{name} tool", 2000)

    def choose_label(self, label: int) -> None:
        """Paint with ``label`` (keys 0-9)."""
        self.label_canvas.set_label(label)
        self._label_changed(label)

    def _label_changed(self, label: int) -> None:
        self.palette_widget.set_label(label)
        self.statusBar().showMessage(f"label {label}: {label_title(label)}", 2000)

    def resize_brush(self, factor: float) -> None:
        """Scale the brush; always by at least one pixel, so small brushes still change."""
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
        """Image position and label under the cursor, in the status bar."""
        doc = self.doc
        if doc is None:
            return
        column, row = round(x), round(y)
        if 0 <= row < doc.size[0] and 0 <= column < doc.size[1]:
            label = int(doc.parsing(self.label_canvas.layer)[row, column])
            self.statusBar().showMessage(f"x {column}  y {row}  label {label_title(label)}")

    # ------------------------------------------------------------------------------------------

    def closeEvent(self, event) -> None:  # noqa: N802 - Qt override
        """Ask about unsaved work, then stop autosave and the render thread."""
        if self.ask_before_close and not self.confirm_discard():
            event.ignore()
            return
        self._autosave_timer.stop()
        self._discard_autosave()
        self.renderer.shutdown()
        event.accept()
