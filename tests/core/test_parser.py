"""The human parser: network shapes, flips, overfitting, checkpoints, resume, the CLI."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch
from helpers import quick_train, spt_argv, synthetic_data_fixture

from spt_core import labels as lb
from spt_core.cli import main
from spt_core.data.dataset import PersonDataset
from spt_core.models.checkpoint import CheckpointError, latest_checkpoint
from spt_core.models.loading import load_parser
from spt_core.models.parser import HumanParser
from spt_core.prepare.parser_predictor import ParserPredictor
from spt_core.train.events import CheckpointEvent, DoneEvent, StepEvent
from spt_core.train.factory import read_run
from spt_core.train.parser import ParserConfig, ParserTrainer, ParsingImages

pytestmark = pytest.mark.usefixtures("one_thread")

TINY = ParserConfig(size=(32, 16), base_channels=8, max_channels=32, depth=3, flip=False)

data_dir = synthetic_data_fixture("parser", count=8, seed=4)


@pytest.fixture(scope="module")
def four(data_dir):
    """The first four people, fitted to the network's 32x16."""
    return ParsingImages.from_dataset(PersonDataset(data_dir), TINY.size, rows=range(4))


def _trainer(data, run_dir, resume=False, **changes):
    train = quick_train(steps=6, lr=0.003, beta1=0.9, checkpoint_every=3, seed=1)
    return ParserTrainer(data, TINY, dataclasses.replace(train, **changes), run_dir, resume)


def test_network_shapes_and_size_check():
    net = HumanParser(base_channels=8, max_channels=32, depth=3)
    assert net(torch.zeros(2, 3, 32, 16)).shape == (2, lb.NUM_LABELS, 32, 16)
    with pytest.raises(ValueError, match="divisible by 8"):
        net(torch.zeros(1, 3, 36, 16))
    with pytest.raises(ValueError, match="divisible by 16"):
        ParserConfig(size=(128, 72), depth=4)


def test_flip_mirrors_the_image_and_swaps_sides():
    image = np.zeros((1, 8, 4, 3), np.uint8)
    image[0, 2, 0] = 255  # a white pixel at the left edge
    parsing = np.zeros((1, 8, 4), np.uint8)
    parsing[0, 2, 0] = lb.LEFT_ARM
    parsing[0, 5, 3] = lb.RIGHT_LEG
    parsing[0, 6, 1] = lb.HAIR
    data = ParsingImages(image, parsing, (8, 4))
    flipped = data.batch([0], "cpu", flip=[True])
    labels = flipped["labels"][0].numpy()
    assert labels[2, 3] == lb.RIGHT_ARM and labels[5, 0] == lb.LEFT_LEG and labels[6, 2] == lb.HAIR
    assert flipped["images"][0, 0, 2, 3] == 1.0 and flipped["images"][0, 0, 2, 0] == -1.0


def test_tiny_parser_overfits_four_synthetic_people(four, tmp_path):
    events = list(_trainer(four, tmp_path / "run", steps=80, checkpoint_every=1000).run())
    losses = [e.losses for e in events if isinstance(e, StepEvent)]
    assert losses[-1]["cross_entropy"] < 0.35 * losses[0]["cross_entropy"], losses[::10]
    network, _ = load_parser(tmp_path / "run")
    with torch.no_grad():
        predicted = lb.argmax_labels(network(four.batch(range(4), "cpu")["images"]))
    accuracy = (predicted == four.parsings).mean()
    # "All background" scores the background share; the parser must do much better.
    background = (four.parsings == 0).mean()
    assert accuracy > 0.9 and accuracy > background + 0.1, (accuracy, background)
    person = four.parsings > 0
    assert (predicted[person] == four.parsings[person]).mean() > 0.6


