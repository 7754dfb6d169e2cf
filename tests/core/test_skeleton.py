"""Keypoints: names and tables, PG2 CSV files, heat maps, PG2 pose masks, mirroring.

Every check compares against something computed another way: numbers typed in from the files
or the method, a literal re-implementation of PG2's ``getPoseMask``, or a hand calculation.
"""

from __future__ import annotations

import json
import math
import pickle
from pathlib import Path

import numpy as np
import pytest
import torch
from skimage.draw import disk
from skimage.morphology import dilation, erosion

from spt_core import skeleton as sk
from spt_core.errors import DataError

MARKET_CSV = "market-annotation-train.csv"
FASHION_CSV = "fasion-annotation-new-split.csv"

# --------------------------------------------------------------------------------------------
# Reference data typed in by hand


#: Method §1.3 / the shared data README, in order.
METHOD_JOINTS = [
    "nose", "neck", "right_shoulder", "right_elbow", "right_wrist", "left_shoulder",
    "left_elbow", "left_wrist", "right_hip", "right_knee", "right_ankle", "left_hip",
    "left_knee", "left_ankle", "right_eye", "left_eye", "right_ear", "left_ear",
]  # fmt: skip

#: PG2's limbSeq for the pose mask, 1-indexed, as written in PG2 / SPT util/getPoseMask.py.
PG2_LIMB_SEQ = [
    [2, 3], [2, 6], [3, 4], [4, 5], [6, 7], [7, 8], [2, 9], [9, 10], [10, 11], [2, 12],
    [12, 13], [13, 14], [2, 1], [1, 15], [15, 17], [1, 16], [16, 18], [2, 17], [2, 18],
    [9, 12], [12, 6], [9, 3], [17, 18],
]  # fmt: skip

#: Method §1.3 skeleton-drawing list (0-indexed).
METHOD_LIMBS = (
    "1-2 1-5 2-3 3-4 5-6 6-7 1-8 8-9 9-10 1-11 11-12 12-13 1-0 0-14 14-16 0-15 15-17 2-16 5-17"
)

# Rows typed in from the shared files (-1 = missing).
MARKET_ROW_1 = (
    "0224_c6s1_055726_02.jpg",
    [8, 23, 23, 43, 60, 23, 43, 60, 64, 92, 118, 65, 89, 108, 5, 6, 7, 8],
    [39, 37, 20, 12, 8, 53, 59, 53, 22, 24, 24, 43, 43, 45, 36, 42, 31, 47],
)
MARKET_ROW_2 = (
    "1123_c2s2_161352_01.jpg",
    [-1, 25, 24, 40, 43, 24, 42, 47, 61, 90, 120, 60, 85, 112, -1, -1, 11, 11],
    [-1, 35, 49, 58, 46, 21, 15, 5, 42, 41, 43, 22, 15, 27, -1, -1, 39, 26],
)
FASHION_ROW_1 = (
    "fasionMENJacketsVestsid0000333606_6flat.jpg",
    [-1, 82, 82, 147, 212, 83, 142, 216, 219, -1, -1, 219, -1, -1, -1, -1, 46, -1],
    [-1, 126, 83, 195, 184, 83, 191, 68, 160, -1, -1, 95, -1, -1, -1, -1, 148, -1],
)


# --------------------------------------------------------------------------------------------
# Fixtures


@pytest.fixture(scope="module")
def market_path(shared_poses_dir: Path) -> Path:
    return shared_poses_dir / MARKET_CSV


@pytest.fixture(scope="module")
def fashion_path(shared_poses_dir: Path) -> Path:
    return shared_poses_dir / FASHION_CSV


@pytest.fixture(scope="module")
def market_poses(market_path: Path) -> dict[str, np.ndarray]:
    return sk.read_pose_csv(market_path)


@pytest.fixture(scope="module")
def fashion_poses(fashion_path: Path) -> dict[str, np.ndarray]:
    return sk.read_pose_csv(fashion_path)


