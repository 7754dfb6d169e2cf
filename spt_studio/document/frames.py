"""From the model's letterboxed frame back to the photo's frame.

``SPTPipeline`` letterboxes a photo to the model size (``spt_core.letterbox.Letterbox.fit``), so
its outputs carry that padding (a ``ReposeResult`` carries its ``letterbox``). The editor crops
it off to show results with the photo's proportions, and resizes a predicted parsing to the
photo to paint on it.
"""

from __future__ import annotations

import numpy as np

from spt_core.letterbox import Letterbox


def crop_to_photo(array: np.ndarray, photo_size: tuple[int, int]) -> np.ndarray:
    """Cut the letterbox padding off a model-frame image or map (no resampling)."""
    return Letterbox.fit(photo_size, array.shape[:2]).crop(array)


def labels_to_photo(labels: np.ndarray, photo_size: tuple[int, int]) -> np.ndarray:
    """A model-frame label map cropped and resized (nearest, pixel centres) to the photo."""
    import cv2

    cropped = crop_to_photo(labels, photo_size).astype(np.uint8)
    if cropped.shape == tuple(photo_size):
        return cropped
    size = (photo_size[1], photo_size[0])
    return cv2.resize(cropped, size, interpolation=cv2.INTER_NEAREST_EXACT)
