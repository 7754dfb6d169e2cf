"""Build a trainer from (kind, dataset folder, run folder, config sections), without a CLI.

The editor's Tools dialog edits one frozen dataclass per *section* of a run (``train``,
``model``, ``losses`` and, where a kind needs more than the dataset, ``inputs``) and hands them
here; ``spt train`` reaches the same trainers through argparse. Everything here is Qt-free and
loads data, so callers run :func:`build_trainer` off the GUI thread.

Resuming is strict about the architecture and lenient about the schedule: the ``model`` and
``losses`` sections must equal the checkpoint's (else the weights would not fit, or the run would
silently change objective), while ``train`` (steps, batch size, device...) may change. Use
:func:`read_run` to fill the sections from a run folder before resuming.
"""

from __future__ import annotations

import contextlib
import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from spt_core.config import (
    APPEARANCE_NORMS,
    STYLE_VARIANTS,
    AppearanceLossWeights,
    AppearanceNetConfig,
    ProgressiveConfig,
    SearchConfig,
    SemanticLossWeights,
    SemanticNetConfig,
    TrainConfig,
    from_dict,
)
from spt_core.data.dataset import PersonDataset
from spt_core.errors import DataError
from spt_core.models.checkpoint import CheckpointError, read_config
from spt_core.train.loop import Trainer, latest_checkpoint
from spt_core.train.posenet import PoseNetConfig

#: The file name the editor proposes for a dataset's pseudo labels (inside the dataset folder).
DEFAULT_PSEUDO_LABELS = "pseudo_labels.npz"


@dataclasses.dataclass(frozen=True)
class SemanticInputs:
    """What a semantic run reads besides the dataset.

    Attributes:
        pseudo_labels: pseudo-label file of the dataset (the search's output); empty means
            ``pseudo_labels.npz`` in the dataset folder.
    """

    pseudo_labels: str = ""


@dataclasses.dataclass(frozen=True)
class AppearanceInputs:
    """What an appearance run reads besides the dataset.

    Attributes:
        parsing: target parsing: "gt" takes the map of the image the target pose comes from
            (TS-GT); "predicted" asks a trained semantic network (TS-Pred).
        semantic: semantic run or checkpoint folder, needed for parsing "predicted".
        posenet: pose regressor run or checkpoint folder; empty leaves the pose loss out.
        init: appearance run or checkpoint whose weights start this run (fine-tuning); empty
            starts from scratch. Ignored when resuming.
    """

    parsing: str = "gt"
    semantic: str = ""
    posenet: str = ""
    init: str = ""

    def __post_init__(self) -> None:
        if self.parsing not in ("gt", "predicted"):
            raise ValueError(f"parsing must be 'gt' or 'predicted', got {self.parsing!r}")
        if self.parsing == "predicted" and not self.semantic:
            raise ValueError("parsing 'predicted' needs a semantic run or checkpoint")


@dataclasses.dataclass(frozen=True)
class JointInputs:
    """What an end-to-end run reads besides the dataset.

    Attributes:
        semantic: pre-trained semantic run or checkpoint (G_S and D_S start from it; its
            architecture is the run's). Needed for a new run, unused when resuming.
        appearance: pre-trained appearance run or checkpoint (G_A, D_A and, with the face
            GAN, D_F; a 256-px local-enhanced run trains with alpha 1). The semantic run works
            at its size or a smaller scaled copy of it (e.g. 128x128 under 256x256). Needed
            for a new run, unused when resuming.
        pseudo_labels: pseudo-label file of the dataset; empty means ``pseudo_labels.npz`` in
            the dataset folder.
        posenet: pose regressor run or checkpoint folder; empty leaves the pose loss out.
    """

    semantic: str = ""
    appearance: str = ""
    pseudo_labels: str = ""
    posenet: str = ""


# kind -> section name -> dataclass. Order is the order the editor shows the sections in.
_SECTIONS: dict[str, dict[str, type]] = {
    "semantic": {
        "train": TrainConfig,
        "model": SemanticNetConfig,
        "losses": SemanticLossWeights,
        "inputs": SemanticInputs,
    },
    "appearance": {
        "train": TrainConfig,
        "model": AppearanceNetConfig,
        "losses": AppearanceLossWeights,
        # The 256-px schedule (used only with the model's local_enhancer).
        "progressive": ProgressiveConfig,
        "inputs": AppearanceInputs,
    },
    # The architectures of a joint run are those of its two starting checkpoints: no form.
    "joint": {
        "train": TrainConfig,
        "losses": AppearanceLossWeights,
        "semantic_losses": SemanticLossWeights,
        "inputs": JointInputs,
    },
    "posenet": {"train": TrainConfig, "model": PoseNetConfig},
}
# Menu order: semantic, appearance, joint, posenet (the dict's order).

