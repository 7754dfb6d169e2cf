"""Dragging joints of the target pose, or of the photo's own pose (optionally with the
bone-length lock)."""

from __future__ import annotations

from spt_studio.canvases.tools.base import Tool
from spt_studio.document import MoveJoint, MoveSourceJoint
from spt_studio.document.pose_ops import move_joint


class JointDragTool(Tool):
    """Press on a handle, drag, release: one :class:`MoveJoint` undo step."""

    name = "drag joint"

    def __init__(self, canvas):
        super().__init__(canvas)
        self.joint = -1
        self.gesture: int | None = None
        self.offset = (0.0, 0.0)

    def press(self, event) -> None:
        canvas = self.canvas
        joint = canvas.handle_at(event.position().toPoint())
        canvas.select_joint(joint)
        if joint < 0:
            return
        # Keep the grab offset so the joint does not jump to the cursor on the first move.
        x, y = canvas.event_image_pos(event)
        jx, jy = canvas.edited_pose()[joint]
        self.offset = (float(jx) - x, float(jy) - y)
        self.joint = joint
        self.gesture = canvas.history.begin_gesture()

    def move(self, event) -> None:
        if self.joint < 0:
            return
        canvas = self.canvas
        if canvas.history.gesture != self.gesture:
            # An undo in mid-drag closed our gesture: the rest of the drag is a new step.
            self.gesture = canvas.history.begin_gesture()
        x, y = canvas.event_image_pos(event)
        target = (x + self.offset[0], y + self.offset[1])
        doc = canvas.history.doc
        pose = move_joint(canvas.edited_pose(), self.joint, target, bone_lock=canvas.bone_lock)
        if canvas.edit_source:  # the photo's own pose (what the model believes it shows)
            canvas.history.push(MoveSourceJoint(doc, self.joint, pose, gesture=self.gesture))
        else:
            canvas.history.push(MoveJoint(doc, self.joint, pose, gesture=self.gesture))

    def release(self, event) -> None:
        if self.joint >= 0:
            self.move(event)
            self.canvas.history.end_gesture()
        self.joint = -1
        self.gesture = None
