"""The shipped model's outputs on the four samples equal those recorded with it
(tests/data/shipped_outputs.npz), so a refactor that changes what the model draws fails here;
and a photo-sized input differs only by the documented letterbox correction
(docs/decisions/0005-letterbox.md).

When the shipped model itself is replaced, record its outputs again (and say so in the commit)::

    python -m tests.core.test_shipped_outputs
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from spt_core.person_files import read_person
from spt_core.pipeline import Person, SPTPipeline

ROOT = Path(__file__).resolve().parents[2]
NAMES = ["person_a", "person_b", "person_c", "person_d"]


@pytest.fixture(scope="module")
def recorded():
    with np.load(ROOT / "tests" / "data" / "shipped_outputs.npz", allow_pickle=False) as data:
        return dict(data)


@pytest.fixture(scope="module")
def shipped():
    pipe = SPTPipeline.from_pretrained(device="cpu")
    people = {n: read_person(ROOT / "spt_core" / "resources" / "samples" / n) for n in NAMES}
    return pipe, people


def test_repose_render_and_transfer_are_unchanged_on_the_samples(recorded, shipped):
    pipe, people = shipped
    for i, name in enumerate(NAMES):
        other, third = people[NAMES[(i + 1) % 4]], people[NAMES[(i + 2) % 4]]
        result = pipe.repose(people[name], other.pose)
        np.testing.assert_array_equal(result.image, recorded[f"repose_{name}"])
        np.testing.assert_array_equal(result.parsing, recorded[f"repose_parsing_{name}"])
        rendered = pipe.render(people[name], other.pose, other.parsing)
        np.testing.assert_array_equal(rendered, recorded[f"render_{name}"])
        moved = pipe.transfer(clothes_from=other, onto=people[name])
        np.testing.assert_array_equal(moved, recorded[f"transfer_{name}"])
        reposed = pipe.transfer(clothes_from=other, onto=people[name], target_pose=third.pose)
        np.testing.assert_array_equal(reposed, recorded[f"transfer_reposed_{name}"])


def test_a_photo_sized_input_changes_only_by_the_letterbox_correction(recorded, shipped):
    pipe, people = shipped
    person, target = _photo_input(people["person_a"], people["person_b"])
    result = pipe.repose(person, target)
    before = recorded["photo_repose"].astype(np.int16)
    change = np.abs(result.image.astype(np.int16) - before)
    # Poses move by under half a pixel and labels by at most one pixel at edges: the picture
    # stays the same person in the same place (numbers in the decision record).
    assert change.mean() < 4.0
    assert (result.parsing != recorded["photo_repose_parsing"]).mean() < 0.05
    # The result carries its letterbox: cropping gives the photo's proportions.
    top, bottom, left, right = result.letterbox.box
    assert result.letterbox.crop(result.image).shape == (bottom - top, right - left, 3)
    assert abs((right - left) / (bottom - top) - 90 / 150) < 0.02


def _photo_input(a, b) -> tuple[Person, np.ndarray]:
    """person_a scaled to 150x90 (not the model's aspect ratio), poses with it; b's pose."""
    image = cv2.resize(a.image, (90, 150), interpolation=cv2.INTER_LINEAR)
    parsing = cv2.resize(a.parsing, (90, 150), interpolation=cv2.INTER_NEAREST)
    scale = np.array([90 / 64, 150 / 128], np.float32)
    pose = ((a.pose + 0.5) * scale - 0.5).astype(np.float32)
    target = ((b.pose + 0.5) * scale - 0.5).astype(np.float32)
    return Person(image, pose, parsing), target


def record(path: Path = ROOT / "tests" / "data" / "shipped_outputs.npz") -> None:
    """Write the shipped model's outputs (what the tests above compare with)."""
    pipe = SPTPipeline.from_pretrained(device="cpu")
    people = {n: read_person(ROOT / "spt_core" / "resources" / "samples" / n) for n in NAMES}
    out = {}
    for i, name in enumerate(NAMES):
        other, third = people[NAMES[(i + 1) % 4]], people[NAMES[(i + 2) % 4]]
        result = pipe.repose(people[name], other.pose)
        out[f"repose_{name}"], out[f"repose_parsing_{name}"] = result.image, result.parsing
        out[f"render_{name}"] = pipe.render(people[name], other.pose, other.parsing)
        out[f"transfer_{name}"] = pipe.transfer(clothes_from=other, onto=people[name])
        out[f"transfer_reposed_{name}"] = pipe.transfer(
            clothes_from=other, onto=people[name], target_pose=third.pose
        )
    person, target = _photo_input(people["person_a"], people["person_b"])
    result = pipe.repose(person, target)
    out["photo_repose"], out["photo_repose_parsing"] = result.image, result.parsing
    np.savez_compressed(path, **out)


if __name__ == "__main__":
    record()
    print("recorded tests/data/shipped_outputs.npz")
