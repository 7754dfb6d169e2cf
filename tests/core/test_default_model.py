"""The shipped default model: loads with no arguments, reposes the shipped samples, transfers."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import numpy as np
import pytest

from spt_core import labels as lb
from spt_core.cli import main
from spt_core.eval.transfer import evaluate_transfer, histogram_distance, score_transfer
from spt_core.io_utils import read_image_rgb
from spt_core.person_files import read_person
from spt_core.photo_frame import repose_in_photo
from spt_core.pipeline import SPTPipeline, default_model_path

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "spt_core" / "resources" / "samples"


@pytest.fixture(scope="module")
def pipe():
    return SPTPipeline.from_pretrained(device="cpu")


@pytest.fixture(scope="module")
def people():
    return [read_person(SAMPLES / f"person_{c}") for c in "abcd"]


def test_the_default_model_ships_small_and_complete():
    path = default_model_path()
    assert path == ROOT / "spt_core" / "resources" / "models" / "spt-synth-128x64"
    meta = json.loads((path / "model.json").read_text())
    assert meta["kind"] == "spt-model" and meta["size"] == [128, 64]
    size = sum(f.stat().st_size for f in path.rglob("*") if f.is_file())
    assert size < 25e6, f"{size / 1e6:.1f} MB"
    card = (path / "MODEL_CARD.md").read_text()
    for needed in ("Data", "Training", "Metrics", "SSIM"):
        assert needed in card


def test_repose_with_no_arguments_writes_an_image(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["repose"]) == 0
    image = read_image_rgb(tmp_path / "repose.png")
    assert image.shape == (128, 64, 3)
    # It is person_a in person_b's pose: the pipeline's drawing where either person is (the
    # photo is the model's size: the whole photo is the frame), the photo's pixels elsewhere.
    pipe = SPTPipeline.from_pretrained(device="cpu")
    a, b = read_person(SAMPLES / "person_a"), read_person(SAMPLES / "person_b")
    expected = pipe.repose(a, b.pose)
    assert np.array_equal(image, repose_in_photo(pipe, a, b.pose).image)
    person = (a.parsing > 0) | (expected.parsing > 0)
    assert np.array_equal(image[person], expected.image[person])
    # The predicted map puts the body where the target pose is: the torso joints of B's pose
    # land on body labels, not on background.
    for joint in (2, 5, 8, 11):  # shoulders and hips
        x, y = np.round(b.pose[joint]).astype(int)
        assert expected.parsing[y, x] != lb.BACKGROUND
    assert "repose.png" in capsys.readouterr().out


def test_transfer_takes_the_garment_of_a_and_keeps_b(pipe, people):
    pairs = list(itertools.permutations(range(len(people)), 2))
    summary = evaluate_transfer(pipe, people, pairs, lb.UPPER_CLOTHES)
    assert summary["pairs"] == 12
    # In B's upper-clothes region the output is closer to A's garment than to B's own.
    assert summary["closer_to_clothes_histogram"] >= 11 / 12, summary
    assert summary["histogram_to_clothes"] < summary["histogram_to_own"] - 0.1, summary
    assert summary["gram_to_clothes"] < summary["gram_to_own"], summary
    # B's face stays B's.
    assert summary["face_difference"] < 1.0


def test_transfer_score_against_a_hand_made_case(people):
    """The score itself: a garment recoloured by hand to A's mean colour counts as A's."""
    a, b = people[0], people[1]
    region_b = b.parsing == lb.UPPER_CLOTHES
    painted = b.image.copy()
    painted[region_b] = np.median(a.image[a.parsing == lb.UPPER_CLOTHES], axis=0).astype(np.uint8)
    score = score_transfer(painted, a, b, lb.UPPER_CLOTHES)
    assert score.takes_clothes and score.face_difference == 0.0
    unchanged = score_transfer(b.image, a, b, lb.UPPER_CLOTHES)
    assert not unchanged.takes_clothes and unchanged.to_own_histogram == 0.0
    assert histogram_distance(b.image, region_b, b.image, region_b) == 0.0
