"""The pose library and pose interpolation (issue #19): real representatives, bone lengths."""

from __future__ import annotations

import json

import numpy as np
import pytest

from spt_core import skeleton as sk
from spt_core.data.poses import find_pose_csv
from spt_core.data.synth.posing import load_pose_pool, torso_length
from spt_core.errors import DataError
from spt_core.person_files import read_person
from spt_core.pose_library import (
    NECK,
    TORSO,
    UserPoses,
    build_library,
    library_path,
    load_library,
    normalise,
)
from spt_core.pose_tree import PARENT, bone_lengths, frame_poses, interpolate, with_bone_lengths
from spt_core.shipped import sample_dir


@pytest.fixture(scope="module")
def library():
    return load_library()


def test_the_shipped_library_holds_fifty_real_normalised_poses(library):
    assert len(library) == 50 and library_path().stat().st_size < 1_000_000
    pools = {}
    for kind in ("market", "fasion"):
        pool = load_pose_pool(find_pose_csv(kind))
        pools.update(zip(pool.names, pool.poses, strict=True))
    for name, pose, similar in zip(library.names, library.poses, library.similar, strict=True):
        np.testing.assert_allclose(pose, normalise(pools[name]), atol=0.01)  # a real row
        np.testing.assert_allclose(pose[sk.NECK], NECK, atol=0.01)
        assert torso_length(pose) == pytest.approx(TORSO, abs=0.02)
        np.testing.assert_array_equal(similar[0], pose)  # "more like this" starts with it
        assert len(similar) > 1 or library.sizes[library.names.index(name)] == 1
    assert library.sizes == sorted(library.sizes, reverse=True)
    assert sum(library.sizes) > 4000  # the usable full-body poses of both sets


def test_one_command_rebuilds_the_same_library(library):
    rebuilt = build_library([find_pose_csv("market"), find_pose_csv("fasion")], clusters=50)
    assert rebuilt.names == library.names and rebuilt.sizes == library.sizes


def test_a_damaged_library_file_is_named(tmp_path):
    (tmp_path / "bad.json").write_text(json.dumps({"kind": "something else"}))
    with pytest.raises(DataError, match="bad.json"):
        load_library(tmp_path / "bad.json")
    with pytest.raises(DataError, match="missing.json"):
        load_library(tmp_path / "missing.json")


def test_interpolation_turns_bones_and_keeps_their_length(library):
    person = read_person(sample_dir("person_a")).pose
    keys = [with_bone_lengths(p, person) for p in library.poses[:3]]
    for key in keys:  # the person's proportions, the library pose's directions
        ok = np.isfinite(bone_lengths(key)) & np.isfinite(bone_lengths(person))
        np.testing.assert_allclose(bone_lengths(key)[ok], bone_lengths(person)[ok], rtol=1e-4)
    frames = frame_poses(keys, 31)
    assert len(frames) == 31
    np.testing.assert_array_equal(frames[0], keys[0])
    np.testing.assert_array_equal(frames[-1], keys[-1])
    np.testing.assert_array_equal(frames[15], keys[1])  # the middle keyframe, exactly on a frame
    for i, frame in enumerate(frames):
        k = min(i // 15, 1)  # the two keyframes around frame i
        ends = np.stack([bone_lengths(keys[k]), bone_lengths(keys[k + 1])])
        lengths = bone_lengths(frame)
        ok = np.isfinite(lengths)
        assert (lengths[ok] >= 0.99 * ends.min(0)[ok]).all(), i
        assert (lengths[ok] <= 1.01 * ends.max(0)[ok]).all(), i
        body = ok.copy()
        body[list(sk.HEAD_JOINTS)] = False  # body bones: the person's, the same in every key
        np.testing.assert_allclose(lengths[body], bone_lengths(person)[body], rtol=0.01)


def test_a_forearm_swung_a_right_angle_is_at_forty_five_degrees_halfway():
    a = sk.missing_pose()
    a[sk.NECK], a[sk.R_SHOULDER], a[sk.R_ELBOW], a[sk.R_WRIST] = (
        (30, 20),
        (20, 20),
        (20, 40),
        (20, 60),
    )
    b = a.copy()
    b[sk.R_WRIST] = (40, 40)  # the forearm from pointing down to pointing right
    half = interpolate(a, b, 0.5)
    np.testing.assert_allclose(half[sk.R_ELBOW], (20, 40), atol=1e-4)
    np.testing.assert_allclose(
        half[sk.R_WRIST], (20 + 20 / np.sqrt(2), 40 + 20 / np.sqrt(2)), atol=1e-4
    )
    # Joint positions averaged would have shortened the forearm to 14 px.
    assert np.hypot(*((a[sk.R_WRIST] + b[sk.R_WRIST]) / 2 - a[sk.R_ELBOW])) < 15
    assert np.isnan(half[sk.NOSE]).all()  # missing in both: missing
    assert PARENT[sk.R_WRIST] == sk.R_ELBOW


def test_the_user_library_survives_a_restart_and_a_bad_file_is_named(tmp_path):
    path = tmp_path / "user" / "poses.json"
    mine = UserPoses(path)
    pose = read_person(sample_dir("person_b")).pose
    mine.add("waving", pose)
    mine.add("other", pose + 1)
    mine.remove("other")
    again = UserPoses(path)
    assert list(again.poses) == ["waving"]
    np.testing.assert_allclose(again.poses["waving"], pose, atol=0.01, equal_nan=True)
    path.write_text("{not json")
    with pytest.raises(DataError, match="poses.json"):
        UserPoses(path)
