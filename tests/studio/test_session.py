"""The editing session without Qt: modes, which parsing the overview shows, the render request,
transfer's keep-real-pixels rule, pose copies, and that edits go through the History.

Every expected value is written out by hand for a 16x10 photo and a six-joint pose.
"""

from __future__ import annotations

import numpy as np
import pytest

from spt_core import labels as lb
from spt_core import skeleton as sk
from spt_studio.document import Change, Document, EditorSession, PersonData

SIZE = (16, 10)  # (height, width) of the photo


def hand_pose() -> np.ndarray:
    """Six joints, mean x 5 (the mirror line); every other joint missing."""
    pose = np.full((sk.NUM_JOINTS, 2), np.nan, np.float32)
    pose[sk.NOSE] = (5, 2)
    pose[sk.NECK] = (5, 4)
    pose[sk.R_SHOULDER] = (3, 4)
    pose[sk.L_SHOULDER] = (7, 4)
    pose[sk.R_ELBOW] = (1, 7)
    pose[sk.L_ELBOW] = (9, 8)
    return pose


def band(top: int, bottom: int, label: int) -> np.ndarray:
    """A label map: ``label`` on rows top..bottom-1, background elsewhere."""
    labels = np.zeros(SIZE, np.uint8)
    labels[top:bottom] = label
    return labels


SOURCE_PARSING = band(4, 12, lb.UPPER_CLOTHES)
TARGET_PARSING = band(4, 12, lb.SKIRT)


def make_doc() -> Document:
    """The hand-made person, every joint shown, with a target parsing unlike the source's."""
    image = (np.arange(SIZE[0] * SIZE[1] * 3) % 251).astype(np.uint8).reshape(*SIZE, 3)
    doc = Document.from_person("person.png", image, hand_pose(), SOURCE_PARSING)
    doc.target_parsing = TARGET_PARSING.copy()
    return doc


def second_person() -> PersonData:
    pose = np.full((sk.NUM_JOINTS, 2), np.nan, np.float32)
    pose[sk.NECK] = (6, 10)  # in a 32x20 photo
    pose[sk.R_SHOULDER] = (2, 12)
    return PersonData(
        "other.png", np.full((32, 20, 3), 7, np.uint8), pose, np.full((32, 20), lb.PANTS, np.uint8)
    )


def letterboxed(content: np.ndarray, fill: int) -> np.ndarray:
    """``content`` (16x10) in a 16x16 model frame: 3 columns of ``fill`` on each side."""
    frame = np.full((16, 16) + content.shape[2:], fill, content.dtype)
    frame[:, 3:13] = content
    return frame


@pytest.fixture
def session() -> EditorSession:
    return EditorSession(make_doc())


@pytest.fixture
def changes(session) -> list[Change]:
    """Every change the History announces."""
    heard: list[Change] = []
    session.history.add_listener(heard.append)
    return heard


# -- modes and view settings -------------------------------------------------------------------


def test_mode_switch_is_a_view_setting_not_an_undo_step(session, changes):
    assert session.mode == "repose"
    assert session.set_mode("paint") is True
    assert session.doc.settings["mode"] == "paint" and session.mode == "paint"
    assert session.set_mode("paint") is False  # no change
    # Saved with the project, but neither an undo step nor an unsaved change (as before).
    assert len(session.history) == 0 and session.history.is_clean() and changes == []
    with pytest.raises(ValueError, match="unknown mode"):
        session.set_mode("sculpt")
    assert session.mode == "paint"
    session.set_mode("transfer")
    assert session.doc.mode == "transfer"


def test_bone_lock_is_a_view_setting(session, changes):
    assert session.bone_lock is False
    assert session.set_bone_lock(True) is True
    assert session.doc.settings["bone_lock"] is True and session.bone_lock
    assert session.set_bone_lock(True) is False
    session.set_bone_lock(False)
    assert session.doc.settings["bone_lock"] is False
    assert len(session.history) == 0 and changes == []


