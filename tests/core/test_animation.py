"""Pose animation (issue #19): keyframes placed on the person, frames rendered at the photo's
size, the ends equal to the keyframes' own renders, and videos that read back."""

from __future__ import annotations

import numpy as np
import pytest

from spt_core import skeleton as sk
from spt_core.animation import animation_poses, place_on, read_video, render_frames, write_video
from spt_core.errors import InputError
from spt_core.person_files import read_person
from spt_core.photo_frame import repose_in_photo
from spt_core.pipeline import SPTPipeline
from spt_core.pose_library import load_library
from spt_core.pose_tree import bone_lengths
from spt_core.shipped import sample_dir


@pytest.fixture(scope="module")
def shipped():
    return SPTPipeline.from_pretrained(None, device="cpu")


def test_a_keyframe_is_placed_on_the_person():
    person = read_person(sample_dir("person_a")).pose
    key = load_library().poses[5]
    placed = place_on(key, person)
    np.testing.assert_allclose(placed[sk.NECK], person[sk.NECK], atol=1e-4)
    body = np.isfinite(bone_lengths(placed)) & np.isfinite(bone_lengths(person))
    np.testing.assert_allclose(bone_lengths(placed)[body], bone_lengths(person)[body], rtol=1e-4)

    # The directions are the keyframe's: the left forearm points the same way.
    def direction(p):
        v = p[sk.L_WRIST] - p[sk.L_ELBOW]
        return v / np.linalg.norm(v)

    np.testing.assert_allclose(direction(placed), direction(key), atol=1e-4)


def test_the_first_and_last_frames_are_the_keyframes_renders(shipped):
    person = read_person(sample_dir("person_a"))
    keys = [load_library().poses[i] for i in (0, 7, 20)]
    poses = animation_poses(person.pose, keys, seconds=1.0, fps=7)
    assert len(poses) == 7
    frames = render_frames(shipped, person, poses)
    first = repose_in_photo(shipped, person, place_on(keys[0], person.pose)).image
    last = repose_in_photo(shipped, person, place_on(keys[-1], person.pose)).image
    np.testing.assert_array_equal(frames[0], first)
    np.testing.assert_array_equal(frames[-1], last)
    assert all(f.shape == person.image.shape for f in frames)
    assert np.abs(frames[3].astype(int) - frames[0].astype(int)).mean() > 1  # it moves
    # Cancel stops between frames and keeps what is done.
    seen: list[int] = []
    done = render_frames(
        shipped,
        person,
        poses,
        progress=lambda k, n: seen.append(k),
        cancelled=lambda: len(seen) >= 2,
    )
    assert len(done) == 2 and seen == [1, 2]


@pytest.mark.parametrize("suffix", [".mp4", ".gif"])
def test_videos_read_back_with_every_frame(tmp_path, suffix):
    rng = np.random.default_rng(0)
    frames = [np.full((40, 24, 3), 20 * k, np.uint8) + rng.integers(0, 5, (40, 24, 3), np.uint8)
              for k in range(9)]  # fmt: skip
    path = write_video(tmp_path / f"v{suffix}", frames, fps=6)
    back = read_video(path)
    assert len(back) == 9 and back[0].shape == (40, 24, 3)
    means = [f.mean() for f in back]
    assert means == sorted(means)  # in order (a lossy codec keeps the brightness ramp)
    with pytest.raises(InputError, match="mp4 or .gif"):
        write_video(tmp_path / "v.avi", frames, fps=6)


def test_spt_animate_writes_the_frames_it_says(tmp_path, capsys):
    from spt_core.cli import main

    out = tmp_path / "walk.gif"
    argv = ["animate", "--poses", "library:0", "library:3", "--seconds", "1", "--fps", "5"]
    assert main([*argv, "--out", str(out), "--quiet", "--device", "cpu"]) == 0
    assert len(read_video(out)) == 5 and "5 frames of 64x128" in capsys.readouterr().out
    assert main(["animate", "--poses", "library:99", "--out", str(out)]) == 2
    assert "library has poses 0 to 49" in capsys.readouterr().err
