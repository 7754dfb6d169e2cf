"""Independent references for the FID and IS tests (tests/core/test_metrics_external.py): an
eigenvalue route to Tr sqrt(S1 S2) that does not use scipy's sqrtm, and improved-GAN's IS loop
transcribed."""

from __future__ import annotations

import numpy as np
from scipy.special import softmax


def trace_sqrt_product(s1: np.ndarray, s2: np.ndarray) -> float:
    """Tr sqrtm(S1 S2) via eigenvalues of S1^1/2 S2 S1^1/2 (similar to S1 S2, symmetric PSD)."""
    w, v = np.linalg.eigh(s1)
    root = (v * np.sqrt(np.clip(w, 0, None))) @ v.T
    inner = np.linalg.eigvalsh(root @ s2 @ root)
    return float(np.sum(np.sqrt(np.clip(inner, 0, None))))


def reference_fid(f1: np.ndarray, f2: np.ndarray) -> float:
    f1, f2 = f1.astype(np.float64), f2.astype(np.float64)
    m1, m2 = f1.mean(0), f2.mean(0)
    c1 = (f1 - m1).T @ (f1 - m1) / (len(f1) - 1)
    c2 = (f2 - m2).T @ (f2 - m2) / (len(f2) - 1)
    return float(np.sum((m1 - m2) ** 2) + np.trace(c1) + np.trace(c2)) - 2 * trace_sqrt_product(
        c1, c2
    )


def improved_gan_is(logits: np.ndarray, splits: int) -> tuple[float, float]:
    """improved-GAN's get_inception_score loop, transcribed (softmax taken from scipy)."""
    preds = softmax(logits.astype(np.float64), axis=1)
    scores = []
    for i in range(splits):
        part = preds[(i * preds.shape[0] // splits) : ((i + 1) * preds.shape[0] // splits), :]
        kl = part * (np.log(part) - np.log(np.expand_dims(np.mean(part, 0), 0)))
        kl = np.mean(np.sum(kl, 1))
        scores.append(np.exp(kl))
    return float(np.mean(scores)), float(np.std(scores))
