"""spt eval ablation / sheet / model: rows written in order, scores as computed directly."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from helpers import quick_train

from spt_core.cli import main
from spt_core.config import AppearanceLossWeights, AppearanceNetConfig
from spt_core.data import synthetic
from spt_core.data.dataset import PersonDataset
from spt_core.data.samples import PersonSamples
from spt_core.eval import ablation
from spt_core.eval.appearance import ground_truth_pairs, part_warp_images, score
from spt_core.io_utils import read_image_rgb
from spt_core.pipeline import SPTPipeline
from spt_core.train.appearance import AppearanceTrainer

TINY = AppearanceNetConfig.tiny()


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    root = tmp_path_factory.mktemp("ablation")
    synthetic.generate_dataset(root / "test", count=8, seed=7, workers=1)
    samples = PersonSamples.from_dataset(PersonDataset(root / "test"), TINY.size)
    train = quick_train(steps=1, batch_size=2, lr=0.0002, checkpoint_every=500, decay_from=0.5)
    for name, model, losses in (
        ("app", TINY, AppearanceLossWeights()),
        (
            "base",
            dataclasses.replace(TINY, parsing_channels=0),
            AppearanceLossWeights(style_variant="mask"),
        ),
    ):
        list(AppearanceTrainer(samples, model, losses, train, root / name).run())
    SPTPipeline.random(size=TINY.size, base_channels=4, max_channels=8).save_pretrained(
        root / "model"
    )
    return root


def test_rows_are_written_in_table_order(world, tmp_path, capsys):
    table = tmp_path / "ablation.csv"
    common = [
        "--data",
        str(world / "test"),
        "--csv",
        str(table),
        "--size",
        "32x16",
        "--device",
        "cpu",
    ]
    assert main(["eval", "ablation", "e2e", "--model", str(world / "model"), *common]) == 0
    assert main(["eval", "ablation", "warp", *common]) == 0
    assert main(["eval", "ablation", "ts-gt", "--model", str(world / "app"), *common]) == 0
    assert main(["eval", "ablation", "baseline", "--model", str(world / "base"), *common]) == 0
    rows = ablation.read_table(table)
    assert [r["row"] for r in rows] == ["warp", "baseline", "ts-gt", "e2e"]
    assert rows[2]["training"] == "1 appearance steps"
    # The warp row equals the scores computed directly.
    test = PersonDataset(world / "test")
    samples = PersonSamples.from_dataset(test, TINY.size)
    pairs = ground_truth_pairs(test)
    direct = score(part_warp_images(samples, pairs), samples, pairs)
    assert float(rows[0]["ssim"]) == pytest.approx(direct["ssim"], abs=1e-4)
    assert int(rows[0]["pairs"]) == len(pairs)
    # Replacing a row keeps the others.
    assert main(["eval", "ablation", "warp", *common]) == 0
    assert len(ablation.read_table(table)) == 4

    sheet = tmp_path / "sheet.png"
    assert (
        main(
            [
                "eval",
                "sheet",
                "--csv",
                str(table),
                "--data",
                str(world / "test"),
                "--size",
                "32x16",
                "--out",
                str(sheet),
            ]
        )
        == 0
    )
    image = read_image_rgb(sheet)
    # 3 fixed tiles + 4 rows, 32x16 each with 2-px gaps, doubled.
    assert image.shape[1] == 2 * (7 * 16 + 6 * 2)
    assert "warp | baseline | ts-gt | e2e" in capsys.readouterr().out


def test_a_network_in_the_wrong_row_is_refused(world, tmp_path, capsys):
    args = ["--data", str(world / "test"), "--csv", str(tmp_path / "t.csv"), "--size", "32x16"]
    assert main(["eval", "ablation", "baseline", "--model", str(world / "app"), *args]) == 2
    assert "with semantic maps cannot be the baseline row" in capsys.readouterr().err
    assert main(["eval", "ablation", "ts-pred", "--model", str(world / "app"), *args]) == 2
    assert "--semantic" in capsys.readouterr().err
    assert not (tmp_path / "t.csv").exists()


def test_eval_model_prints_both_parsings(world, capsys):
    assert (
        main(
            [
                "eval",
                "model",
                str(world / "model"),
                "--data",
                str(world / "test"),
                "--limit",
                "4",
                "--device",
                "cpu",
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "predicted target parsing" in out and "true target parsing" in out
    assert np.isfinite([float(x) for x in out.splitlines()[-1].split()[-4:]]).all()
