"""Build a trainer from (kind, dataset folder, run folder, config sections), without a CLI.

Every trainer is built here: the semantic and appearance networks, the end-to-end (joint)
run, the pose regressor P and the human parser. The editor's Tools dialog edits one frozen
dataclass per *section* of a run (``train``, ``model``, ``losses`` and, where a kind needs more
than the dataset, ``inputs``) and hands them here; ``spt train`` reaches the same trainers
through argparse (:func:`run_sections` turns its options into sections). Everything here is
Qt-free and loads data, so callers run :func:`build_trainer` off the GUI thread.

The sections of each kind, their defaults and presets, and reading / checking a saved run live
in :mod:`spt_core.train.runs` and are re-exported here. Resuming is strict about the
architecture and lenient about the schedule: the ``model`` and ``losses`` sections must equal
the checkpoint's, while ``train`` (steps, batch size, device...) may change. Use
:func:`read_run` (or :func:`run_sections`) to fill the sections from a run folder before
resuming.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from spt_core.config import (
    AppearanceNetConfig,
    AppearanceRunInputs,
    JointRunInputs,
    SemanticNetConfig,
    SemanticRunInputs,
    from_dict,
)
from spt_core.data.dataset import PersonDataset
from spt_core.errors import DataError, InputError
from spt_core.models.checkpoint import latest_checkpoint, read_config
from spt_core.search.store import DEFAULT_PSEUDO_LABELS
from spt_core.train.loop import Trainer
from spt_core.train.runs import (
    RunInfo,
    check_resumable,
    dataset_size,
    default_section,
    default_sections,
    presets,
    read_run,
    run_sections,
    sections_of,
    trainer_kinds,
)

__all__ = [
    "RunInfo",
    "build_trainer",
    "check_resumable",
    "dataset_size",
    "default_section",
    "default_sections",
    "presets",
    "pseudo_labels_path",
    "read_run",
    "run_sections",
    "sections_of",
    "trainer_kinds",
]


def pseudo_labels_path(data_dir: str | Path, inputs: SemanticRunInputs | JointRunInputs) -> Path:
    """The pseudo-label file a semantic run reads (``inputs`` or the dataset's default)."""
    if inputs.pseudo_labels:
        return Path(inputs.pseudo_labels).expanduser()
    return Path(data_dir) / DEFAULT_PSEUDO_LABELS


def build_trainer(
    kind: str,
    data_dir: str | Path,
    run_dir: str | Path,
    sections: dict[str, Any],
    resume: bool = False,
) -> Trainer:
    """Load the data a kind needs and return its trainer; drive ``trainer.run()`` for events.

    Args:
        kind: "semantic", "appearance", "joint", "posenet" or "parser" (:func:`trainer_kinds`).
        data_dir: dataset folder (PG2 layout); the parser's needs parsing maps.
        run_dir: where checkpoints, log.jsonl and previews go.
        sections: section name -> config (see :func:`sections_of`); missing sections take
            their defaults (:func:`default_section`).
        resume: continue the run in ``run_dir`` (see :func:`check_resumable`).

    Raises:
        DataError: a missing or unusable dataset or pseudo-label file.
        CheckpointError: resuming with another architecture, or a bad input checkpoint.
        ValueError: an unknown kind, or a config the trainer refuses (e.g. a face GAN for the
            appearance trainer).
    """
    sections = {
        name: sections[name] if name in sections else default_section(kind, name)
        for name in sections_of(kind)
    }
    if resume:
        check_resumable(kind, run_dir, sections)
    dataset = _dataset(kind, data_dir)
    builders = {
        "semantic": _semantic,
        "appearance": _appearance,
        "joint": _joint,
        "posenet": _posenet,
        "parser": _parser,
    }
    return builders[kind](dataset, sections, run_dir, resume)


def _dataset(kind: str, data_dir: str | Path) -> PersonDataset:
    """The dataset a kind reads: people with the four torso joints, or (the parser) every
    image with a parsing map, pose or not."""
    data_dir = Path(data_dir)
    if not data_dir.is_dir():
        raise DataError(data_dir, "dataset folder not found")
    if kind == "parser":
        dataset = PersonDataset(data_dir, require_torso=False, require_parsing=True)
        if not len(dataset):
            raise DataError(dataset.root, "no image has a parsing map; the parser needs them")
        return dataset
    dataset = PersonDataset(data_dir)
    if not len(dataset):
        raise DataError(dataset.root, "no usable image (with its four torso joints)")
    return dataset


def _posenet(dataset: PersonDataset, sections: dict, run_dir, resume: bool) -> Trainer:
    from spt_core.train.posenet import PoseImages, PoseNetTrainer

    model = sections["model"]
    images = PoseImages.from_dataset(dataset, model.size)
    return PoseNetTrainer(images, model, sections["train"], run_dir, resume)


def _parser(dataset: PersonDataset, sections: dict, run_dir, resume: bool) -> Trainer:
    from spt_core.train.parser import ParserTrainer, ParsingImages

    model = sections["model"]
    images = ParsingImages.from_dataset(dataset, model.size)
    return ParserTrainer(images, model, sections["train"], run_dir, resume)


def _load_pseudo_labels(dataset: PersonDataset, inputs):
    from spt_core.search.store import PseudoLabels

    path = pseudo_labels_path(dataset.root, inputs)
    if not path.is_file():
        raise DataError(
            path, "pseudo-label file not found; run the pseudo-label search on this dataset first"
        )
    return PseudoLabels.load(path)


def _semantic(dataset: PersonDataset, sections: dict, run_dir, resume: bool) -> Trainer:
    from spt_core.data.parsing_pairs import ParsingPairs
    from spt_core.train.semantic import SemanticTrainer

    model = sections["model"]
    pseudo = _load_pseudo_labels(dataset, sections["inputs"])
    pairs = ParsingPairs.from_pseudo_labels(dataset, pseudo, model.size, model.mask_radius)
    return SemanticTrainer(pairs, model, sections["losses"], sections["train"], run_dir, resume)


def _appearance(dataset: PersonDataset, sections: dict, run_dir, resume: bool) -> Trainer:
    from spt_core.data.samples import PersonSamples
    from spt_core.train.appearance import AppearanceTrainer

    inputs: AppearanceRunInputs = sections["inputs"]
    semantic = posenet = None
    if inputs.parsing == "predicted":
        from spt_core.models.loading import load_semantic_generator

        semantic = load_semantic_generator(Path(inputs.semantic).expanduser())
    if inputs.posenet:
        from spt_core.models.loading import load_posenet

        posenet = load_posenet(Path(inputs.posenet).expanduser())[0]
    init_from = Path(inputs.init).expanduser() if inputs.init else None
    samples = PersonSamples.from_dataset(dataset, sections["model"].size)
    return AppearanceTrainer(
        samples,
        sections["model"],
        sections["losses"],
        sections["train"],
        run_dir,
        posenet=posenet,
        semantic=semantic,
        parsing_mode=inputs.parsing,
        resume=resume,
        init_from=init_from,
        progressive=sections["progressive"],
    )


def _joint(dataset: PersonDataset, sections: dict, run_dir, resume: bool) -> Trainer:
    from spt_core.data.samples import PersonSamples
    from spt_core.models.checkpoint import resolve_checkpoint
    from spt_core.train.joint import KIND, JointTrainer, pseudo_label_pairs

    inputs: JointRunInputs = sections["inputs"]
    # The architectures come from checkpoints, never from the form (as ``spt train joint``).
    if resume:
        config = read_config(latest_checkpoint(run_dir), KIND)
        semantic_model = from_dict(SemanticNetConfig, config["semantic_model"])
        appearance_model = from_dict(AppearanceNetConfig, config["model"])
        semantic_init = appearance_init = None
    else:
        if not inputs.semantic or not inputs.appearance:
            raise InputError(
                "semantic, appearance: end-to-end training starts from pre-trained networks: "
                "give a semantic run and an appearance run (spt train joint --semantic/"
                "--appearance, or the training window's Inputs), or resume; Tools > Train a "
                "model (spt train recipe) runs every stage in order"
            )
        semantic_init = resolve_checkpoint(Path(inputs.semantic).expanduser())
        appearance_init = resolve_checkpoint(Path(inputs.appearance).expanduser())
        semantic_model = from_dict(
            SemanticNetConfig, read_config(semantic_init, "semantic")["model"]
        )
        appearance_model = from_dict(
            AppearanceNetConfig, read_config(appearance_init, "appearance")["model"]
        )
    posenet = None
    if inputs.posenet:
        from spt_core.models.loading import load_posenet

        posenet = load_posenet(Path(inputs.posenet).expanduser())[0]
    pairs = pseudo_label_pairs(dataset, _load_pseudo_labels(dataset, inputs))
    samples = PersonSamples.from_dataset(dataset, appearance_model.size)
    return JointTrainer(
        samples,
        pairs,
        semantic_model,
        appearance_model,
        sections["semantic_losses"],
        sections["losses"],
        sections["train"],
        run_dir,
        semantic_init=semantic_init,
        appearance_init=appearance_init,
        posenet=posenet,
        resume=resume,
    )
