"""The animation timeline (issue #19): keyframes from the canvas, frames rendered off the GUI
thread, the ends equal to the keyframes' renders, played, saved and read back."""

from __future__ import annotations

import numpy as np
import pytest
from editor_helpers import wait_for_render

from spt_core.animation import read_video
from spt_core.photo_frame import repose_in_photo
from spt_core.pipeline import Person, SPTPipeline
from spt_core.shipped import sample_dir
from spt_studio.document.person_init import document_from_person_folder

pytest_plugins = ["editor_fixtures"]


@pytest.fixture(scope="module")
def shipped():
    return SPTPipeline.from_pretrained(None, device="cpu")


def test_keyframes_render_play_and_save(qtbot, make_window, shipped, tmp_path):
    window = make_window(pipeline=shipped)
    window.set_document(document_from_person_folder(sample_dir("person_a")))
    wait_for_render(qtbot, window)
    window.timeline_dock.show()
    timeline = window.timeline
    assert not timeline.render.isEnabled()  # one keyframe is no animation
    timeline.add.click()  # her own pose
    window.apply_library_pose(window.pose_library.library.poses[7], "library:7")
    timeline.add.click()
    window.apply_library_pose(window.pose_library.library.poses[20], "library:20")
    timeline.add.click()
    assert len(timeline.keyframes) == 3 and timeline.strip.count() == 3
    third = timeline.keyframes[2].copy()
    timeline.strip.setCurrentRow(2)
    timeline.left.click()  # reorder: the third becomes the second
    np.testing.assert_array_equal(timeline.keyframes[1], third)
    timeline.strip.setCurrentRow(2)
    timeline.remove.click()
    assert len(timeline.keyframes) == 2
    timeline.seconds.setValue(0.5)
    timeline.fps.setValue(8)
    assert timeline.render.isEnabled() and timeline.frame_count() == 4
    timeline.render.click()
    qtbot.waitUntil(lambda: timeline.save.isEnabled(), timeout=60000)
    frames = window.animation_frames
    assert len(frames) == 4 and frames[0].shape == window.doc.image.shape
    doc = window.doc
    person = Person(doc.image, doc.source_pose, doc.source_parsing)
    for frame, key in ((frames[0], timeline.keyframes[0]), (frames[-1], timeline.keyframes[-1])):
        np.testing.assert_array_equal(frame, repose_in_photo(shipped, person, key).image)
    qtbot.waitUntil(lambda: not window._play_timer.isActive(), timeout=5000)  # played once
    assert window.save_animation(tmp_path / "walk.gif")
    back = read_video(tmp_path / "walk.gif")
    assert len(back) == 4 and back[0].shape == frames[0].shape
