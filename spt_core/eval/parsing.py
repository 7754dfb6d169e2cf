"""Parsing quality: pixel accuracy and mean IoU of target parsing maps against ground truth.

Three rows answer "how good is the semantic network?" on held-out same-person pairs:
the network's prediction, the source map moved part-wise onto the target pose (no learning),
and how close the search's pseudo labels are to the truth (the supervision's own quality).
mIoU here is dataset-level: intersections and unions of each label summed over all images,
then averaged over labels (``iou_from_confusion``); the per-image mean is reported beside it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from spt_core import labels as lb
from spt_core import part_composite
from spt_core.data.dataset import PersonDataset, identity_of
from spt_core.data.parsing_pairs import ParsingPairs
from spt_core.letterbox import Letterbox


@dataclass
class ParsingScores:
    """Accumulates predictions against truths."""

    num_labels: int = lb.NUM_LABELS
    confusion: np.ndarray = field(default=None)
    per_image_iou: list[float] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.confusion is None:
            self.confusion = np.zeros((self.num_labels, self.num_labels), np.int64)

    def add(self, predicted: np.ndarray, truth: np.ndarray) -> None:
        """Add (B, H, W) or (H, W) label maps."""
        from spt_core.losses.parsing import confusion_matrix, parsing_accuracy_and_iou

        predicted = np.asarray(predicted).reshape(-1, *np.shape(predicted)[-2:])
        truth = np.asarray(truth).reshape(-1, *np.shape(truth)[-2:])
        self.confusion += confusion_matrix(predicted, truth, self.num_labels).numpy()
        for p, t in zip(predicted, truth, strict=True):
            self.per_image_iou.append(parsing_accuracy_and_iou(p, t, self.num_labels)[1])

    def summary(self) -> dict:
        from spt_core.losses.parsing import iou_from_confusion

        per_label, mean = iou_from_confusion(self.confusion)
        return {
            "pixel_accuracy": float(np.trace(self.confusion) / max(1, self.confusion.sum())),
            "miou": mean,
            "per_image_miou": float(np.mean(self.per_image_iou)) if self.per_image_iou else 0.0,
            "per_label_iou": {lb.LABEL_NAMES[i]: float(v) for i, v in enumerate(per_label)},
            "images": len(self.per_image_iou),
        }


def evaluate_network(
    generator,
    pairs: ParsingPairs,
    device="cpu",
    batch_size: int = 32,
    sigma: float = 6.0,
    use_pose_mask: bool = True,
) -> dict:
    """Predicted target maps of a semantic generator against the true target maps."""
    import torch

    scores = ParsingScores()
    generator.eval()
    with torch.no_grad():
        for start in range(0, len(pairs), batch_size):
            rows = np.arange(start, min(start + batch_size, len(pairs)))
            batch = pairs.batch(rows, device, sigma, use_pose_mask)
            logits = generator(*batch.generator_args())
            scores.add(lb.argmax_labels(logits), pairs.parsings[pairs.pairs[rows, 1]])
    return scores.summary()


def evaluate_part_warp(pairs: ParsingPairs) -> dict:
    """The source map moved part-wise onto the target pose (no learning) against the truth."""
    scores = ParsingScores()
    for source, target in pairs.pairs:
        moved = part_composite.warp_labels_by_parts(
            pairs.parsings[source], pairs.poses[source], pairs.poses[target]
        )
        scores.add(moved, pairs.parsings[target])
    return scores.summary()


def evaluate_pseudo_labels(
    dataset: PersonDataset, pseudo, size: tuple[int, int], limit: int | None = None, seed: int = 0
) -> dict | None:
    """Pseudo labels against the truth: the query person's own map in the pseudo label's pose.

    Only synthetic data has that truth (the person can be drawn in any pose); returns None
    for other datasets.
    """
    from spt_core.data.synthetic import render_parsing_at

    record = dataset.record or {}
    if "seed" not in record or "identities" not in record:
        return None
    index = {name: i for i, name in enumerate(dataset.names)}
    rows = [i for i in range(len(pseudo.names)) if pseudo.best[i] >= 0]
    if limit is not None and len(rows) > limit:
        rows = sorted(np.random.default_rng(seed).choice(rows, size=limit, replace=False))
    scores = ParsingScores()
    for i in rows:
        found = index[pseudo.names[int(pseudo.best[i])]]
        pose = dataset.poses[found]
        truth = render_parsing_at(
            record["seed"], int(identity_of(pseudo.names[i])), pose, dataset.size
        )
        label = dataset.load_parsing(found)
        scores.add(
            Letterbox.fit(label.shape, size).labels(label),
            Letterbox.fit(truth.shape, size).labels(truth),
        )
    return scores.summary()


def draw_parsing_sheet(
    generator,
    pairs: ParsingPairs,
    path,
    count: int = 8,
    seed: int = 0,
    device="cpu",
    sigma: float = 6.0,
    use_pose_mask: bool = True,
    scale: int = 2,
):
    """Rows of: source map + pose | target pose | true target | part warp | network."""
    import torch

    from spt_core import skeleton as sk
    from spt_core.io_utils import write_image_rgb

    rows = np.sort(np.random.default_rng(seed).choice(len(pairs), min(count, len(pairs)), False))
    batch = pairs.batch(rows, device, sigma, use_pose_mask)
    generator.eval()
    with torch.no_grad():
        predicted = lb.argmax_labels(generator(*batch.generator_args()))
    lines = []
    for k, row in enumerate(rows):
        source, target = pairs.pairs[row]
        warped = part_composite.warp_labels_by_parts(
            pairs.parsings[source], pairs.poses[source], pairs.poses[target]
        )
        tiles = [
            sk.draw_skeleton(lb.colorize(pairs.parsings[source]), pairs.poses[source]),
            sk.draw_skeleton(np.zeros((*pairs.size, 3), np.uint8), pairs.poses[target]),
            lb.colorize(pairs.parsings[target]),
            lb.colorize(warped),
            lb.colorize(predicted[k]),
        ]
        lines.append(tiles)
    from spt_core.sheets import tile_sheet

    write_image_rgb(path, tile_sheet(lines, scale=scale))


__all__ = [
    "draw_parsing_sheet",
    "ParsingScores",
    "evaluate_network",
    "evaluate_part_warp",
    "evaluate_pseudo_labels",
]
