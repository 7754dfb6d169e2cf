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
    parser.add_argument(
        "--quit-after",
        type=float,
        metavar="SECONDS",
        help="close as soon as the model has loaded or failed, or after SECONDS at most (a "
        "smoke test of an install: exit status 0 when the model loaded, 1 when it did not)",
    )
    parser.add_argument(
        "--bench-drag",
        type=float,
        metavar="SECONDS",
        help="drag a joint of the shipped sample person_a for SECONDS with real mouse events "
        "and print the edit-to-result time (median, 90th percentile, where it goes) and the "
        "GUI thread's longest block; then exit",
    )
    args = parser.parse_args(argv)

    from PySide6.QtWidgets import QApplication

    from spt_studio import resources  # noqa: F401 - before any widget (see the module)

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("SPT Studio")
    if args.bench_drag is not None:
        from spt_studio.bench_drag import run

        return run(args.model, args.device, args.bench_drag)
    if args.samples:
        from spt_studio.dialogs.sample_viewer import SampleViewer

        viewer = SampleViewer(args.samples)
        viewer.show()
        return app.exec()

    from spt_studio.main_window import MainWindow

    window = MainWindow(load_default_model=False)
    window.model_path, window.model_device = args.model, args.device
    loaded: list[str] = []
    if args.quit_after is not None:
        _quit_after(app, window, args.quit_after, loaded)
    window.renderer.load_model(args.model, args.device)
    window.show()
    if not window.offer_recovery() and args.path:
        window.open_path(Path(args.path))
    status = app.exec()
    if args.quit_after is not None:
        return status if loaded else 1
    return status


def _quit_after(app, window, seconds: float, loaded: list[str]) -> None:
    """Report the model load on stdout and quit once it is done, or after ``seconds``."""
    from PySide6.QtCore import QTimer

    def report(text: str, ok: bool) -> None:
        print(f"model {'loaded' if ok else 'failed'}: {text}", flush=True)
        if ok:
            loaded.append(text)
        QTimer.singleShot(0, app.quit)

    window.renderer.model_loaded.connect(lambda text: report(text, True))
    window.renderer.model_failed.connect(lambda text: report(text, False))
    window.ask_before_close = False
    QTimer.singleShot(int(seconds * 1000), app.quit)


if __name__ == "__main__":
    sys.exit(main())
