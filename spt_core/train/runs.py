"""What a run of each kind is configured by, and what a run folder holds.

A run is configured by one frozen dataclass per *section* (``train``, ``model``, ``losses``
and, where a kind needs more than the dataset, ``inputs``...). This module knows the sections
of every kind, their defaults and presets, reads the sections back from a run folder's newest
checkpoint (:func:`read_run`), checks that a resume keeps the architecture
(:func:`check_resumable`), and turns "only what the user gave" into a run's sections
(:func:`run_sections`). Building the trainer itself (loading data) is
:mod:`spt_core.train.factory`'s.

Resuming is strict about the architecture and lenient about the schedule: every section but
``train`` and ``inputs`` must equal the checkpoint's (else the weights would not fit, or the run
would silently change objective), while ``train`` (steps, batch size, device...) may change.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from spt_core.config import (
    AppearanceLossWeights,
    AppearanceNetConfig,
    AppearanceRunInputs,
    JointRunInputs,
    ParserConfig,
    PoseNetConfig,
    ProgressiveConfig,
    SemanticLossWeights,
    SemanticNetConfig,
    SemanticRunInputs,
    TrainConfig,
    from_dict,
    path_fields,
)
from spt_core.data.dataset import PersonDataset
from spt_core.errors import DataError
from spt_core.models.checkpoint import CheckpointError, latest_checkpoint, read_config

# kind -> section name -> dataclass. Order is the order the editor shows the sections in.
_SECTIONS: dict[str, dict[str, type]] = {
    "semantic": {
        "train": TrainConfig,
        "model": SemanticNetConfig,
        "losses": SemanticLossWeights,
        "inputs": SemanticRunInputs,
    },
    "appearance": {
        "train": TrainConfig,
        "model": AppearanceNetConfig,
        "losses": AppearanceLossWeights,
        # The 256-px schedule (used only with the model's local_enhancer).
        "progressive": ProgressiveConfig,
        "inputs": AppearanceRunInputs,
    },
    # The architectures of a joint run are those of its two starting checkpoints: no form.
    "joint": {
        "train": TrainConfig,
        "losses": AppearanceLossWeights,
        "semantic_losses": SemanticLossWeights,
        "inputs": JointRunInputs,
    },
    "posenet": {"train": TrainConfig, "model": PoseNetConfig},
    "parser": {"train": TrainConfig, "model": ParserConfig},
}
# Menu order: semantic, appearance, joint, posenet, parser (the dict's order).

# Sections whose default is not the dataclass's own: the parser learns with Adam at 1e-3 and
# beta1 0.9 (a plain classifier, not a GAN).
_KIND_DEFAULTS: dict[str, dict[str, Any]] = {"parser": {"train": TrainConfig(lr=1e-3, beta1=0.9)}}

# Sections a resumed run may change (everything else must equal the checkpoint's).
_FREE_ON_RESUME = ("train", "inputs")


def trainer_kinds() -> list[str]:
    """The kinds there are trainers for, in menu order."""
    return list(_SECTIONS)


def sections_of(kind: str) -> dict[str, type]:
    """Section name -> config dataclass of a kind (``train`` first).

    Raises:
        ValueError: an unknown kind.
    """
    if kind not in trainer_kinds():
        raise ValueError(f"unknown network kind {kind!r}; one of {trainer_kinds()}")
    return dict(_SECTIONS[kind])


def default_section(kind: str, name: str) -> Any:
    """The default of one section of a kind, not sized for any dataset.

    Raises:
        ValueError: an unknown kind.
        KeyError: a section the kind does not have.
    """
    cls = sections_of(kind)[name]
    default = _KIND_DEFAULTS.get(kind, {}).get(name)
    return cls() if default is None else default


def dataset_size(data_dir: str | Path | None) -> tuple[int, int] | None:
    """(H, W) of a dataset's images, or None when the folder is not a readable dataset."""
    if data_dir is None:
        return None
    try:
        return PersonDataset(data_dir).size
    except (DataError, OSError):
        return None


