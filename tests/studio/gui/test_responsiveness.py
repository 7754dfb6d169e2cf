"""The GUI thread is never blocked for more than 100 ms while joints are dragged and real CPU
renders run in the worker.

A heartbeat timer on the GUI thread ticks every 5 ms and records the largest gap between ticks;
a second timer drags a joint back and forth with real mouse events every 16 ms (about 60 moves a
second) for three seconds. Every move changes the document and requests a render of a
128x64 SPT pipeline with the normal widths on the CPU.
"""

from __future__ import annotations

import math
import time

from editor_helpers import wait_for_render
from PySide6.QtCore import QPoint, Qt, QTimer
from PySide6.QtTest import QTest

from spt_core import skeleton as sk

BUDGET_MS = 100.0
DRAG_SECONDS = 3.0

# The editor fixtures (dataset, pipeline, windows) live in editor_fixtures.py.
pytest_plugins = ["editor_fixtures"]


def test_gui_thread_stays_responsive_while_dragging(qtbot, make_window, synth_dataset):
    window = make_window()
    window.open_sample(synth_dataset, 0)
    wait_for_render(qtbot, window)
    canvas = window.pose_canvas
    viewport = canvas.viewport()
    start = canvas.joint_screen_pos(sk.L_WRIST)
    QTest.mousePress(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, start)
    renders_before = window.renderer.completed

    gaps: list[float] = []
    last = [time.perf_counter()]

    def beat() -> None:
        now = time.perf_counter()
        gaps.append((now - last[0]) * 1000.0)
        last[0] = now

    t0 = time.perf_counter()
    moves = [0]

    def move() -> None:
        t = time.perf_counter() - t0
        # A circle of 40 view pixels around the grab point, one turn a second.
        point = QPoint(
            start.x() + round(40 * math.sin(2 * math.pi * t)),
            start.y() + round(40 * (1 - math.cos(2 * math.pi * t))),
        )
        QTest.mouseMove(viewport, point)
        moves[0] += 1

    heartbeat = QTimer(interval=5)
    heartbeat.setTimerType(Qt.TimerType.PreciseTimer)
    heartbeat.timeout.connect(beat)
    mover = QTimer(interval=16)
    mover.setTimerType(Qt.TimerType.PreciseTimer)
    mover.timeout.connect(move)
    heartbeat.start()
    mover.start()
    qtbot.wait(int(DRAG_SECONDS * 1000))
    mover.stop()
    heartbeat.stop()
    QTest.mouseRelease(
        viewport,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
        canvas.joint_screen_pos(sk.L_WRIST),
    )
    renders = window.renderer.completed - renders_before
    replaced = window.renderer.replaced
    wait_for_render(qtbot, window)

    worst = max(gaps[1:])
    print(
        f"\nGUI heartbeat over {DRAG_SECONDS:.0f} s of dragging: {len(gaps)} beats, "
        f"largest gap {worst:.1f} ms, mean {sum(gaps) / len(gaps):.1f} ms; {moves[0]} mouse "
        f"moves, {renders} renders finished, {replaced} pending requests replaced; last render "
        f"{window.last_result.seconds * 1000:.0f} ms"
    )
    assert moves[0] > 100  # the drag really ran
    assert renders >= 5  # and renders ran meanwhile
    assert replaced > 0  # newer requests replaced pending ones
    assert len(window.history) == 1  # the whole drag is one undo step
    assert worst < BUDGET_MS