def test_keep_unchanged_is_a_view_setting_the_request_carries(session, changes):
    assert session.keep_unchanged is True and session.render_request().keep_unchanged
    assert session.set_keep_unchanged(False) is True
    assert session.doc.settings["redraw_all"] is True
    assert session.render_request().keep_unchanged is False
    assert session.set_keep_unchanged(False) is False
    assert len(session.history) == 0 and changes == []


def test_the_worker_sets_the_pipelines_keep_unchanged_from_the_request(session):
    from spt_studio.workers.render import run_request

    class Recorder:  # a pipeline stand-in: records what it was asked with
        keep_unchanged = True
        size = (16, 10)

        def letterbox(self, frame):  # it draws at the size it is given
            from spt_core.letterbox import Letterbox

            return Letterbox.fit(tuple(frame), tuple(frame))

        def repose(self, person, target_pose):
            self.seen = self.keep_unchanged
            return type("Result", (), {"image": person.image, "parsing": person.parsing})

    pipe = Recorder()
    session.set_keep_unchanged(False)
    run_request(pipe, session.render_request())
    assert pipe.seen is False and pipe.keep_unchanged is False
    session.set_keep_unchanged(True)
    run_request(pipe, session.render_request())
    assert pipe.seen is True


# -- the render request ------------------------------------------------------------------------


def test_render_request_in_repose_mode(session):
    doc = session.doc
    doc.target_pose[sk.R_ELBOW] = (2, 9)
    doc.target_visible[sk.NOSE] = False
    request = session.render_request()
    assert request.kind == "repose"
    assert request.image is doc.image  # never changed in place, so not copied
    expected_target = hand_pose()
    expected_target[sk.R_ELBOW] = (2, 9)
    expected_target[sk.NOSE] = np.nan  # hidden: missing for the model
    np.testing.assert_array_equal(request.target_pose, expected_target)
    np.testing.assert_array_equal(request.pose, hand_pose())
    np.testing.assert_array_equal(request.parsing, SOURCE_PARSING)
    assert request.target_parsing is None and request.reference is None
    # Private copies: a later edit does not reach a request already made.
    doc.source_parsing[0, 0] = lb.HAIR
    doc.source_pose[sk.NECK] = (0, 0)
    assert request.parsing[0, 0] == 0 and tuple(request.pose[sk.NECK]) == (5, 4)


def test_render_request_in_paint_mode_renders_the_painted_map(session):
    session.set_mode("paint")
    request = session.render_request()
    assert request.kind == "render"
    np.testing.assert_array_equal(request.target_parsing, TARGET_PARSING)
    np.testing.assert_array_equal(request.target_pose, hand_pose())
    session.doc.target_parsing[0, 0] = lb.HAIR
    assert request.target_parsing[0, 0] == 0  # a copy


def test_render_request_in_transfer_mode(session):
    session.set_mode("transfer")
    assert session.render_request() is None  # no second person yet
    session.set_reference(second_person())
    session.set_transfer_labels([lb.SKIRT, lb.PANTS])
    request = session.render_request()
    assert request.kind == "transfer"
    assert request.labels == (lb.PANTS, lb.SKIRT)
    image, pose, parsing = request.reference
    assert image.shape == (32, 20, 3) and image[0, 0, 0] == 7
    assert tuple(pose[sk.NECK]) == (6, 10)
    assert (parsing == lb.PANTS).all()
    assert request.keep_real_pixels is True  # her own pose
    session.doc.target_pose[sk.NECK] = (5, 5)
    assert session.render_request().keep_real_pixels is False


@pytest.mark.parametrize(
    ("edit", "keeps"),
    [
        ("none", True),
        ("moved", False),
        ("hidden", False),
        ("hidden_missing", True),
        ("moved_back", True),
    ],
)
def test_transfer_keeps_the_real_pixels_only_with_her_own_pose(session, edit, keeps):
    doc = session.doc
    if edit == "moved":
        doc.target_pose[sk.L_ELBOW] = (9, 9)
    elif edit == "hidden":
        doc.target_visible[sk.R_SHOULDER] = False  # present in the source: a changed pose
    elif edit == "hidden_missing":
        doc.target_visible[sk.L_EAR] = False  # missing anyway: NaN equals NaN
    elif edit == "moved_back":
        doc.target_pose[sk.L_ELBOW] = (9, 9)
        doc.target_pose[sk.L_ELBOW] = (9, 8)
    assert session.keeps_real_pixels() is keeps


