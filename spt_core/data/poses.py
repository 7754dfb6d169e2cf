"""Where the real pose annotations live (../shared/data/poses beside the project by default)."""

from __future__ import annotations

import os
from pathlib import Path

from spt_core.errors import DataError

POSE_FILES = {"market": "market-annotation-train.csv", "fasion": "fasion-annotation-new-split.csv"}
REPO_ROOT = Path(__file__).resolve().parents[2]


def pose_dirs() -> list[Path]:
    """Folders searched for the real pose CSVs, in order: $SPT_POSES_DIR, then shared/ beside
    the repository, then shared/ beside or under the working directory."""
    dirs = []
    if os.environ.get("SPT_POSES_DIR"):
        dirs.append(Path(os.environ["SPT_POSES_DIR"]))
    dirs += [
        REPO_ROOT.parent / "shared" / "data" / "poses",
        Path.cwd().parent / "shared" / "data" / "poses",
        Path.cwd() / "shared" / "data" / "poses",
    ]
    return dirs


def find_pose_csv(kind: str) -> Path:
    """Path of the shared real-pose CSV of ``kind`` ("market" or "fasion").

    Raises:
        DataError: the file is in none of :func:`pose_dirs` (the message lists them).
    """
    if kind not in POSE_FILES:
        raise ValueError(f"unknown pose set {kind!r}; expected one of {sorted(POSE_FILES)}")
    for folder in pose_dirs():
        path = folder / POSE_FILES[kind]
        if path.is_file():
            return path
    looked = ", ".join(str(d) for d in pose_dirs())
    raise DataError(
        POSE_FILES[kind],
        f"real pose file not found (looked in {looked}); pass --poses FILE or set SPT_POSES_DIR",
    )
