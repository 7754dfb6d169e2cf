"""Contact sheet of a synthetic dataset: image | parsing | skeleton, grouped by identity."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

import cv2
import numpy as np

from spt_core import labels as lb
from spt_core import skeleton as sk
from spt_core.io_utils import read_image_rgb, write_image_rgb

_GAP = 4  # pixels between cells (scaled sheet)


def _cell(root: Path, name: str, pose: np.ndarray, scale: int) -> np.ndarray:
    image = read_image_rgb(root / "images" / name)
    parsing = lb.read_parsing(root / "parsing" / name, expected_size=image.shape[:2])
    panels = [image, lb.colorize(parsing)]
    if scale > 1:
        panels = [
            cv2.resize(p, None, fx=scale, fy=scale, interpolation=cv2.INTER_NEAREST) for p in panels
        ]
    big = panels[0]
    panels.append(sk.draw_skeleton(big, sk.scale_pose(pose, scale) + (scale - 1) / 2, 1, 2))
    return np.concatenate(panels, axis=1)


def write_preview(
    dataset_dir: str | Path,
    png_path: str | Path,
    n: int = 24,
    seed: int = 0,
    scale: int | None = None,
) -> Path:
    """Write a contact sheet of ``n`` images of a synthetic dataset.

    Each row holds the images of one identity (so a viewer sees the same person in several
    poses); each image shows as image | colourised parsing | image with the skeleton drawn.

    Args:
        dataset_dir: a folder written by :func:`generate_dataset`.
        png_path: the sheet to write (PNG).
        n: number of images shown (whole identities, at least one).
        seed: which identities are picked.
        scale: nearest-neighbour magnification; default 3 for images up to 128 pixels high,
            else 1.

    Returns:
        The path written.
    """
    root = Path(dataset_dir)
    poses = sk.read_pose_csv(root / "annotations.csv")
    record_path = root / "synth.json"
    views = {}
    if record_path.is_file():
        views = {
            k: v.get("view", "") for k, v in json.loads(record_path.read_text())["images"].items()
        }
    by_identity: dict[str, list[str]] = defaultdict(list)
    for name in poses:
        by_identity[name.split("_", 1)[0]].append(name)
    identities = sorted(by_identity)
    order = np.random.default_rng(seed).permutation(len(identities))
    chosen, shown = [], 0
    for index in order:
        if shown >= max(n, 1):
            break
        chosen.append(identities[index])
        shown += len(by_identity[identities[index]])
    first = read_image_rgb(root / "images" / by_identity[chosen[0]][0])
    scale = scale or (3 if first.shape[0] <= 128 else 1)
    rows = []
    for identity in sorted(chosen):
        cells = []
        for name in sorted(by_identity[identity]):
            cell = _cell(root, name, poses[name], scale)
            label = f"{Path(name).stem} {views.get(name, '')}"
            cv2.putText(
                cell, label, (3, 12), cv2.FONT_HERSHEY_PLAIN, 0.8, (255, 255, 255), 1, cv2.LINE_AA
            )
            cells.append(np.pad(cell, ((0, 0), (0, _GAP), (0, 0)), constant_values=255))
        rows.append(np.concatenate(cells, axis=1))
    width = max(r.shape[1] for r in rows)
    rows = [
        np.pad(r, ((0, _GAP), (0, width - r.shape[1]), (0, 0)), constant_values=255) for r in rows
    ]
    sheet = np.concatenate(rows, axis=0)
    write_image_rgb(png_path, np.ascontiguousarray(sheet))
    return Path(png_path)
