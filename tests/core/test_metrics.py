"""Image metrics checked against independent computations (hand SSIM, hand PSNR, cv2 masks)."""

from __future__ import annotations

import math
import warnings

import cv2
import numpy as np
import pytest
import torch
from scipy.ndimage import gaussian_filter
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

from spt_core import skeleton as sk
from spt_core.losses.perceptual import VGGFeatures
from spt_core.metrics import (
    ImageScores,
    defgan_pose_mask,
    mask_ssim,
    psnr,
    ssim,
    to_uint8,
    vgg_distance,
)

SIZE = (48, 32)


def _random_pair(seed: int = 0, size: tuple[int, int] = SIZE) -> tuple[np.ndarray, np.ndarray]:
    """A smooth random image and a noisy, darker copy (SSIM well inside (0, 1))."""
    rng = np.random.default_rng(seed)
    target = gaussian_filter(rng.uniform(0, 255, size + (3,)), sigma=(2, 2, 0))
    target = np.clip((target - target.min()) * 255 / np.ptp(target), 0, 255).astype(np.uint8)
    generated = np.clip(0.8 * target + rng.normal(0, 20, target.shape) + 10, 0, 255)
    return generated.astype(np.uint8), target


def _hand_ssim(x: np.ndarray, y: np.ndarray, data_range: float, truncate: float = 3.5) -> float:
    """Gaussian-weighted SSIM of one channel (Wang et al. 2004), population covariance.

    Window means by scipy's Gaussian filter (reflect border), then the mean of the SSIM map
    without a border of the filter radius, as skimage crops it.
    """
    x, y = x.astype(np.float64), y.astype(np.float64)

    def blur(image: np.ndarray) -> np.ndarray:
        return gaussian_filter(image, sigma=1.5, truncate=truncate, mode="reflect")

    mu_x, mu_y = blur(x), blur(y)
    var_x = blur(x * x) - mu_x**2
    var_y = blur(y * y) - mu_y**2
    cov = blur(x * y) - mu_x * mu_y
    c1, c2 = (0.01 * data_range) ** 2, (0.03 * data_range) ** 2
    ssim_map = ((2 * mu_x * mu_y + c1) * (2 * cov + c2)) / (
        (mu_x**2 + mu_y**2 + c1) * (var_x + var_y + c2)
    )
    pad = int(3.5 * 1.5 + 0.5)  # skimage's crop, 5 px
    return float(ssim_map[pad:-pad, pad:-pad].mean())


def _two_joint_pose(a: tuple[float, float], b: tuple[float, float]) -> np.ndarray:
    pose = sk.missing_pose()
    pose[sk.NECK] = a
    pose[sk.R_SHOULDER] = b  # (NECK, R_SHOULDER) is one of the 23 mask segments
    return pose


def _cv2_mask(pose: np.ndarray, size: tuple[int, int], radius: int = 4, half: float = 4):
    """The Def-GAN mask drawn with OpenCV: thickened bones, discs, 5x5 closing."""
    mask = np.zeros(size, np.uint8)
    ok = sk.present(pose)
    shift = 8  # sub-pixel vertices for fillConvexPoly
    for a, b in sk.MASK_SEGMENTS:
        if ok[a] and ok[b]:
            d = pose[a].astype(np.float64) - pose[b]
            n = half * np.array([-d[1], d[0]]) / np.hypot(*d)
            corners = np.stack([pose[a] + n, pose[a] - n, pose[b] - n, pose[b] + n])
            points = np.round(corners * (1 << shift)).astype(np.int32)
            cv2.fillConvexPoly(mask, points, 1, cv2.LINE_8, shift)
    for x, y in pose[ok]:
        cv2.circle(mask, (int(x), int(y)), radius, 1, -1)
    kernel = np.ones((5, 5), np.uint8)
    return cv2.erode(cv2.dilate(mask, kernel), kernel)


