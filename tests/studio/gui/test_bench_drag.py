"""``spt-studio --bench-drag``: a real drag is measured, and the parts add up."""

from __future__ import annotations

from editor_helpers import wait_for_render

from spt_studio.bench_drag import drag_figures, event_loop_wait

pytest_plugins = ["editor_fixtures"]


def test_a_drag_is_measured_from_the_mouse_to_the_shown_result(qtbot, make_window, synth_dataset):
    window = make_window()
    window.open_sample(synth_dataset, 0)
    wait_for_render(qtbot, window)
    figures = drag_figures(window, 1.5, event_loop_wait)
    assert figures.moves >= 30 and figures.requests >= figures.moves  # every move edits
    shown = len(figures.edit_to_result)
    assert 2 <= shown <= figures.requests
    for total, model, waited in zip(
        figures.edit_to_result, figures.model, figures.waited, strict=True
    ):
        assert total >= model + waited - 1e-3  # the mouse-to-screen time holds both
    assert max(figures.gui_gaps) < 0.5
    text = figures.summary()
    assert "edit-to-result: median" in text and "longest block" in text
    assert window.renderer.request.__func__ is type(window.renderer).request  # restored
