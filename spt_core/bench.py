"""Benchmarks that print ratios against a reference run in the same process (``spt bench``)."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from spt_core import parts
from spt_core import skeleton as sk
from spt_core.devices import resolve_device


def _median_seconds(fn: Callable[[], object], repeats: int, sync: Callable[[], None]) -> float:
    fn()  # warm-up: allocations, kernel selection, caches
    sync()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        sync()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def pixel_affine_at_scale(affine: np.ndarray, factor: float) -> np.ndarray:
    """A pixel-centre affine of the full-size frame expressed at ``factor`` times the size.

    Pixel centres map as x' = factor * (x + 0.5) - 0.5, so A' = S A S^-1.
    """
    scale = np.array([[factor, 0, 0.5 * factor - 0.5], [0, factor, 0.5 * factor - 0.5], [0, 0, 1]])
    full = np.vstack([affine, [0, 0, 1]])
    return (scale @ full @ np.linalg.inv(scale))[:2]


@dataclass
class WarpBenchRow:
    workload: str
    reference_per_s: float
    torch_per_s: float
    max_abs_diff: float

    @property
    def ratio(self) -> float:
        return self.torch_per_s / self.reference_per_s


def bench_warp(
    pose_csv: str | Path,
    batch: int = 32,
    size: tuple[int, int] = (128, 64),
    device: str = "auto",
    repeats: int = 5,
    seed: int = 0,
) -> list[WarpBenchRow]:
    """Part warp + max-combine: batched torch against a per-part ``cv2.warpAffine`` loop.

    Both sides get the same inputs, the same fitted transforms and the same part masks; fitting
    is excluded from both timings. Workloads: RGB images, one-hot label maps (10 channels) at
    full size, and 64-channel feature maps at half size. Throughput is in samples per second
    (one sample = 10 part warps and their combination).
    """
    import cv2
    import torch

    dev = resolve_device(device)
    rng = np.random.default_rng(seed)
    poses = np.stack([p for p in sk.read_pose_csv(pose_csv).values() if sk.has_torso(p)])
    picks = rng.choice(len(poses), size=(batch, 2), replace=True)
    source, target = poses[picks[:, 0]], poses[picks[:, 1]]
    affines, _ = parts.part_affines(source, target)
    masks_full = parts.part_masks(target, size).astype(np.float32)
    thetas = parts.affine_to_theta(torch.from_numpy(affines), size, size).float().to(dev)
    height, width = size
    workloads = {"image 3ch": (3, 1.0), "one-hot 10ch": (10, 1.0), "features 64ch @1/2": (64, 0.5)}

    def sync() -> None:
        if dev.type == "cuda":
            torch.cuda.synchronize(dev)

    rows = []
    for name, (channels, factor) in workloads.items():
        h, w = int(height * factor), int(width * factor)
        data = rng.random((batch, h, w, channels), dtype=np.float32)
        masks_np = (
            np.stack(
                [
                    [cv2.resize(m, (w, h), interpolation=cv2.INTER_LINEAR) for m in sample]
                    for sample in masks_full
                ]
            )
            if factor != 1.0
            else masks_full
        )
        scaled = (
            np.stack([[pixel_affine_at_scale(a, factor) for a in sample] for sample in affines])
            if factor != 1.0
            else affines
        )

        def reference(data=data, masks_np=masks_np, scaled=scaled, h=h, w=w) -> np.ndarray:
            out = np.empty_like(data)
            for b in range(batch):
                best = None
                for p in range(parts.NUM_PARTS):
                    warped = (
                        cv2.warpAffine(
                            data[b],
                            scaled[b, p],
                            (w, h),
                            flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                            borderMode=cv2.BORDER_CONSTANT,
                            borderValue=0,
                        ).reshape(h, w, -1)
                        * masks_np[b, p][..., None]
                    )
                    best = warped if best is None else np.maximum(best, warped)
                out[b] = best
            return out

        tensor = torch.from_numpy(data).permute(0, 3, 1, 2).contiguous().to(dev)
        masks_t = parts.resize_masks(torch.from_numpy(masks_full).to(dev), (h, w))

        def batched(tensor=tensor, masks_t=masks_t):
            with torch.no_grad():
                return parts.combine_parts(parts.warp_parts(tensor, thetas), masks_t)

        ref_out = reference()
        torch_out = batched().permute(0, 2, 3, 1).cpu().numpy()
        diff = float(np.abs(ref_out - torch_out).max())
        t_ref = _median_seconds(reference, repeats, lambda: None)
        t_torch = _median_seconds(batched, repeats, sync)
        rows.append(WarpBenchRow(name, batch / t_ref, batch / t_torch, diff))
    return rows


# --------------------------------------------------------------------------------------------
# Pseudo-label search


def reference_search(inputs, config, queries: list[int]) -> tuple[list[int], float]:
    """Straightforward search: for every query, loop over candidates and parts, warping both
    label maps into the part's canonical grid with ``cv2.warpAffine`` and summing the one-hot
    squared differences. Returns (argmins, seconds per query). Ties go to the first candidate.
    """
    import cv2

    from spt_core.search.canonical import NONE_LABEL, CanonicalLayout, sample_to_pixel_affines
    from spt_core.search.score import part_scale

    layout = CanonicalLayout(config.samples_per_unit)
    factors = np.asarray(config.part_weights) * part_scale(layout, config.part_balance)
    query_affines, query_valid = sample_to_pixel_affines(inputs.poses, layout, True)
    cand_affines, cand_valid = sample_to_pixel_affines(inputs.poses, layout, False)
    # Row k is the one-hot code of label k; rows 10..255 (NONE_LABEL) are zero vectors.
    eye = np.vstack([np.eye(10, dtype=np.float32), np.zeros((246, 10), np.float32)])

    def sample(labels, affine, valid, grid):
        if not valid:
            return np.full((grid.height, grid.width), NONE_LABEL, np.uint8)
        return cv2.warpAffine(
            labels,
            affine,
            (grid.width, grid.height),
            flags=cv2.INTER_NEAREST | cv2.WARP_INVERSE_MAP,
            borderMode=cv2.BORDER_CONSTANT,
            borderValue=NONE_LABEL,
        )

    best_list = []
    start = time.perf_counter()
    for q in queries:
        best, best_score = -1, np.inf
        qp = inputs.poses[q]
        for c in range(len(inputs.names)):
            if c == q or (
                config.exclude_same_identity and inputs.identities[c] == inputs.identities[q]
            ):
                continue
            cp = inputs.poses[c]
            both = sk.present(qp) & sk.present(cp)
            if both.any():
                mean = np.linalg.norm(qp[both] - cp[both], axis=1).mean() / parts.torso_scales(qp)
                if mean < config.min_pose_distance:
                    continue
            score = 0.0
            for j, grid in enumerate(layout.grids):
                a = eye[sample(inputs.parsings[q], query_affines[q, j], query_valid[q, j], grid)]
                b = eye[sample(inputs.parsings[c], cand_affines[c, j], cand_valid[c, j], grid)]
                score += factors[j] * float(np.sum((a - b) ** 2))
            if score < best_score:
                best, best_score = c, score
        best_list.append(best)
    return best_list, (time.perf_counter() - start) / max(1, len(queries))


def bench_search(
    inputs, queries: int = 50, device: str = "cpu", seed: int = 0, config=None
) -> dict:
    """Exact mode against :func:`reference_search` on a query subset; fast mode against exact.

    Returns a dict of figures (per-query seconds, ratios, argmin agreement, recall@1).
    """
    import dataclasses

    from spt_core.config import SearchConfig
    from spt_core.search.engine import PseudoLabelSearch

    config = config or SearchConfig()
    exact_config = dataclasses.replace(config, mode="exact")
    fast_config = dataclasses.replace(config, mode="fast")
    rng = np.random.default_rng(seed)
    subset = sorted(
        rng.choice(len(inputs.names), size=min(queries, len(inputs.names)), replace=False).tolist()
    )
    n = len(inputs.names)

    start = time.perf_counter()
    exact = PseudoLabelSearch(exact_config, device=device).run(inputs)
    exact_per_query = (time.perf_counter() - start) / n
    start = time.perf_counter()
    fast = PseudoLabelSearch(fast_config, device=device).run(inputs)
    fast_per_query = (time.perf_counter() - start) / n
    reference, reference_per_query = reference_search(inputs, exact_config, subset)

    same = sum(int(exact.best[q]) == r for q, r in zip(subset, reference, strict=True))
    return {
        "samples": n,
        "queries_checked": len(subset),
        "identical_argmins": same,
        "reference_s_per_query": reference_per_query,
        "exact_s_per_query": exact_per_query,
        "exact_speedup": reference_per_query / exact_per_query,
        "fast_s_per_query": fast_per_query,
        "fast_speedup_over_exact": exact_per_query / fast_per_query,
        "fast_recall_at_1": float(np.mean(fast.best == exact.best)),
        "exact": exact,
    }


@dataclass
class RenderRow:
    """One line of ``spt bench render``: a workload's median time and its ratio to the first."""

    size: tuple[int, int]
    workload: str
    batch: int
    seconds: float  # median wall time of one call
    per_image_s: float
    ratio: float  # per-image time relative to the reference (batch-1 repose at the first size)
    model: str = ""  # the pipeline's name
    gflop: float = 0.0  # counted FLOPs of one call (torch's flop counter), 1e9
    of_peak: float = 0.0  # achieved FLOP/s over the matrix-product peak of the same device


