"""Project files (``.sptproj``): a zip holding the photo, poses, parsings and settings.

Layout inside the zip::

    project.json            format version, name, poses (null = missing), visibility, settings
    image.png               the photo (lossless)
    source_parsing.png      label maps as 8-bit grey PNGs holding 0..9
    target_parsing.png
    reference/image.png     the second person, when there is one
    reference/parsing.png
    result.png              the last result, for thumbnails (not needed to reopen)

Writes are atomic (temporary file beside the target, then rename), so a crash while saving
never destroys the previous file. Reading trusts nothing: every field is type- and range-checked,
member sizes are checked before they are unpacked and image sizes before they are decoded, and
the document is built only when all of it is valid. Every error names the project file and the
member or field.
"""

from __future__ import annotations

import json
import math
import zipfile
import zlib
from pathlib import Path

import numpy as np

from spt_core import labels as lb
from spt_core import skeleton as sk
from spt_core.errors import DataError
from spt_core.io_utils import MAX_IMAGE_PIXELS, atomic_path, check_image_pixels
from spt_studio.document.model import Document, PersonData, validated_settings

FORMAT = "spt-studio-project"
VERSION = 1
SUFFIX = ".sptproj"
#: project.json holds names, poses and settings: a few kilobytes.
MAX_MANIFEST_BYTES = 1 << 20
#: One PNG member: room for a raw RGB image at the pixel limit (PNG never needs more).
MAX_MEMBER_BYTES = 4 * MAX_IMAGE_PIXELS
#: All members together (photo, two parsings, second person, result).
MAX_TOTAL_BYTES = 3 * MAX_MEMBER_BYTES
#: How far outside the photo a joint may lie, in longest sides (dragged off the edge: fine).
POSE_MARGIN = 10


class ProjectError(DataError):
    """A project file is missing, not a project, or damaged (the message names the file)."""


def _pose_to_json(pose: np.ndarray) -> list:
    return [None if np.isnan(p).any() else [float(p[0]), float(p[1])] for p in pose]


def _is_number(value: object) -> bool:
    # JSON true/false decode to bool, a subclass of int: never a coordinate.
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _pose_from_json(value: object, path: Path, what: str, limit: float) -> np.ndarray:
    """A pose from its JSON list: 18 entries, each null or [x, y] of finite numbers within
    ``limit`` of the photo (a coordinate of 1e30 would overflow the canvases)."""
    if not isinstance(value, list) or len(value) != sk.NUM_JOINTS:
        raise ProjectError(path, f"{what}: expected a list of {sk.NUM_JOINTS} joints")
    pose = sk.missing_pose()
    for j, point in enumerate(value):
        if point is None:
            continue
        if not (isinstance(point, list) and len(point) == 2 and all(map(_is_number, point))):
            raise ProjectError(path, f"{what}: joint {j} is not [x, y] or null")
        if not all(math.isfinite(v) and abs(v) <= limit for v in point):
            raise ProjectError(path, f"{what}: joint {j} {point} lies far outside the photo")
        pose[j] = (float(point[0]), float(point[1]))
    return pose


def _visible_from_json(value: object, path: Path) -> np.ndarray:
    if value is None:
        return np.ones(sk.NUM_JOINTS, bool)
    # Real JSON booleans only: the string "false" would otherwise read as True.
    if not isinstance(value, list) or len(value) != sk.NUM_JOINTS:
        raise ProjectError(path, f"target_visible: expected {sk.NUM_JOINTS} booleans")
    for j, flag in enumerate(value):
        if not isinstance(flag, bool):
            raise ProjectError(path, f"target_visible: joint {j} is {flag!r}, not true/false")
    return np.array(value, dtype=bool)


def _encode_png(array: np.ndarray) -> bytes:
    import cv2

    if array.ndim == 3:
        array = cv2.cvtColor(array, cv2.COLOR_RGB2BGR)
    ok, buf = cv2.imencode(".png", np.ascontiguousarray(array))
    if not ok:
        raise ValueError("cannot encode a PNG")
    return buf.tobytes()