def _poses_of(file_name: str, request: pytest.FixtureRequest) -> dict[str, np.ndarray]:
    """The module-wide parsed file (each CSV is read once per test run)."""
    return request.getfixturevalue("market_poses" if file_name == MARKET_CSV else "fashion_poses")


def _raw_rows(path: Path) -> list[tuple[str, list[int], list[int]]]:
    """The CSV parsed with nothing from spt_core: (name, ys, xs) with -1 kept."""
    rows = []
    for line in path.read_text().splitlines()[1:]:
        name, ys, xs = line.split(": ")
        rows.append((name, json.loads(ys), json.loads(xs)))
    return rows


def _expected_pose(ys: list[int], xs: list[int]) -> np.ndarray:
    pose = np.full((18, 2), np.nan, dtype=np.float32)
    for j, (y, x) in enumerate(zip(ys, xs, strict=True)):
        if y != -1:
            pose[j] = (x, y)
    return pose


# --------------------------------------------------------------------------------------------
# Tables


def test_joint_names_follow_the_method_order():
    assert list(sk.JOINT_NAMES) == METHOD_JOINTS
    assert all(sk.JOINT_INDEX[name] == i for i, name in enumerate(METHOD_JOINTS))
    assert (sk.R_SHOULDER, sk.L_HIP, sk.R_EAR, sk.L_EAR) == (2, 11, 16, 17)


def test_mask_segments_are_pg2s_23_segments():
    assert len(sk.MASK_SEGMENTS) == 23
    assert list(sk.MASK_SEGMENTS) == [(a - 1, b - 1) for a, b in PG2_LIMB_SEQ]


def test_limbs_are_the_method_drawing_list():
    expected = [tuple(int(v) for v in pair.split("-")) for pair in METHOD_LIMBS.split()]
    assert list(sk.LIMBS) == expected


def test_mirror_pairs_are_right_and_left_of_the_same_joint():
    for right, left in sk.MIRROR_PAIRS:
        right_name, left_name = sk.JOINT_NAMES[right], sk.JOINT_NAMES[left]
        assert right_name.startswith("right_"), right_name
        assert left_name == "left_" + right_name.removeprefix("right_")
    sided = {i for i, name in enumerate(sk.JOINT_NAMES) if name.startswith(("left_", "right_"))}
    assert {j for pair in sk.MIRROR_PAIRS for j in pair} == sided
    assert len(sided) == 16


# --------------------------------------------------------------------------------------------
# Mirroring


def test_mirror_swaps_named_joints_and_flips_x():
    _, ys, xs = MARKET_ROW_2
    pose = _expected_pose(ys, xs)
    width = 64
    mirrored = sk.mirror_pose(pose, width)
    # The left shoulder of the flipped image is the right shoulder (x=49, y=24) flipped.
    np.testing.assert_array_equal(mirrored[sk.JOINT_INDEX["left_shoulder"]], [63 - 49, 24])
    np.testing.assert_array_equal(mirrored[sk.JOINT_INDEX["right_shoulder"]], [63 - 21, 24])
    np.testing.assert_array_equal(mirrored[sk.JOINT_INDEX["neck"]], [63 - 35, 25])
    np.testing.assert_array_equal(mirrored[sk.JOINT_INDEX["right_wrist"]], [63 - 5, 47])
    np.testing.assert_array_equal(mirrored[sk.JOINT_INDEX["left_ear"]], [63 - 39, 11])
    # Missing joints (nose, both eyes) stay missing, on the swapped side too.
    for name in ("nose", "right_eye", "left_eye"):
        assert np.isnan(mirrored[sk.JOINT_INDEX[name]]).all()
    assert mirrored.dtype == np.float32


def test_mirror_twice_is_identity_and_keeps_nan(market_poses):
    batch = np.stack(list(market_poses.values())[:200])
    assert np.isnan(batch).any()
    twice = sk.mirror_pose(sk.mirror_pose(batch, 64), 64)
    np.testing.assert_array_equal(twice, batch)  # NaN compares equal here
    np.testing.assert_array_equal(
        np.isnan(sk.mirror_pose(batch, 64)), np.isnan(batch[:, sk.MIRROR_INDEX])
    )