# Closed sets of the string fields (the dataclasses validate them in __post_init__ but keep
# them as plain str, so the form needs the list from somewhere; a test checks that each
# choice is accepted and an outsider refused).
_CHOICES: dict[type, dict[str, tuple[str, ...]]] = {
    SemanticNetConfig: {"norm": ("sample", "instance", "batch")},
    AppearanceNetConfig: {"norm": APPEARANCE_NORMS, "disc_norm": APPEARANCE_NORMS},
    AppearanceLossWeights: {"style_variant": STYLE_VARIANTS},
    SearchConfig: {"mode": ("exact", "fast"), "part_balance": ("equal", "pixels")},
    AppearanceInputs: {"parsing": ("gt", "predicted")},
}

# Fields that name a file or folder (the form offers a browse button).
PATH_FIELDS: dict[type, dict[str, str]] = {
    SemanticInputs: {"pseudo_labels": "file"},
    AppearanceInputs: {"semantic": "folder", "posenet": "folder", "init": "folder"},
    ProgressiveConfig: {"global_from": "folder"},
    JointInputs: {
        "semantic": "folder",
        "appearance": "folder",
        "pseudo_labels": "file",
        "posenet": "folder",
    },
}


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


def field_choices(cls: type) -> dict[str, tuple[str, ...]]:
    """Field name -> allowed values of the closed string fields of a config dataclass.

    ``TrainConfig.device`` lists "auto", "cpu" and the CUDA devices this machine has.
    """
    choices = dict(_CHOICES.get(cls, {}))
    if cls is TrainConfig:
        choices["device"] = available_devices()
    return choices


def available_devices() -> tuple[str, ...]:
    """The devices to offer: "auto", "cpu", then "cuda:0", "cuda:1"... for every visible GPU."""
    import torch

    gpus = torch.cuda.device_count() if torch.cuda.is_available() else 0
    return ("auto", "cpu", *(f"cuda:{i}" for i in range(gpus)))


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
    dataset's own size, as ``spt train posenet`` does.
    """
    sections = {name: cls() for name, cls in sections_of(kind).items()}
    size = dataset_size(data_dir)
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
    base = {name: cls() for name, cls in sections_of(kind).items() if name != "inputs"}
    quick = TrainConfig(
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
        tiny["model"] = SemanticNetConfig(
            size=(32, 16),
            base_channels=8,
            max_channels=32,
            depth=3,
            disc_channels=8,
            disc_layers=2,
            mask_radius=1,
            heatmap_sigma=1.5,
        )
    elif kind == "appearance":
        tiny["model"] = AppearanceNetConfig.tiny()
    elif kind == "posenet":
        tiny["model"] = PoseNetConfig(size=(32, 16), base_channels=8, n_blocks=2, heatmap_sigma=1.5)
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
        CheckpointError: a checkpoint that cannot be read or of a kind the editor cannot train.
    """
    checkpoint = latest_checkpoint(run_dir)
    if checkpoint is None:
        return None
    config = read_config(checkpoint)
    kind = config.get("kind")
    if kind not in trainer_kinds():
        raise CheckpointError(f"{checkpoint}: a {kind!r} checkpoint; cannot train that kind here")
    sections = {name: cls() for name, cls in sections_of(kind).items()}
    try:
        for name, cls in sections_of(kind).items():
            if name in config and isinstance(config[name], dict):
                sections[name] = from_dict(cls, config[name])
        if kind == "joint":  # the starting checkpoints, so the form shows where the run began
            sections["inputs"] = JointInputs(
                semantic=config.get("semantic_init") or "",
                appearance=config.get("appearance_init") or "",
            )
    except (TypeError, ValueError) as exc:
        raise CheckpointError(
            f"{checkpoint}: config.json does not fit this version ({exc})"
        ) from None
    return RunInfo(kind, int(config.get("step", 0)), checkpoint, sections)


