"""The ``spt`` command: argparse subcommands that call the library.

Every subcommand is a small function taking the parsed arguments; errors the user can fix
(``SptError``) print one line naming the file and the problem and exit with status 2.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

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
        overwrite=args.overwrite,
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
    return dataclasses.replace(config, **{k: v for k, v in changes.items() if v is not None})


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


def _print_events(events, total_steps: int, quiet: bool) -> object:
    """Drive a trainer's event stream with a tqdm bar; returns the final DoneEvent."""
    from tqdm import tqdm

    from spt_core.train.events import CheckpointEvent, DoneEvent, StepEvent

    bar = tqdm(total=total_steps, unit="step", disable=quiet)
    done = None
    for event in events:
        if isinstance(event, StepEvent):
            bar.n = event.step
            bar.set_postfix({k: f"{v:.3f}" for k, v in event.losses.items()}, refresh=False)
            bar.refresh()
        elif isinstance(event, CheckpointEvent):
            bar.write(f"checkpoint: {event.path}")
        elif isinstance(event, DoneEvent):
            done = event
    bar.close()
    return done


def cmd_train_semantic(args: argparse.Namespace) -> int:
    import dataclasses

    from spt_core.config import SemanticLossWeights, SemanticNetConfig, TrainConfig
    from spt_core.data.dataset import PersonDataset
    from spt_core.data.parsing_pairs import ParsingPairs
    from spt_core.search.store import PseudoLabels
    from spt_core.train.semantic import SemanticTrainer

    model = SemanticNetConfig(
        size=args.size,
        base_channels=args.base_channels,
        max_channels=args.max_channels,
        depth=args.depth,
    )
    train = dataclasses.replace(
        TrainConfig(device=args.device),
        **{
            k: v
            for k, v in {
                "steps": args.steps,
                "batch_size": args.batch_size,
                "lr": args.lr,
                "checkpoint_every": args.checkpoint_every,
                "seed": args.seed,
            }.items()
            if v is not None
        },
    )
    dataset = PersonDataset(args.data)
    pairs = ParsingPairs.from_pseudo_labels(
        dataset, PseudoLabels.load(args.pseudo), model.size, model.mask_radius
    )
    trainer = SemanticTrainer(pairs, model, SemanticLossWeights(), train, args.out, args.resume)
    if trainer.dist.is_main and not args.quiet:
        print(
            f"semantic network: {len(pairs)} pseudo-label pairs at {model.size[0]}x"
            f"{model.size[1]}, {train.steps} steps of {train.batch_size}, device "
            f"{trainer.device}, {trainer.dist.world_size} process(es)"
        )
    done = _print_events(trainer.run(), train.steps, args.quiet or not trainer.dist.is_main)
    if done is not None:
        print(f"{done.reason} at step {done.step}; checkpoint {done.checkpoint}")
    return 0


def cmd_eval_parsing(args: argparse.Namespace) -> int:
    import csv
    import json

    from spt_core.data.dataset import PersonDataset
    from spt_core.data.parsing_pairs import ParsingPairs
    from spt_core.devices import resolve_device
    from spt_core.eval.parsing import evaluate_network, evaluate_part_warp, evaluate_pseudo_labels
    from spt_core.search.store import PseudoLabels
    from spt_core.train.semantic import load_semantic_generator

    device = resolve_device(args.device)
    generator, model = load_semantic_generator(args.model, device)
    test = PersonDataset(args.data)
    pairs = ParsingPairs.from_ground_truth(test, model.size, model.mask_radius, args.limit)
    rows = {
        "network": evaluate_network(
            generator, pairs, device, sigma=model.heatmap_sigma, use_pose_mask=model.use_pose_mask
        ),
        "part warp (no learning)": evaluate_part_warp(pairs),
    }
    if args.pseudo is not None:
        train = PersonDataset(args.pseudo_data or args.data)
        quality = evaluate_pseudo_labels(
            train, PseudoLabels.load(args.pseudo), model.size, args.limit
        )
        if quality is not None:
            rows["pseudo labels (search)"] = quality
    print(f"{len(pairs)} held-out pairs of {test.root} at {model.size[0]}x{model.size[1]}")
    print(f"{'':<26}{'pixel acc':>10}{'mIoU':>8}{'per-image mIoU':>16}{'images':>8}")
    for name, row in rows.items():
        print(
            f"{name:<26}{row['pixel_accuracy']:>10.3f}{row['miou']:>8.3f}"
            f"{row['per_image_miou']:>16.3f}{row['images']:>8}"
        )
    if args.csv:
        with open(args.csv, "w", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(["method", "pixel_accuracy", "miou", "per_image_miou", "images"])
            for name, row in rows.items():
                writer.writerow(
                    [
                        name,
                        f"{row['pixel_accuracy']:.4f}",
                        f"{row['miou']:.4f}",
                        f"{row['per_image_miou']:.4f}",
                        row["images"],
                    ]
                )
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=2))
    if args.sheet:
        from spt_core.eval.parsing import draw_parsing_sheet

        draw_parsing_sheet(
            generator,
            pairs,
            args.sheet,
            device=device,
            sigma=model.heatmap_sigma,
            use_pose_mask=model.use_pose_mask,
        )
        print(f"sheet: {args.sheet} (source | target pose | truth | part warp | network)")
    return 0


