"""``spt train recipe``: the whole default-model recipe in one resumable command."""

from __future__ import annotations

import argparse
import dataclasses

from spt_core.commands.arguments import add_options
from spt_core.commands.common import non_negative_int, positive_int


def recipe_config(args: argparse.Namespace):
    """The recipe of the flags: the default (or ``--tiny``) with the steps given changed."""
    from spt_core.train.recipe import RecipeConfig

    config = RecipeConfig.tiny() if args.tiny else RecipeConfig()
    changes = {
        name: getattr(args, name)
        for name in (
            "semantic_steps",
            "posenet_steps",
            "appearance_steps",
            "joint_steps",
            "batch_size",
        )
        if getattr(args, name, None) is not None
    }
    if args.no_pose_loss:
        changes["posenet"] = None
    elif config.posenet is None and args.pose_loss:
        from spt_core.config import PoseNetConfig

        changes["posenet"] = PoseNetConfig(size=config.appearance.size)
    return dataclasses.replace(config, **changes)


def cmd_train_recipe(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from spt_core.train.events import StepEvent
    from spt_core.train.recipe import Recipe, StageEvent

    config = recipe_config(args)
    recipe = Recipe(args.data, args.out, config, device=args.device)
    steps = {
        "semantic": config.semantic_steps,
        "posenet": config.posenet_steps,
        "appearance": config.appearance_steps,
        "joint": config.joint_steps,
    }
    say = (lambda text: None) if args.quiet else print
    say(f"recipe: {' -> '.join(config.stages())} on {args.data} into {args.out}")
    bar = None
    for event in recipe.run():
        if isinstance(event, StageEvent):
            if bar is not None:
                bar.close()
                bar = None
            label = f"[{event.index + 1}/{event.count}] {event.stage}"
            say(f"{label}: {STATUS[event.status]}")
            if event.status == "start" and event.stage in steps and not args.quiet:
                bar = tqdm(total=steps[event.stage], unit="step", desc=event.stage)
        elif isinstance(event, StepEvent) and bar is not None:
            bar.n = event.step
            bar.set_postfix({k: f"{v:.3f}" for k, v in event.losses.items()}, refresh=False)
            bar.refresh()
    if bar is not None:
        bar.close()
    if "export" in recipe.done:
        print(f"model: {recipe.model_dir}")
    else:
        print(f"stopped; run the same command again to resume ({args.out})")
    return 0


STATUS = {"start": "started", "done": "done", "skipped": "done before, skipped"}


def register(train_commands) -> None:
    """Add ``spt train recipe`` to the ``spt train`` subcommands."""
    recipe = train_commands.add_parser(
        "recipe",
        help="the whole recipe: search, semantic, posenet, appearance, joint, export",
        description="Train a model from a dataset in one command. Every stage is resumable: "
        "run the same command again after a stop or a crash and it continues where it was.",
    )
    add_options(recipe, "--data", "--out")
    recipe.add_argument("--tiny", action="store_true", help="a 32x16 recipe of a few steps")
    for stage in ("semantic", "posenet", "appearance", "joint"):
        kind = non_negative_int if stage == "joint" else positive_int
        recipe.add_argument(f"--{stage}-steps", type=kind, default=None)
    recipe.add_argument(
        "--batch-size",
        type=positive_int,
        default=None,
        help="samples per step, every stage (default 8; a GPU takes far more)",
    )
    pose = recipe.add_mutually_exclusive_group()
    pose.add_argument("--pose-loss", action="store_true", help="train P and use the pose loss")
    pose.add_argument("--no-pose-loss", action="store_true", help="leave the pose loss out")
    add_options(recipe, "--device")
    recipe.add_argument("--quiet", action="store_true")
    recipe.set_defaults(func=cmd_train_recipe)
