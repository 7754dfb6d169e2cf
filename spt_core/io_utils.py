"""Small file helpers: atomic writes and image reading with clear errors and size limits."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from spt_core.errors import DataError

#: The most pixels any image reader decodes: 100 megapixels (a 12,000 x 8,000 photo, a 300 MB
#: RGB array before any copy). A tiny PNG can claim 20,000 x 20,000 and cost tens of gigabytes
#: to decode, so every reader checks the header against this first.
MAX_IMAGE_PIXELS = 100_000_000

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _new_file_mode() -> int:
    """Permissions an ordinary ``open(path, "w")`` would give a new file (0o666 minus umask)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return 0o666 & ~int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    umask = os.umask(0o022)  # no portable read-only query; set and restore at once
    os.umask(umask)
    return 0o666 & ~umask


@contextlib.contextmanager
def atomic_path(path: str | Path, suffix: str | None = None) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it onto ``path`` when the block succeeds.

    A crash or an exception inside the block leaves the previous file untouched, so nothing
    already saved is ever lost to a half-written file. The temporary file is flushed to disk
    before the rename, and the result gets the permissions of the file it replaces (or the
    usual umask-based ones for a new file), not the private 0600 of a temporary file.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(
        prefix=f".{path.name}.",
        suffix=suffix if suffix is not None else path.suffix,
        dir=path.parent,
    )
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        mode = path.stat().st_mode & 0o7777 if path.is_file() else _new_file_mode()
        os.chmod(tmp_path, mode)
        if tmp_path.is_file():  # a caller may have put a directory there instead
            with open(tmp_path, "rb") as written:
                os.fsync(written.fileno())
        os.replace(tmp_path, path)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


def write_text_atomic(path: str | Path, text: str) -> None:
    """Write ``text`` to ``path`` as UTF-8 (newlines untranslated), atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8", newline="")


def image_header_size(source: str | Path | bytes) -> tuple[int, int] | None:
    """(width, height) read from an image header without decoding the pixels.

    Args:
        source: an image file, or its bytes.

    Returns:
        The size, or None when the header cannot be read (the decoder then reports the file).
    """
    import io
    import warnings

    from PIL import Image

    head = source[:32] if isinstance(source, bytes) else _read_head(Path(source))
    if head.startswith(_PNG_SIGNATURE) and head[12:16] == b"IHDR":
        # Read by hand: PIL refuses to even open a PNG this large, and then names no size.
        return int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)  # judged below
            opened = io.BytesIO(source) if isinstance(source, bytes) else source
            with Image.open(opened) as image:
                return image.size
    except Image.DecompressionBombError:
        return (MAX_IMAGE_PIXELS + 1, 1)  # over PIL's own (larger) limit, so over ours
    except Exception:  # noqa: BLE001 - PIL raises many types; the decoder names the problem
        return None


def _read_head(path: Path) -> bytes:
    try:
        with open(path, "rb") as file:
            return file.read(32)
    except OSError:
        return b""


def check_image_pixels(
    source: str | Path | bytes, path: str | Path | None, max_pixels: int = MAX_IMAGE_PIXELS
) -> None:
    """Refuse an image whose header claims more than ``max_pixels``, before decoding it.

    Args:
        source: the image file, or its bytes.
        path: the name to report (the file, or ``project.sptproj:member``).
        max_pixels: the limit (default :data:`MAX_IMAGE_PIXELS`).

    Raises:
        DataError: the image is too large; the message names the file and its size.
    """
    size = image_header_size(source)
    if size is not None and size[0] * size[1] > max_pixels:
        raise DataError(
            path,
            f"the image is {size[0]}x{size[1]} (WxH), {size[0] * size[1] / 1e6:.0f} megapixels, "
            f"over the limit of {max_pixels / 1e6:.0f}; scale it down first",
        )


def read_image_rgb(path: str | Path, expected_size: tuple[int, int] | None = None) -> np.ndarray:
    """Read an image file as an RGB ``uint8`` array of shape (H, W, 3).

    Grey images are expanded to three channels, an alpha channel is dropped (composited on
    nothing: the colour values are kept), 16-bit images are scaled to 8 bits (v / 257, rounded)
    and an EXIF orientation tag is applied, so the array looks as an image viewer shows the file.

    Args:
        path: the image file.
        expected_size: (height, width) the image must have, or None.

    Raises:
        DataError: the file is missing, is not a readable image, has the wrong size, or is
            over :data:`MAX_IMAGE_PIXELS` (checked from the header, before decoding).
    """
    import cv2

    path = Path(path)
    if not path.is_file():
        raise DataError(path, "file not found")
    check_image_pixels(path, path)
    try:
        data = np.fromfile(str(path), dtype=np.uint8)
    except OSError as exc:
        raise DataError(path, f"cannot read the file ({exc.strerror or exc})") from None
    # ANYCOLOR | ANYDEPTH keeps 16-bit depth and applies the EXIF orientation (as every image
    # viewer does); IMREAD_UNCHANGED would ignore it and hand back phone photos lying sideways.
    # Alpha is dropped by the decoder, keeping the colour values.
    flags = cv2.IMREAD_ANYCOLOR | cv2.IMREAD_ANYDEPTH
    image = cv2.imdecode(data, flags) if data.size else None
    if image is None:
        raise DataError(path, "not a readable image (corrupt or unsupported format)")
    if image.dtype == np.uint16:
        image = (image.astype(np.float32) / 257.0).round().astype(np.uint8)
    elif image.dtype != np.uint8:
        raise DataError(path, f"unsupported pixel type {image.dtype}")
    if image.ndim == 2:
        image = cv2.cvtColor(image, cv2.COLOR_GRAY2RGB)
    elif image.shape[2] == 4:
        image = cv2.cvtColor(image, cv2.COLOR_BGRA2RGB)
    else:
        image = cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
    if expected_size is not None and tuple(image.shape[:2]) != tuple(expected_size):
        raise DataError(
            path,
            f"image is {image.shape[0]}x{image.shape[1]} (HxW) but {expected_size[0]}x"
            f"{expected_size[1]} was expected",
        )
    return np.ascontiguousarray(image)


def write_image_rgb(path: str | Path, image: np.ndarray) -> None:
    """Write an RGB ``uint8`` image atomically; the format follows the file suffix."""
    import cv2

    path = Path(path)
    if image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(
            f"{path}: expected an (H, W, 3) uint8 image, got {image.shape} {image.dtype}"
        )
    ok, buf = cv2.imencode(path.suffix or ".png", cv2.cvtColor(image, cv2.COLOR_RGB2BGR))
    if not ok:
        raise DataError(path, f"cannot encode an image as {path.suffix!r}")
    with atomic_path(path) as tmp:
        buf.tofile(str(tmp))
