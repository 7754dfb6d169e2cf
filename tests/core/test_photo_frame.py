"""A person in a larger photo (issue #16): the frame around the person, the crop, and the
result put back at the photo's resolution, checked against hand computations."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from spt_core import skeleton as sk
from spt_core.person_files import read_person
from spt_core.photo_frame import Frame, paste, person_frame, person_region, repose_in_photo
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
    region = person_region([crop_labels, result.parsing], 3)
    far = frame.crop(np.ones(person.image.shape[:2], np.uint8)).astype(bool) & (region == 0)
    assert far.sum() > 1000
    np.testing.assert_array_equal(frame.crop(result.image)[far], frame.crop(person.image)[far])
    # Where the raised forearm went, the picture changed.
    x, y = np.round(raised[sk.R_WRIST]).astype(int)
    patch = (slice(y - 4, y + 4), slice(x - 4, x + 4))
    assert np.abs(result.image[patch].astype(int) - person.image[patch].astype(int)).mean() > 10


def test_cli_full_size_writes_the_photos_resolution(tmp_path):
    from spt_core.cli import main
    from spt_core.io_utils import read_image_rgb
    from spt_core.person_files import write_person

    person = _photo_with_person()
    folder = write_person(tmp_path / "photo_person", person)
    argv = ["repose", str(folder), str(sample_dir("person_b")), "--out", str(tmp_path / "big.png")]
    assert main([*argv, "--full-size", "--device", "cpu"]) == 0
    big = read_image_rgb(tmp_path / "big.png")
    assert big.shape == person.image.shape
    assert main([*argv[:-1], str(tmp_path / "small.png"), "--device", "cpu"]) == 0
    assert read_image_rgb(tmp_path / "small.png").shape[0] == 128  # without: the model's size
