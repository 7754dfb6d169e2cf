"""Tools > Model and device: which model renders, on which device."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QWidget,
)

from spt_core.devices import available_devices

MODEL_CHOICES = (
    ("Default model (shipped)", ""),
    ("Checkpoint folder...", "folder"),
    ("Random, untrained (development only)", "random"),
)


class ModelDialog(QDialog):
    """Choose the model (default, a checkpoint folder, or random) and the device."""

    def __init__(self, parent=None, path: str = "", device: str = "auto"):
        super().__init__(parent)
        self.setWindowTitle("Model and device")
        form = QFormLayout(self)
        self.kind = QComboBox()
        for text, value in MODEL_CHOICES:
            self.kind.addItem(text, value)
        self.folder = QLineEdit()
        self.folder.setPlaceholderText("checkpoint folder (config.json + weights)")
        browse = QPushButton("Browse...")
        browse.clicked.connect(self._browse)
        row = QWidget()
        row_layout = QHBoxLayout(row)
        row_layout.setContentsMargins(0, 0, 0, 0)
        row_layout.addWidget(self.folder, 1)
        row_layout.addWidget(browse)
        self.device = QComboBox()
        self.device.addItems(list(available_devices()))
        self.device.setToolTip("auto picks CUDA when this machine has it")
        form.addRow("Model", self.kind)
        form.addRow("Folder", row)
        form.addRow("Device", self.device)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)
        if path in ("", "random"):
            self.kind.setCurrentIndex(self.kind.findData(path))
        else:
            self.kind.setCurrentIndex(self.kind.findData("folder"))
            self.folder.setText(path)
        index = self.device.findText(device)
        self.device.setCurrentIndex(max(0, index))

    def _browse(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Checkpoint folder")
        if folder:
            self.folder.setText(folder)
            self.kind.setCurrentIndex(self.kind.findData("folder"))

    def choice(self) -> tuple[str, str]:
        """(model path: "" default, "random", or a folder; device)."""
        kind = self.kind.currentData()
        path = self.folder.text().strip() if kind == "folder" else kind
        return path, self.device.currentText()
