"""Undoable edits of a :class:`~spt_studio.document.model.Document`.

Every command knows how to apply itself (``redo``), revert itself (``undo``) and, for commands
made during one mouse gesture, absorb the next command of the same gesture (``merge``), so a
press-drag-release is exactly one undo step. Paint commands keep only the changed rectangle
with its old and new labels (napari's labels-layer atoms), never a copy of the whole map.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from spt_core import skeleton as sk
from spt_studio.document import paint
from spt_studio.document.model import PARSING_LAYERS, Change, Document, PersonData


class Command:
    """Base class. ``gesture`` is the id of the mouse gesture that made it (None: none)."""

    text = "edit"

    def __init__(self, gesture: int | None = None):
        self.gesture = gesture

    def redo(self, doc: Document) -> Change:
        raise NotImplementedError

    def undo(self, doc: Document) -> Change:
        raise NotImplementedError

    def merge(self, other: Command, doc: Document) -> bool:
        """Absorb ``other`` (already applied to ``doc``); True when merged."""
        return False


# --------------------------------------------------------------------------------------------
# Pose


class SetPose(Command):
    """Replace the target pose and visibility (reset, mirror, copy from another image)."""

    text = "set pose"

    def __init__(
        self,
        doc: Document,
        pose: np.ndarray,
        visible: np.ndarray | None = None,
        text: str | None = None,
        gesture: int | None = None,
    ):
        super().__init__(gesture)
        self.before = (doc.target_pose.copy(), doc.target_visible.copy())
        new_visible = doc.target_visible if visible is None else np.asarray(visible, bool)
        self.after = (sk.as_pose(pose), new_visible.copy())
        if text:
            self.text = text

    def redo(self, doc: Document) -> Change:
        doc.target_pose, doc.target_visible = self.after[0].copy(), self.after[1].copy()
        return Change("pose")

    def undo(self, doc: Document) -> Change:
        doc.target_pose, doc.target_visible = self.before[0].copy(), self.before[1].copy()
        return Change("pose")


class MoveJoint(SetPose):
    """A joint dragged (the bone lock may move its subtree too, so the whole pose is kept:
    18 x 2 floats, cheaper than being clever). Drags of one gesture merge."""

    def __init__(self, doc: Document, joint: int, pose: np.ndarray, gesture: int | None = None):
        super().__init__(doc, pose, text=f"move {sk.JOINT_NAMES[joint]}", gesture=gesture)
        self.joint = joint

    def merge(self, other: Command, doc: Document) -> bool:
        return merge_drag(self, other)


class MoveSourceJoint(Command):
    """A joint of the photo's own pose (the source pose) dragged onto the person: the model
    must know where the person's joints are. Target joints the user has not moved (still at
    the old source position) move along, so an unedited target stays "no repose"; moved ones
    stay. Drags of one gesture merge."""

    def __init__(
        self, doc: Document, joint: int, source_pose: np.ndarray, gesture: int | None = None
    ):
        super().__init__(gesture)
        self.joint = joint
        self.text = f"place the photo's {sk.JOINT_NAMES[joint].replace('_', ' ')}"
        old_source, old_target = doc.source_pose, doc.target_pose
        new_source = sk.as_pose(source_pose)
        unmoved = np.all(np.isclose(old_target, old_source, atol=1e-4), axis=1) | (
            ~sk.present(old_target) & ~sk.present(old_source)
        )
        new_target = np.where(unmoved[:, None], new_source, old_target).astype(np.float32)
        self.before = (old_source.copy(), old_target.copy())
        self.after = (new_source.copy(), new_target)

    def redo(self, doc: Document) -> Change:
        doc.source_pose, doc.target_pose = self.after[0].copy(), self.after[1].copy()
        return Change("pose")

    def undo(self, doc: Document) -> Change:
        doc.source_pose, doc.target_pose = self.before[0].copy(), self.before[1].copy()
        return Change("pose")

    def merge(self, other: Command, doc: Document) -> bool:
        return merge_drag(self, other)


def merge_drag(command: Command, other: Command) -> bool:
    """Fold ``other`` into ``command`` when both drag the same joint of the same pose in one
    gesture (the drag becomes one undo step): ``command`` takes ``other``'s end state."""
    if (
        type(other) is type(command)
        and other.joint == command.joint
        and command.gesture is not None
        and other.gesture == command.gesture
    ):
        command.after = other.after
        return True
    return False