def _decode_png(data: bytes, path: Path, member: str, colour: bool) -> np.ndarray:
    import cv2

    try:
        # From the header, before decoding: a tiny PNG can claim 20,000 x 20,000 pixels.
        check_image_pixels(data, path)
    except DataError as exc:
        raise ProjectError(path, f"{member}: {exc.problem}") from None
    flags = cv2.IMREAD_COLOR if colour else cv2.IMREAD_GRAYSCALE
    array = cv2.imdecode(np.frombuffer(data, np.uint8), flags) if data else None
    if array is None or array.dtype != np.uint8:
        raise ProjectError(path, f"{member} is not a readable PNG")
    return cv2.cvtColor(array, cv2.COLOR_BGR2RGB) if colour else array


def save_project(doc: Document, path: str | Path) -> Path:
    """Write ``doc`` to ``path`` (``.sptproj`` added when missing), atomically.

    Returns:
        The path written.
    """
    path = Path(path)
    if path.suffix != SUFFIX:
        path = path.with_name(path.name + SUFFIX)
    meta = {
        "format": FORMAT,
        "version": VERSION,
        "name": doc.name,
        "size": list(doc.size),
        "source_pose": _pose_to_json(doc.source_pose),
        "target_pose": _pose_to_json(doc.target_pose),
        "target_visible": [bool(v) for v in doc.target_visible],
        "settings": doc.settings,
        "reference": None,
    }
    members = {
        "image.png": _encode_png(doc.image),
        "source_parsing.png": _encode_png(doc.source_parsing),
        "target_parsing.png": _encode_png(doc.target_parsing),
    }
    if doc.reference is not None:
        meta["reference"] = {"name": doc.reference.name, "pose": _pose_to_json(doc.reference.pose)}
        members["reference/image.png"] = _encode_png(doc.reference.image)
        members["reference/parsing.png"] = _encode_png(doc.reference.parsing)
    if doc.result is not None:
        members["result.png"] = _encode_png(doc.result)
    with atomic_path(path) as tmp, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("project.json", json.dumps(meta, indent=1))
        for name, data in members.items():
            # PNGs are compressed already; storing them saves time.
            archive.writestr(name, data, compress_type=zipfile.ZIP_STORED)
    return path


class _Members:
    """The members of an open project zip, each size checked before it is read.

    ``ZipInfo.file_size`` is what a member inflates to, and zipfile never hands back more than
    that, so checking it first stops a zip bomb before a byte of it is decompressed.
    """

    def __init__(self, archive: zipfile.ZipFile, path: Path):
        self.archive, self.path = archive, path
        self.infos = {info.filename: info for info in archive.infolist()}
        total = sum(info.file_size for info in self.infos.values())
        if total > MAX_TOTAL_BYTES:
            raise ProjectError(
                path, f"the members unpack to {total:,} bytes, over {MAX_TOTAL_BYTES:,}"
            )

    def has(self, member: str) -> bool:
        return member in self.infos

    def read(self, member: str, limit: int = MAX_MEMBER_BYTES) -> bytes:
        info = self.infos.get(member)
        if info is None:
            raise ProjectError(self.path, f"{member} is missing from the project")
        if info.file_size > limit:
            raise ProjectError(
                self.path, f"{member} unpacks to {info.file_size:,} bytes, over {limit:,}"
            )
        return self.archive.read(info)

    def image(self, member: str, colour: bool) -> np.ndarray:
        return _decode_png(self.read(member), self.path, member, colour)

    def labels(self, member: str, shape: tuple[int, ...]) -> np.ndarray:
        labels = self.image(member, colour=False)
        try:
            labels = lb.check_labels(labels, self.path)
        except DataError as exc:
            raise ProjectError(self.path, f"{member}: {exc.problem}") from None
        if labels.shape != shape[:2]:
            raise ProjectError(
                self.path, f"{member} is {labels.shape} (HxW), its image is {shape[:2]}"
            )
        return labels


