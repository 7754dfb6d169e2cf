"""The PG2-layout dataset reader on small hand-made folders."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import SIZE, make_tiny_dataset

from spt_core.data.dataset import PersonDataset, identity_of
from spt_core.errors import DataError
from spt_core.io_utils import write_image_rgb


def test_reader_loads_filters_and_reports(tmp_path):
    poses = make_tiny_dataset(tmp_path)
    data = PersonDataset(tmp_path)
    assert data.names == ["0001_00.png", "0001_01.png", "0002_00.png"]
    assert data.size == SIZE
    assert data.report.without_torso == ["0003_00.png"]
    assert data.report.missing_images == ["0004_00.png"]
    assert data.pairs == [(0, 1), (1, 0)]
    assert data.report.pairs_dropped == 1
    assert data.report.identities == 2
    sample = data[1]
    assert sample.image.shape == SIZE + (3,)
    np.testing.assert_array_equal(sample.pose, poses["0001_01.png"])
    assert sample.parsing is not None and sample.parsing[10, 8] == 3 and sample.parsing[0, 0] == 0
    assert data.load_all_parsings().shape == (3,) + SIZE
    text = "\n".join(data.report.lines())
    assert "no torso       1 filtered" in text and "0003_00.png" in text


def test_image_of_the_wrong_size_is_named(tmp_path):
    make_tiny_dataset(tmp_path)
    write_image_rgb(tmp_path / "images" / "0002_00.png", np.zeros((40, 16, 3), np.uint8))
    data = PersonDataset(tmp_path)
    with pytest.raises(DataError, match=r"0002_00\.png.*40x16.*32x16"):
        data[2]


def test_parsing_with_unknown_labels_is_named(tmp_path):
    make_tiny_dataset(tmp_path)
    np.save(tmp_path / "parsing" / "0002_00.npy", np.full(SIZE, 12, np.int64))
    (tmp_path / "parsing" / "0002_00.png").unlink()
    data = PersonDataset(tmp_path)
    with pytest.raises(DataError, match=r"0002_00\.npy.*12"):
        data.load_parsing(2)


def test_missing_folder_and_annotation_are_clear(tmp_path):
    with pytest.raises(DataError, match="dataset folder not found"):
        PersonDataset(tmp_path / "nope")
    with pytest.raises(DataError, match=r"annotations\.csv.*not found"):
        PersonDataset(tmp_path)


def test_bad_pairs_header(tmp_path):
    make_tiny_dataset(tmp_path)
    (tmp_path / "pairs.csv").write_text("a,b\nx,y\n")
    with pytest.raises(DataError, match=r"pairs\.csv, line 1.*from,to"):
        PersonDataset(tmp_path)


def test_identity_rule():
    assert identity_of("0224_c6s1_055726_02.jpg") == "0224"
    assert identity_of("images/00012_03.png") == "00012"


def test_pg2_layout_with_lip_parsing_merges_it(tmp_path):
    from PIL import Image

    make_tiny_dataset(tmp_path)
    (tmp_path / "parsing").rename(tmp_path / "parsing_lip")
    lip = np.zeros(SIZE, np.uint8)
    lip[2:6, 4:12] = 2  # hair
    lip[6:10, 4:12] = 13  # face
    lip[10:20, 4:12] = 7  # coat -> upper clothes
    lip[20:30, 4:8] = 17  # right leg
    lip[20:30, 8:12] = 19  # right shoe -> right leg
    np.save(tmp_path / "parsing_lip" / "0001_00.npy", lip.astype(np.int64))
    (tmp_path / "parsing_lip" / "0001_00.png").unlink()
    Image.fromarray(lip, mode="L").save(tmp_path / "parsing_lip" / "0001_01.png")
    data = PersonDataset(tmp_path)
    assert data.layout.parsing_labels == "lip"
    expected = np.zeros(SIZE, np.uint8)
    expected[2:6, 4:12], expected[6:10, 4:12], expected[10:20, 4:12] = 2, 1, 3
    expected[20:30, 4:12] = 9
    np.testing.assert_array_equal(data.load_parsing(0), expected)
    np.testing.assert_array_equal(data.load_parsing(1), expected)
    text = "\n".join(data.report.lines())
    assert "parsing_lip/ (LIP 20 labels, merged)" in text and "junk           0 filtered" in text
    assert "not annotated  0 image files" in text
