"""The pose library dock (issue #19): a click applies a pose in one undo step, "More like
this", and the user's own poses saved and deleted."""

from __future__ import annotations

import numpy as np
from editor_helpers import wait_for_render
from PySide6.QtCore import Qt

from spt_core import skeleton as sk
from spt_core.pose_library import UserPoses, user_data_dir
from spt_core.pose_tree import bone_lengths
from spt_core.shipped import sample_dir
from spt_studio.document.person_init import document_from_person_folder

pytest_plugins = ["editor_fixtures"]


def _click(qtbot, panel, text: str) -> None:
    item = next(panel.grid.item(i) for i in range(panel.grid.count())
                if panel.grid.item(i).text() == text)  # fmt: skip
    panel.grid.setCurrentItem(item)
    rect = panel.grid.visualItemRect(item)
    qtbot.mouseClick(panel.grid.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())


def test_a_library_click_is_one_undo_step_and_keeps_her_bones(qtbot, make_window):
    window = make_window()
    window.set_document(document_from_person_folder(sample_dir("person_a")))
    wait_for_render(qtbot, window)
    window.pose_library_dock.show()
    panel = window.pose_library
    assert panel.grid.count() == 50  # the library; no user poses yet
    before = window.doc.target_pose.copy()
    window.set_bone_lock(True)
    steps = len(window.history)
    panel.grid.scrollToItem(panel.grid.item(7))
    _click(qtbot, panel, "library:7")
    target = window.doc.target_pose
    assert len(window.history) == steps + 1
    np.testing.assert_allclose(target[sk.NECK], window.doc.source_pose[sk.NECK], atol=1e-4)
    body = np.isfinite(bone_lengths(target)) & np.isfinite(bone_lengths(before))
    np.testing.assert_allclose(bone_lengths(target)[body], bone_lengths(before)[body], rtol=1e-3)
    assert not np.allclose(target, before, equal_nan=True)
    window.undo()
    np.testing.assert_array_equal(window.doc.target_pose, before)
    # More like this: the real poses nearest it, the first being itself.
    panel.grid.setCurrentRow(7)
    panel.more.click()
    assert panel.grid.count() == len(panel.library.similar[7]) and panel.back.isEnabled()
    np.testing.assert_array_equal(panel.pose_of(("similar", 7, 0)), panel.library.poses[7])
    panel.back.click()
    assert panel.grid.count() == 50
    wait_for_render(qtbot, window)


def test_the_current_pose_is_saved_to_and_deleted_from_the_users_library(qtbot, make_window):
    window = make_window()
    window.set_document(document_from_person_folder(sample_dir("person_b")))
    wait_for_render(qtbot, window)
    assert window.save_library_pose("waving")
    panel = window.pose_library
    assert panel.grid.count() == 51 and panel.grid.item(50).text() == "user:waving"
    saved = UserPoses(user_data_dir() / "poses.json").poses  # written to disk (the test's dir)
    assert list(saved) == ["waving"]
    panel.grid.setCurrentRow(50)
    panel.delete.click()
    assert panel.grid.count() == 50
    assert UserPoses(user_data_dir() / "poses.json").poses == {}
