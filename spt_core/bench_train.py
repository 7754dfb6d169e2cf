"""``spt bench train``: seconds per training step of each trainer, the step's FLOPs and how
much of the machine that is (issue #18).

The FLOPs of a step (forward and backward of every network the step runs) are counted by
torch's flop counter (``torch.utils.flop_counter.FlopCounterMode``), which counts matrix
products and convolutions: the operations that dominate these networks. ``grid_sample``, the
Gram matrices' reductions, normalisation and the data pipeline cost time but no counted FLOPs,
so where they matter the ratio to the peak is low for a reason the table can name.

The peak is measured in the same process on the same device: a square matrix product (fp32 on
a CPU, bf16 on CUDA), the best a device does on the operation these networks spend most FLOPs
in. Achieved FLOP/s over that peak is the step's efficiency. The counter counts a 3x3
convolution's direct multiply-adds; oneDNN (CPU) and cuDNN may run it as a Winograd transform
with fewer real ones, so a convolution-heavy step can show more than 100%.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

#: Trainer kinds the bench runs, in order (joint starts from the semantic and appearance runs).
KINDS: tuple[str, ...] = ("semantic", "appearance", "joint", "posenet")


@dataclass
class TrainRow:
    """One line of ``spt bench train``."""

    kind: str
    size: tuple[int, int]
    batch: int
    seconds: float  # median seconds per step
    images_per_second: float
    gflop: float  # counted FLOPs of one step, 1e9
    gflops: float  # achieved, 1e9 FLOP/s
    peak_gflops: float  # the matrix product's, same device and process
    ratio: float  # gflops / peak_gflops
    memory_mb: float  # peak memory (CUDA: allocated; CPU: the process's resident set)


def _sync(device) -> Callable[[], None]:
    import torch

    if device.type == "cuda":
        return lambda: torch.cuda.synchronize(device)
    return lambda: None


def matmul_peak(device, repeats: int = 10) -> float:
    """FLOP/s of a square matrix product on ``device``: fp32 1024 on a CPU, bf16 4096 on CUDA
    (median of ``repeats``)."""
    import torch

    cuda = device.type == "cuda"
    n, dtype = (4096, torch.bfloat16) if cuda else (1024, torch.float32)
    a = torch.randn(n, n, device=device, dtype=dtype)
    b = torch.randn(n, n, device=device, dtype=dtype)
    sync = _sync(device)
    for _ in range(2):
        a @ b
    sync()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        a @ b
        sync()
        times.append(time.perf_counter() - start)
    times.sort()
    return 2.0 * n**3 / times[len(times) // 2]


def step_flops(advance: Callable[[], object]) -> float:
    """The FLOPs torch's flop counter counts in one call of ``advance`` (a training step)."""
    from torch.utils.flop_counter import FlopCounterMode

    with FlopCounterMode(display=False) as counter:
        advance()
    return float(counter.get_total_flops())


def _peak_memory_mb(device) -> float:
    import resource

    import torch

    if device.type == "cuda":
        return torch.cuda.max_memory_allocated(device) / 2**20
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux


def _sections(kind: str, size, batch: int, device: str, base_channels: int, runs: dict):
    """The sections of ``kind`` as the default recipe trains them (``spt train recipe``: its
    networks and loss weights), at ``size`` and ``batch``, without previews or checkpoints."""
    from spt_core.train.factory import default_sections
    from spt_core.train.recipe import RecipeConfig

    recipe = RecipeConfig()
    sections = default_sections(kind)
    if kind == "semantic":
        sections["model"] = recipe.semantic
    if kind == "appearance":
        sections["model"] = recipe.appearance
    if kind in ("appearance", "joint"):
        sections["losses"] = recipe.appearance_losses
    sections["train"] = dataclasses.replace(
        sections["train"],
        batch_size=batch,
        device=device,
        steps=10_000,
        preview_every=0,
        checkpoint_every=10_000,
        log_every=1,
    )
    if "model" in sections and kind != "joint":
        changes = {"size": tuple(size)}
        if hasattr(sections["model"], "base_channels"):
            changes["base_channels"] = base_channels
        sections["model"] = dataclasses.replace(sections["model"], **changes)
    if kind == "joint":
        sections["inputs"] = dataclasses.replace(
            sections["inputs"], semantic=str(runs["semantic"]), appearance=str(runs["appearance"])
        )
    return sections


def bench_train(
    data_dir: str | Path,
    work_dir: str | Path,
    size: tuple[int, int] = (128, 64),
    batch: int = 8,
    base_channels: int = 32,
    steps: int = 3,
    device: str = "auto",
    kinds: tuple[str, ...] = KINDS,
    progress: Callable[[str], None] = print,
) -> list[TrainRow]:
    """Time ``steps`` training steps of each trainer of ``kinds`` (after one warm-up step and
    one counted step) on the dataset ``data_dir`` (with pseudo labels), runs under
    ``work_dir``. Joint starts from one-step semantic and appearance runs saved here."""
    import torch

    from spt_core.devices import resolve_device
    from spt_core.train.factory import build_trainer

    torch_device = resolve_device(device)
    peak = matmul_peak(torch_device)
    progress(f"matrix-product peak on {torch_device}: {peak / 1e9:.1f} GFLOP/s")
    rows, runs = [], {}
    for kind in kinds:
        run_dir = Path(work_dir) / kind
        sections = _sections(kind, size, batch, str(torch_device), base_channels, runs)
        trainer = build_trainer(kind, data_dir, run_dir, sections)
        trainer.build()
        sync = _sync(trainer.device)
        if trainer.device.type == "cuda":
            torch.cuda.reset_peak_memory_stats(trainer.device)
        trainer._advance()  # warm-up: allocations, kernel choice
        flops = step_flops(trainer._advance)
        sync()
        times = []
        for _ in range(steps):
            start = time.perf_counter()
            trainer._advance()
            sync()
            times.append(time.perf_counter() - start)
        times.sort()
        seconds = times[len(times) // 2]
        run_dir.mkdir(parents=True, exist_ok=True)
        runs[kind] = trainer.save()  # joint starts from these
        achieved = flops / seconds
        rows.append(
            TrainRow(
                kind,
                tuple(size),
                batch,
                seconds,
                batch / seconds,
                flops / 1e9,
                achieved / 1e9,
                peak / 1e9,
                achieved / peak,
                _peak_memory_mb(trainer.device),
            )
        )
        progress(f"{kind}: {seconds:.2f} s a step")
    return rows


def format_rows(rows: list[TrainRow]) -> str:
    """The table ``spt bench train`` prints."""
    lines = [
        f"{'trainer':<11}{'size':>9}{'batch':>6}{'s/step':>8}{'img/s':>8}{'GFLOP':>8}"
        f"{'GFLOP/s':>9}{'peak':>8}{'of peak':>8}{'mem MB':>8}"
    ]
    for r in rows:
        lines.append(
            f"{r.kind:<11}{r.size[0]:>5}x{r.size[1]:<3}{r.batch:>6}{r.seconds:>8.2f}"
            f"{r.images_per_second:>8.1f}{r.gflop:>8.1f}{r.gflops:>9.1f}{r.peak_gflops:>8.1f}"
            f"{r.ratio:>8.0%}{r.memory_mb:>8.0f}"
        )
    return "\n".join(lines)
