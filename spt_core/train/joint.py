"""End-to-end training of both networks (method §0, §5.2 step 3).

The semantic network predicts the source person's parsing in the target pose as a softmax map
S~_t; that soft map, not its argmax, is what the appearance network renders into, so the image
losses (cycle content, semantic-aware style, adversarial, pose) back-propagate into G_S and can
correct pseudo-label and parser errors. The pseudo-label cross-entropy and D_S's adversarial term
stay on with the weights of :class:`SemanticLossWeights` (whether the paper keeps them during
end-to-end training is [NOT FOUND]; decision: keep them, so the map cannot drift into a shape the
appearance network likes but no person has).

Decisions where the method is silent (docs/training.md):

- The target pose of a step is the source's pseudo label's pose P_t*, so the cross-entropy has
  a target; the backward cycle renders back into the source's own map S_s (known exactly).
- One Adam holds G_A and G_S (the same learning rate); D_A (with D_F, when the appearance run
  has the face GAN: one Adam, as in :class:`AppearanceTrainer`) and D_S have their own.
- Both networks start from pre-trained checkpoints (``semantic_init``, ``appearance_init``).
- The semantic network may work at a scaled copy of the appearance size, not larger (e.g.
  128x128 under a 256x256 appearance network, as the paper predicts DeepFashion's maps): it
  reads its inputs at its own size (``SemanticInputs``), its softmax map is
  upsampled bilinearly (differentiably) for G_A, and the cross-entropy and D_S work at its own
  size against the pseudo label's map at that size.
- A 256-px appearance run (local enhancer) is a finished run of the schedule: alpha is 1 and
  every parameter trains from the first step (``ProgressiveConfig(fix_global_steps=0,
  fade_in_steps=0)``); the face GAN's D_F loads from the run and keeps training.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from spt_core import labels as lb
from spt_core.config import (
    AppearanceLossWeights,
    AppearanceNetConfig,
    ProgressiveConfig,
    SemanticLossWeights,
    SemanticNetConfig,
    TrainConfig,
    to_dict,
)
from spt_core.data.samples import PersonSamples
from spt_core.errors import DataError
from spt_core.letterbox import scaled_copy
from spt_core.train.appearance import check_setup, preview_sheet
from spt_core.train.appearance_networks import AppearanceNetworks, AppearanceNetworksOwner
from spt_core.train.loop import IndexSchedule, Trainer

KIND = "joint"


def pseudo_label_pairs(dataset, pseudo) -> np.ndarray:
    """(K, 2) rows (source, pseudo-label target) as indices into ``dataset``.

    Raises:
        DataError: the pseudo labels name samples the dataset lacks, or are unfinished.
    """
    from spt_core.data.parsing_pairs import pseudo_label_rows

    rows = pseudo_label_rows(dataset, pseudo)
    best = np.asarray(pseudo.best, dtype=np.int64)
    keep = best >= 0
    pairs = np.stack([rows[keep], rows[best[keep]]], axis=1)
    if not len(pairs):
        raise DataError(dataset.root, "no sample has a pseudo label")
    return pairs


class JointTrainer(AppearanceNetworksOwner, Trainer):
    """G_S and G_A trained together through the soft target parsing (module docstring).

    A sibling of :class:`~spt_core.train.appearance.AppearanceTrainer`: both own an
    :class:`AppearanceNetworks` and an :class:`AppearanceObjective`; this one adds G_S and D_S
    with a :class:`SemanticObjective`.

    Args:
        samples: images, parsings and poses at the appearance network's size.
        pairs: (K, 2) sample indices (source, pseudo-label target), see
            :func:`pseudo_label_pairs`.
        semantic_model, appearance_model: the architectures (as in the init checkpoints); the
            semantic network at the appearance size or a smaller scaled copy of it.
        semantic_losses: weights of the pseudo-label cross-entropy and D_S's term.
        appearance_losses: weights of the image losses.
        train: optimisation settings.
        run_dir: output directory.
        semantic_init: semantic checkpoint or run whose G_S and D_S start this run.
        appearance_init: appearance checkpoint or run whose G_A, D_A (and D_F with the face
            GAN) start this run; a local-enhanced run trains with alpha 1.
        posenet: frozen pose regressor for the pose loss (None: left out).
        resume: continue from the newest checkpoint of ``run_dir`` (the inits are then unused).

    Raises:
        ValueError: sizes or labels the two networks cannot share (see :func:`check_sizes`).
    """

    kind = KIND

    def __init__(
        self,
        samples: PersonSamples,
        pairs: np.ndarray,
        semantic_model: SemanticNetConfig,
        appearance_model: AppearanceNetConfig,
        semantic_losses: SemanticLossWeights,
        appearance_losses: AppearanceLossWeights,
        train: TrainConfig,
        run_dir: str | Path,
        semantic_init: str | Path | None = None,
        appearance_init: str | Path | None = None,
        posenet=None,
        resume: bool = False,
    ):
        super().__init__(train, run_dir, resume)
        check_sizes(semantic_model, appearance_model)
        if appearance_model.parsing_channels != semantic_model.num_labels - 1:
            raise ValueError("the appearance network must read the semantic network's labels")
        if appearance_model.local_enhancer and appearance_model.fade_in_alpha != 1.0:
            raise ValueError(
                f"joint training trains the fully faded-in 256-px model (alpha 1); the "
                f"appearance run's fade_in_alpha is {appearance_model.fade_in_alpha}"
            )
        # A finished 256-px run: alpha 1 and every parameter trains from the first step, so
        # no schedule applies (the base ``prepare_step`` changes nothing between steps).
        check_setup(appearance_model, ProgressiveConfig(0, 0), appearance_init)
        self.samples = samples
        self.pairs = np.asarray(pairs, dtype=np.int64).reshape(-1, 2)
        if not len(self.pairs) or self.pairs.max() >= len(samples) or self.pairs.min() < 0:
            raise ValueError(f"pairs must index the {len(samples)} samples")
        self.architecture, self.losses = appearance_model, appearance_losses
        self.semantic_architecture, self.semantic_losses = semantic_model, semantic_losses
        self.semantic_init, self.init_from = semantic_init, appearance_init
        self.posenet = posenet
        self.alpha = 1.0

    def build(self) -> None:
        import itertools

        from spt_core.losses.objectives import AppearanceObjective, SemanticObjective
        from spt_core.losses.perceptual import VGGFeatures
        from spt_core.models.discriminators import ParsingDiscriminator
        from spt_core.models.loading import build_network, load_run_weights

        self.nets = AppearanceNetworks(self.architecture, self.device, self.dist.wrap)
        self.semantic_generator = self.dist.wrap(
            build_network(self.semantic_architecture).to(self.device)
        )
        self.semantic_discriminator = self.dist.wrap(
            ParsingDiscriminator.from_config(self.semantic_architecture).to(self.device)
        )
        if not self.resume:
            if self.init_from is not None:
                self.nets.load(self.init_from)
            if self.semantic_init is not None:
                semantic = {
                    "generator": self.semantic_generator,
                    "discriminator": self.semantic_discriminator,
                }
                load_run_weights(self.semantic_init, "semantic", semantic, self.device)
        generators = itertools.chain(
            self.nets.generator.parameters(), self.semantic_generator.parameters()
        )
        self.optimizers = {
            "generator": self.make_adam(generators),
            "discriminator": self.make_adam(self.nets.discriminator_parameters()),
            "semantic_discriminator": self.make_adam(self.semantic_discriminator.parameters()),
        }
        if self.posenet is not None:
            self.posenet = self.posenet.to(self.device).eval().requires_grad_(False)
        vgg = VGGFeatures(device=self.device)
        self.objective = AppearanceObjective(
            self.losses, self.architecture, vgg, self.posenet, self.autocast
        )
        self.semantic_objective = SemanticObjective(self.semantic_losses, self.autocast)
        n, b, w = len(self.pairs), self.train.batch_size, self.dist.world_size
        self.schedule = IndexSchedule(n, b, self.train.seed, self.dist.rank, w)

    def networks(self) -> dict:
        return {
            **self.nets.as_dict(),  # generator, discriminator[, face_discriminator]
            "semantic_generator": self.semantic_generator,
            "semantic_discriminator": self.semantic_discriminator,
        }

    def config_dict(self) -> dict:
        return {
            "model": to_dict(self.architecture),
            "semantic_model": to_dict(self.semantic_architecture),
            "losses": to_dict(self.losses),
            "semantic_losses": to_dict(self.semantic_losses),
            "pose_loss": self.posenet is not None,
            "semantic_init": self.provenance("semantic_init", self.semantic_init),
            "appearance_init": self.provenance("appearance_init", self.init_from),
        }

    def predict_target(self, source, target):
        """G_S moving the source map to the target pose, at the semantic network's size.

        Returns:
            (logits, probabilities, inputs): float32 (B, 10, h, w) logits and softmax, and
            the :class:`SemanticInputs` they were computed from (target labels, heat maps and
            pose mask at that size, for the cross-entropy and D_S).
        """
        import torch

        from spt_core.models.inputs import SemanticInputs

        inputs = SemanticInputs.build(
            self.semantic_architecture,
            self.architecture.size,
            source["labels"],
            source["poses"],
            target["poses"],
            self.device,
            target_labels=target["labels"],
            frame_heatmaps=(source["heatmaps"], target["heatmaps"]),
            frame_sigma=self.architecture.heatmap_sigma,
        )
        with self.autocast():
            logits = self.semantic_generator(*inputs.generator_args())
        logits = logits.float()
        return logits, torch.softmax(logits, dim=1), inputs

    def train_step(self, step: int) -> dict[str, float]:
        from spt_core.losses.objectives import as_floats
        from spt_core.models.inputs import resize_soft_map

        rows = self.schedule.indices(step)
        sigma = self.architecture.heatmap_sigma
        source = self.samples.batch(self.pairs[rows, 0], self.device, sigma)
        target = self.samples.batch(self.pairs[rows, 1], self.device, sigma)
        self.nets.generator.train()
        self.semantic_generator.train()
        # L_S at the semantic network's own size.
        logits, _, inputs = self.predict_target(source, target)
        semantic = self.semantic_objective.generator_losses(
            logits,
            inputs.target_labels,
            inputs.target_mask,
            inputs.target_heatmaps,
            self.semantic_discriminator,
        )
        probabilities = semantic["probabilities"]
        # The soft map itself (labels 1..9), upsampled to G_A's size when G_S works smaller,
        # goes to G_A: gradients of the image losses reach G_S through it.
        soft_map = resize_soft_map(probabilities, self.architecture.size)
        image, fakes = self.generator_losses(source, target, soft_map[:, 1:], soft_map)
        total = image["g_total"] + semantic["total"]
        self.optimise("generator", total)
        logs = as_floats(image)
        logs.update(self.discriminator_step(source, soft_map[:, 1:], *fakes))
        d_semantic = self.semantic_objective.discriminator_loss(
            probabilities, inputs.target_labels, inputs.target_heatmaps, self.semantic_discriminator
        )
        self.optimise("semantic_discriminator", d_semantic)
        logs.update(
            cross_entropy=float(semantic["cross_entropy"].detach()),
            semantic_adversarial=float(semantic["adversarial"].detach()),
            d_semantic=float(d_semantic.detach()),
            total=float(total.detach()),
        )
        if self.architecture.local_enhancer:
            logs["alpha"] = self.alpha
        return logs

    def preview(self) -> dict[str, np.ndarray]:
        """Rows: source | pseudo-label target | predicted parsing | generated."""
        import torch

        from spt_core.metrics import to_uint8
        from spt_core.models.inputs import resize_soft_map

        rows = np.arange(min(4, len(self.pairs)))
        source = self.samples.batch(self.pairs[rows, 0], self.device)
        target = self.samples.batch(self.pairs[rows, 1], self.device)
        self.nets.generator.eval()
        self.semantic_generator.eval()
        with torch.no_grad():
            probabilities = self.predict_target(source, target)[1]
            probabilities = resize_soft_map(probabilities, self.architecture.size)
            fake = self.nets.render(
                source["image"],
                source["parsing"],
                source["heatmaps"],
                probabilities[:, 1:],
                target["heatmaps"],
                source["poses"],
                target["poses"],
            )
        self.nets.generator.train()
        self.semantic_generator.train()
        parsing = lb.argmax_labels(probabilities)
        tiles = [
            to_uint8(source["image"]),
            to_uint8(target["image"]),
            np.stack([lb.colorize(p) for p in parsing]),
            to_uint8(fake),
        ]
        return {"joint": preview_sheet(tiles)}


def check_sizes(semantic_model: SemanticNetConfig, appearance_model: AppearanceNetConfig) -> None:
    """Raise ValueError unless the semantic network works at the appearance network's size or
    at a smaller scaled copy of it (its map is then upsampled for G_A)."""
    if not scaled_copy(semantic_model.size, appearance_model.size):
        raise ValueError(
            f"the semantic network works at {semantic_model.size}, the appearance network at "
            f"{appearance_model.size}: joint training needs the same size or a proportional "
            "one (e.g. 128x128 under 256x256, whose maps are upsampled)"
        )
    if semantic_model.size[0] > appearance_model.size[0]:
        raise ValueError(
            f"the semantic network works at {semantic_model.size}, larger than the appearance "
            f"network's {appearance_model.size}: its inputs would be upsampled from the "
            "appearance-size batch and its map downsampled; use one at the appearance size or "
            "a smaller scaled copy"
        )
