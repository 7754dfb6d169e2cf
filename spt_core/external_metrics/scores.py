"""The closed-form statistics behind FID and IS, on numbers (no network involved).

FID is pytorch-fid's ``calculate_frechet_distance`` (scipy ``sqrtm``, ``eps`` offset when the
product is singular, tolerance on the imaginary part) on the mean and covariance of two feature
sets; IS is improved-GAN's ``get_inception_score`` (softmax, 10 splits,
``exp(mean KL(p(y|x) || p(y)))``, mean and population std over splits).

numpy only; scipy is imported when a score is computed.
"""

from __future__ import annotations

import warnings

import numpy as np

from spt_core.errors import SptError

#: improved-GAN's number of splits for IS.
IS_SPLITS = 10
#: pytorch-fid's offset added to the covariance diagonals when sqrtm fails.
FID_EPS = 1e-6


class MetricError(SptError, ValueError):
    """A metric cannot be computed from the given numbers (shapes, too few samples, ...)."""


def frechet_distance(
    mu1: np.ndarray, sigma1: np.ndarray, mu2: np.ndarray, sigma2: np.ndarray, eps: float = FID_EPS
) -> float:
    """Fréchet distance between two Gaussians, as pytorch-fid's ``calculate_frechet_distance``.

    ``d² = ||mu1 - mu2||² + Tr(S1 + S2 - 2 sqrtm(S1 S2))``.

    Args:
        mu1, mu2: means (D,).
        sigma1, sigma2: covariances (D, D).
        eps: added to both diagonals when ``sqrtm(S1 S2)`` is not finite (a near-singular
            product, typical with fewer samples than dimensions); a RuntimeWarning says so.

    Returns:
        The distance (a float; tiny negative values from rounding are returned as they are,
        as in pytorch-fid).

    Raises:
        MetricError: shapes differ, or ``sqrtm`` has an imaginary diagonal part above 1e-3
            (pytorch-fid's check; a smaller one is rounding and is dropped).
    """
    from scipy import linalg

    mu1 = np.atleast_1d(np.asarray(mu1, np.float64))
    mu2 = np.atleast_1d(np.asarray(mu2, np.float64))
    sigma1 = np.atleast_2d(np.asarray(sigma1, np.float64))
    sigma2 = np.atleast_2d(np.asarray(sigma2, np.float64))
    if mu1.shape != mu2.shape or mu1.ndim != 1:
        raise MetricError(
            f"FID: means must be two vectors of one length, got {mu1.shape} and {mu2.shape}"
        )
    if sigma1.shape != sigma2.shape or sigma1.shape != (mu1.size, mu1.size):
        raise MetricError(
            f"FID: covariances must be ({mu1.size}, {mu1.size}), got {sigma1.shape} and "
            f"{sigma2.shape}"
        )
    diff = mu1 - mu2
    # scipy >= 1.16 deprecates sqrtm(disp=False); its non-finite result is the same signal.
    covmean = linalg.sqrtm(sigma1.dot(sigma2))
    if not np.isfinite(covmean).all():
        warnings.warn(
            f"FID: singular covariance product; adding {eps} to the diagonals (as pytorch-fid)",
            RuntimeWarning,
            stacklevel=2,
        )
        offset = np.eye(sigma1.shape[0]) * eps
        covmean = linalg.sqrtm((sigma1 + offset).dot(sigma2 + offset))
    # The product of two PSD matrices has a real square root; an imaginary part is rounding,
    # unless it is large, which means the covariances are broken.
    if np.iscomplexobj(covmean):
        if not np.allclose(np.diagonal(covmean).imag, 0, atol=1e-3):
            largest = np.max(np.abs(covmean.imag))
            raise MetricError(f"FID: sqrtm has an imaginary component of {largest:.3g}")
        covmean = covmean.real
    return float(diff.dot(diff) + np.trace(sigma1) + np.trace(sigma2) - 2.0 * np.trace(covmean))


def feature_statistics(features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean (D,) and sample covariance (D, D) of features (N, D), in float64.

    The covariance is ``np.cov(features, rowvar=False)`` (divides by N - 1), as pytorch-fid.
    pytorch-fid takes the mean of float32 features in float32; here both are float64, which
    differs by rounding only.

    Raises:
        MetricError: not (N, D), or fewer than 2 samples.
    """
    features = np.asarray(features, dtype=np.float64)
    if features.ndim != 2 or len(features) < 2:
        raise MetricError(f"FID: need features (N >= 2, D), got shape {features.shape}")
    return features.mean(axis=0), np.cov(features, rowvar=False)


def fid_from_features(features1: np.ndarray, features2: np.ndarray, eps: float = FID_EPS) -> float:
    """FID between two feature sets (N1, D) and (N2, D).

    Warns when a set has fewer samples than dimensions: its covariance is then singular and the
    FID strongly biased upwards (the FID paper recommends at least 10,000 images; never compare
    FIDs computed on different numbers of images).
    """
    for features in (features1, features2):
        shape = np.shape(features)
        if len(shape) == 2 and shape[0] < shape[1]:
            warnings.warn(
                f"FID from {shape[0]} samples of {shape[1]} dimensions: the covariance is "
                "singular and the score biased; use more images",
                RuntimeWarning,
                stacklevel=2,
            )
    mu1, sigma1 = feature_statistics(features1)
    mu2, sigma2 = feature_statistics(features2)
    return frechet_distance(mu1, sigma1, mu2, sigma2, eps=eps)


def inception_score(logits: np.ndarray, splits: int = IS_SPLITS) -> tuple[float, float]:
    """Inception score of logits (N, C), as improved-GAN's ``get_inception_score``.

    Softmax per row; rows are cut into ``splits`` consecutive parts
    ``[i * N // splits, (i + 1) * N // splits)``; each part scores
    ``exp(mean_x KL(p(y|x) || p(y)))`` with ``p(y)`` the part's mean prediction.

    improved-GAN takes ``log`` of float32 softmax values, which gives NaN when one underflows
    to 0; here the softmax is computed in float64 from ``log_softmax``, and a zero probability
    contributes 0 (its limit). Wherever the original is finite the two agree to rounding.

    Returns:
        (mean, std) of the per-split scores; std is the population one (``np.std``).

    Raises:
        MetricError: logits not (N, C), or fewer rows than splits (a split would be empty).
    """
    from scipy.special import log_softmax

    logits = np.asarray(logits, dtype=np.float64)
    if logits.ndim != 2 or logits.shape[1] < 2:
        raise MetricError(f"IS: need logits (N, C >= 2), got shape {logits.shape}")
    if splits < 1 or len(logits) < splits:
        raise MetricError(f"IS: {len(logits)} images cannot be cut into {splits} splits")
    log_p = log_softmax(logits, axis=1)
    p = np.exp(log_p)
    n = len(p)
    scores = []
    for i in range(splits):
        rows = slice(i * n // splits, (i + 1) * n // splits)
        part, log_part = p[rows], log_p[rows]
        with np.errstate(divide="ignore"):
            log_marginal = np.log(part.mean(axis=0, keepdims=True))
        # p * (log p - log p(y)); where p == 0 the term is 0 even if p(y) == 0 too.
        kl = np.where(part > 0, part * (log_part - log_marginal), 0.0)
        scores.append(np.exp(np.mean(np.sum(kl, axis=1))))
    return float(np.mean(scores)), float(np.std(scores))
