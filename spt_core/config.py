"""Configuration dataclasses (frozen; saved as JSON with ``to_dict`` / ``from_dict``).

Every value the method leaves open ([NOT FOUND] in the method notes) is a field here with a
documented default, never a constant buried in code.
"""

from __future__ import annotations

import dataclasses
from typing import Any, TypeVar

T = TypeVar("T")


def to_dict(config: Any) -> dict:
    """A JSON-ready dict of a config dataclass (tuples become lists)."""
    return dataclasses.asdict(config)


def from_dict(cls: type[T], data: dict) -> T:
    """Build ``cls`` from a dict, rejecting unknown keys (a typo must not pass silently)."""
    names = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - set(names))
    if unknown:
        raise ValueError(f"{cls.__name__}: unknown keys {unknown}")
    values = {}
    for key, value in data.items():
        default = names[key].default
        values[key] = (
            tuple(value) if isinstance(default, tuple) and isinstance(value, list) else value
        )
    return cls(**values)


@dataclasses.dataclass(frozen=True)
class SearchConfig:
    """Pseudo-label search (method §2; the paper's distance details are [NOT FOUND]).

    The distance between a query parsing S_s and a candidate S_p is the paper's
    sum_j || B_p^j (x) S_p - f_j(B_s^j (x) S_s) ||^2 over one-hot labels, evaluated in each
    part's canonical frame (see ``spt_core/search/canonical.py`` and docs/search.md).

    Attributes:
        mode: "exact" scores every candidate; "fast" pre-scores all candidates at low
            resolution and rescores the best ``fast_candidates`` exactly.
        samples_per_unit: canonical samples per torso scale (resolution of the comparison).
        fast_samples_per_unit: resolution of the fast pre-score.
        fast_candidates: candidates kept by the fast pre-score for exact rescoring.
        min_pose_distance: candidates whose mean joint distance to the query, divided by the
            query's torso scale, is below this are excluded (too similar a pose). 0.15 excludes
            about 3% of random Market-1501 pose pairs (5th percentile of such pairs: 0.19).
        exclude_same_identity: also exclude images of the same person (name prefix before
            "_"), so a pseudo label never comes from a real pair (training stays unpaired).
        top_k: how many best candidates to store per query.
        part_weights: weight of each of the 10 part terms (torso, head, limbs...).
        part_balance: "equal" scales each part term by torso samples / part samples, so a
            forearm counts as much as the whole-body torso window; "pixels" counts every
            sample once (the literal sum). On synthetic people "equal" finds a person with
            the same sleeve and lower-garment types for 97% of queries, "pixels" for 86%.
        query_chunk: queries scored per batch (memory bound).
        candidate_chunk: candidates scored per batch (memory bound).
        cache_mb: keep the candidates' one-hot codes in memory when they fit in this many MiB
            (2,000 samples at 16 samples per unit take 290 MiB), instead of rebuilding them
            for every chunk of queries.
    """

    mode: str = "exact"
    samples_per_unit: float = 16.0
    fast_samples_per_unit: float = 6.0
    fast_candidates: int = 64
    min_pose_distance: float = 0.15
    exclude_same_identity: bool = True
    top_k: int = 5
    part_weights: tuple[float, ...] = (1.0,) * 10
    part_balance: str = "equal"
    query_chunk: int = 256
    candidate_chunk: int = 1024
    cache_mb: int = 1024

    def __post_init__(self) -> None:
        if self.mode not in ("exact", "fast"):
            raise ValueError(f"search mode must be 'exact' or 'fast', got {self.mode!r}")
        if self.part_balance not in ("equal", "pixels"):
            raise ValueError(f"part_balance must be 'equal' or 'pixels', got {self.part_balance!r}")
        if len(self.part_weights) != 10:
            raise ValueError(f"part_weights needs 10 values, got {len(self.part_weights)}")
        if self.samples_per_unit <= 0 or self.fast_samples_per_unit <= 0:
            raise ValueError("samples_per_unit values must be positive")
        if self.top_k < 1 or self.fast_candidates < 1:
            raise ValueError("top_k and fast_candidates must be at least 1")


