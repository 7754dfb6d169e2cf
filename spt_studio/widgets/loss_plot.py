"""Live loss curves: one pyqtgraph curve per loss name, ring buffers, redrawn at most ~10 Hz.

Training can report a step every few milliseconds; redrawing on each would starve the GUI
thread. :meth:`LossPlot.add` only appends to a buffer and arms a single-shot timer, and the
timer hands each changed buffer to its curve.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QVBoxLayout, QWidget

# Matplotlib's "tab10": distinct on white and in most kinds of colour blindness.
CURVE_COLOURS = (
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#7f7f7f",
    "#bcbd22",
    "#17becf",
)


class RingBuffer:
    """The newest ``capacity`` (step, value) pairs of one curve.

    Args:
        capacity: how many points to keep; older ones are overwritten.
    """

    def __init__(self, capacity: int):
        if capacity < 1:
            raise ValueError(f"capacity must be at least 1, got {capacity}")
        self.capacity = capacity
        self._steps = np.zeros(capacity, np.float64)
        self._values = np.zeros(capacity, np.float64)
        self._count = 0  # points ever appended

    def __len__(self) -> int:
        return min(self._count, self.capacity)

    def append(self, step: float, value: float) -> None:
        slot = self._count % self.capacity
        self._steps[slot] = step
        self._values[slot] = value
        self._count += 1

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """(steps, values), oldest first (copies)."""
        if self._count <= self.capacity:
            return self._steps[: self._count].copy(), self._values[: self._count].copy()
        start = self._count % self.capacity
        order = np.r_[start : self.capacity, 0:start]
        return self._steps[order], self._values[order]


class LossPlot(QWidget):
    """Loss curves against the step, with a legend (click an entry to hide its curve).

    Args:
        capacity: points kept per curve.
        refresh_ms: shortest time between two redraws.
        parent: Qt parent.
    """

    def __init__(self, capacity: int = 20_000, refresh_ms: int = 100, parent=None):
        super().__init__(parent)
        self.capacity = capacity
        self.buffers: dict[str, RingBuffer] = {}
        self.curves: dict[str, pg.PlotDataItem] = {}
        self._dirty: set[str] = set()
        self.redraws = 0  # how many times the curves were handed new data (for tests)

        self.plot = pg.PlotWidget()
        self.plot.setBackground(self.palette().base().color())
        self.plot.showGrid(x=True, y=True, alpha=0.25)
        self.plot.setLabel("bottom", "step")
        self.plot.setLabel("left", "loss")
        self.legend = self.plot.addLegend(offset=(-10, 10), labelTextColor="#333333")
        # A framed, nearly opaque box: a see-through one made curves behind it look broken.
        self.legend.setBrush(pg.mkBrush(255, 255, 255, 230))
        self.legend.setPen(pg.mkPen("#c8c8c8"))
        self.log_y = QCheckBox("log scale")
        self.log_y.setToolTip("logarithmic loss axis (non-positive values are not drawn)")
        self.log_y.toggled.connect(self._set_log)

        bar = QHBoxLayout()
        bar.addStretch(1)
        bar.addWidget(self.log_y)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.plot, 1)
        layout.addLayout(bar)

        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(refresh_ms)
        self._timer.timeout.connect(self.flush)

    # ---- data -------------------------------------------------------------------------------

    def add(self, step: int, losses: dict[str, float]) -> None:
        """Append one point per loss name; the curves catch up within ``refresh_ms``."""
        for name, value in losses.items():
            if name not in self.buffers:
                self._new_curve(name)
            self.buffers[name].append(float(step), float(value))
            self._dirty.add(name)
        if self._dirty and not self._timer.isActive():
            self._timer.start()

    def clear(self) -> None:
        """Remove every curve."""
        for curve in self.curves.values():
            self.plot.removeItem(curve)
        self.legend.clear()
        self.buffers.clear()
        self.curves.clear()
        self._dirty.clear()

    def load_log(self, path: str | Path, up_to_step: int | None = None) -> int:
        """Replace the curves with a run's ``log.jsonl`` (lines up to ``up_to_step``).

        Returns:
            The number of log lines shown. A missing file shows nothing; unreadable lines are
            skipped (a run killed mid-write leaves half a line).
        """
        self.clear()
        path = Path(path)
        if not path.is_file():
            return 0
        shown = 0
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                record = json.loads(line)
                step = int(record["step"])
            except (json.JSONDecodeError, KeyError, TypeError, ValueError):
                continue
            if up_to_step is not None and step > up_to_step:
                continue
            losses = {k: v for k, v in record.items() if k not in ("step", "lr")}
            self.add(step, {k: v for k, v in losses.items() if isinstance(v, int | float)})
            shown += 1
        self.flush()
        return shown

    def names(self) -> list[str]:
        """Loss names in the order they first appeared."""
        return list(self.buffers)

    def data(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        """(steps, values) buffered for ``name``."""
        return self.buffers[name].arrays()

    def plotted(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        """(steps, values) the curve of ``name`` currently draws."""
        x, y = self.curves[name].getOriginalDataset()
        if x is None:
            return np.zeros(0), np.zeros(0)
        return np.asarray(x), np.asarray(y)

    # ---- drawing ----------------------------------------------------------------------------

    def _new_curve(self, name: str) -> None:
        colour = CURVE_COLOURS[len(self.curves) % len(CURVE_COLOURS)]
        self.buffers[name] = RingBuffer(self.capacity)
        self.curves[name] = self.plot.plot(
            name=name, pen=pg.mkPen(colour, width=1.5), connect="finite"
        )

    def flush(self) -> None:
        """Hand every changed buffer to its curve now."""
        self._timer.stop()
        for name in self._dirty:
            steps, values = self.buffers[name].arrays()
            self.curves[name].setData(steps, values, connect="finite")
        if self._dirty:
            self.redraws += 1
        self._dirty.clear()

    def _set_log(self, on: bool) -> None:
        self.plot.setLogMode(x=False, y=on)
