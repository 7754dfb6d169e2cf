"""Crop, resize and pad a photo to the model's size around the person, and map results back.

The whole operation is one axis-aligned scale and shift: the photo is resized by (sx, sy)
(``cv2.resize``, which aligns pixel centres) and moved by whole pixels (dx, dy) into a black
canvas of the model's size. A point therefore maps as

    x_model = (x_photo + 0.5) * sx - 0.5 + dx        y_model = (y_photo + 0.5) * sy - 0.5 + dy

and back by the inverse. sx and sy differ only by the rounding of the resized size. The numbers
are stored per photo in ``prepare.json`` so any result can be mapped back to the original photo.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from spt_core import skeleton as sk
from spt_core.data.parsing_pairs import fit_geometry

#: Margin around the person's box, as a fraction of the box height, on every side.
MARGIN = 0.08


@dataclass(frozen=True)
class Framing:
    """The mapping between a photo and its framed copy at the model's size.

    Attributes:
        source_size: (H, W) of the photo.
        size: (H, W) of the framed image.
        scale: (sx, sy): resized width / photo width, resized height / photo height.
        offset: (dx, dy): where the resized photo's top-left pixel lands (whole pixels).
    """

    source_size: tuple[int, int]
    size: tuple[int, int]
    scale: tuple[float, float]
    offset: tuple[int, int]

    @property
    def resized(self) -> tuple[int, int]:
        """(H, W) of the resized photo before the shift."""
        return (
            round(self.source_size[0] * self.scale[1]),
            round(self.source_size[1] * self.scale[0]),
        )

    def to_target(self, points: np.ndarray) -> np.ndarray:
        """(..., 2) (x, y) photo points -> model-frame points (NaN stays NaN)."""
        points = np.asarray(points, dtype=np.float64)
        out = (points + 0.5) * np.asarray(self.scale) - 0.5 + np.asarray(self.offset)
        return out.astype(np.float32)

    def to_source(self, points: np.ndarray) -> np.ndarray:
        """(..., 2) (x, y) model-frame points -> photo points (the inverse of :meth:`to_target`)."""
        points = np.asarray(points, dtype=np.float64)
        out = (points - np.asarray(self.offset) + 0.5) / np.asarray(self.scale) - 0.5
        return out.astype(np.float32)

    def pose_to_target(self, pose: np.ndarray) -> np.ndarray:
        """A photo pose in the model frame; joints that fall outside the frame are missing."""
        out = self.to_target(pose)
        height, width = self.size
        outside = (out[:, 0] < 0) | (out[:, 1] < 0) | (out[:, 0] > width - 1)
        outside |= out[:, 1] > height - 1
        out[outside] = np.nan
        return sk.as_pose(out)

    def _place(self, resized: np.ndarray, fill=0) -> np.ndarray:
        """Shift a resized array by ``offset`` into a canvas of ``size``."""
        height, width = self.size
        canvas = np.full((height, width) + resized.shape[2:], fill, dtype=resized.dtype)
        dx, dy = self.offset
        y0, x0 = max(0, dy), max(0, dx)
        y1 = min(height, dy + resized.shape[0])
        x1 = min(width, dx + resized.shape[1])
        if y1 > y0 and x1 > x0:
            canvas[y0:y1, x0:x1] = resized[y0 - dy : y1 - dy, x0 - dx : x1 - dx]
        return canvas

    def apply_image(self, image: np.ndarray) -> np.ndarray:
        """The framed copy of an RGB photo (area averaging when shrinking), black padding."""
        import cv2

        height, width = self.resized
        shrinking = self.scale[0] < 1 and self.scale[1] < 1
        method = cv2.INTER_AREA if shrinking else cv2.INTER_LINEAR
        return self._place(cv2.resize(image, (width, height), interpolation=method))

    def apply_mask(self, mask: np.ndarray) -> np.ndarray:
        """The framed copy of a float mask in [0, 1] (0 outside the photo)."""
        import cv2

        height, width = self.resized
        shrinking = self.scale[0] < 1 and self.scale[1] < 1
        method = cv2.INTER_AREA if shrinking else cv2.INTER_LINEAR
        mask = np.asarray(mask, dtype=np.float32)
        return self._place(cv2.resize(mask, (width, height), interpolation=method))

    def _back_matrix(self) -> np.ndarray:
        """2x3 matrix taking photo pixel coordinates to model-frame coordinates."""
        (sx, sy), (dx, dy) = self.scale, self.offset
        return np.array(
            [[sx, 0.0, 0.5 * sx - 0.5 + dx], [0.0, sy, 0.5 * sy - 0.5 + dy]], dtype=np.float64
        )

    def labels_to_source(self, labels: np.ndarray) -> np.ndarray:
        """A model-frame label map resampled onto the photo (nearest; 0 outside the frame)."""
        import cv2

        height, width = self.source_size
        return cv2.warpAffine(
            np.asarray(labels, np.uint8),
            self._back_matrix(),
            (width, height),
            flags=cv2.INTER_NEAREST | cv2.WARP_INVERSE_MAP,
            borderMode=cv2.BORDER_CONSTANT,
            borderValue=0,
        )

    def paste_back(
        self, result: np.ndarray, photo: np.ndarray, mask: np.ndarray | None = None
    ) -> np.ndarray:
        """A model-frame RGB result put back into the photo.

        Args:
            result: (H, W, 3) uint8 at ``size`` (e.g. a generated image).
            photo: the original (H0, W0, 3) uint8 photo.
            mask: optional (H, W) weights in [0, 1] at ``size``: where to use the result
                (a generated person over the photo's background); everywhere when None.
        """
        import cv2

        height, width = self.source_size
        matrix = self._back_matrix()
        inside = np.ones(self.size, np.float32) if mask is None else np.asarray(mask, np.float32)
        warp = {"flags": cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP, "borderValue": 0}
        back = cv2.warpAffine(result, matrix, (width, height), **warp).astype(np.float32)
        weight = cv2.warpAffine(inside, matrix, (width, height), **warp)[..., None]
        out = photo.astype(np.float32) * (1 - weight) + back * weight
        return np.clip(out + 0.5, 0, 255).astype(np.uint8)

    def to_dict(self) -> dict:
        return {
            "source_size": list(self.source_size),
            "size": list(self.size),
            "scale": [float(v) for v in self.scale],
            "offset": [int(v) for v in self.offset],
        }

    @classmethod
    def from_dict(cls, data: dict) -> Framing:
        return cls(
            tuple(int(v) for v in data["source_size"]),
            tuple(int(v) for v in data["size"]),
            tuple(float(v) for v in data["scale"]),
            tuple(int(v) for v in data["offset"]),
        )


def person_box(
    pose: np.ndarray, mask: np.ndarray | None, source_size: tuple[int, int]
) -> tuple[float, float, float, float]:
    """(x0, y0, x1, y1) around the present joints and the mask (> 0.5); the whole photo if
    neither exists. The mask adds what joints miss: the top of the head, feet, loose clothes."""
    xs, ys = [], []
    ok = sk.present(pose)
    if ok.any():
        xs += list(pose[ok, 0])
        ys += list(pose[ok, 1])
    if mask is not None:
        rows = np.flatnonzero((mask > 0.5).any(axis=1))
        cols = np.flatnonzero((mask > 0.5).any(axis=0))
        if rows.size:
            xs += [cols[0], cols[-1]]
            ys += [rows[0], rows[-1]]
    if not xs:
        return 0.0, 0.0, source_size[1] - 1.0, source_size[0] - 1.0
    return float(min(xs)), float(min(ys)), float(max(xs)), float(max(ys))


def frame_person(
    pose: np.ndarray,
    mask: np.ndarray | None,
    source_size: tuple[int, int],
    size: tuple[int, int],
    margin: float = MARGIN,
) -> Framing:
    """The framing that fits the person's box (plus ``margin``) into ``size``, centred.

    The box keeps the person's proportions: it is scaled to fit (:func:`fit_geometry`) and
    the rest of the frame shows the photo around it, or black beyond the photo's edges.
    """
    x0, y0, x1, y1 = person_box(pose, mask, source_size)
    pad = margin * max(y1 - y0 + 1, x1 - x0 + 1)
    box_h, box_w = (y1 - y0 + 1) + 2 * pad, (x1 - x0 + 1) + 2 * pad
    scale = fit_geometry((box_h, box_w), size)[0]
    height, width = source_size
    new_w, new_h = max(1, round(width * scale)), max(1, round(height * scale))
    sx, sy = new_w / width, new_h / height
    centre = np.array([(x0 + x1) / 2, (y0 + y1) / 2])
    landed = (centre + 0.5) * np.array([sx, sy]) - 0.5
    target = np.array([(size[1] - 1) / 2, (size[0] - 1) / 2])
    dx, dy = np.rint(target - landed).astype(int)
    return Framing(tuple(source_size), tuple(size), (sx, sy), (int(dx), int(dy)))
