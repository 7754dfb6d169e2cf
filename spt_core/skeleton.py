"""The 18 OpenPose-COCO keypoints: names, limbs, mirror pairs, PG2 CSV files, heat maps, masks.

Coordinate convention (used everywhere in spt_core):
    A pose is a ``float32`` array of shape (18, 2) holding **(x, y) = (column, row)** pixel
    coordinates, in the joint order of :data:`JOINT_NAMES`. A missing joint is **NaN** in both
    coordinates. NaN, unlike PG2's ``-1``, can never be mistaken for a coordinate: any arithmetic
    on a missing joint stays NaN and :func:`present` tells which joints exist. The PG2 CSV stores
    (row, column) with ``-1`` for missing; the reader and writer convert at the file boundary only.
    A batch of poses is an array of shape (N, 18, 2).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from spt_core.errors import DataError, InputError
from spt_core.io_utils import write_text_atomic

NUM_JOINTS = 18

JOINT_NAMES: tuple[str, ...] = (
    "nose", "neck",
    "right_shoulder", "right_elbow", "right_wrist",
    "left_shoulder", "left_elbow", "left_wrist",
    "right_hip", "right_knee", "right_ankle",
    "left_hip", "left_knee", "left_ankle",
    "right_eye", "left_eye", "right_ear", "left_ear",
)  # fmt: skip
JOINT_INDEX: dict[str, int] = {name: i for i, name in enumerate(JOINT_NAMES)}

NOSE, NECK = 0, 1
R_SHOULDER, R_ELBOW, R_WRIST = 2, 3, 4
L_SHOULDER, L_ELBOW, L_WRIST = 5, 6, 7
R_HIP, R_KNEE, R_ANKLE = 8, 9, 10
L_HIP, L_KNEE, L_ANKLE = 11, 12, 13
R_EYE, L_EYE, R_EAR, L_EAR = 14, 15, 16, 17

#: Joints without which a pose is unusable for part warps (Def-GAN's validity filter).
TORSO_JOINTS: tuple[int, ...] = (R_SHOULDER, L_SHOULDER, R_HIP, L_HIP)
#: Joints that locate the head.
HEAD_JOINTS: tuple[int, ...] = (NOSE, R_EYE, L_EYE, R_EAR, L_EAR)

#: Skeleton-drawing limbs (OpenPose visualisation list, 0-indexed).
LIMBS: tuple[tuple[int, int], ...] = (
    (1, 2), (1, 5), (2, 3), (3, 4), (5, 6), (6, 7), (1, 8), (8, 9), (9, 10),
    (1, 11), (11, 12), (12, 13), (1, 0), (0, 14), (14, 16), (0, 15), (15, 17),
    (2, 16), (5, 17),
)  # fmt: skip

#: The 23 segments of PG2's pose mask: 17 bones plus neck-ears, hip-hip, hip-shoulder and
#: ear-ear, so that torso and head are closed polygons (method §1.5; 0-indexed here).
MASK_SEGMENTS: tuple[tuple[int, int], ...] = (
    (1, 2), (1, 5), (2, 3), (3, 4), (5, 6), (6, 7), (1, 8), (8, 9), (9, 10),
    (1, 11), (11, 12), (12, 13), (1, 0), (0, 14), (14, 16), (0, 15), (15, 17),
    (1, 16), (1, 17), (8, 11), (11, 5), (8, 2), (16, 17),
)  # fmt: skip

#: Left/right pairs; the person's own side, as in OpenPose and LIP.
MIRROR_PAIRS: tuple[tuple[int, int], ...] = (
    (R_SHOULDER, L_SHOULDER), (R_ELBOW, L_ELBOW), (R_WRIST, L_WRIST),
    (R_HIP, L_HIP), (R_KNEE, L_KNEE), (R_ANKLE, L_ANKLE),
    (R_EYE, L_EYE), (R_EAR, L_EAR),
)  # fmt: skip


def _mirror_permutation() -> np.ndarray:
    perm = np.arange(NUM_JOINTS)
    for a, b in MIRROR_PAIRS:
        perm[a], perm[b] = b, a
    return perm


#: ``pose[MIRROR_INDEX]`` swaps every left joint with its right partner.
MIRROR_INDEX: np.ndarray = _mirror_permutation()


# --------------------------------------------------------------------------------------------
# Basic pose helpers


def missing_pose() -> np.ndarray:
    """A pose with every joint missing."""
    return np.full((NUM_JOINTS, 2), np.nan, dtype=np.float32)


def as_pose(points: np.ndarray | list) -> np.ndarray:
    """Validate and convert ``points`` to the (18, 2) float32 (x, y) convention."""
    pose = np.asarray(points, dtype=np.float32)
    if pose.shape != (NUM_JOINTS, 2):
        raise ValueError(f"a pose must have shape (18, 2), got {pose.shape}")
    # A joint is missing as a whole: one NaN coordinate makes both NaN.
    pose = pose.copy()
    pose[np.isnan(pose).any(axis=-1)] = np.nan
    return pose


def present(pose: np.ndarray) -> np.ndarray:
    """Boolean mask (..., 18) of the joints that exist."""
    return ~np.isnan(np.asarray(pose)).any(axis=-1)


def has_torso(pose: np.ndarray) -> bool | np.ndarray:
    """Whether all four torso joints exist (per pose for a batch)."""
    return present(pose)[..., list(TORSO_JOINTS)].all(axis=-1)


def has_legs(pose: np.ndarray) -> bool | np.ndarray:
    """Whether a knee or an ankle exists (per pose for a batch): the models are trained on
    whole bodies, and an upper-body photo (no knee, no ankle) comes out as blocks."""
    return present(pose)[..., [R_KNEE, L_KNEE, R_ANKLE, L_ANKLE]].any(axis=-1)


def torso_scale(pose: np.ndarray) -> float:
    """Def-GAN's torso scale: sqrt((|Rhip-Rsho|^2 + |Lhip-Lsho|^2) / 2); NaN without a torso."""
    pose = np.asarray(pose, dtype=np.float64)
    right = np.sum((pose[R_HIP] - pose[R_SHOULDER]) ** 2)
    left = np.sum((pose[L_HIP] - pose[L_SHOULDER]) ** 2)
    return float(np.sqrt((right + left) / 2.0))


