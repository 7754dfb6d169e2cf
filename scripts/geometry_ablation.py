"""Decisions 0010 and 0011, one step at a time, on the edit benchmark's held-out cases.

    python scripts/geometry_ablation.py [--model MODEL] [--people 24] [--seed 2024]

Prints the medians (region ratios, SSIM / mask-SSIM, the speckle measure) of the shipped
pipeline with its inference steps switched on one after another: the networks' map, moved
limbs' labels (0008; and those of a head that moved without turning, 0010), the map smoothed,
the still body's map, moved limbs' (and such a head's) pixels, the moved torso's garments
(0010), painted-bare skin in the skin's colour and a retyped garment's fabric kept (0011).
"""

from __future__ import annotations

import argparse
import warnings

import numpy as np

from spt_core import limb_labels, limb_pixels, unchanged
from spt_core.eval import edits
from spt_core.pipeline import SPTPipeline


def _medians(rows, kinds):
    chosen = [r for r in rows if r["kind"] in kinds]
    keys = ("entered", "left", "edited", "ssim", "mask_ssim", "hf_error")
    return {k: float(np.nanmedian([r.get(k, np.nan) for r in chosen])) for k in keys}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=None)
    parser.add_argument("--people", type=int, default=24)
    parser.add_argument("--seed", type=int, default=2024)
    args = parser.parse_args()
    warnings.simplefilter("ignore", RuntimeWarning)  # a kind with no such region: NaN
    pipe = SPTPipeline.from_pretrained(args.model)
    cases = edits.benchmark_cases(args.people, pipe.size, args.seed)
    repose = {c.kind for c in cases if c.repose}
    paint = {c.kind for c in cases if not c.repose}
    saved = (
        limb_labels.STILL_MAP,
        limb_pixels.TORSO_LABELS,
        unchanged.SKIN_FILL,
        unchanged.SAME_FABRIC,
    )

    names = ("labels", "smooth", "still", "pixels", "torso", "skin", "fabric")
    steps = [
        ("the networks' map (decision 0007)", ()),
        ("+ moved limbs (and a head) keep labels (0008)", ("labels",)),
        ("+ the map smoothed 3x3 (0010)", ("labels", "smooth")),
        ("+ a still body keeps its map (0010)", ("labels", "smooth", "still")),
        ("+ moved limbs (and a head) keep pixels (0010)", ("labels", "smooth", "still", "pixels")),
        ("+ a moved torso keeps its garments (0010)", names[:5]),
        ("+ bared skin in the skin's colour (0011)", names[:6]),
        ("+ a retyped garment keeps its fabric (0011)", names),
    ]
    print(f"{'steps':<46}{'entered':>9}{'left':>7}{'ssim':>7}{'m-ssim':>8}{'hf':>7}"
          f"{'| paint':>9}{'hf':>7}")  # fmt: skip
    try:
        for name, chosen in steps:
            on = {key: key in chosen for key in names}
            pipe.limb_labels = on["labels"]
            pipe.map_smoothing = 3 if on["smooth"] else 1
            pipe.limb_pixels = on["pixels"]
            limb_labels.STILL_MAP = on["still"]
            limb_pixels.TORSO_LABELS = saved[1] if on["torso"] else ()
            unchanged.SKIN_FILL = saved[2] if on["skin"] else 0.0
            unchanged.SAME_FABRIC = saved[3] if on["fabric"] else ()
            rows = edits.score_cases(cases, edits.model_outputs(pipe, cases), vgg=False)
            r, p = _medians(rows, repose), _medians(rows, paint)
            print(f"{name:<46}{r['entered']:>9.3f}{r['left']:>7.3f}{r['ssim']:>7.3f}"
                  f"{r['mask_ssim']:>8.3f}{r['hf_error']:>7.2f}{p['edited']:>9.3f}"
                  f"{p['hf_error']:>7.2f}", flush=True)  # fmt: skip
    finally:
        limb_labels.STILL_MAP, limb_pixels.TORSO_LABELS, unchanged.SKIN_FILL = saved[:3]
        unchanged.SAME_FABRIC = saved[3]


if __name__ == "__main__":
    main()
