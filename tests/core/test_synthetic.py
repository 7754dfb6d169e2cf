"""Synthetic people: layout, determinism, and ground truth checked against independent facts."""

from __future__ import annotations

import csv
import json
import threading
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from spt_core import labels as lb
from spt_core import skeleton as sk
from spt_core.data.synth.geometry import Frame, capsule, sample_frame, window
from spt_core.data.synth.outfit import LOWER_TYPES, SLEEVE_TYPES, sample_outfit
from spt_core.data.synth.posing import View, classify_view
from spt_core.data.synth.render import Canvas, render_person
from spt_core.data.synthetic import generate_dataset, make_outfit, render_image, write_preview
from spt_core.io_utils import read_image_rgb

SIZE = (128, 64)


def _pose(points: dict[int, tuple[float, float]]) -> np.ndarray:
    pose = sk.missing_pose()
    for joint, xy in points.items():
        pose[joint] = xy
    return pose


def _frontal() -> np.ndarray:
    return _pose(
        {
            0: (32, 14),
            1: (32, 26),
            2: (22, 27),
            3: (19, 44),
            4: (18, 60),
            5: (42, 27),
            6: (45, 44),
            7: (46, 60),
            8: (26, 62),
            9: (26, 88),
            10: (26, 114),
            11: (38, 62),
            12: (38, 88),
            13: (38, 114),
            14: (30, 12),
            15: (34, 12),
            16: (27, 13),
            17: (37, 13),
        }
    )


def _poses() -> dict[str, np.ndarray]:
    """Hand-made 128x64 poses: standing, arms out, walking, arms crossed, a back view."""
    standing = _frontal()
    arms_out = standing.copy()
    arms_out[[3, 4]] = [(12, 34), (4, 40)]
    arms_out[[6, 7]] = [(52, 34), (60, 40)]
    walking = standing.copy()
    walking[[9, 10]] = [(22, 88), (18, 112)]
    walking[[12, 13]] = [(42, 87), (46, 112)]
    crossed = standing.copy()
    crossed[[3, 4]] = [(21, 45), (38, 48)]
    crossed[[6, 7]] = [(43, 45), (26, 50)]
    back = sk.mirror_pose(standing, SIZE[1])
    back[[sk.NOSE, sk.R_EYE, sk.L_EYE]] = np.nan  # ears only: how back views show in the data
    no_wrist = standing.copy()
    no_wrist[sk.L_WRIST] = np.nan  # unusable: a body joint is missing
    return {
        "standing.jpg": standing,
        "arms_out.jpg": arms_out,
        "walking.jpg": walking,
        "crossed.jpg": crossed,
        "back.jpg": back,
        "no_wrist.jpg": no_wrist,
    }


