"""Body geometry of one posed person: torso frame, limb radii, head, hands and feet.

All lengths scale with S, the neck-to-hip length in pixels, so a figure has the same proportions
at 128x64 and at 256x176.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from spt_core import skeleton as sk
from spt_core.data.synth.geometry import Frame
from spt_core.data.synth.outfit import Lower, Outfit
from spt_core.data.synth.posing import View, torso_length

ARMS = {
    "right": (sk.R_SHOULDER, sk.R_ELBOW, sk.R_WRIST),
    "left": (sk.L_SHOULDER, sk.L_ELBOW, sk.L_WRIST),
}
LEGS = {"right": (sk.R_HIP, sk.R_KNEE, sk.R_ANKLE), "left": (sk.L_HIP, sk.L_KNEE, sk.L_ANKLE)}


def _unit(vector: np.ndarray, fallback=(0.0, 1.0)) -> np.ndarray:
    norm = float(np.hypot(*vector))
    return vector / norm if norm > 1e-6 else np.asarray(fallback, dtype=np.float64)


@dataclass(frozen=True)
class Head:
    """Head ellipse: centre, semi-axes across (rx) and along ``down`` (ry)."""

    centre: np.ndarray
    rx: float
    ry: float
    down: tuple[float, float]

    def point(self, u: float, v: float) -> np.ndarray:
        """Image point of normalised head coordinates (u across, v down)."""
        dx, dy = self.down
        return self.centre + u * self.rx * np.array([dy, -dx]) + v * self.ry * np.array([dx, dy])


@dataclass(frozen=True)
class Figure:
    """Geometry of a posed body (pixels)."""

    pose: np.ndarray  # (18, 2) float64, NaN for missing head joints
    S: float
    down: np.ndarray  # unit vector neck -> hips
    torso: Frame
    arm_radii: tuple[float, float, float]  # shoulder, elbow, wrist
    leg_radii: tuple[float, float, float]  # hip, knee, ankle
    head: Head
    hands: dict[str, tuple[np.ndarray, np.ndarray]]
    feet: dict[str, tuple[np.ndarray, np.ndarray]]


def _oriented_half(vector: np.ndarray, normal: np.ndarray, minimum: float) -> np.ndarray:
    """Half-width vector pointing along ``normal`` with at least ``minimum`` along it.

    In side views both shoulders project close together; the minimum is the body's depth.
    """
    if float(vector @ normal) < 0:
        vector = -vector
    along = float(vector @ normal)
    return vector + normal * (max(along, minimum) - along)


def _torso_frame(pose: np.ndarray, S: float, down: np.ndarray) -> Frame:
    top = (pose[sk.R_SHOULDER] + pose[sk.L_SHOULDER]) / 2
    bottom = (pose[sk.R_HIP] + pose[sk.L_HIP]) / 2
    normal = np.array([down[1], -down[0]])  # image-right when upright
    top_half = _oriented_half((pose[sk.L_SHOULDER] - pose[sk.R_SHOULDER]) / 2, normal, 0.22 * S)
    # Hips at least 0.45 of the shoulders keep H(u) away from zero where the pelvis extrapolates.
    hips_minimum = max(0.19 * S, 0.45 * float(top_half @ normal))
    bottom_half = _oriented_half((pose[sk.L_HIP] - pose[sk.R_HIP]) / 2, normal, hips_minimum)
    return Frame(top, bottom, top_half, bottom_half)


def _head(pose: np.ndarray, S: float, down: np.ndarray, scale: float, view: View) -> Head:
    ok = sk.present(pose)
    rx, ry = 0.21 * S * scale, 0.265 * S * scale
    up = -down
    guesses = [pose[sk.NECK] + up * 0.42 * S]
    if ok[sk.R_EYE] and ok[sk.L_EYE]:
        guesses.append((pose[sk.R_EYE] + pose[sk.L_EYE]) / 2 + up * 0.05 * ry)
    if ok[sk.R_EAR] and ok[sk.L_EAR]:
        guesses.append((pose[sk.R_EAR] + pose[sk.L_EAR]) / 2 + up * 0.05 * ry)
    if ok[sk.NOSE]:
        guesses.append(pose[sk.NOSE] + up * 0.3 * ry - np.array([view.yaw * 0.5 * rx, 0.0]))
    # The joints place the head when they exist; the neck keeps it attached to the body.
    centre = np.mean(guesses[1:], axis=0) if len(guesses) > 1 else guesses[0]
    offset = centre - pose[sk.NECK]
    distance = float(np.clip(offset @ up, 0.34 * S, 0.48 * S))
    sideways = float(np.clip(offset @ np.array([up[1], -up[0]]), -0.18 * S, 0.18 * S))
    centre = pose[sk.NECK] + up * distance + np.array([up[1], -up[0]]) * sideways
    head_down = _unit(0.5 * _unit(pose[sk.NECK] - centre) + 0.5 * down)
    # Grow the head (a little) to hold the real eye, ear and nose joints of the source pose.
    joints = pose[[j for j in sk.HEAD_JOINTS if ok[j]]] - centre
    if len(joints):
        across = np.abs(joints @ np.array([head_down[1], -head_down[0]])).max()
        along = np.abs(joints @ head_down).max()
        rx = float(np.clip(across / 0.9 + 0.5, rx, 1.35 * rx))
        ry = float(np.clip(along / 0.9 + 0.5, ry, 1.3 * ry))
    return Head(centre, rx, ry, (float(head_down[0]), float(head_down[1])))


def _feet(pose: np.ndarray, S: float, view: View) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    feet = {}
    for side, (_, _, ankle) in LEGS.items():
        outward = math.copysign(
            1.0, float(pose[ankle, 0] - (pose[sk.R_HIP, 0] + pose[sk.L_HIP, 0]) / 2)
        )
        if view.kind == "side":
            heel = pose[ankle] + np.array([-view.facing * 0.07 * S, 0.03 * S])
            toe = pose[ankle] + np.array([view.facing * 0.32 * S, 0.09 * S])
        else:
            heel = pose[ankle] + np.array([0.0, -0.01 * S])
            toe = pose[ankle] + np.array([outward * 0.05 * S, 0.13 * S])
        feet[side] = (heel, toe)
    return feet


def build_figure(pose: np.ndarray, outfit: Outfit, view: View) -> Figure:
    """Derive the drawing geometry of ``outfit``'s body in ``pose`` seen from ``view``."""
    pose = pose.astype(np.float64)
    S = torso_length(pose)
    hips = (pose[sk.R_HIP] + pose[sk.L_HIP]) / 2
    down = _unit(hips - pose[sk.NECK])
    body = outfit.body
    t = body.thickness
    hands = {}
    for side, (_, elbow, wrist) in ARMS.items():
        direction = _unit(pose[wrist] - pose[elbow])
        hands[side] = (pose[wrist], pose[wrist] + direction * 0.24 * S)
    return Figure(
        pose=pose,
        S=S,
        down=down,
        torso=_torso_frame(pose, S, down),
        arm_radii=(0.095 * S * t, 0.072 * S * t, 0.055 * S * t),
        leg_radii=(0.17 * S * t * body.hips**0.5, 0.112 * S * t, 0.064 * S * t),
        head=_head(pose, S, down, body.head, view),
        hands=hands,
        feet=_feet(pose, S, view),
    )


