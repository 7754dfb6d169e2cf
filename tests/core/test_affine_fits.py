"""The torso fit: affine for ordinary torsos, leaning to a similarity for side views."""

import numpy as np
import pytest
from skimage.transform import AffineTransform, SimilarityTransform

from spt_core import parts
from spt_core import skeleton as sk
from spt_core.affine_fits import (
    aspect_ratios,
    fit_affine_batch,
    fit_shape_batch,
    fit_similarity_batch,
)
from spt_core.data.synth.writer import default_pose_csv

FRONT = np.array(
    [[20.0, 70.0], [40.0, 70.0], [46.0, 30.0], [16.0, 30.0]]
)  # R hip, L hip, L sho, R sho
SIDE = np.array([[30.0, 70.0], [32.0, 70.0], [33.0, 30.0], [31.0, 30.0]])


def _skimage_fit(cls, target, source) -> np.ndarray:
    """skimage's estimate (``from_estimate`` from 0.26 on, ``estimate`` before)."""
    if hasattr(cls, "from_estimate"):
        return cls.from_estimate(target, source).params[:2]
    transform = cls()
    assert transform.estimate(target, source)
    return transform.params[:2]


def test_similarity_fit_matches_skimage():
    rng = np.random.default_rng(0)
    target = rng.uniform(0, 60, (6, 2))
    source = target @ np.array([[0.9, -0.4], [0.4, 0.9]]).T + [5.0, -3.0]
    source += rng.normal(0, 0.5, source.shape)
    fitted, ok = fit_similarity_batch(target, source)
    assert ok
    np.testing.assert_allclose(fitted, _skimage_fit(SimilarityTransform, target, source), atol=1e-9)


def test_similarity_fit_takes_the_mirror_when_it_fits():
    target = np.array([[0.0, 0.0], [10.0, 0.0], [0.0, 20.0], [7.0, 13.0]])
    source = target * [-1.5, 1.5] + [40.0, 2.0]  # a person turned round: x mirrored
    fitted, ok = fit_similarity_batch(target, source)
    assert ok
    np.testing.assert_allclose(fitted, [[-1.5, 0.0, 40.0], [0.0, 1.5, 2.0]], atol=1e-9)


def test_affine_fit_matches_skimage_and_lstsq():
    rng = np.random.default_rng(1)
    target = rng.uniform(0, 60, (3, 2))
    source = rng.uniform(0, 60, (3, 2))
    fitted, ok = fit_affine_batch(target, source)
    assert ok  # three points: exact, as skimage's
    np.testing.assert_allclose(fitted, _skimage_fit(AffineTransform, target, source), atol=1e-8)
    target = rng.uniform(0, 60, (4, 2))  # four points: ordinary least squares
    source = rng.uniform(0, 60, (4, 2))
    design = np.concatenate([target, np.ones((4, 1))], 1)
    solution = np.linalg.lstsq(design, source, rcond=None)[0].T
    np.testing.assert_allclose(fit_affine_batch(target, source)[0], solution, atol=1e-8)


def test_wide_torsos_keep_the_plain_affine_fit():
    moved = FRONT * [1.1, 0.9] + [3.0, 4.0]
    assert min(aspect_ratios(FRONT), aspect_ratios(moved)) > 0.35
    np.testing.assert_array_equal(
        fit_shape_batch(FRONT, moved)[0], fit_affine_batch(FRONT, moved)[0]
    )


def test_side_view_torso_gets_a_bounded_transform():
    """A side-view target torso against a frontal source: the affine fit stretches the thin
    direction about x11; the shape fit stays within the torsos' size ratio."""
    affine, _ = fit_affine_batch(SIDE, FRONT)
    assert np.linalg.svd(affine[:, :2], compute_uv=False).max() > 8  # the defect
    shaped, ok = fit_shape_batch(SIDE, FRONT)
    assert ok
    values = np.linalg.svd(shaped[:, :2], compute_uv=False)
    assert values.max() < 1.5 and values.min() > 0.5
    # The centroids still correspond.
    np.testing.assert_allclose(shaped[:, :2] @ SIDE.mean(0) + shaped[:, 2], FRONT.mean(0))


def test_collinear_torso_falls_back_to_the_similarity():
    line = np.array([[30.0, 70.0], [30.0, 70.0], [30.0, 30.0], [30.0, 30.0]])
    assert not fit_affine_batch(line, FRONT)[1]
    fitted, ok = fit_shape_batch(line, FRONT)
    assert ok
    np.testing.assert_allclose(fitted, fit_similarity_batch(line, FRONT)[0])


def test_real_pose_pairs_never_get_extreme_torso_scales():
    """Every Market-1501 torso against random others: the affine fit's largest scale passes
    x4 in about 1% of pairs (up to x33); the part fit stays below x4."""
    poses = np.stack(list(sk.read_pose_csv(default_pose_csv((128, 64))).values()))
    poses = poses[sk.present(poses)[:, list(parts.TORSO_FIT_JOINTS)].all(-1)]
    rng = np.random.default_rng(0)
    i, j = rng.integers(len(poses), size=(2, 4000))
    affines, valid = parts.part_affines(poses[j], poses[i])
    torso = affines[valid[:, 0], 0, :, :2]
    plain, plain_ok = fit_affine_batch(
        poses[i][:, list(parts.TORSO_FIT_JOINTS)], poses[j][:, list(parts.TORSO_FIT_JOINTS)]
    )
    assert np.linalg.svd(plain[plain_ok, :, :2], compute_uv=False).max() > 8
    assert np.linalg.svd(torso, compute_uv=False).max() < 4


def test_side_view_warp_does_not_smear():
    """Warping a frontal person onto a side-view pose: the torso warp samples a source region
    about as wide as the source torso, not a sliver stretched across the picture."""
    source = np.full((18, 2), np.nan)
    target = np.full((18, 2), np.nan)
    for joints, quad in ((source, FRONT), (target, SIDE)):
        for k, joint in enumerate(parts.TORSO_FIT_JOINTS):
            joints[joint] = quad[k]
    affines, valid = parts.part_affines(source, target)
    assert valid[0]
    # Target pixels across the side-view body (x 22..42 at mid torso) sample the source:
    xs = np.arange(22.0, 43.0)
    points = np.stack([xs, np.full_like(xs, 50.0), np.ones_like(xs)], 1)
    sampled = points @ affines[0].T
    assert np.ptp(sampled[:, 0]) < 40  # the affine fit spreads them over ~220 px


@pytest.mark.parametrize("kind", ["full", "box", "body"])
def test_torso_mask_kinds(kind):
    pose = np.full((18, 2), np.nan)
    for k, joint in enumerate(parts.TORSO_FIT_JOINTS):
        pose[joint] = SIDE[k]
    masks = parts.part_masks(pose, (100, 64), parts.PartGeometry(torso_mask=kind))
    torso = masks[0]
    if kind == "full":
        assert torso.all()
        return
    # A side-view torso quad is ~2 px wide; the body mask grows it by 0.2 torso scale
    # (~8 px) on each side, the box by 0.1.
    row = torso[50]
    width = row.sum()
    assert (16 <= width <= 22) if kind == "body" else (4 <= width <= 12)
    assert not torso[:20].any() and not torso[85:].any()
