"""A person on disk: an image, a pose and a parsing map, as the CLI and the samples store them.

A *person folder* holds ``image.png``, ``parsing.png`` (palette PNG, or ``parsing.npy``) and
``pose.json``. ``pose.json`` is ``{"keypoints": [[x, y] or null, ... 18 entries]}`` in the
OpenPose-18 order of :mod:`spt_core.skeleton` (x, y in pixels; null for a missing joint). A pose
may also come from a PG2 annotation CSV as ``annotations.csv#image_name``.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np

from spt_core import labels as lb
from spt_core import skeleton as sk
from spt_core.errors import DataError
from spt_core.io_utils import read_image_rgb, write_image_rgb, write_text_atomic

IMAGE_FILE = "image.png"
PARSING_FILE = "parsing.png"
POSE_FILE = "pose.json"


def read_pose_file(path: str | Path) -> np.ndarray:
    """A pose from ``pose.json``, a person folder, or ``annotations.csv#name``.

    Raises:
        DataError: a missing file, bad JSON, not 18 joints, or a name not in the CSV.
    """
    text = str(path)
    if "#" in text and text.split("#", 1)[0].endswith(".csv"):
        csv_path, name = text.split("#", 1)
        poses = sk.read_pose_csv(csv_path)
        if name not in poses:
            raise DataError(csv_path, f"no row named {name!r}")
        return poses[name]
    path = Path(path)
    if path.is_dir():
        path = path / POSE_FILE
    if not path.is_file():
        raise DataError(path, "pose file not found")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise DataError(path, "not a text file (cannot decode as UTF-8)") from None
    except json.JSONDecodeError as exc:
        raise DataError(path, f"not valid JSON ({exc.msg}, line {exc.lineno})") from None
    points = data.get("keypoints") if isinstance(data, dict) else data
    if not isinstance(points, list) or len(points) != sk.NUM_JOINTS:
        got = len(points) if isinstance(points, list) else type(points).__name__
        raise DataError(path, f"expected 18 keypoints under 'keypoints', got {got}")
    pose = np.full((sk.NUM_JOINTS, 2), np.nan, np.float32)
    for j, point in enumerate(points):
        if point is not None:
            pose[j] = _keypoint(path, j, point)
    if not sk.present(pose).any():
        raise DataError(path, "every keypoint is null: the pose has no joint")
    return pose


def _keypoint(path: Path, j: int, point: object) -> list[float]:
    """One ``[x, y]`` entry of ``pose.json``, refused with the file and the joint when it is
    not a pair of plain finite numbers (booleans, strings, NaN, Infinity, 1e30...)."""
    joint = f"keypoint {j} ({sk.JOINT_NAMES[j]})"
    if not (isinstance(point, list | tuple) and len(point) == 2):
        raise DataError(path, f"{joint} must be [x, y] or null, got {point!r:.60}")
    # NaN is the library's own "missing" (json.dumps writes it for a NaN pose): like null.
    numbers = [v for v in point if not (isinstance(v, float) and math.isnan(v))]
    for value in numbers:
        problem = sk.coordinate_problem(value)
        if problem:
            raise DataError(path, f"{joint}: {problem}")
    if len(numbers) < 2:
        return [math.nan, math.nan]
    return [float(point[0]), float(point[1])]


def read_target_pose(path: str | Path, frame: tuple[int, int]) -> np.ndarray:
    """:func:`read_pose_file`, then checked against the image (H, W) it will pose
    (:func:`spt_core.skeleton.pose_problem`), so that the error names the file.

    Raises:
        DataError: the file cannot be read, or its pose cannot drive the networks (no torso
            joint, joints far outside the frame: e.g. a CSV row of another image size).
    """
    pose = read_pose_file(path)
    problem = sk.pose_problem(pose, frame)
    if problem:
        raise DataError(str(path), f"the pose {problem}")
    return pose


def write_pose_file(path: str | Path, pose: np.ndarray) -> None:
    """Write ``pose.json`` atomically (NaN joints as null, names alongside for people)."""
    pose = np.asarray(pose, np.float32)
    points = [
        None if np.isnan(p).any() else [round(float(p[0]), 2), round(float(p[1]), 2)] for p in pose
    ]
    write_text_atomic(
        path, json.dumps({"joints": list(sk.JOINT_NAMES), "keypoints": points}, indent=1) + "\n"
    )


def read_person(
    folder: str | Path | None = None,
    image: str | Path | None = None,
    pose: str | Path | None = None,
    parsing: str | Path | None = None,
):
    """A :class:`spt_core.pipeline.Person` from a person folder, with files overriding parts.

    Raises:
        DataError: a missing or unreadable file, or parts that do not fit together.
    """
    from spt_core.pipeline import Person

    folder = None if folder is None else Path(folder)
    if folder is not None and not folder.is_dir():
        raise DataError(folder, "not a person folder (expected image.png, parsing.png, pose.json)")

    def part(given, name):
        if given is not None:
            return Path(given)
        if folder is None:
            raise DataError(None, f"no {name}: give a person folder or the {name} file")
        if name == "parsing" and not (folder / PARSING_FILE).exists():
            return folder / "parsing.npy"
        return folder / {"image": IMAGE_FILE, "parsing": PARSING_FILE}[name]

    image_path = part(image, "image")
    picture = read_image_rgb(image_path)
    labels = lb.read_parsing(part(parsing, "parsing"), expected_size=picture.shape[:2])
    if pose is None and folder is None:
        raise DataError(None, "no pose: give a person folder or a pose file")
    joints = read_pose_file(pose if pose is not None else folder)
    height, width = picture.shape[:2]
    inside = np.isnan(joints[:, 0]) | (
        (joints[:, 0] >= -1)
        & (joints[:, 0] <= width)
        & (joints[:, 1] >= -1)
        & (joints[:, 1] <= height)
    )
    if not inside.all():
        outside = ", ".join(sk.JOINT_NAMES[j] for j in np.flatnonzero(~inside))
        raise DataError(
            image_path, f"the pose has joints outside the {width}x{height} image ({outside})"
        )
    if not sk.has_torso(joints):
        raise DataError(
            image_path, "the pose lacks a torso joint (both shoulders and both hips are needed)"
        )
    return Person(picture, joints, labels.astype(np.uint8))


def write_person(folder: str | Path, person) -> Path:
    """Write a person folder (each file atomically)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    write_image_rgb(folder / IMAGE_FILE, person.image)
    lb.write_parsing(folder / PARSING_FILE, person.parsing)
    write_pose_file(folder / POSE_FILE, person.pose)
    return folder
