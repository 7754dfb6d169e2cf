"""Reading users' photos: what can be used, what is refused, and why.

Handled: grey (expanded to RGB), 16-bit (scaled to 8 bits), an alpha channel (composited on
white, since the colour under a transparent pixel is often black or garbage), EXIF orientation,
and large photos (detection runs on a copy whose longest side is at most
:data:`WORK_SIDE`; the crop is taken from the full-resolution photo). Refused with a message
naming the file: unreadable or corrupt files, photos smaller than :data:`MIN_SIDE` on a side,
and photos over :data:`~spt_core.io_utils.MAX_IMAGE_PIXELS` (decoding one would take gigabytes
of memory).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from spt_core.errors import DataError
from spt_core.io_utils import MAX_IMAGE_PIXELS, image_header_size, read_image_rgb

#: Suffixes ``spt prepare`` picks up in a folder.
PHOTO_SUFFIXES: tuple[str, ...] = (
    ".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp",
)  # fmt: skip
MIN_SIDE = 32
#: BlazePose looks at 256 x 256 pixels; a longer side than this only costs time.
WORK_SIDE = 1280


@dataclass
class Photo:
    """A photo ready for detection.

    Attributes:
        path: the file.
        image: (H, W, 3) uint8 RGB at full resolution.
        notes: what was done to make it usable ("grey", "16-bit", "alpha on white").
    """

    path: Path
    image: np.ndarray
    notes: list[str] = field(default_factory=list)

    @property
    def size(self) -> tuple[int, int]:
        return self.image.shape[0], self.image.shape[1]


def list_photos(source: str | Path) -> list[Path]:
    """The photos of a folder (sorted, by suffix), or the one file given.

    Raises:
        DataError: nothing there, or a folder without a photo.
    """
    source = Path(source)
    if source.is_file():
        return [source]
    if not source.is_dir():
        raise DataError(source, "no such file or folder")
    photos = sorted(p for p in source.iterdir() if p.suffix.lower() in PHOTO_SUFFIXES)
    if not photos:
        raise DataError(source, f"no photo ({', '.join(PHOTO_SUFFIXES)}) in this folder")
    return photos


def _alpha(path: Path, shape: tuple[int, int]) -> np.ndarray | None:
    """The alpha channel in [0, 1], or None when the file has none."""
    import cv2

    raw = cv2.imdecode(np.fromfile(str(path), np.uint8), cv2.IMREAD_UNCHANGED)
    if raw is None or raw.ndim != 3 or raw.shape[2] != 4 or raw.shape[:2] != tuple(shape):
        return None
    top = 65535.0 if raw.dtype == np.uint16 else 255.0
    return raw[..., 3].astype(np.float32) / top


def load_photo(path: str | Path) -> Photo:
    """Read a photo for ``spt prepare`` (see the module docstring for what is handled).

    Raises:
        DataError: unreadable, corrupt, too small or too large; the message names the file.
    """
    import cv2

    path = Path(path)
    # An unreadable header (None) is left to the decoder, which names the problem.
    size = image_header_size(path) if path.is_file() else None
    if size is not None and size[0] * size[1] > MAX_IMAGE_PIXELS:
        shown = f"{size[0]}x{size[1]} (WxH)" if size[1] > 1 else "far too large"
        raise DataError(
            path,
            f"the photo is {shown}, over {MAX_IMAGE_PIXELS // 1_000_000} megapixels; scale it down "
            "first (the person needs only a few hundred pixels of height)",
        )
    image = read_image_rgb(path)
    notes = []
    height, width = image.shape[:2]
    if min(height, width) < MIN_SIDE:
        raise DataError(
            path, f"the photo is {height}x{width} (HxW); at least {MIN_SIDE} px a side is needed"
        )
    if path.suffix.lower() in (".png", ".tif", ".tiff", ".webp"):
        alpha = _alpha(path, (height, width))
        if alpha is not None:
            if alpha.max() == 0.0:
                raise DataError(path, "the photo is fully transparent (alpha 0 everywhere)")
            white = np.float32(255.0)
            blended = image.astype(np.float32) * alpha[..., None] + white * (1 - alpha[..., None])
            image = np.clip(blended + 0.5, 0, 255).astype(np.uint8)
            notes.append("alpha composited on white")
    hsv = cv2.cvtColor(image, cv2.COLOR_RGB2HSV)
    if int(hsv[..., 1].max()) <= 8:
        notes.append("grey: skin is told from clothes by brightness only")
    if np.ptp(image) < 8:
        raise DataError(path, "the photo is blank (a single colour)")
    return Photo(path=path, image=image, notes=notes)


def work_copy(image: np.ndarray, side: int = WORK_SIDE) -> tuple[np.ndarray, float]:
    """``image`` shrunk so its longest side is at most ``side``, and the factor used (<= 1)."""
    import cv2

    height, width = image.shape[:2]
    factor = min(1.0, side / max(height, width))
    if factor >= 1.0:
        return image, 1.0
    new_w, new_h = max(1, round(width * factor)), max(1, round(height * factor))
    return cv2.resize(image, (new_w, new_h), interpolation=cv2.INTER_AREA), factor
