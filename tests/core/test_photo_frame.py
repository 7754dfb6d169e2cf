"""A person in a larger photo (issue #16): the frame around the person, the crop, and the
result put back at the photo's resolution, checked against hand computations."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from spt_core import skeleton as sk
from spt_core.person_files import read_person
from spt_core.photo_frame import (
    Frame,
    paste,
    person_frame,
    person_region,
    photo_frame,
    repose_in_photo,
)
from spt_core.pipeline import Person, SPTPipeline
from spt_core.shipped import sample_dir


def test_the_frame_holds_every_joint_at_the_models_aspect():
    pose = np.full((sk.NUM_JOINTS, 2), np.nan, np.float32)
    pose[sk.NOSE], pose[sk.R_ANKLE], pose[sk.L_WRIST] = (50, 20), (40, 120), (70, 60)
    frame = person_frame([pose], (400, 300), (128, 64))
    # Joints span x 40..70, y 20..120 (100 tall): grown to y 0..130 and x 30..80, then widened
    # to height / width = 2 about the centre (55, 65): 130 tall, 65 wide.
    assert (frame.height, frame.width) == (130, 65)
    assert (frame.top, frame.left) == (0, 22)
    inside = frame.to_crop(pose)[sk.present(pose)]
    assert (inside >= 0).all() and (inside[:, 0] < frame.width).all()
    assert (inside[:, 1] < frame.height).all()
    with pytest.raises(ValueError, match="no joint"):
        person_frame([sk.missing_pose()], (400, 300), (128, 64))


def test_a_crop_past_the_edge_is_padded_and_paste_mixes_by_the_region():
    photo = np.arange(5 * 4 * 3, dtype=np.uint8).reshape(5, 4, 3)
    frame = Frame(top=-1, left=2, height=3, width=3)
    crop = frame.crop(photo)
    np.testing.assert_array_equal(crop[0], 0)  # above the photo
    np.testing.assert_array_equal(crop[1:, :2], photo[0:2, 2:4])
    np.testing.assert_array_equal(crop[1:, 2], 0)  # right of the photo
    rendered = np.full((3, 3, 3), 200, np.uint8)
    region = np.full((3, 3), 0.5)
    out = paste(photo, rendered, frame, region)
    expected = photo.copy()
    expected[0:2, 2:4] = np.round(0.5 * 200 + 0.5 * photo[0:2, 2:4].astype(float))
    np.testing.assert_array_equal(out, expected)


def _photo_with_person(scale: float = 1.5, top: int = 60, left: int = 70):
    """person_a scaled up inside a larger photo with a smooth background."""
    person = read_person(sample_dir("person_a"))
    height, width = 300, 240
    y, x = np.mgrid[0:height, 0:width]
    photo = np.stack([x * 255 // width, y * 255 // height, np.full_like(x, 90)], -1).astype(
        np.uint8
    )
    size = (round(64 * scale), round(128 * scale))
    image = cv2.resize(person.image, size, interpolation=cv2.INTER_LINEAR)
    parsing = cv2.resize(person.parsing, size, interpolation=cv2.INTER_NEAREST)
    labels = np.zeros((height, width), np.uint8)
    body = parsing > 0
    photo[top : top + size[1], left : left + size[0]][body] = image[body]
    labels[top : top + size[1], left : left + size[0]] = parsing
    pose = (person.pose * scale + (left, top)).astype(np.float32)
    return Person(photo, pose, labels)


def test_repose_in_photo_keeps_the_photo_outside_the_person():
    pipe = SPTPipeline.from_pretrained(None, device="cpu")
    person = _photo_with_person()
    raised = person.pose.copy()
    shoulder = raised[sk.R_SHOULDER]
    for joint in (sk.R_ELBOW, sk.R_WRIST):
        offset = raised[joint] - shoulder
        raised[joint] = shoulder + np.array([offset[1], -offset[0]])
    result = repose_in_photo(pipe, person, raised)
    assert result.image.shape == person.image.shape
    frame = result.frame
    outside = np.ones(person.image.shape[:2], bool)
    outside[
        max(frame.top, 0) : frame.top + frame.height, max(frame.left, 0) : frame.left + frame.width
    ] = False
    np.testing.assert_array_equal(result.image[outside], person.image[outside])
    # Inside the frame but far from the old and new person: the photo's own pixels, full res.
    crop_labels = frame.crop(person.parsing)
    region = person_region([crop_labels, frame.crop(result.parsing)], 3)
    far = frame.crop(np.ones(person.image.shape[:2], np.uint8)).astype(bool) & (region == 0)
    assert far.sum() > 1000
    np.testing.assert_array_equal(frame.crop(result.image)[far], frame.crop(person.image)[far])
    # Where the raised forearm went, the picture changed.
    x, y = np.round(raised[sk.R_WRIST]).astype(int)
    patch = (slice(y - 4, y + 4), slice(x - 4, x + 4))
    assert np.abs(result.image[patch].astype(int) - person.image[patch].astype(int)).mean() > 10


def test_the_frame_stays_inside_the_photo_and_a_large_one_is_the_whole_photo():
    pose = np.full((sk.NUM_JOINTS, 2), np.nan, np.float32)
    pose[sk.NOSE], pose[sk.R_ANKLE] = (20, 10), (20, 110)  # near the top-left corner
    # person_frame: 100 tall -> y -10..120, width 65 about x 20 -> left -12: moved inside.
    assert person_frame([pose], (400, 300), (128, 64)).top < 0
    frame = photo_frame([pose], (400, 300), (128, 64))
    assert (frame.top, frame.left, frame.height, frame.width) == (0, 0, 130, 65)
    # Taller than the photo: cut to its height (the pipeline letterboxes the rest).
    frame = photo_frame([pose], (120, 300), (128, 64))
    assert (frame.top, frame.height, frame.width) == (0, 120, 65)
    # Most of the photo: the whole photo (no crop to resample).
    assert photo_frame([pose], (140, 70), (128, 64)) == Frame(0, 0, 140, 70)
    # uncrop puts a crop back where it came from.
    photo = np.arange(400 * 300, dtype=np.int64).reshape(400, 300)
    inner = Frame(5, 7, 30, 20)
    back = inner.uncrop(inner.crop(photo), photo.shape)
    np.testing.assert_array_equal(back[5:35, 7:27], photo[5:35, 7:27])
    assert back.sum() == photo[5:35, 7:27].sum()


def _scaled_sample(tmp_path, name: str, factor: int = 4):
    """A shipped sample scaled ``factor`` times (512x256 for 4) and written as a "photo"."""
    from spt_core.person_files import write_person

    person = read_person(sample_dir(name))
    size = (64 * factor, 128 * factor)
    big = Person(
        cv2.resize(person.image, size, interpolation=cv2.INTER_CUBIC),
        (person.pose * factor + (factor - 1) / 2).astype(np.float32),
        cv2.resize(person.parsing, size, interpolation=cv2.INTER_NEAREST),
    )
    return big, write_person(tmp_path / name, big)


def _far_from(maps, pixels: int) -> np.ndarray:
    """Where no map of ``maps`` shows the person within ``pixels`` (a square neighbourhood)."""
    union = np.zeros(maps[0].shape, np.uint8)
    for labels in maps:
        union |= (labels > 0).astype(np.uint8)
    return cv2.dilate(union, np.ones((2 * pixels + 1,) * 2, np.uint8)) == 0


@pytest.mark.parametrize("command", ["repose", "render", "transfer"])
def test_cli_results_are_the_photos_size_and_the_photo_outside_the_person(tmp_path, command):
    """Issue #16's acceptance: a sample scaled 4x to 512x256; the result is 512x256 and, away
    from the old and the new person, exactly the photo. --model-frame gives the model's size."""
    from spt_core import labels as lb
    from spt_core.cli import main
    from spt_core.io_utils import read_image_rgb

    photo, folder = _scaled_sample(tmp_path, "person_a")
    out = tmp_path / "out.png"
    maps = [photo.parsing]
    if command == "repose":
        _, target = _scaled_sample(tmp_path, "person_b")
        argv = ["repose", str(folder), str(target), "--parsing-out", str(tmp_path / "p.png")]
    elif command == "render":
        painted = photo.parsing.copy()
        painted[np.isin(painted, (lb.LEFT_ARM, lb.RIGHT_ARM))] = lb.UPPER_CLOTHES  # sleeves
        lb.write_parsing(tmp_path / "painted.png", painted)
        argv = ["render", str(folder), "--target-parsing", str(tmp_path / "painted.png")]
        maps.append(painted)
    else:
        _, other = _scaled_sample(tmp_path, "person_b")
        argv = ["transfer", "--onto", str(folder), "--clothes-from", str(other)]
    assert main([*argv, "--out", str(out), "--device", "cpu"]) == 0
    result = read_image_rgb(out)
    assert result.shape == photo.image.shape == (512, 256, 3)
    if command == "repose":
        maps.append(lb.read_parsing(tmp_path / "p.png"))
        assert maps[-1].shape == (512, 256)
    # 4 model pixels of margin: the region grown by 2 and feathered by 2 model pixels.
    far = _far_from(maps, 4 * 4 + 1)
    assert far.mean() > 0.2
    np.testing.assert_array_equal(result[far], photo.image[far])
    assert np.abs(result.astype(int) - photo.image.astype(int))[~far].mean() > 1  # it drew
    assert main([*argv, "--out", str(tmp_path / "m.png"), "--model-frame", "--device", "cpu"]) == 0
    assert read_image_rgb(tmp_path / "m.png").shape == (128, 64, 3)
