"""The semantic trainer: overfitting, checkpoints, architecture mismatches, resume, torchrun."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from helpers import quick_train, spt_argv

from spt_core.config import SearchConfig, SemanticLossWeights
from spt_core.data import synthetic
from spt_core.data.dataset import PersonDataset
from spt_core.data.parsing_pairs import ParsingPairs
from spt_core.letterbox import Letterbox
from spt_core.models.checkpoint import (
    CheckpointError,
    latest_checkpoint,
    load_weights,
    read_config,
    save_checkpoint,
)
from spt_core.models.loading import load_semantic_generator
from spt_core.search.engine import PseudoLabelSearch, SearchInputs
from spt_core.train import factory
from spt_core.train.events import CheckpointEvent, DoneEvent, StepEvent
from spt_core.train.semantic import SemanticTrainer

#: The editor's "tiny" 32x16 network (base 8, depth 3, a 2-layer discriminator).
TINY = factory.presets("semantic")["tiny"]["model"]


@pytest.fixture(scope="module")
def people(tmp_path_factory):
    """24 synthetic people images with their pseudo labels."""
    root = tmp_path_factory.mktemp("semantic")
    synthetic.generate_dataset(root / "data", count=24, seed=5, workers=1)
    dataset = PersonDataset(root / "data")
    pseudo = PseudoLabelSearch(SearchConfig(), device="cpu").run(SearchInputs.from_dataset(dataset))
    pseudo.save(root / "pseudo.npz")
    return root, dataset, pseudo


def _train(pairs, run_dir, resume=False, **changes):
    train = quick_train(steps=6, checkpoint_every=3, seed=1, decay_from=0.5)
    train = dataclasses.replace(train, **changes)
    return SemanticTrainer(pairs, TINY, SemanticLossWeights(), train, run_dir, resume)


def test_fit_to_network_size_keeps_labels_and_joints_together():
    labels = np.zeros((128, 64), np.uint8)
    labels[40:44, 20:24] = 3
    pose = np.full((18, 2), np.nan, np.float32)
    pose[0] = (21.5, 41.5)  # the block's centre
    letterbox = Letterbox.fit((128, 64), (32, 32))  # 128x64 -> 32x16 centred in 32x32
    small = letterbox.labels(labels)
    moved = letterbox.poses(pose[None])[0]
    x, y = round(float(moved[0, 0])), round(float(moved[0, 1]))
    assert small[y, x] == 3 and small.sum() == 3 * 1  # one 4x4 block -> one pixel
    assert small[:, :8].max() == 0 and np.isnan(moved[1]).all()


def test_tiny_network_overfits_eight_samples(people, tmp_path):
    _, dataset, pseudo = people
    pairs = ParsingPairs.from_pseudo_labels(dataset, pseudo, TINY.size, TINY.mask_radius)
    pairs.pairs = pairs.pairs[:8]
    trainer = _train(
        pairs,
        tmp_path / "run",
        steps=300,
        batch_size=8,
        checkpoint_every=1000,
        log_every=10,
        decay_from=1.0,
    )
    losses = [e.losses["cross_entropy"] for e in trainer.run() if isinstance(e, StepEvent)]
    assert losses[0] > 1.0
    assert losses[-1] < 0.1, losses[-5:]


def test_checkpoint_round_trip_gives_identical_outputs(people, tmp_path):
    _, dataset, pseudo = people
    pairs = ParsingPairs.from_pseudo_labels(dataset, pseudo, TINY.size, TINY.mask_radius)
    trainer = _train(pairs, tmp_path / "run", steps=3)
    events = list(trainer.run())
    assert isinstance(events[-1], DoneEvent) and events[-1].reason == "finished"
    generator, model = load_semantic_generator(tmp_path / "run")
    assert model == TINY
    batch = pairs.batch([0, 1, 2], "cpu", TINY.heatmap_sigma)
    trainer.generator.eval()
    with torch.no_grad():
        args = batch.generator_args()
        assert torch.equal(trainer.generator(*args), generator(*args))
    log = [json.loads(line) for line in (tmp_path / "run" / "log.jsonl").read_text().splitlines()]
    assert [row["step"] for row in log] == [1, 2, 3]


def test_another_architecture_is_refused_by_name(people, tmp_path):
    from spt_core.models.semantic import SemanticGenerator

    _, dataset, pseudo = people
    pairs = ParsingPairs.from_pseudo_labels(dataset, pseudo, TINY.size, TINY.mask_radius)
    list(_train(pairs, tmp_path / "run", steps=1).run())
    checkpoint = latest_checkpoint(tmp_path / "run")
    wider = SemanticGenerator.from_config(dataclasses.replace(TINY, base_channels=16))
    with pytest.raises(CheckpointError, match=r"shape mismatches \(.*checkpoint \(.*vs network \("):
        load_weights(wider, checkpoint, "generator")
    other = tmp_path / "appearance"
    save_checkpoint(other, "appearance", {"model": {}}, {"generator": torch.nn.Linear(2, 2)})
    with pytest.raises(CheckpointError, match="'appearance' checkpoint, but a 'semantic'"):
        load_semantic_generator(other)
    with pytest.raises(CheckpointError, match="not a checkpoint"):
        read_config(tmp_path)


def test_killed_run_resumes_to_the_same_weights(people, tmp_path):
    _, dataset, pseudo = people
    pairs = ParsingPairs.from_pseudo_labels(dataset, pseudo, TINY.size, TINY.mask_radius)
    reference = _train(pairs, tmp_path / "whole")
    list(reference.run())

    interrupted = _train(pairs, tmp_path / "killed")
    for event in interrupted.run():
        if isinstance(event, StepEvent) and event.step == 5:
            break  # the process dies here: the last checkpoint is step 3
    assert latest_checkpoint(tmp_path / "killed").name == "step_0000003"
    with pytest.raises(CheckpointError, match="pass --resume"):
        list(_train(pairs, tmp_path / "killed").run())
    resumed = _train(pairs, tmp_path / "killed", resume=True)
    steps = [e.step for e in resumed.run() if isinstance(e, StepEvent)]
    assert steps == [4, 5, 6]
    for a, b in zip(
        reference.generator.state_dict().values(),
        resumed.generator.state_dict().values(),
        strict=True,
    ):
        assert torch.equal(a, b)


def test_stop_request_saves_and_reports(people, tmp_path):
    _, dataset, pseudo = people
    pairs = ParsingPairs.from_pseudo_labels(dataset, pseudo, TINY.size, TINY.mask_radius)
    trainer = _train(pairs, tmp_path / "run", steps=50)
    events = []
    for event in trainer.run():
        events.append(event)
        if isinstance(event, StepEvent) and event.step == 2:
            trainer.request_stop()
    assert isinstance(events[-1], DoneEvent) and events[-1].reason == "stopped"
    assert events[-1].step == 2
    assert any(isinstance(e, CheckpointEvent) and e.step == 2 for e in events)


@pytest.mark.slow
def test_torchrun_two_cpu_processes(people, tmp_path):
    root, _, _ = people
    out = tmp_path / "ddp"
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    command = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--nproc_per_node=2",
        "--standalone",  # a free port of its own: no clash with another run on this machine
        "-m",
        "spt_core.cli",
        *spt_argv(
            "train semantic --steps 4 --batch-size 2 --size 32x16 --base-channels 8 --depth 3",
            "--device cpu --quiet",
            data=root / "data",
            pseudo=root / "pseudo.npz",
            out=out,
        ),
    ]
    done = subprocess.run(
        command,
        capture_output=True,
        text=True,
        timeout=300,
        cwd=Path(__file__).resolve().parents[2],
        env=env,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert latest_checkpoint(out).name == "step_0000004"
    log = [json.loads(line) for line in (out / "log.jsonl").read_text().splitlines()]
    # Losses are logged every 10 steps and at the last one, by rank 0 alone (not twice).
    assert [row["step"] for row in log] == [4]


def test_eval_parsing_command_prints_the_three_rows(people, tmp_path, capsys):
    from spt_core.cli import main

    root, dataset, pseudo = people
    pairs = ParsingPairs.from_pseudo_labels(dataset, pseudo, TINY.size, TINY.mask_radius)
    list(_train(pairs, tmp_path / "run", steps=2).run())
    csv_path = tmp_path / "table.csv"
    argv = spt_argv(
        "eval parsing",
        tmp_path / "run",
        "--limit 10 --device cpu",
        data=root / "data",
        pseudo=root / "pseudo.npz",
        csv=csv_path,
    )
    assert main(argv) == 0
    text = capsys.readouterr().out
    for row in ("network", "part warp (no learning)", "pseudo labels (search)"):
        assert row in text
    lines = csv_path.read_text().splitlines()
    assert lines[0].startswith("method,pixel_accuracy,miou") and len(lines) == 4


def test_out_of_gpu_memory_is_a_clear_error_that_keeps_the_checkpoint(people, tmp_path):
    from spt_core.train.loop import TrainingError

    _, dataset, pseudo = people
    pairs = ParsingPairs.from_pseudo_labels(dataset, pseudo, TINY.size, TINY.mask_radius)
    trainer = _train(pairs, tmp_path / "run")
    real_step = trainer.train_step

    def step(index):
        if index == 4:
            raise torch.cuda.OutOfMemoryError("CUDA out of memory (simulated)")
        return real_step(index)

    trainer.train_step = step
    with pytest.raises(
        TrainingError,
        match=r"out of GPU memory at step 5 with a batch of 4.*"
        r"step_0000003.*--batch-size",
    ):
        list(trainer.run())
    assert latest_checkpoint(tmp_path / "run").name == "step_0000003"
