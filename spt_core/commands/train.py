"""``spt train semantic | appearance | joint | posenet | parser``.

Every trainer is built by :func:`spt_core.train.factory.build_trainer`. ``spt train parser`` is
registered beside ``spt prepare`` (its use), but its command lives here with the others.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from spt_core.commands.common import parse_size, print_events
from spt_core.errors import SptError


def _train_config(args: argparse.Namespace):
    """TrainConfig defaults overridden by the flags the user gave."""
    import dataclasses

    from spt_core.config import TrainConfig

    given = {
        name: getattr(args, name, None)
        for name in ("steps", "batch_size", "lr", "seed", "checkpoint_every")
    }
    return dataclasses.replace(
        TrainConfig(device=args.device), **{k: v for k, v in given.items() if v is not None}
    )


def _run(trainer, args: argparse.Namespace, summary: str) -> int:
    """Print the summary (main process), drive the events with a progress bar, report the end."""
    quiet = args.quiet or not trainer.dist.is_main
    if not quiet:
        print(summary)
    done = print_events(trainer.run(), trainer.train.steps, quiet)
    if done is not None:
        print(f"{done.reason} at step {done.step}; checkpoint {done.checkpoint}")
    return 0


def cmd_train_semantic(args: argparse.Namespace) -> int:
    from spt_core.config import SemanticNetConfig, SemanticRunInputs
    from spt_core.train.factory import build_trainer

    model = SemanticNetConfig(
        size=args.size,
        base_channels=args.base_channels,
        max_channels=args.max_channels,
        depth=args.depth,
    )
    sections = {
        "train": _train_config(args),
        "model": model,
        "inputs": SemanticRunInputs(pseudo_labels=str(args.pseudo)),
    }
    trainer = build_trainer("semantic", args.data, args.out, sections, args.resume)
    train = trainer.train
    return _run(
        trainer,
        args,
        (
            f"semantic network: {len(trainer.pairs)} pseudo-label pairs at {model.size[0]}x"
            f"{model.size[1]}, {train.steps} steps of {train.batch_size}, device "
            f"{trainer.device}, {trainer.dist.world_size} process(es)"
        ),
    )


def cmd_train_appearance(args: argparse.Namespace) -> int:
    from spt_core.config import (
        AppearanceLossWeights,
        AppearanceNetConfig,
        AppearanceRunInputs,
        ProgressiveConfig,
    )
    from spt_core.train.factory import build_trainer

    if args.baseline and args.parsing == "predicted":
        raise SptError("--baseline uses no semantic maps; drop --parsing predicted")
    if args.parsing == "predicted" and args.semantic is None:
        raise SptError("--parsing predicted needs --semantic RUN_OR_CHECKPOINT")
    if args.global_from is not None and not args.local_enhancer:
        raise SptError("--global-from starts a local enhancer's global part; add --local-enhancer")
    model = AppearanceNetConfig(
        size=args.size,
        base_channels=args.base_channels,
        max_channels=args.max_channels,
        parsing_channels=0 if args.baseline else 9,
        local_enhancer=args.local_enhancer,
        face_gan=args.face_gan,
        # D_F grows with the local enhancer (method §4.3); a 128-px D_F is plain.
        face_fade_in=args.face_gan and args.local_enhancer,
    )
    losses = AppearanceLossWeights(style_variant="mask" if args.baseline else args.style)
    progressive = ProgressiveConfig(
        global_from=str(args.global_from or ""),
        **{
            name: value
            for name, value in (
                ("fix_global_steps", args.fix_global_steps),
                ("fade_in_steps", args.fade_in_steps),
            )
            if value is not None
        },
    )
    inputs = AppearanceRunInputs(
        parsing=args.parsing,
        semantic=str(args.semantic or ""),
        posenet=str(args.posenet or ""),
        init=str(args.init or ""),
    )
    sections = {
        "train": _train_config(args),
        "model": model,
        "losses": losses,
        "progressive": progressive,
        "inputs": inputs,
    }
    trainer = build_trainer("appearance", args.data, args.out, sections, args.resume)
    train = trainer.train
    note = "" if trainer.posenet is not None else " (no --posenet: pose loss off)"
    what = (
        "Baseline: no semantic maps, mask-style"
        if args.baseline
        else f"target parsing {args.parsing}, {losses.style_variant}-style"
    )
    if model.face_gan:
        what += ", face GAN"
    if model.local_enhancer:
        what += (
            f", local enhancer (global part fixed for {progressive.fix_global_steps} steps, "
            f"alpha 0 -> 1 over {progressive.fade_in_steps})"
        )
    return _run(
        trainer,
        args,
        (
            f"appearance network: {len(trainer.samples)} images at "
            f"{model.size[0]}x{model.size[1]}, "
            f"{what}, {train.steps} steps of {train.batch_size}, device {trainer.device}{note}"
            + (f", starting from {args.init}" if args.init else "")
            + (f", global part from {args.global_from}" if args.global_from else "")
        ),
    )


def cmd_train_joint(args: argparse.Namespace) -> int:
    from spt_core.config import AppearanceLossWeights, JointRunInputs, SemanticLossWeights
    from spt_core.train.factory import build_trainer

    semantic_losses = SemanticLossWeights(
        **({} if args.cross_entropy is None else {"cross_entropy": args.cross_entropy})
    )
    # The architectures come from the starting checkpoints (or the run, on resume), never
    # from repeated flags.
    inputs = JointRunInputs(
        semantic=str(args.semantic or ""),
        appearance=str(args.appearance or ""),
        pseudo_labels=str(args.pseudo),
        posenet=str(args.posenet or ""),
    )
    sections = {
        "train": _train_config(args),
        "losses": AppearanceLossWeights(),
        "semantic_losses": semantic_losses,
        "inputs": inputs,
    }
    trainer = build_trainer("joint", args.data, args.out, sections, args.resume)
    train, size = trainer.train, trainer.model.size
    semantic_size = tuple(trainer.semantic_model.size)
    where = f"{size[0]}x{size[1]}" + (
        ""
        if semantic_size == tuple(size)
        else f" (semantic network at {semantic_size[0]}x{semantic_size[1]}, upsampled)"
    )
    return _run(
        trainer,
        args,
        (
            f"end-to-end: {len(trainer.pairs)} pseudo-label pairs at {where}, "
            f"cross-entropy weight {semantic_losses.cross_entropy}, {train.steps} steps of "
            f"{train.batch_size}, device {trainer.device}"
            + ("" if trainer.posenet is not None else " (no --posenet: pose loss off)")
        ),
    )


def _loading(args: argparse.Namespace, what: str, size: tuple[int, int]) -> None:
    """Say that images are being read (rank 0 of torchrun alone; it can take a while)."""
    import os

    if not args.quiet and os.environ.get("RANK", "0") == "0":
        print(f"loading the {what} of {args.data} at {size[0]}x{size[1]}")


def cmd_train_posenet(args: argparse.Namespace) -> int:
    """``spt train posenet``: the pose regressor P, through the trainer factory."""
    from spt_core.train.factory import build_trainer, run_sections

    # Options left out are the defaults (the network at the dataset's size) for a new run and
    # the checkpoint's values on --resume; a changed architecture is refused on resume.
    sections = run_sections(
        "posenet",
        args.out,
        args.resume,
        data_dir=args.data,
        changes={
            "train": {"steps": args.steps, "batch_size": args.batch_size, "device": args.device},
            "model": {
                "size": args.size,
                "base_channels": args.base_channels,
                "n_blocks": args.n_blocks,
            },
        },
    )
    model = sections["model"]
    _loading(args, "images", model.size)
    trainer = build_trainer("posenet", args.data, args.out, sections, args.resume)
    train = trainer.train
    return _run(
        trainer,
        args,
        (
            f"pose regressor: {len(trainer.images)} images at {model.size[0]}x{model.size[1]}, "
            f"{model.n_blocks} blocks of width {model.base_channels * 2**model.n_downsampling}, "
            f"{train.steps} steps of {train.batch_size}, flip {'on' if model.flip else 'off'}, "
            f"device {trainer.device}, {trainer.dist.world_size} process(es)"
        ),
    )


def cmd_train_parser(args: argparse.Namespace) -> int:
    """``spt train parser``: the human parser, through the trainer factory (its options are
    registered by :mod:`spt_core.commands.prepare`)."""
    from spt_core.train.factory import build_trainer, run_sections

    # As for the pose regressor: left-out options are the defaults or, on --resume, the
    # checkpoint's (the parser's default schedule is Adam at 1e-3, beta1 0.9).
    sections = run_sections(
        "parser",
        args.out,
        args.resume,
        data_dir=args.data,
        changes={
            "train": {
                "steps": args.steps,
                "batch_size": args.batch_size,
                "lr": args.lr,
                "device": args.device,
            },
            "model": {"size": args.size, "base_channels": args.base_channels, "depth": args.depth},
        },
    )
    model = sections["model"]
    _loading(args, "images with parsing", model.size)
    trainer = build_trainer("parser", args.data, args.out, sections, args.resume)
    train = trainer.train
    return _run(
        trainer,
        args,
        (
            f"human parser: {len(trainer.data)} images at {model.size[0]}x{model.size[1]}, "
            f"depth {model.depth}, base {model.base_channels}, {train.steps} steps of "
            f"{train.batch_size}, device {trainer.device}"
        ),
    )


def register(commands) -> None:
    """Add this module's subcommands to the ``spt`` parser."""
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
    appearance.add_argument(
        "--baseline",
        action="store_true",
        help="the ablation's Baseline: no semantic maps in G_A / D_A, mask-style loss",
    )
    appearance.add_argument(
        "--style",
        choices=["semantic", "mask", "patch"],
        default="semantic",
        help="style loss variant (semantic: the method; mask / patch: ablations)",
    )
    appearance.add_argument(
        "--init",
        type=Path,
        default=None,
        help="start from this appearance run/checkpoint's weights (fine-tuning)",
    )
    appearance.add_argument(
        "--face-gan",
        action="store_true",
        help="add the face crop and D_F (method §4.3; with --local-enhancer D_F fades in too)",
    )
    appearance.add_argument(
        "--local-enhancer",
        action="store_true",
        help="256-px model: global part at half --size plus the local enhancer (needs an "
        "even --size; see --global-from)",
    )
    appearance.add_argument(
        "--global-from",
        type=Path,
        default=None,
        help="128-px appearance run whose generator, D_A and D_F start the global part "
        "(the 256-px schedule, method §5.1)",
    )
    appearance.add_argument(
        "--fix-global-steps",
        type=int,
        default=None,
        help="steps that train the local enhancer alone (default 1000)",
    )
    appearance.add_argument(
        "--fade-in-steps",
        type=int,
        default=None,
        help="steps over which alpha rises from 0 to 1 (default 2000; 0: alpha 1 throughout)",
    )
    appearance.add_argument("--steps", type=int, default=None)
    appearance.add_argument("--batch-size", type=int, default=None)
    appearance.add_argument("--lr", type=float, default=None)
    appearance.add_argument("--seed", type=int, default=None)
    appearance.add_argument("--size", type=parse_size, default=(128, 64))
    appearance.add_argument("--base-channels", type=int, default=64)
    appearance.add_argument("--max-channels", type=int, default=512)
    appearance.add_argument("--checkpoint-every", type=int, default=None)
    appearance.add_argument("--device", default="auto")
    appearance.add_argument("--resume", action="store_true")
    appearance.add_argument("--quiet", action="store_true")
    appearance.set_defaults(func=cmd_train_appearance)

    joint = train_commands.add_parser(
        "joint",
        help="train both networks end to end (from pre-trained semantic and appearance runs)",
    )
    joint.add_argument("--data", type=Path, required=True, help="dataset folder")
    joint.add_argument("--pseudo", type=Path, required=True, help="pseudo-label file")
    joint.add_argument("--semantic", type=Path, default=None, help="pre-trained semantic run")
    joint.add_argument("--appearance", type=Path, default=None, help="pre-trained appearance run")
    joint.add_argument("--out", type=Path, required=True, help="run directory")
    joint.add_argument(
        "--cross-entropy",
        type=float,
        default=None,
        help="weight of the pseudo-label cross-entropy (default: the pre-training weight)",
    )
    joint.add_argument("--posenet", type=Path, default=None, help="pose regressor run")
    joint.add_argument("--steps", type=int, default=None)
    joint.add_argument("--batch-size", type=int, default=None)
    joint.add_argument("--lr", type=float, default=None)
    joint.add_argument("--seed", type=int, default=None)
    joint.add_argument("--checkpoint-every", type=int, default=None)
    joint.add_argument("--device", default="auto")
    joint.add_argument("--resume", action="store_true")
    joint.add_argument("--quiet", action="store_true")
    joint.set_defaults(func=cmd_train_joint)

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

    from spt_core.commands.prepare import register_parser_training_command

    register_parser_training_command(train_commands)
