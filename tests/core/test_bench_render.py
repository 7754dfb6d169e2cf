"""spt bench render: rows, the reference ratio, and the command on random weights."""

from __future__ import annotations

import pytest

from spt_core.bench import bench_render
from spt_core.cli import main
from spt_core.pipeline import SPTPipeline


def test_rows_and_ratios():
    pipes = [
        SPTPipeline.random(size=(128, 64), base_channels=4, max_channels=8),
        SPTPipeline.random(size=(256, 176), base_channels=4, max_channels=8),
    ]
    rows = bench_render(pipes, batch=2, repeats=1)
    assert [(r.size, r.batch) for r in rows] == [
        ((128, 64), 1),
        ((128, 64), 1),
        ((128, 64), 2),
        ((256, 176), 1),
        ((256, 176), 1),
        ((256, 176), 2),
    ]
    assert rows[0].ratio == 1.0
    for row in rows:
        assert row.per_image_s == pytest.approx(row.seconds / row.batch)
        assert row.ratio == pytest.approx(row.per_image_s / rows[0].per_image_s)
        assert row.gflop > 0 and 0 < row.of_peak < 5
    # Counted work: a batch of 2 is twice one repose; a painted-map render skips G_S.
    assert rows[2].gflop == pytest.approx(2 * rows[0].gflop, rel=1e-6)
    assert rows[1].gflop < rows[0].gflop


def test_command_prints_a_table(capsys):
    assert (
        main(
            [
                "bench",
                "render",
                "--random",
                "--sizes",
                "128x64",
                "--batch",
                "2",
                "--repeats",
                "1",
                "--base-channels",
                "4",
                "--max-channels",
                "8",
                "--device",
                "cpu",
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    # The command must leave the process as it found it (tests run after it train networks).
    import torch

    assert torch.is_grad_enabled()
    assert "reference = batch-1 repose of random-0 at 128x64" in out
    assert out.count("repose (semantic + appearance)") == 2


def test_reference_model_is_timed_first(tmp_path, capsys):
    """--reference: another model's batch-1 repose is the reference of every ratio."""
    small = SPTPipeline.random(size=(128, 64), base_channels=4, max_channels=8)
    small.save_pretrained(tmp_path / "small")
    argv = ["bench", "render", "--random", "--sizes", "128x64", "--batch", "2"]
    argv += ["--repeats", "1", "--reference", str(tmp_path / "small"), "--device", "cpu"]
    assert main(argv) == 0
    out = capsys.readouterr().out.splitlines()
    lines = [line for line in out if "repose (semantic" in line]
    assert lines[0].startswith("reference") and "1.00x" in lines[0]
    assert len(lines) == 4  # two reposes per model
