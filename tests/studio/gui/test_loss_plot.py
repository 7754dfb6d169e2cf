"""The live loss plot: ring buffers, throttled redraws, and reading a run's log."""

from __future__ import annotations

import json

import numpy as np
import pytest

from spt_studio.widgets.loss_plot import LossPlot, RingBuffer


def test_ring_buffer_keeps_the_newest_points_in_order():
    buffer = RingBuffer(3)
    for step in range(1, 6):
        buffer.append(step, 10.0 * step)
    steps, values = buffer.arrays()
    assert steps.tolist() == [3, 4, 5] and values.tolist() == [30, 40, 50]
    assert len(buffer) == 3
    with pytest.raises(ValueError):
        RingBuffer(0)


def test_many_points_are_drawn_in_one_throttled_redraw(qtbot):
    plot = LossPlot(refresh_ms=100)
    qtbot.addWidget(plot)
    for step in range(1, 101):
        plot.add(step, {"g": 1.0 / step, "d": 0.5})
    assert plot.redraws == 0  # nothing drawn yet: the timer collects the burst
    qtbot.waitUntil(lambda: plot.redraws == 1, timeout=2000)
    x, y = plot.plotted("g")
    assert x.tolist() == list(range(1, 101))
    np.testing.assert_allclose(y, [1.0 / s for s in range(1, 101)])
    assert plot.names() == ["g", "d"]
    qtbot.wait(250)
    assert plot.redraws == 1  # no redraw without new data


def test_capacity_bounds_the_curve(qtbot):
    plot = LossPlot(capacity=10)
    qtbot.addWidget(plot)
    for step in range(25):
        plot.add(step, {"loss": float(step)})
    plot.flush()
    assert plot.plotted("loss")[0].tolist() == list(range(15, 25))


def test_load_log_skips_broken_lines_and_later_steps(qtbot, tmp_path):
    log = tmp_path / "log.jsonl"
    lines = [json.dumps({"step": s, "lr": 2e-4, "ce": 3.0 - s, "d": 0.25 * s}) for s in (1, 2, 3)]
    log.write_text("\n".join(lines) + '\n{"step": 4, "ce": 0.5\n')  # a half-written last line
    plot = LossPlot()
    qtbot.addWidget(plot)
    plot.add(99, {"old": 1.0})
    assert plot.load_log(log, up_to_step=2) == 2
    assert plot.names() == ["ce", "d"]  # "lr" is not a loss; the old curve is gone
    assert plot.plotted("ce")[1].tolist() == [2.0, 1.0]
    assert plot.plotted("d")[0].tolist() == [1.0, 2.0]
    assert plot.load_log(tmp_path / "missing.jsonl") == 0 and plot.names() == []
