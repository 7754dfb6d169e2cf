"""``spt repose | render | transfer | export``: the inference pipeline from the command line.

People are person folders (``image.png``, ``parsing.png``, ``pose.json``; see
:mod:`spt_core.person_files`) or separate ``--image/--pose/--parsing`` files. Without
``--model`` the shipped default model is used; without people, the shipped samples.
"""

from __future__ import annotations

import argparse
from pathlib import Path

SAMPLES_DIR = Path(__file__).resolve().parents[2] / "resources" / "samples"
DEFAULT_SOURCE = "person_a"
DEFAULT_TARGET = "person_b"


def _sample(name: str) -> Path:
    return SAMPLES_DIR / name


def _person(folder, image=None, pose=None, parsing=None, default: str | None = None):
    from spt_core.person_files import read_person

    if folder is None and image is None and default is not None:
        folder = _sample(default)
    return read_person(folder, image, pose, parsing)


def _pipeline(args):
    from spt_core.pipeline import SPTPipeline

    return SPTPipeline.from_pretrained(args.model, device=args.device)


def _save(path: Path, image, what: str = "result") -> None:
    from spt_core.io_utils import write_image_rgb

    write_image_rgb(path, image)
    print(f"{what}: {path}")


def _strip(tiles, scale: int = 2):
    """Tiles of one height side by side with white gaps, enlarged ``scale`` times."""
    from spt_core.sheets import tile_sheet

    return tile_sheet([tiles], gap=3, scale=scale)


def cmd_repose(args: argparse.Namespace) -> int:
    import time

    from spt_core import labels as lb
    from spt_core import skeleton as sk
    from spt_core.person_files import read_pose_file

    source = _person(args.source, args.image, args.pose, args.parsing, DEFAULT_SOURCE)
    target = (
        args.target_pose
        if args.target_pose is not None
        else (args.target if args.target is not None else _sample(DEFAULT_TARGET))
    )
    target_pose = read_pose_file(target)
    pipe = _pipeline(args)
    start = time.perf_counter()
    result = pipe.repose(source, target_pose)
    elapsed = time.perf_counter() - start
    print(
        f"model {pipe.name} on {pipe.device}: {pipe.size[0]}x{pipe.size[1]} in "
        f"{elapsed * 1000:.0f} ms"
    )
    _save(args.out, result.image)
    if args.parsing_out:
        lb.write_parsing(args.parsing_out, result.parsing)
        print(f"predicted parsing: {args.parsing_out}")
    if args.sheet:
        fitted_target = pipe.fit_pose(target_pose, source.image.shape[:2], 1)[0]
        blank = sk.draw_skeleton(result.image * 0, fitted_target)
        tiles = [
            result.source.image,
            lb.colorize(result.source.parsing),
            blank,
            lb.colorize(result.parsing),
            result.image,
        ]
        _save(
            args.sheet,
            _strip(tiles),
            "sheet (source | parsing | target pose | predicted parsing | result)",
        )
    return 0


def cmd_render(args: argparse.Namespace) -> int:
    from spt_core import labels as lb
    from spt_core.person_files import read_pose_file

    source = _person(args.source, args.image, args.pose, args.parsing, DEFAULT_SOURCE)
    target_parsing = lb.read_parsing(args.target_parsing)
    target_pose = source.pose if args.target_pose is None else read_pose_file(args.target_pose)
    pipe = _pipeline(args)
    _save(args.out, pipe.render(source, target_pose, target_parsing))
    return 0


def cmd_transfer(args: argparse.Namespace) -> int:
    from spt_core import labels as lb
    from spt_core.errors import SptError

    names = [n.strip() for n in args.labels.split(",") if n.strip()]
    unknown = [n for n in names if n not in lb.LABEL_INDEX]
    if unknown or not names:
        raise SptError(
            f"--labels: unknown label(s) {', '.join(unknown) or '(none)'}; choose "
            f"from {', '.join(lb.LABEL_NAMES[1:])}"
        )
    clothes = _person(args.clothes_from, default=DEFAULT_TARGET)
    onto = _person(args.onto, default=DEFAULT_SOURCE)
    target_pose = None
    if args.target_pose is not None:
        from spt_core.person_files import read_pose_file

        target_pose = read_pose_file(args.target_pose)
    pipe = _pipeline(args)
    chosen = [lb.LABEL_INDEX[n] for n in names]
    out = pipe.transfer(clothes_from=clothes, onto=onto, labels=chosen, target_pose=target_pose)
    _save(args.out, out)
    if args.sheet:
        fitted_a, fitted_b = pipe.fit(clothes), pipe.fit(onto)
        _save(
            args.sheet,
            _strip([fitted_b.image, fitted_a.image, out]),
            "sheet (onto | clothes from | result)",
        )
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from spt_core.pipeline import SPTPipeline

    if args.appearance is not None:
        if args.semantic is None:
            from spt_core.errors import SptError

            raise SptError("--appearance needs --semantic too (a two-stage model)")
        pipe = SPTPipeline.from_checkpoints(args.semantic, args.appearance, device="cpu")
    elif args.run is not None:
        pipe = SPTPipeline.from_pretrained(args.run, device="cpu")
    else:
        from spt_core.errors import SptError

        raise SptError("spt export needs an end-to-end RUN, or --semantic and --appearance")
    card = args.card.read_text() if args.card is not None else None
    meta = {}
    if args.run is not None and pipe.path is not None and (pipe.path / "config.json").is_file():
        from spt_core.models.checkpoint import read_config

        config = read_config(pipe.path)
        # The run's own name, not the machine's path to it.
        source = f"{pipe.path.parent.parent.name}/{pipe.path.name}"
        meta = {"training": f"{config.get('step')} joint steps", "source": source}
    path = pipe.save_pretrained(args.out, half=not args.float32, card=card, meta=meta)
    size = sum(f.stat().st_size for f in path.rglob("*") if f.is_file())
    print(f"model: {path} ({size / 1e6:.1f} MB, {'float32' if args.float32 else 'float16'})")
    return 0


