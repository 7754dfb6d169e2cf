"""The pose canvas: the target skeleton over the photo, with draggable joint handles.

Handles ignore the view transform, so they keep their on-screen size (and stay grabbable) at any
zoom. A drag (press, moves, release) is one history gesture, hence one undo step. The source
pose is drawn faintly behind as a reference.
"""

from __future__ import annotations

import colorsys

import numpy as np
from PySide6.QtCore import QLineF, QRectF, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QPen
from PySide6.QtWidgets import QGraphicsEllipseItem, QGraphicsItem, QGraphicsLineItem, QMenu

from spt_core import skeleton as sk
from spt_studio.canvases.base import DocumentCanvas
from spt_studio.canvases.tools.drag import JointDragTool
from spt_studio.canvases.tools.frame import BoxTool
from spt_studio.document import Change, SetJointVisible, SetPose

HANDLE_RADIUS = 6.0  # screen pixels
LEFT_JOINTS = {sk.L_SHOULDER, sk.L_ELBOW, sk.L_WRIST, sk.L_HIP, sk.L_KNEE, sk.L_ANKLE,
               sk.L_EYE, sk.L_EAR}  # fmt: skip
RIGHT_JOINTS = {j for pair in sk.MIRROR_PAIRS for j in pair} - LEFT_JOINTS


def limb_colour(index: int) -> QColor:
    """OpenPose-like colour of limb ``index`` (the hue walks around the wheel)."""
    r, g, b = colorsys.hsv_to_rgb(index / len(sk.LIMBS), 1.0, 1.0)
    return QColor.fromRgbF(r, g, b)


def joint_colour(joint: int) -> QColor:
    """Right side warm, left side cold, centre joints yellow: sides read at a glance."""
    if joint in RIGHT_JOINTS:
        return QColor(255, 90, 60)
    if joint in LEFT_JOINTS:
        return QColor(60, 150, 255)
    return QColor(255, 220, 60)


class JointHandle(QGraphicsEllipseItem):
    """A round handle of constant screen size for one joint."""

    def __init__(self, joint: int):
        r = HANDLE_RADIUS
        super().__init__(QRectF(-r, -r, 2 * r, 2 * r))
        self.joint = joint
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIgnoresTransformations, True)
        self.setZValue(10)
        self.setAcceptHoverEvents(True)
        self.setCursor(Qt.CursorShape.OpenHandCursor)
        self.setToolTip(sk.JOINT_NAMES[joint].replace("_", " "))
        self.set_state(visible=True, selected=False)

    def set_state(self, visible: bool, selected: bool) -> None:
        colour = joint_colour(self.joint)
        outline = QPen(
            QColor("white") if selected else QColor(20, 20, 20), 2.5 if selected else 1.2
        )
        if visible:
            self.setBrush(QBrush(colour))
            self.setPen(outline)
        else:
            # Hidden joints: hollow, so they can still be grabbed and shown again.
            self.setBrush(Qt.BrushStyle.NoBrush)
            outline.setColor(QColor("white") if selected else colour)
            outline.setStyle(Qt.PenStyle.DashLine)
            self.setPen(outline)