@pytest.fixture(scope="module")
def pose_csv(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("poses") / "poses.csv"
    sk.write_pose_csv(path, _poses())
    return path


@pytest.fixture(scope="module")
def dataset(tmp_path_factory, pose_csv) -> tuple[Path, dict]:
    root = tmp_path_factory.mktemp("synth") / "set"
    report = generate_dataset(
        root, 20, SIZE, seed=7, poses_per_identity=4, pose_csv=pose_csv, workers=1
    )
    return root, report


def _record(root: Path) -> dict:
    return json.loads((root / "synth.json").read_text())


def _files(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


# --------------------------------------------------------------------------------------------
# Layout


def test_layout_names_and_sizes(dataset):
    root, report = dataset
    names = sorted(p.name for p in (root / "images").glob("*.png"))
    assert len(names) == 20 and report["count"] == 20 and report["identities"] == 5
    assert names[0] == "00000_00.png" and names[-1] == "00004_03.png"
    assert sorted(p.name for p in (root / "parsing").glob("*.png")) == names
    for name in names:
        assert read_image_rgb(root / "images" / name).shape == (128, 64, 3)
        parsing = lb.read_parsing(root / "parsing" / name, expected_size=SIZE)
        assert set(np.unique(parsing)) <= set(range(10))
    record = _record(root)
    assert record["size"] == [128, 64] and record["seed"] == 7 and record["count"] == 20
    assert record["pose_source"]["skipped_missing_joints"] == 1  # the no_wrist pose
    assert set(record["identities"]) == {f"{i:05d}" for i in range(5)}
    for outfit in record["identities"].values():
        assert outfit["types"]["sleeves"] in SLEEVE_TYPES
        assert outfit["types"]["lower"] in LOWER_TYPES


def test_last_identity_holds_the_remainder(tmp_path, pose_csv):
    report = generate_dataset(
        tmp_path / "set", 7, SIZE, seed=1, poses_per_identity=3, pose_csv=pose_csv, workers=1
    )
    names = sorted(p.name for p in (tmp_path / "set" / "images").glob("*.png"))
    assert names[-1] == "00002_00.png" and report["identities"] == 3
    assert report["pairs"] == 3 * 2 + 3 * 2 + 0


def test_refuses_a_non_empty_folder_unless_overwrite(tmp_path, pose_csv):
    (tmp_path / "other.txt").write_text("keep me")
    with pytest.raises(FileExistsError):
        generate_dataset(tmp_path, 2, SIZE, pose_csv=pose_csv, workers=1)
    root = tmp_path / "set"
    generate_dataset(root, 4, SIZE, pose_csv=pose_csv, workers=1)
    generate_dataset(root, 2, SIZE, pose_csv=pose_csv, workers=1, overwrite=True)
    assert len(list((root / "images").glob("*.png"))) == 2


def test_bad_arguments(tmp_path, pose_csv):
    with pytest.raises(ValueError):
        generate_dataset(tmp_path / "a", 0, SIZE, pose_csv=pose_csv)
    with pytest.raises(ValueError):
        generate_dataset(tmp_path / "b", 4, SIZE, poses_per_identity=0, pose_csv=pose_csv)


# --------------------------------------------------------------------------------------------
# Determinism


def test_same_seed_gives_the_same_bytes_for_any_worker_count(tmp_path, pose_csv):
    kwargs = dict(count=6, size=SIZE, seed=3, poses_per_identity=2, pose_csv=pose_csv)
    generate_dataset(tmp_path / "one", workers=1, **kwargs)
    generate_dataset(tmp_path / "again", workers=1, **kwargs)
    generate_dataset(tmp_path / "two", workers=2, **kwargs)
    # From a non-main thread (as a GUI worker calls it) the pool uses spawn instead of fork.
    worker = threading.Thread(
        target=generate_dataset, args=(tmp_path / "threaded",), kwargs={"workers": 2, **kwargs}
    )
    worker.start()
    worker.join()
    one = _files(tmp_path / "one")
    assert len(one) == 2 * 6 + 3
    assert one == _files(tmp_path / "again")
    assert one == _files(tmp_path / "two")
    assert one == _files(tmp_path / "threaded")
    generate_dataset(tmp_path / "other", workers=1, **{**kwargs, "seed": 4})
    assert _files(tmp_path / "other")["images/00000_00.png"] != one["images/00000_00.png"]


# --------------------------------------------------------------------------------------------
# Annotations and pairs


def test_annotations_round_trip_and_keep_missing_head_joints(dataset, pose_csv):
    root, _ = dataset
    poses = sk.read_pose_csv(root / "annotations.csv")
    sources = sk.read_pose_csv(pose_csv)
    images = _record(root)["images"]
    assert sorted(poses) == sorted(p.name for p in (root / "images").glob("*.png"))
    for name, pose in poses.items():
        ok = sk.present(pose)
        assert ok[1:14].all()
        assert (pose[ok] >= 0).all() and (pose[ok, 0] <= 63).all() and (pose[ok, 1] <= 127).all()
        source = sources[images[name]["source_pose"]]
        assert (ok == sk.present(source)).all()  # head joints missing in the source stay missing


def test_pairs_are_all_ordered_same_identity_pairs(dataset):
    root, _ = dataset
    with open(root / "pairs.csv", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == ["from", "to"]
    pairs = {tuple(r) for r in rows[1:]}
    assert len(pairs) == len(rows) - 1 == 5 * 4 * 3
    names = sorted(p.name for p in (root / "images").glob("*.png"))
    expected = {
        (a, b) for a in names for b in names if a != b and a.split("_")[0] == b.split("_")[0]
    }
    assert pairs == expected


# --------------------------------------------------------------------------------------------
# Content


def test_poses_of_one_identity_differ(dataset):
    root, _ = dataset
    poses = sk.read_pose_csv(root / "annotations.csv")
    first = read_image_rgb(root / "images" / "00001_00.png").astype(float)
    for k in (1, 2, 3):
        other = read_image_rgb(root / "images" / f"00001_0{k}.png").astype(float)
        assert np.abs(first - other).mean() > 5.0
        assert np.abs(poses["00001_00.png"] - poses[f"00001_0{k}.png"])[1:14].max() >= 1


def test_keypoints_lie_on_the_drawn_body(dataset):
    root, _ = dataset
    poses = sk.read_pose_csv(root / "annotations.csv")
    arm_like = {lb.LEFT_ARM, lb.RIGHT_ARM, lb.UPPER_CLOTHES}
    on_arm = total = on_head = head_total = 0
    for name, pose in poses.items():
        parsing = lb.read_parsing(root / "parsing" / name)
        for joint in (2, 4, 5, 7, 8, 10, 11, 13):
            x, y = (int(v) for v in pose[joint])
            assert parsing[y, x] != lb.BACKGROUND, (name, sk.JOINT_NAMES[joint])
        for joint in (sk.R_WRIST, sk.L_WRIST):
            x, y = (int(v) for v in pose[joint])
            on_arm += int(parsing[y, x] in arm_like)
            total += 1
        for joint in np.flatnonzero(sk.present(pose)[list(sk.HEAD_JOINTS)]):
            x, y = (int(v) for v in pose[sk.HEAD_JOINTS[joint]])
            on_head += int(parsing[y, x] in (lb.FACE, lb.HAIR))
            head_total += 1
    assert on_arm >= 0.8 * total
    assert head_total > 40 and on_head >= 0.9 * head_total


def test_parsing_matches_the_garment_types(dataset):
    root, _ = dataset
    record = _record(root)
    for name in record["images"]:
        parsing = lb.read_parsing(root / "parsing" / name)
        counts = np.bincount(parsing.ravel(), minlength=10)
        lower = record["identities"][name.split("_")[0]]["types"]["lower"]
        if lower == "skirt":
            assert counts[lb.SKIRT] > 30 and counts[lb.PANTS] == 0, name
        else:
            assert counts[lb.PANTS] > 30 and counts[lb.SKIRT] == 0, name
        assert counts[lb.UPPER_CLOTHES] > 100
        assert counts[lb.FACE] + counts[lb.HAIR] > 20


def test_garment_types_are_balanced_in_blocks_of_nine():
    types = [make_outfit(11, i).garment_types() for i in range(18)]
    for block in (types[:9], types[9:]):
        assert len({(t["sleeves"], t["lower"]) for t in block}) == 9


def _render(outfit, pose: np.ndarray, seed: int = 0):
    return render_image(outfit, pose, SIZE, np.random.default_rng(seed))


def _swapped(seed: int, garments: tuple[str, str], part: str, other: tuple[str, str]):
    """An outfit sampled with (sleeves, lower) ``garments`` and the same outfit with its
    ``part`` ("upper" or "lower") taken from the one sampled with ``other``, same seed."""
    outfit = sample_outfit(np.random.default_rng(seed), 0, *garments)
    swapped = getattr(sample_outfit(np.random.default_rng(seed), 0, *other), part)
    return outfit, replace(outfit, **{part: swapped})


def test_long_sleeves_hide_most_arm_skin():
    tank, long_sleeved = _swapped(5, ("none", "pants"), "upper", ("long", "pants"))
    arms_out = _poses()["arms_out.jpg"]
    _, tank_parsing, tank_pose, _ = _render(tank, arms_out)
    _, long_parsing, long_pose, _ = _render(long_sleeved, arms_out)
    assert np.array_equal(tank_pose, long_pose)  # the same pose, only the top differs
    skin = [lb.LEFT_ARM, lb.RIGHT_ARM]
    tank_skin = np.isin(tank_parsing, skin).sum()
    long_skin = np.isin(long_parsing, skin).sum()
    assert tank_skin > 150
    assert long_skin < 0.35 * tank_skin  # only the hands remain
    # The skin went under cloth, not away: sleeves add upper-clothes pixels.
    gained = (long_parsing == lb.UPPER_CLOTHES).sum() - (tank_parsing == lb.UPPER_CLOTHES).sum()
    assert gained > 0.6 * (tank_skin - long_skin)


def test_skirt_replaces_pants_labels_in_the_same_pose():
    trousers, skirted = _swapped(2, ("short", "pants"), "lower", ("short", "skirt"))
    pose = _poses()["walking.jpg"]
    _, with_pants, _, _ = _render(trousers, pose)
    _, with_skirt, _, _ = _render(skirted, pose)
    assert (with_pants == lb.PANTS).sum() > 200 and (with_pants == lb.SKIRT).sum() == 0
    assert (with_skirt == lb.SKIRT).sum() > 150 and (with_skirt == lb.PANTS).sum() == 0


def test_logo_prints_on_the_front_only():
    outfit = next(o for o in (make_outfit(0, i) for i in range(60)) if o.upper.logo is not None)
    plain = replace(outfit, upper=replace(outfit.upper, logo=None))
    for pose_name, shows in (("standing.jpg", True), ("back.jpg", False)):
        pose = _poses()[pose_name]
        with_logo, _, _, meta = _render(outfit, pose)
        without, _, _, _ = _render(plain, pose)
        assert meta["view"] == ("front" if shows else "back")
        assert (not np.array_equal(with_logo, without)) == shows


def test_cloth_is_not_rigid_between_images():
    """Same joints, other image randomness: rigid texture and a fixed light would repeat exactly."""
    outfit = make_outfit(0, 0)
    outfit = replace(outfit, upper=replace(outfit.upper, pattern=sample_stripes()))
    pose = _poses()["standing.jpg"]
    view = View("front", 1, 0.0, True)
    renders = []
    for seed in (1, 2):
        black = np.zeros(SIZE + (3,), np.float32)
        rgb, parsing = render_person(black, outfit, pose, view, np.random.default_rng(seed))
        renders.append((rgb, parsing))
    (a, pa), (b, pb) = renders
    torso = (pa == lb.UPPER_CLOTHES) & (pb == lb.UPPER_CLOTHES)
    assert torso.sum() > 300
    assert np.abs(a - b)[torso].mean() > 0.03


def sample_stripes():
    from spt_core.data.synth.textures import Pattern

    return Pattern("stripes", ((0.9, 0.9, 0.9), (0.1, 0.1, 0.5)), period=0.2, duty=0.5)


# --------------------------------------------------------------------------------------------
# Views


def test_view_rules():
    rng = np.random.default_rng(0)
    front = _frontal()
    assert classify_view(front, rng).kind == "front"
    reversed_shoulders = front.copy()
    reversed_shoulders[[2, 5]] = reversed_shoulders[[5, 2]]
    assert classify_view(reversed_shoulders, rng).kind == "back"
    ears_only = front.copy()
    ears_only[[0, 14, 15]] = np.nan
    assert classify_view(ears_only, rng).kind == "back"
    narrow = front.copy()
    narrow[2], narrow[5] = (30, 27), (34, 27)  # width 4 px for a 36 px torso
    side = classify_view(narrow, rng)
    assert side.kind == "side" and side.face


# --------------------------------------------------------------------------------------------
# Geometry and compositing


def test_capsule_labels_match_the_distance_to_the_segment():
    a, b = np.array([10.3, 12.0]), np.array([30.0, 40.5])
    shape = capsule((64, 48), a, b, 5.0, 5.0)
    ys, xs = np.mgrid[shape.win.rows, shape.win.cols]
    points = np.stack([xs, ys], axis=-1).astype(float)
    t = np.clip(((points - a) @ (b - a)) / ((b - a) @ (b - a)), 0, 1)
    distance = np.linalg.norm(points - (a + t[..., None] * (b - a)), axis=-1)
    assert np.array_equal(shape.sdf <= 0, distance <= 5.0)


def test_frame_coordinates_invert_the_bilinear_map():
    frame = Frame(
        np.array([30.0, 20.0]), np.array([34.0, 60.0]), np.array([12.0, 1.0]), np.array([8.0, -2.0])
    )
    for u, s in ((0.0, 0.0), (0.3, -0.7), (0.9, 0.95), (0.5, 0.2)):
        x, y = frame.point(u, s)
        win = window((x, y, x, y), (100, 80))
        sample = sample_frame(frame, win)
        row, col = int(round(y)) - win.rows.start, int(round(x)) - win.cols.start
        px, py = frame.point(float(sample.u[row, col]), float(sample.s[row, col]))
        assert abs(px - round(x)) < 1e-3 and abs(py - round(y)) < 1e-3


def _segment_distance(a, b, shape) -> np.ndarray:
    a, b = np.asarray(a, float), np.asarray(b, float)
    ys, xs = np.mgrid[0 : shape[0], 0 : shape[1]]
    points = np.stack([xs, ys], axis=-1).astype(float)
    t = np.clip(((points - a) @ (b - a)) / ((b - a) @ (b - a)), 0, 1)
    return np.linalg.norm(points - (a + t[..., None] * (b - a)), axis=-1)


def test_later_shapes_own_the_pixels_they_cover():
    canvas = Canvas(np.zeros((40, 40, 3), np.float32))
    first = capsule((40, 40), (10.2, 20.4), (30.1, 20.0), 6.3, 6.3)
    second = capsule((40, 40), (20.3, 5.0), (19.6, 35.2), 4.2, 4.2)
    canvas.paint(first.win, first.sdf, np.ones(first.sdf.shape + (3,), np.float32), 3)
    canvas.paint(second.win, second.sdf, np.zeros(second.sdf.shape + (3,), np.float32) + 0.5, 6)
    # The label is the last shape whose geometry covers the pixel centre, nothing wider.
    in_first = _segment_distance((10.2, 20.4), (30.1, 20.0), (40, 40)) <= 6.3
    in_second = _segment_distance((20.3, 5.0), (19.6, 35.2), (40, 40)) <= 4.2
    expected = np.where(in_second, 6, np.where(in_first, 3, 0))
    assert np.array_equal(canvas.labels, expected)
    np.testing.assert_allclose(canvas.rgb[20, 20], 0.5)  # fully covered: the top colour
    np.testing.assert_allclose(canvas.rgb[20, 12], 1.0)
    np.testing.assert_allclose(canvas.rgb[2, 2], 0.0)


# --------------------------------------------------------------------------------------------
# Preview and real poses


def test_preview_groups_identities(dataset, tmp_path):
    root, _ = dataset
    sheet = read_image_rgb(write_preview(root, tmp_path / "sheet.png", n=8, seed=0))
    # Two identities of four images; each image is three 64-wide panels at scale 3, plus gaps.
    assert sheet.shape[0] == 2 * (128 * 3 + 4)
    assert sheet.shape[1] == 4 * (3 * 64 * 3 + 4)


def test_real_market_poses(tmp_path):
    from spt_core.data.poses import find_pose_csv

    try:
        market = find_pose_csv("market")
    except Exception:
        pytest.skip("shared Market pose CSV not available")
    report = generate_dataset(tmp_path / "set", 8, SIZE, seed=0, pose_csv=market, workers=1)
    assert report["pose_pool"]["usable"] > 1000
    assert report["pose_pool"]["skipped_missing_joints"] > 0
