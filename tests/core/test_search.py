"""Pseudo-label search: the distance, exclusions, exact vs fast, resume, CLI-free engine."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch
from helpers import body_poses, draw_parsing

from spt_core import part_composite
from spt_core import skeleton as sk
from spt_core.config import SearchConfig
from spt_core.errors import DataError
from spt_core.search.canonical import NONE_LABEL, CanonicalLayout, embed_parsings
from spt_core.search.engine import PseudoLabelSearch, SearchInputs
from spt_core.search.score import (
    embedding_distances,
    pixel_frame_distance,
    pose_distances,
    sample_weights,
)
from spt_core.search.store import PseudoLabels

SIZE = (128, 64)
OUTFITS = [
    ("long", "pants"), ("short", "shorts"), ("none", "skirt"), ("long", "skirt"),
    ("short", "pants"), ("none", "shorts"),
]  # fmt: skip


def _inputs(poses, parsings, identities=None) -> SearchInputs:
    n = len(poses)
    return SearchInputs(
        names=[f"{i:04d}_{i:02d}.png" for i in range(n)],
        poses=np.asarray(poses, np.float32),
        parsings=np.stack(parsings).astype(np.uint8),
        identities=identities or [f"{i:04d}" for i in range(n)],
        skipped={},
    )


def test_embedding_distances_equal_a_plain_loop():
    rng = np.random.default_rng(0)
    codes = rng.integers(0, 10, (7, 50)).astype(np.uint8)
    codes[rng.random((7, 50)) < 0.2] = NONE_LABEL
    weights = rng.uniform(0.5, 2.0, 50).astype(np.float32)
    got = embedding_distances(
        torch.from_numpy(codes[:3]), torch.from_numpy(codes), torch.from_numpy(weights)
    )
    for q in range(3):
        for c in range(7):
            expected = 0.0
            for d in range(50):
                a = np.zeros(10)
                b = np.zeros(10)
                if codes[q, d] != NONE_LABEL:
                    a[codes[q, d]] = 1
                if codes[c, d] != NONE_LABEL:
                    b[codes[c, d]] = 1
                expected += weights[d] * np.sum((a - b) ** 2)
            assert got[q, c].item() == pytest.approx(expected, abs=1e-4)


def test_pose_distance_hand_computed():
    query = sk.missing_pose()
    query[[sk.R_SHOULDER, sk.L_SHOULDER, sk.R_HIP, sk.L_HIP]] = [[0, 0], [6, 0], [0, 8], [6, 8]]
    candidate = query.copy()
    candidate[sk.R_SHOULDER] = [3, 4]  # moved by 5 px; one of four shared joints
    candidate[sk.NOSE] = [1, 1]  # absent from the query: ignored
    got = pose_distances(torch.from_numpy(query[None]), torch.from_numpy(candidate[None]))
    # torso scale = sqrt((8^2 + 8^2) / 2) = 8; mean distance = 5 / 4.
    assert got.item() == pytest.approx(5 / 4 / 8)
    empty = sk.missing_pose()
    assert torch.isinf(pose_distances(torch.from_numpy(query[None]), torch.from_numpy(empty[None])))


def test_pixel_frame_distance_is_zero_for_the_same_map_and_counts_changes():
    pose = body_poses(1, seed=3)[0]
    parsing = draw_parsing(pose, SIZE)
    assert pixel_frame_distance(parsing, pose, parsing, pose) == 0.0
    changed = parsing.copy()
    changed[0:3, 0:4] = 2  # 12 background pixels become hair, all inside the whole-image torso
    assert pixel_frame_distance(parsing, pose, changed, pose) == 2 * 12


def test_exact_partwise_image_of_the_source_is_found():
    poses = body_poses(12, seed=1)
    source_pose, target_pose = poses[0], poses[1]
    source = draw_parsing(source_pose, SIZE, "short", "skirt")
    planted = part_composite.warp_labels_by_parts(source, source_pose, target_pose)
    maps = [source, planted]
    for i, pose in enumerate(poses[2:]):
        sleeves, legwear = OUTFITS[i % len(OUTFITS)]
        maps.append(draw_parsing(pose, SIZE, sleeves, legwear))
    inputs = _inputs(poses, maps)
    for mode in ("exact", "fast"):
        config = SearchConfig(mode=mode, fast_candidates=4)
        result = PseudoLabelSearch(config, device="cpu").run(inputs)
        assert result.best[0] == 1, (mode, result.top_index[0], result.top_score[0])
    # The literal pixel-frame form agrees.
    distances = [
        pixel_frame_distance(source, source_pose, m, p)
        for m, p in zip(maps[1:], poses[1:], strict=True)
    ]
    assert int(np.argmin(distances)) == 0


def test_too_similar_poses_and_same_person_are_never_returned():
    poses = body_poses(10, seed=2)
    maps = [draw_parsing(p, SIZE, *OUTFITS[i % 6]) for i, p in enumerate(poses)]
    # Sample 1 is the query's own map in a pose 1 px away: the perfect, but forbidden, match.
    poses = poses.copy()
    poses[1] = poses[0] + 1.0
    maps[1] = np.roll(maps[0], (1, 1), axis=(0, 1))
    # Sample 2 is the same map in a different pose, but the same person.
    poses[2] = poses[0] + np.array([6.0, 2.0])
    maps[2] = np.roll(maps[0], (2, 6), axis=(0, 1))
    identities = ["a", "b", "a"] + [f"p{i}" for i in range(7)]
    inputs = _inputs(poses, maps, identities)
    config = SearchConfig(top_k=9)
    result = PseudoLabelSearch(config, device="cpu").run(inputs)
    returned = set(result.top_index[0].tolist()) - {-1}
    assert 1 not in returned and 2 not in returned and 0 not in returned
    assert len(returned) == 7
    # Without the identity rule, the same person's other pose wins.
    open_config = dataclasses.replace(config, exclude_same_identity=False)
    assert PseudoLabelSearch(open_config, device="cpu").run(inputs).best[0] == 2


def test_fast_mode_with_full_shortlist_equals_exact():
    poses = body_poses(30, seed=4)
    maps = [draw_parsing(p, SIZE, *OUTFITS[i % 6]) for i, p in enumerate(poses)]
    inputs = _inputs(poses, maps)
    exact = PseudoLabelSearch(SearchConfig(), device="cpu").run(inputs)
    fast = PseudoLabelSearch(SearchConfig(mode="fast", fast_candidates=30), device="cpu").run(
        inputs
    )
    np.testing.assert_array_equal(exact.top_index, fast.top_index)
    np.testing.assert_allclose(exact.top_score, fast.top_score)


def test_chunking_does_not_change_results():
    poses = body_poses(25, seed=5)
    maps = [draw_parsing(p, SIZE, *OUTFITS[i % 6]) for i, p in enumerate(poses)]
    inputs = _inputs(poses, maps)
    whole = PseudoLabelSearch(SearchConfig(), device="cpu").run(inputs)
    small = SearchConfig(query_chunk=4, candidate_chunk=7)
    chunked = PseudoLabelSearch(small, device="cpu").run(inputs)
    np.testing.assert_array_equal(whole.top_index, chunked.top_index)


def test_interrupted_search_resumes_to_the_same_result(tmp_path):
    poses = body_poses(20, seed=6)
    maps = [draw_parsing(p, SIZE, *OUTFITS[i % 6]) for i, p in enumerate(poses)]
    inputs = _inputs(poses, maps)
    config = SearchConfig(query_chunk=6)
    reference = PseudoLabelSearch(config, device="cpu").run(inputs)

    out = tmp_path / "pseudo.npz"

    def kill_after_first_chunk(done: int, total: int) -> None:
        if done >= 6:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        PseudoLabelSearch(config, device="cpu").run(inputs, out, progress=kill_after_first_chunk)
    partial = PseudoLabels.load(out)
    assert partial.done == 6 and not partial.complete
    seen = []
    resumed = PseudoLabelSearch(config, device="cpu").run(
        inputs, out, progress=lambda d, t: seen.append(d)
    )
    assert seen[0] == 6
    np.testing.assert_array_equal(resumed.top_index, reference.top_index)
    np.testing.assert_array_equal(PseudoLabels.load(out).best, reference.best)

    # Another config on the same file is refused rather than mixed in.
    with pytest.raises(DataError, match="another config"):
        PseudoLabelSearch(SearchConfig(min_pose_distance=0.3), device="cpu").run(inputs, out)


def test_missing_limbs_use_the_mirror_for_queries_only():
    pose = body_poses(1, seed=7)[0]
    parsing = draw_parsing(pose, SIZE, "none", "pants")
    without = pose.copy()
    without[sk.R_WRIST] = np.nan
    layout = CanonicalLayout(16)
    grid = layout.grids[8]  # right forearm
    part = slice(grid.offset, grid.offset + grid.size)
    as_query = embed_parsings(parsing[None], without[None], layout, mirror_fallback=True)[0, part]
    as_candidate = embed_parsings(parsing[None], without[None], layout, mirror_fallback=False)
    left = embed_parsings(parsing[None], pose[None], layout, mirror_fallback=False)[0]
    left_part = left[layout.grids[9].offset : layout.grids[9].offset + layout.grids[9].size]
    np.testing.assert_array_equal(as_query, left_part)
    assert (as_candidate[0, part] == NONE_LABEL).all()


def test_limb_samples_follow_the_limb():
    # The right-forearm grid of a drawn figure samples the forearm's own label (7, bare arm).
    pose = body_poses(1, seed=8)[0]
    parsing = draw_parsing(pose, SIZE, "short", "pants")
    layout = CanonicalLayout(16)
    codes = embed_parsings(parsing[None], pose[None], layout, mirror_fallback=False)[0]
    grid = layout.grids[8]
    samples = codes[grid.offset : grid.offset + grid.size].reshape(grid.height, grid.width)
    centre_line = samples[:, grid.width // 2 - 1 : grid.width // 2 + 1]
    assert (centre_line == 7).mean() > 0.6
    weights = sample_weights(layout, (1.0,) * 10)
    assert weights.shape == (layout.total,)


def test_samples_without_parsing_or_torso_are_skipped_and_counted(tmp_path):
    from helpers import make_tiny_dataset

    from spt_core.data.dataset import PersonDataset

    make_tiny_dataset(tmp_path)
    (tmp_path / "parsing" / "0001_01.png").unlink()
    inputs = SearchInputs.from_dataset(PersonDataset(tmp_path))
    assert inputs.names == ["0001_00.png", "0002_00.png"]
    assert inputs.skipped == {"no_torso": 1, "missing_image": 1, "no_parsing": 1}
    config = SearchConfig(min_pose_distance=0.0)
    result = PseudoLabelSearch(config, device="cpu").run(inputs)
    assert result.skipped["no_parsing"] == 1
    assert result.best.tolist() == [1, 0]


def test_out_of_gpu_memory_halves_the_chunks_and_gives_the_same_result(monkeypatch):
    poses = body_poses(12, seed=11)
    maps = [draw_parsing(p, SIZE, *OUTFITS[i % 6]) for i, p in enumerate(poses)]
    inputs = _inputs(poses, maps)
    config = SearchConfig(query_chunk=8, candidate_chunk=8)
    expected = PseudoLabelSearch(config, device="cpu").run(inputs)

    search = PseudoLabelSearch(config, device="cpu")
    real_chunk = PseudoLabelSearch._exact_chunk
    failures = iter([True, True])

    def flaky(self, *args):
        if next(failures, False):
            raise torch.cuda.OutOfMemoryError("CUDA out of memory (simulated)")
        return real_chunk(self, *args)

    monkeypatch.setattr(PseudoLabelSearch, "_exact_chunk", flaky)
    result = search.run(inputs)
    assert search._query_chunk == 2 and search._candidate_chunk == 2
    np.testing.assert_array_equal(result.top_index, expected.top_index)

    def always(self, *args):
        raise torch.cuda.OutOfMemoryError("CUDA out of memory (simulated)")

    monkeypatch.setattr(PseudoLabelSearch, "_exact_chunk", always)
    from spt_core.search.engine import SearchError

    with pytest.raises(SearchError, match="out of memory"):
        PseudoLabelSearch(config, device="cpu").run(inputs)