class PoseCanvas(DocumentCanvas):
    """Photo + target skeleton; drag joints, right-click to hide/show.

    Signals:
        joint_selected(int): a joint was clicked (or -1).
    """

    joint_selected = Signal(int)
    person_boxed = Signal(float, float, float, float)  # x0, y0, x1, y1 (Frame the person)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.bone_lock = False
        self.edit_source = False  # the handles move the photo's own pose, not the target
        self.selected_joint = -1
        self.drag_tool = JointDragTool(self)
        self.box_tool = BoxTool(self)
        self.tool = self.drag_tool
        self.handles = [JointHandle(j) for j in range(sk.NUM_JOINTS)]
        self.bones = [QGraphicsLineItem() for _ in sk.LIMBS]
        self.ghosts = [QGraphicsLineItem() for _ in sk.LIMBS]
        for k, (bone, ghost) in enumerate(zip(self.bones, self.ghosts, strict=True)):
            pen = QPen(limb_colour(k), 4)
            pen.setCosmetic(True)
            pen.setCapStyle(Qt.PenCapStyle.RoundCap)
            bone.setPen(pen)
            bone.setZValue(5)
            ghost_pen = QPen(QColor(255, 255, 255, 110), 1.5, Qt.PenStyle.DashLine)
            ghost_pen.setCosmetic(True)
            ghost.setPen(ghost_pen)
            ghost.setZValue(4)
        for item in [*self.ghosts, *self.bones, *self.handles]:
            item.setVisible(False)
            self.scene().addItem(item)
        self.setToolTip("")

    # -- document -------------------------------------------------------------------------------

    def show_document(self) -> None:
        super().show_document()
        self.refresh()

    def on_change(self, change: Change) -> None:
        if change.what == "all":
            self.show_document()
        elif change.what == "pose":
            self.refresh()

    def refresh(self) -> None:
        """Move the items to the document's poses."""
        if self.history is None:
            for item in [*self.ghosts, *self.bones, *self.handles]:
                item.setVisible(False)
            return
        doc = self.history.doc
        pose, visible = doc.target_pose, doc.target_visible
        source = doc.source_pose
        if self.edit_source:  # handles on the photo's pose, the target drawn faintly
            pose, source = source, pose
            visible = np.ones(sk.NUM_JOINTS, bool)
        present = sk.present(pose)
        for j, handle in enumerate(self.handles):
            handle.setVisible(bool(present[j]))
            if present[j]:
                handle.setPos(self.to_scene(*pose[j]))
                handle.set_state(bool(visible[j]), j == self.selected_joint)
        shown = present & visible
        source_present = sk.present(source)
        for (a, b), bone, ghost in zip(sk.LIMBS, self.bones, self.ghosts, strict=True):
            bone.setVisible(bool(shown[a] and shown[b]))
            if shown[a] and shown[b]:
                bone.setLine(QLineF(self.to_scene(*pose[a]), self.to_scene(*pose[b])))
            ghost.setVisible(bool(source_present[a] and source_present[b]))
            if ghost.isVisible():
                ghost.setLine(QLineF(self.to_scene(*source[a]), self.to_scene(*source[b])))

    def select_joint(self, joint: int) -> None:
        self.selected_joint = joint
        self.refresh()
        self.joint_selected.emit(joint)

    def handle_at(self, view_pos) -> int:
        """The joint whose handle is under a viewport point, or -1. Where handles overlap
        (zoomed out), the one whose centre is nearest wins, so each stays reachable."""
        best, best_distance = -1, float("inf")
        for item in self.items(view_pos):
            if isinstance(item, JointHandle) and item.isVisible():
                centre = self.mapFromScene(item.scenePos())
                distance = (centre.x() - view_pos.x()) ** 2 + (centre.y() - view_pos.y()) ** 2
                if distance < best_distance:
                    best, best_distance = item.joint, distance
        return best

    def joint_screen_pos(self, joint: int):
        """Viewport position of a joint's centre (tests and tools use it)."""
        return self.mapFromScene(self.to_scene(*self.edited_pose()[joint]))

    def edited_pose(self) -> np.ndarray:
        """The pose the handles move: the target pose, or the photo's own with
        ``edit_source`` (Pose > Edit the photo's pose)."""
        doc = self.history.doc
        return doc.source_pose if self.edit_source else doc.target_pose

    def set_framing(self, on: bool) -> None:
        """Left drags draw a box around the person to edit (on) or move joints (off)."""
        self.tool = self.box_tool if on else self.drag_tool
        self.viewport().setCursor(Qt.CursorShape.CrossCursor if on else Qt.CursorShape.ArrowCursor)

    def set_edit_source(self, on: bool) -> None:
        """Move the photo's own pose (on) or the target pose (off) with the handles."""
        self.edit_source = bool(on)
        self.refresh()

    def toggle_joint_visible(self, joint: int | None = None) -> None:
        joint = self.selected_joint if joint is None else joint
        if self.history is None or joint < 0:
            return
        visible = bool(self.history.doc.target_visible[joint])
        self.history.push(SetJointVisible(joint, not visible))

    # -- mouse ------------------------------------------------------------------------------------

    def mousePressEvent(self, event) -> None:  # noqa: N802 - Qt override
        if self.start_pan(event):
            return
        if self.history is None:
            return
        if event.button() == Qt.MouseButton.LeftButton:
            self.tool.press(event)
        elif event.button() == Qt.MouseButton.RightButton:
            joint = self.handle_at(event.position().toPoint())
            if joint >= 0:
                self.select_joint(joint)
                self._joint_menu(joint, event.globalPosition().toPoint())
            else:
                point = self.event_image_pos(event)
                self._missing_menu(point, event.globalPosition().toPoint())

    def mouseMoveEvent(self, event) -> None:  # noqa: N802 - Qt override
        if self.continue_pan(event):
            return
        x, y = self.event_image_pos(event)
        self.cursor_moved.emit(x, y)
        if self.history is not None:
            self.tool.move(event)

    def mouseReleaseEvent(self, event) -> None:  # noqa: N802 - Qt override
        if self.end_pan():
            return
        if self.history is not None:
            self.tool.release(event)

    def _joint_menu(self, joint: int, global_pos) -> None:
        menu = QMenu(self)
        visible = bool(self.history.doc.target_visible[joint])
        name = sk.JOINT_NAMES[joint].replace("_", " ")
        action = menu.addAction(f"{'Hide' if visible else 'Show'} {name}")
        action.triggered.connect(lambda: self.toggle_joint_visible(joint))
        menu.popup(global_pos)

    def missing_joints(self) -> list[int]:
        """Joints the target pose lacks (NaN): the photo's pose did not have them."""
        if self.history is None:
            return []
        return [int(j) for j in np.flatnonzero(~sk.present(self.history.doc.target_pose))]

    def add_joint(self, joint: int, point: tuple[float, float]) -> None:
        """Place a missing joint at image point (x, y) (one undo step), shown and selected."""
        doc = self.history.doc
        pose = doc.target_pose.copy()
        pose[joint] = point
        visible = doc.target_visible.copy()
        visible[joint] = True
        name = sk.JOINT_NAMES[joint].replace("_", " ")
        self.history.push(SetPose(doc, pose, visible, text=f"add {name}"))
        self.select_joint(joint)

    def _missing_menu(self, point: tuple[float, float], global_pos) -> None:
        missing = self.missing_joints()
        if not missing:
            return
        menu = QMenu(self)
        submenu = menu.addMenu("Add missing joint here")
        for joint in missing:
            action = submenu.addAction(sk.JOINT_NAMES[joint].replace("_", " "))
            action.triggered.connect(lambda _c=False, j=joint: self.add_joint(j, point))
        menu.popup(global_pos)

    # -- export -------------------------------------------------------------------------------

    def skeleton_image(self) -> np.ndarray | None:
        """The photo (dimmed) with the effective target skeleton, for the overview strip."""
        if self.history is None:
            return None
        doc = self.history.doc
        return sk.draw_skeleton(doc.image // 2, doc.effective_target_pose())
