"""Checkpoints are directories: ``config.json`` (what to build) and ``*.safetensors`` (weights).

A checkpoint of kind "semantic" holds ``generator.safetensors`` and ``discriminator.safetensors``;
trainers add ``training.pt`` (optimiser states, RNG states) so a run can resume. Loading never
needs the user to repeat architecture flags: the config says what to build. Directories are
written beside their final name and renamed into place, so a crash never leaves half a
checkpoint where a complete one is expected.
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from pathlib import Path

from spt_core.errors import SptError

FORMAT_VERSION = 1
CONFIG_FILE = "config.json"
TRAINING_STATE = "training.pt"
#: A run directory keeps its checkpoints in ``checkpoints/step_NNNNNNN`` and names the newest
#: complete one in ``latest.json``.
CHECKPOINTS = "checkpoints"
LATEST = "latest.json"


class CheckpointError(SptError):
    """A checkpoint is missing, of another kind, or does not fit the network."""


def save_checkpoint(
    directory: str | Path,
    kind: str,
    config: dict,
    modules: dict,
    training_state: dict | None = None,
) -> Path:
    """Write a checkpoint directory atomically.

    Args:
        directory: final path of the checkpoint directory (replaced if it exists).
        kind: what it holds ("semantic", "appearance", ...); checked on load.
        config: JSON-ready dict (architecture config, train config, loss weights, step...).
        modules: name -> nn.Module (or DDP-wrapped module); saved as ``name.safetensors``.
        training_state: optional dict saved with torch.save as ``training.pt``.
    """
    import torch
    from safetensors.torch import save_file

    directory = Path(directory)
    directory.parent.mkdir(parents=True, exist_ok=True)
    staging = directory.parent / f".{directory.name}.{uuid.uuid4().hex[:8]}.tmp"
    staging.mkdir()
    try:
        header = {"format": FORMAT_VERSION, "kind": kind, **config}
        (staging / CONFIG_FILE).write_text(json.dumps(header, indent=2, sort_keys=True))
        for name, module in modules.items():
            module = getattr(module, "module", module)  # unwrap DistributedDataParallel
            state = {k: v.detach().to("cpu").contiguous() for k, v in module.state_dict().items()}
            save_file(state, str(staging / f"{name}.safetensors"))
        if training_state is not None:
            torch.save(training_state, staging / TRAINING_STATE)
        move_into_place(staging, directory)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    return directory


def move_into_place(staging: Path, directory: Path) -> None:
    """Rename a fully written ``staging`` directory to ``directory``, replacing an old one.

    The old directory is renamed aside before the new one takes its name, so at every moment
    ``directory`` is either the complete old version or the complete new one.
    """
    if directory.exists():
        retired = directory.parent / f".{directory.name}.{uuid.uuid4().hex[:8]}.old"
        os.replace(directory, retired)
        os.replace(staging, directory)
        shutil.rmtree(retired, ignore_errors=True)
    else:
        os.replace(staging, directory)


def read_config(directory: str | Path, kind: str | None = None) -> dict:
    """The config.json of a checkpoint, checked for format and (optionally) kind.

    Raises:
        CheckpointError: no checkpoint there, unreadable, another format or another kind.
    """
    directory = Path(directory)
    path = directory / CONFIG_FILE
    if not path.is_file():
        raise CheckpointError(f"{directory}: not a checkpoint (no {CONFIG_FILE})")
    try:
        config = json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise CheckpointError(f"{path}: unreadable ({exc.msg})") from None
    if config.get("format") != FORMAT_VERSION:
        raise CheckpointError(
            f"{path}: checkpoint format {config.get('format')!r}, this version reads "
            f"{FORMAT_VERSION}"
        )
    if kind is not None and config.get("kind") != kind:
        raise CheckpointError(
            f"{directory}: a {config.get('kind')!r} checkpoint, but a {kind!r} one is needed"
        )
    return config


def load_weights(module, directory: str | Path, name: str, device="cpu") -> None:
    """Load ``name.safetensors`` into ``module``, insisting that every tensor fits.

    Raises:
        CheckpointError: the file is missing, or its tensors do not match the module: the
            message lists missing and unexpected tensors and shape mismatches.
    """
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    path = Path(directory) / f"{name}.safetensors"
    if not path.is_file():
        raise CheckpointError(f"{directory}: no weights for {name!r} ({path.name} missing)")
    try:
        state = load_file(str(path), device=str(device))
    except (SafetensorError, OSError) as exc:
        raise CheckpointError(f"{path}: unreadable weights ({exc})") from None
    module = getattr(module, "module", module)
    expected = module.state_dict()
    missing = sorted(set(expected) - set(state))
    unexpected = sorted(set(state) - set(expected))
    shapes = [
        f"{key}: checkpoint {tuple(state[key].shape)} vs network {tuple(expected[key].shape)}"
        for key in sorted(set(state) & set(expected))
        if tuple(state[key].shape) != tuple(expected[key].shape)
    ]
    if missing or unexpected or shapes:
        parts = []
        if shapes:
            parts.append(f"{len(shapes)} shape mismatches ({'; '.join(shapes[:3])})")
        if missing:
            parts.append(f"{len(missing)} missing ({', '.join(missing[:3])})")
        if unexpected:
            parts.append(f"{len(unexpected)} unexpected ({', '.join(unexpected[:3])})")
        raise CheckpointError(
            f"{path}: the weights do not fit this {type(module).__name__}: "
            + "; ".join(parts)
            + ". The checkpoint was made with another architecture config."
        )
    module.load_state_dict(state)


def latest_checkpoint(run_dir: str | Path) -> Path | None:
    """The newest complete checkpoint of a run directory, or None."""
    run_dir = Path(run_dir)
    pointer = run_dir / LATEST
    if pointer.is_file():
        path = run_dir / CHECKPOINTS / json.loads(pointer.read_text())["checkpoint"]
        if (path / CONFIG_FILE).is_file():
            return path
    found = sorted((run_dir / CHECKPOINTS).glob(f"step_*/{CONFIG_FILE}"))
    return found[-1].parent if found else None


def resolve_checkpoint(path: str | Path) -> Path:
    """A checkpoint directory, or the newest checkpoint of a run directory.

    Raises:
        CheckpointError: ``path`` is neither.
    """
    path = Path(path)
    if (path / CONFIG_FILE).is_file():
        return path
    found = latest_checkpoint(path)
    if found is None:
        raise CheckpointError(f"{path}: neither a checkpoint nor a run directory")
    return found
