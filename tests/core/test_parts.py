"""Body parts: affine fits, masks and torch warps, checked against skimage / numpy / drawings."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
import torch
from skimage import measure, transform

from spt_core import part_composite, parts
from spt_core import skeleton as sk


def _random_affine(rng: np.random.Generator, height: int, width: int) -> np.ndarray:
    angle = rng.uniform(-np.pi, np.pi)
    rotation = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    linear = rng.uniform(0.6, 1.5) * rotation + rng.normal(0, 0.15, (2, 2))
    centre = np.array([width / 2, height / 2])
    shift = centre - linear @ centre + rng.normal(0, 8, 2)
    return np.concatenate([linear, shift[:, None]], axis=1)


def _full_pose(poses: dict[str, np.ndarray], skip: int = 0) -> np.ndarray:
    """A pose (the ``skip``-th) with every body joint 1..13 present and no foreshortened limb."""

    def usable(pose: np.ndarray) -> bool:
        if not sk.present(pose)[1:14].all():
            return False
        scale = parts.torso_scales(pose)
        bones = [np.linalg.norm(pose[a] - pose[b]) for a, b, _ in parts.LIMB_PARTS.values()]
        return min(bones) > 0.4 * scale

    return [p for p in poses.values() if usable(p)][skip]


def _distance_to_outline(points: np.ndarray, quad: np.ndarray) -> np.ndarray:
    """Distance of (x, y) points to the edges of a quad."""
    distances = []
    for k in range(4):
        p, q = quad[k], quad[(k + 1) % 4]
        t = np.clip(((points - p) @ (q - p)) / ((q - p) @ (q - p)), 0, 1)
        distances.append(np.linalg.norm(points - (p + t[:, None] * (q - p)), axis=1))
    return np.min(distances, axis=0)


def test_torch_warp_equals_skimage_on_32_random_transforms():
    rng = np.random.default_rng(0)
    worst = 0.0
    for i in range(32):
        height, width = [(128, 64), (96, 80), (64, 64), (50, 37)][i % 4]
        image = rng.random((height, width, 3))
        matrix = _random_affine(rng, height, width)
        expected = transform.warp(
            image,
            transform.AffineTransform(np.vstack([matrix, [0, 0, 1]])),
            order=1,
            mode="constant",
            cval=0.0,
        )
        theta = parts.affine_to_theta(
            torch.from_numpy(matrix)[None], (height, width), (height, width)
        )
        tensor = torch.from_numpy(image).permute(2, 0, 1)[None].float()
        got = parts.warp(tensor, theta)[0].permute(1, 2, 0).double().numpy()
        worst = max(worst, float(np.abs(got - expected).max()))
    assert worst < 1e-4, worst


def test_batched_part_warp_equals_one_at_a_time():
    rng = np.random.default_rng(1)
    images = torch.from_numpy(rng.random((3, 4, 40, 30))).float()
    matrices = np.stack([[_random_affine(rng, 40, 30) for _ in range(5)] for _ in range(3)])
    thetas = parts.affine_to_theta(torch.from_numpy(matrices), (40, 30), (40, 30))
    batched = parts.warp_parts(images, thetas)
    assert batched.shape == (3, 5, 4, 40, 30)
    for b in range(3):
        for p in range(5):
            single = parts.warp(images[b : b + 1], thetas[b, p][None])[0]
            assert torch.allclose(batched[b, p], single, atol=1e-6)


def test_same_transform_works_at_half_resolution():
    # A 4 px shift at 64x48 is a 2 px shift at 32x24: whole-pixel shifts are exact with bilinear.
    rng = np.random.default_rng(2)
    matrix = np.array(
        [[1.0, 0.0, 4.0], [0.0, 1.0, -6.0]]
    )  # target (x, y) samples source (x+4, y-6)
    theta = parts.affine_to_theta(torch.from_numpy(matrix)[None], (64, 48), (64, 48))
    half = torch.from_numpy(rng.random((1, 2, 32, 24))).double()
    got = parts.warp(half, theta)[0].numpy()
    expected = np.zeros_like(half[0].numpy())
    expected[:, 3:, :22] = half[0].numpy()[:, :29, 2:]
    assert np.abs(got - expected).max() < 1e-9


def test_limb_fits_match_skimage_and_torso_matches_lstsq():
    poses = sk.read_pose_csv(_market_csv())
    source, target = _full_pose(poses, 0), _full_pose(poses, 7)
    affines, valid = parts.part_affines(source, target)
    assert valid.all()
    # Torso: ordinary least squares through numpy's lstsq.
    joints = list(parts.TORSO_FIT_JOINTS)
    design = np.hstack([target[joints], np.ones((4, 1))]).astype(np.float64)
    solution, *_ = np.linalg.lstsq(design, source[joints].astype(np.float64), rcond=None)
    assert np.allclose(affines[0], solution.T, atol=1e-6)
    # Limbs: rectangles map exactly, so skimage's estimate is the same transform.
    for part, (a, b, _) in parts.LIMB_PARTS.items():
        ext = parts.DEFAULT_GEOMETRY.transform_extension(part)
        tq = parts.limb_quads(target[a], target[b], parts.torso_scales(target), ext)
        sq = parts.limb_quads(source[a], source[b], parts.torso_scales(source), ext)
        reference = transform.estimate_transform("affine", src=tq, dst=sq).params[:2]
        assert np.allclose(affines[part], reference, atol=1e-6), parts.PART_NAMES[part]


def test_limb_quad_follows_defgan_polygon():
    # Bone from (10, 10) to (10, 30), torso scale 20: start moves to y=8, the end to
    # 30 + 0.1 * (30 - 8) = 32.2; half width 0.2 * 20 = 4.
    quad = parts.limb_quads(np.array([10.0, 10.0]), np.array([10.0, 30.0]), np.array(20.0), 0.1)
    expected = {(6.0, 8.0), (14.0, 8.0), (14.0, 32.2), (6.0, 32.2)}
    assert {tuple(np.round(v, 6)) for v in quad} == expected


def test_part_warp_carries_a_drawn_forearm_onto_the_target_forearm():
    poses = sk.read_pose_csv(_market_csv())
    source, target = _full_pose(poses, 3), _full_pose(poses, 11)
    size = (128, 64)

    def forearm(pose: np.ndarray) -> np.ndarray:
        # A forearm as thick as a real one: a fixed fraction of the torso scale.
        canvas = np.zeros(size, np.uint8)
        elbow = tuple(int(v) for v in pose[sk.R_ELBOW])
        wrist = tuple(int(v) for v in pose[sk.R_WRIST])
        thickness = max(2, int(round(0.25 * parts.torso_scales(pose))))
        cv2.line(canvas, elbow, wrist, 1, thickness=thickness)
        return canvas.astype(np.float32)

    affines, valid = parts.part_affines(source, target)
    assert valid[8]
    theta = parts.affine_to_theta(torch.from_numpy(affines[8])[None], size, size)
    warped = parts.warp(torch.from_numpy(forearm(source))[None, None], theta)[0, 0].numpy()
    expected = forearm(target) > 0.5
    got = warped > 0.5
    iou = (got & expected).sum() / (got | expected).sum()
    assert iou > 0.6, iou


def test_mirror_limb_fallback_and_missing_target_limb():
    poses = sk.read_pose_csv(_market_csv())
    source, target = _full_pose(poses, 1), _full_pose(poses, 2)
    no_right_forearm = source.copy()
    no_right_forearm[sk.R_WRIST] = np.nan
    affines, valid = parts.part_affines(no_right_forearm, target)
    assert valid[8]
    ext = parts.DEFAULT_GEOMETRY.transform_extension(8)
    tq = parts.limb_quads(target[sk.R_ELBOW], target[sk.R_WRIST], parts.torso_scales(target), ext)
    sq = parts.limb_quads(source[sk.L_ELBOW], source[sk.L_WRIST], parts.torso_scales(source), ext)
    reference = transform.estimate_transform("affine", src=tq, dst=sq).params[:2]
    assert np.allclose(affines[8], reference, atol=1e-6)

    both_missing = no_right_forearm.copy()
    both_missing[sk.L_WRIST] = np.nan
    affines, valid = parts.part_affines(both_missing, target)
    assert not valid[8] and not valid[9]
    assert np.array_equal(affines[8], parts.NO_OP)

    target_missing = target.copy()
    target_missing[sk.L_ELBOW] = np.nan
    affines, valid = parts.part_affines(source, target_missing)
    assert not valid[7] and not valid[9]
    theta = parts.affine_to_theta(torch.from_numpy(affines[7])[None], (128, 64), (128, 64))
    assert parts.warp(torch.ones(1, 3, 128, 64), theta).abs().max() == 0


def test_batched_affines_equal_pairwise():
    poses = np.stack(list(sk.read_pose_csv(_market_csv()).values())[:40])
    batched, valid = parts.part_affines(poses[0], poses[1:])
    for i in range(1, 40):
        single, single_valid = parts.part_affines(poses[0], poses[i])
        assert np.array_equal(single_valid, valid[i - 1])
        assert np.allclose(single, batched[i - 1])


def test_part_masks_match_skimage_polygons_and_hand_made_head_box():
    poses = sk.read_pose_csv(_market_csv())
    pose = _full_pose(poses, 5)
    masks = parts.part_masks(pose, (128, 64))
    assert masks[0].all()
    scale = parts.torso_scales(pose)
    for part, (a, b, _) in parts.LIMB_PARTS.items():
        quad = parts.limb_quads(
            pose[a], pose[b], scale, parts.DEFAULT_GEOMETRY.mask_extension(part)
        )
        reference = measure.grid_points_in_poly((128, 64), quad[:, ::-1])
        differ = np.argwhere(masks[part] != reference)[:, ::-1].astype(np.float64)
        # Only pixel centres lying on the outline may be decided differently.
        assert (_distance_to_outline(differ, quad) < 1e-3).all(), parts.PART_NAMES[part]
        assert masks[part].sum() > 20
    head = [j for j in sk.HEAD_JOINTS if sk.present(pose)[j]]
    cx, cy = np.mean(pose[head], axis=0).astype(int)
    half = int(0.4 * scale)
    box = np.zeros((128, 64), bool)
    box[max(cy - half, 0) : cy + half, max(cx - half, 0) : cx + half] = True
    assert np.array_equal(masks[1], box)


def test_missing_parts_give_empty_masks():
    pose = sk.missing_pose()
    pose[[sk.R_SHOULDER, sk.L_SHOULDER, sk.R_HIP, sk.L_HIP]] = [
        [20, 30],
        [40, 30],
        [22, 70],
        [38, 70],
    ]
    masks = parts.part_masks(pose, (128, 64))
    assert masks[0].all()
    assert not masks[1:].any()


def test_warp_by_parts_moves_labels_with_the_body():
    poses = sk.read_pose_csv(_market_csv())
    source, target = _full_pose(poses, 4), _full_pose(poses, 9)
    size = (128, 64)
    masks_source = parts.part_masks(source, size)
    # A label map that is 1 on the source's right forearm quad only.
    forearm = torch.from_numpy(masks_source[8].astype(np.float32))[None, None]
    moved = parts.warp_by_parts(forearm, source[None], target[None], size)[0, 0].numpy() > 0.5
    expected = parts.part_masks(target, size)[8]
    iou = (moved & expected).sum() / (moved | expected).sum()
    assert iou > 0.6, iou


@pytest.mark.gpu
def test_warp_on_cuda_equals_cpu():
    if not torch.cuda.is_available():
        pytest.skip("CUDA not available")
    rng = np.random.default_rng(3)
    images = torch.from_numpy(rng.random((2, 3, 64, 32))).float()
    matrices = np.stack([[_random_affine(rng, 64, 32) for _ in range(10)] for _ in range(2)])
    thetas = parts.affine_to_theta(torch.from_numpy(matrices), (64, 32), (64, 32))
    cpu = parts.warp_parts(images, thetas)
    gpu = parts.warp_parts(images.cuda(), thetas.cuda()).cpu()
    assert torch.allclose(cpu, gpu, atol=1e-5)


def _market_csv():
    from conftest import SHARED_POSES_DIR

    path = SHARED_POSES_DIR / "market-annotation-train.csv"
    if not path.exists():
        pytest.skip(f"shared pose data not found at {path}")
    return path


def test_label_warp_is_identity_for_the_same_pose_and_a_shift_for_a_shifted_pose():
    from helpers import draw_parsing

    pose = _full_pose(sk.read_pose_csv(_market_csv()), 6)
    parsing = draw_parsing(pose, (128, 64), "short", "skirt")
    np.testing.assert_array_equal(part_composite.warp_labels_by_parts(parsing, pose, pose), parsing)
    shifted = pose + np.array([3.0, 5.0], np.float32)
    moved = part_composite.warp_labels_by_parts(parsing, pose, shifted)
    expected = np.zeros_like(parsing)
    expected[5:, 3:] = parsing[:-5, :-3]
    np.testing.assert_array_equal(moved, expected)


def test_image_warp_of_a_shifted_pose_is_the_shifted_image():
    from helpers import draw_parsing

    pose = _full_pose(sk.read_pose_csv(_market_csv()), 6)
    parsing = draw_parsing(pose, (128, 64), "short", "skirt")
    rng = np.random.default_rng(12)
    image = rng.integers(0, 255, (128, 64, 3), dtype=np.uint8)
    shifted = pose + np.array([3.0, 5.0], np.float32)
    moved = part_composite.warp_image_by_parts(image, parsing, pose, shifted)
    expected = np.zeros_like(image)
    expected[5:, 3:] = image[:-5, :-3]
    np.testing.assert_array_equal(moved, expected)
    np.testing.assert_array_equal(
        part_composite.warp_image_by_parts(image, parsing, pose, pose), image
    )
