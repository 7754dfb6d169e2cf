"""The ``spt`` command: argparse subcommands that call the library.

Every subcommand lives in ``spt_core.commands`` (one module per group, each with a
``register``); errors the user can fix (``SptError``) print one line naming the file and the
problem and exit with status 2.
"""

from __future__ import annotations

import argparse
import sys

from spt_core.commands import bench, data, evaluate, infer, search, train
from spt_core.errors import SptError

GROUPS = (data, search, train, evaluate, infer, bench)


def build_parser() -> argparse.ArgumentParser:
    """The ``spt`` argument parser with every subcommand."""
    parser = argparse.ArgumentParser(
        prog="spt", description="Semantic Parsing Transformation: person image generation tools."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for group in GROUPS:
        group.register(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``spt`` console script."""
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except SptError as exc:
        print(f"spt: error: {exc}", file=sys.stderr)
        return 2
    except FileExistsError as exc:
        print(f"spt: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("spt: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
