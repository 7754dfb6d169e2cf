"""Device correctness without a GPU (issue #18): the pipeline and one step of every trainer run
with every module and input on PyTorch's ``meta`` device. A tensor made on another device (a
``torch.from_numpy`` never moved, a ``torch.zeros`` without ``device=``) meets a meta tensor in
some operation and raises, as it would on CUDA. Meta tensors hold no values, so the few places
that read a value (a loss logged as a float, a result turned into a picture) are given zeros
here; everything between them runs for real."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from spt_core.person_files import read_person
from spt_core.shipped import sample_dir
from tests.helpers import searched_people

pytestmark = pytest.mark.filterwarnings("ignore:.*copying from a non-meta parameter:UserWarning")


@pytest.fixture
def values_of_meta_tensors_are_zero(monkeypatch):
    """Reading a meta tensor's value gives 0 (a loss logged, a check of a label range)."""
    for name, zero in (("item", 0.0), ("__int__", 0), ("__float__", 0.0), ("__bool__", False),
                       ("__index__", 0)):  # fmt: skip
        original = getattr(torch.Tensor, name)

        def read(self, *args, _original=original, _zero=zero):
            return _zero if self.is_meta else _original(self, *args)

        monkeypatch.setattr(torch.Tensor, name, read)
    original_cpu = torch.Tensor.cpu

    def cpu(self, *args, **kwargs):
        if self.is_meta:
            return torch.zeros(self.shape, dtype=self.dtype)
        return original_cpu(self, *args, **kwargs)

    monkeypatch.setattr(torch.Tensor, "cpu", cpu)

    import spt_core.metrics

    original_uint8 = spt_core.metrics.to_uint8

    def to_uint8(images):
        if images.is_meta:
            return np.zeros((*images.shape[:1], *images.shape[2:], images.shape[1]), np.uint8)
        return original_uint8(images)

    monkeypatch.setattr(spt_core.metrics, "to_uint8", to_uint8)


def _meta_pipeline():
    from spt_core.pipeline import SPTPipeline

    pipe = SPTPipeline.from_pretrained(None, device="meta")
    assert all(p.is_meta for p in pipe.semantic.parameters())
    assert all(p.is_meta for p in pipe.appearance.parameters())
    return pipe


def test_the_pipeline_runs_on_the_meta_device(values_of_meta_tensors_are_zero):
    from spt_core.photo_frame import render_in_photo, repose_in_photo, transfer_in_photo

    pipe = _meta_pipeline()
    a, b = read_person(sample_dir("person_a")), read_person(sample_dir("person_b"))
    result = pipe.repose(a, b.pose)
    assert result.image.shape == (128, 64, 3) and result.parsing.shape == (128, 64)
    assert pipe.render(a, a.pose, b.parsing).shape == (128, 64, 3)
    assert pipe.transfer(b, a, (3,)).shape == (128, 64, 3)
    assert pipe.transfer(b, a, (3,), target_pose=b.pose).shape == (128, 64, 3)
    assert repose_in_photo(pipe, a, b.pose).image.shape == (128, 64, 3)
    assert render_in_photo(pipe, a, a.pose, b.parsing).image.shape == (128, 64, 3)
    assert transfer_in_photo(pipe, b, a, (3,)).image.shape == (128, 64, 3)


def test_a_tensor_left_on_the_cpu_is_caught(values_of_meta_tensors_are_zero, monkeypatch):
    """The defect this test exists for, injected: the pose masks built without moving them to
    the pipeline's device (what a forgotten ``.to(device)`` does on CUDA)."""
    import spt_core.models.inputs as inputs

    original = inputs.pose_masks
    monkeypatch.setattr(inputs, "pose_masks", lambda *a, **k: original(*a, **k).to("cpu"))
    pipe = _meta_pipeline()
    a, b = read_person(sample_dir("person_a")), read_person(sample_dir("person_b"))
    with pytest.raises((RuntimeError, NotImplementedError), match="meta|device"):
        pipe.repose(a, b.pose)


@pytest.fixture(scope="module")
def people(tmp_path_factory):
    return searched_people(tmp_path_factory, "meta_device")


@pytest.mark.slow  # about 10 s: four trainers built and stepped
def test_one_step_of_every_trainer_runs_on_the_meta_device(
    people, tmp_path, values_of_meta_tensors_are_zero, monkeypatch
):
    from spt_core.bench_train import KINDS, _sections
    from spt_core.train import posenet
    from spt_core.train.factory import build_trainer

    # PCK reads peak positions out of the heat maps (numpy): no values on meta.
    monkeypatch.setattr(posenet, "pck", lambda *args, **kwargs: 0.0)
    runs = {}
    for kind in KINDS:
        if kind == "joint":  # it starts from saved runs: one CPU step of each
            for part in ("semantic", "appearance"):
                sections = _sections(part, (128, 64), 2, "cpu", 8, runs)
                trainer = build_trainer(part, people, tmp_path / f"{part}_cpu", sections)
                trainer.build()
                trainer._advance()
                (tmp_path / f"{part}_cpu").mkdir()
                runs[part] = trainer.save()
        sections = _sections(kind, (128, 64), 2, "meta", 8, runs)
        trainer = build_trainer(kind, people, tmp_path / kind, sections)
        trainer.build()
        losses = trainer._advance()
        assert losses and trainer.step == 1, kind
        for name, network in trainer.networks().items():
            assert all(p.is_meta for p in network.parameters()), (kind, name)
