"""End-to-end training of the 256-px appearance network (local enhancer + face GAN) with a
semantic network at half its size, on tiny networks.

A 2-step 32x32 run with the face GAN plays the 128-px stage; a 2-step 64x64 local-enhanced run
started from it (``ProgressiveConfig``) plays the finished 256-px run; an untrained 32x32
semantic network plays the 128-px semantic run whose maps are upsampled.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch
from helpers import person_at, quick_train, spt_argv
from progressive_configs import BIG

from spt_core.config import (
    AppearanceLossWeights,
    ProgressiveConfig,
    SemanticLossWeights,
    SemanticNetConfig,
    to_dict,
)
from spt_core.losses.parsing import pose_weighted_cross_entropy
from spt_core.models.checkpoint import latest_checkpoint, load_weights, save_checkpoint
from spt_core.models.discriminators import ParsingDiscriminator
from spt_core.models.loading import load_appearance_generator, load_joint_generators
from spt_core.models.local_enhancer import LocalEnhancedGenerator
from spt_core.models.semantic import SemanticGenerator
from spt_core.train.appearance import AppearanceTrainer
from spt_core.train.events import StepEvent
from spt_core.train.joint import JointTrainer

pytest_plugins = ["progressive_fixtures"]

SEMANTIC = SemanticNetConfig(
    size=(32, 32), base_channels=8, max_channels=16, depth=3, mask_radius=1
)
QUICK = quick_train(steps=2, batch_size=2, checkpoint_every=100)


@pytest.fixture(scope="module")
def world(progressive_stage, tmp_path_factory):
    root, big = tmp_path_factory.mktemp("joint256"), progressive_stage["big"]
    progressive = ProgressiveConfig(
        global_from=str(progressive_stage["r128"]), fix_global_steps=1, fade_in_steps=1
    )
    list(
        AppearanceTrainer(
            big, BIG, AppearanceLossWeights(), QUICK, root / "r256", progressive=progressive
        ).run()
    )
    torch.manual_seed(0)
    semantic = save_checkpoint(
        root / "semantic" / "checkpoints" / "step_0000001",
        "semantic",
        {"model": to_dict(SEMANTIC)},
        {
            "generator": SemanticGenerator.from_config(SEMANTIC),
            "discriminator": ParsingDiscriminator.from_config(SEMANTIC),
        },
    )
    pairs = np.stack([np.arange(6), (np.arange(6) + 2) % 6], axis=1)
    return {
        "root": root,
        "data": progressive_stage["data"],
        "dataset": progressive_stage["dataset"],
        "big": big,
        "pairs": pairs,
        "r256": root / "r256",
        "semantic": semantic,
    }


def _joint(world, run_dir, semantic_losses=None, resume=False, model=BIG, **changes):
    return JointTrainer(
        world["big"],
        world["pairs"],
        SEMANTIC,
        model,
        semantic_losses or SemanticLossWeights(),
        AppearanceLossWeights(),
        dataclasses.replace(QUICK, **changes),
        run_dir,
        semantic_init=None if resume else world["semantic"],
        appearance_init=None if resume else world["r256"],
        resume=resume,
    )


def _params(module) -> dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in module.named_parameters()}


def _moved(before: dict, module) -> list[str]:
    return [k for k, v in module.named_parameters() if not torch.equal(v, before[k])]


def _weights(trainer) -> dict[str, torch.Tensor]:
    return {
        f"{name}.{k}": v
        for name, net in trainer.networks().items()
        for k, v in net.state_dict().items()
    }


@pytest.fixture(scope="module")
def whole(world, tmp_path_factory):
    """An uninterrupted 3-step joint run (a checkpoint after every step)."""
    run = tmp_path_factory.mktemp("whole") / "run"
    trainer = _joint(world, run, steps=3, checkpoint_every=1)
    logs = [e.losses for e in trainer.run() if isinstance(e, StepEvent)]
    return {"run": run, "trainer": trainer, "logs": logs}


def test_image_losses_reach_the_semantic_network_through_the_upsampling(world, tmp_path):
    # Cross-entropy and D_S off: G_S can only change through its upsampled soft map in G_A.
    trainer = _joint(world, tmp_path / "run", SemanticLossWeights(0.0, 0.0), steps=1)
    trainer.build()
    trainer.prepare_step(0)
    # A finished 256-px run: alpha 1, everything (G_A's global part included) and G_S in the
    # one generator Adam; G_A, D_A and D_F are the run's.
    assert trainer.alpha == 1.0 and isinstance(trainer.generator, LocalEnhancedGenerator)
    optimised = {id(p) for g in trainer.optimizers["generator"].param_groups for p in g["params"]}
    everything = [*trainer.generator.parameters(), *trainer.semantic_generator.parameters()]
    assert optimised == {id(p) for p in everything}
    # ... for good: no later step rebuilds it (which would drop G_S) or lowers alpha.
    optimizer = trainer.optimizers["generator"]
    trainer.prepare_step(10**6)
    assert trainer.optimizers["generator"] is optimizer and trainer.alpha == 1.0
    init = latest_checkpoint(world["r256"])
    reference, _ = load_appearance_generator(init)
    assert not _moved(_params(reference), trainer.generator)
    assert set(trainer.networks()) >= {"face_discriminator", "semantic_generator"}
    for name in ("discriminator", "face_discriminator"):
        net = getattr(trainer, name)
        loaded = type(net).from_config(BIG)
        load_weights(loaded, init, name)
        assert not _moved(_params(loaded), net), name

    # G_S reads its inputs at 32x32 (labels subsampled, poses halved, both at pixel centres:
    # decision 0005) and its cross-entropy is
    # taken there, against the pseudo label's map at 32x32 (the batch of step 0, same dropout).
    rows = trainer.schedule.indices(0)
    source = world["big"].batch(world["pairs"][rows, 0], "cpu")
    target = world["big"].batch(world["pairs"][rows, 1], "cpu")
    torch.manual_seed(1)
    logits, probabilities, inputs = trainer.predict_target(source, target)
    assert logits.shape == probabilities.shape == (2, 10, 32, 32)
    assert torch.equal(inputs.target_labels, target["labels"][:, 1::2, 1::2])
    halved = (target["poses"] + 0.5) * 0.5 - 0.5
    np.testing.assert_allclose(inputs.target_poses, halved, rtol=1e-6, atol=1e-6)
    expected_ce = float(
        pose_weighted_cross_entropy(logits, inputs.target_labels, inputs.target_mask).detach()
    )
    seen = {}
    generator_losses = trainer.generator_losses

    def spy(source, target, target_parsing, target_style_map):
        seen["parsing"] = target_parsing
        return generator_losses(source, target, target_parsing, target_style_map)

    trainer.generator_losses = spy
    semantic_before = _params(trainer.semantic_generator)
    face_before = _params(trainer.face_discriminator)
    torch.manual_seed(1)
    logs = trainer.train_step(0)
    assert logs["cross_entropy"] == pytest.approx(expected_ce, rel=1e-6)
    assert seen["parsing"].shape == (2, 9, 64, 64) and seen["parsing"].requires_grad
    assert _moved(semantic_before, trainer.semantic_generator), "no image-loss gradient in G_S"
    assert _moved(face_before, trainer.face_discriminator), "D_F did not learn"
    assert {"g_face", "d_face", "d", "d_semantic", "alpha"} <= set(logs)
    assert logs["cross_entropy"] > 0 and all(np.isfinite(v) for v in logs.values())


def test_killed_run_resumes_to_the_uninterrupted_weights(world, whole, tmp_path):
    assert [log["alpha"] for log in whole["logs"]] == [1.0, 1.0, 1.0]
    run = tmp_path / "killed"
    for event in _joint(world, run, steps=3, checkpoint_every=1).run():
        if isinstance(event, StepEvent) and event.step == 2:
            break
    assert latest_checkpoint(run).name == "step_0000001"
    resumed = _joint(world, run, steps=3, checkpoint_every=1, resume=True)
    assert [e.step for e in resumed.run() if isinstance(e, StepEvent)] == [2, 3]
    ours, theirs = _weights(resumed), _weights(whole["trainer"])
    assert set(ours) == set(theirs)
    names = {
        "generator",
        "discriminator",
        "face_discriminator",
        "semantic_generator",
        "semantic_discriminator",
    }
    assert {k.split(".")[0] for k in ours} == names
    different = [k for k in theirs if not torch.equal(ours[k], theirs[k])]
    assert not different, different[:5]


def test_the_joint_run_loads_renders_and_exports(world, whole, tmp_path):
    from spt_core.pipeline import SPTPipeline

    semantic, s_cfg, appearance, a_cfg = load_joint_generators(whole["run"])
    assert s_cfg == SEMANTIC and a_cfg == BIG
    assert isinstance(appearance, LocalEnhancedGenerator) and appearance.alpha == 1.0
    trained = whole["trainer"]
    for net, ours in ((appearance, trained.generator), (semantic, trained.semantic_generator)):
        for key, value in net.state_dict().items():
            assert torch.equal(value, ours.state_dict()[key]), key
    pipe = SPTPipeline.from_pretrained(whole["run"], device="cpu")
    samples = world["big"]
    a, b = person_at(samples, 0), person_at(samples, 3)
    result = pipe.repose(a, b.pose)
    assert result.image.shape == (64, 64, 3) and result.parsing.shape == (64, 64)
    pipe.save_pretrained(tmp_path / "model", half=False)
    exported = SPTPipeline.from_pretrained(tmp_path / "model", device="cpu")
    assert tuple(exported.semantic_config.size) == (32, 32)
    assert np.array_equal(exported.repose(a, b.pose).image, result.image)


def test_cli_reads_both_architectures_from_the_starting_runs(world, tmp_path, capsys):
    from spt_core.cli import main
    from spt_core.config import SearchConfig
    from spt_core.search.engine import PseudoLabelSearch, SearchInputs

    pseudo = tmp_path / "pseudo.npz"
    PseudoLabelSearch(SearchConfig(), device="cpu").run(
        SearchInputs.from_dataset(world["dataset"]), pseudo
    )
    argv = spt_argv(
        "train joint --steps 1 --batch-size 2 --device cpu",
        data=world["data"],
        pseudo=pseudo,
        semantic=world["semantic"],
        appearance=world["r256"],
        out=tmp_path / "run",
    )
    assert main(argv) == 0
    assert "semantic network at 32x32, upsampled" in capsys.readouterr().out
    _, s_cfg, _, a_cfg = load_joint_generators(tmp_path / "run")
    assert s_cfg == SEMANTIC and a_cfg == BIG


def test_an_appearance_run_not_fully_faded_in_is_refused(world, tmp_path):
    with pytest.raises(ValueError, match="fade_in_alpha is 0.5"):
        _joint(world, tmp_path / "run", model=dataclasses.replace(BIG, fade_in_alpha=0.5))
