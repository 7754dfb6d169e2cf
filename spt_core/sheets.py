"""Contact sheets: rows of equally tall RGB tiles with white gaps, enlarged for viewing."""

from __future__ import annotations

import numpy as np


def spread(count: int, total: int) -> np.ndarray:
    """``count`` indices spread evenly over ``range(total)`` (consecutive items tend to be the
    same person, so sheets show items from across a set)."""
    return np.unique(np.linspace(0, total - 1, min(count, total)).round().astype(int))


def tile_sheet(rows: list[list[np.ndarray]], gap: int = 2, scale: int = 2) -> np.ndarray:
    """One image of ``rows`` (each a list of (H, W, 3) uint8 tiles of one height), with
    ``gap`` white pixels between tiles and rows, every pixel repeated ``scale`` times."""
    lines = []
    for tiles in rows:
        white = np.full((tiles[0].shape[0], gap, 3), 255, np.uint8)
        line = np.concatenate(sum(([t, white] for t in tiles), [])[:-1], axis=1)
        if lines:
            lines.append(np.full((gap, line.shape[1], 3), 255, np.uint8))
        lines.append(line)
    sheet = np.concatenate(lines, axis=0)
    return np.repeat(np.repeat(sheet, scale, axis=0), scale, axis=1)