def cmd_train_appearance(args: argparse.Namespace) -> int:
    import dataclasses

    from spt_core.config import AppearanceLossWeights, AppearanceNetConfig, TrainConfig
    from spt_core.data.dataset import PersonDataset
    from spt_core.train.appearance import AppearanceTrainer, PersonSamples

    model = AppearanceNetConfig(size=args.size, base_channels=args.base_channels,
                                max_channels=args.max_channels)  # fmt: skip
    train = dataclasses.replace(
        TrainConfig(device=args.device),
        **{k: v for k, v in {"steps": args.steps, "batch_size": args.batch_size,
                             "checkpoint_every": args.checkpoint_every}.items() if v is not None},
    )  # fmt: skip
    semantic = None
    if args.parsing == "predicted":
        if args.semantic is None:
            raise SptError("--parsing predicted needs --semantic RUN_OR_CHECKPOINT")
        from spt_core.train.semantic import load_semantic_generator

        semantic = load_semantic_generator(args.semantic)
    posenet = None
    if args.posenet is not None:
        from spt_core.train.posenet import load_posenet

        posenet = load_posenet(args.posenet)[0]
    samples = PersonSamples.from_dataset(PersonDataset(args.data), model.size)
    trainer = AppearanceTrainer(samples, model, AppearanceLossWeights(), train, args.out,
                                posenet=posenet, semantic=semantic, parsing_mode=args.parsing,
                                resume=args.resume)  # fmt: skip
    if trainer.dist.is_main and not args.quiet:
        note = "" if posenet is not None else " (no --posenet: pose loss off)"
        print(
            f"appearance network: {len(samples)} images at {model.size[0]}x{model.size[1]}, "
            f"target parsing {args.parsing}, {train.steps} steps of {train.batch_size}, "
            f"device {trainer.device}{note}"
        )
    done = _print_events(trainer.run(), train.steps, args.quiet or not trainer.dist.is_main)
    if done is not None:
        print(f"{done.reason} at step {done.step}; checkpoint {done.checkpoint}")
    return 0


