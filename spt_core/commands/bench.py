"""``spt bench warp | search | render | detect | train``: speed against a reference in the same
process."""

from __future__ import annotations

import argparse
from pathlib import Path

from spt_core.commands.arguments import DEVICE_HELP, add_flag, add_option, add_options, add_path_arg
from spt_core.commands.common import default_pose_csv, format_size, parse_size, positive_int


def cmd_bench_warp(args: argparse.Namespace) -> int:
    from spt_core.bench import bench_warp
    from spt_core.devices import resolve_device

    device = resolve_device(args.device)
    pose_csv = args.poses or default_pose_csv(args.size)
    print(
        f"part warp + max-combine, batch {args.batch}, {format_size(args.size)}, "
        f"10 parts, device {device}; reference: per-part cv2.warpAffine loop (CPU)"
    )
    rows = bench_warp(
        pose_csv, batch=args.batch, size=args.size, device=str(device), repeats=args.repeats
    )
    print(f"{'workload':<20} {'cv2 loop/s':>11} {'torch/s':>10} {'ratio':>7} {'max |diff|':>11}")
    for row in rows:
        print(
            f"{row.workload:<20} {row.reference_per_s:>11.0f} {row.torch_per_s:>10.0f} "
            f"{row.ratio:>6.3g}x {row.max_abs_diff:>11.2e}"  # never 0.00x for a slow first run
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


def cmd_bench_render(args: argparse.Namespace) -> int:
    import torch

    from spt_core.bench import bench_render
    from spt_core.pipeline import ModelNotFoundError, SPTPipeline

    pipelines = []
    if args.reference is not None:
        # Another model first: its batch-1 repose is the reference of every ratio.
        reference = SPTPipeline.from_pretrained(args.reference, device=args.device)
        reference.name = f"reference {reference.name}"
        if args.reference_redraw_all:  # the pipeline as it was when issue #14 was filed
            reference.keep_unchanged = reference.limb_labels = reference.limb_pixels = False
            reference.map_smoothing = 1
            reference.name += " (redraw all)"
        pipelines.append(reference)
    for size in args.sizes:
        pipe = None
        if size == (128, 64) and not args.random:
            try:
                pipe = SPTPipeline.from_pretrained(args.model, device=args.device)
            except ModelNotFoundError:
                pipe = None
        if pipe is None or pipe.size != size:
            # No trained model at this size: the default architecture with random weights
            # (the timing depends on the architecture only).
            pipe = SPTPipeline.random(
                size=size,
                base_channels=args.base_channels,
                max_channels=args.max_channels,
                device=args.device,
            )
        pipelines.append(pipe)
    if args.compile:
        from spt_core.bench import compile_pipeline

        for pipe in pipelines[1:] if args.reference is not None else pipelines:
            seconds = compile_pipeline(pipe)
            pipe.name = f"{pipe.name} (compiled)"
            print(f"torch.compile of {pipe.name} at {format_size(pipe.size)}: {seconds:.1f} s")
    threads = torch.get_num_threads()
    print(
        f"render bench: device {pipelines[0].device}, {threads} CPU threads, median of "
        f"{args.repeats} runs; reference = batch-1 repose of {pipelines[0].name} at "
        f"{format_size(pipelines[0].size)}"
    )
    for pipe in pipelines:
        print(f"  {format_size(pipe.size)}: {pipe.name}")
    rows = bench_render(pipelines, batch=args.batch, repeats=args.repeats)
    print(
        f"{'model':<28}{'size':<9}{'workload':<36}{'batch':>6}{'ms/call':>10}{'ms/image':>10}"
        f"{'images/s':>10}{'ratio':>8}{'GFLOP':>8}{'GFLOP/s':>9}{'of peak':>8}"
    )
    for row in rows:
        print(
            f"{row.model[:27]:<28}{row.size[0]}x{row.size[1]:<5}{row.workload:<36}{row.batch:>6}"
            f"{row.seconds * 1e3:>10.1f}{row.per_image_s * 1e3:>10.1f}"
            f"{1 / row.per_image_s:>10.1f}{row.ratio:>7.2f}x{row.gflop:>8.2f}"
            f"{row.gflop / row.seconds:>9.1f}{row.of_peak:>8.0%}"
        )
    print(
        "GFLOP: matrix products and convolutions of one call (torch's flop counter); of peak: "
        "against a square matrix product on the same device, measured in this run"
    )
    return 0


def cmd_bench_detect(args: argparse.Namespace) -> int:
    from spt_core.bench import bench_detect
    from spt_core.prepare.detect import require_mediapipe

    require_mediapipe()  # without the extra: how to install it (exit status 2)
    if args.photos:
        from spt_core.prepare.photo import load_photo

        photos = [(Path(p).name, load_photo(p).image) for p in args.photos]
    else:
        from skimage import data

        photos = [("skimage astronaut", data.astronaut())]
    print(
        f"detect bench: median of {args.repeats} runs; reference = one BlazePose pass, "
        "against the default (averaged with the mirrored photo)"
    )
    rows = bench_detect(photos, repeats=args.repeats)
    print(
        f"{'photo':<24}{'HxW':>11}{'one pass ms':>13}{'mirror-avg ms':>15}{'ratio':>8}"
        f"{'max joint shift px':>20}"
    )
    for row in rows:
        print(
            f"{row.photo[:23]:<24}{row.size[0]:>6}x{row.size[1]:<4}{row.one_pass_s * 1e3:>13.1f}"
            f"{row.mirror_average_s * 1e3:>15.1f}{row.ratio:>7.2f}x{row.max_shift_px:>20.1f}"
        )
    return 0


def cmd_bench_train(args: argparse.Namespace) -> int:
    import tempfile

    import torch

    from spt_core.bench_train import bench_train, format_rows

    with tempfile.TemporaryDirectory(prefix="spt-bench-train-") as work:
        data = args.data
        if data is None:
            from spt_core.config import SearchConfig
            from spt_core.data import synthetic
            from spt_core.data.dataset import PersonDataset
            from spt_core.search.engine import PseudoLabelSearch, SearchInputs
            from spt_core.search.store import DEFAULT_PSEUDO_LABELS

            data = Path(work) / "synth"
            print(f"rendering {args.count} synthetic people at {format_size(args.size)} ...")
            synthetic.generate_dataset(data, count=args.count, size=args.size, seed=0)
            inputs = SearchInputs.from_dataset(PersonDataset(data))
            PseudoLabelSearch(SearchConfig(), device="cpu").run(
                inputs, data / DEFAULT_PSEUDO_LABELS
            )
        print(
            f"train bench: {format_size(args.size)}, batch {args.batch}, base width "
            f"{args.base_channels}, median of {args.steps} steps after a warm-up, "
            f"{torch.get_num_threads()} CPU threads"
        )
        rows = bench_train(
            data,
            Path(work) / "runs",
            size=args.size,
            batch=args.batch,
            base_channels=args.base_channels,
            steps=args.steps,
            device=args.device,
            kinds=tuple(args.kinds),
        )
    print(format_rows(rows))
    print(
        "GFLOP: matrix products and convolutions of one step (forward and backward) as "
        "torch's flop counter counts them; peak: a square matrix product on the same device "
        "(fp32 on a CPU, bf16 on CUDA), measured in this run"
    )
    return 0


def register(commands) -> None:
    """Add this module's subcommands to the ``spt`` parser."""
    bench = commands.add_parser("bench", help="benchmarks with ratios against a reference")
    bench_commands = bench.add_subparsers(dest="bench_command", required=True, metavar="WHAT")
    warp = bench_commands.add_parser("warp", help="batched torch part warp vs cv2.warpAffine loop")
    warp.add_argument("--batch", type=positive_int, default=32)
    add_options(warp, "--size")
    warp.add_argument("--repeats", type=positive_int, default=5)
    add_option(warp, "--device", help=DEVICE_HELP)
    add_path_arg(warp, "--poses", "PG2 CSV of poses to fit parts on")
    warp.set_defaults(func=cmd_bench_warp)
    bench_search = bench_commands.add_parser(
        "search", help="exact search vs a straightforward loop; fast vs exact"
    )
    add_path_arg(bench_search, "--data", "dataset (default: render --count synthetic people)")
    bench_search.add_argument("--count", type=positive_int, default=2000)
    queries_help = "queries checked against the reference loop"
    bench_search.add_argument("--queries", type=positive_int, default=50, help=queries_help)
    bench_search.add_argument("--seed", type=int, default=0)
    add_option(bench_search, "--device", default="cpu", help=DEVICE_HELP)
    bench_search.set_defaults(func=cmd_bench_search)

    render = bench_commands.add_parser(
        "render", help="repose / render latency and batch throughput of the pipeline"
    )
    render.add_argument("--sizes", type=parse_size, nargs="+", default=[(128, 64), (256, 176)])
    render.add_argument("--batch", type=positive_int, default=8)
    render.add_argument("--repeats", type=positive_int, default=10)
    add_path_arg(render, "--model", "model for 128x64 (default: the shipped one)")
    add_path_arg(
        render,
        "--reference",
        "another model timed first, in the same process: every ratio is against its "
        "batch-1 repose (e.g. a copy of the previous default model)",
    )
    add_flag(
        render,
        "--reference-redraw-all",
        "time the reference with every pixel redrawn by the networks (no kept pixels, fills, "
        "limb labels or limb pixels: the pipeline before decisions 0007-0011)",
    )
    add_flag(render, "--random", "random weights at every size (no model needed)")
    add_flag(
        render,
        "--compile",
        "wrap the networks in torch.compile first (the compile time is printed; with "
        "--reference, compare against the same model uncompiled)",
    )
    # Widths of the random-weight networks, not the trainers' 64 / 512.
    add_option(render, "--base-channels", default=32)
    add_option(render, "--max-channels", default=128)
    add_options(render, "--device")
    render.set_defaults(func=cmd_bench_render)

    detect = bench_commands.add_parser(
        "detect", help="photo keypoints: one BlazePose pass vs mirror-averaged (detect extra)"
    )
    photos_help = "photos to time (default: scikit-image's astronaut)"
    detect.add_argument("photos", nargs="*", help=photos_help)
    detect.add_argument("--repeats", type=positive_int, default=5)
    detect.set_defaults(func=cmd_bench_detect)

    from spt_core.bench_train import KINDS

    train = bench_commands.add_parser(
        "train", help="seconds per training step, its FLOPs and the share of the device's peak"
    )
    add_path_arg(train, "--data", "dataset with pseudo labels (default: --count synthetic people)")
    train.add_argument("--count", type=positive_int, default=64)
    add_options(train, "--size")
    train.add_argument("--batch", type=positive_int, default=8)
    add_option(train, "--base-channels", default=32)
    train.add_argument("--steps", type=positive_int, default=3, help="timed steps per trainer")
    train.add_argument("--kinds", nargs="+", choices=KINDS, default=list(KINDS))
    add_options(train, "--device")
    train.set_defaults(func=cmd_bench_train)