# --------------------------------------------------------------------------------------------
# Pose validation

#: The largest coordinate a pose file may hold. Images here are at most a few thousand pixels;
#: beyond this a value is a unit or parsing mistake, and 1e30 or 1e999 would overflow int().
MAX_COORDINATE = 100_000.0
#: How far outside its image a joint may lie, as a fraction of the image's width (for x) and
#: height (for y). Joints slightly out of frame are real (a hand past the border); a joint half
#: a frame away is a pose of another image size (a 256x176 DeepFashion row on a 128x64 person)
#: or a sign error, which the networks would turn into a flat grey picture.
FRAME_MARGIN = 0.5


def coordinate_problem(value: object) -> str | None:
    """Why one coordinate read from a file is unusable, or None when it is a number."""
    # bool is an int in Python: [true, true] would silently become (1, 1).
    if isinstance(value, bool) or not isinstance(value, int | float):
        return f"{value!r} is not a number"
    # An int of 400 digits overflows math.isfinite; it is only ever too large.
    if isinstance(value, float) and not math.isfinite(value):
        return f"{value!r} is not finite (use null for a missing joint)"
    if abs(value) > MAX_COORDINATE:
        return f"{value!r:.40} is not a pixel coordinate (beyond {MAX_COORDINATE:g})"
    return None


def _outside(pose: np.ndarray, frame: tuple[int, int]) -> np.ndarray:
    """Mask (18,) of present joints further than :data:`FRAME_MARGIN` outside the frame."""
    height, width = frame
    x, y = pose[:, 0], pose[:, 1]
    with np.errstate(invalid="ignore"):
        far = (
            (x < -FRAME_MARGIN * width)
            | (x > (1 + FRAME_MARGIN) * width)
            | (y < -FRAME_MARGIN * height)
            | (y > (1 + FRAME_MARGIN) * height)
        )
    return far & present(pose)


def pose_problem(pose: np.ndarray, frame: tuple[int, int]) -> str | None:
    """Why one (18, 2) pose cannot drive the networks for an image of size ``frame`` (H, W),
    or None when it can.

    Refused: a non-numeric array, infinite values, no joint at all, none of the four torso
    joints (the part warps hang on the torso), or joints more than :data:`FRAME_MARGIN` of the
    frame outside it.
    """
    pose = np.asarray(pose)
    if pose.dtype == bool or not np.issubdtype(pose.dtype, np.number):
        return f"must hold numbers, got {pose.dtype}"
    pose = pose.astype(np.float64)
    if np.isinf(pose).any():
        return f"holds infinite coordinates ({_joint_list(np.isinf(pose).any(axis=-1))})"
    ok = present(pose)
    if not ok.any():
        return "has no joint (every joint is missing)"
    torso = list(TORSO_JOINTS)
    if not ok[torso].any():
        return "has no torso joint (shoulders and hips are all missing)"
    image = f"the {frame[1]}x{frame[0]} (WxH) image"
    rescale = "a pose of another image size is not rescaled: scale it to this image first"
    far = _outside(pose, frame)
    if far.any():
        return f"has joints far outside {image} ({_joint_list(far)}); {rescale}"
    if not _inside(pose[torso], frame).any():
        return f"has its torso outside {image} (no shoulder or hip in it); {rescale}"
    return None


