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
    workloads = {
        "image 3ch": (3, 1.0),
        "one-hot 10ch": (10, 1.0),
        "features 64ch @1/2": (64, 0.5),
    }

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
