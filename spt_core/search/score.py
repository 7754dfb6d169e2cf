"""The search distance as pure functions (no files, no state): unit-tested on their own.

For one-hot label vectors, or the zero vector where a sample is outside the image or the part,
|| onehot(a) - onehot(b) ||^2 = [a present] + [b present] - 2 [a = b, both present], so the
distance of the method is a count of disagreeing samples. Summed with per-sample weights over a
batch it is n_q + n_c - 2 * (matches), and the matches are one matrix product of one-hot codes.
"""

from __future__ import annotations

import numpy as np

from spt_core import labels as lb
from spt_core import parts
from spt_core import skeleton as sk
from spt_core.search.canonical import NONE_LABEL, CanonicalLayout


def part_scale(layout: CanonicalLayout, balance: str) -> np.ndarray:
    """(10,) factor of each part term from the balance rule.

    "pixels": every canonical sample counts once, as in the method's sum over pixels (the
    whole-body torso window, 2560 samples at 16 per unit, then outweighs a forearm's 84).
    "equal": every part counts as much as the torso: its term is scaled by
    torso samples / part samples, rounded to a whole number so that distances stay exact
    integers and ties break the same way in every implementation.
    """
    sizes = np.array([grid.size for grid in layout.grids], dtype=np.float64)
    if balance == "pixels":
        return np.ones(len(sizes))
    if balance == "equal":
        return np.maximum(1.0, np.round(sizes[0] / sizes))
    raise ValueError(f"part balance must be 'pixels' or 'equal', got {balance!r}")


def sample_weights(layout: CanonicalLayout, part_weights, balance: str = "equal") -> np.ndarray:
    """(D,) float32 weight of every canonical sample: part weight x balance factor."""
    scale = part_scale(layout, balance)
    weights = np.empty(layout.total, dtype=np.float32)
    for grid, weight, factor in zip(layout.grids, part_weights, scale, strict=True):
        weights[grid.offset : grid.offset + grid.size] = weight * factor
    return weights


def one_hot_samples(embeddings, weights=None):
    """(N, D) uint8 labels (255 = none) -> (N, D * 10) float32 one-hot, optionally weighted."""
    import torch

    codes = torch.arange(lb.NUM_LABELS, device=embeddings.device, dtype=embeddings.dtype)
    hot = (embeddings[..., None] == codes).to(torch.float32)
    if weights is not None:
        hot = hot * weights[:, None]
    return hot.reshape(embeddings.shape[0], -1)


def encode(codes, weights, weighted: bool):
    """Codes (N, D) -> (one-hot (N, D * 10), weighted count of present samples (N,)).

    Queries take ``weighted=True`` (the weights go into their one-hot rows), candidates False,
    so that ``encode(q, w, True)[0] @ encode(c, w, False)[0].T`` counts weighted matches.
    """
    import torch

    present = (codes != NONE_LABEL).to(torch.float32) @ weights
    return one_hot_samples(codes, weights if weighted else None), present


def distances_from_encodings(queries, candidates):
    """(Q, C) distances from :func:`encode` results: n_q + n_c - 2 * weighted matches."""
    hot_q, present_q = queries
    hot_c, present_c = candidates
    return present_q[:, None] + present_c[None, :] - 2.0 * (hot_q @ hot_c.T)


def embedding_distances(query, candidates, weights):
    """Weighted part distances between every query and every candidate.

    Args:
        query: (Q, D) uint8 tensor of canonical labels (255 = none).
        candidates: (C, D) uint8 tensor, same layout, same device.
        weights: (D,) float32 tensor of sample weights.

    Returns:
        (Q, C) float32 tensor: sum_d w_d || onehot(q_d) - onehot(c_d) ||^2.
    """
    return distances_from_encodings(
        encode(query, weights, weighted=True), encode(candidates, weights, weighted=False)
    )


def pose_distances(query_poses, candidate_poses):
    """Mean distance of the joints present in both poses, over the query's torso scale.

    Args:
        query_poses: (Q, 18, 2) tensor (NaN = missing).
        candidate_poses: (C, 18, 2) tensor.

    Returns:
        (Q, C) tensor; +inf where the two poses share no joint or the query has no torso.
    """
    import torch

    q_ok = ~torch.isnan(query_poses).any(-1)  # (Q, 18)
    c_ok = ~torch.isnan(candidate_poses).any(-1)  # (C, 18)
    q = torch.nan_to_num(query_poses)
    c = torch.nan_to_num(candidate_poses)
    # (Q, C, 18) per coordinate rather than (Q, C, 18, 2): fewer passes over the largest tensor.
    dx = q[:, None, :, 0] - c[None, :, :, 0]
    dy = q[:, None, :, 1] - c[None, :, :, 1]
    both = (q_ok[:, None, :] & c_ok[None, :, :]).to(q.dtype)
    total = (torch.sqrt(dx * dx + dy * dy) * both).sum(-1)
    count = both.sum(-1)
    qp = query_poses
    scale = torch.sqrt(
        (
            ((qp[:, sk.R_HIP] - qp[:, sk.R_SHOULDER]) ** 2).sum(-1)
            + ((qp[:, sk.L_HIP] - qp[:, sk.L_SHOULDER]) ** 2).sum(-1)
        )
        / 2
    )
    out = total / count.clamp(min=1) / scale[:, None]
    return torch.where((count > 0) & torch.isfinite(out), out, torch.full_like(out, float("inf")))


def pixel_frame_distance(
    source_parsing: np.ndarray,
    source_pose: np.ndarray,
    candidate_parsing: np.ndarray,
    candidate_pose: np.ndarray,
    geometry: parts.PartGeometry = parts.DEFAULT_GEOMETRY,
) -> float:
    """The method's distance literally, in the candidate's pixel frame (nearest-neighbour warps).

    sum_j || B_p^j (x) S_p - f_j(B_s^j (x) S_s) ||^2 with f_j the part transforms of
    ``parts.part_affines`` (candidate pixel -> source pixel). Slow (10 warps per pair); the search
    uses the canonical-frame form, and this function is the yardstick it is compared with.
    """
    from spt_core.part_composite import inverse_warp

    height, width = candidate_parsing.shape
    affines, _ = parts.part_affines(source_pose, candidate_pose, geometry)
    source_masks = parts.part_masks(source_pose, source_parsing.shape, geometry)
    candidate_masks = parts.part_masks(candidate_pose, candidate_parsing.shape, geometry)
    total = 0
    for j in range(parts.NUM_PARTS):
        masked_source = np.where(source_masks[j], source_parsing, NONE_LABEL).astype(np.uint8)
        warped = inverse_warp(masked_source, affines[j], (height, width), fill=NONE_LABEL)
        target = np.where(candidate_masks[j], candidate_parsing, NONE_LABEL)
        present_w = warped != NONE_LABEL
        present_t = target != NONE_LABEL
        total += int(present_w.sum() + present_t.sum() - 2 * ((warped == target) & present_t).sum())
    return float(total)