def _add_model(parser) -> None:
    parser.add_argument(
        "--model",
        type=Path,
        default=None,
        help="model directory or end-to-end run (default: the shipped model)",
    )
    parser.add_argument("--device", default="auto", help="auto, cpu or cuda")


def _add_person(parser, name: str, help_text: str) -> None:
    parser.add_argument(name, type=Path, nargs="?", default=None, help=help_text)
    parser.add_argument("--image", type=Path, default=None, help="image file (overrides)")
    parser.add_argument("--pose", default=None, help="pose.json or annotations.csv#name")
    parser.add_argument("--parsing", type=Path, default=None, help="parsing PNG or .npy")


def register(commands) -> None:
    """Add this module's subcommands to the ``spt`` parser."""
    repose = commands.add_parser(
        "repose", help="draw a person in another pose (semantic + appearance network)"
    )
    _add_person(repose, "source", f"person folder (default: the shipped {DEFAULT_SOURCE})")
    repose.add_argument(
        "target",
        nargs="?",
        default=None,
        help=f"person folder whose pose to take (default: {DEFAULT_TARGET})",
    )
    repose.add_argument(
        "--target-pose",
        default=None,
        help="pose.json or annotations.csv#name instead of a target folder",
    )
    repose.add_argument("--out", type=Path, default=Path("repose.png"))
    repose.add_argument(
        "--parsing-out", type=Path, default=None, help="also write the predicted target parsing"
    )
    repose.add_argument(
        "--sheet",
        type=Path,
        default=None,
        help="also write source | parsing | pose | predicted parsing | result",
    )
    _add_model(repose)
    repose.set_defaults(func=cmd_repose)

    render = commands.add_parser(
        "render", help="draw a person with a given (edited) parsing map, optionally reposed"
    )
    _add_person(render, "source", f"person folder (default: the shipped {DEFAULT_SOURCE})")
    render.add_argument(
        "--target-parsing", type=Path, required=True, help="the parsing map to draw (PNG or .npy)"
    )
    render.add_argument(
        "--target-pose",
        default=None,
        help="pose.json (default: the source pose: controlled manipulation)",
    )
    render.add_argument("--out", type=Path, default=Path("render.png"))
    _add_model(render)
    render.set_defaults(func=cmd_render)

    transfer = commands.add_parser(
        "transfer", help="clothing texture transfer: person B wearing A's garments"
    )
    transfer.add_argument(
        "--clothes-from",
        type=Path,
        default=None,
        help=f"person folder A (default: {DEFAULT_TARGET})",
    )
    transfer.add_argument(
        "--onto", type=Path, default=None, help=f"person folder B (default: {DEFAULT_SOURCE})"
    )
    transfer.add_argument(
        "--labels",
        default="upper_clothes,pants,skirt",
        help="comma-separated garment labels taken from A",
    )
    transfer.add_argument(
        "--target-pose",
        default=None,
        help="pose.json or annotations.csv#name: also repose B (default: B's own pose, whose "
        "pixels outside the garments are kept)",
    )
    transfer.add_argument("--out", type=Path, default=Path("transfer.png"))
    transfer.add_argument(
        "--sheet", type=Path, default=None, help="also write onto | clothes from | result"
    )
    _add_model(transfer)
    transfer.set_defaults(func=cmd_transfer)

    export = commands.add_parser(
        "export", help="write a model directory (float16) from an end-to-end or two-stage run"
    )
    export.add_argument(
        "run",
        type=Path,
        nargs="?",
        default=None,
        help="end-to-end run or checkpoint (spt train joint)",
    )
    export.add_argument("--semantic", type=Path, default=None, help="two-stage: semantic run")
    export.add_argument("--appearance", type=Path, default=None, help="two-stage: appearance run")
    export.add_argument("--out", type=Path, required=True, help="model directory to write")
    export.add_argument("--card", type=Path, default=None, help="MODEL_CARD.md to include")
    export.add_argument("--float32", action="store_true", help="keep float32 weights")
    export.set_defaults(func=cmd_export)
