"""The 10 semantic labels: names, colours, the LIP-20 merge table, one-hot helpers, file I/O.

A parsing map (label map) is an integer array (H, W) with values 0..9; batches are (N, H, W).
Left and right follow the person's own side, as in LIP and OpenPose.
"""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources
from pathlib import Path

import numpy as np

from spt_core.errors import DataError, InputError
from spt_core.io_utils import atomic_path, check_image_pixels

NUM_LABELS = 10

LABEL_NAMES: tuple[str, ...] = (
    "background", "face", "hair", "upper_clothes", "pants",
    "skirt", "left_arm", "right_arm", "left_leg", "right_leg",
)  # fmt: skip
LABEL_INDEX: dict[str, int] = {name: i for i, name in enumerate(LABEL_NAMES)}

BACKGROUND, FACE, HAIR, UPPER_CLOTHES, PANTS, SKIRT = 0, 1, 2, 3, 4, 5
LEFT_ARM, RIGHT_ARM, LEFT_LEG, RIGHT_LEG = 6, 7, 8, 9

#: Labels that are garments (the clothing-transfer choices).
GARMENT_LABELS: tuple[int, ...] = (UPPER_CLOTHES, PANTS, SKIRT)
#: Labels used by the semantic-aware style loss (method §1.1: not background, not face).
STYLE_LABELS: tuple[int, ...] = (2, 3, 4, 5, 6, 7, 8, 9)

#: Display colours (RGB); distinct, and close to the LIP colour conventions.
PALETTE: np.ndarray = np.array(
    [
        (0, 0, 0),        # background
        (255, 200, 150),  # face
        (128, 0, 0),      # hair
        (255, 85, 0),     # upper clothes
        (0, 85, 85),      # pants
        (0, 128, 0),      # skirt
        (170, 85, 255),   # left arm (violet: the LIP blue was hard to tell from the right)
        (0, 255, 255),    # right arm
        (85, 255, 170),   # left leg
        (170, 255, 85),   # right leg
    ],
    dtype=np.uint8,
)  # fmt: skip


# --------------------------------------------------------------------------------------------
# Validation and one-hot


def check_labels(labels: np.ndarray, source: str | Path | None = None) -> np.ndarray:
    """Return ``labels`` as uint8 after checking it is an integer map with values in 0..9.

    Raises:
        DataError: non-integer dtype or values outside 0..9 (the message lists them).
    """
    labels = np.asarray(labels)
    if labels.dtype == bool or not np.issubdtype(labels.dtype, np.integer):
        raise DataError(source, f"a label map must hold integers, found dtype {labels.dtype}")
    if labels.size:
        low, high = int(labels.min()), int(labels.max())
        if low < 0 or high >= NUM_LABELS:
            bad = np.unique(labels[(labels < 0) | (labels >= NUM_LABELS)])
            shown = ", ".join(str(v) for v in bad[:8]) + (", ..." if bad.size > 8 else "")
            raise DataError(source, f"label values must be 0..{NUM_LABELS - 1}; found {shown}")
    return labels.astype(np.uint8, copy=False)


def one_hot(labels: np.ndarray, num_labels: int = NUM_LABELS) -> np.ndarray:
    """(..., H, W) integer map -> (..., C, H, W) float32 one-hot.

    Raises:
        ValueError: a label outside 0..num_labels-1 (a negative one would otherwise wrap round).
    """
    labels = np.asarray(labels)
    if labels.size and (labels.min() < 0 or labels.max() >= num_labels):
        raise ValueError(
            f"labels must lie in 0..{num_labels - 1}, found {labels.min()}..{labels.max()}"
        )
    eye = np.eye(num_labels, dtype=np.float32)
    return np.moveaxis(eye[labels], -1, -3)


def one_hot_torch(labels, num_labels: int = NUM_LABELS):
    """(N, H, W) long tensor -> (N, C, H, W) float tensor on the same device."""
    import torch

    labels = torch.as_tensor(labels).long()
    return torch.nn.functional.one_hot(labels, num_labels).movedim(-1, -3).float()


