"""Cloth patterns, folds and shading in body-part coordinates.

Texture coordinates are ``(cu, cv)`` in units of the person's torso length S: ``cu`` across the
part, ``cv`` along it. A pattern therefore keeps its size on the body whatever the image size, and
it moves with the part. Folds bend those coordinates non-affinely, with phases drawn per image, so
no part-wise affine warp maps one pose's cloth exactly onto another's.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

Colour = tuple[float, float, float]


@dataclass(frozen=True)
class Pattern:
    """A cloth pattern; sizes in torso lengths S, angles in degrees.

    Kinds: ``solid``; ``stripes`` (period, duty, angle); ``checks`` (gingham or plaid style);
    ``dots`` (period = spacing, duty = radius / spacing); ``noise`` (camo or heather style, waves
    = (kx, ky, phase) plane waves summed).
    """

    kind: str
    colours: tuple[Colour, ...]
    period: float = 0.2
    duty: float = 0.5
    angle: float = 0.0
    style: str = ""
    waves: tuple[tuple[float, float, float], ...] = ()


@dataclass(frozen=True)
class Logo:
    """A print on the chest: shape name, colour, size (S), centre below the shoulders (S)."""

    shape: str
    colour: Colour
    size: float
    drop: float


@dataclass(frozen=True)
class Folds:
    """Per-image cloth deformation: coordinate waves and crease shading (amplitudes in S)."""

    warp_u: tuple[float, float, float]  # (amplitude, wavenumber along cv, phase)
    warp_v: tuple[float, float, float]  # (amplitude, wavenumber along cu, phase)
    crease: tuple[float, float, float, float]  # (depth, wavenumber, slope, phase)


def random_folds(rng: np.random.Generator, looseness: float = 1.0) -> Folds:
    """Folds for one garment piece in one image (fresh phases each pose)."""
    two_pi = 2 * math.pi
    return Folds(
        warp_u=(
            float(rng.uniform(0.015, 0.04) * looseness),
            float(two_pi / rng.uniform(0.35, 0.8)),
            float(rng.uniform(0, two_pi)),
        ),
        warp_v=(
            float(rng.uniform(0.01, 0.03) * looseness),
            float(two_pi / rng.uniform(0.25, 0.6)),
            float(rng.uniform(0, two_pi)),
        ),
        crease=(
            float(rng.uniform(0.05, 0.13) * min(looseness, 1.5)),
            float(two_pi / rng.uniform(0.2, 0.45)),
            float(rng.choice([-1, 1]) * rng.uniform(0.4, 1.6)),
            float(rng.uniform(0, two_pi)),
        ),
    )


def fold(cu: np.ndarray, cv: np.ndarray, folds: Folds) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Deformed coordinates and a multiplicative crease shade (1 = no crease)."""
    amp_u, k_u, ph_u = folds.warp_u
    amp_v, k_v, ph_v = folds.warp_v
    warped_u = cu + np.float32(amp_u) * np.sin(cv * np.float32(k_u) + np.float32(ph_u))
    warped_v = cv + np.float32(amp_v) * np.sin(cu * np.float32(k_v) + np.float32(ph_v))
    depth, k_c, slope, ph_c = folds.crease
    wave = 0.5 + 0.5 * np.sin((cv + np.float32(slope) * cu) * np.float32(k_c) + np.float32(ph_c))
    shade = 1.0 - np.float32(depth) * wave**4
    return warped_u, warped_v, shade


# --------------------------------------------------------------------------------------------
# Patterns


def _rotate(cu: np.ndarray, cv: np.ndarray, degrees: float) -> tuple[np.ndarray, np.ndarray]:
    c, s = math.cos(math.radians(degrees)), math.sin(math.radians(degrees))
    return cu * np.float32(c) - cv * np.float32(s), cu * np.float32(s) + cv * np.float32(c)


def _band_coverage(w: np.ndarray, period: float, duty: float, px_per_unit: float) -> np.ndarray:
    """Anti-aliased coverage of bands of width duty*period repeating every period (along w)."""
    phase = w / np.float32(period)
    frac = phase - np.floor(phase)
    inside = frac < duty
    d_in = np.minimum(frac, np.float32(duty) - frac)
    d_out = np.minimum(frac - np.float32(duty), 1.0 - frac)
    signed = np.where(inside, d_in, -d_out) * np.float32(period * px_per_unit)
    return np.clip(signed + 0.5, 0.0, 1.0)


def _mix(base: np.ndarray, colour: Colour, weight: np.ndarray) -> np.ndarray:
    ink = np.asarray(colour, dtype=np.float32)
    return base + weight[..., None] * (ink - base)


