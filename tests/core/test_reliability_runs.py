"""Run folders and output files survive crashes, tampering and a second writer (issue #15)."""

from __future__ import annotations

import dataclasses
import json
import os
import random
import signal
import socket
import subprocess
import sys
import time

import numpy as np
import pytest
import torch
from helpers import body_poses, draw_parsing, quick_train, searched_people, spt_argv

from spt_core.config import SearchConfig, SemanticLossWeights
from spt_core.data.dataset import PersonDataset
from spt_core.data.parsing_pairs import ParsingPairs
from spt_core.locks import FOLDER_LOCK, OutputLockedError, lock_file, lock_folder
from spt_core.models.checkpoint import (
    CHECKPOINTS,
    LATEST,
    TRAINING_STATE,
    CheckpointError,
    latest_checkpoint,
)
from spt_core.search.engine import PseudoLabelSearch, SearchInputs
from spt_core.search.store import PseudoLabels
from spt_core.train import factory
from spt_core.train.events import CheckpointEvent, StepEvent
from spt_core.train.loop import LOG
from spt_core.train.semantic import SemanticTrainer

TINY = factory.presets("semantic")["tiny"]["model"]


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    """24 synthetic people with their pseudo labels (``pseudo_labels.npz``)."""
    return searched_people(tmp_path_factory, "reliability")


@pytest.fixture(scope="module")
def pairs(data):
    """Pseudo-label pairs of the 24 people at the tiny network's size."""
    dataset = PersonDataset(data)
    pseudo = PseudoLabels.load(data / "pseudo_labels.npz")
    return ParsingPairs.from_pseudo_labels(dataset, pseudo, TINY.size, TINY.mask_radius)


def _trainer(pairs, run_dir, resume=False, **changes) -> SemanticTrainer:
    train = quick_train(steps=6, checkpoint_every=3, seed=1, decay_from=0.5)
    train = dataclasses.replace(train, **changes)
    return SemanticTrainer(pairs, TINY, SemanticLossWeights(), train, run_dir, resume)


def _dead_pid() -> int:
    """The pid of a process that has exited (and been reaped)."""
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], stdout=-1)
    return int(done.stdout)


def _logged_steps(run_dir) -> list[int]:
    return [json.loads(line)["step"] for line in (run_dir / LOG).read_text().splitlines()]


def _same_weights(a: torch.nn.Module, b: torch.nn.Module) -> bool:
    pairs = zip(a.state_dict().values(), b.state_dict().values(), strict=True)
    return all(torch.equal(x, y) for x, y in pairs)


