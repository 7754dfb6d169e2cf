"""Signed-distance shapes evaluated on small pixel windows of the canvas.

Every shape returns a signed distance in pixels (negative inside) together with the local
coordinates its texture needs. A pixel (row r, column c) has its centre at (x, y) = (c, r), the
convention of the pose files and of OpenCV drawing. Shapes are evaluated only on the window that
bounds them, which keeps a 128x64 person at a few milliseconds.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

Point = np.ndarray  # (2,) float (x, y)


@dataclass(frozen=True)
class Window:
    """A rectangle of the canvas with its pixel-centre coordinates (broadcastable)."""

    rows: slice
    cols: slice
    x: np.ndarray  # (1, w)
    y: np.ndarray  # (h, 1)

    @property
    def shape(self) -> tuple[int, int]:
        return (self.y.shape[0], self.x.shape[1])


def window(bounds: tuple[float, float, float, float], size: tuple[int, int]) -> Window | None:
    """The canvas window covering ``bounds`` = (x0, y0, x1, y1); None when it is off-canvas."""
    height, width = size
    x0, y0, x1, y1 = bounds
    if not all(math.isfinite(v) for v in bounds):
        return None
    c0, c1 = max(int(math.floor(x0)), 0), min(int(math.ceil(x1)) + 1, width)
    r0, r1 = max(int(math.floor(y0)), 0), min(int(math.ceil(y1)) + 1, height)
    if c0 >= c1 or r0 >= r1:
        return None
    xs = np.arange(c0, c1, dtype=np.float32)[None, :]
    ys = np.arange(r0, r1, dtype=np.float32)[:, None]
    return Window(slice(r0, r1), slice(c0, c1), xs, ys)


def points_window(points: list[np.ndarray], margin: float, size: tuple[int, int]) -> Window | None:
    """The window around a set of points, grown by ``margin`` pixels."""
    stack = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    low = stack.min(axis=0) - margin
    high = stack.max(axis=0) + margin
    return window((low[0], low[1], high[0], high[1]), size)


# --------------------------------------------------------------------------------------------
# Tapered capsules (limbs, sleeves, trouser legs, hands, shoes)


@dataclass(frozen=True)
class Capsule:
    """A limb-like shape sampled on a window.

    ``along`` is the distance from ``a`` along the axis (not clamped), ``across`` the signed
    distance from the axis (positive on the side of ``normal``), ``radius`` the local radius.
    """

    win: Window
    sdf: np.ndarray
    along: np.ndarray
    across: np.ndarray
    radius: np.ndarray
    length: float
    normal: tuple[float, float]


def capsule(
    size: tuple[int, int],
    a: Point,
    b: Point,
    radius_a: float,
    radius_b: float,
    *,
    flat_a: bool = False,
    flat_b: bool = False,
    wobble: tuple[float, float, float] | None = None,
) -> Capsule | None:
    """A tapered capsule from ``a`` to ``b``.

    Args:
        size: canvas (height, width).
        a, b: end points (x, y).
        radius_a, radius_b: radii at the two ends (linear taper between).
        flat_a, flat_b: cut that end square instead of rounding it (a sleeve cuff, a hem).
        wobble: (amplitude px, cycles along the axis, phase): a loose-cloth silhouette.
    """
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    axis = b - a
    length = float(np.hypot(*axis))
    if length < 1e-3:
        axis, length = np.array([0.0, 1.0]), 1e-3
    ux, uy = axis / length
    extra = abs(wobble[0]) if wobble else 0.0
    win = points_window([a, b], max(radius_a, radius_b) + extra + 1.5, size)
    if win is None:
        return None
    dx = win.x - np.float32(a[0])
    dy = win.y - np.float32(a[1])
    along = dx * np.float32(ux) + dy * np.float32(uy)
    across = dx * np.float32(-uy) + dy * np.float32(ux)
    t = np.clip(along / np.float32(length), 0.0, 1.0)
    radius = np.float32(radius_a) + t * np.float32(radius_b - radius_a)
    if wobble:
        amplitude, cycles, phase = wobble
        radius = radius + np.float32(amplitude) * np.sin(
            t * np.float32(2 * math.pi * cycles) + np.float32(phase)
        )
    rounded = np.sqrt((along - t * np.float32(length)) ** 2 + across**2) - radius
    sdf = rounded
    if flat_a or flat_b:
        side = np.abs(across) - radius
        if flat_a:
            sdf = np.where(along < 0, np.maximum(side, -along), sdf)
        if flat_b:
            beyond = along - np.float32(length)
            sdf = np.where(beyond > 0, np.maximum(side, beyond), sdf)
    return Capsule(win, sdf, along, across, radius, length, (-uy, ux))


# --------------------------------------------------------------------------------------------
# Ellipses (heads, buns, eyes)


@dataclass(frozen=True)
class Ellipse:
    """An ellipse sampled on a window; ``u``, ``v`` are the normalised local coordinates."""

    win: Window
    sdf: np.ndarray
    u: np.ndarray  # along the ellipse's x axis, 1 at the rim
    v: np.ndarray  # along its y axis ("down" for a head)


def ellipse(
    size: tuple[int, int], centre: Point, rx: float, ry: float, down: tuple[float, float]
) -> Ellipse | None:
    """An ellipse with semi-axes ``rx`` (across) and ``ry`` (along the unit vector ``down``)."""
    win = points_window([centre], max(rx, ry) + 1.5, size)
    if win is None:
        return None
    dx = win.x - np.float32(centre[0])
    dy = win.y - np.float32(centre[1])
    ax, ay = down
    along = dx * np.float32(ax) + dy * np.float32(ay)
    across = dx * np.float32(ay) - dy * np.float32(ax)
    u = across / np.float32(rx)
    v = along / np.float32(ry)
    # First-order distance to the implicit curve f = u^2 + v^2 - 1 (exact on the rim).
    f = u * u + v * v - 1.0
    grad = 2.0 * np.sqrt((u / np.float32(rx)) ** 2 + (v / np.float32(ry)) ** 2)
    sdf = f / np.maximum(grad, np.float32(1e-3))
    return Ellipse(win, sdf, u, v)


# --------------------------------------------------------------------------------------------
# Bilinear frames (torso, pelvis, skirt)


@dataclass(frozen=True)
class Frame:
    """A bilinear body frame: P(u, s) = C(u) + s H(u), C and H linear in u.

    ``u`` runs from 0 at the top edge centre ``top`` to 1 at ``bottom``; ``s`` is -1 / +1 at
    the two top corners ``top -/+ top_half`` and bottom corners ``bottom -/+ bottom_half``.
    """

    top: Point
    bottom: Point
    top_half: Point
    bottom_half: Point

    @property
    def length(self) -> float:
        return float(np.hypot(*(self.bottom - self.top)))

    def point(self, u: float, s: float) -> np.ndarray:
        centre = self.top + u * (self.bottom - self.top)
        half = self.top_half + u * (self.bottom_half - self.top_half)
        return centre + s * half


@dataclass(frozen=True)
class FrameSample:
    """Frame coordinates on a window: ``half`` is |H(u)| in pixels, (hx, hy) its direction."""

    win: Window
    u: np.ndarray
    s: np.ndarray
    half: np.ndarray
    hx: np.ndarray
    hy: np.ndarray


def sample_frame(frame: Frame, win: Window) -> FrameSample:
    """Invert the bilinear map on every pixel of ``win``.

    Solving (q - u e) x H(u) = 0 for u gives a quadratic; the root nearest the linear solution
    (the numerically stable form below) is the one inside a non-degenerate frame.
    """
    e = (frame.bottom - frame.top).astype(np.float32)
    ht = frame.top_half.astype(np.float32)
    f = (frame.bottom_half - frame.top_half).astype(np.float32)
    qx = win.x - np.float32(frame.top[0])
    qy = win.y - np.float32(frame.top[1])
    a = -(e[0] * f[1] - e[1] * f[0])
    b = (qx * f[1] - qy * f[0]) - (e[0] * ht[1] - e[1] * ht[0])
    c = qx * ht[1] - qy * ht[0]
    disc = np.sqrt(np.maximum(b * b - 4.0 * a * c, 0.0))
    denom = b + np.where(b >= 0, disc, -disc)
    denom = np.where(np.abs(denom) < 1e-6, np.float32(1e-6), denom)
    u = -2.0 * c / denom
    hx = ht[0] + u * f[0]
    hy = ht[1] + u * f[1]
    half_sq = np.maximum(hx * hx + hy * hy, np.float32(1e-6))
    s = ((qx - u * e[0]) * hx + (qy - u * e[1]) * hy) / half_sq
    half = np.sqrt(half_sq)
    return FrameSample(win, u, s, half, hx / half, hy / half)


def frame_window(
    frame: Frame, u_range: tuple[float, float], s_max: float, margin: float, size: tuple[int, int]
) -> Window | None:
    """The window around the frame's region u in ``u_range``, |s| <= ``s_max``."""
    corners = [frame.point(u, s) for u in u_range for s in (-s_max, s_max)]
    return points_window(corners, margin, size)
