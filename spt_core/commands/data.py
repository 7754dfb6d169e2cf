"""``spt synth``, ``spt data check`` and (from :mod:`.prepare`) ``spt prepare``."""

from __future__ import annotations

import argparse
import time

from spt_core.commands import prepare
from spt_core.commands.arguments import add_flag, add_option, add_path_arg, add_quiet_arg
from spt_core.commands.common import format_size, positive_int
from spt_core.errors import SptError


def cmd_synth(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from spt_core.data import synthetic

    bar = tqdm(total=args.count, unit="img", desc="synth", disable=args.quiet)

    def progress(done: int, total: int) -> None:
        bar.total = total
        bar.update(done - bar.n)

    start = time.perf_counter()
    try:
        report = synthetic.generate_dataset(
            args.out,
            count=args.count,
            size=args.size,
            seed=args.seed,
            poses_per_identity=args.poses_per_identity,
            pose_csv=args.poses,
            workers=args.workers,
            progress=progress,
            overwrite=args.overwrite,
        )
    except FileExistsError as exc:
        # The library's hint names its keyword argument; here the user types a flag.
        raise SptError(f"--out: {str(exc).replace('overwrite=True', '--overwrite')}") from None
    finally:
        bar.close()
    elapsed = time.perf_counter() - start
    print(f"wrote {args.count} images of {format_size(args.size)} to {args.out} in {elapsed:.1f} s")
    for key in ("identities", "pairs"):
        print(f"  {key}: {report[key]}")
    print(f"  poses: {_pool_line(report['pose_pool'])}")
    if args.preview:
        synthetic.write_preview(args.out, args.preview)
        print(f"preview: {args.preview}")
    return 0


def _pool_line(pool: dict) -> str:
    """The pose pool of a synth report in one line: how many rows were used and why not."""
    return (
        f"{pool['usable']} of {pool['rows']} rows used; skipped {pool['skipped_market_junk']} "
        f"Market junk/distractors, {pool['skipped_missing_joints']} missing body joints, "
        f"{pool['skipped_degenerate']} degenerate"
    )


def cmd_data_check(args: argparse.Namespace) -> int:
    from spt_core.data.dataset import PersonDataset

    dataset = PersonDataset(args.dir, split=args.split)
    for line in dataset.report.lines():
        print(line)
    if args.deep:
        from tqdm import tqdm

        for i in tqdm(range(len(dataset)), desc="reading", unit="img"):
            dataset[i]  # reads and checks image size and parsing labels
        print(f"read and checked {len(dataset)} images and parsing maps")
    return 0 if len(dataset) else 1


def register(commands) -> None:
    """Add this module's subcommands to the ``spt`` parser."""
    synth = commands.add_parser("synth", help="render a synthetic people dataset with ground truth")
    add_option(synth, "--out", help="output dataset folder")
    synth.add_argument(
        "--count", type=positive_int, default=2000, help="number of images (default 2000)"
    )
    size_help = "image size HxW: 128x64 (Market-like) or 256x176 (DeepFashion-like)"
    add_option(synth, "--size", help=size_help)
    synth.add_argument("--seed", type=int, default=0)
    synth.add_argument(
        "--poses-per-identity",
        type=positive_int,
        default=4,
        help="images per person (ground-truth pairs; default 4)",
    )
    poses_help = "PG2 annotation CSV of real poses (default: the shared one for the size)"
    add_path_arg(synth, "--poses", poses_help)
    synth.add_argument(
        "--workers", type=positive_int, default=None, help="processes (default: all cores)"
    )
    add_path_arg(synth, "--preview", "write a contact sheet PNG")
    add_flag(synth, "--overwrite", "replace a synthetic dataset already in --out")
    add_quiet_arg(synth)
    synth.set_defaults(func=cmd_synth)

    data = commands.add_parser("data", help="dataset tools")
    data_commands = data.add_subparsers(dest="data_command", required=True, metavar="ACTION")
    check = data_commands.add_parser("check", help="report counts, missing files, filtered rows")
    add_path_arg(check, "dir", "dataset folder (PG2 or Def-GAN layout)", required=True)
    split_help = "Def-GAN split: train or test (default: train)"
    check.add_argument("--split", default=None, help=split_help)
    add_flag(check, "--deep", "also read every image and parsing map")
    check.set_defaults(func=cmd_data_check)

    prepare.register(commands)
