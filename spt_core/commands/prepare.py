"""``spt prepare`` (photos -> dataset) and the options of ``spt train parser`` (registered by
train.py, whose ``cmd_train_parser`` runs it)."""

from __future__ import annotations

import argparse

from spt_core.commands.arguments import (
    RESUME_HELP,
    add_flag,
    add_option,
    add_options,
    add_path_arg,
    add_quiet_arg,
    add_run_control_args,
)
from spt_core.commands.common import parse_size, positive_int

SIZES = ((128, 64), (256, 176))


def cmd_prepare(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from spt_core.prepare.detect import PoseDetector
    from spt_core.prepare.pipeline import prepare_photos

    # First the detector: without the extra this explains how to install it (exit status 2).
    detector = PoseDetector(min_visibility=args.min_visibility, mirror_average=args.mirror_average)
    parser = None
    if args.parser is not None:
        from spt_core.prepare.parser_predictor import ParserPredictor

        parser = ParserPredictor(args.parser, device=args.device)
    bar = tqdm(total=None, unit="photo", desc="prepare", disable=args.quiet)

    def progress(done: int, total: int, name: str) -> None:
        bar.total = total
        bar.set_postfix_str(name, refresh=False)
        bar.update(done - bar.n)

    try:
        report = prepare_photos(
            args.photos, args.out, args.size, detector, parser, progress, overwrite=args.overwrite
        )
    finally:
        bar.close()
        detector.close()
    for line in report.lines():
        print(line)
    if report.written:
        print(f"parsing: {'rules' if parser is None else parser.name}; check it in the editor")
    return 0 if report.written and not report.failed else 1


def _model_size(text: str) -> tuple[int, int]:
    size = parse_size(text)
    if size not in SIZES:
        shown = " or ".join(f"{h}x{w}" for h, w in SIZES)
        raise argparse.ArgumentTypeError(f"size must be {shown} (the models' sizes), got {text!r}")
    return size


def register(commands) -> None:
    """Add ``spt prepare`` to the ``spt`` parser."""
    prepare = commands.add_parser(
        "prepare",
        help="keypoints, person mask and initial parsing for your own photos (detect extra)",
        description="For every photo: BlazePose keypoints mapped to the 18 OpenPose joints, a "
        "person mask, the crop/resize/pad to the model's size and an initial 10-label parsing "
        "(rules, or --parser). Writes the dataset layout of `spt synth` plus prepare.json "
        "(how to map results back to each photo). Needs: pip install 'spt-studio[detect]'.",
    )
    add_path_arg(prepare, "photos", "folder of photos, or one photo", required=True)
    add_option(prepare, "--out", help="output dataset folder")
    size_help = "model size HxW: 128x64 (Market) or 256x176 (DeepFashion)"
    add_option(prepare, "--size", type=_model_size, help=size_help)
    add_path_arg(
        prepare, "--parser", "parser run/checkpoint (spt train parser) instead of the rules"
    )
    prepare.add_argument(
        "--min-visibility",
        type=float,
        default=0.5,
        help="BlazePose visibility below which a joint is missing (0.5)",
    )
    prepare.add_argument(
        "--no-mirror-average",
        dest="mirror_average",
        action="store_false",
        help="one BlazePose pass per photo instead of averaging it with the mirrored photo's "
        "(twice as fast, less accurate: docs/prepare.md)",
    )
    add_option(prepare, "--device", default="cpu", help="device of --parser (cpu, cuda, auto)")
    add_flag(prepare, "--overwrite", "write over a previous spt prepare output in --out")
    add_quiet_arg(prepare)
    prepare.set_defaults(func=cmd_prepare)


def register_parser_training_command(train_commands) -> None:
    """Add ``spt train parser`` (training of the human parser) to the ``spt train`` subcommands.

    Its command, :func:`spt_core.commands.train.cmd_train_parser`, builds the trainer through
    the trainer factory like every other ``spt train`` command.
    """
    from spt_core.commands.train import cmd_train_parser

    parser = train_commands.add_parser(
        "parser", help="train the human parser used by spt prepare --parser"
    )
    add_option(parser, "--data", help="dataset with parsing maps (spt synth output, or LIP merged)")
    add_options(parser, "--out", "--steps", "--batch-size", "--lr")
    size_help = "network size HxW (default 128x64; divisible by 2**depth)"
    add_option(parser, "--size", default=None, help=size_help)
    add_option(parser, "--base-channels", default=None)
    parser.add_argument("--depth", type=positive_int, default=None)
    add_run_control_args(parser, resume_help=RESUME_HELP)
    parser.set_defaults(func=cmd_train_parser)