def _inside(points: np.ndarray, frame: tuple[int, int]) -> np.ndarray:
    """Mask of the (x, y) points inside the frame (H, W); False for missing ones."""
    height, width = frame
    x, y = points[:, 0], points[:, 1]
    with np.errstate(invalid="ignore"):
        return (x >= 0) & (x <= width - 1) & (y >= 0) & (y <= height - 1)


def _joint_list(mask: np.ndarray, most: int = 4) -> str:
    """'nose, neck, ...' for the joints of ``mask``, the first ``most`` of them by name."""
    names = [JOINT_NAMES[j] for j in np.flatnonzero(mask)]
    more = f" and {len(names) - most} more" if len(names) > most else ""
    return ", ".join(names[:most]) + more


def check_pose(pose: np.ndarray, frame: tuple[int, int], what: str = "pose") -> None:
    """Raise :class:`InputError` naming ``what`` when ``pose`` (one (18, 2) pose or a batch
    (N, 18, 2)) cannot drive the networks for images of size ``frame``; see
    :func:`pose_problem`."""
    pose = np.asarray(pose)
    if pose.shape[-2:] != (NUM_JOINTS, 2):
        return  # a wrong shape is the caller's own, more specific error
    if pose.ndim == 2:
        problem = pose_problem(pose, frame)
        if problem:
            raise InputError(f"{what} {problem}")
        return
    for i, one in enumerate(pose.reshape(-1, *pose.shape[-2:])):
        problem = pose_problem(one, frame)
        if problem:
            raise InputError(f"{what}[{i}] {problem}")


def mirror_pose(pose: np.ndarray, width: int) -> np.ndarray:
    """The pose of the horizontally flipped image: x -> width - 1 - x, left and right swapped."""
    flipped = np.asarray(pose, dtype=np.float32)[..., MIRROR_INDEX, :].copy()
    flipped[..., 0] = (width - 1) - flipped[..., 0]
    return flipped


def scale_pose(pose: np.ndarray, sx: float, sy: float | None = None) -> np.ndarray:
    """Scale coordinates (resizing an image by sx, sy); missing joints stay missing."""
    sy = sx if sy is None else sy
    out = np.asarray(pose, dtype=np.float32).copy()
    out[..., 0] *= sx
    out[..., 1] *= sy
    return out


# --------------------------------------------------------------------------------------------
# PG2 annotation CSV

CSV_HEADER = "name:keypoints_y:keypoints_x"
_LIST_RE = re.compile(r"^\s*\[[^\[\]]*\]\s*$")


def _parse_coords(text: str, what: str, path: Path, line: int) -> list[int]:
    if not _LIST_RE.match(text):
        raise DataError(path, f"{what} is not a [..] list: {text.strip()[:60]!r}", line)
    try:
        values = json.loads(text)
    except json.JSONDecodeError as exc:
        raise DataError(path, f"{what} cannot be parsed ({exc.msg})", line) from None
    if len(values) != NUM_JOINTS:
        raise DataError(path, f"{what} has {len(values)} joints, expected {NUM_JOINTS}", line)
    for j, value in enumerate(values):
        joint = f"{what} of joint {j} ({JOINT_NAMES[j]})"
        # json accepts NaN and Infinity (and 1e999): reject them here rather than crash in int().
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or (isinstance(value, float) and not math.isfinite(value))
            or value != int(value)
        ):
            raise DataError(path, f"{joint} holds a non-integer value {value!r}", line)
        if value < -1:
            raise DataError(path, f"{joint} holds a negative coordinate {value!r}", line)
        if value > MAX_COORDINATE:
            raise DataError(path, f"{joint} is {value!r}, not a pixel coordinate", line)
    return [int(v) for v in values]