class SetJointVisible(Command):
    """Hide or show one joint of the target pose (a hidden joint keeps its position)."""

    def __init__(self, joint: int, visible: bool):
        super().__init__()
        self.joint, self.visible = joint, bool(visible)
        self.text = f"{'show' if visible else 'hide'} {sk.JOINT_NAMES[joint]}"
        self.before: bool | None = None

    def redo(self, doc: Document) -> Change:
        self.before = bool(doc.target_visible[self.joint])
        doc.target_visible[self.joint] = self.visible
        return Change("pose")

    def undo(self, doc: Document) -> Change:
        doc.target_visible[self.joint] = self.before
        return Change("pose")


def mirror_pose_command(doc: Document) -> SetPose:
    """Mirror the target pose left/right about the body's centre line."""
    from spt_studio.document.pose_ops import mirror_in_place

    pose, visible = mirror_in_place(doc.target_pose, doc.target_visible)
    return SetPose(doc, pose, visible, text="mirror pose")


def reset_pose_command(doc: Document) -> SetPose:
    """Back to the source pose, every joint shown."""
    return SetPose(doc, doc.source_pose, np.ones(sk.NUM_JOINTS, bool), text="reset pose")


# --------------------------------------------------------------------------------------------
# Parsing


class LabelPatch(Command):
    """Labels written inside one rectangle of a parsing map: the rectangle, its old labels and
    its new labels. Nothing outside the rectangle is stored."""

    text = "paint"

    def __init__(
        self, layer: str, rect: paint.Rect, old: np.ndarray, new: np.ndarray, gesture=None
    ):
        super().__init__(gesture)
        if layer not in PARSING_LAYERS:
            raise ValueError(f"unknown parsing layer {layer!r}")
        self.layer, self.rect, self.old, self.new = layer, rect, old, new

    def _write(self, doc: Document, values: np.ndarray) -> Change:
        top, bottom, left, right = self.rect
        doc.parsing(self.layer)[top:bottom, left:right] = values
        return Change("parsing", layer=self.layer, rect=self.rect)

    def redo(self, doc: Document) -> Change:
        return self._write(doc, self.new)

    def undo(self, doc: Document) -> Change:
        return self._write(doc, self.old)

    @classmethod
    def from_mask(
        cls, doc: Document, layer: str, rect: paint.Rect, mask: np.ndarray, label: int, **kwargs
    ):
        """The command that writes ``label`` where ``mask`` (a block of ``rect``) is set."""
        top, bottom, left, right = rect
        old = doc.parsing(layer)[top:bottom, left:right].copy()
        new = np.where(mask, np.uint8(label), old).astype(np.uint8)
        return cls(layer, rect, old, new, **kwargs)


class PaintStroke(LabelPatch):
    """One brush (or eraser) segment; the segments of one gesture merge into one stroke whose
    rectangle is the union of theirs."""

    text = "paint stroke"

    @classmethod
    def segment(
        cls,
        doc: Document,
        layer: str,
        p0: tuple[float, float],
        p1: tuple[float, float],
        radius: float,
        label: int,
        gesture: int | None = None,
    ) -> PaintStroke | None:
        """The stroke painting ``label`` along p0-p1 (None when it touches no pixel)."""
        found = paint.segment_mask(p0, p1, radius, doc.size)
        if found is None:
            return None
        rect, mask = found
        command = cls.from_mask(doc, layer, rect, mask, label, gesture=gesture)
        if label == 0:
            command.text = "erase"
        return command

    def merge(self, other: Command, doc: Document) -> bool:
        if not (
            isinstance(other, PaintStroke)
            and other.layer == self.layer
            and self.gesture is not None
            and other.gesture == self.gesture
        ):
            return False
        # ``other`` is already applied. Old labels of the union: the map now, with other's old
        # block and then ours (older, so it wins where they overlap) written back.
        union = paint.union_rect(self.rect, other.rect)
        top, bottom, left, right = union
        labels = doc.parsing(self.layer)
        new = labels[top:bottom, left:right].copy()
        old = new.copy()
        for patch in (other, self):
            t, b, lft, r = patch.rect
            old[t - top : b - top, lft - left : r - left] = patch.old
        self.rect, self.old, self.new = union, old, new
        return True


