"""One frame mapping: an image (and its label map, mask and pose) fitted into a network's size.

Every place that brings an image of one size to another (the pipeline, the trainers' data, the
parser's and pose regressor's inputs, ``spt prepare``'s person framing, the editor's crop back)
uses :class:`Letterbox`, so there is one pixel convention (docs/decisions/0005-letterbox.md).

The whole operation is one axis-aligned scale and shift: the image is resized by (sx, sy)
(``cv2.resize``, which aligns pixel centres) and moved by whole pixels (dx, dy) into a canvas of
the target size. A point therefore maps as

    x_frame = (x_image + 0.5) * sx - 0.5 + dx        y_frame = (y_image + 0.5) * sy - 0.5 + dy

and back by the inverse: the centre of a pixel lands on the centre of the pixels it was
resampled into. sx and sy differ only by the rounding of the resized size. ``spt prepare``
stores the numbers per photo in ``prepare.json`` so any result can be mapped back.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from spt_core import skeleton as sk


def scaled_copy(size: tuple[int, int], of: tuple[int, int]) -> bool:
    """Whether ``size`` (H, W) has the aspect ratio of ``of``: a semantic network at ``size``
    can serve an appearance network at ``of`` (its map is resized without padding)."""
    return size[0] * of[1] == size[1] * of[0]


@dataclass(frozen=True)
class Letterbox:
    """The mapping between an image (a photo) and its framed copy at a network's size.

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

    @classmethod
    def fit(cls, source_size: tuple[int, int], size: tuple[int, int]) -> Letterbox:
        """The whole image scaled to fit entirely in ``size`` and centred (padding around).

        This is how the pipeline, the trainers and the predictors bring an image of any size
        to a network's size.
        """
        source_size, size = tuple(int(v) for v in source_size), tuple(int(v) for v in size)
        scale = min(size[0] / source_size[0], size[1] / source_size[1])
        new_h = max(1, round(source_size[0] * scale))
        new_w = max(1, round(source_size[1] * scale))
        offset = ((size[1] - new_w) // 2, (size[0] - new_h) // 2)
        return cls(source_size, size, (new_w / source_size[1], new_h / source_size[0]), offset)

    @property
    def identity(self) -> bool:
        """Whether the mapping changes nothing (same size, no scale, no shift)."""
        return self.source_size == self.size and self.offset == (0, 0) and self.scale == (1, 1)

    @property
    def box(self) -> tuple[int, int, int, int]:
        """(top, bottom, left, right) of the image's content inside the frame (clipped)."""
        height, width = self.resized
        dx, dy = self.offset
        return (
            max(0, dy),
            min(self.size[0], dy + height),
            max(0, dx),
            min(self.size[1], dx + width),
        )

    def poses(self, poses: np.ndarray) -> np.ndarray:
        """(..., 18, 2) poses moved into the frame (NaN kept; nothing is dropped)."""
        if self.identity:
            return np.array(poses, dtype=np.float32)
        return self.to_target(poses)

    def poses_back(self, poses: np.ndarray) -> np.ndarray:
        """(..., 18, 2) frame poses moved back into the image (the inverse of :meth:`poses`)."""
        if self.identity:
            return np.array(poses, dtype=np.float32)
        return self.to_source(poses)

    def images(self, images: np.ndarray) -> np.ndarray:
        """(..., H0, W0, 3) uint8 images framed (area averaging when shrinking, else
        bilinear; black padding)."""
        images = np.asarray(images)
        if self.identity:
            return images
        flat = images.reshape(-1, *images.shape[-3:])
        out = np.stack([self.apply_image(np.ascontiguousarray(image)) for image in flat])
        return out.reshape(*images.shape[:-3], *out.shape[1:])

    def labels(self, labels: np.ndarray) -> np.ndarray:
        """(..., H0, W0) uint8 label maps framed (nearest, pixel centres; background padding)."""
        import cv2

        labels = np.asarray(labels, dtype=np.uint8)
        if self.identity:
            return labels
        height, width = self.resized
        flat = labels.reshape(-1, *labels.shape[-2:])
        out = np.stack(
            [
                self._place(
                    cv2.resize(layer, (width, height), interpolation=cv2.INTER_NEAREST_EXACT)
                )
                for layer in flat
            ]
        )
        return out.reshape(*labels.shape[:-2], *self.size)

    def crop(self, array: np.ndarray) -> np.ndarray:
        """A frame image or map (H, W, ...) with the padding cut off (no resampling): the
        image's content at the frame's resolution."""
        if self.identity:
            return array
        top, bottom, left, right = self.box
        return np.ascontiguousarray(array[top:bottom, left:right])

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
    def from_dict(cls, data: dict) -> Letterbox:
        return cls(
            tuple(int(v) for v in data["source_size"]),
            tuple(int(v) for v in data["size"]),
            tuple(float(v) for v in data["scale"]),
            tuple(int(v) for v in data["offset"]),
        )