class _Payload:
    """Pickles as a call to ``os.mkdir(marker)``: what a crafted training.pt would do."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (os.mkdir, (self.marker,))


# ---- defect 1: no code runs on --resume ---------------------------------------------------------


def test_a_crafted_training_state_is_refused_and_runs_nothing(pairs, tmp_path):
    run = tmp_path / "run"
    list(_trainer(pairs, run, steps=3).run())
    state_file = latest_checkpoint(run) / TRAINING_STATE
    marker = tmp_path / "pwned"
    torch.save({"step": 3, "optimizers": _Payload(marker)}, state_file)

    with pytest.raises(CheckpointError, match=rf"{state_file.name}: refused"):
        list(_trainer(pairs, run, resume=True).run())
    assert not marker.exists()
    # The payload is real: an unsafe load would have run it.
    torch.load(state_file, weights_only=False)
    assert marker.exists()


# ---- defect 3: one writer per output ------------------------------------------------------------


def test_a_second_trainer_on_a_running_folder_is_refused(pairs, tmp_path):
    run = tmp_path / "run"
    first = _trainer(pairs, run).run()
    assert isinstance(next(first), StepEvent)  # the first run now holds the folder
    second = _trainer(pairs, run, resume=True)
    with pytest.raises(OutputLockedError, match=rf"{run}.*pid {os.getpid()}"):
        list(second.run())
    rest = list(first)  # the first run is untouched by the refused one
    assert [e.step for e in rest if isinstance(e, StepEvent)] == [2, 3, 4, 5, 6]
    assert _logged_steps(run) == [1, 2, 3, 4, 5, 6]
    assert not (run / FOLDER_LOCK).exists()  # released at the end


def test_the_lock_is_released_after_an_error_and_a_stale_one_taken_over(pairs, tmp_path):
    run = tmp_path / "run"
    trainer = _trainer(pairs, run)
    real_step = trainer.train_step

    def failing(step):
        if step == 1:
            raise RuntimeError("boom")
        return real_step(step)

    trainer.train_step = failing
    with pytest.raises(RuntimeError, match="boom"):
        list(trainer.run())
    assert not (run / FOLDER_LOCK).exists()

    lock = run / FOLDER_LOCK
    lock.write_text(json.dumps({"pid": _dead_pid(), "host": socket.gethostname()}))
    steps = [e.step for e in _trainer(pairs, run).run() if isinstance(e, StepEvent)]
    assert steps == [1, 2, 3, 4, 5, 6]
    assert not lock.exists()


def test_lock_refuses_live_and_foreign_owners_and_takes_over_leftovers(tmp_path):
    target = tmp_path / "out.npz"
    with lock_file(target) as held:
        assert held.held and held.lock_file.is_file()
        with pytest.raises(OutputLockedError, match=rf"out.npz is in use .*pid {os.getpid()}"):
            lock_file(target).acquire()
    assert not held.lock_file.exists()

    folder = lock_folder(tmp_path / "run")
    folder.lock_file.parent.mkdir()
    folder.lock_file.write_text(json.dumps({"pid": 1, "host": "another-machine"}))
    with pytest.raises(OutputLockedError, match="pid 1 on another-machine.*delete"):
        folder.acquire()
    folder.lock_file.write_text("")  # killed between creating and filling the file
    with pytest.raises(OutputLockedError):
        folder.acquire()  # a live owner may be about to fill it
    os.utime(folder.lock_file, (1, 1))  # ... but not for this long
    with folder:
        assert json.loads(folder.lock_file.read_text())["pid"] == os.getpid()


def test_a_second_search_into_the_same_file_is_refused(tmp_path):
    poses = body_poses(8, seed=6)
    maps = [draw_parsing(p, (128, 64)) for p in poses]
    inputs = SearchInputs(
        names=[f"{i:04d}_00.png" for i in range(8)],
        poses=np.asarray(poses, np.float32),
        parsings=np.stack(maps).astype(np.uint8),
        identities=[f"{i:04d}" for i in range(8)],
        skipped={},
    )
    out = tmp_path / "pseudo.npz"
    config = SearchConfig(query_chunk=4)
    refused = []

    def second_search(done: int, total: int) -> None:
        if done == 4 and not refused:
            with pytest.raises(OutputLockedError, match="pseudo.npz is in use") as caught:
                PseudoLabelSearch(config, device="cpu").run(inputs, out)
            refused.append(caught.value)

    leftover = tmp_path / ".pseudo.npz.abc123.npz"  # a killed save's temporary file
    leftover.write_bytes(b"partial")
    result = PseudoLabelSearch(config, device="cpu").run(inputs, out, progress=second_search)
    assert refused and result.complete and not leftover.exists()
    assert not lock_file(out).lock_file.exists()


# ---- defect 4: crash consistency ----------------------------------------------------------------


@pytest.mark.parametrize("pointer", ["", '{"checkpoint": "step_00', '{"checkpoint": "../../x"}'])
def test_a_broken_latest_json_falls_back_to_the_newest_checkpoint(pairs, tmp_path, pointer):
    run = tmp_path / "run"
    list(_trainer(pairs, run, steps=4, checkpoint_every=2, keep_checkpoints=5).run())
    (run / LATEST).write_text(pointer)
    (run / CHECKPOINTS / "step_0000009").mkdir()  # a folder without config.json: incomplete
    assert latest_checkpoint(run).name == "step_0000004"
    resumed = _trainer(pairs, run, resume=True, steps=5, checkpoint_every=2, keep_checkpoints=5)
    assert [e.step for e in resumed.run() if isinstance(e, StepEvent)] == [5]
    assert json.loads((run / LATEST).read_text())["checkpoint"] == "step_0000005"


def test_leftovers_of_a_killed_run_are_removed_when_a_run_starts(pairs, tmp_path):
    run = tmp_path / "run"
    list(_trainer(pairs, run, steps=3).run())
    checkpoints = run / CHECKPOINTS
    leftovers = [
        checkpoints / ".step_0000006.1a2b3c4d.tmp",
        checkpoints / ".step_0000003.5e6f7a8b.old",
    ]
    for folder in leftovers:
        folder.mkdir()
        (folder / "generator.safetensors").write_bytes(b"half")
    leftovers.append(run / ".latest.json.x1y2z3.json")
    leftovers[-1].write_text("{")
    events = list(_trainer(pairs, run, resume=True).run())
    assert any(isinstance(e, CheckpointEvent) for e in events)
    assert not any(path.exists() for path in leftovers)
    assert (checkpoints / "step_0000006" / "config.json").is_file()


def test_an_interrupted_run_resumes_with_each_step_logged_once(pairs, tmp_path):
    reference = _trainer(pairs, tmp_path / "whole")
    list(reference.run())

    run = tmp_path / "killed"
    interrupted = _trainer(pairs, run)
    real_step = interrupted.train_step

    def dies_at_step_five(step):
        if step == 4:  # 0-based: the fifth step; step 4 was logged after checkpoint 3
            raise KeyboardInterrupt
        return real_step(step)

    interrupted.train_step = dies_at_step_five
    with pytest.raises(KeyboardInterrupt):
        list(interrupted.run())
    with (run / LOG).open("a") as log:
        log.write('{"step": 5, "l')  # and a line cut short by the kill
    assert latest_checkpoint(run).name == "step_0000003"

    resumed = _trainer(pairs, run, resume=True)
    list(resumed.run())
    assert _logged_steps(run) == [1, 2, 3, 4, 5, 6]
    assert _same_weights(reference.generator, resumed.generator)
    assert _same_weights(reference.discriminator, resumed.discriminator)


def _final_weights(run_dir) -> dict[str, torch.Tensor]:
    from safetensors.torch import load_file

    return load_file(str(latest_checkpoint(run_dir) / "generator.safetensors"))


@pytest.mark.slow  # about 15 s: three runs of the CLI, one of them in a subprocess
def test_a_run_killed_while_checkpointing_resumes_to_the_same_weights(data, tmp_path):
    from spt_core.cli import main

    def argv(out):
        return spt_argv(
            "train semantic --steps 40 --batch-size 2 --size 32x16 --base-channels 8 --depth 3",
            "--checkpoint-every 1 --seed 3 --device cpu --quiet",  # a checkpoint every step
            data=data,
            pseudo=data / "pseudo_labels.npz",
            out=out,
        )

    assert main(argv(tmp_path / "whole")) == 0
    run = tmp_path / "killed"
    env = {**os.environ, "OMP_NUM_THREADS": str(torch.get_num_threads())}
    process = subprocess.Popen([sys.executable, "-m", "spt_core.cli", *argv(run)], env=env)
    delay = random.Random().uniform(0.0, 0.5)
    try:
        deadline = time.monotonic() + 120
        while not (run / LATEST).exists() and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(delay)  # now somewhere in the middle of steps and checkpoint writes
        process.send_signal(signal.SIGKILL)
    finally:
        process.wait(timeout=60)
    assert main([*argv(run), "--resume"]) == 0, f"killed {delay:.2f} s after the first save"
    steps = _logged_steps(run)
    assert steps == sorted(set(steps)) and steps[-1] == 40
    whole, resumed = _final_weights(tmp_path / "whole"), _final_weights(run)
    assert all(torch.equal(whole[k], resumed[k]) for k in whole), f"killed after {delay:.2f} s"
    assert not (run / FOLDER_LOCK).exists()


@pytest.mark.slow  # a few seconds: two searches in-process, one killed in a subprocess
def test_a_search_killed_at_any_moment_is_run_again_to_the_same_labels(data, tmp_path):
    from spt_core.cli import main

    def argv(out):
        return spt_argv("search --device cpu --quiet", data, out=out)

    assert main(argv(tmp_path / "whole.npz")) == 0
    out = tmp_path / "killed.npz"
    process = subprocess.Popen([sys.executable, "-m", "spt_core.cli", *argv(out)])
    delay = random.Random().uniform(0.5, 3.0)  # loading, scoring or saving
    try:
        time.sleep(delay)
        process.send_signal(signal.SIGKILL)
    finally:
        process.wait(timeout=60)
    # The killed search's lock (a dead pid) and any temp file do not stop the next one.
    assert main(argv(out)) == 0, f"killed after {delay:.2f} s"
    whole, again = PseudoLabels.load(tmp_path / "whole.npz"), PseudoLabels.load(out)
    assert again.names == whole.names and np.array_equal(again.best, whole.best)
    leftovers = sorted(p.name for p in tmp_path.iterdir() if p.name not in ("whole.npz", out.name))
    assert leftovers == [], f"left behind after a kill at {delay:.2f} s: {leftovers}"
