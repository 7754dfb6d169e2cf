"""Image quality of reposed people on held-out same-person pairs (ground truth exists).

Rows: the source image moved part-wise onto the target pose (no learning) and the appearance
network given the true target parsing (TS-GT). Scores: Def-GAN SSIM and mask-SSIM, PSNR, VGG
feature distance (``spt_core.metrics``).
"""

from __future__ import annotations

import numpy as np

from spt_core import part_composite
from spt_core import skeleton as sk
from spt_core.data.dataset import PersonDataset
from spt_core.data.samples import PersonSamples


def ground_truth_pairs(dataset: PersonDataset, limit: int | None = None, seed: int = 0):
    """The dataset's same-person pairs, optionally a seeded subset, as an (N, 2) array."""
    pairs = np.array(dataset.pairs, dtype=np.int64).reshape(-1, 2)
    if limit is not None and len(pairs) > limit:
        pick = np.random.default_rng(seed).choice(len(pairs), size=limit, replace=False)
        pairs = pairs[np.sort(pick)]
    return pairs


def generate(
    generator,
    samples: PersonSamples,
    pairs: np.ndarray,
    device="cpu",
    batch_size: int = 16,
    sigma: float = 6.0,
) -> np.ndarray:
    """The network's images (N, H, W, 3) uint8 for (source, target) rows, target parsing = truth
    (``sigma``: the heat maps' width, the config's ``heatmap_sigma``)."""
    import torch

    from spt_core.metrics import to_uint8
    from spt_core.models.inputs import AppearanceInputs

    out = []
    generator.eval()
    with torch.no_grad():
        for start in range(0, len(pairs), batch_size):
            rows = pairs[start : start + batch_size]
            source = samples.batch(rows[:, 0], device, sigma)
            target = samples.batch(rows[:, 1], device, sigma)
            # A network without semantic maps (the Baseline) reads none.
            channels = getattr(generator, "parsing_channels", 9)
            inputs = AppearanceInputs.build(
                generator,
                source["image"],
                source["parsing"][:, :channels],
                target["parsing"][:, :channels],
                source["poses"],
                target["poses"],
                sigma,
                source["heatmaps"],
                target["heatmaps"],
            )
            images = inputs.render(generator)
            out.append(to_uint8(images))
    return np.concatenate(out)


def part_warp_images(samples: PersonSamples, pairs: np.ndarray) -> np.ndarray:
    """The no-learning baseline for every (source, target) row."""
    return np.stack(
        [
            part_composite.warp_image_by_parts(
                samples.images[a], samples.parsings[a], samples.poses[a], samples.poses[b]
            )
            for a, b in pairs
        ]
    )


def score(images: np.ndarray, samples: PersonSamples, pairs: np.ndarray) -> dict:
    """Mean SSIM, mask-SSIM, PSNR and VGG distance of ``images`` against the true targets."""
    from spt_core.metrics import ImageScores

    scores = ImageScores()
    targets = pairs[:, 1]
    for start in range(0, len(pairs), 32):
        rows = slice(start, start + 32)
        scores.add(images[rows], samples.images[targets[rows]], samples.poses[targets[rows]])
    return scores.summary()


def contact_sheet(
    samples: PersonSamples,
    pairs: np.ndarray,
    warped: np.ndarray,
    generated: np.ndarray,
    count: int = 8,
    scale: int = 2,
) -> np.ndarray:
    """Rows: source | target pose | truth | part warp | network (RGB uint8), for ``count``
    pairs spread evenly over ``pairs`` (consecutive pairs tend to be the same person)."""
    from spt_core.sheets import spread, tile_sheet

    rows = []
    for k in spread(count, len(pairs)):
        a, b = pairs[k]
        pose_tile = sk.draw_skeleton(np.zeros_like(samples.images[b]), samples.poses[b])
        rows.append([samples.images[a], pose_tile, samples.images[b], warped[k], generated[k]])
    return tile_sheet(rows, scale=scale)