def skirt_frame(figure: Figure, lower: Lower, waist_half: float) -> Frame:
    """A flared trapezoid from the waist, hanging mostly with gravity, wide enough for the legs.

    ``lower.length`` is the fraction of the leg (hip to ankle) the skirt reaches down to.
    """
    pose, S, torso = figure.pose, figure.S, figure.torso
    waist = torso.point(lower.waist, 0.0)
    axis = _unit(0.55 * np.array([0.0, 1.0]) + 0.45 * figure.down)
    normal = np.array([axis[1], -axis[0]])
    legs = [pose[list(chain)] for chain in LEGS.values()]
    leg_length = np.mean([np.hypot(*(c[1] - c[0])) + np.hypot(*(c[2] - c[1])) for c in legs])
    length = lower.length * leg_length + (1.0 - lower.waist) * torso.length
    radii = figure.leg_radii
    lows, highs = [], []
    for chain in legs:
        for i in range(2):
            a, b = chain[i], chain[i + 1]
            depth_a, depth_b = (a - waist) @ axis, (b - waist) @ axis
            points = [(a, radii[i])]
            if depth_b <= length:
                points.append((b, radii[i + 1]))
            elif depth_a < length:
                t = (length - depth_a) / (depth_b - depth_a)
                points.append((a + t * (b - a), radii[i] + t * (radii[i + 1] - radii[i])))
            for point, radius in points:
                lateral = float((point - waist) @ normal)
                lows.append(lateral - radius - 0.03 * S)
                highs.append(lateral + radius + 0.03 * S)
    flare = waist_half * lower.flare
    low, high = min(min(lows), -flare), max(max(highs), flare)
    hem = waist + axis * length + normal * (low + high) / 2
    top_half = torso.top_half + lower.waist * (torso.bottom_half - torso.top_half)
    top_half = _unit(top_half) * waist_half
    if float(top_half @ normal) < 0:
        top_half = -top_half
    return Frame(waist, hem, top_half, normal * (high - low) / 2)
