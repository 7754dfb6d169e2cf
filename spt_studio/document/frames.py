"""From the model's letterboxed frame back to the photo's frame.

``SPTPipeline`` letterboxes a photo to the model size (scaled to fit, centred, black / background
padding; ``spt_core.data.parsing_pairs.fit_geometry``), so its outputs carry that padding. The
editor crops it off to show results with the photo's proportions, and resizes a predicted
parsing to the photo to paint on it.
"""

from __future__ import annotations

import numpy as np

from spt_core.data.parsing_pairs import fit_geometry


def content_box(
    photo_size: tuple[int, int], model_size: tuple[int, int]
) -> tuple[int, int, int, int]:
    """(top, bottom, left, right) of the photo inside the model frame."""
    scale, pad_x, pad_y = fit_geometry(photo_size, model_size)
    new_h, new_w = round(photo_size[0] * scale), round(photo_size[1] * scale)
    return pad_y, pad_y + new_h, pad_x, pad_x + new_w


def crop_to_photo(array: np.ndarray, photo_size: tuple[int, int]) -> np.ndarray:
    """Cut the letterbox padding off a model-frame image or map (no resampling)."""
    model_size = tuple(array.shape[:2])
    if model_size == tuple(photo_size):
        return array
    top, bottom, left, right = content_box(photo_size, model_size)
    return np.ascontiguousarray(array[top:bottom, left:right])


def labels_to_photo(labels: np.ndarray, photo_size: tuple[int, int]) -> np.ndarray:
    """A model-frame label map cropped and resized (nearest) to the photo's size."""
    import cv2

    cropped = crop_to_photo(labels, photo_size)
    if cropped.shape == tuple(photo_size):
        return cropped.astype(np.uint8)
    return cv2.resize(
        cropped.astype(np.uint8), (photo_size[1], photo_size[0]), interpolation=cv2.INTER_NEAREST
    )