def argmax_labels(scores) -> np.ndarray:
    """(..., C, H, W) scores or probabilities (numpy or torch) -> (..., H, W) uint8 labels."""
    if hasattr(scores, "detach"):
        return scores.detach().argmax(dim=-3).cpu().numpy().astype(np.uint8)
    return np.asarray(scores).argmax(axis=-3).astype(np.uint8)


def colorize(labels: np.ndarray) -> np.ndarray:
    """(H, W) labels -> (H, W, 3) uint8 RGB with :data:`PALETTE`."""
    return PALETTE[check_labels(labels)]


# --------------------------------------------------------------------------------------------
# LIP-20 merge


@lru_cache(maxsize=1)
def lip_merge_table() -> dict:
    """The LIP -> SPT table, read from ``spt_core/tables/lip_to_spt.json`` (data, not code)."""
    text = resources.files("spt_core").joinpath("tables/lip_to_spt.json").read_text("utf-8")
    return json.loads(text)


def merge_lip(lip: np.ndarray, source: str | Path | None = None) -> np.ndarray:
    """Merge a LIP 20-label map into the 10 SPT labels.

    Labels without a side (glove, socks) take the nearest of their candidate labels (by exact
    Euclidean distance to that label's pixels; a tie goes to the first candidate); with no
    candidate region present they take the first candidate.
    """
    import cv2

    lip = np.asarray(lip)
    table = lip_merge_table()
    names = table["lip_labels"]
    in_range = not lip.size or (lip.min() >= 0 and lip.max() < len(names))
    if lip.dtype == bool or not np.issubdtype(lip.dtype, np.integer) or not in_range:
        raise DataError(source, f"a LIP map must hold integers 0..{len(names) - 1}")
    out = np.zeros(lip.shape, dtype=np.uint8)
    sided: list[tuple[int, list[int]]] = []
    for lip_id, name in enumerate(names):
        target = table["to_spt"][name]
        if isinstance(target, list):
            sided.append((lip_id, target))
        else:
            out[lip == lip_id] = target
    for lip_id, candidates in sided:
        where = lip == lip_id
        if not where.any():
            continue
        distances = []
        for label in candidates:
            region = out == label
            if region.any():
                # distanceTransform measures the distance to the nearest zero pixel. The 3x3
                # chamfer mask (cv2.DIST_L2, 3) is only an approximation that can pick the
                # farther side; DIST_MASK_PRECISE is the exact Euclidean distance.
                distances.append(
                    cv2.distanceTransform(
                        (~region).astype(np.uint8), cv2.DIST_L2, cv2.DIST_MASK_PRECISE
                    )
                )
            else:
                distances.append(np.full(lip.shape, np.inf, dtype=np.float32))
        nearest = np.argmin(np.stack(distances), axis=0)
        out[where] = np.asarray(candidates, dtype=np.uint8)[nearest[where]]
    return out


# --------------------------------------------------------------------------------------------
# Files


def read_label_array(path: Path) -> np.ndarray:
    """A label map stored as ``.npy`` (H, W) or (H, W, 1), values unchecked.

    Raises:
        DataError: not a readable .npy array (the message names the file).
    """
    try:
        labels = np.load(path, allow_pickle=False)
    except (ValueError, OSError, EOFError) as exc:
        raise DataError(path, f"not a readable .npy array ({exc})") from None
    if not isinstance(labels, np.ndarray):  # an .npz archive named .npy
        labels.close()
        raise DataError(path, "an .npz archive, not a .npy array")
    return labels[..., 0] if labels.ndim == 3 and labels.shape[-1] == 1 else labels


