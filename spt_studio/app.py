"""``spt-studio``: start the Qt application and its main window, nothing else."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``spt-studio`` console script."""
    parser = argparse.ArgumentParser(prog="spt-studio", description="SPT Studio editor")
    parser.add_argument(
        "path",
        nargs="?",
        help="a photo, a .sptproj project, or a dataset folder (opens its first sample)",
    )
    parser.add_argument("--model", default="", help="model directory (default: the shipped one)")
    parser.add_argument("--device", default="auto", help="auto, cpu, cuda or cuda:N")
    parser.add_argument(
        "--samples", metavar="DIR", help="only browse a dataset folder (the sample viewer)"
    )
    args = parser.parse_args(argv)

    from PySide6.QtWidgets import QApplication

    from spt_studio import resources  # noqa: F401 - before any widget (see the module)

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("SPT Studio")
    if args.samples:
        from spt_studio.dialogs.sample_viewer import SampleViewer

        viewer = SampleViewer(args.samples)
        viewer.show()
        return app.exec()

    from spt_studio.main_window import MainWindow

    window = MainWindow(load_default_model=False)
    window.model_path, window.model_device = args.model, args.device
    window.renderer.load_model(args.model, args.device)
    window.show()
    if not window.offer_recovery() and args.path:
        path = Path(args.path)
        if path.is_dir():
            from spt_core.data.dataset import PersonDataset
            from spt_core.errors import SptError
            from spt_studio.dialogs.sample_viewer import SamplePickerDialog

            SamplePickerDialog.last_folder = str(path)
            try:
                window.open_sample(PersonDataset(path), 0)
            except SptError as exc:
                window.error("Cannot open dataset", exc)
        elif path.suffix == ".sptproj":
            window.open_project(path)
        else:
            window.open_image(path)
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
