"""The edit benchmark: the world draws what it says, and the scores mean what they say."""

import math

import numpy as np
import pytest

from spt_core import labels as lb
from spt_core import skeleton as sk
from spt_core.data.synth.posing import load_pose_pool
from spt_core.data.synth.writer import default_pose_csv
from spt_core.eval import edits
from spt_core.eval.edit_world import EDIT_KINDS, build_cases, raise_arm
from tests.helpers import spt_argv


@pytest.fixture(scope="module")
def cases():
    pool = load_pose_pool(default_pose_csv((128, 64)))
    return build_cases(pool, count=4, seed=5)


def _eroded(mask: np.ndarray, steps: int = 2) -> np.ndarray:
    """``mask`` shrunk by ``steps`` pixels: away from anti-aliased outlines."""
    mask = mask.copy()
    for _ in range(steps):
        mask[1:] &= mask[:-1].copy()
        mask[:-1] &= mask[1:].copy()
        mask[:, 1:] &= mask[:, :-1].copy()
        mask[:, :-1] &= mask[:, 1:].copy()
    return mask


def test_cases_are_reproducible(cases):
    pool = load_pose_pool(default_pose_csv((128, 64)))
    again = build_cases(pool, count=4, seed=5)
    assert [c.kind for c in again] == [c.kind for c in cases]
    for a, b in zip(cases, again, strict=True):
        np.testing.assert_array_equal(a.truth, b.truth)
        np.testing.assert_array_equal(a.target_parsing, b.target_parsing)


def test_every_person_gets_both_reposes_and_some_paint_edits(cases):
    for person in range(4):
        kinds = [c.kind for c in cases if c.person == person]
        assert kinds[:2] == ["pose", "arm_raised"]
        assert len(kinds) >= 4  # sleeves and lower garment: two edits each apply
        assert set(kinds) <= set(EDIT_KINDS)


def test_paint_edits_change_only_their_garment(cases):
    """Against the label maps: every pixel a sleeve edit changes is arm or upper clothes before
    or after it (what the arm passes over may show or hide), likewise legs / pants / skirt for
    the lower garment."""
    sleeve = [lb.UPPER_CLOTHES, lb.LEFT_ARM, lb.RIGHT_ARM]
    lower = [lb.PANTS, lb.SKIRT, lb.LEFT_LEG, lb.RIGHT_LEG]
    for case in cases:
        if case.repose:
            continue
        np.testing.assert_array_equal(case.pose, case.target_pose)
        changed = case.parsing != case.target_parsing
        assert changed.mean() > 0.003, case.kind
        garment = sleeve if case.kind.startswith("sleeves") else lower
        involved = np.isin(case.parsing, garment) | np.isin(case.target_parsing, garment)
        assert involved[changed].all(), case.kind
        # Outside the edit the two drawings are the same picture.
        far = _eroded(~changed)
        difference = np.abs(case.image.astype(int) - case.truth)[far]
        assert difference.mean() < 0.5, case.kind


def test_reposes_move_the_body_on_the_same_background(cases):
    for case in cases:
        if not case.repose:
            continue
        both = _eroded((case.parsing == 0) & (case.target_parsing == 0))
        np.testing.assert_array_equal(case.image[both], case.truth[both])
        assert (case.parsing != case.target_parsing).mean() > 0.01


def test_raise_arm_keeps_bone_lengths_and_raises_the_wrist():
    pool = load_pose_pool(default_pose_csv((128, 64)))
    for pose in pool.poses[:30]:
        pose = pose.astype(np.float32)
        raised = raise_arm(pose, (128, 64))
        moved = np.flatnonzero(np.abs(raised - pose).sum(1) > 0)
        if not len(moved):
            continue  # no room in the picture
        assert set(moved) in ({sk.R_ELBOW, sk.R_WRIST}, {sk.L_ELBOW, sk.L_WRIST})
        wrist = moved.max()
        elbow, shoulder = wrist - 1, wrist - 2
        for a, b in ((shoulder, elbow), (elbow, wrist)):
            before = np.hypot(*(pose[a] - pose[b]))
            assert abs(np.hypot(*(raised[a] - raised[b])) - before) <= 1.0
        assert raised[wrist, 1] < pose[wrist, 1]


