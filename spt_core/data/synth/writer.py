"""Generate a synthetic dataset on disk in the PG2 layout, in parallel and deterministically.

Every random choice is seeded from (seed, purpose, identity[, image]) alone, so the files are
byte-identical whatever the number of worker processes.
"""

from __future__ import annotations

import json
import math
import multiprocessing
import os
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from spt_core import labels as lb
from spt_core import skeleton as sk
from spt_core.data.synth.background import cast_shadow, random_background
from spt_core.data.synth.outfit import Outfit, balanced_types, sample_outfit
from spt_core.data.synth.posing import PosePool, classify_view, fit_pose, load_pose_pool, perturb
from spt_core.data.synth.render import render_person
from spt_core.io_utils import write_image_rgb, write_text_atomic

VERSION = 1
IMAGE_DIR, PARSING_DIR = "images", "parsing"
ANNOTATIONS, PAIRS, RECORD = "annotations.csv", "pairs.csv", "synth.json"

# Seed purposes: (seed, purpose, ...) entropy lists never collide across purposes.
_SEED_TYPES, _SEED_OUTFIT, _SEED_POSES, _SEED_IMAGE = 1, 2, 3, 4


@dataclass(frozen=True)
class IdentityJob:
    """One identity to render: its source poses and where to write."""

    out_dir: str
    size: tuple[int, int]
    seed: int
    identity: int
    source_names: tuple[str, ...]
    source_poses: np.ndarray  # (K, 18, 2)


def image_name(identity: int, index: int) -> str:
    """``<identity:05d>_<index:02d>.png`` (the identity is the prefix before the first ``_``)."""
    return f"{identity:05d}_{index:02d}.png"


def make_outfit(seed: int, identity: int) -> Outfit:
    """The outfit of ``identity``, reproducible from (seed, identity)."""
    sleeves, lower = balanced_types(seed, identity)
    rng = np.random.default_rng([seed, _SEED_OUTFIT, identity])
    return sample_outfit(rng, identity, sleeves, lower)


def render_image(
    outfit: Outfit,
    source_pose: np.ndarray,
    size: tuple[int, int],
    rng: np.random.Generator,
    pose_edit: Callable[[np.ndarray], np.ndarray] | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict]:
    """Pose, draw and finish one image.

    Args:
        pose_edit: changes the fitted pose before drawing, the view and every random draw
            kept (the edit benchmark redraws a sample with one arm raised this way).

    Returns:
        (RGB uint8 image, uint8 parsing, the (18, 2) pose drawn, metadata).
    """
    pose = fit_pose(perturb(source_pose, rng), size, outfit.body.height, rng)
    view = classify_view(pose, rng)
    if pose_edit is not None:
        pose = np.asarray(pose_edit(pose), dtype=pose.dtype)
    background, kind = random_background(rng, size)
    S = float(np.hypot(*((pose[sk.R_HIP] + pose[sk.L_HIP]) / 2 - pose[sk.NECK])))
    if kind == "street" or rng.random() < 0.4:
        cast_shadow(background, [pose[sk.R_ANKLE], pose[sk.L_ANKLE]], S, rng)
    rgb, parsing = render_person(background, outfit, pose, view, rng)
    # Camera: exposure, white balance and sensor noise over the whole picture.
    rgb *= np.float32(rng.uniform(0.88, 1.1)) * (1 + rng.normal(0, 0.025, 3)).astype(np.float32)
    rgb += rng.normal(0, 0.012, rgb.shape).astype(np.float32)
    image = (np.clip(rgb, 0.0, 1.0) * 255 + 0.5).astype(np.uint8)
    meta = {"view": view.kind, "facing": view.facing, "yaw": round(view.yaw, 3), "background": kind}
    return image, parsing, pose, meta


def render_identity(job: IdentityJob) -> tuple[int, dict, list[tuple[str, np.ndarray, dict]]]:
    """Render and write every image of one identity (runs in a worker process)."""
    outfit = make_outfit(job.seed, job.identity)
    root = Path(job.out_dir)
    rows = []
    for index, (source_name, source_pose) in enumerate(
        zip(job.source_names, job.source_poses, strict=True)
    ):
        rng = image_rng(job.seed, job.identity, index)
        image, parsing, pose, meta = render_image(outfit, source_pose, job.size, rng)
        name = image_name(job.identity, index)
        write_image_rgb(root / IMAGE_DIR / name, image)
        lb.write_parsing(root / PARSING_DIR / name, parsing)
        rows.append(
            (name, pose, {"identity": f"{job.identity:05d}", "source_pose": source_name, **meta})
        )
    return job.identity, outfit.to_dict(), rows


