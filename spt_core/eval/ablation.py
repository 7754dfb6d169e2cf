"""The ablation table of method §7.3 on synthetic same-person pairs (ground truth exists).

Rows, each produced by one ``spt eval ablation ROW`` command:

- ``warp``: the source image moved part-wise onto the target pose (no learning);
- ``baseline``: the appearance network without semantic maps, trained with the mask-style loss
  (``spt train appearance --baseline``);
- ``ts-pred``: two stages, the appearance network rendering the semantic network's predicted
  target map (no joint training);
- ``ts-gt``: two stages, the appearance network given the true target map (what the authors'
  demo does; an upper bound for the map, not a method);
- ``e2e``: the end-to-end model (``spt train joint``), predicting its own map.

Each command scores its images (Def-GAN SSIM and mask-SSIM, PSNR, VGG distance) and writes or
replaces its row in a CSV, and keeps the images beside it (``<csv stem>_images/ROW.npy``) so a
contact sheet of every row can be drawn at the end.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np

from spt_core import skeleton as sk
from spt_core.data.samples import PersonSamples
from spt_core.eval import appearance as image_eval
from spt_core.io_utils import write_text_atomic

ROWS: dict[str, str] = {
    "warp": "part warp (no learning)",
    "baseline": "Baseline (no semantic maps, mask-style)",
    "ts-pred": "TS-Pred (two stages, predicted map)",
    "ts-gt": "TS-GT (two stages, true target map)",
    "e2e": "E2E (end to end, predicted map)",
}
COLUMNS = ("row", "method", "ssim", "mask_ssim", "psnr", "vgg_distance", "pairs", "training")


def pipeline_images(
    pipe, samples: PersonSamples, pairs: np.ndarray, predicted: bool = True, batch_size: int = 16
) -> np.ndarray:
    """A pipeline's images for (source, target) rows: its own predicted map, or the truth."""
    from spt_core.pipeline import Person

    out = []
    for start in range(0, len(pairs), batch_size):
        rows = pairs[start : start + batch_size]
        source = Person(
            samples.images[rows[:, 0]], samples.poses[rows[:, 0]], samples.parsings[rows[:, 0]]
        )
        poses = samples.poses[rows[:, 1]]
        if predicted:
            out.append(pipe.repose(source, poses).image)
        else:
            out.append(pipe.render(source, poses, samples.parsings[rows[:, 1]]))
    return np.concatenate(out)


def row_images(
    row: str, samples: PersonSamples, pairs: np.ndarray, model=None, semantic=None, device="cpu"
) -> tuple[np.ndarray, str]:
    """(images, training note) of one ablation row.

    Args:
        row: one of :data:`ROWS`.
        model: the run/checkpoint/model the row evaluates (appearance run for baseline, ts-pred
            and ts-gt; an end-to-end run or model directory for e2e; unused for warp).
        semantic: the semantic run for ts-pred.
    """
    from spt_core.errors import SptError

    if row not in ROWS:
        raise SptError(f"unknown ablation row {row!r}; choose from {', '.join(ROWS)}")
    if row == "warp":
        return image_eval.part_warp_images(samples, pairs), "none"
    if model is None:
        raise SptError(f"the {row} row needs the trained network (a run directory)")
    if row in ("baseline", "ts-gt"):
        from spt_core.models.loading import load_appearance_generator

        generator, config = load_appearance_generator(model, device)
        if (row == "baseline") != (config.parsing_channels == 0):
            raise SptError(
                f"{model}: a network {'with' if config.parsing_channels else 'without'} "
                f"semantic maps cannot be the {row} row"
            )
        images = image_eval.generate(generator, samples, pairs, device, sigma=config.heatmap_sigma)
        return images, _steps(model, "appearance")
    from spt_core.pipeline import SPTPipeline

    if row == "ts-pred":
        if semantic is None:
            raise SptError("the ts-pred row needs --semantic RUN as well")
        pipe = SPTPipeline.from_checkpoints(semantic, model, device=device)
        note = (
            f"{_steps(semantic, 'semantic').removesuffix(' steps')} + {_steps(model, 'appearance')}"
        )
        return pipeline_images(pipe, samples, pairs), note
    pipe = SPTPipeline.from_pretrained(model, device=device)
    return pipeline_images(pipe, samples, pairs), _steps(model, "joint")


