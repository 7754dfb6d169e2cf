"""The 10 labels: one-hot helpers, colours, the LIP-20 merge, parsing files and their errors.

Expected values are hand-made label maps, hand-typed tables from the method, and files written
or read with PIL / numpy directly rather than through spt_core.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from spt_core import labels as lb
from spt_core.errors import DataError

#: Method §1.1, in order (repo spelling mapped to snake_case).
METHOD_LABELS = [
    "background", "face", "hair", "upper_clothes", "pants",
    "skirt", "left_arm", "right_arm", "left_leg", "right_leg",
]  # fmt: skip

#: Method §1.2: LIP's 20 labels in order.
LIP_ORDER = [
    "background", "hat", "hair", "glove", "sunglasses", "upper_clothes", "dress", "coat",
    "socks", "pants", "jumpsuits", "scarf", "skirt", "face", "left_arm", "right_arm",
    "left_leg", "right_leg", "left_shoe", "right_shoe",
]  # fmt: skip


def label_grid(text: str) -> np.ndarray:
    """A label map typed as rows of digits, one label a digit."""
    return np.array([[int(digit) for digit in row] for row in text.split()], dtype=np.uint8)


#: A hand-made map with every label; 10 rows x 10 columns.
HAND_MAP = label_grid(
    """
    0012222000
    0021112000
    7333333360
    7333333360
    7044455560
    0044055500
    0099088000
    0099088000
    0090008000
    0000000000
    """
)


def test_label_tables():
    assert list(lb.LABEL_NAMES) == METHOD_LABELS
    assert lb.NUM_LABELS == 10 and lb.LABEL_INDEX["right_leg"] == 9
    assert lb.STYLE_LABELS == (2, 3, 4, 5, 6, 7, 8, 9)  # no background, no face
    assert lb.PALETTE.shape == (10, 3) and lb.PALETTE.dtype == np.uint8
    # Colours identify labels in RGB files, so they must be distinct.
    assert len({tuple(c) for c in lb.PALETTE.tolist()}) == 10
    assert lb.PALETTE[0].tolist() == [0, 0, 0]


# --------------------------------------------------------------------------------------------
# One-hot and argmax


def test_one_hot_matches_label_comparisons():
    hot = lb.one_hot(HAND_MAP)
    assert hot.shape == (10, 10, 10) and hot.dtype == np.float32
    for label in range(10):
        np.testing.assert_array_equal(hot[label], np.equal(HAND_MAP, label).astype(np.float32))
    assert (hot.sum(axis=0) == 1).all()
    np.testing.assert_array_equal(lb.argmax_labels(hot), HAND_MAP)


def test_one_hot_batches_and_torch_agree():
    batch = np.stack([HAND_MAP, HAND_MAP.T, np.flipud(HAND_MAP)])
    hot = lb.one_hot(batch)
    assert hot.shape == (3, 10, 10, 10)
    hot_torch = lb.one_hot_torch(torch.from_numpy(batch.astype(np.int64)))
    assert hot_torch.dtype == torch.float32
    np.testing.assert_array_equal(hot_torch.numpy(), hot)
    # Soft scores: argmax picks the largest channel whatever the scale.
    scores = torch.from_numpy(hot) * 3.0 + 0.5 * torch.rand(
        hot.shape, generator=torch.Generator().manual_seed(0)
    )
    got = lb.argmax_labels(scores.requires_grad_())
    assert got.dtype == np.uint8
    np.testing.assert_array_equal(got, batch)


def test_one_hot_rejects_out_of_range_labels():
    with pytest.raises(ValueError, match="0..9"):
        lb.one_hot(np.array([[0, -1]], dtype=np.int8))  # would wrap round to label 9
    with pytest.raises(ValueError):
        lb.one_hot(np.array([[10]]))
    assert lb.one_hot(np.array([[3]]), num_labels=4)[:, 0, 0].tolist() == [0, 0, 0, 1]


def test_colorize_uses_the_palette():
    rgb = lb.colorize(HAND_MAP)
    assert rgb.shape == (10, 10, 3) and rgb.dtype == np.uint8
    for (row, col), label in np.ndenumerate(HAND_MAP):
        assert rgb[row, col].tolist() == lb.PALETTE[label].tolist()
    assert rgb[0, 0].tolist() == [0, 0, 0]
    with pytest.raises(DataError, match="0..9; found 12"):
        lb.colorize(np.array([[12]]))


# --------------------------------------------------------------------------------------------
# LIP merge


def test_merge_table_follows_the_method():
    table = lb.lip_merge_table()
    assert table["lip_labels"] == LIP_ORDER
    expected = {
        "background": 0,
        "hat": 2,
        "hair": 2,
        "glove": [6, 7],
        "sunglasses": 1,
        "upper_clothes": 3,
        "dress": 3,
        "coat": 3,
        "socks": [8, 9],
        "pants": 4,
        "jumpsuits": 3,
        "scarf": 3,
        "skirt": 5,
        "face": 1,
        "left_arm": 6,
        "right_arm": 7,
        "left_leg": 8,
        "right_leg": 9,
        "left_shoe": 8,
        "right_shoe": 9,
    }
    assert table["to_spt"] == expected


# LIP ids: 0 bg, 1 hat, 2 hair, 3 glove, 4 sunglasses, 5 upper, 6 dress, 7 coat, 8 socks,
# 9 pants, 10 jumpsuits, 11 scarf, 12 skirt, 13 face, 14 L-arm, 15 R-arm, 16 L-leg, 17 R-leg,
# 18 L-shoe, 19 R-shoe. Frontal view: the person's right side is on the image's left.
LIP_HAND = np.array(
    [
        [0, 0, 0, 1, 1, 1, 1, 0, 0, 0],
        [0, 0, 0, 2, 13, 13, 2, 0, 0, 0],
        [0, 0, 0, 2, 4, 4, 2, 0, 0, 0],
        [15, 15, 7, 11, 5, 5, 11, 6, 14, 14],
        [15, 15, 10, 5, 5, 5, 5, 10, 14, 14],
        [3, 3, 0, 9, 9, 12, 12, 0, 3, 3],
        [0, 0, 0, 17, 0, 0, 16, 0, 0, 0],
        [0, 0, 0, 17, 0, 0, 16, 0, 0, 0],
        [0, 0, 0, 8, 0, 0, 8, 0, 0, 0],
        [0, 0, 0, 19, 0, 0, 18, 0, 0, 0],
    ],
    dtype=np.uint8,
)
# What the merge makes of it: row 5's gloves under the right arm become right_arm, ...; row 8's
# socks under the left leg become left_leg.
SPT_HAND = label_grid(
    """
    0002222000
    0002112000
    0002112000
    7733333366
    7733333366
    7704455066
    0009008000
    0009008000
    0009008000
    0009008000
    """
)


@pytest.mark.parametrize("dtype", [np.uint8, np.int32, np.int64])
def test_merge_lip_on_a_hand_made_map(dtype):
    merged = lb.merge_lip(LIP_HAND.astype(dtype))
    assert merged.dtype == np.uint8
    np.testing.assert_array_equal(merged, SPT_HAND)


def test_merge_lip_side_uses_exact_euclidean_distance():
    # Glove at (0, 10); left arm 12 px straight right; right arm at (5, 0), sqrt(125) = 11.18 px
    # away. Exact: right arm. A 3x3 chamfer distance says 11.46 vs 11.62 and picks the left arm.
    lip = np.zeros((6, 23), np.uint8)
    lip[0, 10], lip[0, 22], lip[5, 0] = 3, 14, 15
    assert lb.merge_lip(lip)[0, 10] == lb.RIGHT_ARM
    lip[0, 21] = 14  # now the left arm is 11 px away
    assert lb.merge_lip(lip)[0, 10] == lb.LEFT_ARM


def test_merge_lip_without_any_arm_uses_the_first_candidate():
    lip = np.zeros((4, 4), np.uint8)
    lip[1, 1], lip[3, 3] = 3, 8  # a glove and socks, no limb at all
    merged = lb.merge_lip(lip)
    assert merged[1, 1] == lb.LEFT_ARM and merged[3, 3] == lb.LEFT_LEG


@pytest.mark.parametrize("bad", [np.array([[20]]), np.array([[-1]]), np.array([[1.0]])])
def test_merge_lip_rejects_non_lip_maps(bad):
    with pytest.raises(DataError, match="0..19"):
        lb.merge_lip(bad, source="x.png")


# --------------------------------------------------------------------------------------------
# Files: round trips


def test_palette_png_round_trip(tmp_path):
    path = tmp_path / "map.png"
    lb.write_parsing(path, HAND_MAP)
    with Image.open(path) as image:  # read back with PIL, not with spt_core
        assert image.mode == "P"
        np.testing.assert_array_equal(np.asarray(image), HAND_MAP)
        palette = np.array(image.getpalette()[:30], dtype=np.uint8).reshape(10, 3)
    np.testing.assert_array_equal(palette, lb.PALETTE)
    np.testing.assert_array_equal(lb.read_parsing(path, expected_size=(10, 10)), HAND_MAP)


def test_sparse_palette_png_keeps_indices(tmp_path):
    # Only two labels present: an optimising encoder must not renumber them.
    sparse = np.where(HAND_MAP == 7, 7, 0).astype(np.uint8)
    sparse[9, 9] = 9
    path = tmp_path / "sparse.png"
    lb.write_parsing(path, sparse)
    np.testing.assert_array_equal(np.asarray(Image.open(path)), sparse)
    np.testing.assert_array_equal(lb.read_parsing(path), sparse)


@pytest.mark.parametrize("dtype", [np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16])
def test_npy_of_any_integer_dtype_reads(tmp_path, dtype):
    path = tmp_path / "map.npy"
    np.save(path, HAND_MAP.astype(dtype))
    labels = lb.read_parsing(path)
    assert labels.dtype == np.uint8
    np.testing.assert_array_equal(labels, HAND_MAP)


def test_npy_write_and_channel_axis(tmp_path):
    path = tmp_path / "out.npy"
    lb.write_parsing(path, HAND_MAP.astype(np.int64))
    stored = np.load(path)
    assert stored.dtype == np.uint8
    np.testing.assert_array_equal(stored, HAND_MAP)
    np.save(tmp_path / "hw1.npy", HAND_MAP[..., None].astype(np.int8))
    np.testing.assert_array_equal(lb.read_parsing(tmp_path / "hw1.npy"), HAND_MAP)


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16])
def test_grey_png_reads(tmp_path, dtype):
    path = tmp_path / "grey.png"
    Image.fromarray(HAND_MAP.astype(dtype)).save(path)
    with Image.open(path) as image:
        assert image.mode == ("L" if dtype == np.uint8 else "I;16")
    np.testing.assert_array_equal(lb.read_parsing(path), HAND_MAP)


@pytest.mark.parametrize("mode", ["RGB", "RGBA"])
def test_rgb_palette_png_reads(tmp_path, mode):
    rgb = lb.PALETTE[HAND_MAP]  # built by indexing, not by colorize
    if mode == "RGBA":
        rgb = np.concatenate([rgb, np.full((10, 10, 1), 255, np.uint8)], axis=-1)
    path = tmp_path / "rgb.png"
    Image.fromarray(rgb, mode=mode).save(path)
    np.testing.assert_array_equal(lb.read_parsing(path), HAND_MAP)


# --------------------------------------------------------------------------------------------
# Files: errors name the file


def _grey_png(path, values):
    Image.fromarray(np.asarray(values, dtype=np.uint8), mode="L").save(path)
    return path


@pytest.mark.parametrize(
    ("make", "words"),
    [
        (lambda p: _grey_png(p / "big.png", [[0, 12], [10, 1]]), "found 10, 12"),
        (lambda p: _save(p / "big.npy", np.array([[0, 10]], np.int64)), "found 10"),
        (lambda p: _save(p / "neg.npy", np.array([[0, -1]], np.int8)), "found -1"),
        (lambda p: _save(p / "float.npy", np.zeros((3, 3), np.float32)), "dtype float32"),
        (lambda p: _save(p / "bool.npy", np.zeros((3, 3), bool)), "dtype bool"),
        (lambda p: _save(p / "cube.npy", np.zeros((2, 3, 3), np.uint8)), "2-D"),
        (lambda p: _bytes(p / "junk.npy", b"not numpy at all"), "not a readable .npy"),
        (lambda p: _bytes(p / "junk.png", b"\x00garbage bytes" * 10), "not a readable image"),
        (lambda p: _rgb_unknown(p / "odd.png"), "#0a0b0c"),
        (lambda p: _bytes(p / "empty.png", b""), "not a readable image"),
    ],
)
def test_bad_parsing_files_name_the_file(tmp_path, make, words):
    path = make(tmp_path)
    with pytest.raises(DataError) as info:
        lb.read_parsing(path)
    assert str(path) in str(info.value)
    assert words in str(info.value)
    assert info.value.path == path


def _save(path, array):
    np.save(path, array)
    return path


def _bytes(path, data: bytes):
    path.write_bytes(data)
    return path


def _rgb_unknown(path):
    rgb = lb.PALETTE[HAND_MAP].copy()
    rgb[4, 4] = (10, 11, 12)
    Image.fromarray(rgb, mode="RGB").save(path)
    return path


def test_missing_truncated_and_wrong_size_parsing(tmp_path):
    with pytest.raises(DataError, match="not found") as info:
        lb.read_parsing(tmp_path / "none.png")
    assert str(tmp_path / "none.png") in str(info.value)
    good = tmp_path / "good.png"
    lb.write_parsing(good, HAND_MAP)
    with pytest.raises(DataError, match=r"parsing is 10x10 but 12x10 was expected") as info:
        lb.read_parsing(good, expected_size=(12, 10))
    assert str(good) in str(info.value)
    truncated = tmp_path / "truncated.png"
    truncated.write_bytes(good.read_bytes()[:40])
    with pytest.raises(DataError, match="not a readable image") as info:
        lb.read_parsing(truncated)
    assert str(truncated) in str(info.value)


def test_write_parsing_refuses_bad_labels(tmp_path):
    with pytest.raises(DataError, match="found 10"):
        lb.write_parsing(tmp_path / "x.png", np.array([[10]]))
    assert list(tmp_path.iterdir()) == []


def test_left_and_right_arm_colours_are_told_apart_and_old_files_still_read(tmp_path):
    """The editor showed both arms in near-identical blues; the left arm is violet now, and an
    RGB parsing file painted with the former colour still reads as the left arm."""
    from PIL import Image

    colours = lb.PALETTE.astype(int)
    gaps = [np.abs(colours[a] - colours[b]).sum() for a in range(10) for b in range(a + 1, 10)]
    assert min(gaps) >= 100
    assert np.abs(colours[lb.LEFT_ARM] - colours[lb.RIGHT_ARM]).sum() >= 250
    rgb = np.zeros((4, 4, 3), np.uint8)
    rgb[0, 0] = lb.FORMER_COLOURS[lb.LEFT_ARM]
    rgb[1, 1] = lb.PALETTE[lb.LEFT_ARM]
    rgb[2, 2] = lb.PALETTE[lb.RIGHT_ARM]
    Image.fromarray(rgb).save(tmp_path / "old.png")
    labels = lb.read_parsing(tmp_path / "old.png")
    assert labels[0, 0] == labels[1, 1] == lb.LEFT_ARM and labels[2, 2] == lb.RIGHT_ARM
