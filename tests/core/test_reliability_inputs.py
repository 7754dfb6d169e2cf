"""A generated corpus of bad input files and values (issue #15, defect 5; the command line is
in test_reliability_cli.py).

Every case is built here from the shipped samples and model (no binary files in git) and runs
``spt`` in-process: it must either exit non-zero with one line on stderr that names the file or
flag, and no traceback, or be handled correctly.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from reliability_helpers import MODEL, SAMPLES, assert_one_line_error, run_cli, sample_points

from spt_core import skeleton as sk
from spt_core.errors import DataError, InputError
from spt_core.models.checkpoint import CheckpointError

# --------------------------------------------------------------------------------------------
# Pose JSON (spt repose --target-pose FILE): read and checked before the model loads


def _points(transform) -> list:
    return [None if p is None else transform(p) for p in sample_points()]


POSE_JSON_CASES = {
    "all_null": (json.dumps({"keypoints": [None] * 18}), "no joint"),
    "no_torso": (
        json.dumps(
            {
                "keypoints": [
                    None if j in sk.TORSO_JOINTS else p for j, p in enumerate(sample_points())
                ]
            }
        ),
        "no torso joint",
    ),
    "far_outside": (
        json.dumps({"keypoints": _points(lambda p: [p[0] + 1000, p[1]])}),
        "far outside",
    ),
    "negated": (json.dumps({"keypoints": _points(lambda p: [-p[0], -p[1]])}), "outside"),
    "just_left_of_frame": (
        json.dumps({"keypoints": _points(lambda p: [-1 - 0.4 * p[0], p[1]])}),
        "torso outside",
    ),
    "booleans": (json.dumps({"keypoints": [[True, True]] * 18}), "keypoint 0 (nose)"),
    "infinity": (json.dumps({"keypoints": _points(lambda p: [p[0], float("inf")])}), "not finite"),
    "nan_everywhere": (
        json.dumps({"keypoints": _points(lambda p: [float("nan"), p[1]])}),
        "no joint",
    ),
    "huge_float": (json.dumps({"keypoints": [[1e30, 1e30]] * 18}), "not a pixel coordinate"),
    "huge_int": ('{"keypoints": [[1' + "0" * 400 + ", 5]" + ", null" * 17 + "]}", "keypoint 0"),
    "strings": (json.dumps({"keypoints": _points(lambda p: [str(p[0]), p[1]])}), "not a number"),
    "seventeen": (json.dumps({"keypoints": sample_points()[:17]}), "got 17"),
    "not_json": ("{keypoints: oops", "not valid JSON"),
    "empty_file": ("", "not valid JSON"),
    "keypoints_dict": (json.dumps({"keypoints": {"nose": [1, 2]}}), "expected 18 keypoints"),
    "three_values": (json.dumps({"keypoints": _points(lambda p: [*p, 1.0])}), "[x, y] or null"),
    "nested": (json.dumps({"keypoints": [[[1, 2], [3, 4]]] * 18}), "not a number"),
    "another_frame": (
        # A DeepFashion-sized pose (256x176) on the 128x64 person: refused, not used unscaled.
        json.dumps({"keypoints": _points(lambda p: [p[0] * 2.75, p[1] * 2.0])}),
        "another image size",
    ),
}


@pytest.mark.parametrize("case", sorted(POSE_JSON_CASES))
def test_bad_pose_json_is_refused_naming_the_file(tmp_path, capsys, case):
    text, words = POSE_JSON_CASES[case]
    path = tmp_path / f"{case}.json"
    path.write_text(text)
    argv = ["repose", "--target-pose", str(path), "--out", str(tmp_path / "x.png")]
    status, out, err = run_cli(capsys, argv)
    assert_one_line_error(status, err, out, str(path))
    assert words in err
    assert not (tmp_path / "x.png").exists()


def test_binary_pose_file_is_refused(tmp_path, capsys):
    path = tmp_path / "pose.json"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\xff\xfe\x00")
    status, out, err = run_cli(capsys, ["repose", "--target-pose", str(path)])
    assert_one_line_error(status, err, out, str(path))


@pytest.mark.parametrize("what", ["missing_file", "folder_without_pose"])
def test_absent_pose_is_refused(tmp_path, capsys, what):
    path = tmp_path / "absent.json" if what == "missing_file" else tmp_path
    status, out, err = run_cli(capsys, ["repose", "--target-pose", str(path)])
    assert_one_line_error(status, err, out, "pose file not found")


# --------------------------------------------------------------------------------------------
# Pose CSV (annotations.csv#name)


def _csv_row(name: str, ys: list, xs: list) -> str:
    return f"{name}: [{', '.join(map(str, ys))}]: [{', '.join(map(str, xs))}]"


def _sample_row(scale: float = 1.0) -> tuple[list, list]:
    ys, xs = [], []
    for point in sample_points():
        ys.append(-1 if point is None else round(point[1] * scale))
        xs.append(-1 if point is None else round(point[0] * scale))
    return ys, xs


GOOD_Y, GOOD_X = _sample_row()
POSE_CSV_CASES = {
    "boolean": (GOOD_Y[:-1] + ["true"], GOOD_X, "joint 17 (left_ear)"),
    "infinity": (GOOD_Y[:-1] + ["Infinity"], GOOD_X, "non-integer"),
    "huge": (GOOD_Y[:-1] + ["1e30"], GOOD_X, "not a pixel coordinate"),
    "negative": (GOOD_Y[:-1] + [-5], GOOD_X, "negative"),
    "fraction": (GOOD_Y[:-1] + [3.5], GOOD_X, "non-integer"),
    "deepfashion_frame": (*_sample_row(scale=2.0), "another image size"),
}


@pytest.mark.parametrize("case", sorted(POSE_CSV_CASES))
def test_bad_pose_csv_row_is_refused_naming_the_file(tmp_path, capsys, case):
    ys, xs, words = POSE_CSV_CASES[case]
    path = tmp_path / "annotations.csv"
    path.write_text(f"{sk.CSV_HEADER}\n{_csv_row('a.jpg', ys, xs)}\n")
    status, out, err = run_cli(capsys, ["repose", "--target-pose", f"{path}#a.jpg"])
    assert_one_line_error(status, err, out, str(path))
    assert words in err


@pytest.mark.parametrize(
    ("content", "words"),
    [("name,x,y\n", "expected the header"), (f"{sk.CSV_HEADER}\n", "no row named 'a.jpg'")],
)
def test_csv_without_the_row_is_refused(tmp_path, capsys, content, words):
    path = tmp_path / "annotations.csv"
    path.write_text(content)
    status, out, err = run_cli(capsys, ["repose", "--target-pose", f"{path}#a.jpg"])
    assert_one_line_error(status, err, out, str(path))
    assert words in err


# --------------------------------------------------------------------------------------------
# Person folders: parsing maps and images


def _person(tmp_path: Path) -> Path:
    folder = tmp_path / "person"
    shutil.copytree(SAMPLES / "person_a", folder)
    return folder


def _zip_bytes() -> bytes:
    return b"PK\x03\x04" + b"\x00" * 40  # a zip header with nothing behind it


PERSON_FILE_CASES = {
    "parsing_garbage_png": ("parsing.png", b"not a png at all", "parsing.png"),
    "parsing_empty_png": ("parsing.png", b"", "parsing.png"),
    "parsing_truncated_npy_zip": ("parsing.npy", _zip_bytes(), "parsing.npy"),
    "parsing_garbage_npy": ("parsing.npy", b"\x93NUMPY garbage", "parsing.npy"),
    "image_garbage": ("image.png", b"GIF89a nonsense", "image.png"),
    "image_empty": ("image.png", b"", "image.png"),
}


@pytest.mark.parametrize("case", sorted(PERSON_FILE_CASES))
def test_broken_person_file_is_refused_naming_it(tmp_path, capsys, case):
    name, content, shown = PERSON_FILE_CASES[case]
    folder = _person(tmp_path)
    if name == "parsing.npy":
        (folder / "parsing.png").unlink()
    (folder / name).write_bytes(content)
    status, out, err = run_cli(capsys, ["repose", str(folder), "--out", str(tmp_path / "x.png")])
    assert_one_line_error(status, err, out, shown)


@pytest.mark.parametrize(
    ("array", "words"),
    [
        (np.full((128, 64), 42, np.uint8), "label values"),
        (np.zeros((64, 32), np.uint8), "parsing"),
        (np.zeros((128, 64, 3), np.uint8), "parsing"),
    ],
    ids=["label_42", "wrong_size", "three_channels"],
)
def test_unusable_parsing_array_is_refused(tmp_path, capsys, array, words):
    folder = _person(tmp_path)
    (folder / "parsing.png").unlink()
    np.save(folder / "parsing.npy", array)
    status, out, err = run_cli(capsys, ["repose", str(folder)])
    assert_one_line_error(status, err, out, "parsing.npy")
    assert words in err


def test_missing_image_is_refused(tmp_path, capsys):
    folder = _person(tmp_path)
    (folder / "image.png").unlink()
    status, out, err = run_cli(capsys, ["repose", str(folder)])
    assert_one_line_error(status, err, out, "image.png")


def test_grey_image_is_handled(tmp_path, capsys):
    """A grey PNG is a usable picture: it is read as RGB and the command succeeds."""
    import cv2

    folder = _person(tmp_path)
    grey = cv2.imread(str(folder / "image.png"), cv2.IMREAD_GRAYSCALE)
    cv2.imwrite(str(folder / "image.png"), grey)
    out_path = tmp_path / "x.png"
    status, out, err = run_cli(capsys, ["repose", str(folder), "--out", str(out_path)])
    assert status == 0, err
    assert out_path.is_file()


# --------------------------------------------------------------------------------------------
# Model directories


def _model(tmp_path: Path) -> Path:
    folder = tmp_path / "model"
    shutil.copytree(MODEL, folder)
    return folder


def _break_model(folder: Path, case: str) -> str:
    """Damage a copy of the shipped model; returns what the message must name."""
    meta = folder / "model.json"
    weights = folder / "semantic" / "generator.safetensors"
    if case == "empty_dir":
        shutil.rmtree(folder)
        folder.mkdir()
        return str(folder)
    if case == "model_json_garbage":
        meta.write_text("{oops")
        return str(meta)
    if case == "model_json_list":
        meta.write_text("[1, 2]")
        return str(meta)
    if case in ("no_semantic_key", "no_appearance_key"):
        data = json.loads(meta.read_text())
        del data[case.split("_")[1]]
        meta.write_text(json.dumps(data))
        return str(meta)
    if case == "truncated_weights":
        weights.write_bytes(weights.read_bytes()[:1000])
        return str(weights)
    if case == "config_garbage":
        (folder / "semantic" / "config.json").write_text("][")
        return "config.json"
    raise AssertionError(case)


@pytest.mark.parametrize(
    "case",
    [
        "empty_dir",
        "model_json_garbage",
        "model_json_list",
        "no_semantic_key",
        "no_appearance_key",
        "truncated_weights",
        "config_garbage",
    ],
)
def test_broken_model_is_refused_naming_the_file(tmp_path, capsys, case):
    folder = _model(tmp_path)
    shown = _break_model(folder, case)
    status, out, err = run_cli(capsys, ["repose", "--model", str(folder), "--device", "cpu"])
    assert_one_line_error(status, err, out, shown)


@pytest.mark.parametrize("value", [float("nan"), float("inf")], ids=["nan", "inf"])
def test_weights_with_nan_or_inf_are_refused_at_load(tmp_path, capsys, value):
    from safetensors.torch import load_file, save_file

    folder = _model(tmp_path)
    weights = folder / "appearance" / "generator.safetensors"
    state = load_file(str(weights))
    name = sorted(k for k, v in state.items() if v.is_floating_point())[0]
    state[name].view(-1)[0] = value
    save_file(state, str(weights))
    status, out, err = run_cli(capsys, ["repose", "--model", str(folder), "--device", "cpu"])
    assert_one_line_error(status, err, out, str(weights))
    assert name in err and "NaN or Inf" in err
    from spt_core.pipeline import SPTPipeline

    with pytest.raises(CheckpointError, match=name):
        SPTPipeline.from_pretrained(folder, device="cpu")


def test_model_path_that_is_a_file_is_refused(tmp_path, capsys):
    path = tmp_path / "model.txt"
    path.write_text("not a model")
    status, out, err = run_cli(capsys, ["repose", "--model", str(path), "--device", "cpu"])
    assert_one_line_error(status, err, out, str(path))


# --------------------------------------------------------------------------------------------
# The library: Person.check, the target pose, transfer's labels


@pytest.fixture(scope="module")
def pipe():
    from spt_core.pipeline import SPTPipeline

    return SPTPipeline.random(size=(32, 16), base_channels=4, max_channels=8, device="cpu")


def _small_person():
    from spt_core.pipeline import Person

    points = np.array([[np.nan, np.nan] if p is None else p for p in sample_points()], np.float32)
    return Person(np.zeros((32, 16, 3), np.uint8), points / 4, np.zeros((32, 16), np.uint8))


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (lambda p: np.full_like(p, np.nan), "person.pose has no joint"),
        (lambda p: p.astype(bool), "person.pose must hold numbers"),
        (lambda p: np.where(np.isnan(p), p, np.inf), "person.pose holds infinite"),
        (lambda p: p + 1e30, "person.pose has joints far outside"),
    ],
    ids=["all_nan", "booleans", "infinite", "huge"],
)
def test_person_with_an_unusable_pose_is_refused(pipe, change, words):
    person = _small_person()
    person.pose = change(person.pose)
    with pytest.raises(InputError, match=words):
        pipe.repose(person, _small_person().pose)


def test_target_pose_problems_name_the_argument_and_the_batch_index(pipe):
    person = _small_person()
    with pytest.raises(ValueError, match="target_pose has no torso joint"):
        target = person.pose.copy()
        target[list(sk.TORSO_JOINTS)] = np.nan
        pipe.repose(person, target)
    batch = type(person)(
        np.stack([person.image] * 2), np.stack([person.pose] * 2), np.stack([person.parsing] * 2)
    )
    targets = np.stack([person.pose, person.pose + 100])
    with pytest.raises(InputError, match=r"target_pose\[1\]"):
        pipe.repose(batch, targets)


@pytest.mark.parametrize("labels", [(42,), (), (True,), ("sleeves",), (-1,)])
def test_transfer_with_unknown_labels_is_refused(pipe, labels):
    person = _small_person()
    with pytest.raises(InputError, match="labels"):
        pipe.transfer(clothes_from=person, onto=person, labels=labels)


# --------------------------------------------------------------------------------------------
# Fuzzing the pose JSON reader

hypothesis = pytest.importorskip("hypothesis")
st = pytest.importorskip("hypothesis.strategies")

_coordinate = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-(10**40), max_value=10**40),
    st.booleans(),
    st.none(),
    st.text(max_size=3),
)
_point = st.one_of(st.none(), st.lists(_coordinate, min_size=0, max_size=3))
_document = st.one_of(
    st.fixed_dictionaries({"keypoints": st.lists(_point, min_size=17, max_size=19)}),
    st.lists(_point, min_size=18, max_size=18),
    st.dictionaries(st.text(max_size=4), st.integers(), max_size=2),
)


@hypothesis.settings(max_examples=50, deadline=None)
@hypothesis.given(document=_document)
def test_fuzz_pose_json_reader(document):
    """Any JSON document gives a clean pose or a DataError naming the file, nothing else."""
    import tempfile

    from spt_core.person_files import read_pose_file

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "pose.json"
        path.write_text(json.dumps(document))
        try:
            pose = read_pose_file(path)
        except DataError as exc:
            assert str(path) in str(exc)
            return
    assert pose.shape == (18, 2) and pose.dtype == np.float32
    values = pose[sk.present(pose)]
    assert np.isfinite(values).all() and (np.abs(values) <= sk.MAX_COORDINATE).all()