def test_pose_helpers_by_hand():
    pose = sk.missing_pose()
    assert not sk.present(pose).any() and not sk.has_torso(pose)
    pose[sk.R_SHOULDER], pose[sk.L_SHOULDER] = (10, 10), (30, 10)
    pose[sk.R_HIP], pose[sk.L_HIP] = (13, 14), (30, 22)  # bones of length 5 and 12
    assert sk.has_torso(pose)
    assert sk.torso_scale(pose) == pytest.approx(math.sqrt((25 + 144) / 2))
    half = sk.as_pose([[1.0, np.nan]] + [[2.0, 3.0]] * 17)
    assert np.isnan(half[0]).all() and sk.present(half).sum() == 17
    np.testing.assert_array_equal(sk.scale_pose(pose, 2.0, 0.5)[sk.L_HIP], [60, 11])


# --------------------------------------------------------------------------------------------
# PG2 CSV: real files


@pytest.mark.parametrize(
    ("file_name", "row", "count"),
    [
        (MARKET_CSV, MARKET_ROW_1, 12936),
        (MARKET_CSV, MARKET_ROW_2, 12936),
        (FASHION_CSV, FASHION_ROW_1, 8146),
    ],
)
def test_known_rows_read_with_nan_for_missing(file_name, row, count, request):
    poses = _poses_of(file_name, request)
    assert len(poses) == count
    name, ys, xs = row
    pose = poses[name]
    assert pose.shape == (18, 2) and pose.dtype == np.float32
    missing = [j for j, y in enumerate(ys) if y == -1]
    assert np.flatnonzero(~sk.present(pose)).tolist() == missing
    for j, (y, x) in enumerate(zip(ys, xs, strict=True)):
        if y != -1:
            assert (pose[j, 0], pose[j, 1]) == (x, y)


def test_all_missing_row_reads_as_all_nan(market_poses, fashion_poses):
    assert np.isnan(market_poses["1218_c6s4_018227_05.jpg"]).all()
    assert np.isnan(fashion_poses["fasionMENShirtsPolosid0000089804_7additional.jpg"]).all()


