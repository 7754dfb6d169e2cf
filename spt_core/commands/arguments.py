"""Options that several ``spt`` subcommands share, each defined once.

:data:`OPTIONS` holds the usual form of every shared option (its ``add_argument`` keywords);
:func:`add_options` adds some of them in ``--help`` order, :func:`add_option` one with a keyword
changed (a subcommand's own default or help). The other helpers add the kinds of argument that
recur with a different name each time (paths, switches) and the groups that come together.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from spt_core.commands.common import parse_size, positive_float, positive_int

DEVICE_HELP = "auto, cpu or cuda"
RESUME_HELP = "continue the run in --out"
SHIPPED_MODEL_HELP = "model directory or end-to-end run (default: the shipped model)"

# A number left out is None: the config's default, or on --resume the run's own value.
OPTIONS: dict[str, dict[str, Any]] = {
    "--data": {"type": Path, "required": True, "help": "dataset folder"},
    "--pseudo": {"type": Path, "required": True, "help": "pseudo-label file"},
    "--out": {"type": Path, "required": True, "help": "run directory"},
    "--steps": {"type": positive_int, "default": None},
    "--batch-size": {"type": positive_int, "default": None},
    "--lr": {"type": positive_float, "default": None},
    "--seed": {"type": int, "default": None},
    "--checkpoint-every": {"type": positive_int, "default": None},
    "--size": {"type": parse_size, "default": (128, 64)},
    "--base-channels": {"type": positive_int, "default": 64},
    "--max-channels": {"type": positive_int, "default": 512},
    "--device": {"default": "auto"},
    "--limit": {"type": positive_int, "default": None, "help": "at most this many pairs"},
}


def add_options(parser: argparse.ArgumentParser, *flags: str) -> None:
    """Add the shared options ``flags`` (keys of :data:`OPTIONS`) as they are, in this order."""
    for flag in flags:
        parser.add_argument(flag, **OPTIONS[flag])


def add_option(parser: argparse.ArgumentParser, flag: str, **changes: Any) -> None:
    """Add the shared option ``flag`` with some of its ``add_argument`` keywords changed."""
    parser.add_argument(flag, **{**OPTIONS[flag], **changes})


def add_path_arg(
    parser: argparse.ArgumentParser, name: str, help: str | None = None, *, required: bool = False
) -> None:
    """A file or folder: an option or a positional, None when left out unless ``required``."""
    if not name.startswith("-"):
        # argparse refuses ``required`` on positionals: an optional one is nargs="?".
        extra = {} if required else {"nargs": "?", "default": None}
        parser.add_argument(name, type=Path, help=help, **extra)
    else:
        parser.add_argument(name, type=Path, default=None, required=required, help=help)


def add_flag(parser: argparse.ArgumentParser, flag: str, help: str | None = None) -> None:
    """An on/off switch, off unless given."""
    parser.add_argument(flag, action="store_true", help=help)


def add_quiet_arg(parser: argparse.ArgumentParser) -> None:
    """``--quiet`` of the commands that show a progress bar and nothing else while working."""
    add_flag(parser, "--quiet", "no progress bar")


def add_run_control_args(
    parser: argparse.ArgumentParser,
    *,
    device_help: str | None = None,
    resume_help: str | None = None,
) -> None:
    """``--device``, ``--resume`` and ``--quiet``: the last options of every ``spt train``."""
    add_option(parser, "--device", help=device_help)
    add_flag(parser, "--resume", resume_help)
    add_flag(parser, "--quiet")
