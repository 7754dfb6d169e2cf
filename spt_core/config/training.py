"""How runs train: optimisation, schedules, loss weights, the search, and each run's inputs.

Every value the method leaves open ([NOT FOUND] in the method notes) is a field here with a
documented default, never a constant buried in code.
"""

from __future__ import annotations

import dataclasses
import math

from spt_core.config.base import choice, path

SEARCH_MODES = ("exact", "fast")
PART_BALANCES = ("equal", "pixels")
PARSING_MODES = ("gt", "predicted")


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

    mode: str = choice("exact", SEARCH_MODES)
    samples_per_unit: float = 16.0
    fast_samples_per_unit: float = 6.0
    fast_candidates: int = 64
    min_pose_distance: float = 0.15
    exclude_same_identity: bool = True
    top_k: int = 5
    part_weights: tuple[float, ...] = (1.0,) * 10
    part_balance: str = choice("equal", PART_BALANCES)
    query_chunk: int = 256
    candidate_chunk: int = 1024
    cache_mb: int = 1024

    def __post_init__(self) -> None:
        if self.mode not in SEARCH_MODES:
            raise ValueError(f"search mode must be 'exact' or 'fast', got {self.mode!r}")
        if self.part_balance not in PART_BALANCES:
            raise ValueError(f"part_balance must be 'equal' or 'pixels', got {self.part_balance!r}")
        if len(self.part_weights) != 10:
            raise ValueError(f"part_weights needs 10 values, got {len(self.part_weights)}")
        if self.samples_per_unit <= 0 or self.fast_samples_per_unit <= 0:
            raise ValueError("samples_per_unit values must be positive")
        if self.top_k < 1 or self.fast_candidates < 1:
            raise ValueError("top_k and fast_candidates must be at least 1")


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
    # The form offers the devices this machine has (``config.base.field_choices``).
    device: str = dataclasses.field(default="auto", metadata={"devices": True})

    def __post_init__(self) -> None:
        if self.steps < 1 or self.batch_size < 1:
            raise ValueError("steps and batch_size must be at least 1")
        if not 0.0 <= self.decay_from <= 1.0:
            raise ValueError(f"decay_from must be in [0, 1], got {self.decay_from}")
        if self.checkpoint_every < 1 or self.log_every < 1:
            raise ValueError("checkpoint_every and log_every must be at least 1")


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
        pixels: L1 of I~_t against I_s where source and target show the same label at the same
            place, plus the cycle's L1 of I~_s against I_s (not in the authors' code, whose only
            link back to the input is the VGG content term; decision 0006).
        label_colours: L1 between the mean colour of each label region of I~_t (target map) and
            of I_s (source map): a painted forearm takes the person's skin colour (decision
            0006; not in the authors' code).
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
    pixels: float = 0.0
    label_colours: float = 0.0
    style_variant: str = choice("semantic", STYLE_VARIANTS)

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

    global_from: str = path("folder")
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


# What a run reads besides its dataset (the ``inputs`` section of a run).


@dataclasses.dataclass(frozen=True)
class SemanticRunInputs:
    """What a semantic run reads besides the dataset.

    Attributes:
        pseudo_labels: pseudo-label file of the dataset (the search's output); empty means
            ``pseudo_labels.npz`` in the dataset folder.
    """

    pseudo_labels: str = path("file")


@dataclasses.dataclass(frozen=True)
class AppearanceRunInputs:
    """What an appearance run reads besides the dataset.

    Attributes:
        parsing: target parsing: "gt" takes the map of the image the target pose comes from
            (TS-GT); "predicted" asks a trained semantic network (TS-Pred).
        semantic: semantic run or checkpoint folder, needed for parsing "predicted".
        posenet: pose regressor run or checkpoint folder; empty leaves the pose loss out.
        init: appearance run or checkpoint whose weights start this run (fine-tuning); empty
            starts from scratch. Ignored when resuming.
    """

    parsing: str = choice("gt", PARSING_MODES)
    semantic: str = path("folder")
    posenet: str = path("folder")
    init: str = path("folder")

    def __post_init__(self) -> None:
        if self.parsing not in PARSING_MODES:
            raise ValueError(f"parsing must be 'gt' or 'predicted', got {self.parsing!r}")
        if self.parsing == "predicted" and not self.semantic:
            raise ValueError("parsing 'predicted' needs a semantic run or checkpoint")


@dataclasses.dataclass(frozen=True)
class JointRunInputs:
    """What an end-to-end run reads besides the dataset.

    Attributes:
        semantic: pre-trained semantic run or checkpoint (G_S and D_S start from it; its
            architecture is the run's). Needed for a new run, unused when resuming.
        appearance: pre-trained appearance run or checkpoint (G_A, D_A and, with the face
            GAN, D_F; a 256-px local-enhanced run trains with alpha 1). The semantic run works
            at its size or a smaller scaled copy of it (e.g. 128x128 under 256x256). Needed
            for a new run, unused when resuming.
        pseudo_labels: pseudo-label file of the dataset; empty means ``pseudo_labels.npz`` in
            the dataset folder.
        posenet: pose regressor run or checkpoint folder; empty leaves the pose loss out.
    """

    semantic: str = path("folder")
    appearance: str = path("folder")
    pseudo_labels: str = path("file")
    posenet: str = path("folder")