@pytest.mark.parametrize("file_name", [MARKET_CSV, FASHION_CSV])
def test_minus_one_is_never_a_coordinate(shared_poses_dir, file_name, request):
    path = shared_poses_dir / file_name
    poses = _poses_of(file_name, request)
    stacked = np.stack(list(poses.values()))
    assert np.nanmin(stacked) >= 0
    # Every "-1" token in the text is one missing coordinate, and only those are NaN.
    body = path.read_text().split("\n", 1)[1]
    assert np.isnan(stacked).sum() == body.count("-1")
    raw = _raw_rows(path)
    assert [name for name, _, _ in raw] == list(poses)
    for name, ys, xs in raw[:: max(1, len(raw) // 300)]:
        np.testing.assert_array_equal(poses[name], _expected_pose(ys, xs))


@pytest.mark.parametrize("file_name", [MARKET_CSV, FASHION_CSV])
def test_real_csv_round_trips_byte_identical(shared_poses_dir, tmp_path, file_name, request):
    original = shared_poses_dir / file_name
    poses = _poses_of(file_name, request)
    copy = tmp_path / file_name
    sk.write_pose_csv(copy, poses)
    assert copy.read_bytes() == original.read_bytes()
    again = sk.read_pose_csv(copy)
    assert list(again) == list(poses)
    np.testing.assert_array_equal(np.stack(list(again.values())), np.stack(list(poses.values())))


def test_written_rows_have_the_pg2_layout(tmp_path):
    name, ys, xs = MARKET_ROW_2
    path = tmp_path / "one.csv"
    sk.write_pose_csv(path, {name: _expected_pose(ys, xs)})
    expected = f"name:keypoints_y:keypoints_x\n{name}: {ys}: {xs}\n"
    assert path.read_text() == expected
    # Sub-pixel coordinates are rounded to whole pixels on the way out.
    pose = _expected_pose(ys, xs)
    pose[1] = (35.4, 24.6)
    assert sk.format_pose_row("a.jpg", pose).split(": ")[1].startswith("[-1, 25, 24,")


def test_byte_order_mark_is_accepted(tmp_path):
    name, ys, xs = MARKET_ROW_1
    path = tmp_path / "bom.csv"
    path.write_bytes(f"\ufeffname:keypoints_y:keypoints_x\n{name}: {ys}: {xs}\n".encode())
    np.testing.assert_array_equal(sk.read_pose_csv(path)[name], _expected_pose(ys, xs))


# --------------------------------------------------------------------------------------------
# PG2 CSV: errors name the file and the line

GOOD_Y = "[" + ", ".join(["10"] * 18) + "]"
GOOD_X = "[" + ", ".join(["5"] * 18) + "]"


def _list(values: list) -> str:
    return "[" + ", ".join(str(v) for v in values) + "]"


@pytest.mark.parametrize(
    ("bad_row", "words"),
    [
        (f"c.jpg: {_list([10] * 17)}: {GOOD_X}", "17 joints"),
        (f"c.jpg: {GOOD_Y}: {_list([5] * 19)}", "19 joints"),
        (f"c.jpg: {_list([10] * 17 + [10.5])}: {GOOD_X}", "non-integer"),
        (f"c.jpg: {_list([10] * 17 + ['NaN'])}: {GOOD_X}", "non-integer"),
        (f"c.jpg: {_list([10] * 17 + ['1e999'])}: {GOOD_X}", "non-integer"),
        ("c.jpg: " + _list([10] * 17 + ['"7"']) + f": {GOOD_X}", "non-integer"),
        (f"c.jpg: {_list([10] * 17 + ['abc'])}: {GOOD_X}", "cannot be parsed"),
        (f"c.jpg: {GOOD_Y}", "3 ':'-separated fields"),
        (f"c.jpg: {GOOD_Y}: 5, 5, 5", "not a [..] list"),
        (f": {GOOD_Y}: {GOOD_X}", "empty image name"),
        (f"a.jpg: {GOOD_Y}: {GOOD_X}", "duplicate image name 'a.jpg'"),
        (f"c.jpg: {_list([10] * 4 + [-1] + [10] * 13)}: {GOOD_X}", "joint 4 (right_wrist)"),
        (f"c.jpg: {GOOD_Y}: {_list([5] * 16 + [-1, 5])}", "only one coordinate"),
        (f"c.jpg: {_list([10] * 17 + [-2])}: {GOOD_X}", "negative"),
    ],
)
def test_bad_row_names_file_and_line(tmp_path, bad_row, words):
    path = tmp_path / "poses.csv"
    rows = [sk.CSV_HEADER, f"a.jpg: {GOOD_Y}: {GOOD_X}", "", bad_row, f"z.jpg: {GOOD_Y}: {GOOD_X}"]
    path.write_text("\n".join(rows) + "\n")
    with pytest.raises(DataError) as info:
        sk.read_pose_csv(path)
    message = str(info.value)
    assert str(path) in message
    assert "line 4" in message  # the blank line 3 still counts
    assert words in message
    assert info.value.line == 4 and info.value.path == path


@pytest.mark.parametrize(
    "content",
    ["name,keypoints_y,keypoints_x\n", "a.jpg: [1]: [1]\n", "", "name:keypoints_x:keypoints_y\n"],
)
def test_wrong_header_is_line_1(tmp_path, content):
    path = tmp_path / "poses.csv"
    path.write_text(content)
    with pytest.raises(DataError, match=r"line 1: expected the header") as info:
        sk.read_pose_csv(path)
    assert str(path) in str(info.value)


def test_missing_or_binary_csv(tmp_path):
    with pytest.raises(DataError, match="not found") as info:
        sk.read_pose_csv(tmp_path / "nowhere.csv")
    assert str(tmp_path / "nowhere.csv") in str(info.value)
    binary = tmp_path / "binary.csv"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(DataError, match="binary.csv.*UTF-8"):
        sk.read_pose_csv(binary)


def test_data_error_survives_pickling():
    error = DataError("/data/x.csv", "bad row", 7)
    copy = pickle.loads(pickle.dumps(error))
    assert str(copy) == str(error) == "/data/x.csv, line 7: bad row"
    assert (copy.path, copy.problem, copy.line) == (Path("/data/x.csv"), "bad row", 7)
    assert str(pickle.loads(pickle.dumps(DataError(None, "in memory")))) == "in memory"


def test_writer_refuses_unstorable_poses():
    pose = sk.missing_pose()
    pose[0] = (-3, 4)
    with pytest.raises(ValueError, match="negative"):
        sk.format_pose_row("a.jpg", pose)
    with pytest.raises(ValueError, match="':'"):
        sk.format_pose_row("a:b.jpg", sk.missing_pose())
    with pytest.raises(ValueError, match="shape"):
        sk.format_pose_row("a.jpg", np.zeros((17, 2)))


# --------------------------------------------------------------------------------------------
# Heat maps


def test_heatmap_values_by_hand():
    pose = sk.missing_pose()
    pose[sk.NECK] = (10, 20)  # x = 10, y = 20
    maps = sk.pose_heatmaps(pose, (40, 30), sigma=6.0)
    assert maps.shape == (18, 40, 30) and maps.dtype == np.float32
    neck = maps[sk.NECK]
    assert neck[20, 10] == pytest.approx(1.0)
    assert neck[24, 13] == pytest.approx(math.exp(-25 / 72), rel=1e-6)  # d^2 = 3^2 + 4^2
    assert neck[26, 10] == pytest.approx(math.exp(-36 / 72), rel=1e-6)
    assert neck[0, 29] == pytest.approx(math.exp(-(400 + 361) / 72), rel=1e-5)
    assert neck.max() == pytest.approx(1.0) and neck.argmax() == 20 * 30 + 10
    others = np.delete(maps, sk.NECK, axis=0)
    assert not others.any()  # missing joints give all-zero channels


def test_heatmap_sigma_stays_six_at_half_size():
    pose = sk.missing_pose()
    pose[sk.NOSE] = (32, 16)
    maps = sk.pose_heatmaps(pose, (64, 64))
    assert maps[sk.NOSE, 16, 44] == pytest.approx(math.exp(-144 / 72), rel=1e-6)


def test_torch_heatmaps_equal_numpy_on_real_poses(market_poses):
    names = list(market_poses)[:6]
    batch = np.stack([market_poses[n] for n in names])
    assert np.isnan(batch).any()
    expected = np.stack([sk.pose_heatmaps(p, (128, 64)) for p in batch])
    got = sk.pose_heatmaps_torch(torch.from_numpy(batch), (128, 64))
    assert tuple(got.shape) == (6, 18, 128, 64) and got.dtype == torch.float32
    np.testing.assert_allclose(got.numpy(), expected, atol=1e-6)
    missing = np.isnan(batch).any(-1)
    assert not got.numpy()[missing].any()


# --------------------------------------------------------------------------------------------
# PG2 pose mask against a literal re-implementation of getPoseMask


def _pg2_disc(r: float, c: float, height: int, width: int, radius: int):
    """PG2's ``getSparseKeypoint`` ('Solid'): pixels at distance <= radius from (int(r), int(c)).

    skimage.draw.disk keeps only distance < radius, so the radius is widened by less than the
    gap to the next integer distance sqrt(radius^2 + 1).
    """
    return disk((int(r), int(c)), math.sqrt(radius**2 + 0.5), shape=(height, width))


def _pg2_pose_mask(peaks: list[tuple[int, int]], height: int, width: int, radius: int):
    """PG2 ``getPoseMask``; peaks are (row, col) per joint with -1 for missing, as in PG2."""
    dense = np.zeros((height, width), dtype=np.float64)

    def isvalid(p):
        return p[0] != -1 and p[1] != -1

    for limb in PG2_LIMB_SEQ:
        p0, p1 = peaks[limb[0] - 1], peaks[limb[1] - 1]
        if isvalid(p0) and isvalid(p1):
            r0, c0 = p0
            r1, c1 = p1
            dense[_pg2_disc(r0, c0, height, width, radius)] = 1
            dense[_pg2_disc(r1, c1, height, width, radius)] = 1
            distance = np.sqrt((r0 - r1) ** 2 + (c0 - c1) ** 2)
            sample_n = int(distance / radius)
            if sample_n > 1:
                for i in range(1, sample_n):
                    r = r0 + (r1 - r0) * i / sample_n
                    c = c0 + (c1 - c0) * i / sample_n
                    dense[_pg2_disc(r, c, height, width, radius)] = 1
    square5 = np.ones((5, 5), dtype=bool)
    dense = dilation(dense, square5)
    dense = erosion(dense, square5)
    return dense


@pytest.mark.parametrize("radius", [4, 8])
def test_reference_disc_is_pg2s_inclusive_loop(radius):
    height, width = 40, 30
    for r, c in [(20, 15), (1, 28), (39, 0)]:
        loop = np.zeros((height, width), bool)
        for i in range(-radius, radius + 1):
            for j in range(-radius, radius + 1):
                inside_image = 0 <= r + i < height and 0 <= c + j < width
                if inside_image and np.sqrt(float(i**2 + j**2)) <= radius:
                    loop[r + i, c + j] = True
        ref = np.zeros_like(loop)
        ref[_pg2_disc(r, c, height, width, radius)] = True
        np.testing.assert_array_equal(ref, loop)


def _rows_for_mask(path: Path, radius: int, height: int, width: int) -> list:
    """A few plain rows, plus rows whose discs reach the image border (the hard cases)."""
    raw = _raw_rows(path)
    plain = [row for row in raw if sum(y != -1 for y in row[1]) >= 12][:3]

    def near_border(row) -> bool:
        _, ys, xs = row
        return any(
            y != -1 and min(y, x, height - 1 - y, width - 1 - x) <= radius
            for y, x in zip(ys, xs, strict=True)
        )

    border = [row for row in raw if near_border(row)][:3]
    assert len(plain) == 3 and len(border) == 3
    with_missing = [row for row in raw[:40] if -1 in row[1]][:2]
    unique = {row[0]: row for row in plain + border + with_missing}
    return list(unique.values())


@pytest.mark.parametrize(
    ("file_name", "size", "radius"),
    [(MARKET_CSV, (128, 64), 4), (FASHION_CSV, (256, 256), 8), (MARKET_CSV, (128, 64), 7)],
)
def test_pose_mask_equals_pg2(shared_poses_dir, file_name, size, radius, request):
    height, width = size
    path = shared_poses_dir / file_name
    poses = _poses_of(file_name, request)
    for name, ys, xs in _rows_for_mask(path, radius, height, width):
        peaks = list(zip(ys, xs, strict=True))
        expected = _pg2_pose_mask(peaks, height, width, radius)
        got = sk.pose_mask(poses[name], size, radius=radius)
        assert got.shape == size and got.dtype == np.uint8
        assert set(np.unique(got)) <= {0, 1}
        mismatch = int((got != expected).sum())
        assert mismatch == 0, f"{name}: {mismatch} pixels differ from PG2"


def test_has_legs_needs_a_knee_or_an_ankle():
    pose = np.full((sk.NUM_JOINTS, 2), np.nan, np.float32)
    for joint in sk.TORSO_JOINTS:
        pose[joint] = (10, 10)
    assert not sk.has_legs(pose)
    for joint in (sk.R_KNEE, sk.L_ANKLE):
        with_leg = pose.copy()
        with_leg[joint] = (10, 40)
        assert sk.has_legs(with_leg)
    assert sk.has_legs(np.stack([pose, with_leg])).tolist() == [False, True]
