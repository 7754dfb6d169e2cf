"""SPTPipeline against independent computations: the hand-built reference path
(tests/core/appearance_reference.py), numpy compositing,
letterboxing by hand, and saved/loaded models."""

from __future__ import annotations

import json

import numpy as np
import pytest
from appearance_reference import render as ops_render
from helpers import round_weights_to_float16

from spt_core import labels as lb
from spt_core.data import synthetic
from spt_core.data.dataset import PersonDataset
from spt_core.models.checkpoint import CheckpointError
from spt_core.pipeline import ModelNotFoundError, Person, SPTPipeline


@pytest.fixture(scope="module")
def pipe():
    return SPTPipeline.random(size=(128, 64), seed=3, base_channels=8, max_channels=16)


@pytest.fixture(scope="module")
def people(tmp_path_factory):
    root = tmp_path_factory.mktemp("pipeline")
    synthetic.generate_dataset(root / "data", count=4, seed=2, size=(128, 64), workers=1)
    dataset = PersonDataset(root / "data")
    return [
        Person(dataset.load_image(i), dataset.poses[i], dataset.load_parsing(i)) for i in range(4)
    ]


def test_render_matches_the_hand_built_reference_path(pipe, people):
    a, b = people[0], people[1]
    ours = pipe.render(a, b.pose, b.parsing, keep=False)  # the network alone (no composite)
    theirs = ops_render(pipe.appearance, a.image, a.parsing, a.pose, b.parsing, b.pose)
    assert ours.shape == (128, 64, 3) and ours.dtype == np.uint8
    assert np.array_equal(ours, theirs)


def test_repose_predicts_a_map_and_renders_it(pipe, people):
    a, b = people[0], people[2]
    result = pipe.repose(a, b.pose)
    assert result.parsing.shape == (128, 64) and result.parsing.max() <= 9
    # The image is the appearance network on the soft map; its argmax is the returned parsing.
    assert np.array_equal(result.parsing, pipe.predict_parsing(a, b.pose))
    assert result.image.shape == (128, 64, 3)


def test_a_batch_equals_one_call_per_person(pipe, people):
    sources, targets = people[:3], people[1:4]
    batch = Person(
        np.stack([p.image for p in sources]),
        np.stack([p.pose for p in sources]),
        np.stack([p.parsing for p in sources]),
    )
    poses = np.stack([p.pose for p in targets])
    batched = pipe.repose(batch, poses)
    for k, (s, t) in enumerate(zip(sources, targets, strict=True)):
        single = pipe.repose(s, t.pose)
        assert np.array_equal(batched.parsing[k], single.parsing)
        assert np.abs(batched.image[k].astype(int) - single.image.astype(int)).max() <= 1


def test_transfer_keeps_onto_outside_the_chosen_garments(pipe, people):
    a, b = people[0], people[3]
    chosen = (lb.UPPER_CLOTHES,)
    out = pipe.transfer(clothes_from=a, onto=b, labels=chosen)
    region = np.isin(b.parsing, chosen)
    assert region.any()
    assert np.array_equal(out[~region], b.image[~region])
    # The garments are a's rendering, none of a's own pixels kept (a stands elsewhere).
    assert np.array_equal(out[region], pipe.render(a, b.pose, b.parsing, keep=False)[region])


def test_transfer_in_a_new_pose_composes_the_reposed_person_and_the_garments(pipe, people):
    a, b, pose = people[0], people[3], people[1].pose
    chosen = (lb.UPPER_CLOTHES, lb.PANTS, lb.SKIRT)
    reposed = pipe.repose(b, pose)
    pipe.keep_unchanged = False
    try:  # Clothes from the person herself: both renders are her repose, everywhere.
        redrawn = pipe.repose(b, pose).image
        assert np.array_equal(pipe.transfer(b, b, chosen, target_pose=pose), redrawn)
    finally:
        pipe.keep_unchanged = True
    out = pipe.transfer(clothes_from=a, onto=b, labels=chosen, target_pose=pose)
    region = np.isin(pipe.predict_parsing(b, pose), chosen)
    assert 0 < region.mean() < 1
    assert np.array_equal(out[~region], reposed.image[~region])
    # Inside the garments the other person's appearance was rendered.
    assert np.abs(out[region].astype(int) - reposed.image[region].astype(int)).mean() > 1


