"""Framing a photo around its person: the crop of ``spt prepare`` (a :class:`Letterbox` that
fits the person's box, not the whole photo, into the model's size)."""

from __future__ import annotations

import numpy as np

from spt_core import skeleton as sk
from spt_core.letterbox import Letterbox

#: Margin around the person's box, as a fraction of the box height, on every side.
MARGIN = 0.08


def person_box(
    pose: np.ndarray, mask: np.ndarray | None, source_size: tuple[int, int]
) -> tuple[float, float, float, float]:
    """(x0, y0, x1, y1) around the present joints and the mask (> 0.5); the whole photo if
    neither exists. The mask adds what joints miss: the top of the head, feet, loose clothes."""
    xs, ys = [], []
    ok = sk.present(pose)
    if ok.any():
        xs += list(pose[ok, 0])
        ys += list(pose[ok, 1])
    if mask is not None:
        rows = np.flatnonzero((mask > 0.5).any(axis=1))
        cols = np.flatnonzero((mask > 0.5).any(axis=0))
        if rows.size:
            xs += [cols[0], cols[-1]]
            ys += [rows[0], rows[-1]]
    if not xs:
        return 0.0, 0.0, source_size[1] - 1.0, source_size[0] - 1.0
    return float(min(xs)), float(min(ys)), float(max(xs)), float(max(ys))


def frame_person(
    pose: np.ndarray,
    mask: np.ndarray | None,
    source_size: tuple[int, int],
    size: tuple[int, int],
    margin: float = MARGIN,
) -> Letterbox:
    """The framing that fits the person's box (plus ``margin``) into ``size``, centred.

    The box keeps the person's proportions: it is scaled to fit (as :meth:`Letterbox.fit` does) and
    the rest of the frame shows the photo around it, or black beyond the photo's edges.
    """
    x0, y0, x1, y1 = person_box(pose, mask, source_size)
    pad = margin * max(y1 - y0 + 1, x1 - x0 + 1)
    box_h, box_w = (y1 - y0 + 1) + 2 * pad, (x1 - x0 + 1) + 2 * pad
    scale = min(size[0] / box_h, size[1] / box_w)
    height, width = source_size
    new_w, new_h = max(1, round(width * scale)), max(1, round(height * scale))
    sx, sy = new_w / width, new_h / height
    centre = np.array([(x0 + x1) / 2, (y0 + y1) / 2])
    landed = (centre + 0.5) * np.array([sx, sy]) - 0.5
    target = np.array([(size[1] - 1) / 2, (size[0] - 1) / 2])
    dx, dy = np.rint(target - landed).astype(int)
    return Letterbox(tuple(source_size), tuple(size), (sx, sy), (int(dx), int(dy)))
