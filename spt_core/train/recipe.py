"""The default-model recipe as one resumable procedure: search, semantic, posenet, appearance,
joint, export (method §5: pre-train H_S, then H_A with H_S fixed, then both end to end).

``Recipe(data, out, config).run()`` yields :class:`StageEvent`\\ s and each trainer's events.
Everything goes under ``out``::

    recipe.json        the config and the stages finished so far (written atomically)
    pseudo.npz         the pseudo labels (the search resumes by itself)
    semantic/ posenet/ appearance/ joint/   one run folder per network
    model/             the exported model directory, with MODEL_CARD.md

Running it again continues where it stopped: finished stages are skipped, an interrupted
training stage resumes from its newest checkpoint (killed runs included), and a finished recipe
does nothing. The config must be the one it started with.
"""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from spt_core.config import (
    AppearanceLossWeights,
    AppearanceNetConfig,
    AppearanceRunInputs,
    JointRunInputs,
    PoseNetConfig,
    SemanticNetConfig,
    SemanticRunInputs,
    TrainConfig,
    from_dict,
    to_dict,
)
from spt_core.errors import SptError

STAGES = ("search", "semantic", "posenet", "appearance", "joint", "export")
RECIPE_FILE = "recipe.json"
#: Steps between preview pictures in a long stage.
PREVIEW_EVERY = 250
FORMAT = 1


#: The appearance inputs and up blocks that make G_A follow the edits (decisions 0006, 0007).
EDIT_INPUTS = {
    "torso_mask": "body",
    "identity_part": True,
    "label_gate": True,
    "upsample": "resize",
    "colour_hint": True,
}


class RecipeError(SptError):
    """A recipe folder that cannot be continued with this config."""


@dataclass(frozen=True)
class RecipeConfig:
    """The networks and schedule of the recipe (defaults: the shipped model's).

    Attributes:
        semantic, appearance: the two networks' architectures.
        appearance_losses: L_A's weights in the appearance and joint stages (with decision
            0006's pixel terms).
        posenet: the pose regressor's, or None to leave the pose loss out (and skip the stage).
        semantic_steps, posenet_steps, appearance_steps, joint_steps: steps per stage
            (``joint_steps = 0`` exports the pre-trained pair without end-to-end training).
        batch_size: samples per step, every stage.
        checkpoint_every: steps between checkpoints, every stage.
        log_every: steps between loss events and log lines, every stage.
        seed: data order and initialisation, every stage.
    """

    semantic: SemanticNetConfig = SemanticNetConfig(base_channels=32, max_channels=128)
    appearance: AppearanceNetConfig = AppearanceNetConfig(
        base_channels=32, max_channels=128, **EDIT_INPUTS
    )
    appearance_losses: AppearanceLossWeights = AppearanceLossWeights(
        pixels=10.0, label_colours=10.0
    )
    posenet: PoseNetConfig | None = None
    semantic_steps: int = 1300
    posenet_steps: int = 2000
    appearance_steps: int = 1400
    joint_steps: int = 300
    batch_size: int = 8
    checkpoint_every: int = 100
    log_every: int = 10
    seed: int = 0

    @classmethod
    def tiny(cls, **overrides) -> RecipeConfig:
        """A 32x16 recipe of a few steps per stage, for tests (it learns little)."""
        values = dict(
            semantic=SemanticNetConfig.tiny(),
            appearance=AppearanceNetConfig.tiny(**EDIT_INPUTS),
            posenet=PoseNetConfig(size=(32, 16), base_channels=8, n_blocks=1, heatmap_sigma=1.5),
            semantic_steps=3,
            posenet_steps=3,
            appearance_steps=3,
            joint_steps=3,
            batch_size=2,
            checkpoint_every=1,
            log_every=1,
        )
        return cls(**{**values, **overrides})

    def to_json(self) -> dict:
        values = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        for name in ("semantic", "appearance", "appearance_losses", "posenet"):
            values[name] = None if values[name] is None else to_dict(values[name])
        return values

    @classmethod
    def from_json(cls, values: dict) -> RecipeConfig:
        values = dict(values)
        values["semantic"] = from_dict(SemanticNetConfig, values["semantic"])
        values["appearance"] = from_dict(AppearanceNetConfig, values["appearance"])
        values["appearance_losses"] = from_dict(AppearanceLossWeights, values["appearance_losses"])
        if values.get("posenet") is not None:
            values["posenet"] = from_dict(PoseNetConfig, values["posenet"])
        return cls(**values)

    def stages(self) -> tuple[str, ...]:
        """The stages this config runs (no posenet stage without a pose regressor)."""
        skipped = set()
        if self.posenet is None:
            skipped.add("posenet")
        if self.joint_steps == 0:
            skipped.add("joint")
        return tuple(s for s in STAGES if s not in skipped)


