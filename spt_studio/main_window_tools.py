"""The main window's Tools and Help commands: the training and pseudo-label search dialogs,
the help page and the about box. A mixin of :class:`~spt_studio.main_window.MainWindow`, kept
apart so the window stays wiring."""

from __future__ import annotations

from PySide6.QtWidgets import QMessageBox


class ToolsMixin:
    """Tools and Help; expects ``_dialogs`` (the open non-modal dialogs, kept alive there)."""

    def open_training(self) -> None:
        """Tools > Train: the non-modal training dialog."""
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

    def open_recipe(self) -> None:
        """Tools > Train a model: the recipe window; its "Use this model" loads the result."""
        from spt_studio.dialogs.recipe import RecipeDialog

        dialog = RecipeDialog(self)
        dialog.use_model.connect(self.use_trained_model)
        self._dialogs.append(dialog)
        dialog.show()

    def use_trained_model(self, path: str) -> None:
        """Render with the model directory ``path`` from now on (the render thread loads it)."""
        self.model_path = path
        self.model_label.setText("loading model...")
        self.renderer.load_model(path, self.model_device)
        self.statusBar().showMessage(f"Rendering with the trained model {path}", 8000)

    def open_search(self) -> None:
        """Tools > Pseudo-label search: the non-modal search dialog."""
        try:
            from spt_studio.dialogs.search import SearchDialog
        except ImportError as exc:
            QMessageBox.information(self, "Search", f"The search dialog is not available ({exc}).")
            return
        dialog = SearchDialog(self)
        self._dialogs.append(dialog)
        dialog.show()

    def show_help(self) -> None:
        """Help > Editor help."""
        from spt_studio.dialogs.help import show_help

        self._dialogs.append(show_help(self))

    def show_about(self) -> None:
        """Help > About."""
        QMessageBox.about(
            self,
            "About SPT Studio",
            "SPT Studio: person image generation with Semantic Parsing Transformation "
            "(Song et al., CVPR 2019).",
        )
