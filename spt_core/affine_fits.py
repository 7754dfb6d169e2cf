"""Batched least-squares fits between point sets: affine, similarity, and the two blended for
thin shapes (a torso seen from the side).

All fits map *target* points to *source* points (inverse warps, see :mod:`spt_core.parts`).
"""

from __future__ import annotations

import numpy as np

#: The no-op transform: samples 1000 px away, i.e. outside any image.
NO_OP = np.array([[1.0, 0.0, 1000.0], [0.0, 1.0, 1000.0]], dtype=np.float64)


def _centred(target_points, source_points, weights):
    """Weights with missing points dropped, weighted means, centred points and total weight."""
    tgt = np.asarray(target_points, dtype=np.float64)
    src = np.asarray(source_points, dtype=np.float64)
    w = np.ones(tgt.shape[:-1]) if weights is None else np.asarray(weights, dtype=np.float64)
    w = np.where(np.isnan(tgt).any(-1) | np.isnan(src).any(-1), 0.0, w)
    tgt = np.nan_to_num(tgt)
    src = np.nan_to_num(src)
    total = w.sum(-1, keepdims=True)
    safe_total = np.where(total > 0, total, 1.0)
    tgt_mean = (w[..., None] * tgt).sum(-2) / safe_total
    src_mean = (w[..., None] * src).sum(-2) / safe_total
    tc = tgt - tgt_mean[..., None, :]
    sc = src - src_mean[..., None, :]
    return w, tgt_mean, src_mean, tc, sc, total[..., 0]


def _with_translation(linear, tgt_mean, src_mean) -> np.ndarray:
    translation = src_mean - np.einsum("...ij,...j->...i", linear, tgt_mean)
    return np.concatenate([linear, translation[..., None]], axis=-1)


