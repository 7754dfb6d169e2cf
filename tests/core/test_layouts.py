"""Def-GAN layouts of Market-1501 and DeepFashion, naming rules, LIP parsing, `spt data check`."""

from __future__ import annotations

import json
from collections import defaultdict

import numpy as np
import pytest

from spt_core import labels as lb
from spt_core.cli import main
from spt_core.data import synthetic
from spt_core.data.dataset import PersonDataset, identity_of
from spt_core.data.layouts import dataset_family, find_layout, is_market_junk
from spt_core.errors import DataError
from spt_core.io_utils import read_image_rgb, write_image_rgb

TORSO = (2, 5, 8, 11)  # r-shoulder, l-shoulder, r-hip, l-hip in the PG2 joint order


def _rows(csv_path) -> list[tuple[str, str, list[int]]]:
    """(name, raw line, y list) of every row, parsed here without the library's reader."""
    rows = []
    for line in csv_path.read_text().splitlines()[1:]:
        name, ys, _ = line.split(":")
        rows.append((name.strip(), line, json.loads(ys)))
    return rows


@pytest.fixture(scope="module")
def market(tmp_path_factory, shared_poses_dir):
    """A Market-style Def-GAN folder: real names and poses of ten people with several images
    each (the shared CSV), synthetic pictures in place of the photos, two junk rows, one image
    missing, LIP parsing for three images."""
    root = tmp_path_factory.mktemp("market")
    rows = _rows(shared_poses_dir / "market-annotation-train.csv")
    by_person = defaultdict(list)
    for row in rows:
        by_person[identity_of(row[0])].append(row)
    people = sorted(p for p, r in by_person.items() if len(r) >= 3 and p not in ("-1", "0000"))
    chosen = [row for person in people[:10] for row in by_person[person]]
    junk_pose = chosen[0][1].split(":", 1)[1]
    junk = [f"-1_c1s1_000401_03.jpg:{junk_pose}", f"0000_c3s1_000151_01.jpg:{junk_pose}"]
    lines = ["name:keypoints_y:keypoints_x"] + [row[1] for row in chosen] + junk
    (root / "market-annotation-train.csv").write_text("\n".join(lines) + "\n")
    pictures = tmp_path_factory.mktemp("synth") / "s"
    synthetic.generate_dataset(pictures, count=6, seed=2, workers=1)
    sources = sorted((pictures / "images").glob("*.png"))
    names = [row[0] for row in chosen] + ["-1_c1s1_000401_03.jpg", "0000_c3s1_000151_01.jpg"]
    for k, name in enumerate(names):
        write_image_rgb(root / "market-dataset" / "train" / name, read_image_rgb(sources[k % 6]))
    torso_less = {row[0] for row in chosen if any(row[2][j] == -1 for j in TORSO)}
    with_torso = [row[0] for row in chosen if row[0] not in torso_less]
    missing = with_torso[-1]
    (root / "market-dataset" / "train" / missing).unlink()
    usable = with_torso[:-1]
    pairs = [(a, b) for a in usable for b in usable if a != b and identity_of(a) == identity_of(b)]
    dropped = [(next(iter(torso_less)), usable[0])] if torso_less else []
    (root / "market-pairs-train.csv").write_text(
        "from,to\n" + "".join(f"{a},{b}\n" for a, b in pairs + dropped)
    )
    lip = np.zeros((128, 64), np.uint8)
    lip[10:20, 25:40] = 13  # face
    lip[5:10, 25:40] = 1  # hat -> hair
    lip[25:60, 20:45] = 5  # upper clothes
    lip[30:55, 45:52] = 14  # left arm
    lip[55:60, 45:52] = 3  # glove, next to the left arm -> left arm
    lip[60:110, 20:45] = 9  # pants
    lip[110:120, 20:30] = 18  # left shoe -> left leg
    lip[110:120, 35:45] = 8  # socks, nearer the left shoe's leg than any right leg -> left leg
    (root / "train_parsing_lip").mkdir()
    for name in usable[:3]:
        np.save(root / "train_parsing_lip" / f"{name[:-4]}.npy", lip)
    return {
        "root": root,
        "chosen": chosen,
        "torso_less": torso_less,
        "missing": missing,
        "usable": usable,
        "pairs": pairs,
        "dropped": dropped,
        "lip": lip,
    }


