"""The editor's document: one person photo, its source and target pose and parsing, a second
person for clothing transfer, settings, and the last rendered result. No Qt here.

Only commands (:mod:`spt_studio.document.commands`) executed through a
:class:`~spt_studio.document.history.History` change the editable fields, so every change can be
undone and every observer hears about it. ``result`` and ``predicted_parsing`` are outputs of the
model, not edits, and are set directly by the render controller.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from spt_core import labels as lb
from spt_core import skeleton as sk

#: The editing modes; each decides which pipeline call renders the result.
MODES: tuple[str, ...] = ("repose", "paint", "transfer")

#: Settings every document has (saved in the project file).
DEFAULT_SETTINGS: dict[str, Any] = {
    "mode": "repose",
    "transfer_labels": [lb.UPPER_CLOTHES],
    "overlay_opacity": 0.6,
    "bone_lock": False,
    "brush_size": 5,
}

#: Largest brush diameter in image pixels (the brush size box allows no more).
MAX_BRUSH_SIZE = 200


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)  # JSON true is not 1


def _check_setting(key: str, value: object) -> str | None:
    """What is wrong with one setting read from a file, or None when it is valid."""
    if key == "mode":
        return None if value in MODES else f"expected one of {', '.join(MODES)}, got {value!r}"
    if key == "transfer_labels":
        if isinstance(value, list) and all(_is_int(v) and 0 <= v < lb.NUM_LABELS for v in value):
            return None
        return f"expected a list of labels 0..{lb.NUM_LABELS - 1}"
    if key == "overlay_opacity":
        number = isinstance(value, (int, float)) and not isinstance(value, bool)
        if number and math.isfinite(value) and 0.0 <= value <= 1.0:
            return None
        return "expected a number from 0 to 1"
    if key == "bone_lock":
        return None if isinstance(value, bool) else "expected true or false"
    if key == "brush_size":
        if _is_int(value) and 1 <= value <= MAX_BRUSH_SIZE:
            return None
        return f"expected a whole number from 1 to {MAX_BRUSH_SIZE}"
    # A setting added later without a rule here: at least its JSON type must match.
    default = DEFAULT_SETTINGS[key]
    if type(value) is type(default):
        return None
    return f"expected a {type(default).__name__}, got {type(value).__name__}"


def validated_settings(raw: object) -> dict[str, Any]:
    """Settings read from a file, checked key by key and completed with the defaults.

    Args:
        raw: the decoded JSON value (None or missing means all defaults).

    Returns:
        A new settings dict.

    Raises:
        ValueError: not an object, an unknown key, or a value of the wrong type or range; the
            message names the setting (``settings.mode: ...``).
    """
    settings = copy.deepcopy(DEFAULT_SETTINGS)
    if raw is None:
        return settings
    if not isinstance(raw, dict):
        raise ValueError(f"settings: expected an object, got {type(raw).__name__}")
    for key, value in raw.items():
        if key not in DEFAULT_SETTINGS:
            raise ValueError(f"settings.{key}: unknown setting")
        problem = _check_setting(key, value)
        if problem:
            raise ValueError(f"settings.{key}: {problem}")
        settings[key] = copy.deepcopy(value)
    return settings


#: Names of the two label maps a paint command may edit.
PARSING_LAYERS: tuple[str, ...] = ("target_parsing", "source_parsing")


@dataclass
class PersonData:
    """A second person (clothing transfer, pose copy): image, pose and parsing of one photo."""

    name: str
    image: np.ndarray
    pose: np.ndarray
    parsing: np.ndarray

    def copy(self) -> PersonData:
        return PersonData(self.name, self.image.copy(), self.pose.copy(), self.parsing.copy())


@dataclass(frozen=True)
class Change:
    """What a command changed, so observers repaint only that.

    Attributes:
        what: "pose", "visibility", "parsing", "reference", "settings" or "all".
        layer: for "parsing", which map ("target_parsing" or "source_parsing").
        rect: for "parsing", the changed rectangle (top, bottom, left, right), bottom/right
            exclusive; None means the whole map.
        key: for "settings", the setting that changed.
    """

    what: str
    layer: str | None = None
    rect: tuple[int, int, int, int] | None = None
    key: str | None = None


@dataclass
class Document:
    """Everything the editor edits for one photo.

    Attributes:
        name: where the photo came from (file name or dataset sample), for titles.
        image: (H, W, 3) uint8 RGB photo.
        source_pose: (18, 2) float32 pose detected or fitted on the photo (NaN = missing).
        target_pose: (18, 2) float32 pose the user drags; hidden joints keep their position.
        target_visible: (18,) bool; a hidden joint is sent to the model as missing.
        source_parsing: (H, W) uint8 labels of the photo (fixable by painting).
        target_parsing: (H, W) uint8 labels the user paints (paint mode renders with it).
        reference: the second person of clothing transfer, or None.
        settings: mode, transfer labels, overlay opacity, bone lock, brush size.
        result: the last rendered image at the photo's size (not an edit; not in the undo
            history).
        model_result: the model's own output of that render (its size), or None.
        predicted_parsing: the last parsing predicted by the semantic network, or None.
    """

    name: str
    image: np.ndarray
    source_pose: np.ndarray
    target_pose: np.ndarray
    target_visible: np.ndarray
    source_parsing: np.ndarray
    target_parsing: np.ndarray
    reference: PersonData | None = None
    settings: dict[str, Any] = field(default_factory=lambda: copy.deepcopy(DEFAULT_SETTINGS))
    result: np.ndarray | None = None
    model_result: np.ndarray | None = None
    predicted_parsing: np.ndarray | None = None

    @classmethod
    def from_person(
        cls, name: str, image: np.ndarray, pose: np.ndarray, parsing: np.ndarray
    ) -> Document:
        """A new document whose target pose and parsing start as copies of the source ones.

        Raises:
            ValueError: shapes or dtypes that do not fit together.
        """
        image = np.ascontiguousarray(image)
        if image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3:
            raise ValueError(f"{name}: expected an (H, W, 3) uint8 image, got {image.shape}")
        parsing = lb.check_labels(parsing, name)
        if parsing.shape != image.shape[:2]:
            raise ValueError(f"{name}: parsing is {parsing.shape}, image is {image.shape[:2]}")
        pose = sk.as_pose(pose)
        return cls(
            name=name,
            image=image,
            source_pose=pose.copy(),
            target_pose=pose.copy(),
            target_visible=np.ones(sk.NUM_JOINTS, bool),
            source_parsing=parsing.copy(),
            target_parsing=parsing.copy(),
        )

    def source_person(self) -> PersonData:
        """The photo's own person (its image, source pose and parsing, not copies), e.g. to be
        the second person of another document."""
        return PersonData(self.name, self.image, self.source_pose, self.source_parsing)

    @property
    def size(self) -> tuple[int, int]:
        """(height, width) of the photo."""
        return (int(self.image.shape[0]), int(self.image.shape[1]))

    @property
    def mode(self) -> str:
        return str(self.settings.get("mode", "repose"))

    def effective_target_pose(self) -> np.ndarray:
        """The target pose as the model sees it: hidden joints become missing (NaN)."""
        pose = self.target_pose.copy()
        pose[~self.target_visible] = np.nan
        return pose

    def parsing(self, layer: str) -> np.ndarray:
        """The label map named ``layer`` (one of :data:`PARSING_LAYERS`), not a copy."""
        if layer not in PARSING_LAYERS:
            raise ValueError(f"unknown parsing layer {layer!r}")
        return getattr(self, layer)

    def same_content(self, other: Document) -> bool:
        """Whether two documents hold identical edits (arrays exact, NaN equal NaN)."""

        def same(a, b) -> bool:
            if a is None or b is None:
                return a is b
            return a.shape == b.shape and np.array_equal(a, b, equal_nan=a.dtype.kind == "f")

        fields_equal = all(
            same(getattr(self, f), getattr(other, f))
            for f in (
                "image",
                "source_pose",
                "target_pose",
                "target_visible",
                "source_parsing",
                "target_parsing",
            )
        )
        if (self.reference is None) != (other.reference is None):
            return False
        if self.reference is not None:
            a, b = self.reference, other.reference
            if a.name != b.name or not all(
                same(getattr(a, f), getattr(b, f)) for f in ("image", "pose", "parsing")
            ):
                return False
        return fields_equal and self.name == other.name and self.settings == other.settings
