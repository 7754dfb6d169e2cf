"""Checkpoints are directories: ``config.json`` (what to build) and ``*.safetensors`` (weights).

A checkpoint of kind "semantic" holds ``generator.safetensors`` and ``discriminator.safetensors``;
trainers add ``training.pt`` (optimiser states, RNG states) so a run can resume. Loading never
needs the user to repeat architecture flags: the config says what to build. Directories are
written beside their final name and renamed into place, so a crash never leaves half a
checkpoint where a complete one is expected.
"""

from __future__ import annotations

import contextlib
import json
import os
import pickle
import shutil
import uuid
from pathlib import Path

from spt_core.errors import SptError
from spt_core.io_utils import write_text_atomic

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


def load_weights(
    module, directory: str | Path, name: str, device="cpu", grow_inputs: bool = False
) -> None:
    """Load ``name.safetensors`` into ``module``, insisting that every tensor fits.

    With ``grow_inputs`` a convolution whose network copy reads more input channels than the
    checkpoint's gets the checkpoint's weights for the first ones and zeros for the new ones,
    so the grown network computes what the checkpoint did until training teaches it to use
    the new inputs (fine-tuning a model into one that reads the label fill, decision 0007).

    Raises:
        CheckpointError: the file is missing, or its tensors do not match the module: the
            message lists missing and unexpected tensors and shape mismatches.
    """
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    path = Path(directory) / f"{name}.safetensors"
    if not path.is_file():
        raise CheckpointError(f"{directory}: no weights for {name!r} ({path.name} missing)")
    # safetensors cannot place tensors on the meta device (device-correctness tests): they are
    # read on the CPU and moved with the module.
    read_on = "cpu" if str(device) == "meta" else str(device)
    try:
        state = load_file(str(path), device=read_on)
    except (SafetensorError, OSError) as exc:
        raise CheckpointError(f"{path}: unreadable weights ({exc})") from None
    module = getattr(module, "module", module)
    expected = module.state_dict()
    if grow_inputs:
        state = {key: _grown(value, expected.get(key)) for key, value in state.items()}
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


def load_training_state(directory: str | Path, device="cpu") -> dict:
    """Read ``training.pt`` (optimiser, scaler and RNG states) without running any code.

    ``torch.load(weights_only=True)`` accepts only tensors, numbers, strings and containers,
    so a crafted file cannot execute a pickled payload on ``--resume``.

    Raises:
        CheckpointError: missing, damaged, or holding anything but plain state.
    """
    import torch

    path = Path(directory) / TRAINING_STATE
    if not path.is_file():
        raise CheckpointError(f"{directory}: cannot resume ({TRAINING_STATE} missing)")
    try:
        state = torch.load(path, map_location=device, weights_only=True)
    except (pickle.UnpicklingError, RuntimeError, EOFError, OSError, ValueError) as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise CheckpointError(
            f"{path}: refused: not plain training state (tensors and numbers) or damaged; "
            f"a file like this could run code if loaded unsafely ({reason})"
        ) from None
    if not isinstance(state, dict) or "step" not in state:
        raise CheckpointError(f"{path}: not a training state (no 'step')")
    return state


def latest_checkpoint(run_dir: str | Path) -> Path | None:
    """The checkpoint ``latest.json`` names, or else the newest complete one, or None.

    An empty, corrupt or dangling ``latest.json`` (a crash while it was written, a pruned
    checkpoint) is ignored: a ``step_*`` folder holding a config.json is complete, because
    checkpoints are renamed into place only once fully written.
    """
    run_dir = Path(run_dir)
    named = _pointed_checkpoint(run_dir)
    if named is not None:
        return named
    found = sorted((run_dir / CHECKPOINTS).glob(f"step_*/{CONFIG_FILE}"))
    return found[-1].parent if found else None


def _pointed_checkpoint(run_dir: Path) -> Path | None:
    """The complete checkpoint ``latest.json`` names, or None if it names none."""
    try:
        pointer = json.loads((run_dir / LATEST).read_text(encoding="utf-8"))
        name = pointer["checkpoint"]
    except (OSError, ValueError, TypeError, KeyError):
        return None
    if not isinstance(name, str) or not name.startswith("step_") or Path(name).name != name:
        return None  # only a folder of checkpoints/, never a path elsewhere
    path = run_dir / CHECKPOINTS / name
    return path if (path / CONFIG_FILE).is_file() else None


def write_latest(run_dir: str | Path, checkpoint: Path, step: int) -> None:
    """Point ``latest.json`` at ``checkpoint`` atomically (never an empty or half file)."""
    text = json.dumps({"checkpoint": Path(checkpoint).name, "step": int(step)})
    write_text_atomic(Path(run_dir) / LATEST, text)


def remove_leftovers(run_dir: str | Path) -> list[Path]:
    """Delete what a killed writer leaves in a run folder; returns what was removed.

    Staging folders (``.step_*.tmp``), replaced checkpoints (``.step_*.old``) and the temporary
    files of atomic writes (``.latest.json.*``, ``previews/.*``) are never read; call this only
    while holding the folder's lock, when no other writer can be mid-write.
    """
    run_dir = Path(run_dir)
    checkpoints = run_dir / CHECKPOINTS
    found = [
        *checkpoints.glob(".step_*.tmp"),
        *checkpoints.glob(".step_*.old"),
        *run_dir.glob(f".{LATEST}.*"),
        *run_dir.glob(".log.jsonl.*"),
        *(run_dir / "previews").glob(".*"),
    ]
    for path in found:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
    return found


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


def _grown(weight, expected):
    """``weight`` zero-padded along its input channels to ``expected``'s shape, when it is a
    convolution kernel that differs from it only there; otherwise ``weight`` unchanged."""
    import torch

    if expected is None or weight.dim() != 4 or expected.dim() != 4:
        return weight
    same_rest = weight.shape[0] == expected.shape[0] and weight.shape[2:] == expected.shape[2:]
    if not same_rest or weight.shape[1] >= expected.shape[1]:
        return weight
    missing = expected.shape[1] - weight.shape[1]
    extra = weight.new_zeros(weight.shape[0], missing, *weight.shape[2:])
    return torch.cat([weight, extra], 1)