def read_pose_csv(path: str | Path) -> dict[str, np.ndarray]:
    """Read a PG2 / Def-GAN annotation CSV (``name:keypoints_y:keypoints_x``).

    Returns:
        An insertion-ordered dict from image name to a (18, 2) float32 pose in (x, y),
        NaN for joints stored as -1.

    Raises:
        DataError: missing file, wrong header, malformed row (with its line number), a joint
            with only one coordinate missing, or a duplicated name.
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(path, "annotation file not found")
    try:
        # utf-8-sig: a file saved by a spreadsheet may start with a byte-order mark.
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise DataError(path, "not a text file (cannot decode as UTF-8)") from None
    lines = text.splitlines()
    if not lines or lines[0].strip().replace(" ", "") != CSV_HEADER:
        found = lines[0][:60] if lines else "an empty file"
        raise DataError(path, f"expected the header {CSV_HEADER!r}, found {found!r}", 1)
    poses: dict[str, np.ndarray] = {}
    for number, row in enumerate(lines[1:], start=2):
        if not row.strip():
            continue
        fields = row.split(":")
        if len(fields) != 3:
            problem = f"expected 3 ':'-separated fields (name, y list, x list), found {len(fields)}"
            raise DataError(path, problem, number)
        name = fields[0].strip()
        if not name:
            raise DataError(path, "empty image name", number)
        ys = _parse_coords(fields[1], "keypoints_y", path, number)
        xs = _parse_coords(fields[2], "keypoints_x", path, number)
        pose = missing_pose()
        for j, (y, x) in enumerate(zip(ys, xs, strict=True)):
            if (y == -1) != (x == -1):
                raise DataError(
                    path, f"joint {j} ({JOINT_NAMES[j]}) has only one coordinate missing", number
                )
            if y != -1:
                pose[j] = (x, y)
        if name in poses:
            raise DataError(path, f"duplicate image name {name!r}", number)
        poses[name] = pose
    return poses


def format_pose_row(name: str, pose: np.ndarray) -> str:
    """One CSV row; coordinates are rounded to whole pixels, missing joints written as -1."""
    pose = np.asarray(pose, dtype=np.float64)
    if pose.shape != (NUM_JOINTS, 2):
        raise ValueError(f"{name}: a pose must have shape (18, 2), got {pose.shape}")
    if ":" in name or "\n" in name:
        raise ValueError(f"image name {name!r} cannot hold ':' or a newline")
    ok = present(pose)
    rounded = np.where(ok[:, None], np.rint(np.nan_to_num(pose, nan=-1.0)), -1).astype(int)
    if (rounded[ok] < 0).any():
        raise ValueError(f"{name}: a present joint has a negative coordinate (PG2 cannot store it)")
    ys = ", ".join(str(v) for v in rounded[:, 1])
    xs = ", ".join(str(v) for v in rounded[:, 0])
    return f"{name}: [{ys}]: [{xs}]"


def write_pose_csv(path: str | Path, poses: Mapping[str, np.ndarray]) -> None:
    """Write poses as a PG2 annotation CSV, atomically (temporary file, then rename)."""
    rows = [CSV_HEADER] + [format_pose_row(name, pose) for name, pose in poses.items()]
    write_text_atomic(path, "\n".join(rows) + "\n")


# --------------------------------------------------------------------------------------------
# Heat maps and pose masks


def pose_heatmaps(pose: np.ndarray, size: tuple[int, int], sigma: float = 6.0) -> np.ndarray:
    """Gaussian heat maps (18, H, W) float32: exp(-d^2 / (2 sigma^2)); zero for missing joints.

    Args:
        pose: (18, 2) (x, y) pose.
        size: (height, width) of the maps.
        sigma: Gaussian width in pixels (6 in the method, at every resolution).
    """
    height, width = size
    maps = np.zeros((NUM_JOINTS, height, width), dtype=np.float32)
    ys = np.arange(height, dtype=np.float32)[:, None]
    xs = np.arange(width, dtype=np.float32)[None, :]
    pose = np.asarray(pose, dtype=np.float32)
    for j in np.flatnonzero(present(pose)):
        x, y = pose[j]
        # Separable: exp(-(dx^2 + dy^2)/2s^2) = exp(-dx^2/2s^2) * exp(-dy^2/2s^2).
        maps[j] = np.exp(-((ys - y) ** 2) / (2 * sigma**2)) * np.exp(
            -((xs - x) ** 2) / (2 * sigma**2)
        )
    return maps


def pose_heatmaps_torch(poses, size: tuple[int, int], sigma: float = 6.0):
    """Batched heat maps on any device: poses (B, 18, 2) tensor (NaN = missing) -> (B, 18, H, W)."""
    import torch

    height, width = size
    poses = torch.as_tensor(poses, dtype=torch.float32)
    ok = ~torch.isnan(poses).any(dim=-1)  # (B, 18)
    safe = torch.nan_to_num(poses, nan=0.0)
    ys = torch.arange(height, device=poses.device, dtype=torch.float32)
    xs = torch.arange(width, device=poses.device, dtype=torch.float32)
    gy = torch.exp(-((ys[None, None, :] - safe[..., 1:2]) ** 2) / (2 * sigma**2))
    gx = torch.exp(-((xs[None, None, :] - safe[..., 0:1]) ** 2) / (2 * sigma**2))
    maps = gy[..., :, None] * gx[..., None, :]
    return maps * ok[..., None, None].to(maps.dtype)


def _disc_offsets(radius: int) -> tuple[np.ndarray, np.ndarray]:
    """Integer (dy, dx) offsets with dy^2 + dx^2 <= radius^2 (PG2's ``distance <= radius``)."""
    span = np.arange(-radius, radius + 1)
    dy, dx = np.meshgrid(span, span, indexing="ij")
    inside = dy**2 + dx**2 <= radius**2
    return dy[inside], dx[inside]


def pose_mask(
    pose: np.ndarray, size: tuple[int, int], radius: int = 4, closing: int = 5
) -> np.ndarray:
    """PG2 pose mask (H, W) uint8 in {0, 1}: discs along the 23 mask segments, then a closing.

    Follows PG2's ``_getPoseMask`` (``getPoseMask`` in the SPT repository) exactly: for every
    segment with both joints present, solid discs at both ends and at floor(length / radius) - 1
    evenly spaced interior points. A disc is every pixel at distance <= ``radius`` (inclusive,
    unlike ``skimage.draw.disk``) from its centre, and centres are truncated to whole pixels
    (``int()``), as PG2 does. Then a ``closing`` x ``closing`` square dilation followed by an
    erosion, where pixels outside the image are ignored (skimage's default ``reflect`` border,
    which for a symmetric square equals "ignore"), so a limb touching the border keeps its
    pixels there.
    """
    import cv2

    height, width = size
    mask = np.zeros((height, width), dtype=np.uint8)
    pose = np.asarray(pose, dtype=np.float64)
    ok = present(pose)
    disc_dy, disc_dx = _disc_offsets(int(radius))

    def stamp(y: float, x: float) -> None:
        rows, cols = disc_dy + int(y), disc_dx + int(x)
        inside = (rows >= 0) & (rows < height) & (cols >= 0) & (cols < width)
        mask[rows[inside], cols[inside]] = 1

    for a, b in MASK_SEGMENTS:
        if not (ok[a] and ok[b]):
            continue
        (x0, y0), (x1, y1) = pose[a], pose[b]
        stamp(y0, x0)
        stamp(y1, x1)
        samples = int(np.hypot(x1 - x0, y1 - y0) / radius)
        for i in range(1, samples):
            stamp(y0 + (y1 - y0) * i / samples, x0 + (x1 - x0) * i / samples)
    if closing > 1:
        kernel = np.ones((closing, closing), np.uint8)
        # cv2's default border value for dilate/erode is "neutral" (-inf / +inf): outside
        # pixels are ignored. A zero border would erode away pixels along the image edge.
        mask = cv2.dilate(mask, kernel)
        mask = cv2.erode(mask, kernel)
    return mask


def draw_skeleton(
    image: np.ndarray, pose: np.ndarray, thickness: int = 1, radius: int = 2
) -> np.ndarray:
    """A copy of an RGB image with the pose drawn (OpenPose-like colours per limb)."""
    import cv2

    out = np.ascontiguousarray(image.copy())
    ok = present(pose)
    for k, (a, b) in enumerate(LIMBS):
        if ok[a] and ok[b]:
            hue = int(180 * k / len(LIMBS))
            bgr = cv2.cvtColor(np.uint8([[[hue, 255, 255]]]), cv2.COLOR_HSV2RGB)[0, 0]
            pa = tuple(int(round(v)) for v in pose[a])
            pb = tuple(int(round(v)) for v in pose[b])
            cv2.line(out, pa, pb, tuple(int(c) for c in bgr), thickness, cv2.LINE_AA)
    for j in np.flatnonzero(ok):
        center = tuple(int(round(v)) for v in pose[j])
        cv2.circle(out, center, radius, (255, 255, 255), -1, cv2.LINE_AA)
    return out
