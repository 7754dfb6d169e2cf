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
never destroys the previous file. Every read error names the project file and the member.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import numpy as np

from spt_core import labels as lb
from spt_core import skeleton as sk
from spt_core.errors import DataError
from spt_core.io_utils import atomic_path
from spt_studio.document.model import DEFAULT_SETTINGS, Document, PersonData

FORMAT = "spt-studio-project"
VERSION = 1
SUFFIX = ".sptproj"


class ProjectError(DataError):
    """A project file is missing, not a project, or damaged (the message names the file)."""


def _pose_to_json(pose: np.ndarray) -> list:
    return [None if np.isnan(p).any() else [float(p[0]), float(p[1])] for p in pose]


def _pose_from_json(value, path: Path, what: str) -> np.ndarray:
    if not isinstance(value, list) or len(value) != sk.NUM_JOINTS:
        raise ProjectError(path, f"{what}: expected a list of {sk.NUM_JOINTS} joints")
    pose = sk.missing_pose()
    for j, point in enumerate(value):
        if point is None:
            continue
        try:
            pose[j] = (float(point[0]), float(point[1]))
        except (TypeError, ValueError, IndexError):
            raise ProjectError(path, f"{what}: joint {j} is not [x, y] or null") from None
    return pose


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

    flags = cv2.IMREAD_COLOR if colour else cv2.IMREAD_GRAYSCALE
    array = cv2.imdecode(np.frombuffer(data, np.uint8), flags) if data else None
    if array is None:
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


def load_project(path: str | Path) -> Document:
    """Read a project file.

    Raises:
        ProjectError: missing file, not a zip, missing or damaged member, unknown version,
            or parts that do not fit together (each message names the file).
    """
    path = Path(path)
    if not path.is_file():
        raise ProjectError(path, "project file not found")
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())

            def read(member: str) -> bytes:
                if member not in names:
                    raise ProjectError(path, f"{member} is missing from the project")
                return archive.read(member)

            try:
                meta = json.loads(read("project.json").decode("utf-8"))
            except (json.JSONDecodeError, UnicodeDecodeError) as exc:
                raise ProjectError(path, f"project.json is not valid JSON ({exc})") from None
            if not isinstance(meta, dict) or meta.get("format") != FORMAT:
                raise ProjectError(path, "not an SPT Studio project (project.json format)")
            if meta.get("version") != VERSION:
                raise ProjectError(path, f"project version {meta.get('version')!r} unsupported")
            image = _decode_png(read("image.png"), path, "image.png", colour=True)
            parsings = {}
            for layer in ("source_parsing", "target_parsing"):
                member = f"{layer}.png"
                labels = _decode_png(read(member), path, member, colour=False)
                try:
                    parsings[layer] = lb.check_labels(labels, f"{path}:{member}")
                except DataError as exc:
                    raise ProjectError(path, f"{member}: {exc.problem}") from None
                if labels.shape != image.shape[:2]:
                    raise ProjectError(
                        path, f"{member} is {labels.shape}, the image is {image.shape[:2]}"
                    )
            reference = None
            if meta.get("reference"):
                ref = meta["reference"]
                ref_image = _decode_png(read("reference/image.png"), path, "reference", True)
                ref_parsing = _decode_png(
                    read("reference/parsing.png"), path, "reference/parsing.png", False
                )
                reference = PersonData(
                    str(ref.get("name", "second image")),
                    ref_image,
                    _pose_from_json(ref.get("pose"), path, "reference pose"),
                    lb.check_labels(ref_parsing),
                )
            result = None
            if "result.png" in names:
                result = _decode_png(archive.read("result.png"), path, "result.png", True)
    except zipfile.BadZipFile:
        raise ProjectError(path, "not a project file (not a zip archive, or damaged)") from None
    except (OSError, zipfile.LargeZipFile, EOFError) as exc:
        raise ProjectError(path, f"cannot read the project ({exc})") from None
    visible = meta.get("target_visible", [True] * sk.NUM_JOINTS)
    if not isinstance(visible, list) or len(visible) != sk.NUM_JOINTS:
        raise ProjectError(path, "target_visible: expected 18 booleans")
    settings = dict(DEFAULT_SETTINGS)
    settings.update(meta.get("settings") or {})
    return Document(
        name=str(meta.get("name", path.stem)),
        image=image,
        source_pose=_pose_from_json(meta.get("source_pose"), path, "source_pose"),
        target_pose=_pose_from_json(meta.get("target_pose"), path, "target_pose"),
        target_visible=np.array([bool(v) for v in visible]),
        source_parsing=parsings["source_parsing"],
        target_parsing=parsings["target_parsing"],
        reference=reference,
        settings=settings,
        result=result,
    )