def _bench_people(size: tuple[int, int], count: int, seed: int = 0):
    """``count`` synthetic people (image, pose, parsing) at ``size``, rendered in memory."""
    import tempfile

    from spt_core.data import synthetic
    from spt_core.data.dataset import PersonDataset
    from spt_core.pipeline import Person

    with tempfile.TemporaryDirectory(prefix="spt-bench-render-") as root:
        synthetic.generate_dataset(
            f"{root}/p", count=max(count, 4), size=size, seed=seed, workers=1
        )
        data = PersonDataset(f"{root}/p")
        people = [
            Person(data.load_image(i), data.poses[i], data.load_parsing(i))
            for i in range(len(data))
        ]
    return people


def _render_workloads(pipe, batch: int) -> list:
    """(name, images per call, callable) for one pipeline."""
    from spt_core.pipeline import Person

    people = _bench_people(pipe.size, batch + 1)
    source, target = people[0], people[1]
    stacked = Person(
        np.stack([p.image for p in people[:batch]]),
        np.stack([p.pose for p in people[:batch]]),
        np.stack([p.parsing for p in people[:batch]]),
    )
    poses = np.stack([p.pose for p in people[1 : batch + 1]])
    return [
        ("repose (semantic + appearance)", 1, lambda: pipe.repose(source, target.pose)),
        (
            "render (painted map, no semantic)",
            1,
            lambda: pipe.render(source, target.pose, target.parsing),
        ),
        ("repose (semantic + appearance)", batch, lambda: pipe.repose(stacked, poses)),
    ]


