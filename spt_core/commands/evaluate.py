"""``spt eval parsing | appearance | ablation | sheet | model | transfer | edits``."""

from __future__ import annotations

import argparse
from pathlib import Path

from spt_core.commands import evaluate_edits
from spt_core.commands.arguments import SHIPPED_MODEL_HELP, add_option, add_options, add_path_arg
from spt_core.commands.common import format_size, positive_int
from spt_core.external_metrics import add_external_metric_args, external_scores

HELD_OUT_HELP = "held-out dataset with same-person pairs"
CSV_HELP = "also write the table as CSV"
SHEET_HELP = "draw 8 pairs: source | target pose | truth | part warp | network"


def cmd_eval_parsing(args: argparse.Namespace) -> int:
    import csv
    import json

    from spt_core.data.dataset import PersonDataset
    from spt_core.data.parsing_pairs import ParsingPairs
    from spt_core.devices import resolve_device
    from spt_core.eval.parsing import evaluate_network, evaluate_part_warp, evaluate_pseudo_labels
    from spt_core.models.loading import load_semantic_generator
    from spt_core.search.store import PseudoLabels

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
    print(f"{len(pairs)} held-out pairs of {test.root} at {format_size(model.size)}")
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


def cmd_eval_appearance(args: argparse.Namespace) -> int:
    import csv

    from spt_core.data.dataset import PersonDataset
    from spt_core.data.samples import PersonSamples
    from spt_core.devices import resolve_device
    from spt_core.eval import appearance as evaluation
    from spt_core.io_utils import write_image_rgb
    from spt_core.models.loading import load_appearance_generator

    device = resolve_device(args.device)
    generator, model = load_appearance_generator(args.model, device)
    test = PersonDataset(args.data)
    samples = PersonSamples.from_dataset(test, model.size)
    pairs = evaluation.ground_truth_pairs(test, args.limit)
    warped = evaluation.part_warp_images(samples, pairs)
    generated = evaluation.generate(generator, samples, pairs, device, sigma=model.heatmap_sigma)
    rows = {
        "part warp (no learning)": evaluation.score(warped, samples, pairs),
        "network, true target parsing (TS-GT)": evaluation.score(generated, samples, pairs),
    }
    print(f"{len(pairs)} held-out pairs of {test.root} at {format_size(model.size)}")
    print(f"{'':<38}{'SSIM':>7}{'mask-SSIM':>11}{'PSNR':>8}{'VGG dist':>10}")
    for name, row in rows.items():
        print(
            f"{name:<38}{row['ssim']:>7.3f}{row['mask_ssim']:>11.3f}{row['psnr']:>8.2f}"
            f"{row['vgg_distance']:>10.1f}"
        )
    external_scores(args, generated, samples.images, pairs)
    if args.csv:
        with open(args.csv, "w", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(["method", "ssim", "mask_ssim", "psnr", "vgg_distance", "pairs"])
            for name, row in rows.items():
                writer.writerow(
                    [
                        name,
                        f"{row['ssim']:.4f}",
                        f"{row['mask_ssim']:.4f}",
                        f"{row['psnr']:.3f}",
                        f"{row['vgg_distance']:.2f}",
                        len(pairs),
                    ]
                )
    if args.sheet:
        write_image_rgb(args.sheet, evaluation.contact_sheet(samples, pairs, warped, generated))
        print(f"sheet: {args.sheet} (source | target pose | truth | part warp | network)")
    return 0


def _table_line(name: str, row: dict) -> str:
    return (
        f"{name:<44}{float(row['ssim']):>7.3f}{float(row['mask_ssim']):>11.3f}"
        f"{float(row['psnr']):>8.2f}{float(row['vgg_distance']):>10.1f}"
    )


def _header() -> str:
    return f"{'':<44}{'SSIM':>7}{'mask-SSIM':>11}{'PSNR':>8}{'VGG dist':>10}"


def _test_set(data, size, limit):
    from spt_core.data.dataset import PersonDataset
    from spt_core.data.samples import PersonSamples
    from spt_core.eval.appearance import ground_truth_pairs

    test = PersonDataset(data)
    samples = PersonSamples.from_dataset(test, size)
    return test, samples, ground_truth_pairs(test, limit)


def cmd_eval_ablation(args: argparse.Namespace) -> int:
    from spt_core.devices import resolve_device
    from spt_core.eval import ablation
    from spt_core.eval.appearance import score

    device = resolve_device(args.device)
    test, samples, pairs = _test_set(args.data, args.size, args.limit)
    print(f"{ablation.ROWS[args.row]}: {len(pairs)} held-out pairs of {test.root}")
    images, training = ablation.row_images(
        args.row, samples, pairs, args.model, args.semantic, device
    )
    scores = score(images, samples, pairs)
    table = ablation.write_row(args.csv, args.row, scores, len(pairs), training)
    ablation.save_row_images(args.csv, args.row, images, pairs)
    print(_header() + f"  {'training':<}")
    for row in table:
        print(_table_line(row["method"], row) + f"  {row['training']}")
    print(f"table: {args.csv}")
    external_scores(args, images, samples.images, pairs)
    return 0


def cmd_eval_sheet(args: argparse.Namespace) -> int:
    from spt_core.eval import ablation
    from spt_core.io_utils import write_image_rgb

    _, samples, _ = _test_set(args.data, args.size, None)
    sheet, rows = ablation.ablation_sheet(args.csv, samples, count=args.count)
    write_image_rgb(args.out, sheet)
    print(f"sheet: {args.out} (source | target pose | truth | {' | '.join(rows)})")
    return 0


def cmd_eval_model(args: argparse.Namespace) -> int:
    from spt_core.eval.ablation import pipeline_images
    from spt_core.eval.appearance import score
    from spt_core.pipeline import SPTPipeline

    pipe = SPTPipeline.from_pretrained(args.model, device=args.device)
    test, samples, pairs = _test_set(args.data, pipe.size, args.limit)
    print(
        f"model {pipe.name}: {len(pairs)} held-out pairs of {test.root} at {format_size(pipe.size)}"
    )
    print(_header())
    for name, predicted in (("predicted target parsing", True), ("true target parsing", False)):
        images = pipeline_images(pipe, samples, pairs, predicted)
        print(_table_line(name, score(images, samples, pairs)))
        external_scores(args, images, samples.images, pairs)
    return 0


def cmd_eval_transfer(args: argparse.Namespace) -> int:
    import numpy as np

    from spt_core import labels as lb
    from spt_core.data.dataset import PersonDataset, identity_of
    from spt_core.eval.transfer import evaluate_transfer
    from spt_core.pipeline import Person, SPTPipeline

    pipe = SPTPipeline.from_pretrained(args.model, device=args.device)
    data = PersonDataset(args.data)
    people = [
        Person(data.load_image(i), data.poses[i], data.load_parsing(i)) for i in range(len(data))
    ]
    label = lb.LABEL_INDEX[args.label]
    has = [i for i, p in enumerate(people) if (p.parsing == label).sum() >= 8]
    rng = np.random.default_rng(args.seed)
    pairs = []
    while len(pairs) < args.limit and len(has) > 1:
        a, b = rng.choice(has, size=2, replace=False)
        if identity_of(data.names[a]) != identity_of(data.names[b]):
            pairs.append((int(a), int(b)))
    summary = evaluate_transfer(pipe, people, pairs, label)
    print(
        f"model {pipe.name}: {args.label} of A onto B for {summary['pairs']} pairs of "
        f"different people in {data.root}"
    )
    print(
        f"  output closer to A's garment than to B's own (colour histogram): "
        f"{100 * summary['closer_to_clothes_histogram']:.1f}%"
    )
    print(
        f"  output closer to A's garment than to B's own (VGG Gram): "
        f"{100 * summary['closer_to_clothes_gram']:.1f}%"
    )
    print(
        f"  mean histogram distance to A's garment {summary['histogram_to_clothes']:.3f}, "
        f"to B's {summary['histogram_to_own']:.3f}"
    )
    print(
        f"  mean Gram distance to A's garment {summary['gram_to_clothes']:.4g}, "
        f"to B's {summary['gram_to_own']:.4g}"
    )
    print(f"  B's face: mean |output - B| = {summary['face_difference']:.2f} (0..255)")
    return 0


def register(commands) -> None:
    """Add this module's subcommands to the ``spt`` parser."""
    evaluate = commands.add_parser("eval", help="evaluate trained networks")
    eval_commands = evaluate.add_subparsers(dest="eval_command", required=True, metavar="WHAT")
    parsing = eval_commands.add_parser(
        "parsing", help="semantic network vs part warp vs pseudo labels (mIoU)"
    )
    add_path_arg(parsing, "model", "semantic checkpoint or run directory", required=True)
    add_option(parsing, "--data", help=HELD_OUT_HELP)
    add_path_arg(parsing, "--pseudo", "pseudo-label file, to score the search's own labels too")
    add_path_arg(parsing, "--pseudo-data", "the dataset the pseudo labels were searched on")
    add_options(parsing, "--limit", "--device")
    add_path_arg(parsing, "--csv", CSV_HELP)
    add_path_arg(parsing, "--json", "also write all figures")
    add_path_arg(parsing, "--sheet", SHEET_HELP)
    parsing.set_defaults(func=cmd_eval_parsing)

    appearance = eval_commands.add_parser(
        "appearance", help="appearance network vs part warp: SSIM, mask-SSIM, PSNR, VGG"
    )
    add_path_arg(appearance, "model", "appearance checkpoint or run directory", required=True)
    add_option(appearance, "--data", help=HELD_OUT_HELP)
    add_options(appearance, "--limit", "--device")
    add_path_arg(appearance, "--csv", CSV_HELP)
    add_path_arg(appearance, "--sheet", SHEET_HELP)
    add_external_metric_args(appearance)
    appearance.set_defaults(func=cmd_eval_appearance)

    ablation = eval_commands.add_parser(
        "ablation", help="one row of the ablation table (warp, baseline, ts-pred, ts-gt, e2e)"
    )
    ablation.add_argument("row", choices=["warp", "baseline", "ts-pred", "ts-gt", "e2e"])
    add_path_arg(ablation, "--model", "the row's run (appearance run; e2e: joint run or model)")
    add_path_arg(ablation, "--semantic", "ts-pred: semantic run")
    add_option(ablation, "--data", help=HELD_OUT_HELP)
    csv_help = "table to write the row into (other rows are kept)"
    add_path_arg(ablation, "--csv", csv_help, required=True)
    add_options(ablation, "--size", "--limit", "--device")
    add_external_metric_args(ablation)
    ablation.set_defaults(func=cmd_eval_ablation)

    sheet = eval_commands.add_parser("sheet", help="contact sheet of every ablation row")
    add_path_arg(sheet, "--csv", "the ablation table", required=True)
    add_option(sheet, "--data", help="the dataset it was run on")
    add_option(sheet, "--out", help=None)
    add_options(sheet, "--size")
    sheet.add_argument("--count", type=positive_int, default=8)
    sheet.set_defaults(func=cmd_eval_sheet)

    model = eval_commands.add_parser(
        "model", help="a whole model (predicted and true target maps): SSIM, PSNR, VGG"
    )
    add_path_arg(model, "model", SHIPPED_MODEL_HELP)
    add_option(model, "--data", help=None)
    add_option(model, "--limit", help=None)
    add_options(model, "--device")
    add_external_metric_args(model)
    model.set_defaults(func=cmd_eval_model)

    transfer = eval_commands.add_parser(
        "transfer", help="clothing transfer: does B's garment take A's texture, B's face stay?"
    )
    add_path_arg(transfer, "model", "model directory (default: the shipped model)")
    add_option(transfer, "--data", help=None)
    labels = ["upper_clothes", "pants", "skirt"]
    transfer.add_argument("--label", default="upper_clothes", choices=labels)
    add_option(transfer, "--limit", default=100, help="pairs (A, B) to try")
    transfer.add_argument("--seed", type=int, default=0)
    add_options(transfer, "--device")
    transfer.set_defaults(func=cmd_eval_transfer)
    evaluate_edits.register(eval_commands)
