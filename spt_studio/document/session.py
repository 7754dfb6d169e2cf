"""The editing session of one document, Qt-free: the editor's rules in one place.

An :class:`EditorSession` owns a :class:`~spt_studio.document.model.Document` and its
:class:`~spt_studio.document.history.History` and decides what the editor does with them: the
mode (repose, paint, transfer), which parsing the overview shows, the bone lock, what is rendered
(:class:`~spt_studio.document.render_request.RenderRequest`), when clothing transfer keeps the
person's real pixels, and the edits of the Pose and Parsing menus. The main window only asks the
session and shows what it says, so every rule here is testable without a GUI.

Two kinds of settings: the mode and the bone lock are view settings (saved with the project, not
undo steps, as a user expects of switching a tab); everything else goes through the History as a
command, so undo restores it and the document counts as modified.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from spt_core import skeleton as sk
from spt_studio.document import commands
from spt_studio.document.frames import crop_to_photo, labels_to_photo
from spt_studio.document.history import History
from spt_studio.document.model import MODES, Document, PersonData
from spt_studio.document.person_init import parsing_from_pose, person_in_box
from spt_studio.document.pose_ops import fit_pose
from spt_studio.document.render_request import RenderRequest


def check_mode(mode: str) -> str:
    """``mode`` when it is one of :data:`~spt_studio.document.model.MODES`.

    Raises:
        ValueError: an unknown mode.
    """
    if mode not in MODES:
        raise ValueError(f"unknown mode {mode!r}")
    return mode


def pose_unchanged(pose: np.ndarray, target_pose: np.ndarray) -> bool:
    """Whether a target pose is the person's own (NaN equal NaN)."""
    return np.array_equal(pose, target_pose, equal_nan=True)


@dataclass(frozen=True)
class Overview:
    """What the overview strip shows: the photo, a parsing, a pose and the result.

    Attributes:
        image: the photo.
        parsing: (H, W) labels of the photo's size, the map the current mode renders with.
        pose: the effective target pose (hidden joints NaN).
        result: the last rendered image, or None.
    """

    image: np.ndarray
    parsing: np.ndarray
    pose: np.ndarray
    result: np.ndarray | None


