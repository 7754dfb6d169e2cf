"""Backgrounds: plain, gradient, smooth noise and street-like scenes, plus a ground shadow."""

from __future__ import annotations

import cv2
import numpy as np

BACKGROUND_KINDS: tuple[str, ...] = ("plain", "gradient", "noise", "street")
_WEIGHTS = np.array([0.15, 0.2, 0.2, 0.45])

_WALLS = np.array(
    [
        (0.72, 0.7, 0.66), (0.6, 0.58, 0.55), (0.55, 0.35, 0.28), (0.8, 0.76, 0.68),
        (0.45, 0.5, 0.55), (0.35, 0.36, 0.38), (0.66, 0.6, 0.5), (0.5, 0.56, 0.5),
    ]
)  # fmt: skip
_GROUNDS = np.array([(0.42, 0.42, 0.43), (0.55, 0.53, 0.5), (0.62, 0.58, 0.52), (0.35, 0.36, 0.34)])


def _random_colour(rng: np.random.Generator, low: float = 0.15, high: float = 0.9) -> np.ndarray:
    grey = rng.uniform(low, high)
    return np.clip(grey + rng.normal(0, 0.12, 3), 0.0, 1.0)


def _plain(rng: np.random.Generator, size: tuple[int, int]) -> np.ndarray:
    image = np.empty(size + (3,), np.float32)
    image[...] = _random_colour(rng, 0.3, 0.95)
    return image


def _gradient(rng: np.random.Generator, size: tuple[int, int]) -> np.ndarray:
    height, width = size
    angle = rng.uniform(0, 2 * np.pi)
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    ramp = (xs / width) * np.cos(angle) + (ys / height) * np.sin(angle)
    ramp = (ramp - ramp.min()) / max(float(np.ptp(ramp)), 1e-6)
    first, second = _random_colour(rng), _random_colour(rng)
    return (first + ramp[..., None] * (second - first)).astype(np.float32)


def _noise(rng: np.random.Generator, size: tuple[int, int]) -> np.ndarray:
    height, width = size
    cells = (int(rng.integers(3, 8)), int(rng.integers(2, 5)))
    coarse = rng.random((cells[0], cells[1], 3)).astype(np.float32)
    smooth = cv2.resize(coarse, (width, height), interpolation=cv2.INTER_CUBIC)
    first, second = _random_colour(rng), _random_colour(rng)
    mix = np.clip(smooth, 0, 1).mean(axis=2, keepdims=True)
    image = first + mix * (second - first) + (smooth - mix) * 0.25
    image += rng.normal(0, 0.02, image.shape).astype(np.float32)
    return np.clip(image, 0, 1).astype(np.float32)


def _street(rng: np.random.Generator, size: tuple[int, int]) -> np.ndarray:
    """A wall of building blocks with windows over a ground plane with paving lines, blurred."""
    height, width = size
    horizon = int(height * rng.uniform(0.4, 0.75))
    image = np.empty((height, width, 3), np.float32)
    image[:horizon] = _WALLS[rng.integers(len(_WALLS))] * rng.uniform(0.8, 1.15)
    x = 0
    while x < width:
        block = int(width * rng.uniform(0.25, 0.8))
        top = int(horizon * rng.uniform(0.0, 0.5))
        colour = np.clip(_WALLS[rng.integers(len(_WALLS))] * rng.uniform(0.75, 1.2), 0, 1)
        image[top:horizon, x : x + block] = colour
        _windows(rng, image, (top, horizon, x, min(x + block, width)), colour)
        x += block
    ground = np.clip(_GROUNDS[rng.integers(len(_GROUNDS))] * rng.uniform(0.85, 1.15), 0, 1)
    rows = np.arange(horizon, height, dtype=np.float32)
    depth = (rows - horizon + 1) / max(height - horizon, 1)
    image[horizon:] = ground * (0.85 + 0.25 * depth)[:, None, None]
    _paving(rng, image, horizon, ground)
    sigma = rng.uniform(0.5, 1.4) * height / 128
    return cv2.GaussianBlur(image, (0, 0), sigma)


def _windows(
    rng: np.random.Generator, image: np.ndarray, box: tuple[int, int, int, int], wall: np.ndarray
) -> None:
    top, bottom, left, right = box
    if rng.random() < 0.35:
        return
    step_y = max(int(image.shape[0] * rng.uniform(0.08, 0.16)), 3)
    step_x = max(int(image.shape[1] * rng.uniform(0.15, 0.3)), 3)
    glass = np.clip(wall * rng.uniform(0.3, 0.6) + rng.normal(0, 0.05, 3), 0, 1)
    for y in range(top + step_y // 3, bottom - step_y // 2, step_y):
        for x in range(left + step_x // 4, right - step_x // 2, step_x):
            image[y : y + step_y // 2, x : x + step_x // 2] = glass


def _paving(rng: np.random.Generator, image: np.ndarray, horizon: int, ground: np.ndarray) -> None:
    height, width = image.shape[:2]
    line = ground * rng.uniform(0.65, 0.85)
    spacing = max(height * 0.04, 2.0)
    y = horizon + spacing
    while y < height:
        image[int(y)] = line
        spacing *= 1.35  # nearer rows are further apart
        y += spacing
    vanishing = width * rng.uniform(0.2, 0.8)
    for bottom_x in np.linspace(-width, 2 * width, int(rng.integers(3, 7))):
        cv2.line(
            image,
            (int(vanishing), horizon),
            (int(bottom_x), height),
            tuple(float(c) for c in line),
            1,
        )


def random_background(rng: np.random.Generator, size: tuple[int, int]) -> tuple[np.ndarray, str]:
    """(H, W, 3) float32 background and its kind name."""
    kind = BACKGROUND_KINDS[int(rng.choice(len(BACKGROUND_KINDS), p=_WEIGHTS / _WEIGHTS.sum()))]
    maker = {"plain": _plain, "gradient": _gradient, "noise": _noise, "street": _street}[kind]
    return maker(rng, size), kind


def cast_shadow(
    image: np.ndarray, feet: list[np.ndarray], S: float, rng: np.random.Generator
) -> None:
    """Darken a soft ellipse on the ground around the feet (background pixels only)."""
    height, width = image.shape[:2]
    stack = np.asarray(feet)
    centre = stack.mean(axis=0) + np.array([rng.uniform(-0.2, 0.2) * S, 0.04 * S])
    half_width = (np.ptp(stack[:, 0]) / 2 + 0.3 * S) * rng.uniform(0.9, 1.4)
    mask = np.zeros((height, width), np.float32)
    cv2.ellipse(
        mask,
        (int(centre[0]), int(centre[1])),
        (max(int(half_width), 1), max(int(0.07 * S), 1)),
        0,
        0,
        360,
        1.0,
        -1,
    )
    mask = cv2.GaussianBlur(mask, (0, 0), max(0.06 * S, 0.8))
    image *= 1.0 - rng.uniform(0.2, 0.4) * mask[..., None]
