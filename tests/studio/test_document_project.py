"""Project files and autosave recovery, without Qt."""

from __future__ import annotations

import json
import zipfile

import numpy as np
import pytest
from helpers import draw_parsing

from spt_core import labels as lb
from spt_core import skeleton as sk
from spt_studio.document import Document, PersonData, ProjectError, load_project, save_project
from spt_studio.document.autosave import Autosaver
from spt_studio.document.person_init import TEMPLATE_POSE_128x64, template_pose

SIZE = (128, 64)


def make_doc() -> Document:
    pose = TEMPLATE_POSE_128x64.copy() + 0.25
    rng = np.random.default_rng(2)
    image = rng.integers(0, 255, SIZE + (3,), dtype=np.uint8)
    doc = Document.from_person("a.png", image, pose, draw_parsing(pose, SIZE))
    doc.target_pose[sk.R_WRIST] = (3.125, 7.5)
    doc.target_pose[sk.L_EAR] = np.nan
    doc.target_visible[sk.NOSE] = False
    doc.target_parsing[50:60, 10:20] = 5
    doc.reference = PersonData(
        "b.png", image[::-1].copy(), pose[::-1].copy(), draw_parsing(pose, SIZE, sleeves="none")
    )
    doc.settings["transfer_labels"] = [3, 4]
    doc.result = image // 2
    return doc


def test_save_and_load_give_an_identical_document(tmp_path):
    doc = make_doc()
    path = save_project(doc, tmp_path / "p")
    assert path.name == "p.sptproj"
    loaded = load_project(path)
    assert loaded.same_content(doc)
    np.testing.assert_array_equal(loaded.result, doc.result)
    # Changing one label makes them differ: the comparison can fail.
    loaded.target_parsing[0, 0] = 9
    assert not loaded.same_content(doc)


def test_a_failed_save_keeps_the_previous_file(tmp_path, monkeypatch):
    doc = make_doc()
    path = save_project(doc, tmp_path / "p.sptproj")
    before = path.read_bytes()
    import spt_studio.document.project as project

    def broken(array):
        raise OSError("disk full")

    monkeypatch.setattr(project, "_encode_png", broken)
    with pytest.raises(OSError):
        save_project(doc, path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["p.sptproj"]  # no temporary file left


def test_corrupt_projects_raise_errors_naming_the_file(tmp_path):
    bad = tmp_path / "bad.sptproj"
    bad.write_bytes(b"not a zip")
    with pytest.raises(ProjectError, match="bad.sptproj.*not a zip"):
        load_project(bad)
    good = save_project(make_doc(), tmp_path / "good.sptproj")
    broken = tmp_path / "broken.sptproj"
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(broken, "w") as dst:
        for item in src.namelist():
            if item != "target_parsing.png":
                dst.writestr(item, src.read(item))
    with pytest.raises(ProjectError, match="broken.sptproj.*target_parsing.png is missing"):
        load_project(broken)
    odd = tmp_path / "odd.sptproj"
    with zipfile.ZipFile(odd, "w") as dst:
        dst.writestr("project.json", json.dumps({"format": "other"}))
    with pytest.raises(ProjectError, match="not an SPT Studio project"):
        load_project(odd)


def test_autosave_of_a_dead_session_is_recoverable(tmp_path):
    doc = make_doc()
    saver = Autosaver(tmp_path)
    saver.write(doc, project_path=tmp_path / "mine.sptproj")
    # Our own (running) session is not a leftover.
    assert Autosaver(tmp_path).find_recoverable() == []
    # Pretend the owner crashed: a pid that cannot exist.
    info_path = saver.path.with_suffix(".json")
    info = json.loads(info_path.read_text())
    info["pid"] = 2**22 + 12345
    info_path.write_text(json.dumps(info))
    entries = Autosaver(tmp_path).find_recoverable()
    assert len(entries) == 1
    assert entries[0].project_path == tmp_path / "mine.sptproj"
    assert entries[0].load().same_content(doc)
    entries[0].discard()
    assert list(tmp_path.iterdir()) == []


def test_template_pose_fills_the_image_height():
    pose = template_pose((256, 176))
    assert sk.present(pose).all()
    span = pose[:, 1].max() - pose[:, 1].min()
    assert 0.7 * 256 < span < 0.85 * 256
    assert abs(pose[:, 0].mean() - 87.5) < 1e-3


def test_open_image_detects_the_person_when_the_detect_extra_is_installed(tmp_path):
    pytest.importorskip("mediapipe")
    from spt_core.data.dataset import PersonDataset
    from spt_core.data.synthetic import generate_dataset
    from spt_studio.document.person_init import document_from_image

    generate_dataset(tmp_path / "synth", count=1, size=SIZE, seed=0, workers=1)
    dataset = PersonDataset(tmp_path / "synth")
    doc, detected = document_from_image(dataset.image_path(0))
    assert detected
    truth = dataset.poses[0]
    for joint in (sk.NECK, sk.R_SHOULDER, sk.L_SHOULDER, sk.R_HIP, sk.L_HIP):
        assert np.hypot(*(doc.source_pose[joint] - truth[joint])) < 6.0
    assert (doc.source_parsing != 0).mean() > 0.1  # a person-sized parsing, not empty


def test_a_person_folder_opens_with_its_own_pose_and_parsing(tmp_path):
    from spt_core.person_files import read_pose_file
    from spt_core.shipped import sample_dir
    from spt_studio.document.person_init import (
        document_from_image,
        document_from_person_folder,
        is_person_folder,
    )

    folder = sample_dir("person_a")
    assert is_person_folder(folder) and not is_person_folder(folder.parent)
    pose = read_pose_file(folder / "pose.json")
    parsing = lb.read_parsing(folder / "parsing.png")
    for doc in (document_from_person_folder(folder), document_from_image(folder / "image.png")[0]):
        np.testing.assert_array_equal(doc.source_pose, pose)
        np.testing.assert_array_equal(doc.source_parsing, parsing)
        assert doc.name == "person_a"
    # A photo elsewhere named image.png, without a pose beside it, is only a photo.
    import shutil

    shutil.copy(folder / "image.png", tmp_path / "image.png")
    doc, _found = document_from_image(tmp_path / "image.png", use_detector=False)
    assert not np.array_equal(doc.source_pose, pose, equal_nan=True)