class EditorSession:
    """One open document with its History and the editor's rules (see the module docstring).

    Args:
        doc: the document to edit; the session counts it as saved.
        history_limit: most undo steps kept (0 = no limit).
    """

    def __init__(self, doc: Document, history_limit: int = 500):
        self.history = History(doc, limit=history_limit)

    @property
    def doc(self) -> Document:
        """The document being edited."""
        return self.history.doc

    # -- view settings (saved with the project, not undo steps) -----------------------------

    @property
    def mode(self) -> str:
        """The editing mode; it decides the editor page and the pipeline call."""
        return self.doc.mode

    def set_mode(self, mode: str) -> bool:
        """Switch the mode; True when it changed (the caller then re-renders).

        Raises:
            ValueError: an unknown mode.
        """
        return self._set_view_setting("mode", check_mode(mode))

    @property
    def bone_lock(self) -> bool:
        """Whether joint drags keep the bone lengths."""
        return bool(self.doc.settings.get("bone_lock"))

    def set_bone_lock(self, on: bool) -> bool:
        """Turn the bone-length lock on or off; True when it changed."""
        return self._set_view_setting("bone_lock", bool(on))

    @property
    def keep_unchanged(self) -> bool:
        """Whether renders keep the photo's own pixels where nothing moved or was painted."""
        return not self.doc.settings.get("redraw_all", False)

    def set_keep_unchanged(self, on: bool) -> bool:
        """Keep unchanged pixels (on) or let the network redraw all; True when it changed."""
        return self._set_view_setting("redraw_all", not on)

    def _set_view_setting(self, key: str, value: object) -> bool:
        # Not a command: undo should step through edits, not through tab switches.
        if self.doc.settings.get(key) == value:
            return False
        self.doc.settings[key] = value
        return True

    @property
    def transfer_labels(self) -> list[int]:
        """The garment labels clothing transfer takes from the second person."""
        return list(self.doc.settings.get("transfer_labels", []))

    # -- what is shown and rendered ---------------------------------------------------------

    def keeps_real_pixels(self) -> bool:
        """Transfer's rule: with her own pose the person keeps her real pixels outside the
        garments; a changed (dragged or copied) pose reposes her in the new clothes."""
        return pose_unchanged(self.doc.source_pose, self.doc.effective_target_pose())

    def overview_parsing(self) -> np.ndarray:
        """The parsing the current mode renders with, at the photo's size.

        Repose shows the predicted map, paint the painted one, transfer the person's own map
        unless she is reposed (then the map predicted for her new pose). Before the first
        prediction, the map that stands in for it: the source map in transfer, else the target.
        """
        doc = self.doc
        if doc.mode == "paint":
            return doc.target_parsing
        if doc.mode == "transfer" and self.keeps_real_pixels():
            return doc.source_parsing
        if doc.predicted_parsing is not None:
            # Predictions come in the model's letterboxed frame.
            return crop_to_photo(doc.predicted_parsing, doc.size)
        return doc.source_parsing if doc.mode == "transfer" else doc.target_parsing

    def overview(self) -> Overview:
        """What each view of the overview strip shows."""
        doc = self.doc
        return Overview(
            image=doc.image,
            parsing=self.overview_parsing(),
            pose=doc.effective_target_pose(),
            result=doc.result,
        )

    def render_request(self) -> RenderRequest | None:
        """The render the current mode calls for, or None (transfer without a second person).

        The photo is passed without a copy: no command ever changes it in place.
        """
        doc = self.doc
        common = dict(
            image=doc.image,
            pose=doc.source_pose.copy(),
            parsing=doc.source_parsing.copy(),
            target_pose=doc.effective_target_pose(),
            keep_unchanged=self.keep_unchanged,
        )
        if doc.mode == "repose":
            return RenderRequest("repose", **common)
        if doc.mode == "paint":
            return RenderRequest("render", target_parsing=doc.target_parsing.copy(), **common)
        if doc.reference is None:
            return None
        ref = doc.reference
        return RenderRequest(
            "transfer",
            reference=(ref.image, ref.pose.copy(), ref.parsing.copy()),
            labels=tuple(self.transfer_labels),
            keep_real_pixels=self.keeps_real_pixels(),
            **common,
        )

    def take_result(
        self,
        image: np.ndarray,
        parsing: np.ndarray | None = None,
        model_image: np.ndarray | None = None,
    ) -> None:
        """Keep a finished render in the document (model outputs, not undo steps).

        The render worker delivers the image at the photo's size; an image in the model's
        letterboxed frame is kept with the photo's shape (cropped). A predicted parsing is kept
        as predicted (``overview_parsing`` crops a letterboxed one when shown). ``model_image``
        is the model's own output (File > Export model frame).
        """
        doc = self.doc
        doc.result = image if image.shape[:2] == doc.size else crop_to_photo(image, doc.size)
        doc.model_result = model_image
        if parsing is not None:
            doc.predicted_parsing = parsing

    # -- pose edits --------------------------------------------------------------------------

    def mirror_pose(self) -> None:
        """Swap the left and right side of the target pose (one undo step)."""
        self.history.push(commands.mirror_pose_command(self.doc))

    def reset_pose(self) -> None:
        """Make the target pose the source pose again, every joint shown (one undo step)."""
        self.history.push(commands.reset_pose_command(self.doc))

    def copy_pose(self, pose: np.ndarray, from_size: tuple[int, int], what: str) -> None:
        """Make ``pose`` (of an image of ``from_size``) the target pose, every joint shown.

        Args:
            pose: (18, 2) joints in the other image's pixels.
            from_size: (height, width) of that image; the pose is fitted to this photo.
            what: the other image's name, for the undo text.
        """
        fitted = fit_pose(pose, from_size, self.doc.size)
        self.history.push(
            commands.SetPose(self.doc, fitted, np.ones(sk.NUM_JOINTS, bool), text=f"pose of {what}")
        )

    def apply_library_pose(self, pose: np.ndarray, name: str) -> None:
        """Make a library pose (128x64 frame) the target pose, every joint shown, in one undo
        step: moved onto the person (her neck, her torso length) and, with the bone lock on,
        given her bone lengths too (:func:`spt_core.animation.place_on`)."""
        from spt_core.animation import place_on
        from spt_core.data.synth.posing import torso_length

        source = self.doc.source_pose
        if self.bone_lock:
            placed = place_on(pose, source)
        else:
            pose = np.asarray(pose, np.float64)
            scale = torso_length(source) / max(torso_length(pose), 1e-6)
            placed = ((pose - pose[sk.NECK]) * scale + source[sk.NECK]).astype(np.float32)
        self.history.push(
            commands.SetPose(self.doc, placed, np.ones(sk.NUM_JOINTS, bool), text=f"pose {name}")
        )

    def copy_pose_from_reference(self) -> bool:
        """Take the second person's pose; False when there is no second person."""
        ref = self.doc.reference
        if ref is None:
            return False
        self.copy_pose(ref.pose, ref.image.shape[:2], ref.name)
        return True

    def frame_person(
        self, box: tuple[float, float, float, float], use_detector: bool = True
    ) -> bool:
        """Make the person inside ``box`` (x0, y0, x1, y1) the one to edit: detected there, or
        the template fitted to the box (one undo step). Returns whether a detector found her.

        Raises:
            ValueError: a box too small to hold a person.
        """
        pose, parsing, found = person_in_box(self.doc.image, box, use_detector)
        text = "frame the person" + ("" if found else " (template)")
        self.history.push(commands.PlacePerson(self.doc, pose, parsing, text))
        return found

    # -- parsing edits -----------------------------------------------------------------------

    def use_predicted_parsing(self) -> bool:
        """Paint from the parsing the model predicted: it becomes the target parsing and the
        mode switches to paint. False when nothing was predicted yet."""
        doc = self.doc
        if doc.predicted_parsing is None:
            return False
        predicted = labels_to_photo(doc.predicted_parsing, doc.size)
        command = commands.SetParsing(doc, "target_parsing", predicted, "use predicted parsing")
        # The mode first, so observers of the push already see the paint mode; the switch is
        # a view setting and stays when the edit is undone (as switching by hand does).
        self.set_mode("paint")
        self.history.push(command)
        return True

    def parsing_from_pose(self, layer: str = "target_parsing") -> None:
        """Replace the map ``layer`` with a plain parsing drawn from the target pose."""
        doc = self.doc
        labels = parsing_from_pose(doc.effective_target_pose(), doc.size)
        self.history.push(commands.SetParsing(doc, layer, labels, "parsing from pose"))

    def reset_parsing(self) -> None:
        """Make the target parsing the source parsing again."""
        doc = self.doc
        self.history.push(
            commands.SetParsing(doc, "target_parsing", doc.source_parsing, "reset parsing")
        )

    # -- clothing transfer -------------------------------------------------------------------

    def set_transfer_labels(self, labels: Iterable[int]) -> bool:
        """Choose the garments taken from the second person (an undo step when they change);
        True when they changed."""
        labels = sorted(int(v) for v in labels)
        if labels == self.doc.settings.get("transfer_labels"):
            return False
        self.history.push(commands.SetSetting(self.doc, "transfer_labels", labels, "garments"))
        return True

    def set_reference(self, reference: PersonData | None) -> None:
        """Load (or clear) the second person (an undo step); loading one switches to the
        transfer mode, which is what a second person is for."""
        command = commands.SetReference(self.doc, reference)
        if reference is not None:
            self.set_mode("transfer")
        self.history.push(command)

    # -- history -----------------------------------------------------------------------------

    def undo(self) -> bool:
        """Undo one step; False when there is none."""
        return self.history.undo()

    def redo(self) -> bool:
        """Redo one step; False when there is none."""
        return self.history.redo()
