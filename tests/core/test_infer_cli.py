"""spt repose / render / transfer / export and person folders."""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest

from spt_core import labels as lb
from spt_core import skeleton as sk
from spt_core.cli import main
from spt_core.errors import DataError
from spt_core.io_utils import read_image_rgb
from spt_core.person_files import read_person, read_pose_file, write_person
from spt_core.pipeline import SPTPipeline

SAMPLES = __import__("spt_core.shipped").shipped.SAMPLES_DIR


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    path = tmp_path_factory.mktemp("model") / "m"
    SPTPipeline.random(size=(128, 64), seed=1, base_channels=8, max_channels=16).save_pretrained(
        path
    )
    return path


def test_shipped_samples_are_complete_people():
    for name in ("person_a", "person_b", "person_c", "person_d"):
        person = read_person(SAMPLES / name)
        assert person.image.shape == (128, 64, 3)
        assert set(np.unique(person.parsing)) <= set(range(10))


def test_repose_writes_the_model_output(model, tmp_path, capsys):
    out = tmp_path / "r.png"
    assert (
        main(
            [
                "repose",
                "--model",
                str(model),
                "--out",
                str(out),
                "--device",
                "cpu",
                "--sheet",
                str(tmp_path / "s.png"),
                "--parsing-out",
                str(tmp_path / "p.png"),
            ]
        )
        == 0
    )
    pipe = SPTPipeline.from_pretrained(model, device="cpu")
    expected = pipe.repose(
        read_person(SAMPLES / "person_a"), read_pose_file(SAMPLES / "person_b")
    ).image
    assert np.array_equal(read_image_rgb(out), expected)
    assert lb.read_parsing(tmp_path / "p.png").shape == (128, 64)
    assert read_image_rgb(tmp_path / "s.png").shape[0] == 256
    assert "128x64" in capsys.readouterr().out


def test_render_and_transfer(model, tmp_path):
    parsing = lb.read_parsing(SAMPLES / "person_a" / "parsing.png")
    edited = parsing.copy()
    edited[np.isin(edited, [lb.LEFT_ARM, lb.RIGHT_ARM])] = lb.UPPER_CLOTHES  # long sleeves
    np.save(tmp_path / "edited.npy", edited)
    out = tmp_path / "render.png"
    assert (
        main(
            [
                "render",
                str(SAMPLES / "person_a"),
                "--target-parsing",
                str(tmp_path / "edited.npy"),
                "--model",
                str(model),
                "--out",
                str(out),
            ]
        )
        == 0
    )
    pipe = SPTPipeline.from_pretrained(model, device="cpu")
    a = read_person(SAMPLES / "person_a")
    # At the photo's size (the sample is the model's size: the whole photo is the frame): the
    # model's drawing inside the person's old and new regions, the photo's pixels outside.
    drawn = pipe.render(a, a.pose, edited)
    result = read_image_rgb(out)
    person = (a.parsing > 0) | (edited > 0)
    assert np.array_equal(result[person], drawn[person])
    far = ~cv2.dilate(person.astype(np.uint8), np.ones((9, 9), np.uint8)).astype(bool)
    assert np.array_equal(result[far], a.image[far])

    out = tmp_path / "transfer.png"
    assert (
        main(
            [
                "transfer",
                "--clothes-from",
                str(SAMPLES / "person_b"),
                "--onto",
                str(SAMPLES / "person_a"),
                "--labels",
                "upper_clothes",
                "--model",
                str(model),
                "--out",
                str(out),
            ]
        )
        == 0
    )
    result = read_image_rgb(out)
    outside = a.parsing != lb.UPPER_CLOTHES
    assert np.array_equal(result[outside], a.image[outside])

    # --target-pose reposes the person in the new clothes.
    pose_file = SAMPLES / "person_c" / "pose.json"
    args = [
        "transfer",
        "--clothes-from",
        str(SAMPLES / "person_b"),
        "--onto",
        str(SAMPLES / "person_a"),
        "--target-pose",
        str(pose_file),
        "--model",
        str(model),
        "--out",
        str(tmp_path / "t2.png"),
    ]
    assert main(args) == 0
    b = read_person(SAMPLES / "person_b")
    expected = pipe.transfer(b, a, lb.GARMENT_LABELS, target_pose=read_pose_file(pose_file))
    assert np.array_equal(read_image_rgb(tmp_path / "t2.png"), expected)


def test_unknown_label_and_missing_model_exit_2(model, tmp_path, capsys):
    assert main(["transfer", "--labels", "sleeves", "--model", str(model)]) == 2
    assert "unknown label(s) sleeves" in capsys.readouterr().err
    assert (
        main(["repose", "--model", str(tmp_path / "none"), "--out", str(tmp_path / "x.png")]) == 2
    )
    assert "no model there" in capsys.readouterr().err
    assert not (tmp_path / "x.png").exists()


def test_export_writes_a_loadable_half_model(model, tmp_path, capsys):
    card = tmp_path / "card.md"
    card.write_text("# a card\n")
    # A model directory is also a valid export source (re-export, e.g. to float32).
    assert (
        main(["export", str(model), "--out", str(tmp_path / "e"), "--card", str(card), "--float32"])
        == 0
    )
    assert "float32" in capsys.readouterr().out
    meta = json.loads((tmp_path / "e" / "model.json").read_text())
    assert meta["kind"] == "spt-model" and meta["size"] == [128, 64]
    assert (tmp_path / "e" / "MODEL_CARD.md").read_text() == "# a card\n"


def test_person_files_refuse_bad_input(tmp_path):
    person = read_person(SAMPLES / "person_a")
    write_person(tmp_path / "p", person)
    again = read_person(tmp_path / "p")
    assert np.array_equal(again.image, person.image)
    assert np.allclose(again.pose, person.pose, atol=0.01, equal_nan=True)
    pose_file = tmp_path / "p" / "pose.json"
    pose_file.write_text("{oops")
    with pytest.raises(DataError, match="pose.json.*not valid JSON"):
        read_person(tmp_path / "p")
    pose_file.write_text(json.dumps({"keypoints": [[1, 2]] * 17}))
    with pytest.raises(DataError, match="expected 18 keypoints.*got 17"):
        read_pose_file(pose_file)
    far = [[500.0, 10.0]] + [[float(x), float(y)] for x, y in person.pose[1:]]
    pose_file.write_text(json.dumps({"keypoints": far}))
    with pytest.raises(DataError, match="outside the 64x128 image \\(nose\\)"):
        read_person(tmp_path / "p")
    with pytest.raises(DataError, match="not a person folder"):
        read_person(tmp_path / "missing")


def test_an_upper_body_pose_is_warned_about(tmp_path, capsys):
    """No knee and no ankle: the CLI says why the result will be blocks (it still runs)."""
    import shutil

    folder = tmp_path / "upper"
    shutil.copytree(SAMPLES / "person_a", folder)
    pose = json.loads((folder / "pose.json").read_text())
    for joint in (sk.R_KNEE, sk.L_KNEE, sk.R_ANKLE, sk.L_ANKLE):
        pose["keypoints"][joint] = None
    (folder / "pose.json").write_text(json.dumps(pose))
    assert main(["repose", str(folder), "--out", str(tmp_path / "r.png"), "--device", "cpu"]) == 0
    assert "no knee and no ankle" in capsys.readouterr().err
    assert main(["repose", "--out", str(tmp_path / "s.png"), "--device", "cpu"]) == 0
    assert "no knee" not in capsys.readouterr().err  # a whole body: no warning