def _render_chunk(jobs: list[IdentityJob]) -> list:
    return [render_identity(job) for job in jobs]


def _init_worker() -> None:
    import cv2

    cv2.setNumThreads(1)  # the processes are the parallelism


# --------------------------------------------------------------------------------------------
# The dataset


def default_pose_csv(size: tuple[int, int]) -> Path:
    """Market poses for tall narrow images (128x64), DeepFashion poses otherwise (256x176)."""
    from spt_core.data.poses import find_pose_csv

    return find_pose_csv("market" if size[0] / size[1] >= 1.75 else "fasion")


def _prepare_output(root: Path, overwrite: bool) -> None:
    if root.exists() and any(root.iterdir()):
        if not overwrite:
            raise FileExistsError(
                f"{root} is not empty; choose a new folder or pass overwrite=True"
            )
        if not (root / RECORD).is_file():
            raise FileExistsError(f"{root} holds files but no {RECORD}; refusing to overwrite it")
        for folder in (IMAGE_DIR, PARSING_DIR):
            for old in (root / folder).glob("*.png"):
                old.unlink()
    (root / IMAGE_DIR).mkdir(parents=True, exist_ok=True)
    (root / PARSING_DIR).mkdir(parents=True, exist_ok=True)


def source_pose_indices(seed: int, identity: int, images: int, pool: PosePool) -> np.ndarray:
    """The pool rows an identity's ``images`` images are posed from."""
    rng = np.random.default_rng([seed, _SEED_POSES, identity])
    return rng.choice(len(pool.names), size=images, replace=images > len(pool.names))


def image_rng(seed: int, identity: int, index: int) -> np.random.Generator:
    """The random stream image ``index`` of ``identity`` is drawn with."""
    return np.random.default_rng([seed, _SEED_IMAGE, identity, index])


def _jobs(root: Path, count: int, size, seed: int, per_identity: int, pool: PosePool):
    identities = math.ceil(count / per_identity)
    jobs = []
    for identity in range(identities):
        images = min(per_identity, count - identity * per_identity)
        chosen = source_pose_indices(seed, identity, images, pool)
        jobs.append(
            IdentityJob(
                str(root),
                tuple(size),
                seed,
                identity,
                tuple(pool.names[i] for i in chosen),
                pool.poses[chosen],
            )
        )
    return jobs


def _process_context():
    """fork from a single-threaded main thread (fast, no ``__main__`` guard needed), else spawn.

    Forking a process that runs other threads (a GUI worker thread, a Qt event loop) copies
    locks those threads hold, and the child can hang; spawn starts clean interpreters instead.
    """
    alone = threading.current_thread() is threading.main_thread() and threading.active_count() == 1
    if alone and "fork" in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("spawn")


