"""The trainer factory behind the editor's Tools dialog and ``spt train``: sections, choices,
build, resume."""

from __future__ import annotations

import dataclasses
import json
import shutil
import typing
from pathlib import Path

import numpy as np
import pytest
from helpers import make_tiny_dataset, quick_train, searched_people

from spt_core import labels as lb
from spt_core.config import (
    AppearanceRunInputs,
    JointRunInputs,
    ParserConfig,
    SearchConfig,
    SemanticLossWeights,
    TrainConfig,
    field_choices,
    path_fields,
)
from spt_core.devices import resolve_device
from spt_core.errors import DataError, InputError
from spt_core.models.checkpoint import CheckpointError, latest_checkpoint
from spt_core.search.store import PseudoLabels
from spt_core.train import factory
from spt_core.train.events import DoneEvent, StepEvent
from spt_core.train.loop import LOG

QUICK = quick_train()


@pytest.fixture(scope="module")
def people(tmp_path_factory):
    """24 synthetic people with their pseudo labels where the editor looks for them."""
    return searched_people(tmp_path_factory, "factory")


def _tiny(kind: str, **train_changes) -> dict:
    sections = factory.presets(kind)["tiny"]
    sections["train"] = dataclasses.replace(QUICK, **train_changes)
    return sections


def _all_config_classes() -> set[type]:
    classes = {SearchConfig}
    for kind in factory.trainer_kinds():
        classes |= set(factory.sections_of(kind).values())
    return classes


def test_every_choice_is_accepted_and_an_outsider_refused():
    for cls in _all_config_classes():
        for name, choices in field_choices(cls).items():
            if cls is TrainConfig and name == "device":
                continue  # not validated by the dataclass: checked against resolve_device below
            extra = {"semantic": "run"} if name == "parsing" else {}
            for choice in choices:
                assert getattr(cls(**{name: choice, **extra}), name) == choice
            with pytest.raises(ValueError):
                cls(**{name: "no-such-choice", **extra})
    for device in field_choices(TrainConfig)["device"]:
        resolve_device(device)  # every offered device exists on this machine


def test_every_string_field_gets_a_closed_list_a_path_or_is_known_free_text():
    # A new string field must be placed in one of these on purpose, or the form would offer a
    # free-text box for what may be a closed set of values.
    free_text = {(TrainConfig, "device")}
    for cls in _all_config_classes():
        hints = typing.get_type_hints(cls)
        for field in dataclasses.fields(cls):
            if hints[field.name] is not str:
                continue
            known = (
                field.name in field_choices(cls)
                or field.name in path_fields(cls)
                or (cls, field.name) in free_text
            )
            assert known, f"{cls.__name__}.{field.name}"


def test_defaults_follow_the_dataset_size(tmp_path):
    make_tiny_dataset(tmp_path)  # 32x16 images: tall 2:1
    assert factory.default_sections("posenet", tmp_path)["model"].size == (32, 16)
    assert factory.default_sections("semantic", tmp_path)["model"].size == (128, 64)
    assert factory.default_sections("posenet", tmp_path / "missing")["model"].size == (128, 64)
    assert set(factory.default_sections("appearance")) == {
        "train",
        "model",
        "losses",
        "progressive",
        "inputs",
    }


def test_semantic_run_from_the_dataset_then_resume(people, tmp_path):
    run = tmp_path / "run"
    trainer = factory.build_trainer("semantic", people, run, _tiny("semantic"))
    # The pairs are (sample, its best candidate) of the pseudo-label file, read independently.
    pseudo = PseudoLabels.load(people / "pseudo_labels.npz")
    expected = [[i, int(b)] for i, b in enumerate(pseudo.best) if b >= 0]
    assert trainer.pairs.pairs.tolist() == expected
    steps = [e.step for e in trainer.run() if isinstance(e, StepEvent)]
    assert steps == [1, 2, 3, 4]

    info = factory.read_run(run)
    assert (info.kind, info.step) == ("semantic", 4)
    assert info.sections["model"] == factory.presets("semantic")["tiny"]["model"]
    assert info.sections["train"] == QUICK

    resumed = factory.build_trainer(
        "semantic",
        people,
        run,
        dict(info.sections, train=dataclasses.replace(QUICK, steps=6)),
        resume=True,
    )
    events = list(resumed.run())
    assert [e.step for e in events if isinstance(e, StepEvent)] == [5, 6]
    assert isinstance(events[-1], DoneEvent) and events[-1].reason == "finished"
    logged = [json.loads(line)["step"] for line in (run / LOG).read_text().splitlines()]
    assert logged == [1, 2, 3, 4, 5, 6]