def default_sections(kind: str, data_dir: str | Path | None = None) -> dict[str, Any]:
    """The default config of every section, sized for the dataset when one is given.

    The semantic network works at 128x64 on tall 2:1 images and at 128x128 otherwise (256-px
    data is predicted at 128 and upsampled, as in the paper); the pose regressor at the
    dataset's own size; the parser at 128x64 whatever the data (its images are fitted).
    """
    sections = {name: default_section(kind, name) for name in sections_of(kind)}
    size = dataset_size(data_dir) if kind in ("semantic", "posenet") else None
    if size is not None and kind == "semantic":
        semantic_size = (128, 64) if size[0] == 2 * size[1] else (128, 128)
        sections["model"] = dataclasses.replace(sections["model"], size=semantic_size)
    if size is not None and kind == "posenet":
        # A size P cannot take (not divisible by 4) keeps 128x64: the images are then fitted.
        with contextlib.suppress(ValueError):
            sections["model"] = dataclasses.replace(sections["model"], size=size)
    return sections


def presets(kind: str) -> dict[str, dict[str, Any]]:
    """Named starting points: "paper" (the defaults) and "tiny" (seconds per step on a CPU).

    "tiny" is for trying the editor and for tests; it learns little at 32x16. A preset leaves
    out the ``inputs`` section, so applying one keeps the files the user chose.
    """
    base = {name: default_section(kind, name) for name in sections_of(kind) if name != "inputs"}
    quick = dataclasses.replace(
        base["train"],
        steps=200,
        batch_size=4,
        lr=2e-3,
        log_every=1,
        preview_every=10,
        checkpoint_every=50,
        decay_from=1.0,
    )
    tiny = dict(base, train=quick)
    if kind == "semantic":
        tiny["model"] = SemanticNetConfig.tiny()
    elif kind == "appearance":
        tiny["model"] = AppearanceNetConfig.tiny()
    elif kind == "posenet":
        tiny["model"] = PoseNetConfig(size=(32, 16), base_channels=8, n_blocks=2, heatmap_sigma=1.5)
    elif kind == "parser":
        tiny["model"] = ParserConfig(size=(32, 16), base_channels=8, max_channels=32, depth=3)
    return {"paper": base, "tiny": tiny}


@dataclass
class RunInfo:
    """What a run folder holds: its kind, newest checkpoint and the sections it was made with."""

    kind: str
    step: int
    checkpoint: Path
    sections: dict[str, Any]


def read_run(run_dir: str | Path) -> RunInfo | None:
    """The newest checkpoint of ``run_dir`` as sections, or None when the folder has none.

    Sections the checkpoint does not record (``inputs``: file paths) keep their defaults.

    Raises:
        CheckpointError: a checkpoint that cannot be read or of a kind there is no trainer for.
    """
    checkpoint = latest_checkpoint(run_dir)
    if checkpoint is None:
        return None
    config = read_config(checkpoint)
    kind = config.get("kind")
    if kind not in trainer_kinds():
        raise CheckpointError(f"{checkpoint}: a {kind!r} checkpoint; cannot train that kind here")
    sections = {name: default_section(kind, name) for name in sections_of(kind)}
    try:
        for name, cls in sections_of(kind).items():
            if name in config and isinstance(config[name], dict):
                sections[name] = from_dict(cls, config[name])
        if kind == "joint":  # the starting checkpoints, so the form shows where the run began
            sections["inputs"] = JointRunInputs(
                semantic=config.get("semantic_init") or "",
                appearance=config.get("appearance_init") or "",
            )
    except (TypeError, ValueError) as exc:
        raise CheckpointError(
            f"{checkpoint}: config.json does not fit this version ({exc})"
        ) from None
    return RunInfo(kind, int(config.get("step", 0)), checkpoint, sections)


def _clash(name: str, saved: Any, asked: Any) -> str:
    return f"{name} {saved!r} in the checkpoint, {asked!r} asked"


def _refusal(checkpoint: Path, clashes: list[str], hint: str) -> CheckpointError:
    return CheckpointError(
        f"{checkpoint}: cannot resume with another configuration ({'; '.join(clashes[:4])}); {hint}"
    )


