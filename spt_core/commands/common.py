"""Helpers shared by the ``spt`` subcommands."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any


def default_pose_csv(size: tuple[int, int]) -> Path:
    """The shared real-pose file that suits an image size (Market for 128x64, else DeepFashion)."""
    from spt_core.data.poses import find_pose_csv

    return find_pose_csv("market" if size == (128, 64) else "fasion")


def given(values: dict[str, Any]) -> dict[str, Any]:
    """The entries the user gave: None stands for an option left out."""
    return {name: value for name, value in values.items() if value is not None}


def parse_size(text: str) -> tuple[int, int]:
    """'128x64' -> (128, 64): height x width."""
    try:
        height, width = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"size must look like 128x64 (HxW), got {text!r}"
        ) from None
    if height <= 0 or width <= 0:
        raise argparse.ArgumentTypeError(f"size must be positive, got {text!r}")
    return height, width


def positive_int(text: str) -> int:
    """An argparse type: a whole number of at least 1 (counts, steps, batch sizes)."""
    return _bounded_int(text, 1, "a whole number of at least 1")


def non_negative_int(text: str) -> int:
    """An argparse type: a whole number of at least 0 (0 meaning none or off)."""
    return _bounded_int(text, 0, "a whole number of at least 0")


def positive_float(text: str) -> float:
    """An argparse type: a finite number above 0 (learning rates, loss weights)."""
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    # NaN fails both comparisons, so "nan", "inf" and words are refused with the same message.
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"must be a number above 0, got {text!r}")
    return value


def _bounded_int(text: str, low: int, wanted: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be {wanted}, got {text!r}") from None
    if value < low:
        raise argparse.ArgumentTypeError(f"must be {wanted}, got {text!r}")
    return value


def format_size(size: tuple[int, int]) -> str:
    """(128, 64) -> '128x64': height x width, as :func:`parse_size` reads it."""
    return f"{size[0]}x{size[1]}"


def print_events(events, total_steps: int, quiet: bool) -> object:
    """Drive a trainer's event stream with a tqdm bar; returns the final DoneEvent."""
    from tqdm import tqdm

    from spt_core.train.events import CheckpointEvent, DoneEvent, StepEvent

    bar = tqdm(total=total_steps, unit="step", disable=quiet)
    done = None
    for event in events:
        if isinstance(event, StepEvent):
            bar.n = event.step
            bar.set_postfix({k: f"{v:.3f}" for k, v in event.losses.items()}, refresh=False)
            bar.refresh()
        elif isinstance(event, CheckpointEvent):
            bar.write(f"checkpoint: {event.path}")
        elif isinstance(event, DoneEvent):
            done = event
    bar.close()
    return done
