"""The edit benchmark: does a model do what the user asked? Scored against the true result.

For every case of :mod:`spt_core.eval.edit_world` the model gets what the editor would give it
(the source person and the target pose; for paint edits also the edited parsing) and its
output is compared with the true image after the edit, region by region:

    ratio = mean |output - truth| / mean |source - truth|    over a region

1.0 means the edit was ignored (the source copied), 0.0 means the truth. Regions: for paint
edits ``edited`` (pixels whose label the edit changed); for reposes ``left`` (the source
showed the person, the truth shows background: ghosts live here), ``entered`` (the person moved
there) and ``person`` (the whole target person). Whole-image scores: SSIM, mask-SSIM, VGG
distance and ``hf_error``, the RMS difference of the high-frequency bands (image minus its
Gaussian blur, sigma 1 px) of output and truth, which measures speckle and checkerboard
texture that the truth does not have.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path

import numpy as np

from spt_core.eval.edit_world import EditCase, build_cases

#: Region names of the two families of edits.
PAINT_REGIONS = ("edited",)
REPOSE_REGIONS = ("left", "entered")
SCORES = ("ssim", "mask_ssim", "vgg_distance", "hf_error")


def regions(case: EditCase) -> dict[str, np.ndarray]:
    """The (H, W) bool regions the case is scored on (see the module docstring)."""
    source, target = case.parsing > 0, case.target_parsing > 0
    if case.repose:
        return {"left": source & ~target, "entered": target & ~source}
    return {"edited": case.parsing != case.target_parsing}


def region_ratio(
    output: np.ndarray, source: np.ndarray, truth: np.ndarray, mask: np.ndarray
) -> float:
    """mean |output - truth| / mean |source - truth| over ``mask`` (NaN when the source already
    equals the truth there, or the mask is empty)."""
    if not mask.any():
        return math.nan
    truth = truth[mask].astype(np.float64)
    copied = np.abs(source[mask].astype(np.float64) - truth).mean()
    if copied < 1e-6:
        return math.nan
    return float(np.abs(output[mask].astype(np.float64) - truth).mean() / copied)


def high_frequency(image: np.ndarray, sigma: float = 1.0) -> np.ndarray:
    """The image minus its Gaussian blur: (H, W, 3) float64."""
    import cv2

    pixels = image.astype(np.float64)
    return pixels - cv2.GaussianBlur(pixels, (0, 0), sigma, borderType=cv2.BORDER_REFLECT)


def hf_error(output: np.ndarray, truth: np.ndarray) -> float:
    """RMS difference of the high-frequency bands of two uint8 images (grey levels)."""
    return float(np.sqrt(np.mean((high_frequency(output) - high_frequency(truth)) ** 2)))


def model_outputs(pipe, cases: list[EditCase], batch_size: int = 16) -> np.ndarray:
    """What ``pipe`` (an :class:`~spt_core.pipeline.SPTPipeline`) draws for every case:
    ``repose`` for reposes (its own predicted parsing), ``render`` with the edited parsing
    for paint edits. (N, H, W, 3) uint8, in the cases' frame."""
    from spt_core.pipeline import Person

    outputs: list[np.ndarray | None] = [None] * len(cases)
    for repose in (True, False):
        chosen = [k for k, case in enumerate(cases) if case.repose == repose]
        for start in range(0, len(chosen), batch_size):
            rows = chosen[start : start + batch_size]
            person = Person(
                np.stack([cases[k].image for k in rows]),
                np.stack([cases[k].pose for k in rows]),
                np.stack([cases[k].parsing for k in rows]),
            )
            targets = np.stack([cases[k].target_pose for k in rows])
            if repose:
                images = pipe.repose(person, targets).image
            else:
                parsings = np.stack([cases[k].target_parsing for k in rows])
                images = pipe.render(person, targets, parsings)
            # Results are in the model's frame; each is cut back to its case's frame.
            letterbox = pipe.letterbox(cases[rows[0]].image.shape[:2])
            for k, image in zip(rows, images, strict=True):
                outputs[k] = letterbox.crop(image)
    return np.stack(outputs)


def part_warp_outputs(cases: list[EditCase]) -> np.ndarray:
    """The no-learning baseline: the source moved part by part (paint edits: the source)."""
    from spt_core.part_composite import warp_image_by_parts

    return np.stack(
        [
            warp_image_by_parts(c.image, c.parsing, c.pose, c.target_pose) if c.repose else c.image
            for c in cases
        ]
    )


