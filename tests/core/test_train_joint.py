"""End-to-end training, the Baseline and fine-tuning from a checkpoint, on tiny networks."""

from __future__ import annotations

import dataclasses
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from helpers import quick_train

from spt_core.config import (
    AppearanceLossWeights,
    AppearanceNetConfig,
    SemanticLossWeights,
    SemanticNetConfig,
    TrainConfig,
)
from spt_core.data import synthetic
from spt_core.data.dataset import PersonDataset
from spt_core.data.samples import PersonSamples
from spt_core.models.checkpoint import CheckpointError, save_checkpoint
from spt_core.models.discriminators import ParsingDiscriminator
from spt_core.models.loading import load_joint_generators
from spt_core.models.semantic import SemanticGenerator
from spt_core.train.appearance import AppearanceTrainer
from spt_core.train.events import DoneEvent, StepEvent
from spt_core.train.joint import JointTrainer, pseudo_label_pairs

APPEARANCE = AppearanceNetConfig.tiny()
SEMANTIC = SemanticNetConfig(
    size=(32, 16), base_channels=8, max_channels=16, depth=3, mask_radius=1
)


def _train(**changes) -> TrainConfig:
    base = quick_train()
    return dataclasses.replace(base, **changes)


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    root = tmp_path_factory.mktemp("joint")
    synthetic.generate_dataset(root / "data", count=8, seed=5, workers=1)
    dataset = PersonDataset(root / "data")
    samples = PersonSamples.from_dataset(dataset, APPEARANCE.size)
    # Pre-trained networks: a few appearance steps, and an untrained semantic pair saved as a
    # semantic checkpoint (what `spt train semantic` writes).
    appearance_run = root / "appearance"
    list(
        AppearanceTrainer(
            samples, APPEARANCE, AppearanceLossWeights(), _train(steps=2), appearance_run
        ).run()
    )
    torch.manual_seed(0)
    semantic_ckpt = save_checkpoint(
        root / "semantic" / "checkpoints" / "step_0000001",
        "semantic",
        {"model": dataclasses.asdict(SEMANTIC)},
        {
            "generator": SemanticGenerator.from_config(SEMANTIC),
            "discriminator": ParsingDiscriminator.from_config(SEMANTIC),
        },
    )
    pairs = np.stack([np.arange(8), (np.arange(8) + 3) % 8], axis=1)
    return {
        "root": root,
        "dataset": dataset,
        "samples": samples,
        "pairs": pairs,
        "appearance": appearance_run,
        "semantic": semantic_ckpt,
    }


def _joint(world, run_dir, semantic_losses=None, resume=False, **changes):
    return JointTrainer(
        world["samples"],
        world["pairs"],
        SEMANTIC,
        APPEARANCE,
        semantic_losses or SemanticLossWeights(),
        AppearanceLossWeights(),
        _train(**changes),
        run_dir,
        semantic_init=world["semantic"],
        appearance_init=world["appearance"],
        resume=resume,
    )


def test_image_losses_reach_the_semantic_network(world, tmp_path):
    # Cross-entropy and D_S off: G_S can only change through the soft map fed to G_A.
    trainer = _joint(world, tmp_path / "run", SemanticLossWeights(0.0, 0.0), steps=1)
    trainer.build()
    before = {k: v.clone() for k, v in trainer.semantic_generator.state_dict().items()}
    logs = trainer.train_step(0)
    changed = [
        k
        for k, v in trainer.semantic_generator.state_dict().items()
        if v.is_floating_point() and not torch.equal(v, before[k])
    ]
    assert changed, "no gradient from the image losses reached G_S"
    assert logs["cross_entropy"] > 0 and np.isfinite(logs["total"])


def test_starts_from_the_pretrained_weights(world, tmp_path):
    from spt_core.models.loading import load_appearance_generator

    trainer = _joint(world, tmp_path / "run")
    trainer.build()
    pretrained, _ = load_appearance_generator(world["appearance"])
    for key, value in pretrained.state_dict().items():
        assert torch.equal(trainer.generator.state_dict()[key], value), key
    semantic = SemanticGenerator.from_config(SEMANTIC)
    from spt_core.models.checkpoint import load_weights

    load_weights(semantic, world["semantic"], "generator")
    for key, value in semantic.state_dict().items():
        assert torch.equal(trainer.semantic_generator.state_dict()[key], value), key