def test_inputs_of_another_size_are_letterboxed(pipe, people):
    import cv2

    a, b = people[0], people[1]

    def doubled(x):
        return cv2.resize(x, (128, 256), interpolation=cv2.INTER_NEAREST)

    big = Person(doubled(a.image), a.pose * 2, doubled(a.parsing))
    fitted = pipe.fit(big)
    assert fitted.image.shape == (128, 64, 3)
    assert np.allclose(fitted.pose, a.pose, atol=0.6, equal_nan=True)
    assert (fitted.parsing == a.parsing).mean() > 0.97
    result = pipe.repose(big, b.pose * 2)  # the target pose lives in the big frame too
    assert result.image.shape == (128, 64, 3)


def test_bad_inputs_name_the_field(pipe, people):
    a = people[0]
    with pytest.raises(ValueError, match="parsing is"):
        pipe.repose(Person(a.image, a.pose, a.parsing[:10]), a.pose)
    with pytest.raises(ValueError, match="pose must be"):
        pipe.repose(Person(a.image, a.pose[:17], a.parsing), a.pose)
    with pytest.raises(ValueError, match="target_pose"):
        pipe.repose(a, a.pose[:5])


def test_saved_model_loads_to_the_same_outputs(pipe, people, tmp_path):
    a, b = people[1], people[2]
    pipe.save_pretrained(tmp_path / "full", half=False, card="# card\n")
    again = SPTPipeline.from_pretrained(tmp_path / "full", device="cpu")
    assert np.array_equal(again.repose(a, b.pose).image, pipe.repose(a, b.pose).image)
    assert (tmp_path / "full" / "MODEL_CARD.md").read_text() == "# card\n"
    # float16 storage: the same as the float32 networks with weights rounded to float16.
    pipe.save_pretrained(tmp_path / "half")
    half = SPTPipeline.from_pretrained(tmp_path / "half", device="cpu")
    rounded = SPTPipeline.random(size=(128, 64), seed=3, base_channels=8, max_channels=16)
    round_weights_to_float16(rounded.semantic, rounded.appearance)
    assert np.array_equal(half.repose(a, b.pose).image, rounded.repose(a, b.pose).image)
    size = sum(f.stat().st_size for f in (tmp_path / "half").rglob("*.safetensors"))
    full = sum(f.stat().st_size for f in (tmp_path / "full").rglob("*.safetensors"))
    assert size < 0.55 * full


def test_missing_and_wrong_models_are_clear(tmp_path, people):
    with pytest.raises(ModelNotFoundError, match="no model there"):
        SPTPipeline.from_pretrained(tmp_path / "nowhere")
    model = SPTPipeline.random(size=(128, 64), base_channels=8, max_channels=16)
    model.save_pretrained(tmp_path / "m")
    # One network alone is not a pipeline.
    with pytest.raises(CheckpointError, match="is one network of a model"):
        SPTPipeline.from_pretrained(tmp_path / "m" / "semantic")
    (tmp_path / "m" / "model.json").write_text("{not json")
    with pytest.raises(CheckpointError, match="unreadable"):
        SPTPipeline.from_pretrained(tmp_path / "m")
    (tmp_path / "m" / "model.json").write_text(json.dumps({"kind": "other", "format": 1}))
    with pytest.raises(CheckpointError, match="not an SPT model"):
        SPTPipeline.from_pretrained(tmp_path / "m")


def test_two_stage_checkpoints_make_a_pipeline(tmp_path, people):
    from spt_core.config import to_dict
    from spt_core.models.checkpoint import save_checkpoint

    model = SPTPipeline.random(size=(128, 64), seed=1, base_channels=8, max_channels=16)
    save_checkpoint(
        tmp_path / "s",
        "semantic",
        {"model": to_dict(model.semantic_config)},
        {"generator": model.semantic},
    )
    save_checkpoint(
        tmp_path / "a",
        "appearance",
        {"model": to_dict(model.appearance_config)},
        {"generator": model.appearance},
    )
    pipe = SPTPipeline.from_checkpoints(tmp_path / "s", tmp_path / "a", device="cpu")
    a, b = people[0], people[1]
    assert np.array_equal(pipe.repose(a, b.pose).image, model.repose(a, b.pose).image)
