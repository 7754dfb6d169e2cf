"""``spt poses build | sheet`` (the pose library) and ``spt animate`` (issue #19)."""

from __future__ import annotations

import argparse
from pathlib import Path

from spt_core.commands.arguments import add_path_arg
from spt_core.commands.common import positive_int


def keyframe(spec: str):
    """A keyframe pose: ``library:N`` (the shipped library's N-th pose), ``user:NAME`` (the
    user library's), or a pose file (pose.json, a person folder, ``annotations.csv#name``).

    Raises:
        InputError: an unknown library index or user pose name.
        DataError: an unreadable pose file.
    """
    from spt_core.errors import InputError

    if spec.startswith("library:"):
        from spt_core.pose_library import load_library

        library = load_library()
        try:
            index = int(spec.split(":", 1)[1])
            if not 0 <= index < len(library):
                raise ValueError
        except ValueError:
            raise InputError(f"{spec}: the library has poses 0 to {len(library) - 1}") from None
        return library.poses[index]
    if spec.startswith("user:"):
        from spt_core.pose_library import UserPoses

        mine = UserPoses()
        name = spec.split(":", 1)[1]
        if name not in mine.poses:
            known = ", ".join(sorted(mine.poses)) or "none saved"
            raise InputError(f"{spec}: no such pose in {mine.path} ({known})")
        return mine.poses[name]
    from spt_core.person_files import read_pose_file

    return read_pose_file(spec)


def cmd_poses_build(args: argparse.Namespace) -> int:
    from spt_core.data.poses import find_pose_csv
    from spt_core.pose_library import build_library, library_path, save_library

    sources = args.poses or [find_pose_csv("market"), find_pose_csv("fasion")]
    library = build_library(sources, clusters=args.clusters, seed=args.seed)
    out = args.out or library_path()
    save_library(library, out)
    print(f"pose library: {len(library)} poses from {sum(library.sizes)} usable ones -> {out}")
    return 0


def cmd_poses_sheet(args: argparse.Namespace) -> int:
    import numpy as np

    from spt_core import skeleton as sk
    from spt_core.io_utils import write_image_rgb
    from spt_core.pose_library import load_library
    from spt_core.sheets import tile_sheet

    library = load_library()
    tiles = [sk.draw_skeleton(np.zeros((128, 64, 3), np.uint8), p) for p in library.poses]
    rows = [tiles[i : i + args.columns] for i in range(0, len(tiles), args.columns)]
    rows[-1] += [np.full_like(tiles[0], 255)] * (args.columns - len(rows[-1]))
    write_image_rgb(args.out, tile_sheet(rows, gap=2, scale=1))
    print(f"{len(library)} poses (library:0 .. library:{len(library) - 1}) -> {args.out}")
    return 0


def cmd_animate(args: argparse.Namespace) -> int:
    import time

    from tqdm import tqdm

    from spt_core.animation import animation_poses, render_frames, write_video
    from spt_core.commands.infer import _person, _pipeline

    person = _person(args.person, default="person_a")
    keys = [keyframe(spec) for spec in args.poses]
    if args.from_photo:
        keys.insert(0, person.pose)
    poses = animation_poses(person.pose, keys, args.seconds, args.fps)
    pipe = _pipeline(args)
    start = time.perf_counter()
    with tqdm(total=len(poses), unit="frame", disable=args.quiet) as bar:
        frames = render_frames(pipe, person, poses, lambda done, total: bar.update(1))
    out = write_video(args.out, frames, args.fps)
    seconds = time.perf_counter() - start
    height, width = frames[0].shape[:2]
    print(
        f"{len(frames)} frames of {width}x{height} at {args.fps:g} fps ({args.seconds:g} s) "
        f"in {seconds:.1f} s -> {out}"
    )
    return 0


def register(commands) -> None:
    """Add ``spt poses`` and ``spt animate``."""
    poses = commands.add_parser("poses", help="the pose library: rebuild it, draw it")
    sub = poses.add_subparsers(dest="poses_command", required=True, metavar="WHAT")
    build = sub.add_parser("build", help="cluster the shared real poses into the library")
    build.add_argument("--poses", nargs="+", type=Path, help="PG2 CSVs (default: the shared two)")
    build.add_argument("--clusters", type=positive_int, default=50)
    build.add_argument("--seed", type=int, default=0)
    add_path_arg(build, "--out", "library file (default: the shipped one)")
    build.set_defaults(func=cmd_poses_build)
    sheet = sub.add_parser("sheet", help="draw every library pose, numbered row by row")
    add_path_arg(sheet, "--out", "PNG to write", required=True)
    sheet.add_argument("--columns", type=positive_int, default=10)
    sheet.set_defaults(func=cmd_poses_sheet)

    from spt_core.commands.infer import _add_model

    animate = commands.add_parser(
        "animate", help="draw a person moving through keyframe poses (MP4 or GIF)"
    )
    animate.add_argument(
        "person", nargs="?", default=None, help="person folder (default: the shipped person_a)"
    )
    animate.add_argument(
        "--poses",
        nargs="+",
        required=True,
        help="keyframes: library:N (spt poses sheet shows them), user:NAME, pose.json, a "
        "person folder or annotations.csv#name",
    )
    animate.add_argument("--seconds", type=float, default=3.0)
    animate.add_argument("--fps", type=float, default=12.0)
    animate.add_argument(
        "--from-photo", action="store_true", help="start from the photo's own pose"
    )
    add_path_arg(animate, "--out", ".mp4 or .gif", required=True)
    animate.add_argument("--quiet", action="store_true", help="no progress bar")
    _add_model(animate)
    animate.set_defaults(func=cmd_animate)
