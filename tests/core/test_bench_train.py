"""``spt bench train``: the FLOP count checked against a hand count, and every trainer timed."""

from __future__ import annotations

import pytest
import torch

from spt_core.bench_train import KINDS, bench_train, format_rows, matmul_peak, step_flops
from tests.helpers import searched_people, spt_argv


def test_the_flop_count_of_a_linear_step_is_six_b_in_out():
    """Forward 2*B*I*O; backward twice that (the input's and the weight's gradients)."""
    layer = torch.nn.Linear(48, 32, bias=False)
    x = torch.randn(5, 48, requires_grad=True)

    def step():
        layer(x).sum().backward()

    assert step_flops(step) == 6 * 5 * 48 * 32
    conv = torch.nn.Conv2d(3, 8, 3, padding=1, bias=False)
    image = torch.randn(2, 3, 10, 10)
    forward = 2 * 2 * 8 * 10 * 10 * 3 * 3 * 3  # B*Cout*H*W outputs, Cin*k*k multiply-adds each
    assert step_flops(lambda: conv(image)) == forward


def test_the_matmul_peak_is_a_rate():
    peak = matmul_peak(torch.device("cpu"), repeats=3)
    assert 1e8 < peak < 1e14  # FLOP/s of a 2-core CPU up to a large server


@pytest.fixture(scope="module")
def people(tmp_path_factory):
    return searched_people(tmp_path_factory, "bench_train")


@pytest.mark.slow  # about 15 s: a step of every trainer at 128x64 with narrow networks
def test_every_trainer_is_timed_and_counted(people, tmp_path, capsys):
    rows = bench_train(
        people, tmp_path, batch=2, base_channels=8, steps=1, device="cpu", progress=lambda s: None
    )
    assert [r.kind for r in rows] == list(KINDS)
    for row in rows:
        assert row.seconds > 0 and row.gflop > 0 and 0 < row.ratio < 2
        assert row.gflops == pytest.approx(row.gflop / row.seconds)
        assert row.images_per_second == pytest.approx(2 / row.seconds)
    # The appearance step runs G_A, D_A and VGG: more counted work than the semantic one.
    by_kind = {r.kind: r for r in rows}
    assert by_kind["appearance"].gflop > by_kind["semantic"].gflop
    assert by_kind["joint"].gflop > by_kind["appearance"].gflop  # G_S too
    assert "of peak" in format_rows(rows)
    # The command prints the same table.
    from spt_core.cli import main

    argv = spt_argv("bench train --batch 2 --base-channels 8 --steps 1 --device cpu", data=people)
    assert main([*argv, "--kinds", "semantic", "posenet"]) == 0
    out = capsys.readouterr().out
    assert "semantic" in out and "posenet" in out and "of peak" in out