class Fill(LabelPatch):
    """Flood fill of the 4-connected equal-label region under a point."""

    text = "fill"

    @classmethod
    def at(cls, doc: Document, layer: str, x: int, y: int, label: int) -> Fill | None:
        """The fill command at pixel (x, y), or None (outside, or the region has that label)."""
        labels = doc.parsing(layer)
        found = paint.flood_region(labels, x, y)
        if found is None or labels[y, x] == label:
            return None
        rect, mask = found
        return cls.from_mask(doc, layer, rect, mask, label)


class SetParsing(Command):
    """Replace a whole map (use the predicted map, initialise from the pose, reset)."""

    def __init__(self, doc: Document, layer: str, labels: np.ndarray, text: str = "set parsing"):
        super().__init__()
        self.layer, self.text = layer, text
        self.before = doc.parsing(layer).copy()
        if labels.shape != self.before.shape:
            raise ValueError(f"parsing is {labels.shape}, the document is {self.before.shape}")
        self.after = np.asarray(labels, np.uint8).copy()

    def redo(self, doc: Document) -> Change:
        setattr(doc, self.layer, self.after.copy())
        return Change("parsing", layer=self.layer)

    def undo(self, doc: Document) -> Change:
        setattr(doc, self.layer, self.before.copy())
        return Change("parsing", layer=self.layer)


class PlacePerson(Command):
    """The person the user framed (Pose > Frame the person): the photo's pose and parsing
    replaced, and the target made the same (nothing reposed or painted yet), in one step."""

    FIELDS = ("source_pose", "target_pose", "target_visible", "source_parsing", "target_parsing")

    def __init__(self, doc: Document, pose: np.ndarray, parsing: np.ndarray, text: str):
        super().__init__()
        self.text = text
        if parsing.shape != doc.source_parsing.shape:
            raise ValueError(f"parsing is {parsing.shape}, the photo is {doc.source_parsing.shape}")
        pose = sk.as_pose(pose)
        labels = np.asarray(parsing, np.uint8)
        self.before = tuple(getattr(doc, f).copy() for f in self.FIELDS)
        self.after = (pose, pose.copy(), np.ones(sk.NUM_JOINTS, bool), labels, labels.copy())

    def _set(self, doc: Document, values) -> Change:
        for name, value in zip(self.FIELDS, values, strict=True):
            setattr(doc, name, value.copy())
        return Change("all")

    def redo(self, doc: Document) -> Change:
        return self._set(doc, self.after)

    def undo(self, doc: Document) -> Change:
        return self._set(doc, self.before)


# --------------------------------------------------------------------------------------------
# Second person and settings


class SetReference(Command):
    """Load (or clear) the second person of clothing transfer."""

    def __init__(self, doc: Document, reference: PersonData | None):
        super().__init__()
        self.before = doc.reference
        self.after = reference
        self.text = "clear second image" if reference is None else f"load {reference.name}"

    def redo(self, doc: Document) -> Change:
        doc.reference = self.after
        return Change("reference")

    def undo(self, doc: Document) -> Change:
        doc.reference = self.before
        return Change("reference")


class SetSetting(Command):
    """Change one document setting (transfer garments, ...), undoably."""

    def __init__(self, doc: Document, key: str, value: Any, text: str | None = None):
        super().__init__()
        self.key, self.before, self.after = key, doc.settings.get(key), value
        self.text = text or f"set {key}"

    def redo(self, doc: Document) -> Change:
        doc.settings[self.key] = self.after
        return Change("settings", key=self.key)

    def undo(self, doc: Document) -> Change:
        doc.settings[self.key] = self.before
        return Change("settings", key=self.key)
