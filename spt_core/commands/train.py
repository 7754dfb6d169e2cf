"""``spt train semantic | appearance | posenet``."""

from __future__ import annotations

import argparse
from pathlib import Path

from spt_core.commands.common import parse_size, print_events
from spt_core.errors import SptError


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
    done = print_events(trainer.run(), train.steps, args.quiet or not trainer.dist.is_main)
    if done is not None:
        print(f"{done.reason} at step {done.step}; checkpoint {done.checkpoint}")
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
    done = print_events(trainer.run(), train.steps, args.quiet or not trainer.dist.is_main)
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
    done = print_events(trainer.run(), total, args.quiet or not trainer.dist.is_main)
    if done is not None:
        print(f"{done.reason} at step {done.step}; checkpoint {done.checkpoint}")
    return 0


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
