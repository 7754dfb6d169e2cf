"""Pose > Frame the person: a box dragged around one person of a photo places the pose there
(the template without a detector), in one undo step, and the render follows."""

from __future__ import annotations

import numpy as np
import pytest
from editor_helpers import drag, view_point, wait_for_render

from spt_core import skeleton as sk
from spt_studio.document.model import Document
from spt_studio.document.person_init import parsing_from_pose, person_in_box, template_pose

pytest_plugins = ["editor_fixtures"]


def _street(height: int = 240, width: int = 360) -> np.ndarray:
    """A plain photo with two dark "people" (only their boxes matter here)."""
    photo = np.full((height, width, 3), 200, np.uint8)
    photo[60:200, 40:90] = 40
    photo[80:180, 250:300] = 60
    return photo


def test_the_template_fills_the_box_without_a_detector():
    photo = _street()
    pose, parsing, found = person_in_box(photo, (250, 80, 300, 180), use_detector=False)
    assert not found
    expected = template_pose((100, 50)) + np.array([250, 80], np.float32)
    np.testing.assert_allclose(pose, expected)
    ys, xs = np.nonzero(parsing)
    assert xs.min() >= 250 and xs.max() < 300 and ys.min() >= 80 and ys.max() < 180
    np.testing.assert_array_equal(parsing, parsing_from_pose(pose, photo.shape[:2]))
    # Dragged from the bottom-right corner: the same box.
    again, _, _ = person_in_box(photo, (300, 180, 250, 80), use_detector=False)
    np.testing.assert_allclose(again, pose)
    with pytest.raises(ValueError, match="draw it around a person"):
        person_in_box(photo, (10, 10, 12, 40), use_detector=False)


def test_a_dragged_box_places_the_person_in_one_undo_step(qtbot, make_window):
    photo = _street()
    template = template_pose(photo.shape[:2])
    doc = Document.from_person("street", photo, template, parsing_from_pose(template, (240, 360)))
    window = make_window()
    window.use_detector = False
    window.set_document(doc)
    wait_for_render(qtbot, window)
    window.actions_by_key["frame_person"].trigger()
    assert window.actions_by_key["frame_person"].isChecked()
    canvas = window.pose_canvas
    drag(canvas, [view_point(canvas, 250, 80), view_point(canvas, 275, 130),
                  view_point(canvas, 300, 180)])  # fmt: skip
    assert not window.actions_by_key["frame_person"].isChecked()  # one box, then joints again
    pose = window.doc.source_pose
    assert np.nanmin(pose[:, 0]) >= 250 and np.nanmax(pose[:, 0]) <= 300
    assert np.nanmin(pose[:, 1]) >= 80 and np.nanmax(pose[:, 1]) <= 180
    np.testing.assert_array_equal(window.doc.target_pose, pose)  # nothing reposed
    assert window.doc.source_parsing[130, 275] > 0 and window.doc.source_parsing[130, 60] == 0
    wait_for_render(qtbot, window)
    assert window.doc.result.shape == photo.shape
    window.undo()
    np.testing.assert_array_equal(window.doc.source_pose, template)
    # Drags move joints again (the canvas is back to its joint tool).
    assert canvas.tool is canvas.drag_tool
    assert sk.present(window.doc.source_pose).all()


@pytest.mark.detect
def test_the_detector_finds_the_person_in_each_box():
    """Two shipped people (2x) in one photo: the detector on the whole photo finds one of them;
    a box around each finds that one (every joint inside her box)."""
    pytest.importorskip("mediapipe")
    import cv2

    from spt_core.person_files import read_person
    from spt_core.shipped import sample_dir

    photo = np.full((300, 400, 3), 128, np.uint8)
    boxes = {"person_a": (40, 50, 136, 242), "person_c": (260, 80, 356, 272)}
    for name, (x0, y0, x1, y1) in boxes.items():
        image = read_person(sample_dir(name)).image
        photo[y0:y1, x0:x1] = cv2.resize(image, (x1 - x0, y1 - y0), interpolation=cv2.INTER_CUBIC)
    for x0, y0, x1, y1 in boxes.values():
        pose, parsing, found = person_in_box(photo, (x0, y0, x1, y1))
        assert found
        joints = pose[sk.present(pose)]
        assert len(joints) >= 12
        assert (joints[:, 0] >= x0).all() and (joints[:, 0] <= x1).all()
        assert (joints[:, 1] >= y0).all() and (joints[:, 1] <= y1).all()
        ys, xs = np.nonzero(parsing)
        assert xs.min() >= x0 - 0.15 * (y1 - y0) and xs.max() <= x1 + 0.15 * (y1 - y0)
