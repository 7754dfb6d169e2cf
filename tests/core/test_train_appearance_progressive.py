"""The 256-px schedule of the appearance trainer (method §4.2-4.5, §5.1) on tiny networks.

A 32x32 global-only run with the face GAN plays the 128-px stage; a 64x64 local-enhanced run
with the fade-in D_F plays the 256-px stage started from it (``ProgressiveConfig``).
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from helpers import person_at, quick_train, round_weights_to_float16, spt_argv
from progressive_configs import BIG, SMALL

from spt_core import skeleton as sk
from spt_core.config import (
    AppearanceLossWeights,
    AppearanceNetConfig,
    ProgressiveConfig,
    SemanticLossWeights,
    SemanticNetConfig,
    to_dict,
)
from spt_core.data.samples import PersonSamples
from spt_core.models.appearance import AppearanceGenerator
from spt_core.models.appearance_discriminators import FaceDiscriminator, ImageDiscriminator
from spt_core.models.checkpoint import CheckpointError, latest_checkpoint, save_checkpoint
from spt_core.models.inputs import low_res_inputs, part_warp_inputs
from spt_core.models.loading import load_appearance_generator
from spt_core.models.local_enhancer import LocalEnhancedGenerator
from spt_core.train.appearance import AppearanceTrainer
from spt_core.train.events import StepEvent
from spt_core.train.loop import LOG

pytest_plugins = ["progressive_fixtures"]

QUICK = quick_train(steps=3, batch_size=2, checkpoint_every=100)


@pytest.fixture(scope="module")
def world(progressive_stage):
    """Six 64x64 people at both sizes and a finished 2-step run of the 32x32 stage."""
    return progressive_stage


def _big(world, run_dir, fix=2, fade=4, resume=False, model=BIG, samples=None, **changes):
    progressive = ProgressiveConfig(
        global_from=str(world["r128"]), fix_global_steps=fix, fade_in_steps=fade
    )
    return AppearanceTrainer(
        samples or world["big"],
        model,
        AppearanceLossWeights(),
        dataclasses.replace(QUICK, **changes),
        run_dir,
        resume=resume,
        progressive=progressive,
    )


def _params(module) -> dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in module.named_parameters()}


def _equal(a: dict, b: dict) -> list[str]:
    """Names whose tensors are bit-identical."""
    return [k for k in a if torch.equal(a[k], b[k])]


def _loaded_128(world) -> dict[str, torch.Tensor]:
    generator, _ = load_appearance_generator(world["r128"])
    return _params(generator)


def test_local_enhancer_alone_first_then_everything(world, tmp_path):
    trainer = _big(world, tmp_path / "run", fix=2, steps=3)
    loaded = _loaded_128(world)
    snapshots, optimised = {}, {}
    for event in trainer.run():
        if isinstance(event, StepEvent):
            generator = trainer.generator
            snapshots[event.step] = _params(generator)
            optimised[event.step] = sum(
                p.numel() for g in trainer.optimizers["generator"].param_groups for p in g["params"]
            )
    local_names = {n for n, _ in generator.named_parameters() if not n.startswith("global_")}
    glob = {
        k.removeprefix("global_generator."): v
        for k, v in snapshots[2].items()
        if k not in local_names
    }
    assert set(glob) == set(loaded)
    # Steps 1 and 2 (index 0, 1 < fix_global_steps): the global part is the 128-px run's.
    for step in (1, 2):
        glob = {
            k.removeprefix("global_generator."): v
            for k, v in snapshots[step].items()
            if k not in local_names
        }
        assert _equal(glob, loaded) == list(loaded), f"global part moved by step {step}"
    local_1 = {k: v for k, v in snapshots[1].items() if k in local_names}
    local_2 = {k: v for k, v in snapshots[2].items() if k in local_names}
    assert len(_equal(local_1, local_2)) < len(local_1) / 2, "the local enhancer did not learn"
    # Step 3 rebuilt the optimiser over every parameter: now the global part learns too.
    glob_3 = {
        k.removeprefix("global_generator."): v
        for k, v in snapshots[3].items()
        if k not in local_names
    }
    assert len(_equal(glob_3, loaded)) < len(loaded) / 2
    local_count = sum(p.numel() for n, p in generator.named_parameters() if n in local_names)
    total = sum(p.numel() for p in generator.parameters())
    assert optimised[2] == local_count < total == optimised[3]


def test_alpha_follows_the_schedule(world, tmp_path):
    import json

    fade = 3
    list(_big(world, tmp_path / "run", fix=0, fade=fade, steps=5).run())
    logged = [json.loads(line) for line in (tmp_path / "run" / LOG).read_text().splitlines()]
    # Log line k holds the loss of step index k - 1, which ran with alpha min(1, (k - 1) / 3).
    assert [row["alpha"] for row in logged] == [min(1.0, (k - 1) / fade) for k in range(1, 6)]
    assert all(np.isfinite(row["g_face"]) and np.isfinite(row["d_face"]) for row in logged)
    assert ProgressiveConfig(fade_in_steps=0).alpha(0) == 1.0


def _render_args(source: dict, target: dict) -> tuple:
    """The arguments of ``AppearanceTrainer.render`` from a source and a target batch."""
    maps = [source["image"], source["parsing"], source["heatmaps"]]
    return (*maps, target["parsing"], target["heatmaps"], source["poses"], target["poses"])


def test_global_from_makes_alpha_zero_the_128_generator(world, tmp_path):
    trainer = _big(world, tmp_path / "run")
    trainer.build()
    assert trainer.alpha == 0.0
    samples = world["big"]
    source, target = samples.batch([0, 1], "cpu"), samples.batch([2, 3], "cpu")
    trainer.generator.eval()
    args = _render_args(source, target)
    with torch.no_grad():
        ours = trainer.render(*args)
        trainer.alpha = 1.0
        faded_in = trainer.render(*args)
    # The 32x32 run's generator, loaded on its own, with its output upsampled (the model's
    # definition of alpha 0), on the half-size inputs built here by hand.
    reference, _ = load_appearance_generator(world["r128"])
    reference.output_upsample = True
    thetas, masks = part_warp_inputs(source["poses"], target["poses"], BIG.size)
    half = (32, 32)

    def heat(poses):
        # Pixel centres (decision 0005): the centre of a 2x2 block lands on its pooled pixel.
        halved = (poses + 0.5) * 0.5 - 0.5
        return sk.pose_heatmaps_torch(torch.from_numpy(halved), half, BIG.heatmap_sigma)

    with torch.no_grad():
        expected = reference(
            F.avg_pool2d(source["image"], 2),
            source["parsing"][..., 1::2, 1::2],
            heat(source["poses"]),
            target["parsing"][..., 1::2, 1::2],
            heat(target["poses"]),
            thetas,
            F.interpolate(masks, size=half, mode="bilinear", align_corners=False),
        )
    assert ours.shape == (2, 3, 64, 64)
    torch.testing.assert_close(ours, expected, rtol=0, atol=1e-6)
    assert (faded_in - expected).abs().max() > 1e-2


def test_face_discriminator_learns_and_headless_faces_stay_finite(world, tmp_path):
    weights = AppearanceLossWeights()
    headless_poses = world["big"].poses.copy()
    headless_poses[:, list(sk.HEAD_JOINTS)] = np.nan
    samples = world["big"]
    headless = PersonSamples(samples.images, samples.parsings, headless_poses, BIG.size)
    for name, data in (("faces", samples), ("headless", headless)):
        trainer = _big(world, tmp_path / name, samples=data)
        trainer.build()
        d_f = trainer.face_discriminator
        before = _params(d_f)
        trainer.prepare_step(0)
        logs = trainer.train_step(0)
        assert all(np.isfinite(v) for v in logs.values()), (name, logs)
        assert {"g_face", "d_face", "d", "alpha"} <= set(logs)
        grads = [p.grad for p in d_f.parameters() if p.grad is not None]
        assert grads and any(g.abs().sum() > 0 for g in grads), name
        assert len(_equal(_params(d_f), before)) < len(before), name
        assert all(torch.isfinite(p).all() for p in trainer.generator.parameters())
        # The face term is part of G's objective with its weight.
        parts = (
            weights.adversarial * logs["g_adversarial"]
            + weights.content * logs["content"]
            + weights.style * logs["style"]
            + weights.face * logs["g_face"]
        )
        assert logs["g_total"] == pytest.approx(parts, rel=1e-5)
        # The 32x32 run's D_F starts D_F's 128-px path.
        plain = FaceDiscriminator.from_config(SMALL)
        from spt_core.models.checkpoint import load_weights

        load_weights(plain, latest_checkpoint(world["r128"]), "face_discriminator")
        for key, value in plain.patch.state_dict().items():
            assert torch.equal(before[f"patch.{key}"], value), key
    with torch.no_grad():
        from spt_core.models.face import crop_faces

        blank = crop_faces(torch.ones(2, 3, 64, 64), headless_poses[:2])
    assert blank.abs().sum() == 0


def test_killed_runs_resume_across_the_phase_change(world, tmp_path):
    def weights(trainer):
        return {
            f"{name}.{k}": v
            for name, net in trainer.networks().items()
            for k, v in net.state_dict().items()
        }

    reference = _big(world, tmp_path / "whole", fix=2, fade=3, steps=5, checkpoint_every=1)
    list(reference.run())
    # Killed after step 3 (last checkpoint: step 2, the local optimiser's state at the phase
    # change) and after step 4 (last checkpoint: step 3, the full optimiser's).
    for kill_at in (3, 4):
        run = tmp_path / f"killed{kill_at}"
        for event in _big(world, run, fix=2, fade=3, steps=5, checkpoint_every=1).run():
            if isinstance(event, StepEvent) and event.step == kill_at:
                break
        assert latest_checkpoint(run).name == f"step_{kill_at - 1:07d}"
        resumed = _big(world, run, fix=2, fade=3, steps=5, checkpoint_every=1, resume=True)
        steps = [e.step for e in resumed.run() if isinstance(e, StepEvent)]
        assert steps == list(range(kill_at, 6))
        ours, theirs = weights(resumed), weights(reference)
        assert set(ours) == set(theirs) and any(k.startswith("face_discriminator") for k in ours)
        different = [k for k in theirs if not torch.equal(ours[k], theirs[k])]
        assert not different, (kill_at, different[:5])


def test_global_from_must_be_a_global_run_of_the_core(world, tmp_path):
    def fake_run(name, cfg, **nets):
        path = tmp_path / name
        save_checkpoint(path, "appearance", {"model": to_dict(cfg)}, nets)
        return path

    def starting_from(path):
        progressive = ProgressiveConfig(global_from=str(path))
        trainer = AppearanceTrainer(
            world["big"],
            BIG,
            AppearanceLossWeights(),
            QUICK,
            tmp_path / f"from_{path.name}",
            progressive=progressive,
        )
        trainer.build()

    wider = dataclasses.replace(SMALL, base_channels=16)
    path = fake_run(
        "wider",
        wider,
        generator=AppearanceGenerator.from_config(wider),
        discriminator=ImageDiscriminator.from_config(wider),
    )
    with pytest.raises(CheckpointError, match="base_channels 16 there, 8 here"):
        starting_from(path)
    whole = dataclasses.replace(BIG, face_gan=False, face_fade_in=False)
    path = fake_run(
        "whole",
        whole,
        generator=LocalEnhancedGenerator.from_config(whole),
        discriminator=ImageDiscriminator.from_config(whole),
    )
    with pytest.raises(CheckpointError, match=r"local enhancer itself.*core size \(32, 32\)"):
        starting_from(path)
    semantic = SemanticNetConfig(size=(32, 32), base_channels=8, max_channels=16, depth=3)
    path = tmp_path / "semantic"
    save_checkpoint(path, "semantic", {"model": to_dict(semantic)}, {})
    with pytest.raises(CheckpointError, match="'semantic'"):
        starting_from(path)


def test_impossible_combinations_are_refused(world, tmp_path):
    from spt_core.train.joint import JointTrainer

    cases = [
        (SMALL, ProgressiveConfig(global_from="run"), None, "needs local_enhancer"),
        (BIG, ProgressiveConfig(global_from="run"), "other", "not both"),
        (dataclasses.replace(SMALL, face_fade_in=True), None, None, "face_fade_in grows"),
        (dataclasses.replace(SMALL, output_upsample=True), None, None, "output_upsample"),
    ]
    for model, progressive, init, message in cases:
        with pytest.raises(ValueError, match=message):
            AppearanceTrainer(
                world["small"],
                model,
                AppearanceLossWeights(),
                QUICK,
                tmp_path / "x",
                init_from=init,
                progressive=progressive,
            )
    with pytest.raises(ValueError, match="needs an even size"):
        AppearanceNetConfig.tiny(size=(63, 64), local_enhancer=True)
    semantic = SemanticNetConfig(size=(64, 32), base_channels=8, max_channels=16, depth=3)
    with pytest.raises(ValueError, match="same size or a proportional one"):
        JointTrainer(
            world["big"],
            np.array([[0, 1]]),
            semantic,
            BIG,
            SemanticLossWeights(),
            AppearanceLossWeights(),
            QUICK,
            tmp_path / "joint",
        )


def test_a_local_enhanced_run_loads_exports_and_evaluates(world, tmp_path):
    from spt_core.eval.appearance import generate
    from spt_core.metrics import to_uint8
    from spt_core.models.semantic import SemanticGenerator
    from spt_core.pipeline import SPTPipeline

    trainer = _big(world, tmp_path / "run", fix=1, fade=2, steps=3)
    list(trainer.run())
    assert trainer.alpha == 1.0
    generator, model = load_appearance_generator(tmp_path / "run")
    assert model == BIG and isinstance(generator, LocalEnhancedGenerator)
    assert generator.alpha == 1.0 and not generator.training
    samples = world["big"]
    pairs = np.array([[0, 1], [2, 3]])
    source, target = samples.batch(pairs[:, 0], "cpu"), samples.batch(pairs[:, 1], "cpu")
    trainer.generator.eval()
    with torch.no_grad():
        rendered = trainer.render(*_render_args(source, target))
    # ``spt eval appearance`` renders what the trainer renders (half-size maps included).
    assert np.array_equal(generate(generator, samples, pairs), to_uint8(rendered))
    assert (
        low_res_inputs(
            AppearanceGenerator.from_config(SMALL),
            source["parsing"],
            target["parsing"],
            source["poses"],
            target["poses"],
        )
        == {}
    )

    # A semantic network at the core size, as the paper predicts 256-px maps at 128.
    torch.manual_seed(0)
    s_cfg = SemanticNetConfig(
        size=(32, 32), base_channels=8, max_channels=16, depth=3, mask_radius=1
    )
    save_checkpoint(
        tmp_path / "semantic",
        "semantic",
        {"model": to_dict(s_cfg)},
        {"generator": SemanticGenerator.from_config(s_cfg)},
    )
    pipe = SPTPipeline.from_checkpoints(tmp_path / "semantic", tmp_path / "run", device="cpu")
    a, b = person_at(samples, 0), person_at(samples, 1)
    result = pipe.repose(a, b.pose)
    assert result.image.shape == (64, 64, 3) and result.parsing.shape == (64, 64)
    pipe.save_pretrained(tmp_path / "full", half=False)
    full = SPTPipeline.from_pretrained(tmp_path / "full", device="cpu")
    assert isinstance(full.appearance, LocalEnhancedGenerator)
    assert np.array_equal(full.repose(a, b.pose).image, result.image)
    # float16 storage: the same as the float32 networks with weights rounded to float16.
    pipe.save_pretrained(tmp_path / "half")
    half = SPTPipeline.from_pretrained(tmp_path / "half", device="cpu")
    round_weights_to_float16(pipe.semantic, pipe.appearance)
    assert np.array_equal(half.repose(a, b.pose).image, pipe.repose(a, b.pose).image)
    assert np.array_equal(half.render(a, b.pose, b.parsing), pipe.render(a, b.pose, b.parsing))


def test_cli_trains_both_stages_and_evaluates(world, tmp_path, capsys):
    import json

    from spt_core.cli import main

    common = spt_argv(
        "--batch-size 2 --base-channels 8 --max-channels 16 --face-gan --device cpu --quiet",
        data=world["data"],
    )
    stage1, stage2 = tmp_path / "r128", tmp_path / "r256"
    assert main(spt_argv("train appearance --size 32x32 --steps 1", out=stage1) + common) == 0
    schedule = "--size 64x64 --local-enhancer --fix-global-steps 1"
    argv = spt_argv(
        "train appearance --steps 2 --fade-in-steps 2", schedule, out=stage2, global_from=stage1
    )
    assert main(argv + common) == 0
    out = capsys.readouterr().out
    assert "finished at step 2" in out
    config = json.loads((latest_checkpoint(stage2) / "config.json").read_text())
    assert config["model"]["local_enhancer"] and config["model"]["face_fade_in"]
    assert config["progressive"] == {
        "global_from": str(stage1),
        "fix_global_steps": 1,
        "fade_in_steps": 2,
    }
    # Resuming needs the schedule again but not the starting run.
    resume = spt_argv("train appearance --steps 3 --resume", schedule, out=stage2)
    assert main(resume + ["--fade-in-steps", "2"] + common) == 0
    assert "finished at step 3" in capsys.readouterr().out
    assert main(resume + ["--fade-in-steps", "5"] + common) == 2
    assert "fade_in_steps 2 in the checkpoint, 5 asked" in capsys.readouterr().err
    argv = spt_argv("eval appearance", stage2, "--limit 2 --device cpu", data=world["data"])
    assert main(argv) == 0
    assert "TS-GT" in capsys.readouterr().out
    argv = spt_argv("train appearance", out=tmp_path / "x", global_from=stage1)
    assert main(argv + common) == 2
    assert "add --local-enhancer" in capsys.readouterr().err


def test_ts_pred_with_a_semantic_network_at_the_core_size(world, tmp_path):
    from spt_core import labels as lb
    from spt_core.models.semantic import SemanticGenerator

    s_cfg = SemanticNetConfig(
        size=(32, 32), base_channels=8, max_channels=16, depth=3, mask_radius=1
    )
    semantic = SemanticGenerator.from_config(s_cfg).eval()
    trainer = AppearanceTrainer(
        world["big"],
        BIG,
        AppearanceLossWeights(),
        QUICK,
        tmp_path / "r",
        semantic=(semantic, s_cfg),
        parsing_mode="predicted",
        progressive=ProgressiveConfig(fix_global_steps=0),
    )
    source, target = world["big"].batch([0, 1], "cpu"), world["big"].batch([2, 3], "cpu")
    parsing, probabilities = trainer._target_parsing(source, target)
    # By hand: the maps and poses at 32x32 (pixel centres: centre-aligned nearest picks the odd
    # pixels of a 2x shrink), the prediction upsampled to 64x64.
    poses = [(source["poses"] + 0.5) * 0.5 - 0.5, (target["poses"] + 0.5) * 0.5 - 0.5]
    masks = [
        torch.from_numpy(np.stack([sk.pose_mask(p, (32, 32), 1) for p in batch]))[:, None]
        for batch in poses
    ]
    with torch.no_grad():
        small = semantic.predict(
            lb.one_hot_torch(source["labels"][:, 1::2, 1::2]),
            *(
                sk.pose_heatmaps_torch(torch.from_numpy(p), (32, 32), s_cfg.heatmap_sigma)
                for p in poses
            ),
            *(m.float() for m in masks),
        )
    expected = F.interpolate(small, size=(64, 64), mode="bilinear", align_corners=False)
    torch.testing.assert_close(probabilities, expected)
    assert parsing.shape == (2, 9, 64, 64)
    with pytest.raises(ValueError, match="scaled copy"):
        AppearanceTrainer(
            world["big"],
            BIG,
            AppearanceLossWeights(),
            QUICK,
            tmp_path / "x",
            semantic=(semantic, dataclasses.replace(s_cfg, size=(32, 16))),
            parsing_mode="predicted",
        )
