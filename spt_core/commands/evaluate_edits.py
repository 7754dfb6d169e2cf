"""``spt eval edits``: the edit benchmark (:mod:`spt_core.eval.edits`)."""

from __future__ import annotations

import argparse
from pathlib import Path

from spt_core.commands.arguments import add_options
from spt_core.commands.common import positive_int


def cmd_eval_edits(args: argparse.Namespace) -> int:
    from spt_core.eval.edits import benchmark_cases, format_summary, run_benchmark
    from spt_core.pipeline import SPTPipeline

    paths = args.model or [None]
    models = {}
    for path in paths:
        pipe = SPTPipeline.from_pretrained(path, device=args.device)
        name = pipe.name if path is None else Path(path).name
        while name in models:  # two models of one name (a copy beside the original)
            name += "'"
        models[name] = pipe
        if args.redraw_all:  # the networks alone (no decision 0007 or 0008)
            redrawn = SPTPipeline.from_pretrained(path, device=args.device)
            redrawn.keep_unchanged = redrawn.limb_labels = False
            redrawn.map_smoothing = 1
            models[f"{name}/redrawn"] = redrawn
        if args.no_limb_labels:  # without the geometry's map and pixels (0008, 0010)
            plain = SPTPipeline.from_pretrained(path, device=args.device)
            plain.limb_labels = plain.limb_pixels = False
            plain.map_smoothing = 1
            models[f"{name}/network-map"] = plain
    size = next(iter(models.values())).size
    cases = benchmark_cases(args.people, size, args.seed)
    summaries = run_benchmark(
        models,
        args.out,
        people=args.people,
        seed=args.seed,
        part_warp=not args.no_part_warp,
        cases=cases,
    )
    print(format_summary(summaries))
    print(f"wrote {args.out}/summary.csv, cases.csv and sheet.png")
    if args.skips:
        print(skip_table(cases))
    return 0


def skip_table(cases) -> str:
    """Medians of :func:`~spt_core.eval.edits.skip_label_errors` per input variant."""
    import numpy as np

    from spt_core.eval.edits import SKIP_VARIANTS, skip_label_errors

    repose = np.array([case.repose for case in cases])
    lines = [
        "wrong-label content the skips carry into the edit (no network; 0 = none, 1 = all):",
        f"{'inputs':<16}{'paint: edited':>15}{'repose: left':>15}",
    ]
    for variant in SKIP_VARIANTS:
        errors = np.array(skip_label_errors(cases, variant))
        paint, left = np.nanmedian(errors[~repose]), np.nanmedian(errors[repose])
        lines.append(f"{variant:<16}{paint:>15.3f}{left:>15.3f}")
    return "\n".join(lines)


def register(eval_commands) -> None:
    """Add ``spt eval edits`` to the ``spt eval`` subcommands."""
    edits = eval_commands.add_parser(
        "edits",
        help="the edit benchmark: reposes and paint edits scored against the true result",
        description="Draw benchmark people before and after each edit (the synthetic world "
        "knows the true result), run each model as the editor would, and score the output by "
        "region: mean |output - truth| / mean |source - truth| (1 = the edit was ignored, "
        "0 = exact), plus SSIM, mask-SSIM, VGG distance and a high-frequency error.",
    )
    edits.add_argument(
        "--model",
        type=Path,
        action="append",
        help="model directory or end-to-end run (repeat to compare; default: the shipped model)",
    )
    edits.add_argument("--out", type=Path, required=True, help="folder for the CSVs and sheet")
    edits.add_argument("--people", type=positive_int, default=24, help="benchmark people")
    edits.add_argument("--seed", type=int, default=2024, help="the benchmark's seed")
    edits.add_argument(
        "--no-part-warp",
        action="store_true",
        help="leave out the no-learning rows (part warp, label fill)",
    )
    edits.add_argument(
        "--redraw-all",
        action="store_true",
        help="also score each model's networks alone (rows NAME/redrawn): every pixel "
        "redrawn (no unchanged source pixels put back, decision 0007) from the semantic "
        "network's own map (decision 0008)",
    )
    edits.add_argument(
        "--no-limb-labels",
        action="store_true",
        help="also score each model with the semantic network's own map for reposes and no "
        "moved limb or torso pixels (rows NAME/network-map; decisions 0008, 0010)",
    )
    edits.add_argument(
        "--skips",
        action="store_true",
        help="also measure what the deformable skips of each input variant carry into the "
        "edited region (no network; decision 0006)",
    )
    add_options(edits, "--device")
    edits.set_defaults(func=cmd_eval_edits)