def _differences(asked: Any, saved: Any) -> list[str]:
    # Paths (e.g. the 128-px run a 256-px schedule started from) matter only to a new run.
    paths = PATH_FIELDS.get(type(saved), {})
    return [
        f"{field.name} {getattr(saved, field.name)!r} in the checkpoint, "
        f"{getattr(asked, field.name)!r} asked"
        for field in dataclasses.fields(saved)
        if field.name not in paths and getattr(asked, field.name) != getattr(saved, field.name)
    ]


def check_resumable(kind: str, run_dir: str | Path, sections: dict[str, Any]) -> RunInfo:
    """The run to resume, after checking that every section but ``train`` and ``inputs`` (the
    architecture, the loss weights, the 256-px schedule) equals the checkpoint's; path fields
    (``ProgressiveConfig.global_from``) are not compared, as a resumed run does not read them.

    Raises:
        CheckpointError: no checkpoint, another kind, or another architecture / loss weights.
    """
    info = read_run(run_dir)
    if info is None:
        raise CheckpointError(f"{run_dir}: nothing to resume (no checkpoint)")
    if info.kind != kind:
        raise CheckpointError(f"{run_dir}: holds a {info.kind!r} run, not a {kind!r} one")
    clashes = []
    for name in info.sections:
        if name not in ("train", "inputs") and name in sections:
            clashes += _differences(sections[name], info.sections[name])
    if clashes:
        raise CheckpointError(
            f"{info.checkpoint}: cannot resume with another configuration "
            f"({'; '.join(clashes[:4])}); load the run's settings or start a new run"
        )
    return info


def pseudo_labels_path(data_dir: str | Path, inputs: SemanticInputs | JointInputs) -> Path:
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
        kind: "semantic", "appearance", "posenet" (or "joint" where available).
        data_dir: dataset folder (PG2 layout).
        run_dir: where checkpoints, log.jsonl and previews go.
        sections: section name -> config (see :func:`sections_of`); missing sections take
            their defaults.
        resume: continue the run in ``run_dir`` (see :func:`check_resumable`).

    Raises:
        DataError: a missing or unusable dataset or pseudo-label file.
        CheckpointError: resuming with another architecture, or a bad input checkpoint.
        ValueError: a config the trainer refuses (e.g. a face GAN for the appearance trainer).
    """
    sections = {name: sections.get(name, cls()) for name, cls in sections_of(kind).items()}
    if resume:
        check_resumable(kind, run_dir, sections)
    data_dir = Path(data_dir)
    if not data_dir.is_dir():
        raise DataError(data_dir, "dataset folder not found")
    dataset = PersonDataset(data_dir)
    if not len(dataset):
        raise DataError(dataset.root, "no usable image (with its four torso joints)")
    if kind == "semantic":
        return _semantic(dataset, sections, run_dir, resume)
    if kind == "appearance":
        return _appearance(dataset, sections, run_dir, resume)
    if kind == "posenet":
        from spt_core.train.posenet import PoseImages, PoseNetTrainer

        model = sections["model"]
        images = PoseImages.from_dataset(dataset, model.size)
        return PoseNetTrainer(images, model, sections["train"], run_dir, resume)
    if kind == "joint":
        return _joint(dataset, sections, run_dir, resume)
    raise ValueError(f"unknown network kind {kind!r}; one of {trainer_kinds()}")


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
    from spt_core.train.appearance import AppearanceTrainer, PersonSamples

    inputs: AppearanceInputs = sections["inputs"]
    semantic = posenet = None
    if inputs.parsing == "predicted":
        from spt_core.train.semantic import load_semantic_generator

        semantic = load_semantic_generator(Path(inputs.semantic).expanduser())
    if inputs.posenet:
        from spt_core.train.posenet import load_posenet

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
    from spt_core.train.appearance import PersonSamples
    from spt_core.train.joint import KIND, JointTrainer, pseudo_label_pairs
    from spt_core.train.loop import resolve_checkpoint

    inputs: JointInputs = sections["inputs"]
    # The architectures come from checkpoints, never from the form (as ``spt train joint``).
    if resume:
        config = read_config(latest_checkpoint(run_dir), KIND)
        semantic_model = from_dict(SemanticNetConfig, config["semantic_model"])
        appearance_model = from_dict(AppearanceNetConfig, config["model"])
        semantic_init = appearance_init = None
    else:
        if not inputs.semantic or not inputs.appearance:
            raise DataError(
                None,
                "end-to-end training starts from pre-trained networks: give a semantic run "
                "and an appearance run (spt train joint --semantic/--appearance, or the "
                "training window's Inputs), or resume",
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
        from spt_core.train.posenet import load_posenet

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