def _differences(asked: Any, saved: Any) -> list[str]:
    # Paths (e.g. the 128-px run a 256-px schedule started from) matter only to a new run.
    paths = path_fields(type(saved))
    return [
        _clash(field.name, getattr(saved, field.name), getattr(asked, field.name))
        for field in dataclasses.fields(saved)
        if field.name not in paths and getattr(asked, field.name) != getattr(saved, field.name)
    ]


def _resumable(kind: str, run_dir: str | Path) -> RunInfo:
    info = read_run(run_dir)
    if info is None:
        raise CheckpointError(f"{run_dir}: nothing to resume (no checkpoint)")
    if info.kind != kind:
        raise CheckpointError(f"{run_dir}: holds a {info.kind!r} run, not a {kind!r} one")
    return info


def check_resumable(kind: str, run_dir: str | Path, sections: Mapping[str, Any]) -> RunInfo:
    """The run to resume, after checking that every section but ``train`` and ``inputs`` (the
    architecture, the loss weights, the 256-px schedule) equals the checkpoint's; path fields
    (``ProgressiveConfig.global_from``) are not compared, as a resumed run does not read them.

    Raises:
        CheckpointError: no checkpoint, another kind, or another architecture / loss weights
            (the message names each field that differs, with both values).
    """
    info = _resumable(kind, run_dir)
    clashes = []
    for name in info.sections:
        if name not in _FREE_ON_RESUME and name in sections:
            clashes += _differences(sections[name], info.sections[name])
    if clashes:
        raise _refusal(info.checkpoint, clashes, "load the run's settings or start a new run")
    return info


def _differs(value: Any, saved: Any) -> bool:
    if isinstance(saved, tuple) and isinstance(value, list):
        value = tuple(value)
    return value != saved


def run_sections(
    kind: str,
    run_dir: str | Path,
    resume: bool = False,
    data_dir: str | Path | None = None,
    changes: Mapping[str, Mapping[str, Any]] | None = None,
) -> dict[str, Any]:
    """The sections a run starts or resumes with, from only the values the user gave.

    This is how ``spt train`` turns its options into sections: a new run starts from
    :func:`default_sections` (sized for ``data_dir``); a resumed run from the sections saved
    in ``run_dir``'s newest checkpoint, so no architecture option needs repeating and the
    schedule (batch size, learning rate, seed...) goes on as it was. ``changes`` are applied on
    top; pass the result to ``factory.build_trainer``.

    Args:
        kind: one of :func:`trainer_kinds`.
        run_dir: the run folder (read only when resuming).
        resume: continue the run in ``run_dir``.
        data_dir: dataset folder, for the defaults of a new run (e.g. the pose regressor's
            size); None: the unsized defaults.
        changes: section name -> field name -> value; a None value means "not given" and
            is skipped.

    Raises:
        CheckpointError: resuming a folder without a checkpoint, with another kind of run, or
            with a value of a section other than ``train`` / ``inputs`` that differs from the
            checkpoint's (the message names the field and both values).
        ValueError: an unknown kind, section or field, or a value its dataclass refuses.
    """
    info = _resumable(kind, run_dir) if resume else None
    sections = dict(info.sections) if info else default_sections(kind, data_dir)
    clashes = []
    for name, values in (changes or {}).items():
        if name not in sections:
            raise ValueError(f"a {kind!r} run has no {name!r} section; one of {list(sections)}")
        given = {key: value for key, value in values.items() if value is not None}
        unknown = sorted(set(given) - {field.name for field in dataclasses.fields(sections[name])})
        if unknown:
            raise ValueError(f"section {name!r} of a {kind!r} run has no field {unknown}")
        if info is not None and name not in _FREE_ON_RESUME:
            # Refused here, before a changed value could make an invalid combination with the
            # saved ones (a deeper parser at the saved size, say) and hide the real reason.
            saved = sections[name]
            clashes += [
                _clash(key, getattr(saved, key), value)
                for key, value in given.items()
                if _differs(value, getattr(saved, key))
            ]
            continue
        if given:
            sections[name] = dataclasses.replace(sections[name], **given)
    if clashes:
        raise _refusal(
            info.checkpoint,
            clashes,
            "leave those values out (a resumed run takes them from its checkpoint) or start "
            "a new run",
        )
    return sections
