"""What a search found, for a person to judge: garment agreement figures and a picture grid."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from spt_core import labels as lb
from spt_core import part_composite
from spt_core import skeleton as sk
from spt_core.data.dataset import identity_of
from spt_core.io_utils import write_image_rgb
from spt_core.search.engine import SearchInputs
from spt_core.search.store import PseudoLabels

#: The garment classes that make two people "dressed alike" for the search's purpose.
GARMENT_KEYS = ("sleeves", "lower")


def garment_agreement(result: PseudoLabels, record: dict) -> dict | None:
    """Share of queries whose pseudo label shows a person with the same garment types.

    Args:
        result: a finished search.
        record: the ``synth.json`` of a synthetic dataset (identities -> outfit types).

    Returns:
        {"queries", "same_types", "same_sleeves", "same_lower"} fractions, or None when the
        record has no garment types (real data).
    """
    identities = record.get("identities") if record else None
    if not identities:
        return None
    counts = {"queries": 0, "same_types": 0, "same_sleeves": 0, "same_lower": 0}
    for i in range(result.done):
        best = int(result.best[i])
        if best < 0:
            continue
        query = identities.get(identity_of(result.names[i]), {}).get("types")
        found = identities.get(identity_of(result.names[best]), {}).get("types")
        if not query or not found:
            continue
        counts["queries"] += 1
        same = [query.get(k) == found.get(k) for k in GARMENT_KEYS]
        counts["same_types"] += all(same)
        counts["same_sleeves"] += same[0]
        counts["same_lower"] += same[1]
    if not counts["queries"]:
        return None
    n = counts["queries"]
    return {"queries": n, **{k: counts[k] / n for k in counts if k != "queries"}}


def draw_search_grid(
    inputs: SearchInputs,
    result: PseudoLabels,
    path: str | Path,
    count: int = 16,
    seed: int = 0,
    scale: int = 2,
) -> Path:
    """Rows of: source map | source moved part-wise onto the found pose | found map | its pose.

    The source and found maps carry their skeletons; rows are a seeded random choice among the
    queries that have a pseudo label.
    """
    done = [i for i in range(result.done) if result.best[i] >= 0]
    rng = np.random.default_rng(seed)
    rows_idx = sorted(rng.choice(done, size=min(count, len(done)), replace=False).tolist())
    rows = []
    for i in rows_idx:
        best = int(result.best[i])
        source, found = inputs.parsings[i], inputs.parsings[best]
        source_pose, found_pose = inputs.poses[i], inputs.poses[best]
        moved = part_composite.warp_labels_by_parts(source, source_pose, found_pose)
        skeleton_only = sk.draw_skeleton(np.zeros(found.shape + (3,), np.uint8), found_pose)
        tiles = [
            sk.draw_skeleton(lb.colorize(source), source_pose),
            lb.colorize(moved),
            lb.colorize(found),
            skeleton_only,
        ]
        separator = np.full((source.shape[0], 2, 3), 255, np.uint8)
        row = np.concatenate(sum(([t, separator] for t in tiles), [])[:-1], axis=1)
        rows.append(np.concatenate([row, np.full((2, row.shape[1], 3), 255, np.uint8)], axis=0))
    if not rows:
        sheet = np.zeros((8, 8, 3), np.uint8)
    else:
        # Several columns of rows keep the sheet closer to a page than to a strip.
        columns = max(1, min(4, round(np.sqrt(len(rows) / 4))))
        per_column = -(-len(rows) // columns)
        blank = np.full_like(rows[0], 255)
        stacks = []
        for c in range(columns):
            chunk = rows[c * per_column : (c + 1) * per_column]
            chunk += [blank] * (per_column - len(chunk))
            stacks.append(np.concatenate(chunk, axis=0))
            stacks.append(np.full((stacks[-1].shape[0], 6, 3), 255, np.uint8))
        sheet = np.concatenate(stacks[:-1], axis=1)
    sheet = np.repeat(np.repeat(sheet, scale, axis=0), scale, axis=1)
    write_image_rgb(path, sheet)
    return Path(path)