def test_market_folder_loads_and_filters_with_reasons(market):
    data = PersonDataset(market["root"])
    assert data.layout.kind == "defgan" and data.layout.split == "train"
    assert data.layout.images == market["root"] / "market-dataset" / "train"
    report = data.report
    assert report.annotated == len(market["chosen"]) + 2
    assert len(market["torso_less"]) > 0  # the real rows hold some: the filter is exercised
    assert sorted(report.without_torso) == sorted(market["torso_less"])
    assert report.junk == ["-1_c1s1_000401_03.jpg", "0000_c3s1_000151_01.jpg"]
    assert report.missing_images == [market["missing"]]
    assert data.names == market["usable"]
    assert report.family == "market" and data.size == (128, 64)
    assert report.identities == len({identity_of(n) for n in market["usable"]})
    assert report.pairs == len(market["pairs"]) and report.pairs_dropped == len(market["dropped"])
    assert len(report.missing_parsing) == len(market["usable"]) - 3


def test_lip_parsing_is_merged_through_the_table(market):
    data = PersonDataset(market["root"])
    parsing = data.load_parsing(0)
    expected = np.zeros((128, 64), np.uint8)  # the merge of the hand-made LIP map, by hand
    expected[10:20, 25:40] = lb.FACE
    expected[5:10, 25:40] = lb.HAIR
    expected[25:60, 20:45] = lb.UPPER_CLOTHES
    expected[30:55, 45:52] = lb.LEFT_ARM
    expected[55:60, 45:52] = lb.LEFT_ARM
    expected[60:110, 20:45] = lb.PANTS
    expected[110:120, 20:30] = lb.LEFT_LEG
    expected[110:120, 35:45] = lb.LEFT_LEG
    np.testing.assert_array_equal(parsing, expected)
    assert data.load_parsing(5) is None


def test_lip_values_out_of_range_name_the_file(market, tmp_path):
    import shutil

    root = tmp_path / "m"
    shutil.copytree(market["root"], root)
    name = market["usable"][1][:-4]
    np.save(root / "train_parsing_lip" / f"{name}.npy", np.full((128, 64), 25, np.int32))
    with pytest.raises(DataError, match=rf"{name}\.npy.*LIP map must hold integers 0\.\.19"):
        PersonDataset(root).load_parsing(1)


def test_data_check_prints_the_report(market, capsys):
    assert main(["data", "check", str(market["root"]), "--split", "train"]) == 0
    out = capsys.readouterr().out
    assert "defgan, split train" in out and "(market names)" in out
    assert f"no torso       {len(market['torso_less'])} filtered" in out
    assert "junk           2 filtered" in out and "missing image  1 filtered" in out
    assert "train_parsing_lip/ (LIP 20 labels, merged)" in out


def test_deepfashion_test_split(tmp_path, shared_poses_dir):
    rows = _rows(shared_poses_dir / "fasion-annotation-new-split.csv")[:6]
    lines = ["name:keypoints_y:keypoints_x"] + [row[1] for row in rows]
    (tmp_path / "fasion-annotation-test.csv").write_text("\n".join(lines) + "\n")
    for name, _, _ in rows:
        write_image_rgb(tmp_path / "test" / name, np.full((256, 176, 3), 90, np.uint8))
    data = PersonDataset(tmp_path)  # the only split there
    assert data.layout.split == "test" and data.report.family == "deepfashion"
    torso_less = [row[0] for row in rows if any(row[2][j] == -1 for j in TORSO)]
    assert data.report.without_torso == torso_less
    assert data.size == (256, 176)
    assert identity_of(rows[0][0]) == rows[0][0].split("_")[0].strip()
    with pytest.raises(DataError, match="no annotation CSV for split 'train'"):
        PersonDataset(tmp_path, split="train")


def test_naming_rules():
    assert is_market_junk("-1_c1s1_000401_03.jpg") and is_market_junk("0000_c6s1_000151_01.jpg")
    assert not is_market_junk("0002_c1s1_000451_03.jpg")
    assert not is_market_junk("00000_01.png")  # a synthetic person, not Market's junk
    assert identity_of("fasionMENDenimid0000008001_1front.jpg") == "fasionMENDenimid0000008001"
    assert dataset_family(["0002_c1s1_000451_03.jpg", "0007_c2s3_070952_01.jpg"]) == "market"
    assert dataset_family(["fasionWOMENTeesTanksid0000594502_2side.jpg"]) == "deepfashion"
    assert dataset_family(["me_front.png"]) == "generic"


def test_layout_errors_are_clear(tmp_path):
    with pytest.raises(DataError, match=r"annotations\.csv not found.*annotation-<split>\.csv"):
        find_layout(tmp_path)
    for split in ("query", "test"):
        (tmp_path / f"market-annotation-{split}.csv").write_text("name:keypoints_y:keypoints_x\n")
    with pytest.raises(DataError, match=r"several splits \(query, test\); choose one"):
        find_layout(tmp_path)
    assert find_layout(tmp_path, "query").images == tmp_path / "query"
