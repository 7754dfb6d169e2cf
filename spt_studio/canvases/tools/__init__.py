"""Mouse tools of the canvases: joint drag, brush, eraser, flood fill, picker.

A tool turns one mouse gesture (press, moves, release) into commands on the canvas's
history, all tagged with one gesture id so the gesture is a single undo step.
"""

from spt_studio.canvases.tools.base import Tool
from spt_studio.canvases.tools.drag import JointDragTool
from spt_studio.canvases.tools.paint import BrushTool, EraserTool, FillTool, PickerTool

__all__ = ["BrushTool", "EraserTool", "FillTool", "JointDragTool", "PickerTool", "Tool"]
