"""Real poses for synthetic people: the usable pool, small perturbations, fitting, the view.

Poses come from a PG2 annotation CSV of real images. A pose is usable when every body joint
1..13 (neck, shoulders, elbows, wrists, hips, knees, ankles) exists; head joints may be missing,
which is how back views look in the data, and they stay missing in the output.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from spt_core import skeleton as sk
from spt_core.data.layouts import is_market_junk

BODY_JOINTS: tuple[int, ...] = tuple(range(1, 14))
#: Shoulder width / torso length below which a pose counts as a side view.
SIDE_RATIO = 0.35
#: Torso length (neck to hip centre) as a fraction of the image height, before identity height.
TORSO_FRACTION = 0.27

_ARM_CHAINS = ((sk.R_SHOULDER, sk.R_ELBOW, sk.R_WRIST), (sk.L_SHOULDER, sk.L_ELBOW, sk.L_WRIST))
_LEG_CHAINS = ((sk.R_HIP, sk.R_KNEE, sk.R_ANKLE), (sk.L_HIP, sk.L_KNEE, sk.L_ANKLE))


@dataclass(frozen=True)
class PosePool:
    """The usable poses of one CSV and what was left out."""

    source: str
    names: tuple[str, ...]
    poses: np.ndarray  # (N, 18, 2) float32
    rows: int
    missing_joints: int
    degenerate: int
    junk: int = 0

    def summary(self) -> dict:
        """Counts for the dataset record and the ``spt synth`` report."""
        return {
            "source": self.source,
            "rows": self.rows,
            "usable": len(self.names),
            "skipped_market_junk": self.junk,
            "skipped_missing_joints": self.missing_joints,
            "skipped_degenerate": self.degenerate,
        }


def torso_length(pose: np.ndarray) -> float:
    """Distance from the neck to the centre of the hips."""
    hips = (pose[sk.R_HIP] + pose[sk.L_HIP]) / 2
    return float(np.hypot(*(hips - pose[sk.NECK])))


def load_pose_pool(path: str | Path) -> PosePool:
    """Read a PG2 CSV and keep poses with all body joints and an upright, non-tiny torso."""
    poses = sk.read_pose_csv(path)
    names, kept = [], []
    missing = degenerate = junk = 0
    for name, pose in poses.items():
        # Market's distractor and junk boxes (-1_..., 0000_...) are no people: Def-GAN drops
        # them from training, and their "poses" would dress synthetic people in noise.
        if is_market_junk(name):
            junk += 1
            continue
        if not sk.present(pose)[list(BODY_JOINTS)].all():
            missing += 1
            continue
        length = torso_length(pose)
        hips_y = (pose[sk.R_HIP, 1] + pose[sk.L_HIP, 1]) / 2
        # Lying or upside-down people, and torsos of a few pixels, are annotation noise here.
        if length < 6 or hips_y - pose[sk.NECK, 1] < 0.5 * length:
            degenerate += 1
            continue
        names.append(name)
        kept.append(pose)
    stacked = np.stack(kept) if kept else np.zeros((0, sk.NUM_JOINTS, 2), np.float32)
    return PosePool(str(path), tuple(names), stacked, len(poses), missing, degenerate, junk)


# --------------------------------------------------------------------------------------------
# Perturbation and fitting


def _rotate_about(points: np.ndarray, centre: np.ndarray, degrees: float) -> np.ndarray:
    c, s = math.cos(math.radians(degrees)), math.sin(math.radians(degrees))
    offset = points - centre
    return centre + offset @ np.array([[c, s], [-s, c]], dtype=np.float64)


def perturb(pose: np.ndarray, rng: np.random.Generator, degrees: float = 3.0) -> np.ndarray:
    """Rotate each limb segment (and the head about the neck) by a few degrees."""
    out = pose.astype(np.float64).copy()
    for root, middle, end in _ARM_CHAINS + _LEG_CHAINS:
        angle = float(np.clip(rng.normal(0, degrees), -2.5 * degrees, 2.5 * degrees))
        out[[middle, end]] = _rotate_about(out[[middle, end]], out[root], angle)
        angle = float(np.clip(rng.normal(0, degrees), -2.5 * degrees, 2.5 * degrees))
        out[[end]] = _rotate_about(out[[end]], out[middle], angle)
    head = [j for j in sk.HEAD_JOINTS if sk.present(pose)[j]]
    if head:
        angle = float(np.clip(rng.normal(0, degrees), -2 * degrees, 2 * degrees))
        out[head] = _rotate_about(out[head], out[sk.NECK], angle)
    return out


def body_extent(pose: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(min xy, max xy) of everything drawn for ``pose``: joints, head, hands, feet, hair."""
    length = torso_length(pose)
    ok = sk.present(pose)
    points = [pose[j] for j in np.flatnonzero(ok)]
    hips = (pose[sk.R_HIP] + pose[sk.L_HIP]) / 2
    up = (pose[sk.NECK] - hips) / max(length, 1e-6)
    points.append(pose[sk.NECK] + up * 0.82 * length)  # top of the head and hair
    for _, elbow, wrist in _ARM_CHAINS:
        direction = pose[wrist] - pose[elbow]
        direction = direction / max(float(np.hypot(*direction)), 1e-6)
        points.append(pose[wrist] + direction * 0.3 * length)
    for ankle in (sk.R_ANKLE, sk.L_ANKLE):
        points.append(pose[ankle] + np.array([0.0, 0.12 * length]))
    stack = np.asarray(points)
    margin = 0.17 * length  # limb and cloth radius, skirt flare
    return stack.min(axis=0) - margin, stack.max(axis=0) + margin


