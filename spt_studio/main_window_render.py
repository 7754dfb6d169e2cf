"""The main window's rendering: send the session's render request to the render worker, show
results and failures, load and choose the model. A mixin of
:class:`~spt_studio.main_window.MainWindow`, kept apart so the window stays wiring; what is
rendered is decided by :meth:`~spt_studio.document.session.EditorSession.render_request`."""

from __future__ import annotations

from spt_studio.workers.render import RenderResult

NO_MODEL_TEXT = "no model: Tools > Model and device"


#: A render running this long shows "rendering…" over the (stale) result.
RENDERING_AFTER_MS = 150
RESULT_TITLE = "result"

#: Part of the pipeline's message for a run of one network chosen as a model.
ONE_NETWORK = "is one network of a model"


class RenderingMixin:
    """Render wiring; expects the attributes :class:`MainWindow` sets up (session, renderer,
    render_label, model_label, result_panel, status bar, _generation, _model_missing,
    _overview_timer, model_path, model_device)."""

    def schedule_render(self) -> None:
        """Send the current document to the render worker (latest request wins)."""
        if self.session is None:
            return
        request = self.session.render_request()
        if request is None:
            self.render_label.setText("transfer: load a second person")
            return
        if self._model_missing:
            self.render_label.setText(NO_MODEL_TEXT)
            return
        request.tag = self._generation
        self.renderer.request(request)

    def on_result(self, result: RenderResult) -> None:
        """A finished render: into the document, the result panel and the status bar."""
        if self.session is None or result.tag != self._generation:
            return  # rendered for a document that is no longer open
        self.last_result = result
        self.session.take_result(result.image, result.parsing, result.model_image)
        self.result_panel.set_image(self.doc.result)
        self.render_label.setText(
            # Short, so the status bar's hints keep their room; the tooltip says what is what.
            f"{result.seconds * 1000:.0f} ms ({result.latency * 1000:.0f} ms)"
        )
        if not self._overview_timer.isActive():
            self._overview_timer.start()

    def on_render_failed(self, message: str) -> None:
        """A render raised: say so (a missing model is not a failure of the render)."""
        if not self.renderer.has_model:
            self.render_label.setText(NO_MODEL_TEXT)
            return
        self.render_label.setText("render failed")
        self.statusBar().showMessage(f"Render failed: {message}", 10000)

    def on_busy_changed(self, busy: bool) -> None:
        """The render thread started or finished a render."""
        if busy:
            self._busy_timer.start()
        else:
            self._busy_timer.stop()
            self.result_panel.title.setText(RESULT_TITLE)

    def show_rendering(self) -> None:
        """Mark the shown result as stale while a slow render runs."""
        if self.renderer.busy:
            self.result_panel.title.setText(f"{RESULT_TITLE} (rendering…)")

    def on_model_loaded(self, text: str) -> None:
        """A model is ready: show it and render the open document with it."""
        self._model_missing = False
        self.model_label.setText(text)
        self.schedule_render()

    def on_model_failed(self, message: str) -> None:
        """A model did not load: the previous one, if any, stays in use."""
        self._model_missing = not self.renderer.has_model
        self.model_label.setText(
            self.renderer.model_text if self.renderer.has_model else "no model"
        )
        if self._model_missing:
            self.render_label.setText(NO_MODEL_TEXT)
        self.statusBar().showMessage(
            f"No model: {message}. Choose one in Tools > Model and device.", 15000
        )
        if ONE_NETWORK in message:
            self.offer_recipe(message)

    def offer_recipe(self, message: str) -> None:
        """A single network's run was chosen as a model: say what is missing and offer
        Tools > Train a model (non-modal, so nothing waits on it)."""
        from PySide6.QtWidgets import QMessageBox

        box = QMessageBox(self)
        box.setWindowTitle("Not a whole model")
        box.setText(message)
        train = box.addButton("Train a model…", QMessageBox.ButtonRole.AcceptRole)
        box.addButton(QMessageBox.StandardButton.Close)
        train.clicked.connect(self.open_recipe)
        box.setModal(False)
        box.show()
        self.recipe_offer = box

    def choose_model(self) -> None:
        """Tools > Model and device: load the chosen model in the render thread."""
        from spt_studio.dialogs.model_dialog import ModelDialog

        dialog = ModelDialog(self, self.model_path, self.model_device)
        if dialog.exec() == ModelDialog.DialogCode.Accepted:
            self.model_path, self.model_device = dialog.choice()
            self.model_label.setText("loading model...")
            self.renderer.load_model(self.model_path, self.model_device)
