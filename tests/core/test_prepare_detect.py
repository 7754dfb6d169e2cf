"""BlazePose on real photos against points placed by hand.

The acceptance photo is scikit-image's astronaut. A second portrait (Grace Hopper, from
matplotlib's sample data, tests/data/grace_hopper.jpg) was annotated the same way to choose the
detector's settings (averaging with the mirrored photo) before they were measured on the
astronaut.

Needs the ``detect`` extra (MediaPipe); skipped without it. CI runs these in a second
environment (`.ci/run`, stage 2: ``python -m pytest -q -m detect``).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("mediapipe")
pytestmark = pytest.mark.detect

from spt_core import skeleton as sk  # noqa: E402
from spt_core.cli import main  # noqa: E402
from spt_core.data.dataset import PersonDataset  # noqa: E402
from spt_core.io_utils import write_image_rgb  # noqa: E402
from spt_core.prepare.detect import PoseDetector, mirror_landmarks  # noqa: E402
from spt_core.prepare.pipeline import pose_to_photo  # noqa: E402

DATA = Path(__file__).parents[1] / "data"
REFERENCE = json.loads((DATA / "astronaut_reference.json").read_text())
HOPPER_REFERENCE = json.loads((DATA / "grace_hopper_reference.json").read_text())
TOLERANCE = REFERENCE["tolerance_px"]


@pytest.fixture(scope="module")
def astronaut():
    from skimage import data

    return data.astronaut()


@pytest.fixture(scope="module")
def detection(astronaut):
    with PoseDetector() as detector:
        return detector.detect(astronaut)


@pytest.fixture(scope="module")
def hopper_detection():
    from spt_core.prepare.photo import load_photo

    with PoseDetector() as detector:
        return detector.detect(load_photo(DATA / "grace_hopper.jpg").image)


def _errors(pose: np.ndarray, reference: dict = REFERENCE) -> dict[str, float]:
    return {
        name: float(np.hypot(*(pose[sk.JOINT_INDEX[name]] - np.array(point))))
        for name, point in reference["points"].items()
    }


def test_astronaut_nose_within_tolerance_of_the_hand_placed_point(detection):
    assert detection is not None
    errors = _errors(detection.pose)
    assert errors["nose"] <= TOLERANCE, errors  # measured 1.2 px (0.2 px in one pass)


@pytest.mark.xfail(
    strict=True,
    reason="Acceptance criterion not met: BlazePose puts the shoulders of the bulky suit "
    "about 30 px higher than two independent hand annotations agree (against their mean, "
    "averaged with the mirrored photo: neck 28.6 px, right shoulder 33.2 px, left shoulder "
    "31.8 px; one pass: 26.5 / 35.9 / 25.0). On an ordinary jacket (Grace Hopper, below) the "
    "same detector is within 10 px. See docs/prepare.md, 'Accuracy'.",
)
def test_astronaut_neck_and_shoulders_within_tolerance(detection):
    errors = _errors(detection.pose)
    assert max(errors[n] for n in ("neck", "right_shoulder", "left_shoulder")) <= TOLERANCE


def test_astronaut_upper_body_is_found_and_legs_outside_the_frame_are_missing(detection):
    pose, errors = detection.pose, _errors(detection.pose)
    # A regression guard until the criterion above is met: nothing may drift further.
    assert max(errors.values()) < 45, errors
    for joint in (sk.NOSE, sk.NECK, sk.R_SHOULDER, sk.L_SHOULDER, sk.R_EYE, sk.L_EYE):
        assert sk.present(pose)[joint]
    # The neck is exactly the shoulders' midpoint, the right shoulder on the image's left.
    np.testing.assert_allclose(pose[sk.NECK], pose[[sk.R_SHOULDER, sk.L_SHOULDER]].mean(0))
    assert pose[sk.R_SHOULDER, 0] < pose[sk.NOSE, 0] < pose[sk.L_SHOULDER, 0]
    assert not sk.present(pose)[[sk.R_KNEE, sk.L_KNEE, sk.R_ANKLE, sk.L_ANKLE]].any()
    mask = detection.mask
    assert mask.shape == (512, 512)
    assert mask[130, 222] > 0.9 and mask[350, 200] > 0.9  # face, suit
    assert mask[60, 450] < 0.1 and mask[30, 30] < 0.1  # wall, flag


def test_hopper_neck_and_shoulders_within_tolerance_of_the_hand_placed_points(hopper_detection):
    # The 10 px criterion on the validation portrait (dark uniform, shoulders visible).
    assert hopper_detection is not None
    errors = _errors(hopper_detection.pose, HOPPER_REFERENCE)
    # Measured: neck 4.0, right shoulder 6.4, left shoulder 7.0 px (one pass: 10.9 / 15.3 / 7.6).
    for name in ("neck", "right_shoulder", "left_shoulder"):
        assert errors[name] <= HOPPER_REFERENCE["tolerance_px"], errors
    # Both annotators put the nose tip lower on the bulb than BlazePose's nose landmark.
    assert errors["nose"] < 20, errors  # measured 15.1 px


def test_mirror_averaging_lies_between_the_two_passes(astronaut):
    with PoseDetector(mirror_average=False) as detector:
        single = detector.detect(astronaut)
        mirrored = detector.detect(np.ascontiguousarray(astronaut[:, ::-1]))
    with PoseDetector() as detector:
        both = detector.detect(astronaut)
    width = astronaut.shape[1]
    back = mirror_landmarks(mirrored.landmarks, width)
    np.testing.assert_allclose(both.landmarks, (single.landmarks + back) / 2, atol=1e-3)
    np.testing.assert_allclose(both.mask, (single.mask + mirrored.mask[:, ::-1]) / 2, atol=1e-5)
    assert "mirror" in PoseDetector().name


def test_bench_detect_times_one_pass_against_the_mirror_average(capsys):
    assert main(["bench", "detect", str(DATA / "grace_hopper.jpg"), "--repeats", "1"]) == 0
    out = capsys.readouterr().out
    row = next(line for line in out.splitlines() if line.startswith("grace_hopper.jpg"))
    fields = row.split()
    assert fields[1] == "600x512"
    one, both, ratio = float(fields[2]), float(fields[3]), float(fields[4].rstrip("x"))
    assert ratio == pytest.approx(both / one, abs=0.01)
    assert 0 < float(fields[5]) < 20  # the mirror pass moves joints by a few pixels


def test_nobody_in_a_blank_image():
    with PoseDetector() as detector:
        assert detector.detect(np.full((256, 256, 3), 120, np.uint8)) is None


def test_spt_prepare_on_the_astronaut_maps_back_to_the_photo(astronaut, detection, tmp_path):
    write_image_rgb(tmp_path / "photos" / "astronaut.png", astronaut)
    grey = np.repeat(astronaut.mean(axis=2, keepdims=True).astype(np.uint8), 3, axis=2)
    write_image_rgb(tmp_path / "photos" / "astronaut_grey.png", grey)
    out = tmp_path / "out"
    status = main(
        ["prepare", str(tmp_path / "photos"), "--out", str(out), "--size", "256x176", "--quiet"]
    )
    assert status == 0
    data = PersonDataset(out, require_torso=False)
    assert data.names == ["astronaut.png", "astronaut_grey.png"] and data.size == (256, 176)
    pose = data.poses[0]
    back = pose_to_photo(out, "astronaut.png", pose)
    ok = sk.present(pose)
    # Rounded to whole pixels in a frame about 0.4x the photo: 0.5 / 0.4 = 1.25 px at most.
    np.testing.assert_allclose(back[ok], detection.pose[ok], atol=1.3)
    parsing = data.load_parsing(0)
    face = sk.present(pose)[sk.NOSE] and parsing[int(pose[sk.NOSE, 1]), int(pose[sk.NOSE, 0])]
    assert face == 1  # the nose lies on the face label
    assert (parsing == 3).sum() > 0.2 * (parsing > 0).sum()  # the suit is upper clothes
    # The grey copy is still found, with the nose within the tolerance.
    grey_back = pose_to_photo(out, "astronaut_grey.png", data.poses[1])
    assert np.hypot(*(grey_back[sk.NOSE] - REFERENCE["points"]["nose"])) <= TOLERANCE