def _distance_to_segment(points: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    ab = b - a
    t = np.clip(((points - a) @ ab) / (ab @ ab), 0.0, 1.0)
    return np.linalg.norm(points - (a + t[:, None] * ab), axis=1)


# --------------------------------------------------------------------------------------------
# SSIM


def test_ssim_of_identical_images_is_one() -> None:
    _, target = _random_pair()
    assert ssim(target, target) == pytest.approx(1.0, abs=1e-12)


def test_ssim_equals_skimage_with_defgan_arguments() -> None:
    generated, target = _random_pair(1)
    expected = structural_similarity(
        target,
        generated,
        gaussian_weights=True,
        sigma=1.5,
        use_sample_covariance=False,
        channel_axis=-1,
        data_range=generated.max() - generated.min(),
    )
    value = ssim(generated, target)
    assert 0.2 < value < 0.95
    assert value == pytest.approx(expected, abs=1e-12)


def test_ssim_matches_a_hand_computation() -> None:
    generated, target = _random_pair(2)
    grey_gen, grey_tgt = generated[..., 0], target[..., 0]
    data_range = float(grey_gen.max()) - float(grey_gen.min())
    assert ssim(grey_gen, grey_tgt) == pytest.approx(
        _hand_ssim(grey_gen, grey_tgt, data_range), abs=1e-6
    )
    # RGB: the mean of per-channel SSIMs, data_range taken over the whole generated image.
    data_range = float(generated.max()) - float(generated.min())
    per_channel = [_hand_ssim(generated[..., c], target[..., c], data_range) for c in range(3)]
    assert ssim(generated, target) == pytest.approx(np.mean(per_channel), abs=1e-6)


def test_ssim_data_range_comes_from_the_generated_image() -> None:
    generated, target = _random_pair(3)
    dim = (generated // 2).astype(np.uint8)  # half the range: a different C1, C2
    grey = (dim[..., 0], target[..., 0])
    narrow = float(grey[0].max()) - float(grey[0].min())
    assert ssim(*grey) == pytest.approx(_hand_ssim(*grey, narrow), abs=1e-6)
    assert ssim(*grey) != pytest.approx(_hand_ssim(*grey, 255.0), abs=1e-4)


def test_ssim_of_a_flat_generated_image_uses_the_full_range() -> None:
    _, target = _random_pair(4)
    flat = np.full_like(target, 90)
    value = ssim(flat, target)
    assert math.isfinite(value)
    expected = np.mean([_hand_ssim(flat[..., c], target[..., c], 255.0) for c in range(3)])
    assert value == pytest.approx(expected, abs=1e-6)


def test_ssim_rejects_bad_inputs() -> None:
    generated, target = _random_pair()
    with pytest.raises(ValueError, match="uint8"):
        ssim(generated.astype(np.float32), target)
    with pytest.raises(ValueError, match="shapes differ"):
        ssim(generated[:-1], target)


# --------------------------------------------------------------------------------------------
# PSNR


def test_psnr_matches_the_formula() -> None:
    target = np.full((8, 8, 3), 100, np.uint8)
    generated = target + np.uint8(5)  # MSE exactly 25
    assert psnr(generated, target) == pytest.approx(10 * math.log10(255**2 / 25), abs=1e-12)
    assert psnr(target, target) == math.inf
    generated, target = _random_pair(5)
    mse = np.mean((generated.astype(float) - target.astype(float)) ** 2)
    assert psnr(generated, target) == pytest.approx(20 * math.log10(255) - 10 * math.log10(mse))
    assert psnr(generated, target) == pytest.approx(
        peak_signal_noise_ratio(target, generated, data_range=255)
    )
    assert psnr(generated, target, data_range=1.0) == pytest.approx(-10 * math.log10(mse))


# --------------------------------------------------------------------------------------------
# Def-GAN pose mask


def test_defgan_mask_vertical_bone_matches_opencv_but_for_the_disc_tips() -> None:
    pose = _two_joint_pose((20, 10), (20, 40))
    mask = defgan_pose_mask(pose, (64, 48))
    reference = _cv2_mask(pose, (64, 48))
    assert mask.dtype == np.uint8 and set(np.unique(mask)) == {0, 1}
    # cv2.circle keeps the four pixels at distance exactly 4 from the centre; skimage's disk
    # (Def-GAN's circle) keeps distance < 4 only. Along the bone the rectangle covers the side
    # tips, so the two masks differ by exactly the two tips beyond the bone's ends.
    diff = np.argwhere(mask != reference)
    assert sorted(map(tuple, diff)) == [(6, 20), (44, 20)]
    assert (reference[6, 20], reference[44, 20]) == (1, 1)
    # The rectangle itself: 9 columns (x 16..24) over the bone's rows.
    assert mask[10:41, 16:25].all() and not mask[10:41, 15].any() and not mask[10:41, 25].any()


def test_defgan_mask_diagonal_bone_differs_from_opencv_only_on_the_edge() -> None:
    a, b = np.array([10.0, 12.0]), np.array([37.0, 45.0])
    pose = _two_joint_pose(tuple(a), tuple(b))
    mask = defgan_pose_mask(pose, (64, 48))
    reference = _cv2_mask(pose, (64, 48))
    # fillConvexPoly fills every pixel its edges touch; skimage's polygon only pixel centres
    # inside. So the OpenCV mask contains ours, and the extra pixels form a band at most about
    # one pixel wide along the 4 px boundary: fewer pixels than the boundary is long.
    assert not (mask > reference).any()
    extra = np.argwhere(reference > mask)[:, ::-1].astype(np.float64)  # (x, y)
    perimeter = 2 * np.linalg.norm(b - a) + 2 * np.pi * 4
    assert 0 < len(extra) <= perimeter
    distances = _distance_to_segment(extra, a, b)
    assert distances.min() >= 3.5 and distances.max() <= 5.0
    # Every pixel centre well inside the thickened bone is in our mask, none well outside.
    ys, xs = np.mgrid[0:64, 0:48]
    centres = np.stack([xs.ravel(), ys.ravel()], axis=1).astype(np.float64)
    distance = _distance_to_segment(centres, a, b).reshape(64, 48)
    assert mask[distance < 3.5].all()
    assert not mask[distance > 5.5].any()


def test_defgan_mask_matches_a_pixel_centre_test() -> None:
    """A third path: pixel centres within 4 px of a bone (as a rectangle) or < 4 of a joint.

    Two bones meet at the neck in a narrow V, so the closing has a gap to fill.
    """
    neck, r_shoulder, l_shoulder = (30.4, 8.2), (12.7, 50.9), (24.1, 52.3)
    pose = _two_joint_pose(neck, r_shoulder)
    pose[sk.L_SHOULDER] = l_shoulder  # (NECK, L_SHOULDER) is a mask segment too
    pose[sk.L_ANKLE] = (40, 55)  # a lone joint: a disc and no bone
    ys, xs = np.mgrid[0:64, 0:48].astype(np.float64)
    drawn = np.zeros((64, 48), bool)
    for end in (r_shoulder, l_shoulder):
        a, b = np.array(neck), np.array(end)
        along_unit = (b - a) / np.linalg.norm(b - a)
        rel_x, rel_y = xs - a[0], ys - a[1]
        along = rel_x * along_unit[0] + rel_y * along_unit[1]
        across = -rel_x * along_unit[1] + rel_y * along_unit[0]
        drawn |= (along >= 0) & (along <= np.linalg.norm(b - a)) & (np.abs(across) <= 4)
    for x, y in pose[sk.present(pose)]:
        drawn |= (xs - x) ** 2 + (ys - y) ** 2 < 16
    kernel = np.ones((5, 5), np.uint8)
    expected = cv2.erode(cv2.dilate(drawn.astype(np.uint8), kernel), kernel)
    assert expected.sum() > drawn.sum() + 10  # the closing matters here
    np.testing.assert_array_equal(defgan_pose_mask(pose, (64, 48)), expected)
    np.testing.assert_array_equal(defgan_pose_mask(pose, (64, 48), closing=1), drawn)


def test_defgan_mask_parameters_missing_joints_and_border() -> None:
    pose = _two_joint_pose((4, 1), (4, 30))  # touches the top and left borders
    mask = defgan_pose_mask(pose, (64, 48))
    assert mask[1:31, 0:9].all()  # closing does not eat the border
    wider = defgan_pose_mask(pose, (64, 48), radius=6, half_width=6)
    assert wider.sum() > mask.sum() and not (mask > wider).any()
    raw = defgan_pose_mask(pose, (64, 48), closing=1)
    assert not (raw > mask).any()  # a closing only adds
    assert not defgan_pose_mask(sk.missing_pose(), (64, 48)).any()
    lone = sk.missing_pose()
    lone[sk.NECK] = (20, 20)
    assert defgan_pose_mask(lone, (64, 48), closing=1).sum() == 45  # |offset|^2 < 16
    same = _two_joint_pose((20, 20), (20, 20))  # zero-length bone: disc only, no 0/0 warning
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        np.testing.assert_array_equal(
            defgan_pose_mask(same, (64, 48)), defgan_pose_mask(lone, (64, 48))
        )


# --------------------------------------------------------------------------------------------
# mask-SSIM


def test_mask_ssim_ignores_pixels_outside_the_mask() -> None:
    generated, target = _random_pair(6, size=(64, 48))
    pose = _two_joint_pose((20, 10), (24, 50))
    mask = defgan_pose_mask(pose, (64, 48)).astype(bool)
    base = mask_ssim(generated, target, pose)

    changed_outside = generated.copy()
    changed_outside[~mask] = 255 - changed_outside[~mask]
    assert not np.array_equal(changed_outside, generated)
    assert mask_ssim(changed_outside, target, pose) == pytest.approx(base, abs=1e-12)

    changed_inside = generated.copy()
    rng = np.random.default_rng(7)
    changed_inside[mask] = rng.integers(0, 256, changed_inside[mask].shape, dtype=np.uint8)
    assert mask_ssim(changed_inside, target, pose) < base - 0.05

    # Equals plain SSIM of the two images times the mask (Def-GAN's image * mask).
    keep = mask[..., None].astype(np.uint8)
    assert base == pytest.approx(ssim(generated * keep, target * keep), abs=1e-12)
    assert base != pytest.approx(ssim(generated, target), abs=1e-3)


# --------------------------------------------------------------------------------------------
# VGG distance and the accumulator


@pytest.fixture(scope="module")
def relu2_1() -> VGGFeatures:
    return VGGFeatures()


def test_vgg_distance_zero_positive_symmetric(relu2_1: VGGFeatures) -> None:
    pairs = [_random_pair(s, size=(32, 32)) for s in (8, 9)]
    generated = np.stack([g for g, _ in pairs])
    target = np.stack([t for _, t in pairs])
    same = vgg_distance(target, target, relu2_1)
    np.testing.assert_array_equal(same, [0.0, 0.0])
    forward = vgg_distance(generated, target, relu2_1)
    backward = vgg_distance(target, generated, relu2_1)
    assert forward.shape == (2,) and (forward > 0).all()
    np.testing.assert_allclose(forward, backward, rtol=1e-12)
    # Batching does not change a value; one image gives a float.
    single = vgg_distance(generated[1], target[1], relu2_1, batch_size=1)
    assert isinstance(single, float) and single == pytest.approx(forward[1], rel=1e-6)
    # The [-1, 1] tensor form of the same images gives the same distance.
    as_tensor = torch.from_numpy(generated).permute(0, 3, 1, 2).float() / 127.5 - 1
    target_tensor = torch.from_numpy(target).permute(0, 3, 1, 2).float() / 127.5 - 1
    np.testing.assert_allclose(vgg_distance(as_tensor, target_tensor, relu2_1), forward, rtol=1e-5)
    # A hand MSE over the features.
    with torch.no_grad():
        diff = relu2_1(as_tensor[:1]) - relu2_1(target_tensor[:1])
    assert forward[0] == pytest.approx(float((diff**2).mean()), rel=1e-5)


def test_to_uint8_maps_the_tensor_range() -> None:
    tensor = torch.tensor([-1.5, -1.0, 0.0, 1.0, 2.0]).view(1, 1, 1, 5).expand(1, 3, 1, 5)
    out = to_uint8(tensor)
    assert out.shape == (1, 1, 5, 3) and out.dtype == np.uint8
    np.testing.assert_array_equal(out[0, 0, :, 0], [0, 0, 128, 255, 255])  # 127.5 rounds to 128
    with pytest.raises(ValueError):
        to_uint8(np.zeros((2, 4, 4, 3), np.int32))


def test_image_scores_accumulates_means(relu2_1: VGGFeatures) -> None:
    pairs = [_random_pair(s, size=(32, 24)) for s in (10, 11, 12)]
    generated = np.stack([g for g, _ in pairs])
    target = np.stack([t for _, t in pairs])
    poses = np.stack([_two_joint_pose((12, 4), (12, 28))] * 3)
    scores = ImageScores(extractor=relu2_1)
    scores.add(generated[:2], target[:2], poses[:2])
    scores.add(generated[2:], target[2:], poses[2:])
    summary = scores.summary()
    assert summary["count"] == 3 and summary["mask_count"] == 3 and len(scores) == 3
    assert summary["ssim"] == pytest.approx(np.mean([ssim(g, t) for g, t in pairs]))
    assert summary["psnr"] == pytest.approx(np.mean([psnr(g, t) for g, t in pairs]))
    assert summary["mask_ssim"] == pytest.approx(
        np.mean([mask_ssim(g, t, p) for (g, t), p in zip(pairs, poses, strict=True)])
    )
    assert summary["vgg_distance"] == pytest.approx(float(vgg_distance(generated, target).mean()))

    # Tensors in [-1, 1] score like the uint8 images they round to; no poses -> no mask-SSIM.
    as_tensor = torch.from_numpy(generated).permute(0, 3, 1, 2).double() / 127.5 - 1
    target_tensor = torch.from_numpy(target).permute(0, 3, 1, 2).double() / 127.5 - 1
    from_tensors = ImageScores(vgg=False)
    from_tensors.add(as_tensor, target_tensor)
    other = from_tensors.summary()
    assert other["ssim"] == pytest.approx(summary["ssim"], abs=1e-12)
    assert other["mask_ssim"] is None and other["vgg_distance"] is None
    assert ImageScores(vgg=False).summary()["count"] == 0
