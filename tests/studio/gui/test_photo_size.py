"""The editor renders at the photo's resolution (issue #16): the model draws a box around the
person and only the person's old and new regions of the photo change; File > Export writes the
photo's size, File > Export model frame the model's own output."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from editor_helpers import wait_for_render

from spt_core import labels as lb
from spt_core.io_utils import read_image_rgb
from spt_core.person_files import read_person, write_person
from spt_core.pipeline import Person, SPTPipeline
from spt_core.shipped import sample_dir
from spt_studio.document import commands
from spt_studio.document.person_init import document_from_person_folder

pytest_plugins = ["editor_fixtures"]


@pytest.fixture(scope="module")
def shipped():
    return SPTPipeline.from_pretrained(None, device="cpu")


def _scaled(name: str, factor: int = 4) -> Person:
    person = read_person(sample_dir(name))
    size = (64 * factor, 128 * factor)
    return Person(
        cv2.resize(person.image, size, interpolation=cv2.INTER_CUBIC),
        (person.pose * factor + (factor - 1) / 2).astype(np.float32),
        cv2.resize(person.parsing, size, interpolation=cv2.INTER_NEAREST),
    )


def _far_from(maps, pixels: int) -> np.ndarray:
    union = np.zeros(maps[0].shape, np.uint8)
    for labels in maps:
        union |= (labels > 0).astype(np.uint8)
    return cv2.dilate(union, np.ones((2 * pixels + 1,) * 2, np.uint8)) == 0


@pytest.fixture
def big_window(qtbot, make_window, shipped, tmp_path):
    """person_a scaled 4x to 512x256, opened in the editor as a person folder."""
    photo = _scaled("person_a")
    window = make_window(pipeline=shipped)
    window.set_document(document_from_person_folder(write_person(tmp_path / "big_a", photo)))
    wait_for_render(qtbot, window)
    return window, photo


def test_repose_exports_the_photos_size_and_keeps_the_photo_elsewhere(qtbot, big_window, tmp_path):
    window, photo = big_window
    other = _scaled("person_b")
    window.session.copy_pose(other.pose, other.image.shape[:2], "person_b")
    wait_for_render(qtbot, window)
    assert window.export_result(tmp_path / "result.png")
    result = read_image_rgb(tmp_path / "result.png")
    assert result.shape == (512, 256, 3)
    predicted = window.doc.predicted_parsing
    assert predicted.shape == (512, 256)
    far = _far_from([photo.parsing, predicted], 17)  # grown by 8 and feathered over 8 pixels
    assert far.mean() > 0.2
    np.testing.assert_array_equal(result[far], photo.image[far])
    assert np.abs(result.astype(int) - photo.image.astype(int))[~far].mean() > 2  # it moved
    # The model's own output, as `spt repose --model-frame` writes it.
    window.export_result(tmp_path / "model.png", model_frame=True)
    assert read_image_rgb(tmp_path / "model.png").shape == (128, 64, 3)


def test_painted_sleeves_change_only_the_person(qtbot, big_window, tmp_path):
    window, photo = big_window
    window.set_mode("paint")
    painted = photo.parsing.copy()
    painted[np.isin(painted, (lb.LEFT_ARM, lb.RIGHT_ARM))] = lb.UPPER_CLOTHES
    window.session.history.push(
        commands.SetParsing(window.doc, "target_parsing", painted, "long sleeves")
    )
    wait_for_render(qtbot, window)
    assert window.export_result(tmp_path / "paint.png")
    result = read_image_rgb(tmp_path / "paint.png")
    assert result.shape == (512, 256, 3)
    far = _far_from([photo.parsing, painted], 17)
    np.testing.assert_array_equal(result[far], photo.image[far])
    arms = np.isin(photo.parsing, (lb.LEFT_ARM, lb.RIGHT_ARM))
    assert np.abs(result.astype(int) - photo.image.astype(int))[arms].mean() > 10


def test_a_small_person_in_a_large_photo_is_framed(qtbot, make_window, shipped, tmp_path):
    """person_a 1.5x inside a 400x600 photo: the model draws a box around her (the rest of the
    photo is never resampled) and the raised arm appears at full resolution."""
    from spt_core import skeleton as sk

    person = _scaled("person_a", factor=1)
    photo = np.full((400, 600, 3), (90, 140, 200), np.uint8)
    photo[::7] = (60, 60, 60)  # a texture that a resampled copy would not keep exactly
    labels = np.zeros((400, 600), np.uint8)
    size = (96, 192)
    image = cv2.resize(person.image, size, interpolation=cv2.INTER_CUBIC)
    parsing = cv2.resize(person.parsing, size, interpolation=cv2.INTER_NEAREST)
    top, left = 150, 300
    photo[top : top + 192, left : left + 96] = image
    labels[top : top + 192, left : left + 96] = parsing
    pose = (person.pose * 1.5 + (left, top)).astype(np.float32)
    folder = write_person(tmp_path / "street", Person(photo, pose, labels))
    window = make_window(pipeline=shipped)
    window.set_document(document_from_person_folder(folder))
    wait_for_render(qtbot, window)
    raised = pose.copy()
    raised[sk.R_WRIST] = raised[sk.R_ELBOW] + (-30, -30)
    window.session.copy_pose(raised, (400, 600), "raised")
    wait_for_render(qtbot, window)
    result = window.doc.result
    assert result.shape == photo.shape
    far = _far_from([labels, window.doc.predicted_parsing], 13)
    assert far.mean() > 0.8
    np.testing.assert_array_equal(result[far], photo[far])
    x, y = np.round(raised[sk.R_WRIST] + (raised[sk.R_ELBOW] - raised[sk.R_WRIST]) / 3).astype(int)
    patch = (slice(y - 3, y + 3), slice(x - 3, x + 3))
    assert np.abs(result[patch].astype(int) - photo[patch].astype(int)).mean() > 10
