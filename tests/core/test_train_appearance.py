"""The appearance trainer on a tiny network: learning, checkpoints, TS-Pred inputs, pose loss."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch
from helpers import quick_train

from spt_core.config import AppearanceLossWeights, AppearanceNetConfig, SemanticNetConfig
from spt_core.data import synthetic
from spt_core.data.dataset import PersonDataset
from spt_core.data.samples import PersonSamples
from spt_core.models.checkpoint import CheckpointError
from spt_core.models.loading import load_appearance_generator
from spt_core.models.posenet import PoseRegressor
from spt_core.models.semantic import SemanticGenerator
from spt_core.train.appearance import AppearanceTrainer
from spt_core.train.events import DoneEvent, StepEvent

TINY = AppearanceNetConfig.tiny()


@pytest.fixture(scope="module")
def samples(tmp_path_factory):
    root = tmp_path_factory.mktemp("appearance")
    synthetic.generate_dataset(root / "data", count=8, seed=4, workers=1)
    return PersonSamples.from_dataset(PersonDataset(root / "data"), TINY.size)


def _trainer(samples, run_dir, **changes):
    train = quick_train()
    options = {
        k: changes.pop(k) for k in ("posenet", "semantic", "parsing_mode", "resume") if k in changes
    }
    train = dataclasses.replace(train, **changes)
    return AppearanceTrainer(samples, TINY, AppearanceLossWeights(), train, run_dir, **options)


def test_samples_are_fitted_and_scaled(samples):
    batch = samples.batch([0, 1], "cpu")
    assert batch["image"].shape == (2, 3, 32, 16)
    assert batch["image"].min() >= -1.0 and batch["image"].max() <= 1.0
    assert batch["parsing"].shape == (2, 9, 32, 16)
    # Channel k of the 9-channel map is label k + 1 (background dropped).
    assert torch.equal(batch["parsing"][:, 2] > 0, batch["labels"] == 3)


def test_tiny_network_learns_its_cycle(samples, tmp_path):
    few = PersonSamples(samples.images[:4], samples.parsings[:4], samples.poses[:4], TINY.size)
    trainer = _trainer(few, tmp_path / "run", steps=120, log_every=10, checkpoint_every=1000)
    content = [e.losses["content"] for e in trainer.run() if isinstance(e, StepEvent)]
    assert np.mean(content[-2:]) < 0.6 * np.mean(content[:2]), content


def test_checkpoint_round_trip_and_kind_check(samples, tmp_path):
    trainer = _trainer(samples, tmp_path / "run")
    events = list(trainer.run())
    assert isinstance(events[-1], DoneEvent) and events[-1].step == 4
    generator, model = load_appearance_generator(tmp_path / "run")
    assert model == TINY
    batch = samples.batch([0, 1], "cpu")
    trainer.generator.eval()
    with torch.no_grad():
        args = (
            batch["image"],
            batch["parsing"],
            batch["heatmaps"],
            batch["parsing"].flip(0),
            batch["heatmaps"].flip(0),
            batch["poses"],
            batch["poses"][::-1],
        )
        assert torch.equal(trainer.render(*args), _render(generator, *args))
    with pytest.raises(CheckpointError, match="'appearance' checkpoint, but a 'semantic'"):
        from spt_core.models.loading import load_semantic_generator

        load_semantic_generator(tmp_path / "run")
    resumed = _trainer(samples, tmp_path / "run", steps=6, resume=True)
    assert [e.step for e in resumed.run() if isinstance(e, StepEvent)] == [5, 6]


def _render(generator, image, parsing, heatmaps, target_parsing, target_heatmaps, poses, target):
    from spt_core.models.inputs import part_warp_inputs

    thetas, masks = part_warp_inputs(poses, target, TINY.size)
    return generator(image, parsing, heatmaps, target_parsing, target_heatmaps, thetas, masks)


def test_predicted_parsing_and_pose_loss_paths(samples, tmp_path):
    semantic_config = SemanticNetConfig(
        size=TINY.size, base_channels=8, depth=3, max_channels=32, mask_radius=1
    )
    semantic = SemanticGenerator.from_config(semantic_config).eval()
    posenet = PoseRegressor(base_channels=8, n_blocks=1)
    trainer = _trainer(
        samples,
        tmp_path / "run",
        steps=2,
        parsing_mode="predicted",
        semantic=(semantic, semantic_config),
        posenet=posenet,
    )
    losses = [e.losses for e in trainer.run() if isinstance(e, StepEvent)]
    assert len(losses) == 2 and all(row["pose"] > 0 for row in losses)
    assert all(p.grad is None for p in posenet.parameters())
    with pytest.raises(ValueError, match="needs a trained semantic network"):
        _trainer(samples, tmp_path / "other", parsing_mode="predicted")


def test_pose_loss_gradient_reaches_the_generator(samples):
    from spt_core.losses.pose import freeze_module, pose_loss_from_images
    from spt_core.models.appearance import AppearanceGenerator
    from spt_core.models.inputs import part_warp_inputs

    generator = AppearanceGenerator.from_config(TINY)
    posenet = freeze_module(PoseRegressor(base_channels=8, n_blocks=1))
    batch = samples.batch([0, 1], "cpu")
    thetas, masks = part_warp_inputs(batch["poses"], batch["poses"][::-1], TINY.size)
    target_parsing, target_heatmaps = batch["parsing"].flip(0), batch["heatmaps"].flip(0)
    fake = generator(
        batch["image"],
        batch["parsing"],
        batch["heatmaps"],
        target_parsing,
        target_heatmaps,
        thetas,
        masks,
    )
    pose_loss_from_images(posenet, fake, target_heatmaps).backward()
    first = next(generator.parameters())
    assert first.grad is not None and first.grad.abs().sum() > 0
    assert all(p.grad is None for p in posenet.parameters())


def test_applications_are_callable_and_transfer_keeps_the_rest(samples):
    from appearance_reference import manipulate, render, transfer_clothes

    from spt_core import labels as lb
    from spt_core.models.appearance import AppearanceGenerator

    generator = AppearanceGenerator.from_config(TINY).eval()
    a, b = 0, 1
    image_a, parsing_a, pose_a = samples.images[a], samples.parsings[a], samples.poses[a]
    image_b, parsing_b, pose_b = samples.images[b], samples.parsings[b], samples.poses[b]
    out = render(generator, image_a, parsing_a, pose_a, parsing_b, pose_b)
    assert out.shape == image_a.shape and out.dtype == np.uint8
    edited = parsing_a.copy()
    edited[np.isin(edited, [lb.LEFT_ARM, lb.RIGHT_ARM])] = lb.UPPER_CLOTHES  # longer sleeves
    assert manipulate(generator, image_a, parsing_a, pose_a, edited).shape == image_a.shape
    swapped = transfer_clothes(generator, image_a, parsing_a, pose_a, image_b, parsing_b, pose_b)
    keep = ~np.isin(parsing_b, lb.GARMENT_LABELS)
    np.testing.assert_array_equal(swapped[keep], image_b[keep])
    garment = ~keep
    np.testing.assert_array_equal(swapped[garment], out_b(generator, samples, a, b)[garment])
    with pytest.raises(ValueError, match="target_parsing is"):
        render(generator, image_a, parsing_a, pose_a, parsing_b[:-1], pose_b)


def out_b(generator, samples, a, b):
    from appearance_reference import render

    return render(
        generator,
        samples.images[a],
        samples.parsings[a],
        samples.poses[a],
        samples.parsings[b],
        samples.poses[b],
    )