def label_fill_outputs(cases: list[EditCase]) -> np.ndarray:
    """The second no-learning baseline: the label fill (``models.label_fill``, what a
    ``colour_hint`` generator reads) of each case's true target parsing, as an image."""
    import torch

    from spt_core import labels as lb
    from spt_core.models.inputs import images_to_tensor
    from spt_core.models.label_fill import label_fill

    def maps(key: str) -> torch.Tensor:
        labels = np.stack([getattr(c, key) for c in cases]).astype(np.int64)
        return lb.one_hot_torch(torch.from_numpy(labels))[:, 1:].float()

    images = images_to_tensor(np.stack([c.image for c in cases]), "cpu")
    poses = np.stack([c.pose for c in cases])
    fill = label_fill(images, maps("parsing"), maps("target_parsing"), poses)
    return ((fill + 1.0) * 127.5).round().clamp(0, 255).byte().permute(0, 2, 3, 1).numpy()


def score_cases(cases: list[EditCase], outputs: np.ndarray, vgg: bool = True) -> list[dict]:
    """One row per case: its kind, region ratios and whole-image scores."""
    from spt_core.metrics import mask_ssim, ssim, vgg_distance

    distances = (
        np.atleast_1d(vgg_distance(outputs, np.stack([c.truth for c in cases])))
        if vgg
        else np.full(len(cases), math.nan)
    )
    rows = []
    for case, output, distance in zip(cases, outputs, distances, strict=True):
        row = {"identity": case.person, "kind": case.kind}
        for name, mask in regions(case).items():
            row[name] = region_ratio(output, case.image, case.truth, mask)
        row["ssim"] = ssim(output, case.truth)
        row["mask_ssim"] = mask_ssim(output, case.truth, case.target_pose)
        row["vgg_distance"] = float(distance)
        row["hf_error"] = hf_error(output, case.truth)
        rows.append(row)
    return rows


def _median(values) -> float:
    finite = [v for v in values if v is not None and not math.isnan(v)]
    return float(np.median(finite)) if finite else math.nan


def summarise(rows: list[dict]) -> list[dict]:
    """Medians per edit kind, then "paint" (all paint edits) and "repose" (both reposes)."""
    from spt_core.eval.edit_world import EDIT_KINDS, REPOSE_EDITS

    groups: dict[str, list[dict]] = {}
    for kind in EDIT_KINDS:
        chosen = [r for r in rows if r["kind"] == kind]
        if chosen:
            groups[kind] = chosen
    groups["paint"] = [r for r in rows if r["kind"] not in REPOSE_EDITS]
    groups["repose"] = [r for r in rows if r["kind"] in REPOSE_EDITS]
    summary = []
    for name, chosen in groups.items():
        if not chosen:
            continue
        line = {"group": name, "cases": len(chosen)}
        for key in (*PAINT_REGIONS, *REPOSE_REGIONS, *SCORES):
            line[key] = _median([r.get(key, math.nan) for r in chosen])
        summary.append(line)
    return summary


def write_rows(path: str | Path, rows: list[dict]) -> None:
    """A CSV of dict rows (the union of their keys, blank where missing), written atomically."""
    import io

    from spt_core.io_utils import write_text_atomic

    keys: list[str] = []
    for row in rows:
        keys += [k for k in row if k not in keys]
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=keys, restval="")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: _cell(v) for k, v in row.items()})
    write_text_atomic(Path(path), buffer.getvalue())


def _cell(value):
    if isinstance(value, float):
        return "" if math.isnan(value) else f"{value:.4f}"
    return value


def contact_sheet(cases: list[EditCase], outputs: dict[str, np.ndarray], count: int = 12):
    """Rows: source | edit (the target parsing with the target skeleton) | truth | each output,
    for ``count`` cases spread over the kinds. RGB uint8."""
    from spt_core import labels as lb
    from spt_core import skeleton as sk
    from spt_core.sheets import tile_sheet

    chosen, seen = [], set()
    for k, case in enumerate(cases):  # one of each kind first, then the rest in order
        if case.kind not in seen:
            chosen.append(k)
            seen.add(case.kind)
    chosen += [k for k in range(len(cases)) if k not in chosen]
    rows = []
    for k in chosen[:count]:
        case = cases[k]
        edit = sk.draw_skeleton(lb.colorize(case.target_parsing), case.target_pose)
        rows.append([case.image, edit, case.truth, *(images[k] for images in outputs.values())])
    return tile_sheet(rows, scale=2)


def benchmark_cases(people: int, size: tuple[int, int], seed: int) -> list[EditCase]:
    """The benchmark's cases: real poses the default recipe's training set (``spt synth
    --count 2000 --seed 0``) was not posed from."""
    from spt_core.data.synth.posing import load_pose_pool
    from spt_core.data.synth.writer import default_pose_csv
    from spt_core.eval.edit_world import training_pose_rows

    pool = load_pose_pool(default_pose_csv(size))
    return build_cases(pool, people, size, seed, exclude=training_pose_rows(pool))