def fit_affine_batch(
    target_points: np.ndarray, source_points: np.ndarray, weights: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Weighted least-squares affine maps target points -> source points, batched.

    Args:
        target_points: (..., K, 2) points in the target frame.
        source_points: (..., K, 2) corresponding points in the source frame.
        weights: (..., K) point weights (0 drops a point), or None for all ones.

    Returns:
        (matrices (..., 2, 3), ok (...)): ok is False where the fit is singular (fewer than
        three non-collinear target points, or a degenerate result); those matrices are NO_OP.
    """
    w, tgt_mean, src_mean, tc, sc, total = _centred(target_points, source_points, weights)
    # Centred normal equations: L = (sum w s t^T)(sum w t t^T)^-1, then the translation.
    cov_tt = np.einsum("...k,...ki,...kj->...ij", w, tc, tc)
    cov_st = np.einsum("...k,...ki,...kj->...ij", w, sc, tc)
    det = cov_tt[..., 0, 0] * cov_tt[..., 1, 1] - cov_tt[..., 0, 1] * cov_tt[..., 1, 0]
    scale = np.maximum(np.trace(cov_tt, axis1=-2, axis2=-1), 1e-12)
    ok = (total > 0) & (np.abs(det) > 1e-9 * scale**2)
    safe_det = np.where(ok, det, 1.0)
    inv = (
        np.stack(
            [
                np.stack([cov_tt[..., 1, 1], -cov_tt[..., 0, 1]], -1),
                np.stack([-cov_tt[..., 1, 0], cov_tt[..., 0, 0]], -1),
            ],
            -2,
        )
        / safe_det[..., None, None]
    )
    matrices = _with_translation(cov_st @ inv, tgt_mean, src_mean)
    linear = matrices[..., :2]
    lin_det = linear[..., 0, 0] * linear[..., 1, 1] - linear[..., 0, 1] * linear[..., 1, 0]
    ok &= np.isfinite(matrices).all((-2, -1)) & (np.abs(lin_det) > 1e-9)
    matrices = np.where(ok[..., None, None], matrices, NO_OP)
    return matrices, ok


def fit_similarity_batch(
    target_points: np.ndarray, source_points: np.ndarray, weights: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Weighted least-squares similarities (rotation, uniform scale, translation; a mirror
    allowed when it fits better) target points -> source points, batched.

    Needs only two distinct target points, so it stays defined where an affine fit is not
    (points on a line). Returns (matrices (..., 2, 3), ok (...)) like :func:`fit_affine_batch`.
    """
    w, tgt_mean, src_mean, tc, sc, total = _centred(target_points, source_points, weights)
    spread = np.einsum("...k,...ki,...ki->...", w, tc, tc)
    # s = [[a, -b], [b, a]] t (rotation) or [[a, b], [b, -a]] t (mirror), solved in closed form.
    dot = np.einsum("...k,...ki,...ki->...", w, sc, tc)
    cross = np.einsum("...k,...k->...", w, sc[..., 1] * tc[..., 0] - sc[..., 0] * tc[..., 1])
    mirror_dot = np.einsum("...k,...k->...", w, sc[..., 0] * tc[..., 0] - sc[..., 1] * tc[..., 1])
    mirror_cross = np.einsum("...k,...k->...", w, sc[..., 0] * tc[..., 1] + sc[..., 1] * tc[..., 0])
    safe = np.where(spread > 1e-12, spread, 1.0)
    a, b = dot / safe, cross / safe
    ma, mb = mirror_dot / safe, mirror_cross / safe
    rotation = np.stack([np.stack([a, -b], -1), np.stack([b, a], -1)], -2)
    mirrored = np.stack([np.stack([ma, mb], -1), np.stack([mb, -ma], -1)], -2)
    # The better of the two explains more of the source's spread: compare |scale|^2.
    use_mirror = (ma**2 + mb**2) > (a**2 + b**2)
    linear = np.where(use_mirror[..., None, None], mirrored, rotation)
    matrices = _with_translation(linear, tgt_mean, src_mean)
    ok = (total > 0) & (spread > 1e-9) & np.isfinite(matrices).all((-2, -1))
    ok &= np.abs(np.where(use_mirror, ma**2 + mb**2, a**2 + b**2)) > 1e-12
    return np.where(ok[..., None, None], matrices, NO_OP), ok


def aspect_ratios(points: np.ndarray) -> np.ndarray:
    """sqrt(minor / major) eigenvalue of the centred points' covariance: (..., K, 2) -> (...).

    About 0.5 for a torso seen from the front, below 0.1 from the side; NaN points are
    ignored (0 when fewer than two remain)."""
    pts = np.asarray(points, dtype=np.float64)
    w = (~np.isnan(pts).any(-1)).astype(np.float64)
    pts = np.nan_to_num(pts)
    total = np.maximum(w.sum(-1, keepdims=True), 1.0)
    centred = pts - ((w[..., None] * pts).sum(-2) / total)[..., None, :]
    cov = np.einsum("...k,...ki,...kj->...ij", w, centred, centred)
    eig = np.linalg.eigvalsh(cov)
    return np.sqrt(np.clip(eig[..., 0], 0, None) / np.maximum(eig[..., 1], 1e-12))


def fit_shape_batch(
    target_points: np.ndarray,
    source_points: np.ndarray,
    thin_below: float = 0.3,
    similar_below: float = 0.1,
) -> tuple[np.ndarray, np.ndarray]:
    """Affine fit that leans towards a similarity as either point set gets thin.

    A 4-point affine fit of a quad a few pixels wide (a torso seen from the side) is
    ill-conditioned: its scale across the thin direction can reach x7 or flip sign, and the
    warp then smears the source across the image. Where the smaller aspect ratio
    (:func:`aspect_ratios`) of the two point sets is below ``thin_below``, the linear part is
    blended linearly towards the similarity fit, reaching it at ``similar_below``; the
    translation is refitted so the centroids still correspond. Shapes at least ``thin_below``
    wide get the plain affine fit.

    Returns:
        (matrices (..., 2, 3), ok (...)) like :func:`fit_affine_batch`.
    """
    if not 0 <= similar_below < thin_below:
        raise ValueError(
            f"need 0 <= similar_below < thin_below, got {similar_below} and {thin_below}"
        )
    affine, affine_ok = fit_affine_batch(target_points, source_points)
    similar, similar_ok = fit_similarity_batch(target_points, source_points)
    aspect = np.minimum(aspect_ratios(target_points), aspect_ratios(source_points))
    alpha = np.clip((aspect - similar_below) / (thin_below - similar_below), 0.0, 1.0)
    alpha = np.where(affine_ok, alpha, 0.0)  # a singular affine: the similarity alone
    linear = (
        alpha[..., None, None] * affine[..., :2] + (1 - alpha[..., None, None]) * similar[..., :2]
    )
    _, tgt_mean, src_mean, _, _, _ = _centred(target_points, source_points, None)
    matrices = _with_translation(linear, tgt_mean, src_mean)
    ok = similar_ok | affine_ok
    ok &= np.isfinite(matrices).all((-2, -1))
    return np.where(ok[..., None, None], matrices, NO_OP), ok
