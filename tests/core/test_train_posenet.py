"""The pose-regressor trainer: data fitting, flips, PCK, overfitting, checkpoints, resume."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch
from helpers import quick_train, synthetic_data_fixture

from spt_core import skeleton as sk
from spt_core.data.dataset import PersonDataset
from spt_core.models.checkpoint import CheckpointError, latest_checkpoint, save_checkpoint
from spt_core.models.loading import load_posenet
from spt_core.train import factory
from spt_core.train.events import CheckpointEvent, DoneEvent, PreviewEvent, StepEvent
from spt_core.train.posenet import PoseImages, PoseNetConfig, PoseNetTrainer, evaluate_posenet, pck

pytestmark = pytest.mark.usefixtures("one_thread")

# sigma 1.5 at 32x16 is the method's sigma 6 at 128x64, scaled with the image.
TINY = PoseNetConfig(size=(32, 16), base_channels=8, n_blocks=1, heatmap_sigma=1.5, flip=False)

#: 8 synthetic people at 128x64 (the network works at 32x16: a 4x reduction).
data_dir = synthetic_data_fixture("posenet", count=8, seed=3)


@pytest.fixture(scope="module")
def four_images(data_dir):
    return PoseImages.from_dataset(PersonDataset(data_dir), TINY.size, rows=range(4))


def _trainer(images, run_dir, model=TINY, resume=False, **changes):
    train = quick_train(steps=6, checkpoint_every=3, seed=1, decay_from=0.5)
    return PoseNetTrainer(images, model, dataclasses.replace(train, **changes), run_dir, resume)


def _pose(points: dict[int, tuple[float, float]]) -> np.ndarray:
    pose = sk.missing_pose()
    for joint, xy in points.items():
        pose[joint] = xy
    return pose


def test_shrinking_keeps_joints_on_their_pixels():
    # A bright 4x4 block whose centre is the joint; a 4x area reduction makes it one pixel,
    # and the joint must land on that pixel's centre (x * scale would be 0.375 px off).
    image = np.zeros((1, 128, 64, 3), np.uint8)
    image[0, 40:44, 20:24] = 255
    pose = _pose({sk.NOSE: (21.5, 41.5)})
    images = PoseImages(image, pose[None], (32, 32))  # 32x16 centred in 32x32: 8 px padding
    bright = np.argwhere(images.images[0, :, :, 0] == 255)
    assert bright.tolist() == [[10, 5 + 8]]
    np.testing.assert_allclose(images.poses[0, sk.NOSE], (13.0, 10.0))
    assert np.isnan(images.poses[0, sk.NECK]).all()
    assert images.images[0, :, :8].max() == 0  # the left padding stays black


def test_flip_swaps_left_and_right_channels(tmp_path):
    # Hand-made case: right wrist at (3, 20), left wrist at (12, 22) in a 32x16 image.
    pose = _pose({sk.R_WRIST: (3, 20), sk.L_WRIST: (12, 22), sk.NOSE: (7, 4)})
    image = np.zeros((1, 32, 16, 3), np.uint8)
    image[0, 20, 3] = (255, 0, 0)  # marks the right wrist
    images = PoseImages(image, pose[None], (32, 16))
    plain = images.batch([0], "cpu", sigma=1.5, flip=[False])
    flipped = images.batch([0], "cpu", sigma=1.5, flip=[True])

    def peak(maps, joint):
        row, col = divmod(int(maps[0, joint].argmax()), maps.shape[-1])
        return col, row

    assert peak(plain["heatmaps"], sk.R_WRIST) == (3, 20)
    # Mirrored: x -> 15 - x, and the person's left wrist is now where the right one was.
    assert peak(flipped["heatmaps"], sk.L_WRIST) == (12, 20)
    assert peak(flipped["heatmaps"], sk.R_WRIST) == (3, 22)
    assert peak(flipped["heatmaps"], sk.NOSE) == (8, 4)
    assert flipped["heatmaps"][0, sk.L_ELBOW].abs().max() == 0  # missing stays empty
    # The image moved with it: the red mark is at column 12 now, in [-1, 1] scaling.
    assert flipped["images"][0, 0, 20, 12] == 1.0 and flipped["images"][0, 0, 20, 3] == -1.0
    expected = sk.pose_heatmaps(
        _pose({sk.L_WRIST: (12, 20), sk.R_WRIST: (3, 22), sk.NOSE: (8, 4)}), (32, 16), 1.5
    )
    np.testing.assert_allclose(flipped["heatmaps"][0].numpy(), expected, atol=1e-6)


def test_pck_counts_present_joints_within_a_quarter_torso():
    pose = _pose(
        {
            sk.R_SHOULDER: (4, 8),
            sk.L_SHOULDER: (12, 8),
            sk.R_HIP: (4, 24),
            sk.L_HIP: (12, 24),
            sk.NOSE: (8, 3),
        }
    )
    # torso scale 16: tolerance 4 px. Predict the nose 5 px off, a hip 3 px off.
    predicted = pose.copy()
    predicted[sk.NOSE] = (8, 8)
    predicted[sk.L_HIP] = (12, 27)
    maps = torch.from_numpy(sk.pose_heatmaps(predicted, (32, 16), 1.0))[None]
    assert pck(maps, pose[None]) == pytest.approx(4 / 5)
    assert pck(maps, pose[None], fraction=0.5) == 1.0
    no_torso = _pose({sk.NOSE: (8, 3)})
    assert np.isnan(pck(maps, no_torso[None]))


def test_tiny_network_overfits_four_images(four_images, tmp_path):
    trainer = _trainer(
        four_images, tmp_path / "run", steps=120, checkpoint_every=1000, log_every=1, decay_from=1.0
    )
    trainer.build()
    before = evaluate_posenet(trainer.posenet, four_images, sigma=TINY.heatmap_sigma)
    trainer = _trainer(
        four_images, tmp_path / "run", steps=120, checkpoint_every=1000, log_every=1, decay_from=1.0
    )
    losses = [e.losses["mse"] for e in trainer.run() if isinstance(e, StepEvent)]
    after = evaluate_posenet(trainer.posenet, four_images, sigma=TINY.heatmap_sigma)
    assert losses[-1] < 0.5 * losses[0], losses
    assert after["mse"] < 0.2 * before["mse"], (before, after)
    # Better than the trivial answer "no joint anywhere" (all-zero maps), by a wide margin.
    targets = four_images.batch(range(4), "cpu", TINY.heatmap_sigma)["heatmaps"]
    assert after["mse"] < 0.5 * float((targets**2).mean()), after
    assert before["pck"] < 0.3 and after["pck"] > 0.9, (before, after)


def test_checkpoint_round_trip_gives_identical_frozen_outputs(four_images, tmp_path):
    trainer = _trainer(four_images, tmp_path / "run", steps=3, preview_every=3)
    events = list(trainer.run())
    assert isinstance(events[-1], DoneEvent) and events[-1].reason == "finished"
    preview = next(e for e in events if isinstance(e, PreviewEvent)).images["posenet"]
    assert preview.dtype == np.uint8 and preview.shape == (4 * 128, 3 * 64, 3)
    posenet, model = load_posenet(tmp_path / "run")
    assert model == TINY and not posenet.training
    assert not any(p.requires_grad for p in posenet.parameters())
    images = four_images.batch([0, 1, 2], "cpu", TINY.heatmap_sigma)["images"]
    trainer.posenet.eval()
    with torch.no_grad():
        assert torch.equal(trainer.posenet(images), posenet(images))
    other = tmp_path / "semantic"
    save_checkpoint(other, "semantic", {"model": {}}, {"generator": torch.nn.Linear(2, 2)})
    with pytest.raises(CheckpointError, match="'semantic' checkpoint, but a 'posenet'"):
        load_posenet(other)


def test_killed_run_resumes_at_the_saved_step(four_images, tmp_path):
    flipping = dataclasses.replace(TINY, flip=True)
    reference = _trainer(four_images, tmp_path / "whole", flipping)
    list(reference.run())
    interrupted = _trainer(four_images, tmp_path / "killed", flipping)
    for event in interrupted.run():
        if isinstance(event, StepEvent) and event.step == 5:
            break  # the process dies here: the last checkpoint is step 3
    assert latest_checkpoint(tmp_path / "killed").name == "step_0000003"
    resumed = _trainer(four_images, tmp_path / "killed", flipping, resume=True)
    assert [e.step for e in resumed.run() if isinstance(e, StepEvent)] == [4, 5, 6]
    for a, b in zip(
        reference.posenet.state_dict().values(), resumed.posenet.state_dict().values(), strict=True
    ):
        assert torch.equal(a, b)


def test_factory_trains_resumes_and_refuses_another_architecture(data_dir, tmp_path):
    # What ``spt train posenet`` does: only the values the user gave, over the defaults (a new
    # run) or the checkpoint's sections (a resumed one).
    out = tmp_path / "run"
    sections = factory.run_sections(
        "posenet",
        out,
        data_dir=data_dir,
        changes={
            "train": {"steps": 2, "batch_size": 2, "device": "cpu"},
            "model": {"size": (32, 16), "base_channels": 8, "n_blocks": 1, "heatmap_sigma": 1.5},
        },
    )
    trainer = factory.build_trainer("posenet", data_dir, out, sections)
    assert len(trainer.images) == 8 and trainer.architecture.flip
    assert trainer.architecture.heatmap_sigma == 1.5
    assert isinstance(list(trainer.run())[-1], DoneEvent)
    # Resuming needs no architecture value and continues from step 2.
    again = factory.run_sections("posenet", out, True, data_dir, {"train": {"steps": 3}})
    resumed = factory.build_trainer("posenet", data_dir, out, again, resume=True)
    assert resumed.architecture == trainer.architecture and resumed.train.batch_size == 2
    events = list(resumed.run())
    assert [e.step for e in events if isinstance(e, StepEvent)] == [3]
    assert any(isinstance(e, CheckpointEvent) and e.step == 3 for e in events)
    with pytest.raises(CheckpointError, match="base_channels 8 in the checkpoint, 16 asked"):
        factory.run_sections("posenet", out, True, data_dir, {"model": {"base_channels": 16}})
    # A new run sizes P for the dataset (128x64 here), as ``spt train posenet`` always has.
    fresh = factory.run_sections("posenet", tmp_path / "new", data_dir=data_dir)
    assert fresh["model"].size == PersonDataset(data_dir).size == (128, 64)
