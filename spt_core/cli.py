"""The ``spt`` command: argparse subcommands that call the library.

Every subcommand is a small function taking the parsed arguments; errors the user can fix
(``SptError``) print one line naming the file and the problem and exit with status 2.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from spt_core.errors import SptError

REPO_ROOT = Path(__file__).resolve().parents[1]


def default_pose_csv(size: tuple[int, int]) -> Path:
    """The shared real-pose file that suits an image size (Market for 128x64, else DeepFashion)."""
    from spt_core.data.poses import find_pose_csv

    return find_pose_csv("market" if size == (128, 64) else "fasion")


def parse_size(text: str) -> tuple[int, int]:
    """'128x64' -> (128, 64): height x width."""
    try:
        height, width = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"size must look like 128x64 (HxW), got {text!r}"
        ) from None
    if height <= 0 or width <= 0:
        raise argparse.ArgumentTypeError(f"size must be positive, got {text!r}")
    return height, width


# --------------------------------------------------------------------------------------------
# Subcommands


def cmd_synth(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from spt_core.data import synthetic

    bar = tqdm(total=args.count, unit="img", desc="synth", disable=args.quiet)

    def progress(done: int, total: int) -> None:
        bar.total = total
        bar.update(done - bar.n)

    start = time.perf_counter()
    report = synthetic.generate_dataset(
        args.out,
        count=args.count,
        size=args.size,
        seed=args.seed,
        poses_per_identity=args.poses_per_identity,
        pose_csv=args.poses,
        workers=args.workers,
        progress=progress,
    )
    bar.close()
    elapsed = time.perf_counter() - start
    print(
        f"wrote {args.count} images of {args.size[0]}x{args.size[1]} to {args.out} "
        f"in {elapsed:.1f} s"
    )
    for key in ("identities", "pairs", "poses_available", "poses_rejected"):
        if key in report:
            print(f"  {key}: {report[key]}")
    if args.preview:
        synthetic.write_preview(args.out, args.preview)
        print(f"preview: {args.preview}")
    return 0


def cmd_data_check(args: argparse.Namespace) -> int:
    from spt_core.data.dataset import PersonDataset

    dataset = PersonDataset(args.dir)
    for line in dataset.report.lines():
        print(line)
    if args.deep:
        from tqdm import tqdm

        for i in tqdm(range(len(dataset)), desc="reading", unit="img"):
            dataset[i]  # reads and checks image size and parsing labels
        print(f"read and checked {len(dataset)} images and parsing maps")
    return 0 if len(dataset) else 1


def cmd_bench_warp(args: argparse.Namespace) -> int:
    from spt_core.bench import bench_warp
    from spt_core.devices import resolve_device

    device = resolve_device(args.device)
    pose_csv = args.poses or default_pose_csv(args.size)
    print(
        f"part warp + max-combine, batch {args.batch}, {args.size[0]}x{args.size[1]}, "
        f"10 parts, device {device}; reference: per-part cv2.warpAffine loop (CPU)"
    )
    rows = bench_warp(
        pose_csv, batch=args.batch, size=args.size, device=str(device), repeats=args.repeats
    )
    print(f"{'workload':<20} {'cv2 loop/s':>11} {'torch/s':>10} {'ratio':>7} {'max |diff|':>11}")
    for row in rows:
        print(
            f"{row.workload:<20} {row.reference_per_s:>11.0f} {row.torch_per_s:>10.0f} "
            f"{row.ratio:>6.2f}x {row.max_abs_diff:>11.2e}"
        )
    return 0


# --------------------------------------------------------------------------------------------
# Parser


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="spt", description="Semantic Parsing Transformation: person image generation tools."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    synth = commands.add_parser("synth", help="render a synthetic people dataset with ground truth")
    synth.add_argument("--out", required=True, type=Path, help="output dataset folder")
    synth.add_argument("--count", type=int, default=2000, help="number of images (default 2000)")
    synth.add_argument(
        "--size",
        type=parse_size,
        default=(128, 64),
        help="image size HxW: 128x64 (Market-like) or 256x176 (DeepFashion-like)",
    )
    synth.add_argument("--seed", type=int, default=0)
    synth.add_argument(
        "--poses-per-identity",
        type=int,
        default=4,
        help="images per person (ground-truth pairs; default 4)",
    )
    synth.add_argument(
        "--poses",
        type=Path,
        default=None,
        help="PG2 annotation CSV of real poses (default: the shared one for the size)",
    )
    synth.add_argument("--workers", type=int, default=None, help="processes (default: all cores)")
    synth.add_argument("--preview", type=Path, default=None, help="write a contact sheet PNG")
    synth.add_argument("--quiet", action="store_true", help="no progress bar")
    synth.set_defaults(func=cmd_synth)

    data = commands.add_parser("data", help="dataset tools")
    data_commands = data.add_subparsers(dest="data_command", required=True, metavar="ACTION")
    check = data_commands.add_parser("check", help="report counts, missing files, filtered rows")
    check.add_argument("dir", type=Path, help="dataset folder (PG2 layout)")
    check.add_argument("--deep", action="store_true", help="also read every image and parsing map")
    check.set_defaults(func=cmd_data_check)

    bench = commands.add_parser("bench", help="benchmarks with ratios against a reference")
    bench_commands = bench.add_subparsers(dest="bench_command", required=True, metavar="WHAT")
    warp = bench_commands.add_parser("warp", help="batched torch part warp vs cv2.warpAffine loop")
    warp.add_argument("--batch", type=int, default=32)
    warp.add_argument("--size", type=parse_size, default=(128, 64))
    warp.add_argument("--repeats", type=int, default=5)
    warp.add_argument("--device", default="auto", help="auto, cpu or cuda")
    warp.add_argument("--poses", type=Path, default=None, help="PG2 CSV of poses to fit parts on")
    warp.set_defaults(func=cmd_bench_warp)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``spt`` console script."""
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except SptError as exc:
        print(f"spt: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("spt: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
