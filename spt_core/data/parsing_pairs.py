"""Training and evaluation pairs for the semantic network: (S_s, P_s) -> (S_t, P_t).

Training pairs come from the pseudo-label search (target = another person's map), evaluation
pairs from a dataset's same-person pairs (ground truth). Maps and poses are fitted to the
network's size once; heat maps are made on the device per batch.
"""

from __future__ import annotations

import numpy as np

from spt_core import labels as lb
from spt_core import skeleton as sk
from spt_core.data.dataset import PersonDataset
from spt_core.errors import DataError


def scaled_copy(size: tuple[int, int], of: tuple[int, int]) -> bool:
    """Whether ``size`` (H, W) has the aspect ratio of ``of``: a semantic network at ``size``
    can serve an appearance network at ``of`` (its map is resized without padding)."""
    return size[0] * of[1] == size[1] * of[0]


def fit_geometry(source: tuple[int, int], target: tuple[int, int]) -> tuple[float, int, int]:
    """(scale, pad_x, pad_y) that fits an image of ``source`` (H, W) into ``target`` (H, W):
    scaled to fit entirely, then centred with zero padding."""
    scale = min(target[0] / source[0], target[1] / source[1])
    new_h, new_w = round(source[0] * scale), round(source[1] * scale)
    return scale, (target[1] - new_w) // 2, (target[0] - new_h) // 2


def fit_labels(labels: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Label maps (..., H0, W0) resized (nearest) and padded with background to ``size``."""
    import cv2

    labels = np.asarray(labels, dtype=np.uint8)
    if labels.shape[-2:] == tuple(size):
        return labels
    scale, pad_x, pad_y = fit_geometry(labels.shape[-2:], size)
    new_h, new_w = round(labels.shape[-2] * scale), round(labels.shape[-1] * scale)
    flat = labels.reshape(-1, *labels.shape[-2:])
    out = np.zeros((flat.shape[0], *size), dtype=np.uint8)
    for i, layer in enumerate(flat):
        resized = cv2.resize(layer, (new_w, new_h), interpolation=cv2.INTER_NEAREST)
        out[i, pad_y : pad_y + new_h, pad_x : pad_x + new_w] = resized
    return out.reshape(*labels.shape[:-2], *size)


def fit_poses(poses: np.ndarray, source: tuple[int, int], size: tuple[int, int]) -> np.ndarray:
    """Poses of ``source``-sized images mapped into the fitted ``size`` frame (NaN kept)."""
    if tuple(source) == tuple(size):
        return np.asarray(poses, dtype=np.float32)
    scale, pad_x, pad_y = fit_geometry(source, size)
    out = np.asarray(poses, dtype=np.float32) * scale
    out[..., 0] += pad_x
    out[..., 1] += pad_y
    return out


def pseudo_label_rows(dataset: PersonDataset, pseudo) -> np.ndarray:
    """The dataset index of every name in a finished pseudo-label search.

    Raises:
        DataError: the search names samples the dataset lacks, or is unfinished.
    """
    index = {name: i for i, name in enumerate(dataset.names)}
    unknown = [n for n in pseudo.names if n not in index]
    if unknown:
        raise DataError(
            dataset.root,
            f"the pseudo-label file names {len(unknown)} samples this dataset "
            f"lacks (e.g. {unknown[0]}); was it searched on another dataset?",
        )
    if not pseudo.complete:
        raise DataError(None, "the pseudo-label search is unfinished; run spt search again")
    return np.array([index[name] for name in pseudo.names], dtype=np.int64)


class ParsingPairs:
    """Pairs of (source, target) parsing maps and poses at the network's size.

    Args:
        parsings: (N, H0, W0) label maps.
        poses: (N, 18, 2) poses in that frame.
        pairs: (source index, target index) rows.
        size: (H, W) of the network.
        mask_radius: PG2 pose-mask radius at ``size``.
        names: the N sample names (for messages and previews).
    """

    def __init__(
        self,
        parsings: np.ndarray,
        poses: np.ndarray,
        pairs: np.ndarray,
        size: tuple[int, int],
        mask_radius: int = 4,
        names: list[str] | None = None,
    ):
        self.size = tuple(size)
        self.parsings = fit_labels(parsings, self.size)
        self.poses = fit_poses(poses, parsings.shape[-2:], self.size)
        self.masks = np.stack([sk.pose_mask(p, self.size, radius=mask_radius) for p in self.poses])
        self.pairs = np.asarray(pairs, dtype=np.int64).reshape(-1, 2)
        self.names = names or [str(i) for i in range(len(parsings))]
        if not len(self.pairs):
            raise DataError(None, "no (source, target) pairs to train or evaluate on")

    def __len__(self) -> int:
        return len(self.pairs)

    @classmethod
    def from_pseudo_labels(cls, dataset: PersonDataset, pseudo, size, mask_radius: int = 4):
        """Pairs (sample, its pseudo label) from a search result over ``dataset``."""
        rows = pseudo_label_rows(dataset, pseudo).tolist()
        keep = [i for i in range(len(pseudo.names)) if pseudo.best[i] >= 0]
        parsings = np.stack([dataset.load_parsing(r) for r in rows])
        poses = dataset.poses[rows]
        pairs = np.array([(i, int(pseudo.best[i])) for i in keep])
        return cls(parsings, poses, pairs, size, mask_radius, list(pseudo.names))

    @classmethod
    def from_ground_truth(
        cls,
        dataset: PersonDataset,
        size,
        mask_radius: int = 4,
        limit: int | None = None,
        seed: int = 0,
    ):
        """The dataset's same-person pairs (evaluation only), optionally a seeded subset."""
        pairs = np.array(dataset.pairs, dtype=np.int64).reshape(-1, 2)
        if limit is not None and len(pairs) > limit:
            pick = np.random.default_rng(seed).choice(len(pairs), size=limit, replace=False)
            pairs = pairs[np.sort(pick)]
        parsings = dataset.load_all_parsings()
        return cls(parsings, dataset.poses, pairs, size, mask_radius, list(dataset.names))

    def batch(self, rows, device, sigma: float = 6.0) -> dict:
        """Tensors of the pairs ``rows``: one-hot source map, heat maps, masks, target labels."""
        import torch

        from spt_core.skeleton import pose_heatmaps_torch

        rows = np.asarray(rows)
        source, target = self.pairs[rows, 0], self.pairs[rows, 1]
        labels_s = torch.from_numpy(self.parsings[source]).to(device).long()
        labels_t = torch.from_numpy(self.parsings[target]).to(device).long()
        poses_s = torch.from_numpy(self.poses[source]).to(device)
        poses_t = torch.from_numpy(self.poses[target]).to(device)
        return {
            "source_parsing": lb.one_hot_torch(labels_s),
            "source_heatmaps": pose_heatmaps_torch(poses_s, self.size, sigma),
            "source_mask": torch.from_numpy(self.masks[source]).to(device)[:, None].float(),
            "target_heatmaps": pose_heatmaps_torch(poses_t, self.size, sigma),
            "target_mask": torch.from_numpy(self.masks[target]).to(device)[:, None].float(),
            "target_labels": labels_t,
            "source_labels": labels_s,
        }
