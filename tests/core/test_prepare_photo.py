"""Users' photos: corrupt, grey, RGBA, 16-bit, huge, tiny: handled or refused, file named."""

from __future__ import annotations

import struct
import zlib

import cv2
import numpy as np
import pytest

from spt_core import skeleton as sk
from spt_core.errors import DataError
from spt_core.prepare import photo as ph
from spt_core.prepare.detect import Detection
from spt_core.prepare.pipeline import detect_full


def _photo(height=120, width=90) -> np.ndarray:
    """An RGB test card: a gradient with a coloured block (never a single colour)."""
    image = np.zeros((height, width, 3), np.uint8)
    image[..., 0] = np.linspace(0, 255, width, dtype=np.uint8)[None]
    image[30:60, 20:50] = (200, 40, 90)
    return image


def _png_header_only(path, width: int, height: int) -> None:
    """A PNG whose header announces ``width`` x ``height`` (pixel data truncated)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IEND", b""))


def test_an_ordinary_photo_loads_unchanged(tmp_path):
    image = _photo()
    cv2.imwrite(str(tmp_path / "a.png"), cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
    photo = ph.load_photo(tmp_path / "a.png")
    np.testing.assert_array_equal(photo.image, image)
    assert photo.notes == [] and photo.size == (120, 90)


def test_corrupt_and_non_image_files_are_refused(tmp_path):
    good = cv2.imencode(".jpg", _photo())[1].tobytes()
    (tmp_path / "cut.jpg").write_bytes(good[:40])
    (tmp_path / "text.png").write_text("not an image")
    (tmp_path / "empty.jpg").write_bytes(b"")
    for name in ("cut.jpg", "text.png", "empty.jpg"):
        with pytest.raises(DataError, match=rf"{name}.*not a readable image"):
            ph.load_photo(tmp_path / name)


def test_grey_photo_becomes_rgb_with_a_note(tmp_path):
    grey = _photo()[..., 0]
    cv2.imwrite(str(tmp_path / "g.png"), grey)
    photo = ph.load_photo(tmp_path / "g.png")
    assert photo.image.shape == (120, 90, 3)
    for channel in range(3):
        np.testing.assert_array_equal(photo.image[..., channel], grey)
    assert any("grey" in note for note in photo.notes)


def test_rgba_is_composited_on_white(tmp_path):
    rgb = _photo()
    alpha = np.full((120, 90), 255, np.uint8)
    alpha[:, :30] = 0  # transparent strip, whose colour values are black
    alpha[:, 30:40] = 128
    rgba = np.dstack([cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), alpha])
    rgba[:, :30, :3] = 0
    cv2.imwrite(str(tmp_path / "cutout.png"), rgba)
    photo = ph.load_photo(tmp_path / "cutout.png")
    assert (photo.image[:, :30] == 255).all()
    np.testing.assert_array_equal(photo.image[:, 40:], rgb[:, 40:])
    half = rgb[:, 30:40].astype(float) * 128 / 255 + 255 * 127 / 255
    np.testing.assert_allclose(photo.image[:, 30:40], half, atol=1)
    assert any("alpha" in note for note in photo.notes)


def test_fully_transparent_is_refused(tmp_path):
    rgba = np.dstack([_photo(), np.zeros((120, 90), np.uint8)])
    cv2.imwrite(str(tmp_path / "ghost.png"), rgba)
    with pytest.raises(DataError, match=r"ghost\.png.*fully transparent"):
        ph.load_photo(tmp_path / "ghost.png")


def test_16_bit_photo_is_scaled_to_8_bits(tmp_path):
    deep = _photo().astype(np.uint16) * 257  # 8-bit v -> 16-bit v * 257 exactly
    deep[0, 0] = (65535, 0, 12850)
    cv2.imwrite(str(tmp_path / "deep.png"), cv2.cvtColor(deep, cv2.COLOR_RGB2BGR))
    photo = ph.load_photo(tmp_path / "deep.png")
    assert photo.image.dtype == np.uint8
    expected = _photo()
    expected[0, 0] = (255, 0, 50)
    np.testing.assert_array_equal(photo.image, expected)


def test_huge_photos_are_refused_before_decoding(tmp_path):
    _png_header_only(tmp_path / "big.png", 12_000, 9_000)  # 108 megapixels
    with pytest.raises(DataError, match=r"big\.png.*12000x9000.*100 megapixels.*scale it down"):
        ph.load_photo(tmp_path / "big.png")
    # PIL itself refuses to open this one; its size is read from the PNG header instead.
    _png_header_only(tmp_path / "bomb.png", 40_000, 40_000)
    with pytest.raises(DataError, match=r"bomb\.png.*40000x40000.*100 megapixels"):
        ph.load_photo(tmp_path / "bomb.png")


def test_tiny_and_blank_photos_are_refused(tmp_path):
    cv2.imwrite(str(tmp_path / "tiny.png"), _photo(20, 40))
    with pytest.raises(DataError, match=r"tiny\.png.*20x40.*at least 32"):
        ph.load_photo(tmp_path / "tiny.png")
    cv2.imwrite(str(tmp_path / "blank.png"), np.full((64, 64, 3), 77, np.uint8))
    with pytest.raises(DataError, match=r"blank\.png.*blank"):
        ph.load_photo(tmp_path / "blank.png")


class DotFinder:
    """A real (if simple) detector: the centroid of the bright pixels is the nose; the mask is
    the bright pixels. It sees only the working copy, as BlazePose would."""

    name = "dot finder"

    def __init__(self):
        self.seen = None

    def detect(self, image):
        self.seen = image.shape[:2]
        bright = image[..., 1].astype(np.float64)
        ys, xs = np.mgrid[: image.shape[0], : image.shape[1]]
        pose = sk.missing_pose()
        pose[sk.NOSE] = ((bright * xs).sum() / bright.sum(), (bright * ys).sum() / bright.sum())
        return Detection(pose, (bright > 128).astype(np.float32), np.zeros((33, 3), np.float32))


def test_large_photo_is_detected_on_a_copy_and_mapped_back(tmp_path):
    image = np.zeros((2400, 3000, 3), np.uint8)
    ys, xs = np.mgrid[:2400, :3000]
    image[(xs - 1711.0) ** 2 + (ys - 1234.0) ** 2 <= 40.0**2, 1] = 255
    detector = DotFinder()
    found = detect_full(ph.Photo(tmp_path / "large.jpg", image), detector)
    assert max(detector.seen) == ph.WORK_SIDE
    np.testing.assert_allclose(found.pose[sk.NOSE], (1711, 1234), atol=0.5)
    assert found.mask.shape == (2400, 3000)
    assert found.mask[1234, 1711] == 1.0 and found.mask[100, 100] == 0.0


def test_listing_photos(tmp_path):
    with pytest.raises(DataError, match="no photo"):
        ph.list_photos(tmp_path)
    (tmp_path / "b.JPG").write_bytes(b"x")
    (tmp_path / "a.png").write_bytes(b"x")
    (tmp_path / "notes.txt").write_text("x")
    assert [p.name for p in ph.list_photos(tmp_path)] == ["a.png", "b.JPG"]
    assert ph.list_photos(tmp_path / "a.png") == [tmp_path / "a.png"]
    with pytest.raises(DataError, match="no such file"):
        ph.list_photos(tmp_path / "nope")