def test_checkpoint_round_trip_and_predictor(four, tmp_path):
    events = list(_trainer(four, tmp_path / "run", steps=3).run())
    assert isinstance(events[-1], DoneEvent)
    checkpoint = latest_checkpoint(tmp_path / "run")
    network, model = load_parser(checkpoint)
    assert model == TINY
    trainer = _trainer(four, tmp_path / "other")
    trainer.build()
    trainer.parser.load_state_dict(network.state_dict())
    trainer.parser.eval()
    x = four.batch([0, 1], "cpu")["images"]
    with torch.no_grad():
        torch.testing.assert_close(trainer.parser(x), network(x), rtol=0, atol=0)
    predictor = ParserPredictor(tmp_path / "run")
    image = np.repeat(np.repeat(four.images[0], 2, axis=0), 2, axis=1)  # 64x32: resized back
    labels = predictor.predict(image)
    assert labels.shape == (64, 32) and labels.dtype == np.uint8
    with torch.no_grad():
        small = lb.argmax_labels(network(four.batch([0], "cpu")["images"]))[0]
    assert (labels[::2, ::2] == small).mean() > 0.9
    np.testing.assert_array_equal(predictor.predict(four.images[0]), small)  # its own size
    wide = np.zeros((32, 48, 3), np.uint8)  # another aspect: fitted, predicted, cut back out
    wide[:, 16:32] = four.images[0]
    assert predictor.predict(wide).shape == (32, 48)
    with pytest.raises(CheckpointError, match="a 'parser' checkpoint, but a 'semantic' one"):
        from spt_core.models.loading import load_semantic_generator

        load_semantic_generator(checkpoint)


def test_killed_run_resumes_at_the_saved_step(four, tmp_path):
    straight = [e for e in _trainer(four, tmp_path / "a", steps=6).run()]
    first = _trainer(four, tmp_path / "b", steps=6)
    for event in first.run():
        if isinstance(event, CheckpointEvent) and event.step == 3:
            break  # killed after the step-3 checkpoint
    resumed = list(_trainer(four, tmp_path / "b", resume=True, steps=6).run())
    assert [e.step for e in resumed if isinstance(e, StepEvent)] == [4, 5, 6]
    a = [e.losses["cross_entropy"] for e in straight if isinstance(e, StepEvent)][-1]
    b = [e.losses["cross_entropy"] for e in resumed if isinstance(e, StepEvent)][-1]
    assert a == pytest.approx(b, rel=1e-5)


def _resume(steps: int) -> list[str]:
    """The options of a resumed run: a longer schedule, nothing else repeated."""
    return ["--steps", str(steps), "--device", "cpu", "--resume", "--quiet"]


def test_train_parser_command(data_dir, tmp_path, capsys):
    args = spt_argv(
        "train parser --steps 2 --batch-size 2 --size 32x16 --base-channels 8 --depth 2",
        "--device cpu --quiet",
        data=data_dir,
        out=tmp_path / "p",
    )
    assert main(args) == 0
    assert "finished at step 2" in capsys.readouterr().out
    _, model = load_parser(tmp_path / "p")
    assert model.size == (32, 16) and model.depth == 2 and model.base_channels == 8
    assert main(args + ["--steps", "3", "--resume"]) == 0
    assert "finished at step 3" in capsys.readouterr().out
    # A resumed run needs no option repeated: the architecture, batch size and the parser's
    # Adam (1e-3, beta1 0.9) come from the checkpoint.
    run = tmp_path / "p"
    assert main(["train", "parser", "--data", str(data_dir), "--out", str(run)] + _resume(4)) == 0
    assert "finished at step 4" in capsys.readouterr().out
    train = read_run(run).sections["train"]
    assert (train.batch_size, train.lr, train.beta1, train.steps) == (2, 1e-3, 0.9, 4)
    # Another architecture is refused, naming the option.
    deeper = ["train", "parser", "--data", str(data_dir), "--out", str(run), "--depth", "3"]
    assert main(deeper + _resume(5)) == 2
    assert "depth 2 in the checkpoint, 3 asked" in capsys.readouterr().err
    assert read_run(run).step == 4
