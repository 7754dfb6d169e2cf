"""The ``spt`` command: argparse subcommands that call the library.

Every subcommand lives in ``spt_core.commands`` (one module per group, each with a
``register``). Whatever goes wrong, the user sees one line on stderr, ``spt: error: ...``
naming the file or flag where one is known, and one of these exit statuses
(docs/reliability.md, "Inputs and the command line"):

====  ===================================================================================
0     done
1     the command ran and its check failed (``spt data check`` found no usable sample)
2     usage or input error: a bad flag (argparse's own code), a missing, malformed or
      unusable file, dataset, model or configuration (``SptError``, ``ValueError``,
      ``KeyError``, ``TypeError``, a damaged archive, an existing output folder)
3     the system refused: permission denied, read-only folder, disk full, other I/O errors
70    internal error, a bug (EX_SOFTWARE of sysexits.h): report it with the traceback
130   interrupted (Ctrl-C)
141   stdout closed early (``spt ... | head``): stops quietly, as a shell tool killed by
      SIGPIPE would (128 + 13)
====  ===================================================================================

``SPT_DEBUG=1`` lets any exception through with its full traceback (for bug reports).
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import os
import sys
import zipfile
from pathlib import Path

from spt_core.commands import bench, data, evaluate, infer, poses, search, train
from spt_core.errors import SptError

GROUPS = (data, search, train, evaluate, infer, poses, bench)

EXIT_OK = 0
EXIT_CHECK_FAILED = 1
EXIT_USAGE = 2
EXIT_SYSTEM = 3
EXIT_INTERNAL = 70
EXIT_INTERRUPTED = 130
EXIT_BROKEN_PIPE = 141

DEBUG_ENV = "SPT_DEBUG"
DEBUG_HINT = f"{DEBUG_ENV}=1 shows the traceback"

# OSErrors that say what the user asked for does not exist (or does): input errors, not the
# system's refusal.
_INPUT_OS_ERRORS = (FileNotFoundError, FileExistsError, IsADirectoryError, NotADirectoryError)
_SYSTEM_HINTS = {
    errno.ENOSPC: "the disk is full",
    errno.EROFS: "the folder is read-only",
    errno.EACCES: "permission denied",
    errno.EPERM: "permission denied",
    errno.EDQUOT: "disk quota exceeded",
}


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
    """Entry point of the ``spt`` console script; returns the exit status (see above)."""
    args = build_parser().parse_args(argv)
    try:
        status = int(args.func(args) or 0)
        # Flushed here so that a closed pipe is reported by us, not at interpreter exit.
        sys.stdout.flush()
        return status
    except (Exception, KeyboardInterrupt) as exc:
        if debugging() and not isinstance(exc, BrokenPipeError | KeyboardInterrupt):
            raise
        return report_error(exc)


def debugging() -> bool:
    """Whether ``SPT_DEBUG`` asks for full tracebacks."""
    return os.environ.get(DEBUG_ENV, "").strip() not in ("", "0")


def report_error(exc: BaseException) -> int:
    """Print one line about ``exc`` on stderr and return its exit status."""
    if isinstance(exc, BrokenPipeError):
        _silence_stdout()
        return EXIT_BROKEN_PIPE
    if isinstance(exc, KeyboardInterrupt):
        _say("spt: interrupted")
        return EXIT_INTERRUPTED
    status, message = classify(exc)
    _say(f"spt: {'internal error' if status == EXIT_INTERNAL else 'error'}: {message}")
    return status


def classify(exc: BaseException) -> tuple[int, str]:
    """(exit status, one-line message) for an exception a command raised."""
    if isinstance(exc, SptError):
        return EXIT_USAGE, _one_line(str(exc))
    if isinstance(exc, OSError):
        return _classify_os_error(exc)
    where = _file_in_traceback(exc)
    prefix = f"{where}: " if where else ""
    if isinstance(exc, zipfile.BadZipFile):
        return EXIT_USAGE, f"{prefix}a damaged or truncated archive ({exc}); {DEBUG_HINT}"
    if isinstance(exc, KeyError):
        return EXIT_USAGE, f"{prefix}missing entry {_one_line(str(exc))}; {DEBUG_HINT}"
    if isinstance(exc, ValueError | TypeError):
        return EXIT_USAGE, f"{prefix}{_one_line(str(exc))}; {DEBUG_HINT}"
    if isinstance(exc, MemoryError):
        return EXIT_SYSTEM, "out of memory; try a smaller --batch-size or image size"
    detail = f"{type(exc).__name__}: {_one_line(str(exc))}"
    return EXIT_INTERNAL, f"{detail}. This is a bug: run again with {DEBUG_ENV}=1 and report it"


def _classify_os_error(exc: OSError) -> tuple[int, str]:
    name = exc.filename if exc.filename is not None else _file_in_traceback(exc)
    reason = _SYSTEM_HINTS.get(exc.errno) or exc.strerror or _one_line(str(exc))
    message = f"{name}: {reason}" if name is not None else reason
    if isinstance(exc, _INPUT_OS_ERRORS):
        return EXIT_USAGE, message
    return EXIT_SYSTEM, message


def _file_in_traceback(exc: BaseException) -> str | None:
    """The innermost ``path`` a spt_core function was handling when ``exc`` was raised, to
    name the file for errors raised by other libraries (numpy's BadZipFile, json's KeyError)."""
    found = None
    tb = exc.__traceback__
    package = str(Path(__file__).resolve().parent)
    while tb is not None:
        frame = tb.tb_frame
        if frame.f_code.co_filename.startswith(package):
            value = frame.f_locals.get("path")
            if isinstance(value, str | Path):
                found = str(value)
        tb = tb.tb_next
    return found


def _one_line(text: str) -> str:
    return " ".join(text.split()) or "(no message)"


def _say(line: str) -> None:
    # A closed stderr leaves nobody to tell.
    with contextlib.suppress(OSError):
        print(line, file=sys.stderr)


def _silence_stdout() -> None:
    """Point stdout at /dev/null, so that Python's flush at exit does not raise again and
    print "Exception ignored ... BrokenPipeError" (the recipe of Python's signal docs)."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass  # stdout is not a real file (captured in tests): nothing will flush it at exit


if __name__ == "__main__":
    sys.exit(main())