def _steps(path, what: str) -> str:
    """How a run was trained, e.g. '1300 semantic + 400 appearance + 60 joint steps'.

    Steps of the runs it started from (``init_from``, ``semantic_init``, ``appearance_init`` in
    its config) come first when those runs still exist.
    """
    import json

    from spt_core.errors import SptError
    from spt_core.models.checkpoint import read_config, resolve_checkpoint

    path = Path(path)
    if (path / "model.json").is_file():
        meta = json.loads((path / "model.json").read_text())
        return str(meta.get("training", "model directory"))
    config = read_config(resolve_checkpoint(path))
    parts = []
    for key, name in (
        ("semantic_init", "semantic"),
        ("appearance_init", "appearance"),
        ("init_from", "appearance"),
    ):
        if config.get(key):
            try:
                parts.append(f"{read_config(resolve_checkpoint(config[key])).get('step')} {name}")
            except SptError:
                parts.append(f"? {name}")
    parts.append(f"{config.get('step')} {what}")
    return " + ".join(parts) + " steps"


def read_table(path: str | Path) -> list[dict]:
    """The rows of an ablation CSV (empty when the file does not exist)."""
    path = Path(path)
    if not path.is_file():
        return []
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle))


def write_row(path: str | Path, row: str, scores: dict, pairs: int, training: str) -> list[dict]:
    """Write or replace ``row`` in the CSV at ``path`` (rows kept in :data:`ROWS` order)."""
    table = {r["row"]: r for r in read_table(path)}
    table[row] = {
        "row": row,
        "method": ROWS[row],
        "ssim": f"{scores['ssim']:.4f}",
        "mask_ssim": f"{scores['mask_ssim']:.4f}",
        "psnr": f"{scores['psnr']:.3f}",
        "vgg_distance": f"{scores['vgg_distance']:.1f}",
        "pairs": str(pairs),
        "training": training,
    }
    ordered = [table[r] for r in ROWS if r in table]
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(ordered)
    write_text_atomic(path, buffer.getvalue())
    return ordered


def images_dir(csv_path: str | Path) -> Path:
    csv_path = Path(csv_path)
    return csv_path.parent / f"{csv_path.stem}_images"


def save_row_images(csv_path: str | Path, row: str, images: np.ndarray, pairs: np.ndarray):
    """Keep a row's images (and the pairs they answer) for the contact sheet."""
    from spt_core.io_utils import atomic_path

    folder = images_dir(csv_path)
    folder.mkdir(parents=True, exist_ok=True)
    with atomic_path(folder / f"{row}.npz") as tmp, open(tmp, "wb") as handle:
        np.savez_compressed(handle, images=images, pairs=pairs)


def ablation_sheet(
    csv_path: str | Path, samples: PersonSamples, count: int = 8, scale: int = 2
) -> tuple[np.ndarray, list[str]]:
    """(sheet, row names): pairs as lines of source | target pose | truth | every saved
    ablation row, in :data:`ROWS` order."""
    folder = images_dir(csv_path)
    saved = {}
    for row in ROWS:
        if (folder / f"{row}.npz").is_file():
            data = np.load(folder / f"{row}.npz")
            saved[row] = (data["images"], data["pairs"])
    if not saved:
        from spt_core.errors import SptError

        raise SptError(f"{folder}: no saved ablation images; run spt eval ablation ROW first")
    pairs = next(iter(saved.values()))[1]
    for row, (_, row_pairs) in saved.items():
        if not np.array_equal(row_pairs, pairs):
            from spt_core.errors import SptError

            raise SptError(f"{folder / (row + '.npz')}: evaluated on other pairs; rerun it")
    from spt_core.sheets import spread, tile_sheet

    rows = []
    for k in spread(count, len(pairs)):
        a, b = pairs[k]
        pose_tile = sk.draw_skeleton(np.zeros_like(samples.images[b]), samples.poses[b])
        rows.append(
            [
                samples.images[a],
                pose_tile,
                samples.images[b],
                *(images[k] for images, _ in saved.values()),
            ]
        )
    return tile_sheet(rows, scale=scale), list(saved)