def _run(
    jobs: list[IdentityJob], workers: int, progress: Callable[[int, int], None] | None, total: int
) -> list:
    chunk = max(1, min(8, len(jobs) // (workers * 6)))
    chunks = [jobs[i : i + chunk] for i in range(0, len(jobs), chunk)]
    results, done = [], 0

    def collect(batch):
        nonlocal done
        results.extend(batch)
        done += sum(len(rows) for _, _, rows in batch)
        if progress is not None:
            progress(done, total)

    if workers <= 1 or len(chunks) == 1:
        for part in chunks:
            collect(_render_chunk(part))
        return results
    with _process_context().Pool(min(workers, len(chunks)), _init_worker) as workers_pool:
        for batch in workers_pool.imap(_render_chunk, chunks):
            collect(batch)
    return results


def _write_tables(root: Path, results: list) -> None:
    poses = {name: pose for _, _, rows in results for name, pose, _ in rows}
    sk.write_pose_csv(root / ANNOTATIONS, poses)
    lines = ["from,to"]
    for _, _, rows in results:
        names = [name for name, _, _ in rows]
        lines += [f"{a},{b}" for a in names for b in names if a != b]
    write_text_atomic(root / PAIRS, "\n".join(lines) + "\n")


def _record(results: list, pool: PosePool, count: int, size, seed: int, per_identity: int) -> dict:
    outfits = {f"{identity:05d}": outfit for identity, outfit, _ in results}
    images = {name: meta for _, _, rows in results for name, _, meta in rows}
    types = Counter()
    for outfit in outfits.values():
        for key, value in outfit["types"].items():
            types[f"{key}={value}"] += 1
    return {
        "generator": "spt_core.data.synthetic",
        "version": VERSION,
        "seed": seed,
        "size": list(size),
        "count": count,
        "poses_per_identity": per_identity,
        "identity_count": len(outfits),
        "labels": list(lb.LABEL_NAMES),
        "pose_source": {**pool.summary(), "source": Path(pool.source).name},
        "garment_counts": dict(sorted(types.items())),
        "view_counts": dict(sorted(Counter(m["view"] for m in images.values()).items())),
        "identities": outfits,
        "images": images,
    }


def generate_dataset(
    out_dir: str | Path,
    count: int,
    size: tuple[int, int] = (128, 64),
    seed: int = 0,
    poses_per_identity: int = 4,
    pose_csv: str | Path | None = None,
    workers: int | None = None,
    progress: Callable[[int, int], None] | None = None,
    overwrite: bool = False,
) -> dict:
    """Write ``count`` synthetic person images with exact poses and parsings to ``out_dir``.

    Layout: ``images/<id>_<k>.png``, ``parsing/<id>_<k>.png`` (indexed labels),
    ``annotations.csv`` (PG2 poses), ``pairs.csv`` (all ordered same-identity pairs) and
    ``synth.json`` (seed, size, pose source, every identity's outfit and garment types, every
    image's view and source pose). Identities hold ``poses_per_identity`` images each (the
    last one may hold fewer).

    Args:
        out_dir: output folder; it must be empty or missing unless ``overwrite``.
        count: number of images.
        size: (height, width) of every image.
        seed: the whole dataset is a function of the seed (independent of ``workers``).
        poses_per_identity: different real poses per identity.
        pose_csv: PG2 annotation CSV of real poses; by default the shared Market CSV for tall
            narrow sizes (128x64) and the DeepFashion CSV otherwise (256x176).
        workers: processes; None uses every core.
        progress: called as progress(images_done, count) after each batch.
        overwrite: replace a previous synthetic dataset in ``out_dir`` (one with synth.json).

    Returns:
        A report: counts, pose pool (rows skipped for missing joints), views, garment counts,
        timings in seconds.

    Raises:
        ValueError: bad count, size or poses_per_identity; no usable pose in the CSV.
        FileExistsError: ``out_dir`` is not empty and ``overwrite`` is not set.
        DataError: the pose CSV is missing or malformed.
    """
    started = time.perf_counter()
    size = (int(size[0]), int(size[1]))
    if count < 1:
        raise ValueError(f"count must be at least 1, got {count}")
    if poses_per_identity < 1:
        raise ValueError(f"poses_per_identity must be at least 1, got {poses_per_identity}")
    if size[0] < 32 or size[1] < 16:
        raise ValueError(f"size must be at least 32x16 (HxW), got {size[0]}x{size[1]}")
    pose_csv = Path(pose_csv) if pose_csv is not None else default_pose_csv(size)
    pool = load_pose_pool(pose_csv)
    if not pool.names:
        raise ValueError(f"{pose_csv}: no pose has all body joints 1..13; cannot pose anyone")
    root = Path(out_dir)
    _prepare_output(root, overwrite)
    jobs = _jobs(root, count, size, seed, poses_per_identity, pool)
    workers = (os.cpu_count() or 1) if workers is None else max(1, int(workers))
    rendered = time.perf_counter()
    results = sorted(_run(jobs, workers, progress, count), key=lambda item: item[0])
    written = time.perf_counter()
    record = _record(results, pool, count, size, seed, poses_per_identity)
    _write_tables(root, results)
    write_text_atomic(root / RECORD, json.dumps(record, indent=1) + "\n")
    finished = time.perf_counter()
    return {
        "out_dir": str(root),
        "count": count,
        "identities": len(results),
        "pairs": sum(len(rows) * (len(rows) - 1) for _, _, rows in results),
        "size": list(size),
        "seed": seed,
        "workers": workers,
        "pose_pool": pool.summary(),
        "views": record["view_counts"],
        "garments": record["garment_counts"],
        "seconds": {
            "setup": round(rendered - started, 3),
            "render_and_write_images": round(written - rendered, 3),
            "tables": round(finished - written, 3),
            "total": round(finished - started, 3),
        },
    }