@dataclass
class StageEvent:
    """A stage started ("start"), finished ("done") or was found finished ("skipped")."""

    stage: str
    status: str
    index: int
    count: int
    detail: str = ""


@dataclass
class RecipeState:
    """What a recipe folder's ``recipe.json`` says: the config, the data and the stages done."""

    config: RecipeConfig
    data_dir: Path
    done: list[str]

    @property
    def finished(self) -> bool:
        return "export" in self.done


def read_recipe_state(out_dir: str | Path) -> RecipeState | None:
    """The state of the recipe in ``out_dir``, or None when it holds none.

    Raises:
        RecipeError: a ``recipe.json`` that cannot be read.
    """
    path = Path(out_dir) / RECIPE_FILE
    if not path.is_file():
        return None
    try:
        state = json.loads(path.read_text())
        config = RecipeConfig.from_json(state["config"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise RecipeError(f"{path}: not a readable recipe state ({exc})") from None
    done = [s for s in state.get("done", []) if s in STAGES]
    return RecipeState(config, Path(state.get("data", "")), done)


class Recipe:
    """The recipe on one dataset into one folder (see the module docstring).

    Args:
        data_dir: the dataset (PG2 layout: images, parsing maps, poses).
        out_dir: the recipe folder.
        config: the recipe; when ``out_dir`` already holds one, it must be equal.
        device: "auto", "cpu" or "cuda[:N]" for every stage (may change between runs).
        card_note: a line added to the model card (where and how it was trained).
    """

    def __init__(
        self,
        data_dir: str | Path,
        out_dir: str | Path,
        config: RecipeConfig | None = None,
        device: str = "auto",
        card_note: str = "",
    ) -> None:
        self.data_dir, self.out = Path(data_dir), Path(out_dir)
        self.config = RecipeConfig() if config is None else config
        self.device, self.card_note = device, card_note
        self._trainer = None
        self._stop = False
        self.done: list[str] = []
        self.seconds: dict[str, float] = {}

    # ---- state ------------------------------------------------------------------------------

    @property
    def model_dir(self) -> Path:
        return self.out / "model"

    def _read_state(self) -> None:
        path = self.out / RECIPE_FILE
        if not path.is_file():
            return
        try:
            state = json.loads(path.read_text())
        except (OSError, ValueError) as exc:
            raise RecipeError(f"{path}: not a readable recipe state ({exc})") from None
        saved = read_recipe_state(self.out).config
        if saved != self.config:
            raise RecipeError(
                f"{self.out}: holds a recipe with another config; continue it with the same "
                "settings or choose another --out"
            )
        self.done = [s for s in state.get("done", []) if s in STAGES]
        self.seconds = {k: float(v) for k, v in state.get("seconds", {}).items()}

    def _write_state(self) -> None:
        from spt_core.io_utils import write_text_atomic

        state = {
            "format": FORMAT,
            "data": str(self.data_dir),
            "config": self.config.to_json(),
            "done": self.done,
            "seconds": self.seconds,
        }
        write_text_atomic(self.out / RECIPE_FILE, json.dumps(state, indent=2))

    def request_stop(self) -> None:
        """Stop after the current step (a training stage checkpoints first); run again to
        resume."""
        self._stop = True
        if self._trainer is not None:
            self._trainer.request_stop()

    # ---- the run ----------------------------------------------------------------------------

    def run(self) -> Iterator[object]:
        """Run every unfinished stage, yielding StageEvents and the trainers' events."""
        from spt_core.locks import holding, lock_file

        self.out.mkdir(parents=True, exist_ok=True)
        with holding(lock_file(self.out / RECIPE_FILE)):
            self._read_state()
            self._write_state()
            stages = self.config.stages()
            for index, stage in enumerate(stages):
                if self._stop:
                    return
                if stage in self.done:
                    yield StageEvent(stage, "skipped", index, len(stages))
                    continue
                yield StageEvent(stage, "start", index, len(stages))
                start = time.perf_counter()
                finished = yield from getattr(self, f"_{stage}")()
                self.seconds[stage] = self.seconds.get(stage, 0.0) + time.perf_counter() - start
                if not finished:
                    self._write_state()
                    return
                self.done.append(stage)
                self._write_state()
                yield StageEvent(stage, "done", index, len(stages))

    def _train_config(self, steps: int) -> TrainConfig:
        return TrainConfig(
            steps=steps,
            batch_size=self.config.batch_size,
            checkpoint_every=self.config.checkpoint_every,
            log_every=self.config.log_every,
            # A few previews per stage even when it is short (Tools > Train a model shows them).
            preview_every=min(PREVIEW_EVERY, max(1, steps // 4)),
            seed=self.config.seed,
            device=self.device,
        )

    def _train(self, kind: str, sections: dict):
        """Build (or resume) the stage's trainer and drive it; True when it finished."""
        from spt_core.models.checkpoint import latest_checkpoint
        from spt_core.train.events import DoneEvent
        from spt_core.train.factory import build_trainer

        run_dir = self.out / kind
        resume = latest_checkpoint(run_dir) is not None
        self._trainer = build_trainer(kind, self.data_dir, run_dir, sections, resume)
        if self._stop:
            self._trainer.request_stop()
        finished = False
        try:
            for event in self._trainer.run():
                if isinstance(event, DoneEvent):
                    finished = event.reason == "finished"
                yield event
        finally:
            self._trainer = None
        return finished

    def _search(self):
        from spt_core.config import SearchConfig
        from spt_core.data.dataset import PersonDataset
        from spt_core.search.engine import PseudoLabelSearch, SearchInputs

        inputs = SearchInputs.from_dataset(PersonDataset(self.data_dir))
        PseudoLabelSearch(SearchConfig(), device=self.device).run(inputs, self.out / "pseudo.npz")
        return True
        yield  # a generator like the other stages

    def _semantic(self):
        from spt_core.config import SemanticLossWeights

        sections = {
            "train": self._train_config(self.config.semantic_steps),
            "model": self.config.semantic,
            "losses": SemanticLossWeights(),
            "inputs": SemanticRunInputs(pseudo_labels=str(self.out / "pseudo.npz")),
        }
        return (yield from self._train("semantic", sections))

    def _posenet(self):
        sections = {
            "train": self._train_config(self.config.posenet_steps),
            "model": self.config.posenet,
        }
        return (yield from self._train("posenet", sections))

    def _posenet_input(self) -> str:
        return str(self.out / "posenet") if self.config.posenet is not None else ""

    def _appearance(self):
        from spt_core.config import ProgressiveConfig

        sections = {
            "train": self._train_config(self.config.appearance_steps),
            "model": self.config.appearance,
            "losses": self.config.appearance_losses,
            "progressive": ProgressiveConfig(),
            "inputs": AppearanceRunInputs(parsing="gt", posenet=self._posenet_input()),
        }
        return (yield from self._train("appearance", sections))

    def _joint(self):
        from spt_core.config import SemanticLossWeights

        sections = {
            "train": self._train_config(self.config.joint_steps),
            "losses": self.config.appearance_losses,
            "semantic_losses": SemanticLossWeights(),
            "inputs": JointRunInputs(
                semantic=str(self.out / "semantic"),
                appearance=str(self.out / "appearance"),
                pseudo_labels=str(self.out / "pseudo.npz"),
                posenet=self._posenet_input(),
            ),
        }
        return (yield from self._train("joint", sections))

    def _export(self):
        from spt_core.pipeline import SPTPipeline

        if "joint" in self.config.stages():
            pipe = SPTPipeline.from_pretrained(self.out / "joint", device="cpu")
        else:
            pipe = SPTPipeline.from_checkpoints(
                self.out / "semantic", self.out / "appearance", device="cpu"
            )
        meta = {"training": "spt train recipe", "source": self.out.name}
        pipe.save_pretrained(self.model_dir, card=self.model_card(), meta=meta)
        return True
        yield  # a generator like the other stages

    def model_card(self) -> str:
        """MODEL_CARD.md of the exported model: data, networks, stages with their times."""
        cfg = self.config
        rows = [
            ("search", "pseudo labels (exact)", "-"),
            ("semantic", "semantic pre-training", cfg.semantic_steps),
            ("posenet", "pose regressor P", cfg.posenet_steps),
            ("appearance", "appearance pre-training (true target maps)", cfg.appearance_steps),
            ("joint", "end to end", cfg.joint_steps),
        ]
        lines = [
            f"# {self.model_dir.name}: trained by `spt train recipe`",
            "",
            f"Data: `{self.data_dir}`. Batch {cfg.batch_size}, seed {cfg.seed}.",
            f"{self.card_note}".strip(),
            "",
            "| stage | what | steps | minutes |",
            "|---|---|---|---|",
        ]
        for stage, what, steps in rows:
            if stage in cfg.stages():
                minutes = self.seconds.get(stage, 0.0) / 60
                lines.append(f"| {stage} | {what} | {steps} | {minutes:.1f} |")
        app = cfg.appearance
        lines += [
            "",
            f"G_S: base {cfg.semantic.base_channels}, max {cfg.semantic.max_channels}, "
            f"{cfg.semantic.size[0]}x{cfg.semantic.size[1]}. G_A: base {app.base_channels}, "
            f"max {app.max_channels}, torso mask {app.torso_mask}, identity part "
            f"{'on' if app.identity_part else 'off'}, label gate "
            f"{'on' if app.label_gate else 'off'}, label fill "
            f"{'on' if app.colour_hint else 'off'}, {app.upsample} up blocks. Pose loss "
            f"{'on' if cfg.posenet is not None else 'off'}.",
            "",
        ]
        return "\n".join(lines)
