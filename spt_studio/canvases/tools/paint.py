"""Label-map tools: brush, eraser (paints background), flood fill and colour picker."""

from __future__ import annotations

from spt_core import labels as lb
from spt_studio.canvases.tools.base import Tool
from spt_studio.document import Fill, PaintStroke


class BrushTool(Tool):
    """Paint the current label with a round brush; one stroke per gesture."""

    name = "brush"

    def __init__(self, canvas):
        super().__init__(canvas)
        self.last: tuple[float, float] | None = None
        self.gesture: int | None = None

    def label(self) -> int:
        return self.canvas.label

    def press(self, event) -> None:
        self.gesture = self.canvas.history.begin_gesture()
        self.last = self.canvas.event_image_pos(event)
        self._stroke(self.last, self.last)

    def move(self, event) -> None:
        if self.last is None:
            return
        point = self.canvas.event_image_pos(event)
        self._stroke(self.last, point)
        self.last = point

    def release(self, event) -> None:
        if self.last is not None:
            self.move(event)
            self.canvas.history.end_gesture()
        self.last = None
        self.gesture = None

    def _stroke(self, p0, p1) -> None:
        canvas = self.canvas
        if canvas.history.gesture != self.gesture:
            # An undo in mid-stroke closed our gesture: the rest is a new step.
            self.gesture = canvas.history.begin_gesture()
        command = PaintStroke.segment(
            canvas.history.doc,
            canvas.layer,
            p0,
            p1,
            canvas.brush_size / 2.0,
            self.label(),
            gesture=self.gesture,
        )
        canvas.history.push(command)


class EraserTool(BrushTool):
    """The brush with the background label."""

    name = "eraser"

    def label(self) -> int:
        return lb.BACKGROUND


class FillTool(Tool):
    """Flood-fill the 4-connected region of equal labels under the click."""

    name = "fill"

    def press(self, event) -> None:
        canvas = self.canvas
        x, y = canvas.event_image_pos(event)
        command = Fill.at(canvas.history.doc, canvas.layer, round(x), round(y), canvas.label)
        canvas.history.push(command)


class PickerTool(Tool):
    """Take the label under the click as the current label."""

    name = "picker"

    def press(self, event) -> None:
        canvas = self.canvas
        x, y = canvas.event_image_pos(event)
        labels = canvas.history.doc.parsing(canvas.layer)
        column, row = round(x), round(y)
        if 0 <= row < labels.shape[0] and 0 <= column < labels.shape[1]:
            canvas.set_label(int(labels[row, column]))
