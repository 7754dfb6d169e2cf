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
