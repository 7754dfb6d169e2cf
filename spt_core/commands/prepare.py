"""``spt prepare`` (photos -> dataset) and the options of ``spt train parser`` (registered by
train.py, whose ``cmd_train_parser`` runs it)."""

from __future__ import annotations

import argparse
from pathlib import Path

from spt_core.commands.common import parse_size

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
    prepare.add_argument("photos", type=Path, help="folder of photos, or one photo")
    prepare.add_argument("--out", type=Path, required=True, help="output dataset folder")
    prepare.add_argument(
        "--size",
        type=_model_size,
        default=(128, 64),
        help="model size HxW: 128x64 (Market) or 256x176 (DeepFashion)",
    )
    prepare.add_argument(
        "--parser",
        type=Path,
        default=None,
        help="parser run/checkpoint (spt train parser) instead of the rules",
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
    prepare.add_argument("--device", default="cpu", help="device of --parser (cpu, cuda, auto)")
    prepare.add_argument(
        "--overwrite", action="store_true", help="write over a previous spt prepare output in --out"
    )
    prepare.add_argument("--quiet", action="store_true", help="no progress bar")
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
    parser.add_argument(
        "--data",
        type=Path,
        required=True,
        help="dataset with parsing maps (spt synth output, or LIP merged)",
    )
    parser.add_argument("--out", type=Path, required=True, help="run directory")
    parser.add_argument("--steps", type=int, default=None)
    parser.add_argument("--batch-size", type=int, default=None)
    parser.add_argument("--lr", type=float, default=None)
    parser.add_argument(
        "--size",
        type=parse_size,
        default=None,
        help="network size HxW (default 128x64; divisible by 2**depth)",
    )
    parser.add_argument("--base-channels", type=int, default=None)
    parser.add_argument("--depth", type=int, default=None)
    parser.add_argument("--device", default="auto")
    parser.add_argument("--resume", action="store_true", help="continue the run in --out")
    parser.add_argument("--quiet", action="store_true")
    parser.set_defaults(func=cmd_train_parser)
