"""Atomic writes (old file kept on failure, no temporary files left) and image reading.

Images are written with PIL (or, for 16-bit colour, OpenCV in its own BGR order) and the
expected arrays are computed by hand, never with read_image_rgb itself.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from spt_core import io_utils
from spt_core import labels as lb
from spt_core import skeleton as sk
from spt_core.errors import DataError
from spt_core.io_utils import atomic_path, read_image_rgb, write_image_rgb, write_text_atomic

# --------------------------------------------------------------------------------------------
# Atomic writes


def _only(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_failure_inside_the_block_keeps_the_old_file(tmp_path):
    target = tmp_path / "notes.txt"
    target.write_text("old content\n")
    with pytest.raises(RuntimeError, match="half-way"), atomic_path(target) as tmp:
        assert tmp.parent == tmp_path and tmp != target
        tmp.write_text("new content, only half of it")
        raise RuntimeError("writer died half-way")
    assert target.read_text() == "old content\n"
    assert _only(tmp_path) == ["notes.txt"]  # the temporary file is gone


def test_success_replaces_and_cleans_up(tmp_path):
    target = tmp_path / "deep" / "er" / "notes.txt"  # parents are created
    write_text_atomic(target, "first\n")
    write_text_atomic(target, "second\r\nline\n")
    assert target.read_bytes() == b"second\r\nline\n"  # newlines are not translated
    assert _only(target.parent) == ["notes.txt"]


def test_failing_rename_keeps_old_file_and_leaves_no_temp(tmp_path, monkeypatch):
    target = tmp_path / "a.txt"
    target.write_text("old")

    def broken_replace(src, dst):
        raise OSError("disk went away")

    monkeypatch.setattr(io_utils.os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk went away"):
        write_text_atomic(target, "new")
    assert target.read_text() == "old"
    assert _only(tmp_path) == ["a.txt"]


def test_pose_csv_writer_failing_half_way_keeps_old_file(tmp_path, monkeypatch):
    target = tmp_path / "poses.csv"
    original = "name:keypoints_y:keypoints_x\n"
    target.write_text(original)
    real_write_text = Path.write_text

    def half_write(self, text, *args, **kwargs):
        real_write_text(self, text[: len(text) // 2], *args, **kwargs)
        raise OSError("no space left on device")

    monkeypatch.setattr(Path, "write_text", half_write)
    pose = sk.missing_pose()
    pose[1] = (3, 4)
    with pytest.raises(OSError, match="no space"):
        sk.write_pose_csv(target, {f"img{i}.jpg": pose for i in range(50)})
    monkeypatch.undo()
    assert target.read_text() == original
    assert _only(tmp_path) == ["poses.csv"]


@pytest.mark.parametrize("suffix", [".npy", ".png"])
def test_parsing_writer_failing_half_way_keeps_old_file(tmp_path, monkeypatch, suffix):
    target = tmp_path / f"map{suffix}"
    old = np.eye(6, dtype=np.uint8) * 3
    lb.write_parsing(target, old)
    before = target.read_bytes()

    def half_save(file, *args, **kwargs):
        Path(file).write_bytes(before[: len(before) // 2])
        raise OSError("killed while writing")

    if suffix == ".npy":
        monkeypatch.setattr(np, "save", half_save)
    else:
        monkeypatch.setattr(Image.Image, "save", lambda self, fp, **kw: half_save(fp))
    with pytest.raises(OSError, match="killed"):
        lb.write_parsing(target, np.full((6, 6), 9, np.uint8))
    monkeypatch.undo()
    assert target.read_bytes() == before
    np.testing.assert_array_equal(lb.read_parsing(target), old)
    assert _only(tmp_path) == [target.name]


@pytest.fixture
def umask_027():
    previous = os.umask(0o027)
    yield
    os.umask(previous)


def test_new_file_gets_umask_permissions_not_private_temp_ones(tmp_path, umask_027):
    target = tmp_path / "shared.txt"
    write_text_atomic(target, "x")
    assert stat.S_IMODE(target.stat().st_mode) == 0o640  # 0o666 & ~0o027, not 0o600


def test_replaced_file_keeps_its_permissions(tmp_path, umask_027):
    target = tmp_path / "kept.txt"
    target.write_text("x")
    target.chmod(0o604)
    write_text_atomic(target, "y")
    assert target.read_text() == "y"
    assert stat.S_IMODE(target.stat().st_mode) == 0o604


# --------------------------------------------------------------------------------------------
# Image reading: values


def test_grey_png_becomes_three_equal_channels(tmp_path):
    grey = (np.arange(12, dtype=np.uint8).reshape(3, 4) * 21).astype(np.uint8)
    path = tmp_path / "grey.png"
    Image.fromarray(grey, mode="L").save(path)
    image = read_image_rgb(path)
    assert image.shape == (3, 4, 3) and image.dtype == np.uint8
    for channel in range(3):
        np.testing.assert_array_equal(image[..., channel], grey)


def test_rgba_and_grey_alpha_drop_alpha_and_keep_colours(tmp_path):
    rng = np.random.default_rng(3)
    rgba = rng.integers(0, 256, (5, 7, 4), dtype=np.uint8)
    rgba[..., 3] = np.arange(7) * 40  # alpha 0 in column 0: colours still kept
    Image.fromarray(rgba, mode="RGBA").save(tmp_path / "rgba.png")
    np.testing.assert_array_equal(read_image_rgb(tmp_path / "rgba.png"), rgba[..., :3])
    grey_alpha = rgba[..., [0, 3]]
    Image.fromarray(grey_alpha, mode="LA").save(tmp_path / "la.png")
    expected = np.repeat(grey_alpha[..., :1], 3, axis=-1)
    np.testing.assert_array_equal(read_image_rgb(tmp_path / "la.png"), expected)


def test_rgb_and_palette_png_are_rgb_not_bgr(tmp_path):
    rgb = np.zeros((2, 3, 3), np.uint8)
    rgb[0, 0] = (255, 0, 0)
    rgb[1, 2] = (10, 20, 30)
    Image.fromarray(rgb).save(tmp_path / "rgb.png")
    np.testing.assert_array_equal(read_image_rgb(tmp_path / "rgb.png"), rgb)
    indexed = Image.fromarray(np.array([[0, 1, 2]], np.uint8), mode="P")
    indexed.putpalette([200, 0, 0, 0, 200, 0, 1, 2, 3] + [0] * 759)
    indexed.save(tmp_path / "p.png")
    got = read_image_rgb(tmp_path / "p.png")
    assert got.tolist() == [[[200, 0, 0], [0, 200, 0], [1, 2, 3]]]


def test_16_bit_pngs_scale_to_8_bits(tmp_path):
    values = np.array([[0, 128, 129, 25700], [32896, 65279, 65407, 65535]], np.uint16)
    expected = np.array([[0, 0, 1, 100], [128, 254, 255, 255]], np.uint8)  # round(v / 257)
    Image.fromarray(values).save(tmp_path / "grey16.png")  # PIL: mode I;16
    image = read_image_rgb(tmp_path / "grey16.png")
    for channel in range(3):
        np.testing.assert_array_equal(image[..., channel], expected)
    rgb16 = np.stack([values, values[::-1], np.full_like(values, 257 * 7)], axis=-1)
    assert cv2.imwrite(str(tmp_path / "rgb16.png"), rgb16[..., ::-1])  # OpenCV wants BGR
    image = read_image_rgb(tmp_path / "rgb16.png")
    np.testing.assert_array_equal(image[..., 0], expected)
    np.testing.assert_array_equal(image[..., 1], expected[::-1])
    assert (image[..., 2] == 7).all()


def test_exif_orientation_is_applied(tmp_path):
    stored = np.zeros((20, 40, 3), np.uint8)
    stored[:5, :10] = 255  # a white block in the stored top-left corner
    image = Image.fromarray(stored)
    exif = image.getexif()
    exif[0x0112] = 6  # "rotate 90 degrees clockwise to display"
    image.save(tmp_path / "phone.jpg", exif=exif, quality=95)
    got = read_image_rgb(tmp_path / "phone.jpg")
    assert got.shape == (40, 20, 3)
    expected = np.rot90(stored, k=-1)  # clockwise: the block ends in the top-right corner
    assert np.abs(got.astype(int) - expected).mean() < 4
    assert got[:10, 15:].mean() > 200 and got[20:, :].mean() < 10


def test_write_image_round_trip(tmp_path):
    rgb = np.random.default_rng(0).integers(0, 256, (9, 5, 3), dtype=np.uint8)
    path = tmp_path / "sub" / "out.png"
    write_image_rgb(path, rgb)
    np.testing.assert_array_equal(np.asarray(Image.open(path).convert("RGB")), rgb)
    assert _only(path.parent) == ["out.png"]
    with pytest.raises(ValueError, match="uint8"):
        write_image_rgb(tmp_path / "bad.png", rgb.astype(np.float32))


# --------------------------------------------------------------------------------------------
# Image reading: errors name the file


def _good_png(path: Path, size=(12, 8)) -> Path:
    Image.fromarray(np.full((*size, 3), 90, np.uint8)).save(path)
    return path


@pytest.mark.parametrize(
    ("name", "make", "words"),
    [
        ("missing.png", None, "file not found"),
        ("garbage.png", lambda p: p.write_bytes(b"this is not an image" * 20), "not a readable"),
        ("empty.png", lambda p: p.write_bytes(b""), "not a readable"),
        ("folder.png", lambda p: p.mkdir(), "file not found"),
        (
            "truncated.png",
            lambda p: p.write_bytes(_good_png(p.with_name("whole.png")).read_bytes()[:-20]),
            "not a readable",
        ),
        (
            "half.png",
            lambda p: p.write_bytes(_good_png(p.with_name("whole.png")).read_bytes()[:60]),
            "not a readable",
        ),
    ],
)
def test_unreadable_images_name_the_file(tmp_path, name, make, words):
    path = tmp_path / name
    if make is not None:
        make(path)
    with pytest.raises(DataError) as info:
        read_image_rgb(path)
    assert str(path) in str(info.value)
    assert words in str(info.value)
    assert info.value.path == path


def test_wrong_size_for_its_annotation(tmp_path):
    path = _good_png(tmp_path / "person.png", size=(12, 8))
    assert read_image_rgb(path, expected_size=(12, 8)).shape == (12, 8, 3)
    with pytest.raises(DataError) as info:
        read_image_rgb(path, expected_size=(128, 64))
    message = str(info.value)
    assert str(path) in message
    assert "12x8" in message and "128x64" in message
