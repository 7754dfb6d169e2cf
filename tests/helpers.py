"""Small data builders shared by tests (on sys.path through pytest's ``pythonpath``)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from spt_core import labels as lb
from spt_core import skeleton as sk
from spt_core.io_utils import write_image_rgb

SIZE = (32, 16)


def tiny_pose(shift: float) -> np.ndarray:
    """A torso-only pose shifted right by ``shift`` pixels."""
    pose = sk.missing_pose()
    pose[sk.NECK] = (8 + shift, 6)
    pose[[sk.R_SHOULDER, sk.L_SHOULDER, sk.R_HIP, sk.L_HIP]] = [
        [5 + shift, 7],
        [11 + shift, 7],
        [6 + shift, 17],
        [10 + shift, 17],
    ]
    return pose


def make_tiny_dataset(root: Path, with_torso_less: bool = True) -> dict[str, np.ndarray]:
    """Three usable 32x16 samples of two people, one torso-less row, one missing image."""
    rng = np.random.default_rng(0)
    poses = {}
    for i, name in enumerate(["0001_00.png", "0001_01.png", "0002_00.png"]):
        write_image_rgb(root / "images" / name, rng.integers(0, 255, SIZE + (3,), dtype=np.uint8))
        parsing = np.zeros(SIZE, np.uint8)
        parsing[5:20, 4:12] = 3
        lb.write_parsing(root / "parsing" / name, parsing)
        poses[name] = tiny_pose(i)
    if with_torso_less:
        headless = tiny_pose(0)
        headless[sk.L_HIP] = np.nan
        write_image_rgb(root / "images" / "0003_00.png", np.zeros(SIZE + (3,), np.uint8))
        poses["0003_00.png"] = headless
    poses["0004_00.png"] = tiny_pose(1)  # annotated, but its image file is missing
    sk.write_pose_csv(root / "annotations.csv", poses)
    (root / "pairs.csv").write_text(
        "from,to\n0001_00.png,0001_01.png\n0001_01.png,0001_00.png\n0003_00.png,0002_00.png\n"
    )
    return poses
