"""How well clothing texture transfer takes A's garment and keeps B (method §8).

For a pair (A = clothes from, B = onto) and a garment label, the output's pixels in B's garment
region are compared with A's garment pixels and with B's own garment pixels, by colour
histogram (total variation distance of 6x6x6-bin RGB histograms) and by VGG Gram distance
(relu2_1 Gram matrices of the masked regions). A transfer works when the output is closer to A's
garment than to B's; B's face region is compared with B's face by mean absolute difference.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from spt_core import labels as lb

BINS = 6


def colour_histogram(image: np.ndarray, mask: np.ndarray, bins: int = BINS) -> np.ndarray:
    """Normalised joint RGB histogram (bins**3,) of the pixels under ``mask``."""
    pixels = image[mask].astype(np.int64) * bins // 256
    codes = (pixels[:, 0] * bins + pixels[:, 1]) * bins + pixels[:, 2]
    hist = np.bincount(codes, minlength=bins**3).astype(np.float64)
    return hist / max(hist.sum(), 1.0)


def histogram_distance(image1, mask1, image2, mask2) -> float:
    """Total variation distance (0 = same colours, 1 = disjoint) of two regions' histograms."""
    return 0.5 * float(
        np.abs(colour_histogram(image1, mask1) - colour_histogram(image2, mask2)).sum()
    )


def gram_distance(image1, mask1, image2, mask2, vgg=None) -> float:
    """Squared distance of the relu2_1 Gram matrices of two masked regions (VGG19, Caffe).

    Each Gram is normalised by its own mask area, so regions of different sizes compare by
    texture, not by size.
    """
    import torch

    from spt_core.losses.perceptual import VGGFeatures

    vgg = vgg or VGGFeatures(device="cpu")
    grams = []
    for image, mask in ((image1, mask1), (image2, mask2)):
        x = torch.from_numpy(np.ascontiguousarray(image)).permute(2, 0, 1)[None].float()
        with torch.no_grad():
            features = vgg(x / 127.5 - 1.0)[0] / 29.0  # the losses' feature scale
        m = torch.from_numpy(mask.astype(np.float32))[None, None]
        m = torch.nn.functional.interpolate(m, size=features.shape[-2:], mode="area")[0]
        masked = (features * m).flatten(1)
        grams.append(masked @ masked.T / m.sum().clamp(min=1e-6))
    return float(((grams[0] - grams[1]) ** 2).sum())


@dataclass
class TransferScore:
    """Distances of one transfer (see the module docstring)."""

    to_clothes_histogram: float
    to_own_histogram: float
    to_clothes_gram: float
    to_own_gram: float
    face_difference: float  # mean |output - B| over B's face pixels (0..255)

    @property
    def takes_clothes(self) -> bool:
        return self.to_clothes_histogram < self.to_own_histogram


def score_transfer(
    output: np.ndarray, clothes, onto, label: int = lb.UPPER_CLOTHES, vgg=None
) -> TransferScore | None:
    """Score one transfer output; None when either person lacks the garment (or B a face)."""
    region_b = onto.parsing == label
    region_a = clothes.parsing == label
    face = onto.parsing == lb.FACE
    if region_a.sum() < 8 or region_b.sum() < 8:
        return None
    face_difference = (
        float(np.abs(output[face].astype(int) - onto.image[face].astype(int)).mean())
        if face.any()
        else float("nan")
    )
    return TransferScore(
        histogram_distance(output, region_b, clothes.image, region_a),
        histogram_distance(output, region_b, onto.image, region_b),
        gram_distance(output, region_b, clothes.image, region_a, vgg),
        gram_distance(output, region_b, onto.image, region_b, vgg),
        face_difference,
    )


def evaluate_transfer(pipe, people: list, pairs, label: int = lb.UPPER_CLOTHES) -> dict:
    """Transfer ``label`` for every (A, B) index pair of ``people``; summary of the scores."""
    from spt_core.losses.perceptual import VGGFeatures

    vgg = VGGFeatures(device="cpu")
    scores = []
    for a, b in pairs:
        clothes, onto = pipe.fit(people[a]), pipe.fit(people[b])
        output = pipe.transfer(clothes_from=clothes, onto=onto, labels=(label,))
        result = score_transfer(output, clothes, onto, label, vgg)
        if result is not None:
            scores.append(result)
    if not scores:
        return {"pairs": 0}
    return {
        "pairs": len(scores),
        "closer_to_clothes_histogram": float(np.mean([s.takes_clothes for s in scores])),
        "closer_to_clothes_gram": float(
            np.mean([s.to_clothes_gram < s.to_own_gram for s in scores])
        ),
        "histogram_to_clothes": float(np.mean([s.to_clothes_histogram for s in scores])),
        "histogram_to_own": float(np.mean([s.to_own_histogram for s in scores])),
        "gram_to_clothes": float(np.mean([s.to_clothes_gram for s in scores])),
        "gram_to_own": float(np.mean([s.to_own_gram for s in scores])),
        "face_difference": float(np.nanmean([s.face_difference for s in scores])),
    }
