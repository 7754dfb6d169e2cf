"""Training and evaluation pairs for the semantic network: (S_s, P_s) -> (S_t, P_t).

Training pairs come from the pseudo-label search (target = another person's map), evaluation
pairs from a dataset's same-person pairs (ground truth). Maps and poses are fitted to the
network's size once; heat maps are made on the device per batch.
"""

from __future__ import annotations

import numpy as np

from spt_core import skeleton as sk
from spt_core.data.dataset import PersonDataset
from spt_core.errors import DataError
from spt_core.letterbox import Letterbox


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
        letterbox = Letterbox.fit(parsings.shape[-2:], self.size)
        self.parsings = letterbox.labels(parsings)
        self.poses = letterbox.poses(poses)
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

    def batch(self, rows, device, sigma: float = 6.0, use_pose_mask: bool = True):
        """The :class:`~spt_core.models.inputs.SemanticInputs` of the pairs ``rows`` (with the
        target labels, for the cross-entropy); the pose masks are the precomputed ones."""
        import torch

        from spt_core.models.inputs import SemanticInputs, heatmaps

        rows = np.asarray(rows)
        source, target = self.pairs[rows, 0], self.pairs[rows, 1]

        def masks(indices):
            return torch.from_numpy(self.masks[indices]).to(device)[:, None].float()

        return SemanticInputs(
            source_labels=torch.from_numpy(self.parsings[source]).to(device).long(),
            target_labels=torch.from_numpy(self.parsings[target]).to(device).long(),
            source_heatmaps=heatmaps(self.poses[source], self.size, sigma, device),
            target_heatmaps=heatmaps(self.poses[target], self.size, sigma, device),
            source_mask=masks(source),
            target_mask=masks(target),
            source_poses=self.poses[source],
            target_poses=self.poses[target],
            use_pose_mask=use_pose_mask,
        )
