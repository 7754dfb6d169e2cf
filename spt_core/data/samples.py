"""People of a dataset in memory at a network's size: images, parsings and poses."""

from __future__ import annotations

import numpy as np

from spt_core import labels as lb
from spt_core.data.dataset import PersonDataset
from spt_core.letterbox import Letterbox


class PersonSamples:
    """Images, parsings and poses of a dataset in memory, letterboxed to the network's size.

    Args:
        images: (N, H0, W0, 3) uint8 RGB.
        parsings: (N, H0, W0) uint8 label maps.
        poses: (N, 18, 2) poses in the images' frame.
        size: (H, W) of the network.
    """

    def __init__(
        self, images: np.ndarray, parsings: np.ndarray, poses: np.ndarray, size: tuple[int, int]
    ):
        self.size = tuple(size)
        self.letterbox = Letterbox.fit(images.shape[1:3], self.size)
        self.images = self.letterbox.images(images)
        self.parsings = self.letterbox.labels(parsings)
        self.poses = self.letterbox.poses(poses)

    @classmethod
    def from_dataset(cls, dataset: PersonDataset, size) -> PersonSamples:
        """Every sample of ``dataset`` at ``size``."""
        images = np.stack([dataset.load_image(i) for i in range(len(dataset))])
        return cls(images, dataset.load_all_parsings(), dataset.poses, size)

    def __len__(self) -> int:
        return len(self.images)

    def batch(self, rows, device, sigma: float = 6.0) -> dict:
        """Images in [-1, 1], 9-channel parsings (labels 1..9), heat maps, label maps, poses."""
        import torch

        from spt_core.models.inputs import heatmaps, images_to_tensor

        rows = np.asarray(rows)
        labels = torch.from_numpy(self.parsings[rows]).to(device).long()
        poses = self.poses[rows]
        return {
            "image": images_to_tensor(self.images[rows], device),
            "labels": labels,
            "parsing": lb.one_hot_torch(labels)[:, 1:],
            "heatmaps": heatmaps(poses, self.size, sigma, device),
            "poses": poses,
        }