def test_copying_the_source_scores_one_and_the_truth_zero(cases):
    sources = np.stack([c.image for c in cases])
    truths = np.stack([c.truth for c in cases])
    for outputs, expected in ((sources, 1.0), (truths, 0.0)):
        rows = edits.score_cases(cases, outputs, vgg=False)
        for row, case in zip(rows, cases, strict=True):
            for region in edits.regions(case):
                if not math.isnan(row[region]):
                    assert row[region] == pytest.approx(expected), (case.kind, region)
        assert all(row["hf_error"] == 0 for row in rows) or expected == 1.0


def test_region_ratio_by_hand():
    truth = np.zeros((2, 2, 3), np.uint8)
    source = np.full((2, 2, 3), 40, np.uint8)
    output = np.array([[[10] * 3, [30] * 3], [[0] * 3, [99] * 3]], np.uint8)
    mask = np.array([[True, True], [False, False]])
    assert edits.region_ratio(output, source, truth, mask) == pytest.approx(20 / 40)
    assert math.isnan(edits.region_ratio(output, source, truth, np.zeros((2, 2), bool)))
    assert math.isnan(edits.region_ratio(output, truth, truth, mask))


def test_hf_error_sees_checkerboard_not_blur():
    rng = np.random.default_rng(0)
    import cv2

    smooth = cv2.GaussianBlur(rng.uniform(0, 255, (64, 32, 3)), (0, 0), 4).astype(np.uint8)
    checker = (np.indices((64, 32)).sum(0) % 2 * 24 - 12)[..., None]
    speckled = np.clip(smooth.astype(int) + checker, 0, 255).astype(np.uint8)
    shifted = np.clip(smooth.astype(int) + 12, 0, 255).astype(np.uint8)
    assert edits.hf_error(smooth, smooth) == 0
    assert edits.hf_error(speckled, smooth) > 5 * edits.hf_error(shifted, smooth)


def test_summary_medians(cases):
    rows = [
        {"kind": "pose", "left": 0.2, "entered": 0.4},
        {"kind": "pose", "left": 0.6, "entered": math.nan},
        {"kind": "sleeves_added", "edited": 0.3},
    ]
    summary = {line["group"]: line for line in edits.summarise(rows)}
    assert summary["pose"]["left"] == pytest.approx(0.4)
    assert summary["pose"]["entered"] == pytest.approx(0.4)
    assert summary["paint"]["edited"] == pytest.approx(0.3)
    assert summary["repose"]["cases"] == 2


def test_cli_writes_tables_and_sheet(tmp_path):
    from spt_core.cli import main

    out = tmp_path / "bench"
    assert main(spt_argv("eval", "edits", out=out, people=2, device="cpu")) == 0
    summary = (out / "summary.csv").read_text().splitlines()
    assert summary[0].startswith("model,group,cases")
    assert any(line.startswith("part_warp,paint") for line in summary)
    assert (out / "sheet.png").stat().st_size > 1000


def test_the_authors_skips_carry_the_old_garment_and_the_gated_ones_do_not(cases):
    """The diagnosis of decision 0006, without a network: the whole-image torso and the limb
    parts bring source pixels of the wrong label into every edited region; the gate none."""
    paint = [c for c in cases if not c.repose]
    authors = np.array(edits.skip_label_errors(paint, "authors"))
    gated = np.array(edits.skip_label_errors(paint, "gated"))
    assert np.nanmedian(authors) > 0.9
    assert np.nanmax(gated) < 0.1


def test_training_pose_rows_are_the_datasets_own(tmp_path):
    """The rows computed without the dataset are the ones `spt synth` recorded."""
    import json

    from spt_core.data.synthetic import generate_dataset
    from spt_core.eval.edit_world import training_pose_rows

    generate_dataset(tmp_path / "d", count=10, seed=3, workers=1)
    record = json.loads((tmp_path / "d" / "synth.json").read_text())
    used = {image["source_pose"] for image in record["images"].values()}
    pool = load_pose_pool(default_pose_csv((128, 64)))
    rows = training_pose_rows(pool, seed=3, count=10)
    assert {pool.names[i] for i in rows} == used


def test_excluded_poses_are_never_drawn():
    pool = load_pose_pool(default_pose_csv((128, 64)))
    exclude = set(range(0, len(pool.poses), 2))  # every even row
    cases = build_cases(pool, count=6, seed=9, kinds=("pose",), exclude=exclude)
    rows = {row for case in cases for row in case.pose_rows}
    assert len(rows) == 12 and not rows & exclude
    again = build_cases(pool, count=6, seed=9, kinds=("pose",))
    assert {row for case in again for row in case.pose_rows} & exclude  # would be drawn
