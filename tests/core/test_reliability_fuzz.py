"""Fuzzing the readers a user can hand files to (issue #15): pose CSVs, parsing maps and editor
projects. Whatever the bytes, a reader returns a valid value or raises the project's DataError
naming the file; never another exception. Bounded example counts keep CI fast."""

from __future__ import annotations

import json
import tempfile
import zipfile
from pathlib import Path

import numpy as np
import pytest

hypothesis = pytest.importorskip("hypothesis")
st = pytest.importorskip("hypothesis.strategies")

from spt_core import labels as lb  # noqa: E402
from spt_core import skeleton as sk  # noqa: E402
from spt_core.errors import DataError  # noqa: E402

SETTINGS = hypothesis.settings(
    max_examples=40, deadline=None, suppress_health_check=[hypothesis.HealthCheck.too_slow]
)
NUMBERS = st.one_of(
    st.integers(-(10**6), 10**6),
    st.sampled_from(["-1", "nan", "inf", "1e30", "", "x", "true", "3.5", "-0"]),
)


def _coords(values: list) -> str:
    return "[" + ", ".join(str(v) for v in values) + "]"


@st.composite
def pose_csv_text(draw) -> str:
    """A PG2 CSV: the right header (mostly) and rows with any coordinates, counts and names."""
    header = draw(st.sampled_from([sk.CSV_HEADER, sk.CSV_HEADER, "name:x:y", ""]))
    rows = []
    for _ in range(draw(st.integers(0, 4))):
        count = draw(st.sampled_from([18, 18, 17, 0, 19]))
        ys = draw(st.lists(NUMBERS, min_size=count, max_size=count))
        xs = draw(st.lists(NUMBERS, min_size=count, max_size=count))
        name = draw(st.sampled_from(["a.jpg", "b.jpg", "a.jpg", "", "c:d.jpg"]))
        rows.append(f"{name}:{_coords(ys)}:{_coords(xs)}")
    noise = draw(st.text(max_size=20))
    return "\n".join([header, *rows, noise])


@SETTINGS
@hypothesis.given(text=pose_csv_text())
def test_pose_csv_reader_returns_poses_or_names_the_file(text):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "poses.csv"
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
        try:
            poses = sk.read_pose_csv(path)
        except DataError as error:
            assert "poses.csv" in str(error)
            return
        for pose in poses.values():
            assert pose.shape == (sk.NUM_JOINTS, 2) and pose.dtype == np.float32
            assert not np.isinf(pose).any()


@SETTINGS
@hypothesis.given(
    values=st.lists(st.integers(0, 300), min_size=1, max_size=64),
    width=st.integers(1, 8),
    suffix=st.sampled_from([".png", ".npy"]),
    garbage=st.booleans(),
    junk=st.binary(max_size=64),
)
def test_parsing_reader_returns_labels_or_names_the_file(values, width, suffix, garbage, junk):
    import cv2

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"parsing{suffix}"
        rows = max(1, len(values) // width)
        array = np.resize(np.asarray(values, np.uint16), (rows, width))
        if garbage:
            path.write_bytes(junk)
        elif suffix == ".npy":
            np.save(path, array)
        else:
            cv2.imwrite(str(path), array.astype(np.uint8 if array.max() < 256 else np.uint16))
        try:
            labels = lb.read_parsing(path)
        except DataError as error:
            assert "parsing" in str(error)
            return
        assert labels.dtype == np.uint8 and labels.ndim == 2
        assert labels.max() < lb.NUM_LABELS


JSON_VALUES = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-(10**9), 10**9),
        st.floats(allow_nan=True, allow_infinity=True),
        st.text(max_size=8),
    ),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=6), children)
    ),
    max_leaves=12,
)


@pytest.fixture(scope="module")
def valid_project(tmp_path_factory):
    from helpers import draw_parsing

    from spt_studio.document import Document, save_project
    from spt_studio.document.person_init import TEMPLATE_POSE_128x64

    pose = TEMPLATE_POSE_128x64.copy()
    image = np.random.default_rng(1).integers(0, 255, (128, 64, 3), dtype=np.uint8)
    doc = Document.from_person("a.png", image, pose, draw_parsing(pose, (128, 64)))
    return save_project(doc, tmp_path_factory.mktemp("fuzz") / "valid.sptproj")


def _manifest_key(path: Path) -> tuple[str, dict]:
    with zipfile.ZipFile(path) as archive:
        name = next(n for n in archive.namelist() if n.endswith(".json"))
        return name, json.loads(archive.read(name))


@SETTINGS
@hypothesis.given(data=st.data())
def test_project_reader_loads_or_names_the_file(valid_project, data):
    from spt_studio.document import ProjectError, load_project

    name, manifest = _manifest_key(valid_project)
    # Replace one field (at any depth of the manifest) by any JSON value.
    target = manifest
    keys = data.draw(st.lists(st.integers(0, 20), min_size=1, max_size=3))
    for depth, index in enumerate(keys):
        fields = list(target) if isinstance(target, dict) else list(range(len(target)))
        if not fields:
            break
        key = fields[index % len(fields)]
        last = depth == len(keys) - 1 or not isinstance(target[key], (dict, list))
        if last:
            target[key] = data.draw(JSON_VALUES)
            break
        target = target[key]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "fuzzed.sptproj"
        with zipfile.ZipFile(valid_project) as source, zipfile.ZipFile(path, "w") as out:
            for item in source.namelist():
                payload = source.read(item)
                if item == name:
                    payload = json.dumps(manifest).encode()
                out.writestr(item, payload)
        try:
            doc = load_project(path)
        except ProjectError as error:
            assert "fuzzed.sptproj" in str(error)
            return
        assert doc.image.shape == (128, 64, 3)