# -- which parsing the overview shows ----------------------------------------------------------


def test_overview_parsing_in_each_mode(session):
    doc = session.doc
    predicted = band(0, 3, lb.HAIR)
    # Before a prediction: the painted map, except in transfer (her own map).
    assert np.array_equal(session.overview_parsing(), TARGET_PARSING)
    session.set_mode("transfer")
    doc.target_pose[sk.NECK] = (5, 5)
    assert np.array_equal(session.overview_parsing(), SOURCE_PARSING)
    # A prediction arrives letterboxed (background columns); it is shown cropped.
    session.take_result(letterboxed(doc.image, 0), letterboxed(predicted, lb.BACKGROUND))
    session.set_mode("repose")
    assert np.array_equal(session.overview_parsing(), predicted)
    session.set_mode("paint")
    assert np.array_equal(session.overview_parsing(), TARGET_PARSING)
    session.set_mode("transfer")
    assert np.array_equal(session.overview_parsing(), predicted)  # reposed in the new clothes
    doc.target_pose[sk.NECK] = (5, 4)
    assert np.array_equal(session.overview_parsing(), SOURCE_PARSING)  # her own pose again

    shown = session.overview()
    assert shown.image is doc.image and shown.result is doc.result
    np.testing.assert_array_equal(shown.pose, hand_pose())
    np.testing.assert_array_equal(shown.parsing, SOURCE_PARSING)


def test_take_result_keeps_the_image_at_the_photos_shape(session):
    doc = session.doc
    framed = letterboxed(np.full(SIZE + (3,), 200, np.uint8), 0)
    session.take_result(framed)
    assert doc.result.shape == SIZE + (3,) and (doc.result == 200).all()
    assert doc.predicted_parsing is None
    predicted = letterboxed(band(0, 3, lb.HAIR), 0)
    session.take_result(framed, predicted)
    np.testing.assert_array_equal(doc.predicted_parsing, predicted)  # kept as predicted
    assert len(session.history) == 0  # model outputs are not edits


# -- pose edits --------------------------------------------------------------------------------


def test_copy_pose_fits_the_pose_and_shows_every_joint(session, changes):
    doc = session.doc
    doc.target_visible[sk.NOSE] = False
    other = np.full((sk.NUM_JOINTS, 2), np.nan, np.float32)
    other[sk.NECK] = (6, 10)
    other[sk.R_SHOULDER] = (2, 12)
    # From a 32x20 photo: half the size, no horizontal offset.
    session.copy_pose(other, (32, 20), "tall.png")
    assert tuple(doc.target_pose[sk.NECK]) == (3, 5)
    assert tuple(doc.target_pose[sk.R_SHOULDER]) == (1, 6)
    assert np.isnan(doc.target_pose[sk.NOSE]).all()
    assert doc.target_visible.all()
    assert session.history.undo_text() == "pose of tall.png"
    assert changes == [Change("pose")]
    # From a 32x12 photo: half the size, centred: 2 pixels to the right.
    session.copy_pose(other, (32, 12), "narrow.png")
    assert tuple(doc.target_pose[sk.NECK]) == (5, 5)
    # Undo restores the pose and the hidden joint.
    session.undo()
    session.undo()
    np.testing.assert_array_equal(doc.target_pose, hand_pose())
    assert not doc.target_visible[sk.NOSE]


def test_copy_pose_from_the_second_person(session):
    doc = session.doc
    assert session.copy_pose_from_reference() is False  # nobody to copy from
    assert len(session.history) == 0
    session.set_reference(second_person())
    assert session.copy_pose_from_reference() is True
    assert tuple(doc.target_pose[sk.NECK]) == (3, 5)
    assert tuple(doc.target_pose[sk.R_SHOULDER]) == (1, 6)
    assert session.history.undo_text() == "pose of other.png"
    session.undo()
    np.testing.assert_array_equal(doc.target_pose, hand_pose())


