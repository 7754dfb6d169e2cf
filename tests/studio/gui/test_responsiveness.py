"""The GUI thread is never blocked for more than 100 ms while joints are dragged and real CPU
renders run in the worker.

The drag of ``spt-studio --bench-drag`` (``spt_studio.bench_drag``): a heartbeat timer on the
GUI thread records the largest gap between ticks while a second timer drags a joint in a circle
with real mouse events every 16 ms (about 60 moves a second) for three seconds. Every move
changes the document and requests a render of a 128x64 SPT pipeline with the normal widths on
the CPU.
"""

from __future__ import annotations

from editor_helpers import wait_for_render

BUDGET_MS = 100.0
DRAG_SECONDS = 3.0

# The editor fixtures (dataset, pipeline, windows) live in editor_fixtures.py.
pytest_plugins = ["editor_fixtures"]


def test_gui_thread_stays_responsive_while_dragging(qtbot, make_window, synth_dataset):
    from spt_studio.bench_drag import drag_figures, event_loop_wait

    window = make_window()
    window.open_sample(synth_dataset, 0)
    wait_for_render(qtbot, window)
    renders_before = window.renderer.completed
    # The drag of ``spt-studio --bench-drag``: a circle, real mouse events, a GUI heartbeat.
    figures = drag_figures(window, DRAG_SECONDS, event_loop_wait)
    renders = window.renderer.completed - renders_before
    replaced = window.renderer.replaced
    worst = max(figures.gui_gaps) * 1000
    print(f"\n{figures.summary()}; {renders} renders, {replaced} pending requests replaced")
    assert figures.moves > 100  # the drag really ran
    assert renders >= 5  # and renders ran meanwhile
    assert replaced > 0  # newer requests replaced pending ones
    assert len(window.history) == 1  # the whole drag is one undo step
    assert worst < BUDGET_MS