def _read_manifest(members: _Members) -> dict:
    path = members.path
    try:
        meta = json.loads(members.read("project.json", MAX_MANIFEST_BYTES).decode("utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as exc:
        raise ProjectError(path, f"project.json is not valid JSON ({exc})") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise ProjectError(path, "not an SPT Studio project (project.json format)")
    if meta.get("version") != VERSION:
        raise ProjectError(path, f"project version {meta.get('version')!r} unsupported")
    if not isinstance(meta.get("name", ""), str):
        raise ProjectError(path, "name: expected a string")
    size = meta.get("size")
    if size is not None and not (
        isinstance(size, list) and len(size) == 2 and all(_is_int(v) and v > 0 for v in size)
    ):
        raise ProjectError(path, f"size: expected [height, width], got {size!r}")
    ref = meta.get("reference")
    if ref is not None and not (isinstance(ref, dict) and isinstance(ref.get("name", ""), str)):
        raise ProjectError(path, "reference: expected an object with a name and a pose, or null")
    try:
        meta["settings"] = validated_settings(meta.get("settings"))
    except ValueError as exc:
        raise ProjectError(path, str(exc)) from None
    meta["target_visible"] = _visible_from_json(meta.get("target_visible"), path)
    return meta


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _pose_limit(shape: tuple[int, ...]) -> float:
    return float(POSE_MARGIN * max(shape[:2]))


def _read_reference(members: _Members, ref: dict | None) -> PersonData | None:
    if not ref:
        return None
    image = members.image("reference/image.png", colour=True)
    return PersonData(
        ref.get("name", "second image"),
        image,
        _pose_from_json(ref.get("pose"), members.path, "reference.pose", _pose_limit(image.shape)),
        members.labels("reference/parsing.png", image.shape),
    )


def _read_project(members: _Members) -> Document:
    """Read and check everything; the document is built only once all of it is valid."""
    path = members.path
    meta = _read_manifest(members)
    image = members.image("image.png", colour=True)
    if meta.get("size") is not None and tuple(meta["size"]) != image.shape[:2]:
        raise ProjectError(path, f"size: {meta['size']} but image.png is {image.shape[:2]}")
    limit = _pose_limit(image.shape)
    return Document(
        name=meta.get("name", path.stem),
        image=image,
        source_pose=_pose_from_json(meta.get("source_pose"), path, "source_pose", limit),
        target_pose=_pose_from_json(meta.get("target_pose"), path, "target_pose", limit),
        target_visible=meta["target_visible"],
        source_parsing=members.labels("source_parsing.png", image.shape),
        target_parsing=members.labels("target_parsing.png", image.shape),
        reference=_read_reference(members, meta.get("reference")),
        settings=meta["settings"],
        result=members.image("result.png", colour=True) if members.has("result.png") else None,
    )


def load_project(path: str | Path) -> Document:
    """Read a project file, checking every field and member before building the document.

    Raises:
        ProjectError: missing file, not a zip, a member missing, damaged or too large, an
            unknown version, a field of the wrong type or range, or parts that do not fit
            together. Each message names the file and the member or field.
    """
    path = Path(path)
    if not path.is_file():
        raise ProjectError(path, "project file not found")
    try:
        with zipfile.ZipFile(path) as archive:
            return _read_project(_Members(archive, path))
    except ProjectError:
        raise
    except zipfile.BadZipFile as exc:
        raise ProjectError(
            path, f"not a project file (not a zip archive, or damaged: {exc})"
        ) from None
    except (OSError, zipfile.LargeZipFile, EOFError, zlib.error) as exc:
        raise ProjectError(path, f"cannot read the project ({exc})") from None
    except MemoryError:
        raise ProjectError(path, "too large to read into memory") from None
    except Exception as exc:  # noqa: BLE001 - a hostile file must end in a message, not a crash
        raise ProjectError(path, f"cannot read the project ({type(exc).__name__}: {exc})") from exc
