"""``spt train recipe``: every stage in one command, resumable after a stop or a kill."""

import json
import os
import signal
import subprocess
import sys
import time

import pytest
import torch

from spt_core.models.checkpoint import latest_checkpoint
from spt_core.train.recipe import STAGES, Recipe, RecipeConfig, RecipeError
from tests.helpers import spt_argv, synthetic_data_fixture

data = synthetic_data_fixture("recipe", count=12, seed=2, size=(32, 16))


def _logged_steps(run_dir) -> list[int]:
    lines = (run_dir / "log.jsonl").read_text().splitlines()
    return [json.loads(line)["step"] for line in lines if line.strip()]


@pytest.mark.slow  # about 20 s: every stage of a tiny recipe, then a second run that skips all
def test_the_tiny_recipe_runs_every_stage_and_a_second_run_skips_them(data, tmp_path, capsys):
    from spt_core.cli import main
    from spt_core.pipeline import SPTPipeline

    out = tmp_path / "recipe"
    argv = spt_argv("train recipe --tiny --device cpu", data=data, out=out)
    assert main(argv) == 0
    state = json.loads((out / "recipe.json").read_text())
    assert state["done"] == list(STAGES)
    for stage in ("semantic", "posenet", "appearance", "joint"):
        assert _logged_steps(out / stage)[-1] == 3, stage
    pipe = SPTPipeline.from_pretrained(out / "model", device="cpu")
    assert pipe.appearance_config.identity_part and pipe.appearance_config.torso_mask == "body"
    assert pipe.appearance_config.label_gate and pipe.appearance_config.upsample == "resize"
    assert pipe.appearance_config.colour_hint
    from spt_core.data.dataset import PersonDataset
    from spt_core.pipeline import Person

    people = PersonDataset(data)
    person = Person(people.load_image(0), people.poses[0], people.load_parsing(0))
    assert pipe.repose(person, people.poses[1]).image.shape == (32, 16, 3)
    assert "appearance pre-training" in (out / "model" / "MODEL_CARD.md").read_text()
    stamp = (out / "model" / "model.json").stat().st_mtime_ns
    capsys.readouterr()
    assert main(argv) == 0
    printed = capsys.readouterr().out
    assert printed.count("done before, skipped") == len(STAGES)
    assert (out / "model" / "model.json").stat().st_mtime_ns == stamp


def test_a_stop_in_the_middle_stage_resumes_there(data, tmp_path):
    from spt_core.train.events import StepEvent

    config = RecipeConfig.tiny(appearance_steps=6, posenet=None, joint_steps=0)
    out = tmp_path / "recipe"
    recipe = Recipe(data, out, config, device="cpu")
    for event in recipe.run():
        appearance = recipe._trainer is not None and recipe._trainer.kind == "appearance"
        if isinstance(event, StepEvent) and appearance and event.step == 2:
            recipe.request_stop()
    assert recipe.done == ["search", "semantic"]
    stopped_at = _logged_steps(out / "appearance")[-1]
    assert 2 <= stopped_at < 6 and latest_checkpoint(out / "appearance") is not None
    semantic_stamp = latest_checkpoint(out / "semantic").stat().st_mtime_ns

    again = Recipe(data, out, config, device="cpu")
    list(again.run())
    assert again.done == list(config.stages())
    steps = _logged_steps(out / "appearance")
    assert steps == sorted(set(steps)) and steps[-1] == 6  # continued, not restarted
    assert latest_checkpoint(out / "semantic").stat().st_mtime_ns == semantic_stamp
    assert (out / "model" / "model.json").is_file()


def test_another_config_is_refused(data, tmp_path):
    config = RecipeConfig.tiny(posenet=None, joint_steps=0, appearance_steps=1)
    out = tmp_path / "recipe"
    list(Recipe(data, out, config, device="cpu").run())
    other = RecipeConfig.tiny(posenet=None, joint_steps=0, appearance_steps=2)
    with pytest.raises(RecipeError, match="another config"):
        list(Recipe(data, out, other, device="cpu").run())


@pytest.mark.slow  # about 20 s: a recipe killed with SIGKILL in its appearance stage, then resumed
def test_a_killed_recipe_resumes_to_the_end(data, tmp_path):
    from spt_core.cli import main

    out = tmp_path / "recipe"
    argv = spt_argv(
        "train recipe --tiny --no-pose-loss --appearance-steps 40 --device cpu --quiet",
        data=data,
        out=out,
    )
    env = {**os.environ, "OMP_NUM_THREADS": str(torch.get_num_threads())}
    process = subprocess.Popen([sys.executable, "-m", "spt_core.cli", *argv], env=env)
    try:
        deadline = time.monotonic() + 120
        while latest_checkpoint(out / "appearance") is None and time.monotonic() < deadline:
            time.sleep(0.02)
        time.sleep(0.3)
        process.send_signal(signal.SIGKILL)
    finally:
        process.wait(timeout=60)
    state = json.loads((out / "recipe.json").read_text())
    assert "appearance" not in state["done"]
    assert main(argv) == 0
    state = json.loads((out / "recipe.json").read_text())
    assert state["done"][-1] == "export"
    steps = _logged_steps(out / "appearance")
    assert steps == sorted(set(steps)) and steps[-1] == 40
    assert not list(out.rglob("*.lock"))


def test_the_batch_size_flag_reaches_every_stage():
    import argparse

    from spt_core.commands.recipe import recipe_config

    base = dict(tiny=False, pose_loss=False, no_pose_loss=False)
    steps = dict(semantic_steps=None, posenet_steps=None, appearance_steps=None, joint_steps=None)
    config = recipe_config(argparse.Namespace(**base, **steps, batch_size=64))
    assert config.batch_size == 64
    assert recipe_config(argparse.Namespace(**base, **steps, batch_size=None)).batch_size == 8
