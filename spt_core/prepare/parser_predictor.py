"""A trained human parser applied to photos of any size (``spt prepare --parser``)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from spt_core import labels as lb
from spt_core.letterbox import Letterbox


class ParserPredictor:
    """A trained parser applied to images of any size (letterboxed to its size and back).

    Args:
        checkpoint: parser checkpoint or run directory.
        device: torch device ("cpu", "cuda", "auto").

    Raises:
        CheckpointError: not a parser checkpoint, or weights that do not fit its config.
    """

    def __init__(self, checkpoint: str | Path, device: str = "cpu"):
        from spt_core.devices import resolve_device
        from spt_core.models.loading import load_parser

        self.device = resolve_device(device)
        self.network, self.architecture = load_parser(checkpoint, self.device)
        self.name = f"parser {Path(checkpoint)}"

    def predict(self, image: np.ndarray) -> np.ndarray:
        """(H, W, 3) uint8 RGB -> (H, W) uint8 labels.

        The image is letterboxed into the parser's size (as in training); the labels of the
        image's area are resized back (nearest, pixel centres).
        """
        import cv2
        import torch

        from spt_core.models.inputs import images_to_tensor

        height, width = image.shape[:2]
        letterbox = Letterbox.fit((height, width), self.architecture.size)
        fitted = letterbox.images(np.ascontiguousarray(image))
        with torch.no_grad():
            scores = self.network(images_to_tensor(fitted[None], self.device))
        labels = lb.argmax_labels(scores)[0]
        if letterbox.identity:
            return labels
        inner = letterbox.crop(labels)
        return cv2.resize(inner, (width, height), interpolation=cv2.INTER_NEAREST_EXACT)
