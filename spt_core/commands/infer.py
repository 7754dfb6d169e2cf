"""``spt repose | render | transfer | export``: the inference pipeline from the command line.

People are person folders (``image.png``, ``parsing.png``, ``pose.json``; see
:mod:`spt_core.person_files`) or separate ``--image/--pose/--parsing`` files. Without
``--model`` the shipped default model is used; without people, the shipped samples.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from spt_core.commands.arguments import (
    DEVICE_HELP,
    SHIPPED_MODEL_HELP,
    add_flag,
    add_option,
    add_path_arg,
)
from spt_core.commands.common import format_size

DEFAULT_SOURCE = "person_a"
DEFAULT_TARGET = "person_b"


def _sample(name: str) -> Path:
    from spt_core.shipped import sample_dir

    return sample_dir(name)


def _person(folder, image=None, pose=None, parsing=None, default: str | None = None):
    from spt_core.person_files import read_person

    if folder is None and image is None and default is not None:
        folder = _sample(default)
    person = read_person(folder, image, pose, parsing)
    _warn_without_legs(person.pose, str(folder or image))
    return person


def _warn_without_legs(pose, what: str) -> None:
    """Say on stderr why an upper-body photo will come out as blocks (it still runs)."""
    import sys

    from spt_core import skeleton as sk

    if not sk.has_legs(pose):
        print(
            f"warning: {what}: the pose has no knee and no ankle (an upper-body photo?); the "
            "model is trained on whole bodies, so the result will not look like a person",
            file=sys.stderr,
        )


def _pipeline(args):
    from spt_core.pipeline import SPTPipeline

    pipe = SPTPipeline.from_pretrained(args.model, device=args.device)
    pipe.keep_unchanged = not args.redraw_all
    if args.no_limb_labels:  # the semantic network's map as it is
        pipe.limb_labels, pipe.map_smoothing = False, 1
    return pipe


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
    from spt_core.person_files import read_target_pose

    source = _person(args.source, args.image, args.pose, args.parsing, DEFAULT_SOURCE)
    target = (
        args.target_pose
        if args.target_pose is not None
        else (args.target if args.target is not None else _sample(DEFAULT_TARGET))
    )
    target_pose = read_target_pose(target, source.image.shape[:2])
    pipe = _pipeline(args)
    start = time.perf_counter()
    if args.model_frame:
        result = pipe.repose(source, target_pose)
        parsing = result.parsing
    else:
        from spt_core.photo_frame import repose_in_photo

        photo = repose_in_photo(pipe, source, target_pose)
        parsing = photo.parsing
    elapsed = time.perf_counter() - start
    print(
        f"model {pipe.name} on {pipe.device}: {format_size(pipe.size)} in {elapsed * 1000:.0f} ms"
    )
    if args.model_frame:
        _save(args.out, result.image, "result (the model's frame)")
    else:
        _save(args.out, photo.image, _photo_text(photo))
    if args.parsing_out:
        lb.write_parsing(args.parsing_out, parsing)
        print(f"predicted parsing: {args.parsing_out}")
    if args.sheet:
        result = pipe.repose(source, target_pose)  # the sheet shows the model's frame
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


def _photo_text(photo) -> str:
    frame = photo.frame
    if (frame.height, frame.width) == photo.image.shape[:2]:
        return f"result ({frame.width}x{frame.height}, the photo's size)"
    return (
        f"result at the photo's size ({photo.image.shape[1]}x{photo.image.shape[0]}; the model "
        f"drew the {frame.width}x{frame.height} box at x {frame.left}, y {frame.top})"
    )


def cmd_render(args: argparse.Namespace) -> int:
    from spt_core import labels as lb
    from spt_core.errors import SptError
    from spt_core.person_files import read_target_pose

    source = _person(args.source, args.image, args.pose, args.parsing, DEFAULT_SOURCE)
    target_parsing = lb.read_parsing(args.target_parsing)
    target_pose = (
        source.pose
        if args.target_pose is None
        else read_target_pose(args.target_pose, source.image.shape[:2])
    )
    if target_parsing.shape != source.image.shape[:2]:
        raise SptError(
            f"{args.target_parsing}: the parsing is {target_parsing.shape[1]}x"
            f"{target_parsing.shape[0]} (width x height) but the photo is "
            f"{source.image.shape[1]}x{source.image.shape[0]}; paint it at the photo's size"
        )
    pipe = _pipeline(args)
    if args.model_frame:
        _save(args.out, pipe.render(source, target_pose, target_parsing), "result (model frame)")
    else:
        from spt_core.photo_frame import render_in_photo

        photo = render_in_photo(pipe, source, target_pose, target_parsing)
        _save(args.out, photo.image, _photo_text(photo))
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
        from spt_core.person_files import read_target_pose

        target_pose = read_target_pose(args.target_pose, onto.image.shape[:2])
    pipe = _pipeline(args)
    chosen = [lb.LABEL_INDEX[n] for n in names]
    out = None
    if args.model_frame or args.sheet:  # the sheet shows the model's frame
        out = pipe.transfer(clothes, onto, labels=chosen, target_pose=target_pose)
    if args.model_frame:
        _save(args.out, out, "result (the model's frame)")
    else:
        from spt_core.photo_frame import transfer_in_photo

        photo = transfer_in_photo(pipe, clothes, onto, chosen, target_pose)
        _save(args.out, photo.image, _photo_text(photo))
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


def _add_model(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--model-frame",
        action="store_true",
        help="write the model's own output (its size, letterboxed) instead of the result at "
        "the photo's size (by default the model draws a box around the person and only the "
        "person's old and new regions of the photo are replaced)",
    )
    # Sessions before the photo-size default asked for it with --full-size: still accepted.
    parser.add_argument("--full-size", action="store_true", help=argparse.SUPPRESS)
    add_path_arg(parser, "--model", SHIPPED_MODEL_HELP)
    add_option(parser, "--device", help=DEVICE_HELP)
    parser.add_argument(
        "--redraw-all",
        action="store_true",
        help="redraw every pixel (default: the source's own pixels are kept where nothing "
        "moved or was painted; decision 0007)",
    )
    parser.add_argument(
        "--no-limb-labels",
        action="store_true",
        help="use the semantic network's map as it is (default: a limb that moved keeps the "
        "source's labels along it; decision 0008)",
    )


def _add_person(parser: argparse.ArgumentParser, name: str, help_text: str) -> None:
    add_path_arg(parser, name, help_text)
    add_path_arg(parser, "--image", "image file (overrides)")
    parser.add_argument("--pose", default=None, help="pose.json or annotations.csv#name")
    add_path_arg(parser, "--parsing", "parsing PNG or .npy")


def _add_source(parser: argparse.ArgumentParser) -> None:
    _add_person(parser, "source", f"person folder (default: the shipped {DEFAULT_SOURCE})")


def _add_target_pose(parser: argparse.ArgumentParser, help_text: str) -> None:
    # A pose is a file path or annotations.csv#name, so it stays a string.
    parser.add_argument("--target-pose", default=None, help=help_text)


def _add_out(parser: argparse.ArgumentParser, default: str) -> None:
    parser.add_argument("--out", type=Path, default=Path(default))


def register(commands) -> None:
    """Add this module's subcommands to the ``spt`` parser."""
    repose = commands.add_parser(
        "repose", help="draw a person in another pose (semantic + appearance network)"
    )
    _add_source(repose)
    target_help = f"person folder whose pose to take (default: {DEFAULT_TARGET})"
    repose.add_argument("target", nargs="?", default=None, help=target_help)
    _add_target_pose(repose, "pose.json or annotations.csv#name instead of a target folder")
    _add_out(repose, "repose.png")
    add_path_arg(repose, "--parsing-out", "also write the predicted target parsing")
    sheet_help = "also write source | parsing | pose | predicted parsing | result"
    add_path_arg(repose, "--sheet", sheet_help)
    _add_model(repose)
    repose.set_defaults(func=cmd_repose)

    render = commands.add_parser(
        "render", help="draw a person with a given (edited) parsing map, optionally reposed"
    )
    _add_source(render)
    parsing_help = "the parsing map to draw (PNG or .npy)"
    add_path_arg(render, "--target-parsing", parsing_help, required=True)
    _add_target_pose(render, "pose.json (default: the source pose: controlled manipulation)")
    _add_out(render, "render.png")
    _add_model(render)
    render.set_defaults(func=cmd_render)

    transfer = commands.add_parser(
        "transfer", help="clothing texture transfer: person B wearing A's garments"
    )
    add_path_arg(transfer, "--clothes-from", f"person folder A (default: {DEFAULT_TARGET})")
    add_path_arg(transfer, "--onto", f"person folder B (default: {DEFAULT_SOURCE})")
    transfer.add_argument(
        "--labels",
        default="upper_clothes,pants,skirt",
        help="comma-separated garment labels taken from A",
    )
    _add_target_pose(
        transfer,
        "pose.json or annotations.csv#name: also repose B (default: B's own pose, whose "
        "pixels outside the garments are kept)",
    )
    _add_out(transfer, "transfer.png")
    add_path_arg(transfer, "--sheet", "also write onto | clothes from | result")
    _add_model(transfer)
    transfer.set_defaults(func=cmd_transfer)

    export = commands.add_parser(
        "export", help="write a model directory (float16) from an end-to-end or two-stage run"
    )
    add_path_arg(export, "run", "end-to-end run or checkpoint (spt train joint)")
    add_path_arg(export, "--semantic", "two-stage: semantic run")
    add_path_arg(export, "--appearance", "two-stage: appearance run")
    add_option(export, "--out", help="model directory to write")
    add_path_arg(export, "--card", "MODEL_CARD.md to include")
    add_flag(export, "--float32", "keep float32 weights")
    export.set_defaults(func=cmd_export)
