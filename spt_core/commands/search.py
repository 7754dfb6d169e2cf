"""``spt search``: the pseudo-label search."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from spt_core.commands.arguments import (
    DEVICE_HELP,
    add_flag,
    add_option,
    add_path_arg,
    add_quiet_arg,
)
from spt_core.commands.common import given, non_negative_int, positive_int


def _search_config(args: argparse.Namespace):
    import dataclasses

    from spt_core.config import SearchConfig

    config = SearchConfig()
    changes = {
        "mode": getattr(args, "mode", None),
        "min_pose_distance": getattr(args, "min_pose_distance", None),
        "top_k": getattr(args, "top_k", None),
    }
    if getattr(args, "allow_same_identity", False):
        changes["exclude_same_identity"] = False
    return dataclasses.replace(config, **given(changes))


def cmd_search(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from spt_core.data.dataset import PersonDataset
    from spt_core.search.engine import PseudoLabelSearch, SearchInputs
    from spt_core.search.report import draw_search_grid, garment_agreement

    config = _search_config(args)
    dataset = PersonDataset(args.data)
    inputs = SearchInputs.from_dataset(dataset)
    search = PseudoLabelSearch(config, device=args.device)
    bar = tqdm(
        total=len(inputs.names), unit="query", desc=f"search ({config.mode})", disable=args.quiet
    )

    def progress(done: int, total: int) -> None:
        bar.update(done - bar.n)

    start = time.perf_counter()
    result = search.run(inputs, args.out, progress=progress, resume=not args.force)
    bar.close()
    print(
        f"pseudo labels: {args.out}  ({len(result.names)} samples, {config.mode} mode, "
        f"device {search.device}, {time.perf_counter() - start:.1f} s)"
    )
    skipped = ", ".join(f"{k} {v}" for k, v in result.skipped.items())
    print(f"  skipped: {skipped}")
    found = result.best[: result.done] >= 0
    print(f"  with a pseudo label: {int(found.sum())} of {result.done}")
    if found.any():
        print(f"  distance: median {np.median(result.best_score[: result.done][found]):.0f}")
    agreement = garment_agreement(result, dataset.record)
    if agreement:
        print(
            f"  same garment types (sleeves and lower): {100 * agreement['same_types']:.1f}% "
            f"of {agreement['queries']} queries (sleeves {100 * agreement['same_sleeves']:.1f}%, "
            f"lower {100 * agreement['same_lower']:.1f}%)"
        )
    if args.show:
        grid = draw_search_grid(inputs, result, args.show_out, count=args.show)
        print(f"  grid: {grid} (source | source moved onto found pose | found map | its pose)")
    return 0


def register(commands) -> None:
    """Add this module's subcommands to the ``spt`` parser."""
    search = commands.add_parser("search", help="pseudo-label search (unpaired parsing targets)")
    add_path_arg(search, "data", "dataset folder (PG2 layout, with parsing maps)", required=True)
    add_option(search, "--out", help="pseudo-label file (.npz)")
    search.add_argument(
        "--mode",
        choices=["exact", "fast"],
        default=None,
        help="exact scores every candidate; fast pre-scores at low resolution",
    )
    add_option(search, "--device", help=DEVICE_HELP)
    distance_help = "exclude candidates with a closer pose (torso scales, default 0.15)"
    search.add_argument("--min-pose-distance", type=float, default=None, help=distance_help)
    add_flag(search, "--allow-same-identity", "let the pseudo label come from the same person")
    search.add_argument(
        "--top-k", type=positive_int, default=None, help="candidates kept per sample"
    )
    add_flag(search, "--force", "replace an --out file of another dataset or config")
    show_help = "draw N results for a person to judge"
    search.add_argument("--show", type=non_negative_int, default=0, metavar="N", help=show_help)
    search.add_argument("--show-out", type=Path, default=Path("search_grid.png"))
    add_quiet_arg(search)
    search.set_defaults(func=cmd_search)