@dataclasses.dataclass(frozen=True)
class SemanticNetConfig:
    """Semantic generative network H_S: E_S, E_P, G_S and D_S (method §3: [NOT FOUND]).

    The paper gives no layer details; the design (docs/semantic_network.md) reuses the
    appearance network's encoder/decoder blocks (method §4.2) as the method notes propose.

    Attributes:
        size: (H, W) the network works at: (128, 64) for Market-like data, (128, 128) for
            256-px images (predicted at 128 and upsampled, as in the paper).
        num_labels: parsing labels (10).
        pose_channels: heat-map channels (18).
        use_pose_mask: feed the PG2 pose masks M_s and M_t as an extra channel each.
        base_channels: width of the first encoder level; levels double up to max_channels.
        max_channels: cap on the width.
        depth: number of stride-2 down blocks in each encoder (5: 128x64 -> 4x2).
        dropout: Dropout2d probability of the first ``dropout_layers`` decoder blocks.
        dropout_layers: how many of the deepest decoder blocks use dropout.
        norm: "sample" (Def-GAN's whole-sample normalisation with a scalar affine), "instance"
            or "batch".
        disc_channels: width of the first PatchGAN layer of D_S.
        disc_layers: stride-2 layers of D_S.
        mask_radius: PG2 pose-mask disc radius in pixels at ``size`` (4 at 128 px).
        heatmap_sigma: heat-map Gaussian width in pixels (6, at every resolution).
    """

    size: tuple[int, int] = (128, 64)
    num_labels: int = 10
    pose_channels: int = 18
    use_pose_mask: bool = True
    base_channels: int = 64
    max_channels: int = 512
    depth: int = 5
    dropout: float = 0.5
    dropout_layers: int = 3
    norm: str = "sample"
    disc_channels: int = 64
    disc_layers: int = 3
    mask_radius: int = 4
    heatmap_sigma: float = 6.0

    def __post_init__(self) -> None:
        if self.norm not in ("sample", "instance", "batch"):
            raise ValueError(f"norm must be 'sample', 'instance' or 'batch', got {self.norm!r}")
        height, width = self.size
        if height % 2**self.depth or width % 2**self.depth:
            raise ValueError(f"size {self.size} must be divisible by 2**depth = {2**self.depth}")


@dataclasses.dataclass(frozen=True)
class SemanticLossWeights:
    """Weights of the semantic network's losses (lambda_ce is [NOT FOUND] in the paper).

    Attributes:
        cross_entropy: weight of the (1 + M_t)-weighted cross-entropy against the pseudo label.
        adversarial: weight of the LSGAN term from D_S.
    """

    cross_entropy: float = 10.0
    adversarial: float = 1.0


@dataclasses.dataclass(frozen=True)
class TrainConfig:
    """Optimisation and bookkeeping shared by every trainer.

    Learning rate, betas and the linear decay follow the pix2pix/CycleGAN defaults the SPT code
    builds on (method §5.1: the paper's own values are [NOT FOUND]).

    Attributes:
        steps: optimisation steps in total (a resumed run continues up to this number).
        batch_size: samples per step and per process.
        lr: Adam learning rate of generator and discriminator.
        beta1, beta2: Adam betas.
        decay_from: fraction of ``steps`` after which the learning rate decays linearly to 0
            (1.0: constant).
        log_every: steps between loss events (and lines in log.jsonl).
        preview_every: steps between preview images (0: never).
        checkpoint_every: steps between checkpoints (a final one is always written).
        keep_checkpoints: how many recent checkpoints to keep on disk.
        amp: mixed precision on CUDA (ignored on CPU).
        seed: seeds the data order and the network initialisation.
        device: "auto", "cpu" or "cuda[:N]" (with torchrun: the local rank's GPU).
    """

    steps: int = 10000
    batch_size: int = 8
    lr: float = 2e-4
    beta1: float = 0.5
    beta2: float = 0.999
    decay_from: float = 0.5
    log_every: int = 10
    preview_every: int = 250
    checkpoint_every: int = 500
    keep_checkpoints: int = 3
    amp: bool = True
    seed: int = 0
    device: str = "auto"

    def __post_init__(self) -> None:
        if self.steps < 1 or self.batch_size < 1:
            raise ValueError("steps and batch_size must be at least 1")
        if not 0.0 <= self.decay_from <= 1.0:
            raise ValueError(f"decay_from must be in [0, 1], got {self.decay_from}")
        if self.checkpoint_every < 1 or self.log_every < 1:
            raise ValueError("checkpoint_every and log_every must be at least 1")