def test_resume_refuses_another_architecture_and_kind(people, tmp_path):
    run = tmp_path / "run"
    list(factory.build_trainer("semantic", people, run, _tiny("semantic", steps=2)).run())
    wider = _tiny("semantic")
    wider["model"] = dataclasses.replace(wider["model"], base_channels=16)
    with pytest.raises(CheckpointError, match="base_channels 8 in the checkpoint, 16 asked"):
        factory.build_trainer("semantic", people, run, wider, resume=True)
    with pytest.raises(CheckpointError, match="not a 'posenet' one"):
        factory.build_trainer("posenet", people, run, _tiny("posenet"), resume=True)
    with pytest.raises(CheckpointError, match="nothing to resume"):
        factory.build_trainer("semantic", people, tmp_path / "empty", _tiny("semantic"), True)


def test_bad_inputs_are_data_errors(people, tmp_path):
    make_tiny_dataset(tmp_path / "no_pseudo")
    with pytest.raises(DataError, match="pseudo-label file not found"):
        factory.build_trainer("semantic", tmp_path / "no_pseudo", tmp_path / "r", _tiny("semantic"))
    with pytest.raises(DataError, match="dataset folder not found"):
        factory.build_trainer("posenet", tmp_path / "missing", tmp_path / "r", _tiny("posenet"))
    with pytest.raises(ValueError, match="needs a semantic run"):
        AppearanceRunInputs(parsing="predicted")


@pytest.fixture(scope="module")
def pretrained(people, tmp_path_factory):
    """One-step tiny semantic and appearance runs (the starting points of a joint run)."""
    root = tmp_path_factory.mktemp("pretrained")
    for kind in ("semantic", "appearance"):
        sections = _tiny(kind, steps=1, checkpoint_every=1)
        list(factory.build_trainer(kind, people, root / kind, sections).run())
    return root / "semantic", root / "appearance"


def test_posenet_and_appearance_build_and_step(people, pretrained, tmp_path):
    sections = _tiny("posenet", steps=1, checkpoint_every=1)
    events = list(factory.build_trainer("posenet", people, tmp_path / "posenet", sections).run())
    assert isinstance(events[0], StepEvent) and np.isfinite(events[0].losses["mse"])
    assert events[-1].reason == "finished"
    for kind, run in (("posenet", tmp_path / "posenet"), ("appearance", pretrained[1])):
        info = factory.read_run(run)
        assert (info.kind, info.step) == (kind, 1)
        assert info.sections["model"] == factory.presets(kind)["tiny"]["model"]


def test_joint_starts_from_both_runs_and_resumes(people, pretrained, tmp_path):
    with pytest.raises(InputError, match="^semantic, appearance: .*pre-trained networks") as raised:
        factory.build_trainer("joint", people, tmp_path / "r", _tiny("joint"))
    assert "<memory>" not in str(raised.value) and "Train a model" in str(raised.value)
    semantic, appearance = pretrained
    inputs = JointRunInputs(semantic=str(semantic), appearance=str(appearance))
    sections = dict(_tiny("joint", steps=2), inputs=inputs)
    trainer = factory.build_trainer("joint", people, tmp_path / "joint", sections)
    # The architectures are the starting runs', whatever the (absent) model form says.
    assert trainer.semantic_architecture == factory.read_run(semantic).sections["model"]
    assert trainer.architecture == factory.read_run(appearance).sections["model"]
    assert [e.step for e in trainer.run() if isinstance(e, StepEvent)] == [1, 2]

    info = factory.read_run(tmp_path / "joint")
    assert info.kind == "joint" and info.step == 2
    assert Path(info.sections["inputs"].semantic) == latest_checkpoint(semantic)
    more = dict(info.sections, train=dataclasses.replace(info.sections["train"], steps=3))
    resumed = factory.build_trainer("joint", people, tmp_path / "joint", more, resume=True)
    assert [e.step for e in resumed.run() if isinstance(e, StepEvent)] == [3]
    heavier = dict(more, semantic_losses=SemanticLossWeights(cross_entropy=1.0))
    with pytest.raises(CheckpointError, match="cross_entropy"):
        factory.build_trainer("joint", people, tmp_path / "joint", heavier, resume=True)