def evaluate(pattern: Pattern, cu: np.ndarray, cv: np.ndarray, px_per_unit: float) -> np.ndarray:
    """RGB float32 (h, w, 3) of ``pattern`` at cloth coordinates ``(cu, cv)``.

    ``px_per_unit`` (pixels per S) sets the anti-aliasing width, and a floor on the period so
    that patterns never fall below three pixels (they would alias into moiré).
    """
    shape = np.broadcast_shapes(cu.shape, cv.shape)
    base = np.empty(shape + (3,), dtype=np.float32)
    base[...] = np.asarray(pattern.colours[0], dtype=np.float32)
    if pattern.kind == "solid":
        return base
    period = max(pattern.period, 3.0 / px_per_unit)
    ru, rv = _rotate(cu, cv, pattern.angle)
    if pattern.kind == "stripes":
        return _mix(base, pattern.colours[1], _band_coverage(rv, period, pattern.duty, px_per_unit))
    if pattern.kind == "checks":
        first = _band_coverage(rv, period, pattern.duty, px_per_unit)
        if pattern.style == "plaid":
            second = _band_coverage(ru + period * 0.3, period * 1.6, 0.25, px_per_unit)
            out = _mix(base, pattern.colours[1], first * 0.85)
            return _mix(out, pattern.colours[2], second * 0.8)
        second = _band_coverage(ru, period, pattern.duty, px_per_unit)
        return _mix(base, pattern.colours[1], 0.5 * (first + second))
    if pattern.kind == "dots":
        gy = rv / np.float32(period)
        row = np.floor(gy + 0.5)
        gx = ru / np.float32(period) + 0.5 * row  # staggered rows
        dist = np.hypot(gx - np.round(gx), gy - row) * np.float32(period * px_per_unit)
        radius = pattern.duty * period * px_per_unit
        return _mix(base, pattern.colours[1], np.clip(radius - dist + 0.5, 0.0, 1.0))
    if pattern.kind == "noise":
        field = np.zeros(shape, dtype=np.float32)
        for kx, ky, phase in pattern.waves:
            field += np.sin(cu * np.float32(kx) + cv * np.float32(ky) + np.float32(phase))
        field /= np.float32(max(len(pattern.waves), 1) ** 0.5)
        if pattern.style == "camo":
            out = _mix(base, pattern.colours[1], np.clip(field * 4.0 + 0.5, 0.0, 1.0))
            return _mix(out, pattern.colours[2], np.clip((field - 0.55) * 4.0, 0.0, 1.0))
        return _mix(base, pattern.colours[1], np.clip(field * 0.35 + 0.5, 0.0, 1.0))
    raise ValueError(f"unknown pattern kind {pattern.kind!r}")


def logo_coverage(logo: Logo, cu: np.ndarray, cv: np.ndarray, px_per_unit: float) -> np.ndarray:
    """Coverage (0..1) of a chest print (``cu`` 0 on the torso mid-line, ``cv`` 0 at shoulders)."""
    x = cu / np.float32(logo.size)
    y = (cv - np.float32(logo.drop)) / np.float32(logo.size)
    r = np.hypot(x, y)
    if logo.shape == "circle":
        inside = 1.0 - r
    elif logo.shape == "ring":
        inside = np.minimum(1.0 - r, r - 0.55)
    elif logo.shape == "star":
        angle = np.arctan2(y, x)
        inside = 0.55 + 0.4 * np.cos(5 * angle + np.float32(math.pi / 2)) - r
    elif logo.shape == "diamond":
        inside = 1.0 - (np.abs(x) + np.abs(y))
    else:  # "bars": a word-like block of three lines
        line = np.abs(y * 3.0 - np.round(y * 3.0)) - 0.28
        inside = np.minimum(np.minimum(-line, 1.0 - np.abs(x)), 0.95 - np.abs(y))
        inside = np.minimum(inside, 1.05 - np.abs(x + 0.25 * np.round(y * 3.0)))
    return np.clip(inside * np.float32(logo.size * px_per_unit) + 0.5, 0.0, 1.0)


# --------------------------------------------------------------------------------------------
# Shading


@dataclass(frozen=True)
class Light:
    """A directional light (unit vector toward the light; z toward the viewer) and ambient."""

    direction: tuple[float, float, float]
    ambient: float


def random_light(rng: np.random.Generator) -> Light:
    """Light from the front, from above and from either side, as outdoors or in a shop."""
    vector = np.array([rng.uniform(-0.8, 0.8), rng.uniform(-0.7, 0.05), rng.uniform(0.55, 1.0)])
    vector /= np.linalg.norm(vector)
    return Light(tuple(float(v) for v in vector), float(rng.uniform(0.42, 0.62)))


def cylinder_shade(
    across: np.ndarray,
    direction: tuple[np.ndarray | float, np.ndarray | float],
    light: Light,
    flatten: float = 1.0,
) -> np.ndarray:
    """Lambert shade of a cylinder (limb, torso): ``across`` in -1..1 from one rim to the other.

    ``direction`` is the unit image-plane vector of increasing ``across``; ``flatten`` < 1 makes
    a flatter section (a torso is wider than it is deep).
    """
    a = np.clip(across * np.float32(flatten), -0.97, 0.97)
    lx, ly, lz = light.direction
    dx, dy = direction
    ndotl = a * (dx * np.float32(lx) + dy * np.float32(ly)) + np.sqrt(1.0 - a * a) * np.float32(lz)
    return _lambert(ndotl, light)


def sphere_shade(
    u: np.ndarray, v: np.ndarray, down: tuple[float, float], light: Light
) -> np.ndarray:
    """Lambert shade of an ellipsoid (head) from its normalised coordinates (``v`` along down)."""
    u = np.clip(u, -0.98, 0.98)
    v = np.clip(v, -0.98, 0.98)
    z = np.sqrt(np.maximum(1.0 - u * u - v * v, 0.0))
    dx, dy = down
    lx, ly, lz = light.direction
    # u runs along (dy, -dx), v along (dx, dy).
    nx = u * np.float32(dy) + v * np.float32(dx)
    ny = -u * np.float32(dx) + v * np.float32(dy)
    return _lambert(nx * np.float32(lx) + ny * np.float32(ly) + z * np.float32(lz), light)


def _lambert(ndotl: np.ndarray, light: Light) -> np.ndarray:
    ambient = np.float32(light.ambient)
    # Scaled so a surface facing the light is a little brighter than its base colour.
    return (ambient + (1.12 - ambient) * np.clip(ndotl, 0.0, 1.0)).astype(np.float32)
