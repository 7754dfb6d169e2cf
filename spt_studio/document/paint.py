"""Label-map geometry for the paint tools: brush segments and flood fill, on numpy only.

Pixel convention: pixel (row r, column c) has its centre at image coordinates (x=c, y=r), the
same convention as poses, so a brush at (x, y) covers the pixels whose centres lie within the
brush radius.
"""

from __future__ import annotations

from collections import deque

import numpy as np

Rect = tuple[int, int, int, int]  # top, bottom, left, right (bottom/right exclusive)


def segment_mask(
    p0: tuple[float, float], p1: tuple[float, float], radius: float, size: tuple[int, int]
) -> tuple[Rect, np.ndarray] | None:
    """Pixels whose centre lies within ``radius`` of the segment p0-p1 (a round brush dragged).

    Args:
        p0, p1: (x, y) end points in image coordinates (p0 == p1 for a single dab).
        radius: brush radius in pixels (half the brush size).
        size: (height, width) of the map; the result is clipped to it.

    Returns:
        (rect, mask) with mask the boolean (bottom-top, right-left) block of ``rect``, or None
        when the brush lies entirely outside the map.
    """
    height, width = size
    (x0, y0), (x1, y1) = p0, p1
    top = max(0, int(np.floor(min(y0, y1) - radius)))
    bottom = min(height, int(np.ceil(max(y0, y1) + radius)) + 1)
    left = max(0, int(np.floor(min(x0, x1) - radius)))
    right = min(width, int(np.ceil(max(x0, x1) + radius)) + 1)
    if top >= bottom or left >= right:
        return None
    ys, xs = np.mgrid[top:bottom, left:right].astype(np.float64)
    dx, dy = x1 - x0, y1 - y0
    length2 = dx * dx + dy * dy
    if length2 > 0:
        # Project each pixel centre on the segment, clamped to its ends.
        t = np.clip(((xs - x0) * dx + (ys - y0) * dy) / length2, 0.0, 1.0)
    else:
        t = np.zeros_like(xs)
    dist2 = (xs - (x0 + t * dx)) ** 2 + (ys - (y0 + t * dy)) ** 2
    mask = dist2 <= radius * radius
    if not mask.any():
        return None
    return (top, bottom, left, right), mask


def flood_region(labels: np.ndarray, x: int, y: int) -> tuple[Rect, np.ndarray] | None:
    """The 4-connected region of equal labels containing pixel (x, y).

    Returns:
        (rect, mask) with the region's bounding rectangle and its boolean mask inside it, or
        None when (x, y) is outside the map.
    """
    height, width = labels.shape
    if not (0 <= x < width and 0 <= y < height):
        return None
    import cv2

    # cv2.floodFill on a copy: exact equality (zero tolerance), 4-connectivity, writes the
    # region into a mask one pixel larger on every side.
    flood_mask = np.zeros((height + 2, width + 2), np.uint8)
    cv2.floodFill(
        labels.copy(),
        flood_mask,
        (int(x), int(y)),
        0,
        loDiff=0,
        upDiff=0,
        flags=4 | cv2.FLOODFILL_MASK_ONLY | (1 << 8),
    )
    region = flood_mask[1:-1, 1:-1].astype(bool)
    rows = np.flatnonzero(region.any(axis=1))
    cols = np.flatnonzero(region.any(axis=0))
    rect = (int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1)
    return rect, region[rect[0] : rect[1], rect[2] : rect[3]]


def flood_region_bfs(labels: np.ndarray, x: int, y: int) -> np.ndarray:
    """Reference flood fill (plain breadth-first search, full-size mask); slow, for checks."""
    height, width = labels.shape
    region = np.zeros(labels.shape, bool)
    value = labels[y, x]
    queue = deque([(y, x)])
    region[y, x] = True
    while queue:
        r, c = queue.popleft()
        for rr, cc in ((r - 1, c), (r + 1, c), (r, c - 1), (r, c + 1)):
            inside = 0 <= rr < height and 0 <= cc < width
            if inside and not region[rr, cc] and labels[rr, cc] == value:
                region[rr, cc] = True
                queue.append((rr, cc))
    return region


def union_rect(a: Rect, b: Rect) -> Rect:
    """The smallest rectangle holding both."""
    return (min(a[0], b[0]), max(a[1], b[1]), min(a[2], b[2]), max(a[3], b[3]))