def fit_pose(
    pose: np.ndarray, size: tuple[int, int], height: float, rng: np.random.Generator
) -> np.ndarray:
    """Scale ``pose`` to the identity's torso length, place it inside the canvas, round it.

    The scale makes the neck-to-hip length TORSO_FRACTION * image height * ``height`` (times a
    small jitter), shrunk when the whole figure would not fit. Joints are rounded to whole pixels
    before drawing, so the written annotation is exactly the pose that was drawn.
    """
    canvas_h, canvas_w = size
    target = TORSO_FRACTION * canvas_h * height * rng.uniform(0.97, 1.03)
    scale = target / torso_length(pose)
    low, high = body_extent(pose)
    extent = (high - low) * scale
    room = np.array([canvas_w - 2.0, canvas_h - 2.0])
    shrink = min(1.0, float(np.min(room / np.maximum(extent, 1e-6))))
    scale *= shrink
    extent *= shrink
    centre = (low + high) / 2 * scale
    wanted = np.array(
        [
            canvas_w / 2 + rng.normal(0, 0.04 * canvas_w),
            canvas_h / 2 + rng.normal(0, 0.02 * canvas_h),
        ]
    )
    lowest = extent / 2 + 1.0
    highest = np.array([canvas_w, canvas_h]) - 1.0 - extent / 2
    wanted = np.clip(wanted, lowest, np.maximum(lowest, highest))
    placed = pose.astype(np.float64) * scale + (wanted - centre)
    placed = np.rint(placed)
    placed[..., 0] = np.clip(placed[..., 0], 0, canvas_w - 1)
    placed[..., 1] = np.clip(placed[..., 1], 0, canvas_h - 1)
    return placed.astype(np.float32)


# --------------------------------------------------------------------------------------------
# View


@dataclass(frozen=True)
class View:
    """How the person faces the camera.

    ``kind`` is front, back or side; ``facing`` is +1 / -1 when the person turns toward image
    right / left (in a side view the person's right / left side is then the near one); ``yaw``
    turns the face (-1..1, 0 frontal); ``face`` tells whether the face is visible.
    """

    kind: str
    facing: int
    yaw: float
    face: bool

    def near_side(self) -> str:
        """'right' or 'left': the side of the body nearer the camera in a side view."""
        return "right" if self.facing > 0 else "left"


def classify_view(pose: np.ndarray, rng: np.random.Generator) -> View:
    """Front / back / side from the shoulders and the head joints that exist.

    Front when the person's right shoulder is at the smaller x, back when reversed or when nose
    and eyes are missing but an ear is seen, side when the shoulder width is small against the
    torso length.
    """
    ok = sk.present(pose)
    length = torso_length(pose)
    ratio = float(pose[sk.L_SHOULDER, 0] - pose[sk.R_SHOULDER, 0]) / max(length, 1e-6)
    face_joints = ok[[sk.NOSE, sk.R_EYE, sk.L_EYE]].any()
    ears_only = not face_joints and ok[[sk.R_EAR, sk.L_EAR]].any()
    yaw = _yaw(pose, ok, length)
    if abs(ratio) < SIDE_RATIO:
        if face_joints:
            facing = int(np.sign(yaw)) or (1 if ratio >= 0 else -1)
            return View("side", facing, facing * max(abs(yaw), 0.85), True)
        if ok[sk.R_EAR] != ok[sk.L_EAR]:
            facing = 1 if ok[sk.R_EAR] else -1
        else:
            facing = 1 if rng.random() < 0.5 else -1
        return View("side", facing, 0.0, False)
    if ratio < 0 or ears_only:
        return View("back", 1 if ratio < 0 else -1, 0.0, False)
    facing = int(np.sign(yaw)) or 1
    return View("front", facing, float(np.clip(yaw, -0.6, 0.6)), True)


def _yaw(pose: np.ndarray, ok: np.ndarray, length: float) -> float:
    """How far the nose sits from the middle of the visible eyes and ears (+ = image right)."""
    if not ok[sk.NOSE]:
        return 0.0
    refs = [j for j in (sk.R_EYE, sk.L_EYE, sk.R_EAR, sk.L_EAR) if ok[j]]
    if not refs:
        return 0.0
    offset = float(pose[sk.NOSE, 0] - pose[refs, 0].mean())
    return float(np.clip(offset / (0.12 * length), -1.0, 1.0))