def read_parsing(path: str | Path, expected_size: tuple[int, int] | None = None) -> np.ndarray:
    """Read a parsing map from a PNG (indexed, grey, or RGB in :data:`PALETTE` colours) or .npy.

    Returns:
        (H, W) uint8 labels 0..9.

    Raises:
        DataError: missing or unreadable file, unknown labels or colours, wrong size.
    """
    from PIL import Image

    path = Path(path)
    if not path.is_file():
        raise DataError(path, "parsing file not found")
    if path.suffix.lower() == ".npy":
        labels = read_label_array(path)
    else:
        check_image_pixels(path, path)  # from the header, before decoding
        try:
            with Image.open(path) as image:
                image.load()
                mode = image.mode
                if mode in ("P", "L", "I", "I;16"):
                    labels = np.asarray(image)
                elif mode in ("RGB", "RGBA"):
                    labels = _labels_from_colours(np.asarray(image.convert("RGB")), path)
                else:
                    raise DataError(path, f"unsupported PNG mode {mode!r} for a parsing map")
        except DataError:
            raise
        except Exception as exc:  # PIL raises many types for broken files
            raise DataError(path, f"not a readable image ({exc})") from None
    if labels.ndim != 2:
        raise DataError(path, f"a parsing map must be 2-D, got shape {labels.shape}")
    labels = check_labels(labels, path)
    if expected_size is not None and labels.shape != tuple(expected_size):
        raise DataError(
            path,
            f"parsing is {labels.shape[0]}x{labels.shape[1]} but {expected_size[0]}x"
            f"{expected_size[1]} was expected",
        )
    return labels


def _colour_codes(rgb: np.ndarray) -> np.ndarray:
    """(..., 3) uint8 colours -> (...) int32 0xRRGGBB codes."""
    rgb = rgb.astype(np.int32)
    return (rgb[..., 0] << 16) | (rgb[..., 1] << 8) | rgb[..., 2]


#: Colours an earlier palette gave a label, still read from RGB parsing files (label -> RGB).
#: Indexed PNGs store the label itself and never depended on the colours.
FORMER_COLOURS: dict[int, tuple[int, int, int]] = {LEFT_ARM: (51, 170, 221)}


def _labels_from_colours(rgb: np.ndarray, path: Path) -> np.ndarray:
    codes = _colour_codes(rgb)
    palette_codes = _colour_codes(PALETTE)
    lookup = {int(code): i for i, code in enumerate(palette_codes)}
    for label, colour in FORMER_COLOURS.items():
        lookup.setdefault(int(_colour_codes(np.array(colour, np.uint8))), label)
    unique = np.unique(codes)
    unknown = [int(c) for c in unique if int(c) not in lookup]
    if unknown:
        shown = ", ".join(f"#{c:06x}" for c in unknown[:5])
        raise DataError(path, f"RGB parsing holds colours outside the label palette: {shown}")
    labels = np.zeros(codes.shape, dtype=np.uint8)
    for code in unique:
        labels[codes == code] = lookup[int(code)]
    return labels


def write_parsing(path: str | Path, labels: np.ndarray) -> None:
    """Write a parsing map atomically: an indexed PNG with :data:`PALETTE`, or a .npy (uint8)."""
    from PIL import Image

    path = Path(path)
    labels = check_labels(labels, path)
    if path.suffix.lower() == ".npy":
        with atomic_path(path) as tmp:
            np.save(tmp, labels)
        return
    height, width = labels.shape
    image = Image.frombytes("P", (width, height), np.ascontiguousarray(labels).tobytes())
    flat = PALETTE.reshape(-1).tolist()
    image.putpalette(flat + [0] * (768 - len(flat)))
    with atomic_path(path, suffix=".png") as tmp:
        image.save(tmp, format="PNG", optimize=True)


def chosen_labels(labels) -> np.ndarray:
    """``transfer``'s labels as an int array, refused unless each is one of the 10 labels
    (a wrong number would transfer nothing and return ``onto`` unchanged, silently)."""
    chosen = list(labels)
    bad = [v for v in chosen if isinstance(v, bool) or not isinstance(v, int | np.integer)]
    bad += [v for v in chosen if v not in bad and not 0 <= v < NUM_LABELS]
    if bad or not chosen:
        shown = ", ".join(map(repr, bad)) if bad else "none given"
        raise InputError(
            f"labels: {shown}; choose from 0..{NUM_LABELS - 1} "
            f"({', '.join(f'{i} {n}' for i, n in enumerate(LABEL_NAMES))})"
        )
    return np.asarray(chosen, np.int64)