def test_parser_sections_defaults_and_data(tmp_path):
    assert "parser" in factory.trainer_kinds()
    assert list(factory.sections_of("parser")) == ["train", "model"]
    defaults = factory.default_sections("parser", tmp_path)
    # A classifier's Adam (as ``spt train parser`` has always used), at 128x64.
    assert defaults["train"] == TrainConfig(lr=1e-3, beta1=0.9)
    assert defaults["model"] == ParserConfig()
    assert factory.presets("parser")["tiny"]["train"].beta1 == 0.9
    # The parser reads every image with a parsing map, torso or not; P only people with a torso.
    make_tiny_dataset(tmp_path / "data")
    headless = np.zeros((32, 16), np.uint8)
    headless[4:20, 4:12] = 2
    lb.write_parsing(tmp_path / "data" / "parsing" / "0003_00.png", headless)
    parser = factory.build_trainer("parser", tmp_path / "data", tmp_path / "p", _tiny("parser"))
    posenet = factory.build_trainer("posenet", tmp_path / "data", tmp_path / "q", _tiny("posenet"))
    assert (len(parser.data), len(posenet.images)) == (4, 3)
    shutil.rmtree(tmp_path / "data" / "parsing")
    with pytest.raises(DataError, match="no image has a parsing map"):
        factory.build_trainer("parser", tmp_path / "data", tmp_path / "p", _tiny("parser"))


@pytest.mark.parametrize(
    ("kind", "field", "value"), [("parser", "depth", 2), ("posenet", "n_blocks", 1)]
)
def test_parser_and_posenet_runs_resume_through_the_factory(people, tmp_path, kind, field, value):
    run = tmp_path / kind
    sections = _tiny(kind, steps=2)
    trainer = factory.build_trainer(kind, people, run, sections)
    assert [e.step for e in trainer.run() if isinstance(e, StepEvent)] == [1, 2]

    info = factory.read_run(run)
    assert (info.kind, info.step) == (kind, 2)
    assert info.sections == sections  # every section read back as it was given

    # The editor's way: the run's sections, a longer schedule.
    more = dict(info.sections, train=dataclasses.replace(info.sections["train"], steps=3))
    resumed = factory.build_trainer(kind, people, run, more, resume=True)
    assert [e.step for e in resumed.run() if isinstance(e, StepEvent)] == [3]
    # The command line's way: only what the user gave; the rest is the checkpoint's.
    given = {"train": {"steps": 4, "seed": None}}  # None: an option left out
    again = factory.run_sections(kind, run, resume=True, changes=given)
    assert again == dict(more, train=dataclasses.replace(more["train"], steps=4))
    resumed = factory.build_trainer(kind, people, run, again, resume=True)
    assert [e.step for e in resumed.run() if isinstance(e, StepEvent)] == [4]
    assert factory.read_run(run).step == 4
    logged = [json.loads(line)["step"] for line in (run / LOG).read_text().splitlines()]
    assert logged == [1, 2, 3, 4]

    saved = getattr(sections["model"], field)
    expected = f"{field} {saved} in the checkpoint, {value} asked"
    other = dict(again, model=dataclasses.replace(again["model"], **{field: value}))
    with pytest.raises(CheckpointError, match=expected):
        factory.build_trainer(kind, people, run, other, resume=True)
    with pytest.raises(CheckpointError, match=expected):
        factory.run_sections(kind, run, resume=True, changes={"model": {field: value}})
    other_kind = "posenet" if kind == "parser" else "parser"
    with pytest.raises(CheckpointError, match=f"holds a '{kind}' run, not a '{other_kind}' one"):
        factory.run_sections(other_kind, run, resume=True)
