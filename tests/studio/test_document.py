"""The editor's document, commands and history, without Qt."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import draw_parsing

from spt_core import labels as lb
from spt_core import skeleton as sk
from spt_studio.document import (
    Document,
    Fill,
    History,
    MoveJoint,
    MoveSourceJoint,
    PaintStroke,
    SetJointVisible,
    SetParsing,
    mirror_pose_command,
    reset_pose_command,
)
from spt_studio.document.paint import flood_region_bfs
from spt_studio.document.person_init import TEMPLATE_POSE_128x64, parsing_from_pose
from spt_studio.document.pose_ops import move_joint

SIZE = (128, 64)


def make_doc() -> Document:
    pose = TEMPLATE_POSE_128x64.copy()
    rng = np.random.default_rng(1)
    image = rng.integers(0, 255, SIZE + (3,), dtype=np.uint8)
    return Document.from_person("person.png", image, pose, draw_parsing(pose, SIZE))


def drag(history: History, joint: int, points) -> None:
    """One mouse gesture: press, several moves, release."""
    gesture = history.begin_gesture()
    for point in points:
        pose = move_joint(history.doc.target_pose, joint, point)
        history.push(MoveJoint(history.doc, joint, pose, gesture=gesture))
    history.end_gesture()


def test_a_drag_is_one_undo_step_and_undo_restores_exactly():
    doc = make_doc()
    history = History(doc)
    before = doc.target_pose.copy()
    drag(history, sk.R_WRIST, [(21, 57), (25, 60), (30.5, 62.25)])
    assert len(history) == 1 and history.index == 1
    expected = before.copy()
    expected[sk.R_WRIST] = (30.5, 62.25)
    np.testing.assert_array_equal(doc.target_pose, expected)
    assert not history.is_clean()
    history.undo()
    np.testing.assert_array_equal(doc.target_pose, before)
    assert history.is_clean()
    history.redo()
    np.testing.assert_array_equal(doc.target_pose, expected)
    # A second gesture on the same joint is a second step.
    drag(history, sk.R_WRIST, [(10, 10)])
    assert len(history) == 2


def test_bone_lock_keeps_every_bone_length():
    doc = make_doc()
    pose = doc.target_pose
    moved = move_joint(pose, sk.R_ELBOW, (0.0, 30.0), bone_lock=True)

    def length(p, a, b):
        return float(np.hypot(*(p[a] - p[b])))

    for a, b in sk.LIMBS:
        assert length(moved, a, b) == pytest.approx(length(pose, a, b), abs=1e-3)
    # The elbow points at the dragged position from the shoulder.
    direction = moved[sk.R_ELBOW] - moved[sk.R_SHOULDER]
    wanted = np.array([0.0, 30.0]) - moved[sk.R_SHOULDER]
    cos = direction @ wanted / np.linalg.norm(direction) / np.linalg.norm(wanted)
    assert cos == pytest.approx(1.0, abs=1e-6)
    # Joints outside the elbow's subtree did not move.
    others = [j for j in range(18) if j not in (sk.R_ELBOW, sk.R_WRIST)]
    np.testing.assert_array_equal(moved[others], pose[others])


def test_mirror_swaps_sides_about_the_body_centre_and_hide_show():
    doc = make_doc()
    history = History(doc)
    history.push(SetJointVisible(sk.L_WRIST, False))
    pose = doc.target_pose.copy()
    history.push(mirror_pose_command(doc))
    centre = np.mean(pose[:, 0])
    # By hand: the right wrist takes the left wrist's place reflected about the centre.
    assert doc.target_pose[sk.R_WRIST, 0] == pytest.approx(2 * centre - pose[sk.L_WRIST, 0])
    assert doc.target_pose[sk.R_WRIST, 1] == pose[sk.L_WRIST, 1]
    assert not doc.target_visible[sk.R_WRIST] and doc.target_visible[sk.L_WRIST]
    assert np.isnan(doc.effective_target_pose()[sk.R_WRIST]).all()
    history.push(reset_pose_command(doc))
    np.testing.assert_array_equal(doc.target_pose, doc.source_pose)
    assert doc.target_visible.all()
    history.undo()
    history.undo()
    np.testing.assert_array_equal(doc.target_pose, pose)
    assert not doc.target_visible[sk.L_WRIST]


def test_paint_stroke_matches_a_hand_painted_map_and_stores_only_its_rectangle():
    doc = make_doc()
    history = History(doc)
    original = doc.target_parsing.copy()
    gesture = history.begin_gesture()
    points = [(10.0, 40.0), (20.0, 40.0), (30.0, 40.0)]
    radius = 3.0
    for p0, p1 in zip(points[:-1], points[1:], strict=True):
        history.push(
            PaintStroke.segment(doc, "target_parsing", p0, p1, radius, lb.SKIRT, gesture=gesture)
        )
    history.end_gesture()
    assert len(history) == 1
    # By hand: a horizontal capsule from x=10 to x=30 at y=40, radius 3.
    ys, xs = np.mgrid[: SIZE[0], : SIZE[1]]
    inside = ((xs >= 10) & (xs <= 30) & (np.abs(ys - 40) <= 3)) | (
        np.minimum((xs - 10) ** 2, (xs - 30) ** 2) + (ys - 40) ** 2 <= 9
    )
    expected = np.where(inside, lb.SKIRT, original).astype(np.uint8)
    np.testing.assert_array_equal(doc.target_parsing, expected)
    stroke = history._commands[0]
    assert stroke.rect == (37, 44, 7, 34)
    assert stroke.old.shape == (7, 27) and stroke.old.size < original.size / 10
    history.undo()
    np.testing.assert_array_equal(doc.target_parsing, original)
    history.redo()
    np.testing.assert_array_equal(doc.target_parsing, expected)


def test_fill_matches_a_breadth_first_flood_and_undoes():
    doc = make_doc()
    history = History(doc)
    labels = doc.target_parsing
    # Fill the background at the top-left corner with hair.
    region = flood_region_bfs(labels, 0, 0)
    expected = np.where(region, lb.HAIR, labels).astype(np.uint8)
    original = labels.copy()
    history.push(Fill.at(doc, "target_parsing", 0, 0, lb.HAIR))
    np.testing.assert_array_equal(doc.target_parsing, expected)
    assert Fill.at(doc, "target_parsing", 0, 0, lb.HAIR) is None  # already that label
    history.undo()
    np.testing.assert_array_equal(doc.target_parsing, original)


def test_clean_index_follows_save_undo_and_lost_branches():
    doc = make_doc()
    history = History(doc)
    drag(history, sk.NOSE, [(5, 5)])
    history.set_clean()
    assert history.is_clean()
    drag(history, sk.NECK, [(6, 6)])
    assert not history.is_clean()
    history.undo()
    assert history.is_clean()
    history.undo()
    assert not history.is_clean()
    # A new edit drops the branch holding the saved state: it cannot become clean again.
    history.push(SetParsing(doc, "target_parsing", np.zeros(SIZE, np.uint8)))
    history.undo()
    assert not history.is_clean()


def test_listeners_hear_the_changed_rectangle():
    doc = make_doc()
    history = History(doc)
    heard = []
    history.add_listener(heard.append)
    history.push(PaintStroke.segment(doc, "source_parsing", (5, 5), (5, 5), 1.0, lb.FACE))
    assert heard[-1].what == "parsing" and heard[-1].layer == "source_parsing"
    assert heard[-1].rect == (4, 7, 4, 7)
    history.undo()
    assert heard[-1].rect == (4, 7, 4, 7)


def test_parsing_from_pose_labels_body_parts():
    pose = TEMPLATE_POSE_128x64
    parsing = parsing_from_pose(pose, SIZE)
    chest = ((pose[sk.NECK] + (pose[sk.R_HIP] + pose[sk.L_HIP]) / 2) / 2).round().astype(int)
    assert parsing[chest[1], chest[0]] == lb.UPPER_CLOTHES
    knee = pose[sk.R_KNEE].round().astype(int)
    assert parsing[knee[1], knee[0]] == lb.PANTS
    elbow = pose[sk.L_ELBOW].round().astype(int)
    assert parsing[elbow[1], elbow[0]] == lb.LEFT_ARM
    assert parsing[0, 0] == lb.BACKGROUND


def test_the_document_package_never_imports_qt():
    import subprocess
    import sys
    from pathlib import Path

    script = (
        "import importlib, pkgutil, sys\n"
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] in ('PySide6', 'pyqtgraph', 'qtawesome'):\n"
        "            raise ImportError(name)\n"
        "sys.meta_path.insert(0, Block())\n"
        "import spt_studio.document as d\n"
        "names = [m.name for m in pkgutil.walk_packages(d.__path__, 'spt_studio.document.')]\n"
        "for name in names:\n"
        "    importlib.import_module(name)\n"
        "print(len(names))\n"
    )
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=root, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert int(done.stdout.strip()) >= 7


def test_the_recent_list_keeps_the_newest_first_once_and_skips_what_is_gone(tmp_path):
    from spt_studio.document.recent import RecentFiles

    files = [tmp_path / f"{k}.png" for k in range(4)]
    for f in files:
        f.write_bytes(b"x")
    recent = RecentFiles(tmp_path / "user" / "recent.json", limit=3)
    assert recent.items() == []
    for f in (files[0], files[1], files[2], files[0], files[3]):
        recent.add(f)
    assert recent.items() == [files[3], files[0], files[2]]  # newest first, once, 3 kept
    files[0].unlink()
    assert recent.items() == [files[3], files[2]]
    (tmp_path / "user" / "recent.json").write_text("{not json")
    assert recent.items() == []  # a damaged list is a new list
    recent.add(files[1])
    assert recent.items() == [files[1]]
    recent.clear()
    assert recent.items() == []


def test_placing_the_photos_pose_carries_the_unmoved_target_joints_along():
    history = History(make_doc())
    doc = history.doc
    template = doc.source_pose.copy()
    drag(history, sk.R_WRIST, [(5.0, 30.0)])  # the user reposed the right wrist
    gesture = history.begin_gesture()
    for point in [(20.0, 40.0), (22.0, 41.0)]:  # then places the photo's right elbow
        source = move_joint(doc.source_pose, sk.R_ELBOW, point)
        history.push(MoveSourceJoint(doc, sk.R_ELBOW, source, gesture=gesture))
    history.end_gesture()
    assert len(history) == 2  # the placing drag is one step
    np.testing.assert_array_equal(doc.source_pose[sk.R_ELBOW], (22.0, 41.0))
    np.testing.assert_array_equal(doc.target_pose[sk.R_ELBOW], (22.0, 41.0))  # followed
    np.testing.assert_array_equal(doc.target_pose[sk.R_WRIST], (5.0, 30.0))  # kept
    others = [j for j in range(sk.NUM_JOINTS) if j not in (sk.R_ELBOW, sk.R_WRIST)]
    np.testing.assert_array_equal(doc.target_pose[others], template[others])
    history.undo()
    np.testing.assert_array_equal(doc.source_pose, template)
    np.testing.assert_array_equal(doc.target_pose[sk.R_ELBOW], template[sk.R_ELBOW])
    np.testing.assert_array_equal(doc.target_pose[sk.R_WRIST], (5.0, 30.0))
