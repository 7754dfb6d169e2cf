"""``spt-studio --bench-drag SECONDS``: edit-to-result time of a real joint drag (issue #18).

A person is opened in the editor (person_a, the shipped model unless ``--model`` says
otherwise), and a wrist is dragged in a circle with real mouse events (QTest) about 60 times a
second. For every render that reaches the screen, edit-to-result is the time from the mouse
move that caused it to the moment the result view holds it: the GUI thread's handling of the
move (command, observers, overlays, the request), the wait for the running render, the render
itself, and showing the result. A heartbeat timer on the GUI thread records the longest time it
was blocked. The figures split the time into those parts.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

#: The GUI thread's heartbeat: short enough to see a 50 ms block, long enough not to load the
#: thread it watches (every tick takes the GIL the render thread needs between operations).
HEARTBEAT_MS = 10


@dataclass
class DragFigures:
    """What a drag measured (seconds)."""

    edit_to_result: list[float] = field(default_factory=list)  # mouse move -> result shown
    waited: list[float] = field(default_factory=list)  # request made -> its render started
    model: list[float] = field(default_factory=list)  # the pipeline call (worker thread)
    gui_gaps: list[float] = field(default_factory=list)  # between heartbeats on the GUI thread
    moves: int = 0
    requests: int = 0

    def summary(self) -> str:
        def ms(values, q=0.5):
            if not values:
                return float("nan")
            ordered = sorted(values)
            return 1000 * ordered[min(len(ordered) - 1, int(q * len(ordered)))]

        return (
            f"{self.moves} mouse moves, {self.requests} render requests, "
            f"{len(self.edit_to_result)} results shown\n"
            f"edit-to-result: median {ms(self.edit_to_result):.0f} ms, 90th percentile "
            f"{ms(self.edit_to_result, 0.9):.0f} ms\n"
            f"  of which waiting for the render before it: median {ms(self.waited):.0f} ms; "
            f"the render (model and photo composite): median {ms(self.model):.0f} ms\n"
            f"GUI thread: longest block {max(self.gui_gaps, default=0) * 1000:.0f} ms "
            f"(heartbeat every {HEARTBEAT_MS} ms)"
        )


def drag_figures(window, seconds: float, qt_wait) -> DragFigures:
    """Drag the open document's left wrist in a circle for ``seconds`` and measure.

    Args:
        window: a :class:`~spt_studio.main_window.MainWindow` with a document and a model.
        qt_wait: ``qt_wait(ms)`` runs the event loop for ``ms`` (:func:`event_loop_wait`).
    """
    from PySide6.QtCore import QPoint, Qt, QTimer
    from PySide6.QtTest import QTest

    from spt_core import skeleton as sk

    figures = DragFigures()
    renderer = window.renderer
    edit_time = {"last": time.perf_counter()}
    made: dict[int, tuple[float, float]] = {}  # serial -> (edit time, request time)
    original_request = renderer.request

    def request(render_request):
        serial = original_request(render_request)
        made[serial] = (edit_time["last"], render_request.created)
        figures.requests += 1
        return serial

    renderer.request = request

    def shown(result) -> None:
        # Connected after the window's own slot: the result view already holds the image.
        if result.serial in made:
            edited, _requested = made.pop(result.serial)
            figures.edit_to_result.append(time.perf_counter() - edited)
            figures.model.append(result.seconds)
            figures.waited.append(max(0.0, result.latency - result.seconds))

    renderer.result_ready.connect(shown)
    canvas = window.pose_canvas
    viewport = canvas.viewport()
    start = canvas.joint_screen_pos(sk.L_WRIST)
    QTest.mousePress(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, start)
    beat_at = [time.perf_counter()]
    t0 = time.perf_counter()

    def beat() -> None:
        now = time.perf_counter()
        figures.gui_gaps.append(now - beat_at[0])
        beat_at[0] = now

    def move() -> None:
        t = time.perf_counter() - t0
        point = QPoint(
            start.x() + round(40 * math.sin(2 * math.pi * t)),
            start.y() + round(40 * (1 - math.cos(2 * math.pi * t))),
        )
        edit_time["last"] = time.perf_counter()
        QTest.mouseMove(viewport, point)
        figures.moves += 1

    heartbeat = QTimer(interval=HEARTBEAT_MS)
    heartbeat.setTimerType(Qt.TimerType.PreciseTimer)
    heartbeat.timeout.connect(beat)
    mover = QTimer(interval=16)
    mover.setTimerType(Qt.TimerType.PreciseTimer)
    mover.timeout.connect(move)
    heartbeat.start()
    mover.start()
    qt_wait(int(seconds * 1000))
    mover.stop()
    heartbeat.stop()
    QTest.mouseRelease(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, start)
    deadline = time.perf_counter() + 10
    while (renderer.busy or renderer.pending is not None) and time.perf_counter() < deadline:
        qt_wait(20)
    renderer.request = original_request
    renderer.result_ready.disconnect(shown)
    figures.gui_gaps = figures.gui_gaps[1:]  # the first counts from before the timer started
    return figures


def event_loop_wait(ms: int) -> None:
    """Run the event loop for ``ms`` milliseconds. Not ``QTest.qWait``: PySide6 holds the GIL
    through it, and the render thread then waits for the GIL between its torch operations
    (a 90 ms render took 550-700 ms); ``QEventLoop.exec`` releases it, as the application's
    own loop does."""
    from PySide6.QtCore import QEventLoop, QTimer

    loop = QEventLoop()
    QTimer.singleShot(ms, loop.quit)
    loop.exec()


def run(model: str, device: str, seconds: float) -> int:
    """The ``--bench-drag`` command: open person_a, drag, print the figures."""
    from PySide6.QtWidgets import QApplication

    from spt_core.pipeline import SPTPipeline
    from spt_core.shipped import sample_dir
    from spt_studio.document.person_init import document_from_person_folder
    from spt_studio.main_window import MainWindow

    app = QApplication.instance()
    pipe = SPTPipeline.from_pretrained(model or None, device=device)
    window = MainWindow(pipeline=pipe, autosave_ms=0)
    window.ask_before_close = False
    window.resize(1280, 800)
    window.show()
    window.set_document(document_from_person_folder(sample_dir("person_a")))
    deadline = time.perf_counter() + 30
    while window.last_result is None and time.perf_counter() < deadline:
        event_loop_wait(20)
    print(f"drag bench: person_a, {pipe.name} on {pipe.device}, {seconds:g} s of dragging")
    figures = drag_figures(window, seconds, event_loop_wait)
    print(figures.summary())
    window.close()
    app.processEvents()
    return 0 if figures.edit_to_result else 1
