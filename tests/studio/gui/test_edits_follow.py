"""The shipped model follows the edits made with the mouse in the real window, checked against
the true result: the shipped samples are images of the synthetic world, which can draw the same
person again with the edited pose or garment (``redraw_sample``)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from editor_helpers import drag, set_zoom, view_point, wait_for_render
from PySide6.QtCore import QPoint

from spt_core import labels as lb
from spt_core import skeleton as sk
from spt_core.eval.edit_world import raise_arm, redraw_sample
from spt_core.eval.edits import region_ratio
from spt_core.person_files import read_person
from spt_core.pipeline import SPTPipeline
from spt_core.shipped import sample_dir
from spt_studio.document.model import Document

pytest_plugins = ["editor_fixtures"]

SAMPLE = sample_dir("person_b")
# person_b is image 0 of identity 5 of `spt synth --count 400 --seed 1` (the shipped samples).
SEED, IDENTITY, INDEX = 1, 5, 0


@pytest.fixture(scope="module")
def shipped():
    return SPTPipeline.from_pretrained(None, device="cpu")


@pytest.fixture
def open_sample(qtbot, make_window, shipped):
    def open_():
        person = read_person(SAMPLE)
        window = make_window(pipeline=shipped)
        doc = Document.from_person("person_b", person.image, person.pose, person.parsing)
        window.set_document(doc)
        wait_for_render(qtbot, window)
        return window, person

    return open_


def _screenshot(qtbot, window, name: str) -> None:
    """With ``SPT_SCREENSHOT_DIR`` set, save the window as the README shows it (1280x800):
    ``SPT_SCREENSHOT_DIR=docs pytest tests/studio/gui/test_edits_follow.py`` regenerates
    docs/screenshot_repose.png and docs/screenshot_paint.png."""
    folder = os.environ.get("SPT_SCREENSHOT_DIR")
    if not folder:
        return
    window.resize(1280, 800)
    qtbot.wait(200)
    window.grab().save(str(Path(folder) / name))


def _drag_joint(canvas, joint: int, to: np.ndarray) -> None:
    """Press on the joint's handle and move to the image point ``to`` in small steps."""
    start = canvas.joint_screen_pos(joint)
    end = view_point(canvas, *to)
    steps = [
        QPoint(
            round(start.x() + (end.x() - start.x()) * t),
            round(start.y() + (end.y() - start.y()) * t),
        )
        for t in np.linspace(0, 1, 12)
    ]
    drag(canvas, steps)


def test_a_raised_arm_leaves_no_ghost_and_is_drawn(qtbot, open_sample):
    window, person = open_sample()
    canvas = window.pose_canvas
    set_zoom(canvas, 4.0, (32, 64))
    wanted = raise_arm(person.pose, person.image.shape[:2])
    moved = [
        j
        for j in (sk.R_ELBOW, sk.R_WRIST, sk.L_ELBOW, sk.L_WRIST)
        if np.abs(wanted[j] - person.pose[j]).sum() > 0
    ]
    assert len(moved) == 2
    for joint in moved:  # the elbow (the wrist follows), then the wrist
        _drag_joint(canvas, joint, wanted[joint])
    wait_for_render(qtbot, window)
    _screenshot(qtbot, window, "screenshot_repose.png")
    target = window.doc.target_pose
    assert np.abs(target[moved] - wanted[moved]).max() < 1.5  # where the mouse put them
    truth, truth_parsing, _ = redraw_sample(SEED, IDENTITY, INDEX, pose_edit=lambda _: target)
    result = window.doc.result
    left = (person.parsing > 0) & (truth_parsing == 0)  # where the old arm was
    entered = (truth_parsing > 0) & (person.parsing == 0)  # where the new arm is
    assert left.sum() > 40 and entered.sum() > 40
    ghost = region_ratio(result, person.image, truth, left)
    new_arm = region_ratio(result, person.image, truth, entered)
    print(f"arm raised: left region {ghost:.3f}, entered region {new_arm:.3f}")
    # The model before issue #14 scored 0.92 and 0.61 here: it kept the old arm and drew a
    # streak of sleeve. The current one clears the old arm (0.28; the background is filled in
    # there) and draws the raised arm in its sleeve (0.51): the semantic network alone labelled
    # the raised sleeve as bare arm, drawn as skin (0.89); the moved arm keeps the source's
    # labels along it (decision 0008: 0.58) and its own pixels (decision 0010: 0.51).
    assert ghost <= 0.40, "the old arm is still drawn"
    assert new_arm <= 0.60, "the raised arm is not drawn in its sleeve"


def test_painted_short_sleeves_show_skin(qtbot, open_sample):
    window, person = open_sample()
    window.set_mode("paint")
    canvas = window.label_canvas
    set_zoom(canvas, 4.0, (32, 64))
    window.brush_spin.setValue(7)
    pose = person.pose
    for elbow, wrist, label in (
        (sk.R_ELBOW, sk.R_WRIST, lb.RIGHT_ARM),
        (sk.L_ELBOW, sk.L_WRIST, lb.LEFT_ARM),
    ):
        window.choose_label(label)
        a, b = view_point(canvas, *pose[elbow]), view_point(canvas, *pose[wrist])
        drag(
            canvas,
            [
                QPoint(round(a.x() + (b.x() - a.x()) * t), round(a.y() + (b.y() - a.y()) * t))
                for t in np.linspace(0, 1, 10)
            ],
        )
    wait_for_render(qtbot, window)
    _screenshot(qtbot, window, "screenshot_paint.png")
    painted = window.doc.target_parsing != person.parsing
    truth, truth_parsing, _ = redraw_sample(SEED, IDENTITY, INDEX, garment_edit="sleeves_shortened")
    skin = painted & np.isin(truth_parsing, [lb.LEFT_ARM, lb.RIGHT_ARM])
    assert skin.sum() > 30
    ratio = region_ratio(window.doc.result, person.image, truth, skin)
    print(f"short sleeves: painted skin region {ratio:.3f}")
    # The model before issue #14 scored 0.95 (the sleeves stayed); decision 0006's 0.54; with
    # the label fill (decision 0007) 0.23.
    assert ratio <= 0.30, "the painted forearms are not drawn as skin"
