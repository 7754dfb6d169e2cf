"""Where a dataset folder keeps its files, and the naming rules of Market-1501 and DeepFashion.

Two layouts are read (see docs/prepare.md, "Dataset layouts"):

* **PG2** (what ``spt synth`` and ``spt prepare`` write)::

      DIR/images/<name>   DIR/annotations.csv   DIR/pairs.csv   DIR/parsing/<stem>.png|.npy

* **Def-GAN** (the files released with Deformable GANs and reused by SPT)::

      DIR/market-annotation-train.csv   DIR/market-pairs-train.csv
      DIR/train/<name>  or  DIR/market-dataset/train/<name>
      DIR/parsing/<stem>.npy  or  DIR/train_parsing/<stem>.npy

  with ``fasion`` in place of ``market`` for DeepFashion, and ``test`` for the test split.

Parsing maps hold the 10 SPT labels, unless their folder name ends in ``_lip``
(``parsing_lip/``, ``train_parsing_lip/``): those hold LIP's 20 labels and are merged through
``spt_core/tables/lip_to_spt.json`` when read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from spt_core import labels as lb
from spt_core.errors import DataError
from spt_core.io_utils import check_image_pixels

PG2_IMAGES, PG2_ANNOTATIONS, PG2_PAIRS = "images", "annotations.csv", "pairs.csv"
DEFGAN_PREFIXES: tuple[str, ...] = ("market", "fasion")
_DEFGAN_ANNOTATION = re.compile(r"^(market|fasion)-annotation-([\w-]+)\.csv$")

#: Market-1501 file names: <person>_c<camera>s<sequence>_<frame>_<box>.jpg; person -1 marks
#: distractors and 0000 junk boxes, which Def-GAN removes (method §6.1). Several extensions
#: are allowed: copies named ``0000_c1s6_023071_04.jpg.jpg`` exist and are junk all the same.
MARKET_NAME = re.compile(r"^(-1|\d{4})_c\d+s\d+_\d+_\d+(\.\w+)+$")
MARKET_JUNK_IDS: tuple[str, ...] = ("-1", "0000")
#: DeepFashion names after Def-GAN's renaming: fasion<gender><category>id<id><item>_<k><view>.
FASHION_NAME = re.compile(r"^fasion(MEN|WOMEN)\w*id\d+_\d+\w*\.\w+$")


@dataclass(frozen=True)
class Layout:
    """The resolved paths of one dataset split.

    Attributes:
        kind: "pg2" or "defgan".
        images: folder of the images.
        annotations: the PG2 annotation CSV.
        pairs: the pairs CSV, or None when the dataset has none.
        parsing: folder of parsing maps, or None.
        parsing_labels: "spt" (10 labels) or "lip" (LIP's 20, merged on reading).
        split: "train", "test"... (None for the PG2 layout).
    """

    kind: str
    images: Path
    annotations: Path
    pairs: Path | None
    parsing: Path | None
    parsing_labels: str
    split: str | None = None

    def describe(self) -> str:
        """One line for reports."""
        split = f", split {self.split}" if self.split else ""
        return f"{self.kind}{split}: images in {self.images.name}/, {self.annotations.name}"


def _parsing_folder(root: Path, names: list[str]) -> tuple[Path | None, str]:
    for name in names:
        for folder, labels in ((root / f"{name}_lip", "lip"), (root / name, "spt")):
            if folder.is_dir():
                return folder, labels
    return None, "spt"


def find_layout(root: str | Path, split: str | None = None) -> Layout:
    """Resolve the files of the dataset in ``root`` (PG2 first, then Def-GAN).

    Args:
        root: dataset folder.
        split: for the Def-GAN layout, which split to read ("train", "test"); None picks
            "train" when present, else the only split there.

    Raises:
        DataError: no annotation CSV of either layout, or an ambiguous / missing split.
    """
    root = Path(root)
    if (root / PG2_ANNOTATIONS).is_file():
        parsing, labels = _parsing_folder(root, ["parsing"])
        pairs = root / PG2_PAIRS
        return Layout(
            "pg2",
            root / PG2_IMAGES,
            root / PG2_ANNOTATIONS,
            pairs if pairs.is_file() else None,
            parsing,
            labels,
        )
    found: dict[str, tuple[str, Path]] = {}
    for path in sorted(root.glob("*-annotation-*.csv")):
        match = _DEFGAN_ANNOTATION.match(path.name)
        if match:
            found.setdefault(match.group(2), (match.group(1), path))
    if not found:
        raise DataError(
            root,
            f"{PG2_ANNOTATIONS} not found (PG2 layout), nor a market-/fasion-annotation-"
            "<split>.csv (Def-GAN layout)",
        )
    if split is None:
        split = "train" if "train" in found or len(found) != 1 else next(iter(found))
        if split not in found:
            raise DataError(root, f"several splits ({', '.join(sorted(found))}); choose one")
    if split not in found:
        raise DataError(root, f"no annotation CSV for split {split!r} (found {sorted(found)})")
    prefix, annotations = found[split]
    candidates = [root / split, root / f"{prefix}-dataset" / split]
    images = next((c for c in candidates if c.is_dir()), candidates[0])
    parsing, labels = _parsing_folder(root, [f"{split}_parsing", "parsing"])
    pairs = root / f"{prefix}-pairs-{split}.csv"
    return Layout(
        "defgan", images, annotations, pairs if pairs.is_file() else None, parsing, labels, split
    )


# --------------------------------------------------------------------------------------------
# Naming rules


def dataset_family(names: list[str]) -> str:
    """ "market", "deepfashion" or "generic", by what most image names look like."""
    if not names:
        return "generic"
    market = sum(bool(MARKET_NAME.match(n)) for n in names)
    fashion = sum(bool(FASHION_NAME.match(n)) for n in names)
    if market > len(names) / 2:
        return "market"
    if fashion > len(names) / 2:
        return "deepfashion"
    return "generic"


def is_market_junk(name: str) -> bool:
    """A Market-1501 distractor (-1_...) or junk box (0000_...), which Def-GAN leaves out.

    Only names in the Market pattern count: a synthetic "00000_01.png" is a person.
    """
    match = MARKET_NAME.match(Path(name).name)
    return bool(match) and match.group(1) in MARKET_JUNK_IDS


# --------------------------------------------------------------------------------------------
# Parsing maps


def read_lip_parsing(path: str | Path, expected_size: tuple[int, int] | None = None) -> np.ndarray:
    """Read a LIP 20-label map (.npy, or grey / indexed PNG) and merge it to the 10 labels.

    Raises:
        DataError: unreadable file, values outside 0..19, not 2-D, or the wrong size.
    """
    from PIL import Image

    path = Path(path)
    if not path.is_file():
        raise DataError(path, "parsing file not found")
    if path.suffix.lower() == ".npy":
        lip = lb.read_label_array(path)
    else:
        check_image_pixels(path, path)  # from the header, before decoding
        try:
            with Image.open(path) as image:
                if image.mode not in ("P", "L", "I", "I;16"):
                    problem = f"a LIP map must be a grey or indexed PNG, not mode {image.mode}"
                    raise DataError(path, problem)
                lip = np.asarray(image)
        except DataError:
            raise
        except Exception as exc:  # PIL raises many types for broken files
            raise DataError(path, f"not a readable image ({exc})") from None
    if lip.ndim != 2:
        raise DataError(path, f"a parsing map must be 2-D, got shape {lip.shape}")
    if expected_size is not None and lip.shape != tuple(expected_size):
        raise DataError(
            path,
            f"parsing is {lip.shape[0]}x{lip.shape[1]} but {expected_size[0]}x"
            f"{expected_size[1]} was expected",
        )
    return lb.merge_lip(lip, path)