def test_mirror_and_reset_pose_are_undo_steps(session):
    doc = session.doc
    doc.target_visible[sk.R_ELBOW] = False
    session.mirror_pose()
    # About x = 5: the shoulders are symmetric, the elbows trade places (and heights).
    assert tuple(doc.target_pose[sk.R_SHOULDER]) == (3, 4)
    assert tuple(doc.target_pose[sk.R_ELBOW]) == (1, 8)
    assert tuple(doc.target_pose[sk.L_ELBOW]) == (9, 7)
    assert tuple(doc.target_pose[sk.NOSE]) == (5, 2)
    assert doc.target_visible[sk.R_ELBOW] and not doc.target_visible[sk.L_ELBOW]
    session.reset_pose()
    np.testing.assert_array_equal(doc.target_pose, hand_pose())
    assert doc.target_visible.all()
    assert len(session.history) == 2
    session.undo()
    assert tuple(doc.target_pose[sk.L_ELBOW]) == (9, 7)
    session.undo()
    np.testing.assert_array_equal(doc.target_pose, hand_pose())
    assert not doc.target_visible[sk.R_ELBOW]
    session.redo()
    assert tuple(doc.target_pose[sk.R_ELBOW]) == (1, 8)


# -- parsing edits -----------------------------------------------------------------------------


def test_use_predicted_parsing_paints_from_the_prediction(session, changes):
    doc = session.doc
    assert session.use_predicted_parsing() is False  # nothing predicted yet
    assert session.mode == "repose" and len(session.history) == 0
    session.take_result(letterboxed(doc.image, 0), letterboxed(band(0, 3, lb.HAIR), 0))
    assert session.use_predicted_parsing() is True
    np.testing.assert_array_equal(doc.target_parsing, band(0, 3, lb.HAIR))
    assert session.mode == "paint"
    assert changes == [Change("parsing", layer="target_parsing")]
    # Undo restores the painted map; the mode, a view setting, stays (as before).
    session.undo()
    np.testing.assert_array_equal(doc.target_parsing, TARGET_PARSING)
    assert session.mode == "paint"


def test_parsing_from_pose_and_reset_parsing(session):
    doc = session.doc
    session.parsing_from_pose("source_parsing")
    assert not np.array_equal(doc.source_parsing, SOURCE_PARSING)
    np.testing.assert_array_equal(doc.target_parsing, TARGET_PARSING)  # the other map kept
    assert session.history.undo_text() == "parsing from pose"
    session.undo()
    np.testing.assert_array_equal(doc.source_parsing, SOURCE_PARSING)
    session.reset_parsing()
    np.testing.assert_array_equal(doc.target_parsing, SOURCE_PARSING)
    session.undo()
    np.testing.assert_array_equal(doc.target_parsing, TARGET_PARSING)


# -- clothing transfer -------------------------------------------------------------------------


def test_transfer_labels_are_an_undo_step(session, changes):
    doc = session.doc
    assert session.transfer_labels == [lb.UPPER_CLOTHES]
    assert session.set_transfer_labels([lb.SKIRT, lb.PANTS, lb.UPPER_CLOTHES]) is True
    assert doc.settings["transfer_labels"] == [lb.UPPER_CLOTHES, lb.PANTS, lb.SKIRT]
    assert session.set_transfer_labels([lb.PANTS, lb.SKIRT, lb.UPPER_CLOTHES]) is False
    assert len(session.history) == 1 and not session.history.is_clean()
    assert changes == [Change("settings", key="transfer_labels")]
    session.undo()
    assert doc.settings["transfer_labels"] == [lb.UPPER_CLOTHES]
    assert session.history.is_clean()


def test_loading_a_second_person_switches_to_transfer(session, changes):
    doc = session.doc
    person = second_person()
    modes_heard: list[str] = []
    session.history.add_listener(lambda _change: modes_heard.append(session.mode))
    session.set_reference(person)
    assert doc.reference is person and session.mode == "transfer"
    assert session.history.undo_text() == "load other.png"
    # Observers hear the change with the mode already switched.
    assert changes == [Change("reference")] and modes_heard == ["transfer"]
    session.undo()
    assert doc.reference is None
    assert session.mode == "transfer"  # a view setting: undo leaves it
    assert session.render_request() is None