def compile_pipeline(pipe) -> float:
    """Wrap ``pipe``'s two networks in ``torch.compile`` and run one repose (the compile);
    returns its seconds. Measured on this project's 2-core CPU (``spt bench render --compile
    --reference MODEL``): a 128x64 repose 72 -> 40 ms with both cores (76 -> 67 ms with one),
    after a first compile of 42 s (2-3 s once inductor's on-disk cache holds it); the editor
    does not compile yet."""
    import torch

    pipe.semantic = torch.compile(pipe.semantic)
    pipe.appearance = torch.compile(pipe.appearance)
    people = _bench_people(pipe.size, 2)
    start = time.perf_counter()
    pipe.repose(people[0], people[1].pose)
    return time.perf_counter() - start


def bench_render(pipelines: list, batch: int = 8, repeats: int = 10) -> list[RenderRow]:
    """Median latency of repose and render per pipeline (one per size), batch 1 and ``batch``.

    The reference is batch-1 repose with the first pipeline; every row's ``ratio`` is its
    per-image time over the reference's. Each row also has the call's counted FLOPs and the
    achieved FLOP/s as a share of a matrix product's on the same device (``bench_train``).
    """
    import torch

    from spt_core.bench_train import matmul_peak, step_flops

    rows: list[RenderRow] = []
    reference = None
    peaks: dict = {}
    for pipe in pipelines:
        device = pipe.device
        if str(device) not in peaks:
            peaks[str(device)] = matmul_peak(device)

        def sync(device=device):
            if device.type == "cuda":
                torch.cuda.synchronize(device)

        for name, count, fn in _render_workloads(pipe, batch):
            seconds = _median_seconds(fn, repeats, sync)
            flops = step_flops(fn)
            per_image = seconds / count
            if reference is None:
                reference = per_image
            rows.append(
                RenderRow(
                    pipe.size,
                    name,
                    count,
                    seconds,
                    per_image,
                    per_image / reference,
                    pipe.name,
                    flops / 1e9,
                    flops / seconds / peaks[str(device)],
                )
            )
    return rows


@dataclass
class DetectRow:
    """One line of ``spt bench detect``: one photo, one pass against the mirror-averaged two."""

    photo: str
    size: tuple[int, int]  # (H, W)
    one_pass_s: float  # median wall time
    mirror_average_s: float
    ratio: float  # mirror_average_s / one_pass_s
    max_shift_px: float  # largest move of a joint present in both answers


def _no_sync() -> None:
    """MediaPipe runs synchronously on the CPU: nothing to wait for."""


def bench_detect(photos: list[tuple[str, np.ndarray]], repeats: int = 5) -> list[DetectRow]:
    """Median detection time per photo: one BlazePose pass (the reference) against the
    default mirror-averaged detection (needs the ``detect`` extra)."""
    from spt_core.prepare.detect import PoseDetector

    rows = []
    with PoseDetector(mirror_average=False) as single, PoseDetector() as both:
        for name, image in photos:
            image = np.ascontiguousarray(image)
            one = _median_seconds(lambda image=image: single.detect(image), repeats, _no_sync)
            two = _median_seconds(lambda image=image: both.detect(image), repeats, _no_sync)
            found = single.detect(image), both.detect(image)
            shift = float("nan")
            if all(f is not None for f in found):
                ok = sk.present(found[0].pose) & sk.present(found[1].pose)
                if ok.any():
                    delta = found[0].pose[ok] - found[1].pose[ok]
                    shift = float(np.hypot(delta[:, 0], delta[:, 1]).max())
            rows.append(DetectRow(name, image.shape[:2], one, two, two / one, shift))
    return rows
