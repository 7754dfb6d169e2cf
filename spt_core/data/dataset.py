"""Reader for person datasets in the PG2 layout (what ``spt synth`` and ``spt prepare`` write)
and in the Def-GAN layout of Market-1501 and DeepFashion (:mod:`spt_core.data.layouts`).

PG2 layout of a dataset folder::

    DIR/images/<name>            RGB images, all of one size
    DIR/parsing/<stem>.png|.npy  10-label parsing maps (optional per image); parsing_lip/ for
                                 LIP 20-label maps, merged to the 10 labels when read
    DIR/annotations.csv          PG2 annotation CSV: name:keypoints_y:keypoints_x
    DIR/pairs.csv                from,to  (optional: same-person pairs for evaluation)
    DIR/synth.json               (optional) how a synthetic set was generated; gives the size

The identity of an image is its name up to the first ``_`` (Market-1501, DeepFashion after
Def-GAN's renaming, the synthetic set, prepared photos). Rows whose pose lacks a torso joint,
Market-1501 distractors and junk boxes, and rows whose image is missing are filtered, counted and
reported, never a crash.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from spt_core import labels as lb
from spt_core import skeleton as sk
from spt_core.data import layouts
from spt_core.errors import DataError
from spt_core.io_utils import read_image_rgb

ANNOTATION_FILE = "annotations.csv"
PAIRS_FILE = "pairs.csv"
IMAGE_DIR = "images"
PARSING_DIR = "parsing"
SYNTH_RECORD = "synth.json"


def identity_of(name: str) -> str:
    """Person identity from an image name: the prefix before the first underscore."""
    return Path(name).name.split("_", 1)[0]


@dataclass
class PersonSample:
    """One loaded image with its pose and parsing (None when the dataset has none for it)."""

    name: str
    image: np.ndarray
    pose: np.ndarray
    parsing: np.ndarray | None


@dataclass
class DatasetReport:
    """What loading found: counts and the rows left out, with reasons."""

    root: Path
    size: tuple[int, int] | None
    annotated: int = 0
    usable: int = 0
    without_torso: list[str] = field(default_factory=list)
    missing_images: list[str] = field(default_factory=list)
    missing_parsing: list[str] = field(default_factory=list)
    junk: list[str] = field(default_factory=list)
    identities: int = 0
    pairs: int = 0
    pairs_dropped: int = 0
    layout: str = ""
    family: str = "generic"
    parsing: str = "none"
    unannotated_images: int = 0

    def lines(self) -> list[str]:
        """Human-readable summary lines (what ``spt data check`` prints)."""
        size = "unknown" if self.size is None else f"{self.size[0]}x{self.size[1]}"
        out = [
            f"dataset        {self.root}",
            f"layout         {self.layout} ({self.family} names)",
            f"image size     {size} (HxW)",
            f"parsing        {self.parsing}",
            f"annotated      {self.annotated}",
            f"usable         {self.usable} ({self.identities} identities)",
            f"no torso       {len(self.without_torso)} filtered (a torso joint missing)",
            f"junk           {len(self.junk)} filtered (Market-1501 distractor -1_ or junk 0000_)",
            f"missing image  {len(self.missing_images)} filtered (annotated, no image file)",
            f"no parsing     {len(self.missing_parsing)}",
            f"not annotated  {self.unannotated_images} image files without a CSV row (ignored)",
            f"pairs          {self.pairs} usable, {self.pairs_dropped} dropped "
            "(an end filtered or unknown)",
        ]
        for title, names in (
            ("no torso", self.without_torso),
            ("junk", self.junk),
            ("missing image", self.missing_images),
            ("no parsing", self.missing_parsing),
        ):
            if names:
                shown = ", ".join(names[:5]) + (" ..." if len(names) > 5 else "")
                out.append(f"  {title}: {shown}")
        return out


class PersonDataset:
    """Images, poses, parsing maps and pairs of a PG2-layout folder.

    Indexing returns a :class:`PersonSample`; images and parsings are read lazily and checked
    (size, labels) on access, with errors that name the file.

    Args:
        root: dataset folder (PG2 or Def-GAN layout, see :func:`layouts.find_layout`).
        require_torso: drop rows whose pose lacks any of the four torso joints.
        require_parsing: drop images without a parsing map (otherwise ``parsing`` is None).
        check_files: look for every image file now (a missing one is filtered and reported).
        split: the Def-GAN split to read ("train", "test"); None: "train" or the only one.
        drop_junk: drop Market-1501 distractors (-1_...) and junk boxes (0000_...).
    """

    def __init__(
        self,
        root: str | Path,
        require_torso: bool = True,
        require_parsing: bool = False,
        check_files: bool = True,
        split: str | None = None,
        drop_junk: bool = True,
    ):
        self.root = Path(root)
        if not self.root.is_dir():
            raise DataError(self.root, "dataset folder not found")
        self.layout = layouts.find_layout(self.root, split)
        self.record = self._read_record()
        size = self.record.get("size") if self.record else None
        self.size: tuple[int, int] | None = tuple(size) if size else None
        annotations = sk.read_pose_csv(self.layout.annotations)
        parsing = "none"
        if self.layout.parsing is not None:
            labels = "LIP 20 labels, merged" if self.layout.parsing_labels == "lip" else "10 labels"
            parsing = f"{self.layout.parsing.name}/ ({labels})"
        self.report = DatasetReport(
            root=self.root,
            size=self.size,
            annotated=len(annotations),
            layout=self.layout.describe(),
            family="synthetic" if self.record else layouts.dataset_family(list(annotations)),
            parsing=parsing,
        )
        if check_files and self.layout.images.is_dir():
            on_disk = {p.name for p in self.layout.images.iterdir() if p.is_file()}
            self.report.unannotated_images = len(on_disk - set(annotations))
        names, poses = [], []
        for name, pose in annotations.items():
            if drop_junk and layouts.is_market_junk(name):
                self.report.junk.append(name)
                continue
            if require_torso and not sk.has_torso(pose):
                self.report.without_torso.append(name)
                continue
            if check_files and not (self.layout.images / name).is_file():
                self.report.missing_images.append(name)
                continue
            if check_files and self._parsing_path(name) is None:
                self.report.missing_parsing.append(name)
                if require_parsing:
                    continue
            names.append(name)
            poses.append(pose)
        self.names: list[str] = names
        self.poses: np.ndarray = (
            np.stack(poses) if poses else np.zeros((0, sk.NUM_JOINTS, 2), np.float32)
        )
        self.index: dict[str, int] = {name: i for i, name in enumerate(names)}
        self.identities: list[str] = [identity_of(n) for n in names]
        self.report.usable = len(names)
        self.report.identities = len(set(self.identities))
        if self.size is None and names:
            self.size = tuple(read_image_rgb(self.layout.images / names[0]).shape[:2])
            self.report.size = self.size
        self.pairs: list[tuple[int, int]] = self._read_pairs()

    def _read_record(self) -> dict:
        path = self.root / SYNTH_RECORD
        if not path.is_file():
            return {}
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise DataError(path, f"not valid JSON ({exc.msg})", exc.lineno) from None

    def _parsing_path(self, name: str) -> Path | None:
        if self.layout.parsing is None:
            return None
        stem = Path(name).stem
        for suffix in (".png", ".npy"):
            path = self.layout.parsing / f"{stem}{suffix}"
            if path.is_file():
                return path
        return None

    def _read_pairs(self) -> list[tuple[int, int]]:
        path = self.layout.pairs
        if path is None:
            return []
        pairs = []
        with path.open(newline="", encoding="utf-8") as handle:
            rows = csv.reader(handle)
            header = next(rows, None)
            if header is None or [h.strip() for h in header] != ["from", "to"]:
                raise DataError(path, f"expected the header 'from,to', found {header!r}", 1)
            for number, row in enumerate(rows, start=2):
                if not row:
                    continue
                if len(row) != 2:
                    raise DataError(path, f"expected 2 fields, found {len(row)}", number)
                source, target = (self.index.get(v.strip()) for v in row)
                if source is None or target is None:
                    self.report.pairs_dropped += 1
                else:
                    pairs.append((source, target))
        self.report.pairs = len(pairs)
        return pairs

    def __len__(self) -> int:
        return len(self.names)

    def image_path(self, index: int) -> Path:
        return self.layout.images / self.names[index]

    def load_image(self, index: int) -> np.ndarray:
        """(H, W, 3) uint8 RGB image; the size must be the dataset's."""
        return read_image_rgb(self.image_path(index), expected_size=self.size)

    def load_parsing(self, index: int) -> np.ndarray | None:
        """(H, W) uint8 labels 0..9, or None when the image has no parsing map.

        LIP maps (a ``*_lip`` parsing folder) are merged to the 10 labels through the table.
        """
        path = self._parsing_path(self.names[index])
        if path is None:
            return None
        if self.layout.parsing_labels == "lip":
            return layouts.read_lip_parsing(path, expected_size=self.size)
        return lb.read_parsing(path, expected_size=self.size)

    def __getitem__(self, index: int) -> PersonSample:
        if not -len(self) <= index < len(self):
            raise IndexError(index)
        index %= len(self)
        return PersonSample(
            name=self.names[index],
            image=self.load_image(index),
            pose=self.poses[index].copy(),
            parsing=self.load_parsing(index),
        )

    def load_all_parsings(self) -> np.ndarray:
        """Every parsing map as one (N, H, W) uint8 array (all must exist)."""
        maps = []
        for i in range(len(self)):
            parsing = self.load_parsing(i)
            if parsing is None:
                where = self.layout.parsing or self.root / PARSING_DIR
                raise DataError(where, f"no parsing map for {self.names[i]}")
            maps.append(parsing)
        return np.stack(maps) if maps else np.zeros((0,) + tuple(self.size or (0, 0)), np.uint8)
