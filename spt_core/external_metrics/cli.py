"""Command-line glue: the ``--inception`` / ``--lpips`` flags of the ``spt eval`` commands."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from spt_core.external_metrics import networks
from spt_core.external_metrics.runner import ExternalMetrics, uint8_images
from spt_core.external_metrics.scores import (
    IS_SPLITS,
    MetricError,
    fid_from_features,
    inception_score,
)


def add_external_metric_args(parser: argparse.ArgumentParser) -> None:
    """Add ``--inception FILE`` and ``--lpips FILE`` to an evaluation subcommand."""
    parser.add_argument(
        "--inception",
        type=Path,
        default=None,
        metavar="FILE",
        help="Inception network file (TorchScript or torch.export .pt2): FID against the "
        "real images, and IS (docs/external_metrics.md; nothing is downloaded)",
    )
    parser.add_argument(
        "--lpips",
        type=Path,
        default=None,
        metavar="FILE",
        help="LPIPS network file (TorchScript or .pt2): mean LPIPS of generated vs true "
        "target images",
    )
    parser.add_argument(
        "--trust-pt2",
        action="store_true",
        help="open torch.export .pt2 files given to --inception / --lpips (loading one can run "
        "code from it: only for files you made yourself; TorchScript files need no trust)",
    )


def external_scores(
    args: argparse.Namespace,
    generated: Any,
    real_images: np.ndarray,
    pairs: np.ndarray,
    log: Callable[[str], None] | None = print,
) -> dict[str, float]:
    """FID, IS and LPIPS asked for on the command line; prints them and returns them.

    Args:
        args: parsed arguments with ``inception``, ``lpips`` and (optionally) ``device``.
        generated: the generated images, uint8 (N, H, W, 3), row i for ``pairs[i]``.
        real_images: the real images, uint8 (M, H, W, 3): the FID reference set (all of them)
            and, through ``pairs[:, 1]``, the true targets for LPIPS.
        pairs: (N, 2) rows (source, target) indexing ``real_images``.
        log: where the result lines go (None: silent).

    Returns:
        The computed subset of ``{"fid", "is_mean", "is_std", "lpips"}``; empty, without
        touching torch, when neither flag was given. IS is skipped (with a note) when there
        are fewer images than its 10 splits.
    """
    inception = getattr(args, "inception", None)
    lpips = getattr(args, "lpips", None)
    if inception is None and lpips is None:
        return {}
    say = log or (lambda _line: None)
    # Check the inputs before loading (and probing) any network.
    generated = uint8_images(generated, "generated images")
    pairs = np.asarray(pairs, dtype=np.int64).reshape(-1, 2)
    if len(pairs) != len(generated):
        raise MetricError(f"{len(generated)} generated images for {len(pairs)} pairs")
    metrics = ExternalMetrics(
        inception,
        lpips,
        device=getattr(args, "device", "cpu") or "cpu",
        resize=networks.INCEPTION_SIZE,  # looked up now, so a test can shrink it module-wide
        trust_archives=bool(getattr(args, "trust_pt2", False)),
    )
    scores: dict[str, float] = {}
    if inception is not None:
        pool, logits = metrics.inception_outputs(generated)
        if pool is not None:
            real_pool = metrics.inception_outputs(real_images)[0]
            scores["fid"] = fid_from_features(pool, real_pool)
            say(
                f"FID {scores['fid']:.3f} ({len(generated)} generated vs {len(real_pool)} real "
                f"images, {Path(inception).name})"
            )
        if logits is not None and len(logits) >= IS_SPLITS:
            scores["is_mean"], scores["is_std"] = inception_score(logits, IS_SPLITS)
            say(f"IS {scores['is_mean']:.3f} ± {scores['is_std']:.3f} ({IS_SPLITS} splits)")
        elif logits is not None:
            say(f"IS skipped: {len(logits)} images, fewer than its {IS_SPLITS} splits")
    if lpips is not None:
        scores["lpips"] = metrics.lpips(generated, np.asarray(real_images)[pairs[:, 1]])
        say(f"LPIPS {scores['lpips']:.4f} (mean of {len(pairs)} pairs, {Path(lpips).name})")
    return scores