def run_benchmark(
    models: dict[str, object],
    out_dir: str | Path,
    people: int = 24,
    seed: int = 2024,
    part_warp: bool = True,
    vgg: bool = True,
    progress=print,
    cases: list[EditCase] | None = None,
) -> dict[str, list[dict]]:
    """Score every model of ``models`` (name -> SPTPipeline) on the same cases.

    ``cases`` (default :func:`benchmark_cases` of ``people`` and ``seed``) are the edits.
    Writes ``cases.csv`` (one row per case and model), ``summary.csv`` (medians per kind and
    model) and ``sheet.png`` (source | edit | truth | each model) into ``out_dir``.

    Returns:
        name -> summary rows (:func:`summarise`); with ``part_warp`` the two no-learning
        baselines under "part_warp" and "label_fill" (the latter reads the true target
        parsing, which a model must predict for a repose).
    """
    from spt_core.io_utils import write_image_rgb

    sizes = {tuple(pipe.size) for pipe in models.values()}
    if len(sizes) != 1:
        raise ValueError(f"the models work at different sizes {sorted(sizes)}: score them apart")
    size = sizes.pop()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    if cases is None:
        cases = benchmark_cases(people, size, seed)
    progress(
        f"{len(cases)} edits of {people} people at {size[0]}x{size[1]} (seed {seed}), poses "
        "held out from the default model's training set"
    )
    outputs = {name: model_outputs(pipe, cases) for name, pipe in models.items()}
    if part_warp:
        outputs["part_warp"] = part_warp_outputs(cases)
        outputs["label_fill"] = label_fill_outputs(cases)
    all_rows, summaries, summary_rows = [], {}, []
    for name, images in outputs.items():
        rows = score_cases(cases, images, vgg)
        all_rows += [{"model": name, **row} for row in rows]
        summaries[name] = summarise(rows)
        summary_rows += [{"model": name, **line} for line in summaries[name]]
    write_rows(out / "cases.csv", all_rows)
    write_rows(out / "summary.csv", summary_rows)
    write_image_rgb(out / "sheet.png", contact_sheet(cases, outputs))
    return summaries


def format_summary(summaries: dict[str, list[dict]]) -> str:
    """A plain-text table: one line per (group, model)."""
    keys = ("edited", "left", "entered", "ssim", "mask_ssim", "hf_error")
    width = max(16, max(len(name) for name in summaries) + 2)  # every model name whole
    lines = [f"{'group':<19}{'model':<{width}}{'cases':>6}" + "".join(f"{k:>10}" for k in keys)]
    groups = [line["group"] for line in next(iter(summaries.values()))]
    for group in groups:
        for name, summary in summaries.items():
            line = next((s for s in summary if s["group"] == group), None)
            if line is None:
                continue
            cells = "".join(
                f"{'':>10}" if math.isnan(line[k]) else f"{line[k]:>10.3f}" for k in keys
            )
            lines.append(f"{group:<19}{name:<{width}}{line['cases']:>6}{cells}")
    return "\n".join(lines)


#: The deformable-skip inputs compared by :func:`skip_label_errors`: the authors' (whole-image
#: torso), the body torso with the identity part, and both with the label gate (decision 0006).
SKIP_VARIANTS = {
    "authors": {},
    "body+identity": {"torso_mask": "body", "identity_part": True},
    "gated": {"torso_mask": "body", "identity_part": True, "label_gate": True},
}


def skip_label_errors(cases: list[EditCase], variant: str) -> list[float]:
    """Per case: how much source content of the wrong label the deformable skips would carry
    into the edit's region (``edited`` for paint edits, ``left`` for reposes), given the true
    edited parsing. Mean over the region of sum over labels other than the truth's of the
    part-warped, part-masked one-hot source parsing (0: none, 1: a whole wrong pixel
    everywhere). No network is involved: this measures what the inputs offer the decoder."""
    import torch

    from spt_core import labels as lb
    from spt_core.config import AppearanceNetConfig
    from spt_core.models.appearance import deformable_skip
    from spt_core.models.inputs import AppearanceInputs, with_background
    from spt_core.models.loading import build_network

    size = cases[0].image.shape[:2]
    config = AppearanceNetConfig.tiny(size=size, **SKIP_VARIANTS[variant])
    generator = build_network(config)
    errors = []
    for case in cases:
        source, target = (
            lb.one_hot_torch(torch.from_numpy(m[None].astype(np.int64)))[:, 1:].float()
            for m in (case.parsing, case.target_parsing)
        )
        inputs = AppearanceInputs.build(
            generator,
            torch.zeros(1, 3, *size),
            source,
            target,
            case.pose[None],
            case.target_pose[None],
            config.heatmap_sigma,
        )
        carried = deformable_skip(with_background(source), inputs.thetas, inputs.part_masks)
        wrong = (carried * (1.0 - with_background(target))).sum(1)[0].numpy()
        region = next(iter(regions(case).values()))
        errors.append(float(wrong[region].mean()) if region.any() else math.nan)
    return errors
