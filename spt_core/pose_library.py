"""The pose library (issue #19): representative real poses to apply as target poses.

Built from the real annotations in ``../shared/data/poses`` (Market-1501 in a 128x64 frame,
DeepFashion in a 256x256 one): the usable full-body poses (every body joint, upright; the pose
pool's filter), each **normalised** so that the neck sits at :data:`NECK` and the torso (neck
to the hips' centre) is :data:`TORSO` pixels long in the 128x64 model frame, then clustered by
k-means on the body joints. A cluster's representative is its *real* member nearest the
centre (never an average, which would be a pose nobody stood in); "more like this" lists the
members nearest it. The library ships as ``spt_core/resources/poses/library.json`` (rebuilt by
``spt poses build``).

A user library (:class:`UserPoses`) holds the user's own poses in a JSON file of the platform's
user data folder, written atomically.
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from spt_core import skeleton as sk
from spt_core.errors import DataError

#: Where the neck of a normalised pose sits, (x, y) in the 128x64 frame, and the torso length:
#: the Market-1501 median (a person filling the frame from head to feet).
NECK = (32.0, 26.0)
TORSO = 33.0
FRAME = (128, 64)
FORMAT = 1
#: Members listed per cluster for "more like this".
SIMILAR = 12


def library_path() -> Path:
    """The shipped library file."""
    from spt_core.shipped import RESOURCES_DIR

    return RESOURCES_DIR / "poses" / "library.json"


def normalise(pose: np.ndarray) -> np.ndarray:
    """``pose`` moved and scaled so its neck is at :data:`NECK` and its torso :data:`TORSO`
    pixels long (NaN joints stay NaN)."""
    from spt_core.data.synth.posing import torso_length

    pose = np.asarray(pose, np.float64)
    scale = TORSO / max(torso_length(pose), 1e-6)
    return ((pose - pose[sk.NECK]) * scale + np.array(NECK)).astype(np.float32)


def kmeans(points: np.ndarray, k: int, seed: int = 0, iterations: int = 50) -> np.ndarray:
    """Cluster labels of (N, D) points (k-means++ seeding, Lloyd iterations; numpy)."""
    rng = np.random.default_rng(seed)
    centres = [points[rng.integers(len(points))]]
    for _ in range(1, k):
        distance = np.min([((points - c) ** 2).sum(1) for c in centres], axis=0)
        centres.append(points[rng.choice(len(points), p=distance / distance.sum())])
    centres = np.stack(centres)
    labels = np.zeros(len(points), np.int64)
    for _ in range(iterations):
        distance = ((points[:, None] - centres[None]) ** 2).sum(-1)
        new = distance.argmin(1)
        if _ > 0 and np.array_equal(new, labels):
            break
        labels = new
        for c in range(k):
            if (labels == c).any():
                centres[c] = points[labels == c].mean(0)
    return labels


@dataclass
class PoseLibrary:
    """Representative poses (normalised, 128x64 frame) and, for each, similar real poses.

    Attributes:
        names: the annotation row of each representative (image name).
        poses: (K, 18, 2) float32 representatives.
        sizes: how many of the usable poses each cluster holds.
        similar: per representative, (M, 18, 2) members nearest it (itself first).
    """

    names: list[str]
    poses: np.ndarray
    sizes: list[int]
    similar: list[np.ndarray]

    def __len__(self) -> int:
        return len(self.names)

    def to_json(self) -> dict:
        def rows(poses):
            return [[None if np.isnan(x) else round(float(x), 2) for x in p.ravel()] for p in poses]

        return {
            "format": FORMAT,
            "kind": "spt-pose-library",
            "frame": list(FRAME),
            "names": self.names,
            "sizes": self.sizes,
            "poses": rows(self.poses),
            "similar": [rows(s) for s in self.similar],
        }

    @classmethod
    def from_json(cls, data: dict, source: str | Path) -> PoseLibrary:
        """Raises DataError naming ``source`` for anything that is not a library."""

        def poses(rows) -> np.ndarray:
            array = np.array([[np.nan if v is None else v for v in r] for r in rows], np.float32)
            return array.reshape(-1, sk.NUM_JOINTS, 2)

        try:
            if data.get("kind") != "spt-pose-library" or data.get("format") != FORMAT:
                raise ValueError("not a pose library of this version")
            library = cls(
                list(map(str, data["names"])),
                poses(data["poses"]),
                [int(v) for v in data["sizes"]],
                [poses(s) for s in data["similar"]],
            )
            if not len(library.names) == len(library.poses) == len(library.similar):
                raise ValueError("names, poses and similar poses differ in number")
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise DataError(source, f"unreadable pose library ({exc})") from None
        return library


def build_library(csv_paths: list[str | Path], clusters: int = 50, seed: int = 0) -> PoseLibrary:
    """Cluster the usable full-body poses of the PG2 CSVs (see the module docstring)."""
    from spt_core.data.synth.posing import BODY_JOINTS, load_pose_pool

    names, poses = [], []
    for path in csv_paths:
        pool = load_pose_pool(path)
        names += list(pool.names)
        poses += [normalise(p) for p in pool.poses]
    if len(poses) < clusters:
        raise DataError(csv_paths[0], f"{len(poses)} usable poses, fewer than {clusters}")
    stacked = np.stack(poses)
    points = stacked[:, list(BODY_JOINTS)].reshape(len(stacked), -1).astype(np.float64)
    labels = kmeans(points, clusters, seed)
    order = sorted(range(clusters), key=lambda c: -int((labels == c).sum()))
    library = PoseLibrary([], np.zeros((0, sk.NUM_JOINTS, 2), np.float32), [], [])
    chosen = []
    for c in order:
        members = np.flatnonzero(labels == c)
        if not len(members):
            continue
        centre = points[members].mean(0)
        nearest = members[np.argsort(((points[members] - centre) ** 2).sum(1))]
        representative = nearest[0]
        near_rep = members[np.argsort(((points[members] - points[representative]) ** 2).sum(1))]
        library.names.append(names[representative])
        library.sizes.append(len(members))
        library.similar.append(stacked[near_rep[:SIMILAR]])
        chosen.append(stacked[representative])
    library.poses = np.stack(chosen)
    return library


def save_library(library: PoseLibrary, path: str | Path) -> None:
    """Write a library JSON atomically."""
    from spt_core.io_utils import atomic_path

    with atomic_path(path) as tmp:
        Path(tmp).write_text(json.dumps(library.to_json(), separators=(",", ":")))


def load_library(path: str | Path | None = None) -> PoseLibrary:
    """The shipped library (or the one at ``path``).

    Raises:
        DataError: a missing or unreadable file.
    """
    path = Path(path) if path is not None else library_path()
    try:
        data = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DataError(path, f"cannot read the pose library ({exc})") from None
    return PoseLibrary.from_json(data, path)


def fit_to_frame(pose: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """A library pose (128x64 frame) placed in an image of ``size`` as the pipeline would
    letterbox it (the inverse of the model's letterbox)."""
    from spt_core.letterbox import Letterbox

    return Letterbox.fit(tuple(size), FRAME).poses_back(np.asarray(pose, np.float32))


def user_data_dir() -> Path:
    """The platform's folder for this user's application data (``$SPT_USER_DATA`` if set)."""
    override = os.environ.get("SPT_USER_DATA")
    if override:
        return Path(override)
    if sys.platform == "win32":
        return Path(os.environ.get("APPDATA", Path.home() / "AppData" / "Roaming")) / "SPT Studio"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Application Support" / "SPT Studio"
    return Path(os.environ.get("XDG_DATA_HOME", Path.home() / ".local" / "share")) / "spt-studio"


class UserPoses:
    """The user's own poses (name -> (18, 2) pose in the 128x64 frame), in one JSON file."""

    def __init__(self, path: str | Path | None = None):
        self.path = Path(path) if path is not None else user_data_dir() / "poses.json"
        self.poses: dict[str, np.ndarray] = {}
        if self.path.is_file():
            try:
                data = json.loads(self.path.read_text())
                for name, rows in data["poses"].items():
                    values = [np.nan if v is None else v for v in rows]
                    self.poses[str(name)] = sk.as_pose(np.array(values, np.float32).reshape(-1, 2))
            except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
                raise DataError(self.path, f"unreadable user pose library ({exc})") from None

    def add(self, name: str, pose: np.ndarray) -> None:
        """Keep ``pose`` (already in the 128x64 frame) under ``name`` and save."""
        self.poses[name] = sk.as_pose(pose)
        self._save()

    def remove(self, name: str) -> None:
        self.poses.pop(name, None)
        self._save()

    def _save(self) -> None:
        from spt_core.io_utils import atomic_path

        self.path.parent.mkdir(parents=True, exist_ok=True)
        rows = {
            name: [None if np.isnan(v) else round(float(v), 2) for v in pose.ravel()]
            for name, pose in self.poses.items()
        }
        with atomic_path(self.path) as tmp:
            Path(tmp).write_text(json.dumps({"format": FORMAT, "poses": rows}, indent=1))
