"""Exceptions with a file and a reason, so every bad input tells the user where to look."""

from __future__ import annotations

from pathlib import Path


class SptError(Exception):
    """Base class of every error the library raises on purpose."""


class DataError(SptError, ValueError):
    """A data file is missing, unreadable or malformed.

    The message always names the file, and the line number where one applies.
    """

    def __init__(self, path: str | Path | None, problem: str, line: int | None = None):
        self.path = None if path is None else Path(path)
        self.problem = problem
        self.line = line
        if path is None:  # data that came from no file: the problem says it all
            super().__init__(problem)
            return
        where = str(path) if line is None else f"{path}, line {line}"
        super().__init__(f"{where}: {problem}")

    def __reduce__(self):
        # The default pickling calls DataError(message), which does not match __init__; an
        # error raised in a worker process (DataLoader, multiprocessing pool) must survive the trip.
        return (type(self), (self.path, self.problem, self.line))


class InputError(SptError, ValueError):
    """An argument holds a value the library cannot use (a pose outside its frame, a label
    that does not exist). The message starts with the argument's name."""
