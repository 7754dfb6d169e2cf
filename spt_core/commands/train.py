"""``spt train semantic | appearance | joint | posenet | parser | recipe``.

Every trainer is built by :func:`spt_core.train.factory.build_trainer`. ``spt train parser`` is
registered beside ``spt prepare`` (its use), but its command lives here with the others.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

from spt_core.commands.arguments import (
    DEVICE_HELP,
    RESUME_HELP,
    add_flag,
    add_option,
    add_options,
    add_path_arg,
    add_run_control_args,
)
from spt_core.commands.common import (
    format_size,
    given,
    non_negative_int,
    positive_int,
    print_events,
)
from spt_core.errors import SptError


def _train_config(args: argparse.Namespace):
    """TrainConfig defaults overridden by the flags the user gave."""
    import dataclasses

    from spt_core.config import TrainConfig

    names = ("steps", "batch_size", "lr", "seed", "checkpoint_every")
    flags = given({name: getattr(args, name, None) for name in names})
    return dataclasses.replace(TrainConfig(device=args.device), **flags)


def _run(trainer, args: argparse.Namespace, summary: str) -> int:
    """Print the summary (main process), drive the events with a progress bar, report the end."""
    quiet = args.quiet or not trainer.dist.is_main
    if not quiet:
        print(summary)
    done = print_events(trainer.run(), trainer.train.steps, quiet)
    if done is not None:
        print(f"{done.reason} at step {done.step}; checkpoint {done.checkpoint}")
    return 0


def _schedule(trainer) -> str:
    """'2000 steps of 8': how long the run trains, in its summary line."""
    return f"{trainer.train.steps} steps of {trainer.train.batch_size}"


def _posenet_note(trainer) -> str:
    """The summary's warning when the pose loss is off for want of --posenet."""
    return "" if trainer.posenet is not None else " (no --posenet: pose loss off)"


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
    return _run(
        trainer,
        args,
        f"semantic network: {len(trainer.pairs)} pseudo-label pairs at {format_size(model.size)}, "
        f"{_schedule(trainer)}, device {trainer.device}, {trainer.dist.world_size} process(es)",
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
        torso_mask=args.torso_mask,
        identity_part=args.identity_part,
        label_gate=args.label_gate,
        upsample=args.upsample,
        colour_hint=args.colour_hint,
    )
    losses = AppearanceLossWeights(
        style_variant="mask" if args.baseline else args.style,
        pixels=args.pixels,
        label_colours=args.label_colours,
    )
    progressive = ProgressiveConfig(
        global_from=str(args.global_from or ""),
        **given({"fix_global_steps": args.fix_global_steps, "fade_in_steps": args.fade_in_steps}),
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
            f"appearance network: {len(trainer.samples)} images at {format_size(model.size)}, "
            f"{what}, {_schedule(trainer)}, device {trainer.device}{_posenet_note(trainer)}"
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
    size = trainer.architecture.size
    semantic_size = tuple(trainer.semantic_architecture.size)
    where = format_size(size) + (
        ""
        if semantic_size == tuple(size)
        else f" (semantic network at {format_size(semantic_size)}, upsampled)"
    )
    return _run(
        trainer,
        args,
        (
            f"end-to-end: {len(trainer.pairs)} pseudo-label pairs at {where}, "
            f"cross-entropy weight {semantic_losses.cross_entropy}, {_schedule(trainer)}, "
            f"device {trainer.device}{_posenet_note(trainer)}"
        ),
    )


def _loading(args: argparse.Namespace, what: str, size: tuple[int, int]) -> None:
    """Say that images are being read (rank 0 of torchrun alone; it can take a while)."""
    import os

    if not args.quiet and os.environ.get("RANK", "0") == "0":
        print(f"loading the {what} of {args.data} at {format_size(size)}")


def _train_with_changes(
    args: argparse.Namespace, network: str, changes: dict, what: str, summary: Callable
) -> int:
    """Train ``network`` from its run sections with the flags' ``changes``.

    Options left out (None) are the defaults for a new run and the checkpoint's values on
    --resume; a changed architecture is refused on resume. ``what`` names the data being loaded,
    ``summary(trainer, model)`` is the line printed before training.
    """
    from spt_core.train.factory import build_trainer, run_sections

    sections = run_sections(network, args.out, args.resume, data_dir=args.data, changes=changes)
    model = sections["model"]
    _loading(args, what, model.size)
    trainer = build_trainer(network, args.data, args.out, sections, args.resume)
    return _run(trainer, args, summary(trainer, model))


def _posenet_summary(trainer, model) -> str:
    return (
        f"pose regressor: {len(trainer.images)} images at {format_size(model.size)}, "
        f"{model.n_blocks} blocks of width {model.base_channels * 2**model.n_downsampling}, "
        f"{_schedule(trainer)}, flip {'on' if model.flip else 'off'}, "
        f"device {trainer.device}, {trainer.dist.world_size} process(es)"
    )


def cmd_train_posenet(args: argparse.Namespace) -> int:
    """``spt train posenet``: the pose regressor P, through the trainer factory."""
    # Left out, the network is at the dataset's size.
    changes = {
        "train": {"steps": args.steps, "batch_size": args.batch_size, "device": args.device},
        "model": {
            "size": args.size,
            "base_channels": args.base_channels,
            "n_blocks": args.n_blocks,
        },
    }
    return _train_with_changes(args, "posenet", changes, "images", _posenet_summary)


def _parser_summary(trainer, model) -> str:
    return (
        f"human parser: {len(trainer.data)} images at {format_size(model.size)}, depth "
        f"{model.depth}, base {model.base_channels}, {_schedule(trainer)}, device {trainer.device}"
    )


def cmd_train_parser(args: argparse.Namespace) -> int:
    """``spt train parser``: the human parser, through the trainer factory (its options are
    registered by :mod:`spt_core.commands.prepare`)."""
    # The parser's default schedule is Adam at 1e-3, beta1 0.9.
    schedule = ("steps", "batch_size", "lr", "device")
    changes = {
        "train": {name: getattr(args, name) for name in schedule},
        "model": {"size": args.size, "base_channels": args.base_channels, "depth": args.depth},
    }
    return _train_with_changes(args, "parser", changes, "images with parsing", _parser_summary)


def _add_appearance_options(parser: argparse.ArgumentParser) -> None:
    """The options of ``spt train appearance`` that no other network has."""
    parser.add_argument(
        "--parsing",
        choices=["gt", "predicted"],
        default="gt",
        help="target parsing: the target image's map (TS-GT) or H_S's",
    )
    add_path_arg(parser, "--semantic", "semantic run/checkpoint for --parsing predicted")
    add_path_arg(parser, "--posenet", "pose regressor run/checkpoint (spt train posenet)")
    add_flag(
        parser,
        "--baseline",
        "the ablation's Baseline: no semantic maps in G_A / D_A, mask-style loss",
    )
    parser.add_argument(
        "--style",
        choices=["semantic", "mask", "patch"],
        default="semantic",
        help="style loss variant (semantic: the method; mask / patch: ablations)",
    )
    add_path_arg(
        parser, "--init", "start from this appearance run/checkpoint's weights (fine-tuning)"
    )
    parser.add_argument(
        "--torso-mask",
        choices=["full", "box", "body"],
        default="full",
        help="the torso part's mask in the deformable skips: full (the authors' code: the "
        "whole image), box, or body (the torso itself; decision 0006)",
    )
    parser.add_argument(
        "--pixels",
        type=float,
        default=0.0,
        help="weight of the kept-pixel and cycle L1 terms (0: the authors' losses; decision 0006)",
    )
    parser.add_argument(
        "--label-colours",
        type=float,
        default=0.0,
        help="weight of the mean-colour-per-label term (0: the authors' losses; decision 0006)",
    )
    parser.add_argument(
        "--upsample",
        choices=["transpose", "resize"],
        default="transpose",
        help="G_A's up blocks: transpose (Def-GAN) or resize (nearest x2 + conv: no "
        "checkerboard; decision 0006)",
    )
    add_flag(
        parser,
        "--identity-part",
        "an unwarped part carrying the source where source and target show the same label at "
        "the same place (decision 0006)",
    )
    add_flag(
        parser,
        "--label-gate",
        "skips carry source appearance only where the part-warped source label is the "
        "target's (decision 0006)",
    )
    add_flag(
        parser,
        "--colour-hint",
        "the target encoder also reads the label fill: the source's colours laid into the "
        "target parsing (decision 0007; with --init from a run without it, the new inputs "
        "start at zero weight)",
    )
    add_flag(
        parser,
        "--face-gan",
        "add the face crop and D_F (method §4.3; with --local-enhancer D_F fades in too)",
    )
    add_flag(
        parser,
        "--local-enhancer",
        "256-px model: global part at half --size plus the local enhancer (needs an "
        "even --size; see --global-from)",
    )
    add_path_arg(
        parser,
        "--global-from",
        "128-px appearance run whose generator, D_A and D_F start the global part "
        "(the 256-px schedule, method §5.1)",
    )
    parser.add_argument(
        "--fix-global-steps",
        type=non_negative_int,
        default=None,
        help="steps that train the local enhancer alone (default 1000)",
    )
    parser.add_argument(
        "--fade-in-steps",
        type=non_negative_int,
        default=None,
        help="steps over which alpha rises from 0 to 1 (default 2000; 0: alpha 1 throughout)",
    )


def register(commands) -> None:
    """Add this module's subcommands to the ``spt`` parser."""
    train = commands.add_parser("train", help="train the networks")
    train_commands = train.add_subparsers(dest="train_command", required=True, metavar="NETWORK")
    semantic = train_commands.add_parser(
        "semantic", help="pre-train the semantic network on pseudo labels"
    )
    add_options(semantic, "--data", "--pseudo", "--out", "--steps", "--batch-size", "--lr")
    add_option(semantic, "--size", help="network size HxW (128x64, or 128x128 for 256-px data)")
    add_options(semantic, "--base-channels", "--max-channels")
    semantic.add_argument("--depth", type=positive_int, default=5)
    add_options(semantic, "--checkpoint-every", "--seed")
    add_run_control_args(semantic, device_help=DEVICE_HELP, resume_help=RESUME_HELP)
    semantic.set_defaults(func=cmd_train_semantic)

    appearance = train_commands.add_parser(
        "appearance", help="train the appearance network (unpaired: cycle, style, pose, GAN)"
    )
    add_options(appearance, "--data", "--out")
    _add_appearance_options(appearance)
    add_options(appearance, "--steps", "--batch-size", "--lr", "--seed", "--size")
    add_options(appearance, "--base-channels", "--max-channels", "--checkpoint-every")
    add_run_control_args(appearance)
    appearance.set_defaults(func=cmd_train_appearance)

    joint = train_commands.add_parser(
        "joint",
        help="train both networks end to end (from pre-trained semantic and appearance runs)",
    )
    add_options(joint, "--data", "--pseudo")
    add_path_arg(joint, "--semantic", "pre-trained semantic run")
    add_path_arg(joint, "--appearance", "pre-trained appearance run")
    add_options(joint, "--out")
    joint.add_argument(
        "--cross-entropy",
        type=float,
        default=None,
        help="weight of the pseudo-label cross-entropy (default: the pre-training weight)",
    )
    add_path_arg(joint, "--posenet", "pose regressor run")
    add_options(joint, "--steps", "--batch-size", "--lr", "--seed", "--checkpoint-every")
    add_run_control_args(joint)
    joint.set_defaults(func=cmd_train_joint)

    posenet = train_commands.add_parser(
        "posenet", help="train the pose regressor P used by the appearance network's pose loss"
    )
    add_options(posenet, "--data", "--out", "--steps", "--batch-size")
    size_help = "network size HxW (default: the dataset's image size)"
    add_option(posenet, "--size", default=None, help=size_help)
    add_option(posenet, "--base-channels", default=None)
    posenet.add_argument("--n-blocks", type=positive_int, default=None)
    add_run_control_args(posenet)
    posenet.set_defaults(func=cmd_train_posenet)

    from spt_core.commands import recipe
    from spt_core.commands.prepare import register_parser_training_command

    recipe.register(train_commands)

    register_parser_training_command(train_commands)