def cmd_train_posenet(args: argparse.Namespace) -> int:
    from spt_core.train.posenet import train_posenet_from_args

    trainer = train_posenet_from_args(
        args.data,
        args.out,
        steps=args.steps,
        batch_size=args.batch_size,
        size=args.size,
        base_channels=args.base_channels,
        n_blocks=args.n_blocks,
        device=args.device,
        resume=args.resume,
        quiet=args.quiet,
    )
    total = trainer.train.steps
    done = _print_events(trainer.run(), total, args.quiet or not trainer.dist.is_main)
    if done is not None:
        print(f"{done.reason} at step {done.step}; checkpoint {done.checkpoint}")
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
    synth.add_argument(
        "--overwrite", action="store_true", help="replace a synthetic dataset already in --out"
    )
    synth.add_argument("--quiet", action="store_true", help="no progress bar")
    synth.set_defaults(func=cmd_synth)

    data = commands.add_parser("data", help="dataset tools")
    data_commands = data.add_subparsers(dest="data_command", required=True, metavar="ACTION")
    check = data_commands.add_parser("check", help="report counts, missing files, filtered rows")
    check.add_argument("dir", type=Path, help="dataset folder (PG2 layout)")
    check.add_argument("--deep", action="store_true", help="also read every image and parsing map")
    check.set_defaults(func=cmd_data_check)

    search = commands.add_parser("search", help="pseudo-label search (unpaired parsing targets)")
    search.add_argument("data", type=Path, help="dataset folder (PG2 layout, with parsing maps)")
    search.add_argument("--out", type=Path, required=True, help="pseudo-label file (.npz)")
    search.add_argument(
        "--mode",
        choices=["exact", "fast"],
        default=None,
        help="exact scores every candidate; fast pre-scores at low resolution",
    )
    search.add_argument("--device", default="auto", help="auto, cpu or cuda")
    search.add_argument(
        "--min-pose-distance",
        type=float,
        default=None,
        help="exclude candidates with a closer pose (torso scales, default 0.15)",
    )
    search.add_argument(
        "--allow-same-identity",
        action="store_true",
        help="let the pseudo label come from the same person",
    )
    search.add_argument("--top-k", type=int, default=None, help="candidates kept per sample")
    search.add_argument(
        "--force", action="store_true", help="replace an --out file of another dataset or config"
    )
    search.add_argument(
        "--show", type=int, default=0, metavar="N", help="draw N results for a person to judge"
    )
    search.add_argument("--show-out", type=Path, default=Path("search_grid.png"))
    search.add_argument("--quiet", action="store_true", help="no progress bar")
    search.set_defaults(func=cmd_search)

    train = commands.add_parser("train", help="train the networks")
    train_commands = train.add_subparsers(dest="train_command", required=True, metavar="NETWORK")
    semantic = train_commands.add_parser(
        "semantic", help="pre-train the semantic network on pseudo labels"
    )
    semantic.add_argument("--data", type=Path, required=True, help="dataset folder")
    semantic.add_argument("--pseudo", type=Path, required=True, help="pseudo-label file")
    semantic.add_argument("--out", type=Path, required=True, help="run directory")
    semantic.add_argument("--steps", type=int, default=None)
    semantic.add_argument("--batch-size", type=int, default=None)
    semantic.add_argument("--lr", type=float, default=None)
    semantic.add_argument(
        "--size",
        type=parse_size,
        default=(128, 64),
        help="network size HxW (128x64, or 128x128 for 256-px data)",
    )
    semantic.add_argument("--base-channels", type=int, default=64)
    semantic.add_argument("--max-channels", type=int, default=512)
    semantic.add_argument("--depth", type=int, default=5)
    semantic.add_argument("--checkpoint-every", type=int, default=None)
    semantic.add_argument("--seed", type=int, default=None)
    semantic.add_argument("--device", default="auto", help="auto, cpu or cuda")
    semantic.add_argument("--resume", action="store_true", help="continue the run in --out")
    semantic.add_argument("--quiet", action="store_true")
    semantic.set_defaults(func=cmd_train_semantic)

    evaluate = commands.add_parser("eval", help="evaluate trained networks")
    eval_commands = evaluate.add_subparsers(dest="eval_command", required=True, metavar="WHAT")
    parsing = eval_commands.add_parser(
        "parsing", help="semantic network vs part warp vs pseudo labels (mIoU)"
    )
    parsing.add_argument("model", type=Path, help="semantic checkpoint or run directory")
    parsing.add_argument(
        "--data", type=Path, required=True, help="held-out dataset with same-person pairs"
    )
    parsing.add_argument(
        "--pseudo",
        type=Path,
        default=None,
        help="pseudo-label file, to score the search's own labels too",
    )
    parsing.add_argument(
        "--pseudo-data",
        type=Path,
        default=None,
        help="the dataset the pseudo labels were searched on",
    )
    parsing.add_argument("--limit", type=int, default=None, help="at most this many pairs")
    parsing.add_argument("--device", default="auto")
    parsing.add_argument("--csv", type=Path, default=None, help="also write the table as CSV")
    parsing.add_argument("--json", type=Path, default=None, help="also write all figures")
    parsing.add_argument(
        "--sheet",
        type=Path,
        default=None,
        help="draw 8 pairs: source | target pose | truth | part warp | network",
    )
    parsing.set_defaults(func=cmd_eval_parsing)

    appearance = train_commands.add_parser(
        "appearance", help="train the appearance network (unpaired: cycle, style, pose, GAN)"
    )
    appearance.add_argument("--data", type=Path, required=True, help="dataset folder")
    appearance.add_argument("--out", type=Path, required=True, help="run directory")
    appearance.add_argument(
        "--parsing",
        choices=["gt", "predicted"],
        default="gt",
        help="target parsing: the target image's map (TS-GT) or H_S's",
    )
    appearance.add_argument(
        "--semantic",
        type=Path,
        default=None,
        help="semantic run/checkpoint for --parsing predicted",
    )
    appearance.add_argument(
        "--posenet",
        type=Path,
        default=None,
        help="pose regressor run/checkpoint (spt train posenet)",
    )
    appearance.add_argument("--steps", type=int, default=None)
    appearance.add_argument("--batch-size", type=int, default=None)
    appearance.add_argument("--size", type=parse_size, default=(128, 64))
    appearance.add_argument("--base-channels", type=int, default=64)
    appearance.add_argument("--max-channels", type=int, default=512)
    appearance.add_argument("--checkpoint-every", type=int, default=None)
    appearance.add_argument("--device", default="auto")
    appearance.add_argument("--resume", action="store_true")
    appearance.add_argument("--quiet", action="store_true")
    appearance.set_defaults(func=cmd_train_appearance)

    posenet = train_commands.add_parser(
        "posenet", help="train the pose regressor P used by the appearance network's pose loss"
    )
    posenet.add_argument("--data", type=Path, required=True, help="dataset folder")
    posenet.add_argument("--out", type=Path, required=True, help="run directory")
    posenet.add_argument("--steps", type=int, default=None)
    posenet.add_argument("--batch-size", type=int, default=None)
    posenet.add_argument(
        "--size",
        type=parse_size,
        default=None,
        help="network size HxW (default: the dataset's image size)",
    )
    posenet.add_argument("--base-channels", type=int, default=None)
    posenet.add_argument("--n-blocks", type=int, default=None)
    posenet.add_argument("--device", default="auto")
    posenet.add_argument("--resume", action="store_true")
    posenet.add_argument("--quiet", action="store_true")
    posenet.set_defaults(func=cmd_train_posenet)

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
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``spt`` console script."""
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except SptError as exc:
        print(f"spt: error: {exc}", file=sys.stderr)
        return 2
    except FileExistsError as exc:
        print(f"spt: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("spt: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
