"""``spt-studio``: start the Qt application and its main window, nothing else."""

from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``spt-studio`` console script."""
    parser = argparse.ArgumentParser(prog="spt-studio", description="SPT Studio")
    parser.add_argument("dataset", nargs="?", help="dataset folder to open (PG2 layout)")
    args = parser.parse_args(argv)

    from PySide6.QtWidgets import QApplication

    from spt_studio.sample_viewer import SampleViewer

    app = QApplication.instance() or QApplication(sys.argv[:1])
    window = SampleViewer(args.dataset)
    window.show()
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
