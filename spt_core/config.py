"""Configuration dataclasses (frozen; saved as JSON with ``to_dict`` / ``from_dict``).

Every value the method leaves open ([NOT FOUND] in the method notes) is a field here with a
documented default, never a constant buried in code.
"""

from __future__ import annotations

import dataclasses
import math
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


# Appearance network (method §4)

APPEARANCE_NORMS = ("sample", "instance", "batch", "none")


@dataclasses.dataclass(frozen=True)
class AppearanceNetConfig:
    """Appearance generator G_A, discriminators D_A and D_F, pose regressor P.

    Attributes:
        size: (H, W) of the images the network outputs. With ``local_enhancer`` or
            ``output_upsample`` the global core works at half of it (``core_size``).
        image_channels: image channels (3).
        parsing_channels: parsing channels fed to G_A and D_A: labels 1..9, background
            dropped (method §1.1, §1.6).
        pose_channels: heat-map channels (18).
        base_channels: width of the first encoder level (64); levels double up to
            ``max_channels``.
        max_channels: cap on the width (512).
        depth: stride-2 down blocks per encoder (5: Def-GAN's 64..512 list). Sizes not
            divisible by ``2**depth`` are zero-padded inside the generator.
        deformable_levels: finest levels with deformable skips (4 in the code); 0 disables
            the part warps.
        dropout: Dropout2d probability of the deepest ``dropout_layers`` up blocks (0.5).
        dropout_layers: how many of the deepest up blocks use dropout (3).
        test_time_dropout: keep dropout on in eval mode (the authors' inference does, because
            it never calls ``eval()``); off by default so inference is deterministic.
        norm: generator normalisation: "sample" (Def-GAN's whole-sample norm), "instance",
            "batch" or "none".
        output_upsample: the global generator upsamples ×2 (nearest) before its last conv,
            so a 128-px core outputs 256 px (the released DeepFashion model). Always on
            inside the local enhancer.
        local_enhancer: add the pix2pixHD-style local enhancer at ``size`` (global at half).
        local_channels: width of the local encoders' full-size level (32 in the code).
        fade_in_alpha: fade-in weight the built networks use outside training (the local
            enhancer and D_F's 256-px path; 1 = fully faded in, the test-time value). The
            appearance trainer ignores it and ramps alpha from 0 by
            ``ProgressiveConfig.fade_in_steps`` (the ramp is not in the released code).
        disc_channels: first-layer width of D_A (64).
        disc_layers: stride-2 layers of D_A (3: pix2pix "basic").
        disc_norm: D_A / D_F normalisation ("instance": InstanceNorm2d without affine).
        face_gan: use the face crop and D_F (off for 128x64: too low resolution, method §0).
        face_crop_size: (H, W) of the face crop given to D_F; None = ``size`` (the code crops
            to the full 256x256 canvas).
        face_half_side: half-side of the face box, times the torso scale (0.40).
        face_fade_in: D_F gets the fade-in variant (a 128-px path by 2×2 average pooling and
            a 256-px path with its own first conv, blended by alpha).
        face_disc_channels: first-layer width of D_F (64).
        face_disc_layers: stride-2 layers of D_F (3).
        pose_regressor_channels: first-layer width of P (64, CycleGAN's ngf).
        pose_regressor_blocks: residual blocks of P (9: "resnet_9blocks").
        pose_regressor_dropout: dropout inside P's residual blocks (0: CycleGAN default).
        heatmap_sigma: heat-map Gaussian width in pixels (6, at every resolution).
    """

    size: tuple[int, int] = (128, 64)
    image_channels: int = 3
    parsing_channels: int = 9
    pose_channels: int = 18
    base_channels: int = 64
    max_channels: int = 512
    depth: int = 5
    deformable_levels: int = 4
    dropout: float = 0.5
    dropout_layers: int = 3
    test_time_dropout: bool = False
    norm: str = "sample"
    output_upsample: bool = False
    local_enhancer: bool = False
    local_channels: int = 32
    fade_in_alpha: float = 1.0
    disc_channels: int = 64
    disc_layers: int = 3
    disc_norm: str = "instance"
    face_gan: bool = False
    face_crop_size: tuple[int, int] | None = None
    face_half_side: float = 0.40
    face_fade_in: bool = False
    face_disc_channels: int = 64
    face_disc_layers: int = 3
    pose_regressor_channels: int = 64
    pose_regressor_blocks: int = 9
    pose_regressor_dropout: float = 0.0
    heatmap_sigma: float = 6.0

    def __post_init__(self) -> None:
        # JSON round trips give lists; the frozen config keeps tuples (hashable, comparable).
        object.__setattr__(self, "size", tuple(self.size))
        if self.face_crop_size is not None:
            object.__setattr__(self, "face_crop_size", tuple(self.face_crop_size))
        if self.norm not in APPEARANCE_NORMS or self.disc_norm not in APPEARANCE_NORMS:
            raise ValueError(
                f"norm and disc_norm must be one of {APPEARANCE_NORMS}, "
                f"got {self.norm!r}, {self.disc_norm!r}"
            )
        if len(self.size) != 2 or min(self.size) < 1:
            raise ValueError(f"size must be (H, W) with positive sides, got {self.size}")
        if self.local_enhancer and (self.size[0] % 2 or self.size[1] % 2):
            raise ValueError(f"the local enhancer needs an even size, got {self.size}")
        if self.output_upsample and (self.size[0] % 2 or self.size[1] % 2):
            raise ValueError(f"output_upsample needs an even size, got {self.size}")
        if not 0 <= self.deformable_levels <= self.depth + 1:
            raise ValueError(
                f"deformable_levels must be in [0, depth + 1], got {self.deformable_levels}"
            )
        if not 0.0 <= self.fade_in_alpha <= 1.0:
            raise ValueError(f"fade_in_alpha must be in [0, 1], got {self.fade_in_alpha}")
        if not 0.0 <= self.dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {self.dropout}")
        if self.face_fade_in and not self.face_gan:
            raise ValueError("face_fade_in needs face_gan")
        if self.face_half_side <= 0:
            raise ValueError(f"face_half_side must be positive, got {self.face_half_side}")

    @property
    def core_size(self) -> tuple[int, int]:
        """(H, W) the global generator's encoders see (half of ``size`` when it upsamples)."""
        if self.local_enhancer or self.output_upsample:
            return self.size[0] // 2, self.size[1] // 2
        return self.size

    @property
    def face_size(self) -> tuple[int, int]:
        """(H, W) of the face crop (``face_crop_size`` or ``size``)."""
        return self.size if self.face_crop_size is None else self.face_crop_size

    @classmethod
    def market_128x64(cls, **overrides) -> AppearanceNetConfig:
        """Market-1501 at 128x64: the global generator only, no face GAN (the defaults)."""
        return cls(**overrides)

    @classmethod
    def deepfashion_256x256(cls, **overrides) -> AppearanceNetConfig:
        """The released DeepFashion model: 128-px global core + local enhancer, face GAN.

        D_F reads 256x256 face crops with the fade-in variant (method §4.2-4.4).
        """
        values = dict(
            size=(256, 256),
            local_enhancer=True,
            output_upsample=True,
            face_gan=True,
            face_fade_in=True,
            face_crop_size=(256, 256),
        )
        values.update(overrides)
        return cls(**values)

    @classmethod
    def deepfashion_256x176(cls, **overrides) -> AppearanceNetConfig:
        """DeepFashion at the Def-GAN/PATN 256x176 crop: as 256x256, core at 128x88.

        88 is not a multiple of 2**5, so the core pads to 128x96 internally; the face crop
        stays square (256x256).
        """
        return cls.deepfashion_256x256(**{"size": (256, 176), **overrides})

    @classmethod
    def tiny(cls, **overrides) -> AppearanceNetConfig:
        """A small 32x16 network for tests: base 8, depth 3, 3 deformable levels."""
        values = dict(
            size=(32, 16),
            base_channels=8,
            max_channels=32,
            depth=3,
            deformable_levels=3,
            local_channels=4,
            disc_channels=8,
            face_disc_channels=8,
            pose_regressor_channels=8,
            pose_regressor_blocks=2,
        )
        values.update(overrides)
        return cls(**values)


