"""TensorBoard events (train/board.py): the same scalars as log.jsonl, read back with
TensorBoard's own reader, each step once after a resume; previews as images. Needs the
``tensorboard`` extra (CI's third environment installs it); skipped without it."""

from __future__ import annotations

import dataclasses
import json
import shutil

import pytest
from helpers import quick_train

from spt_core.config import SearchConfig, SemanticLossWeights
from spt_core.data import synthetic
from spt_core.data.dataset import PersonDataset
from spt_core.data.parsing_pairs import ParsingPairs
from spt_core.models.checkpoint import write_latest
from spt_core.search.engine import PseudoLabelSearch, SearchInputs
from spt_core.train import factory
from spt_core.train.board import BOARD_DIR
from spt_core.train.semantic import SemanticTrainer

pytestmark = pytest.mark.tensorboard
event_accumulator = pytest.importorskip(
    "tensorboard.backend.event_processing.event_accumulator", reason="the tensorboard extra"
)

TINY = factory.presets("semantic")["tiny"]["model"]


@pytest.fixture(scope="module")
def pairs(tmp_path_factory):
    root = tmp_path_factory.mktemp("board")
    synthetic.generate_dataset(root / "data", count=8, seed=5, workers=1)
    dataset = PersonDataset(root / "data")
    pseudo = PseudoLabelSearch(SearchConfig(), device="cpu").run(SearchInputs.from_dataset(dataset))
    return ParsingPairs.from_pseudo_labels(dataset, pseudo, TINY.size, TINY.mask_radius)


def _run(pairs, run_dir, resume=False, **changes):
    train = dataclasses.replace(quick_train(seed=1, preview_every=2), **changes)
    trainer = SemanticTrainer(pairs, TINY, SemanticLossWeights(), train, run_dir, resume)
    return list(trainer.run())


def _events(run_dir):
    reader = event_accumulator.EventAccumulator(
        str(run_dir / BOARD_DIR), size_guidance={"scalars": 0, "images": 0}
    )
    reader.Reload()
    return reader


def test_events_hold_the_logged_values_once_per_step_after_a_resume(pairs, tmp_path):
    run = tmp_path / "run"
    _run(pairs, run, steps=4, checkpoint_every=2)
    # As if killed after step 4 was logged but before its checkpoint: back to step 2.
    shutil.rmtree(run / "checkpoints" / "step_0000004")
    write_latest(run, run / "checkpoints" / "step_0000002", 2)
    _run(pairs, run, resume=True, steps=6, checkpoint_every=2)

    log = [json.loads(line) for line in (run / "log.jsonl").read_text().splitlines()]
    assert [row["step"] for row in log] == [1, 2, 3, 4, 5, 6]
    reader = _events(run)
    for name in [k for k in log[0] if k != "step"]:
        tag = name if name == "lr" else f"loss/{name}"
        events = reader.Scalars(tag)
        assert [e.step for e in events] == [1, 2, 3, 4, 5, 6], tag
        for event, row in zip(events, log, strict=True):
            assert event.value == pytest.approx(row[name], rel=1e-6, abs=1e-9), (tag, event.step)
    images = reader.Tags()["images"]
    assert images and all(tag.startswith("preview/") for tag in images)


def test_no_events_without_the_package(pairs, tmp_path, monkeypatch):
    import spt_core.train.board as board

    monkeypatch.setattr(board, "tensorboard_available", lambda: False)
    _run(pairs, tmp_path / "run", steps=2)
    assert (tmp_path / "run" / "log.jsonl").is_file()
    assert not (tmp_path / "run" / BOARD_DIR).exists()