def test_checkpoint_holds_both_generators_and_resumes(world, tmp_path):
    events = list(_joint(world, tmp_path / "run", steps=2).run())
    assert isinstance(events[-1], DoneEvent) and events[-1].step == 2
    semantic, semantic_model, appearance, appearance_model = load_joint_generators(tmp_path / "run")
    assert semantic_model == SEMANTIC and appearance_model == APPEARANCE
    resumed = JointTrainer(
        world["samples"],
        world["pairs"],
        SEMANTIC,
        APPEARANCE,
        SemanticLossWeights(),
        AppearanceLossWeights(),
        _train(steps=4),
        tmp_path / "run",
        resume=True,
    )
    assert [e.step for e in resumed.run() if isinstance(e, StepEvent)] == [3, 4]
    # The resumed run (started without inits) still records where its first steps started.
    from spt_core.models.checkpoint import latest_checkpoint, read_config

    config = read_config(latest_checkpoint(tmp_path / "run"))
    assert config["step"] == 4 and config["semantic_init"] == str(world["semantic"])
    assert config["appearance_init"] == str(world["appearance"])
    # A straight 4-step run ends at the same weights as 2 + resume 2.
    list(_joint(world, tmp_path / "straight", steps=4).run())
    a = load_joint_generators(tmp_path / "run")
    b = load_joint_generators(tmp_path / "straight")
    for net_a, net_b in ((a[0], b[0]), (a[2], b[2])):
        for (key, va), vb in zip(
            net_a.state_dict().items(), net_b.state_dict().values(), strict=True
        ):
            assert torch.allclose(va, vb, atol=1e-6), key
    with pytest.raises(CheckpointError, match="'joint' checkpoint, but a 'appearance'"):
        from spt_core.models.loading import load_appearance_generator

        load_appearance_generator(tmp_path / "run")


def test_sizes_must_be_proportional_and_not_larger(world, tmp_path):
    for size, message in (
        ((32, 32), "same size or a proportional one"),
        ((64, 32), "larger than the appearance"),
    ):
        other = dataclasses.replace(SEMANTIC, size=size)
        with pytest.raises(ValueError, match=message):
            JointTrainer(
                world["samples"],
                world["pairs"],
                other,
                APPEARANCE,
                SemanticLossWeights(),
                AppearanceLossWeights(),
                _train(),
                tmp_path / "run",
            )


def test_pseudo_label_pairs_index_the_dataset(world):
    dataset = world["dataset"]
    names = list(reversed(dataset.names))  # another order than the dataset's
    best = np.array([3, -1, 0, 1, 2, 7, 6, 5])
    pseudo = SimpleNamespace(names=names, best=best, complete=True)
    pairs = pseudo_label_pairs(dataset, pseudo)
    index = {n: i for i, n in enumerate(dataset.names)}
    expected = [(index[names[i]], index[names[b]]) for i, b in enumerate(best) if b >= 0]
    assert pairs.tolist() == [list(p) for p in expected]


def test_baseline_sees_no_parsing_and_learns(world, tmp_path):
    model = dataclasses.replace(APPEARANCE, parsing_channels=0)
    losses = AppearanceLossWeights(style_variant="mask")
    trainer = AppearanceTrainer(world["samples"], model, losses, _train(steps=3), tmp_path / "b")
    logs = [e.losses for e in trainer.run() if isinstance(e, StepEvent)]
    assert trainer.generator.source_channels == 3 + 18
    assert all(np.isfinite(v) for log in logs for v in log.values())
    assert logs[0]["style"] > 0


def test_init_from_another_architecture_is_refused(world, tmp_path):
    model = dataclasses.replace(APPEARANCE, base_channels=4)
    trainer = AppearanceTrainer(
        world["samples"],
        model,
        AppearanceLossWeights(),
        _train(),
        tmp_path / "run",
        init_from=world["appearance"],
    )
    with pytest.raises(CheckpointError, match="do not fit"):
        list(trainer.run())


def test_train_joint_command_and_its_resume(world, tmp_path, capsys):
    from spt_core.cli import main
    from spt_core.config import SearchConfig
    from spt_core.search.engine import PseudoLabelSearch, SearchInputs

    pseudo = tmp_path / "pseudo.npz"
    PseudoLabelSearch(SearchConfig(), device="cpu").run(
        SearchInputs.from_dataset(world["dataset"]), pseudo
    )
    common = [
        "train",
        "joint",
        "--data",
        str(world["dataset"].root),
        "--pseudo",
        str(pseudo),
        "--out",
        str(tmp_path / "run"),
        "--batch-size",
        "2",
        "--device",
        "cpu",
    ]
    assert main([*common, "--steps", "1"]) == 2  # no starting networks
    assert "pre-trained networks" in capsys.readouterr().err
    assert (
        main(
            [
                *common,
                "--steps",
                "1",
                "--semantic",
                str(world["semantic"]),
                "--appearance",
                str(world["appearance"]),
                "--quiet",
            ]
        )
        == 0
    )
    assert main([*common, "--steps", "2", "--resume", "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "finished at step 1" in out and "finished at step 2" in out
    _, semantic_model, _, appearance_model = load_joint_generators(tmp_path / "run")
    assert semantic_model == SEMANTIC and appearance_model == APPEARANCE