STYLE_VARIANTS = ("semantic", "mask", "patch")


@dataclasses.dataclass(frozen=True)
class AppearanceLossWeights:
    """Weights of L_A's terms (the authors' code defaults).

    Attributes:
        adversarial: LSGAN generator term of the general discriminator D_A, on (I~_t, S~_t)
            and (I~_s, S_s).
        face: LSGAN generator term of the face discriminator D_F (the method's "face
            adversarial" term): (D_F(face_t(I~_t)) - 1)^2 + (D_F(face_s(I~_s)) - 1)^2, crops
            taken with the target and the source pose. Used only with
            ``AppearanceNetConfig.face_gan`` (off for Market-1501, whose faces are too small,
            method §0).
        pose: MSE between the frozen pose regressor's maps and the target Gaussian maps, on
            both outputs. The large value offsets the small MSE of mostly-empty heat maps.
        content: MSE between relu2_1 features of the source image and its cycle reconstruction
            (the only link back to the input: there is no pixel loss).
        style: semantic-aware masked-Gram style loss, both parts.
        feature_scale: VGG features are multiplied by this before the content and style
            losses. The authors fed VGG16 [-1, 1] images normalised by ImageNet mean/std (a
            range of about 8.7); our VGG19 takes Caffe's 0-255 input (a range of 255), so its
            features are about 29x larger, content terms 29^2 and Gram terms 29^4 larger.
            1/29 restores the balance their weights were tuned for (a measured 1e5 style
            term at scale 1 would swamp everything else).
        style_variant: "semantic" (one Gram per label: the method), "mask" (one Gram over the
            whole person: the Baseline's loss and an ablation) or "patch" (Grams of squares
            around joints: an ablation).
    """

    adversarial: float = 1.0
    face: float = 1.0
    pose: float = 700.0
    content: float = 0.03
    style: float = 1.0
    feature_scale: float = 1.0 / 29.0
    style_variant: str = "semantic"

    def __post_init__(self) -> None:
        if self.style_variant not in STYLE_VARIANTS:
            raise ValueError(
                f"style_variant must be one of {STYLE_VARIANTS}, got {self.style_variant!r}"
            )
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            if isinstance(value, str):
                continue
            if not math.isfinite(value) or value < 0:
                raise ValueError(f"{field.name} must be a finite weight >= 0, got {value}")


