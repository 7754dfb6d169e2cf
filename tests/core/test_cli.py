"""The ``spt`` command end to end on small inputs (in-process, through ``cli.main``)."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import spt_argv

from spt_core.cli import main
from spt_core.data.dataset import PersonDataset
from spt_core.io_utils import read_image_rgb
from spt_core.search.store import PseudoLabels


@pytest.fixture(scope="module")
def synth_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("cli") / "people"
    assert main(["synth", "--out", str(out), "--count", "36", "--seed", "3", "--quiet"]) == 0
    return out


def test_synth_writes_a_dataset_the_reader_loads(synth_dir, tmp_path, capsys):
    data = PersonDataset(synth_dir)
    assert len(data) == 36 and data.size == (128, 64)
    assert len(data.pairs) > 0
    preview = tmp_path / "sheet.png"
    out = tmp_path / "big"
    argv = spt_argv("synth --count 4 --size 256x176 --quiet", out=out, preview=preview)
    assert main(argv) == 0
    big = PersonDataset(out)
    assert big.size == (256, 176) and big[0].image.shape == (256, 176, 3)
    assert read_image_rgb(preview).shape[0] > 256
    assert "wrote 4 images of 256x176" in capsys.readouterr().out


def test_data_check_reports_and_fails_clearly(synth_dir, tmp_path, capsys):
    assert main(["data", "check", str(synth_dir), "--deep"]) == 0
    text = capsys.readouterr().out
    assert "usable         36" in text and "read and checked 36" in text
    assert main(["data", "check", str(tmp_path / "absent")]) == 2
    assert "absent: dataset folder not found" in capsys.readouterr().err


def test_search_command_writes_labels_report_and_grid(synth_dir, tmp_path, capsys):
    out, grid = tmp_path / "pseudo.npz", tmp_path / "grid.png"
    argv = spt_argv("search", synth_dir, "--device cpu --quiet --show 4", out=out, show_out=grid)
    assert main(argv) == 0
    text = capsys.readouterr().out
    assert "same garment types" in text and "with a pseudo label: 36 of 36" in text
    labels = PseudoLabels.load(out)
    assert labels.complete and (labels.best >= 0).all()
    assert read_image_rgb(grid).shape[1] >= 4 * 64
    # A second run finds the finished file and does not search again.
    assert main(["search", str(synth_dir), "--out", str(out), "--quiet"]) == 0
    # Another config on the same file is refused with a message, unless --force.
    argv = ["search", str(synth_dir), "--out", str(out), "--quiet", "--min-pose-distance", "0.3"]
    assert main(argv) == 2
    assert "another config" in capsys.readouterr().err
    assert main(argv + ["--force"]) == 0


def test_missing_cuda_is_a_clear_error(synth_dir, tmp_path, capsys):
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    argv = ["search", str(synth_dir), "--out", str(tmp_path / "x.npz"), "--device", "cuda"]
    assert main(argv) == 2
    assert "CUDA is not available" in capsys.readouterr().err


def test_bench_warp_prints_ratios(capsys):
    assert main(["bench", "warp", "--batch", "2", "--repeats", "1", "--device", "cpu"]) == 0
    lines = capsys.readouterr().out.splitlines()
    rows = [line for line in lines if line.startswith(("image", "one-hot", "features"))]
    assert len(rows) == 3
    for row in rows:
        ratio = float(row.split()[-2].rstrip("x"))
        diff = float(row.split()[-1])
        assert ratio > 0 and diff < 0.1


def test_bench_search_reference_agrees_on_a_small_set(synth_dir, capsys):
    argv = ["bench", "search", "--data", str(synth_dir), "--queries", "6", "--device", "cpu"]
    assert main(argv) == 0
    text = capsys.readouterr().out
    assert "identical argmins                         : 6 of 6" in text
    assert np.isfinite(float(text.split("recall@1")[1].split("%")[0]))


def test_synth_refuses_a_used_folder_unless_overwrite(synth_dir, tmp_path, capsys):
    target = tmp_path / "again"
    assert main(["synth", "--out", str(target), "--count", "4", "--quiet"]) == 0
    assert main(["synth", "--out", str(target), "--count", "4", "--quiet"]) == 2
    assert "not empty" in capsys.readouterr().err
    assert main(["synth", "--out", str(target), "--count", "8", "--quiet", "--overwrite"]) == 0
    assert len(PersonDataset(target)) == 8


def test_train_posenet_then_appearance_with_pose_loss(synth_dir, tmp_path, capsys):
    posenet = tmp_path / "posenet"
    argv = spt_argv(
        "train posenet --steps 2 --batch-size 2 --size 32x16 --base-channels 8 --n-blocks 1",
        "--device cpu --quiet",
        data=synth_dir,
        out=posenet,
    )
    assert main(argv) == 0
    # --resume takes the architecture from the checkpoint and refuses a different one.
    again = ["train", "posenet", "--data", str(synth_dir), "--out", str(posenet), "--resume"]
    assert main(again + ["--steps", "3", "--device", "cpu", "--quiet"]) == 0
    assert "finished at step 3" in capsys.readouterr().out
    assert main(again + ["--n-blocks", "2", "--steps", "4", "--quiet"]) == 2
    assert "n_blocks 1 in the checkpoint, 2 asked" in capsys.readouterr().err
    run = tmp_path / "appearance"
    argv = spt_argv(
        "train appearance --steps 2 --batch-size 2 --size 32x16 --base-channels 8",
        "--max-channels 16 --device cpu --quiet",
        data=synth_dir,
        out=run,
        posenet=posenet,
    )
    assert main(argv) == 0
    assert "finished at step 2" in capsys.readouterr().out
    sheet, table = tmp_path / "sheet.png", tmp_path / "table.csv"
    argv = spt_argv(
        "eval appearance", run, "--limit 6 --device cpu", data=synth_dir, sheet=sheet, csv=table
    )
    assert main(argv) == 0
    text = capsys.readouterr().out
    assert "part warp (no learning)" in text and "TS-GT" in text
    assert read_image_rgb(sheet).shape[1] == 2 * (5 * 16 + 4 * 2)
    assert len(table.read_text().splitlines()) == 3
    argv = spt_argv(
        "train appearance --parsing predicted --quiet", data=synth_dir, out=tmp_path / "x"
    )
    assert main(argv) == 2
    assert "--semantic" in capsys.readouterr().err
