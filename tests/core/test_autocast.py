"""Mixed precision without a GPU (issue #18): one step of every trainer under CPU autocast
(bfloat16), and inference in bfloat16 against float32. On CUDA the trainers autocast to float16
(``Trainer.autocast``); the CPU's bfloat16 exercises the same paths: a dtype mismatch between
a half-precision activation and a float32 tensor (a grid, a mask, a Gram matrix) raises here."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from spt_core.person_files import read_person
from spt_core.shipped import sample_dir
from tests.helpers import searched_people


@pytest.fixture(scope="module")
def people(tmp_path_factory):
    return searched_people(tmp_path_factory, "autocast")


@pytest.mark.slow  # about 15 s: four trainers built and stepped
def test_every_trainer_steps_under_bfloat16_autocast(people, tmp_path, monkeypatch):
    from spt_core.bench_train import KINDS, _sections
    from spt_core.train.factory import build_trainer
    from spt_core.train.loop import Trainer

    monkeypatch.setattr(Trainer, "autocast", lambda self: torch.autocast("cpu", torch.bfloat16))
    runs = {}
    for kind in KINDS:
        sections = _sections(kind, (128, 64), 2, "cpu", 8, runs)
        trainer = build_trainer(kind, people, tmp_path / kind, sections)
        trainer.build()
        # Autocast must really engage: some convolution computes in bfloat16.
        dtypes: set = set()

        def record(module, inputs, output, seen=dtypes):
            seen.add(output.dtype)

        for network in trainer.networks().values():
            for module in network.modules():
                if isinstance(module, torch.nn.Conv2d):
                    module.register_forward_hook(record)
        losses = trainer._advance()
        assert torch.bfloat16 in dtypes, kind
        assert losses and all(math.isfinite(v) for v in losses.values()), (kind, losses)
        (tmp_path / kind).mkdir(exist_ok=True)
        runs[kind] = trainer.save()  # joint starts from the two pre-trained runs
        # The weights stay float32 (autocast computes in bfloat16, it does not store it).
        for network in trainer.networks().values():
            assert all(p.dtype == torch.float32 for p in network.parameters()), kind


def test_bfloat16_inference_matches_float32():
    """The shipped model's repose in bfloat16 autocast against float32, person_a into person_b's
    pose. Measured: mean 0.22 grey levels, 99th percentile 3, parsing 99.99% the same."""
    from spt_core.pipeline import SPTPipeline

    pipe = SPTPipeline.from_pretrained(None, device="cpu")
    a, b = read_person(sample_dir("person_a")), read_person(sample_dir("person_b"))
    full = pipe.repose(a, b.pose)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        half = pipe.repose(a, b.pose)
    difference = np.abs(full.image.astype(int) - half.image.astype(int))
    assert difference.mean() <= 1.0 and np.percentile(difference, 99) <= 8
    assert (full.parsing == half.parsing).mean() >= 0.995