@dataclasses.dataclass(frozen=True)
class ProgressiveConfig:
    """The 256-px schedule of the appearance network (method §5.1); used only with
    ``AppearanceNetConfig.local_enhancer``.

    The method trains a 128-px model (global generator, D_A and the face GAN) first, loads it
    into the global part of the 256-px model, trains the local enhancer alone for a while, then
    everything, while alpha ramps from 0 to 1. Its durations are [NOT FOUND] (the train options
    are not released); the defaults below are our decision: pix2pixHD's published recipe fixes
    the global generator for 10% of the run (20 of 200 epochs), so 1000 of the default 10000
    steps, and alpha reaches 1 after twice that, while the global part is already learning.

    Attributes:
        global_from: a 128-px appearance run or checkpoint (global generator only, at this
            model's ``core_size``, same architecture). Its generator loads into the global
            part, its D_A into D_A and its D_F (when it has one) into D_F's 128-px path. Empty
            starts from scratch. Unused when resuming.
        fix_global_steps: steps during which only the local enhancer's parameters are
            optimised (the global part gets no update); then the generator's optimiser is
            rebuilt over all parameters (pix2pixHD's ``update_fixed_params``: a fresh Adam).
        fade_in_steps: alpha = min(1, step / fade_in_steps) (step counted from 0), for the
            generator's output and first-layer blends and for D_F's fade-in; 0 means alpha = 1
            from the start (e.g. fine-tuning a finished 256-px run with ``init``).
    """

    global_from: str = ""
    fix_global_steps: int = 1000
    fade_in_steps: int = 2000

    def __post_init__(self) -> None:
        if self.fix_global_steps < 0 or self.fade_in_steps < 0:
            raise ValueError(
                f"fix_global_steps and fade_in_steps must be >= 0, got "
                f"{self.fix_global_steps} and {self.fade_in_steps}"
            )

    def alpha(self, step: int) -> float:
        """The fade-in weight of (0-based) step ``step``."""
        if self.fade_in_steps <= 0:
            return 1.0
        return min(1.0, step / self.fade_in_steps)

    def fixes_global(self, step: int) -> bool:
        """Whether (0-based) step ``step`` optimises the local enhancer alone."""
        return step < self.fix_global_steps
