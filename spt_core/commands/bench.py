"""``spt bench warp | search``: speed against a reference in the same process."""

from __future__ import annotations

import argparse
from pathlib import Path

from spt_core.commands.common import default_pose_csv, parse_size


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


def cmd_bench_search(args: argparse.Namespace) -> int:
    import tempfile

    from spt_core.bench import bench_search
    from spt_core.data.dataset import PersonDataset
    from spt_core.search.engine import SearchInputs

    data = args.data
    if data is None:
        from spt_core.data import synthetic

        data = Path(tempfile.mkdtemp(prefix="spt-bench-search-")) / "synth"
        print(f"rendering {args.count} synthetic people at 128x64 into {data} ...")
        synthetic.generate_dataset(data, count=args.count, size=(128, 64), seed=args.seed)
    inputs = SearchInputs.from_dataset(PersonDataset(data))
    print(
        f"search bench: {len(inputs.names)} maps, {args.queries} reference queries, "
        f"device {args.device}"
    )
    figures = bench_search(inputs, queries=args.queries, device=args.device, seed=args.seed)
    print(
        f"reference (loop, cv2.warpAffine per part): {figures['reference_s_per_query'] * 1e3:9.1f}"
        " ms/query"
    )
    print(
        f"exact (batched)                           : {figures['exact_s_per_query'] * 1e3:9.2f}"
        f" ms/query   {figures['exact_speedup']:.0f}x faster"
    )
    print(
        f"identical argmins                         : {figures['identical_argmins']} of "
        f"{figures['queries_checked']}"
    )
    print(
        f"fast                                      : {figures['fast_s_per_query'] * 1e3:9.2f}"
        f" ms/query   {figures['fast_speedup_over_exact']:.1f}x faster than exact, "
        f"recall@1 {100 * figures['fast_recall_at_1']:.1f}%"
    )
    return 0


def register(commands) -> None:
    """Add this module's subcommands to the ``spt`` parser."""
    bench = commands.add_parser("bench", help="benchmarks with ratios against a reference")
    bench_commands = bench.add_subparsers(dest="bench_command", required=True, metavar="WHAT")
    warp = bench_commands.add_parser("warp", help="batched torch part warp vs cv2.warpAffine loop")
    warp.add_argument("--batch", type=int, default=32)
    warp.add_argument("--size", type=parse_size, default=(128, 64))
    warp.add_argument("--repeats", type=int, default=5)
    warp.add_argument("--device", default="auto", help="auto, cpu or cuda")
    warp.add_argument("--poses", type=Path, default=None, help="PG2 CSV of poses to fit parts on")
    warp.set_defaults(func=cmd_bench_warp)
    bench_search = bench_commands.add_parser(
        "search", help="exact search vs a straightforward loop; fast vs exact"
    )
    bench_search.add_argument(
        "--data", type=Path, default=None, help="dataset (default: render --count synthetic people)"
    )
    bench_search.add_argument("--count", type=int, default=2000)
    bench_search.add_argument(
        "--queries", type=int, default=50, help="queries checked against the reference loop"
    )
    bench_search.add_argument("--seed", type=int, default=0)
    bench_search.add_argument("--device", default="cpu", help="auto, cpu or cuda")
    bench_search.set_defaults(func=cmd_bench_search)
