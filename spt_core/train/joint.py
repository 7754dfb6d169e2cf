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
  reads its inputs at its own size (``AppearanceTrainer.semantic_inputs``), its softmax map is
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
    from_dict,
    to_dict,
)
from spt_core.errors import DataError
from spt_core.train.appearance import AppearanceTrainer, PersonSamples
from spt_core.train.loop import IndexSchedule

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


class JointTrainer(AppearanceTrainer):
    """G_S and G_A trained together through the soft target parsing (module docstring).

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
        check_sizes(semantic_model, appearance_model)
        if appearance_model.parsing_channels != semantic_model.num_labels - 1:
            raise ValueError("the appearance network must read the semantic network's labels")
        if appearance_model.local_enhancer and appearance_model.fade_in_alpha != 1.0:
            raise ValueError(
                f"joint training trains the fully faded-in 256-px model (alpha 1); the "
                f"appearance run's fade_in_alpha is {appearance_model.fade_in_alpha}"
            )
        # A finished 256-px run: alpha 1 and all parameters from the first step (no fixed
        # global phase, no ramp), so the one generator Adam is never rebuilt.
        super().__init__(
            samples,
            appearance_model,
            appearance_losses,
            train,
            run_dir,
            posenet=posenet,
            parsing_mode="gt",
            resume=resume,
            init_from=appearance_init,
            progressive=ProgressiveConfig(fix_global_steps=0, fade_in_steps=0),
        )
        self.pairs = np.asarray(pairs, dtype=np.int64).reshape(-1, 2)
        if not len(self.pairs) or self.pairs.max() >= len(samples) or self.pairs.min() < 0:
            raise ValueError(f"pairs must index the {len(samples)} samples")
        self.semantic_model, self.semantic_losses = semantic_model, semantic_losses
        self.semantic_init = semantic_init

    def build(self) -> None:
        import itertools

        from spt_core.models.discriminators import ParsingDiscriminator
        from spt_core.models.semantic import SemanticGenerator

        super().build()
        self.semantic_generator = self.dist.wrap(
            SemanticGenerator.from_config(self.semantic_model).to(self.device)
        )
        self.semantic_discriminator = self.dist.wrap(
            ParsingDiscriminator.from_config(self.semantic_model).to(self.device)
        )
        if self.semantic_init is not None and not self.resume:
            from spt_core.models.checkpoint import load_weights, read_config
            from spt_core.train.loop import resolve_checkpoint

            path = resolve_checkpoint(self.semantic_init)
            read_config(path, "semantic")
            load_weights(self.semantic_generator, path, "generator", device=self.device)
            load_weights(self.semantic_discriminator, path, "discriminator", device=self.device)
        self.optimizers = {
            "generator": self.make_adam(
                itertools.chain(self.generator.parameters(), self.semantic_generator.parameters())
            ),
            "discriminator": self.optimizers["discriminator"],
            "semantic_discriminator": self.make_adam(self.semantic_discriminator.parameters()),
        }
        n, b, w = len(self.pairs), self.train.batch_size, self.dist.world_size
        self.schedule = IndexSchedule(n, b, self.train.seed, self.dist.rank, w)

    def networks(self) -> dict:
        return {
            **super().networks(),  # generator, discriminator[, face_discriminator]
            "semantic_generator": self.semantic_generator,
            "semantic_discriminator": self.semantic_discriminator,
        }

    def config_dict(self) -> dict:
        return {
            "model": to_dict(self.model),
            "semantic_model": to_dict(self.semantic_model),
            "losses": to_dict(self.losses),
            "semantic_losses": to_dict(self.semantic_losses),
            "pose_loss": self.posenet is not None,
            "semantic_init": self._provenance("semantic_init", self.semantic_init),
            "appearance_init": self._provenance("appearance_init", self.init_from),
        }

    def predict_target(self, source, target):
        """G_S moving the source map to the target pose, at the semantic network's size.

        Returns:
            (logits, probabilities, inputs): float32 (B, 10, h, w) logits and softmax, and
            the ``semantic_inputs`` they were computed from (target labels, heat maps and
            pose mask at that size, for the cross-entropy and D_S).
        """
        import torch

        inputs = self.semantic_inputs(source, target, self.semantic_model)
        use_masks = self.semantic_model.use_pose_mask
        with self.autocast():
            logits = self.semantic_generator(
                lb.one_hot_torch(inputs["source_labels"]),
                inputs["source_heatmaps"],
                inputs["target_heatmaps"],
                inputs["source_mask"] if use_masks else None,
                inputs["target_mask"] if use_masks else None,
            )
        logits = logits.float()
        return logits, torch.softmax(logits, dim=1), inputs

    def train_step(self, step: int) -> dict[str, float]:
        from spt_core.losses.adversarial import lsgan_discriminator_loss, lsgan_generator_loss
        from spt_core.losses.parsing import pose_weighted_cross_entropy

        rows = self.schedule.indices(step)
        sigma = self.model.heatmap_sigma
        source = self.samples.batch(self.pairs[rows, 0], self.device, sigma)
        target = self.samples.batch(self.pairs[rows, 1], self.device, sigma)
        self.generator.train()
        self.semantic_generator.train()
        # L_S at the semantic network's own size.
        logits, probabilities, inputs = self.predict_target(source, target)
        target_labels, target_heatmaps = inputs["target_labels"], inputs["target_heatmaps"]
        cross_entropy = pose_weighted_cross_entropy(logits, target_labels, inputs["target_mask"])
        self.semantic_discriminator.requires_grad_(False)
        with self.autocast():
            semantic_adversarial = lsgan_generator_loss(
                self.semantic_discriminator(probabilities, target_heatmaps)
            )
        self.semantic_discriminator.requires_grad_(True)
        # The soft map itself (labels 1..9), upsampled to G_A's size when G_S works smaller,
        # goes to G_A: gradients of the image losses reach G_S through it.
        soft_map = self.to_model_size(probabilities)
        image_total, logs, fakes = self.generator_losses(source, target, soft_map[:, 1:], soft_map)
        total = (
            image_total
            + self.semantic_losses.cross_entropy * cross_entropy
            + self.semantic_losses.adversarial * semantic_adversarial
        )
        self.optimise("generator", total)
        logs.update(self.discriminator_step(source, soft_map[:, 1:], *fakes))

        real = lb.one_hot_torch(target_labels).to(probabilities.dtype)
        with self.autocast():
            d_semantic = lsgan_discriminator_loss(
                self.semantic_discriminator(real, target_heatmaps),
                self.semantic_discriminator(probabilities.detach(), target_heatmaps),
            )
        self.optimise("semantic_discriminator", d_semantic)
        logs.update(
            cross_entropy=float(cross_entropy.detach()),
            semantic_adversarial=float(semantic_adversarial.detach()),
            d_semantic=float(d_semantic.detach()),
            total=float(total.detach()),
        )
        if self.model.local_enhancer:
            logs["alpha"] = self.alpha
        return logs

    def preview(self) -> dict[str, np.ndarray]:
        """Rows: source | pseudo-label target | predicted parsing | generated."""
        import torch

        rows = np.arange(min(4, len(self.pairs)))
        source = self.samples.batch(self.pairs[rows, 0], self.device)
        target = self.samples.batch(self.pairs[rows, 1], self.device)
        self.generator.eval()
        self.semantic_generator.eval()
        with torch.no_grad():
            probabilities = self.to_model_size(self.predict_target(source, target)[1])
            fake = self.render(
                source["image"],
                source["parsing"],
                source["heatmaps"],
                probabilities[:, 1:],
                target["heatmaps"],
                source["poses"],
                target["poses"],
            )
        self.generator.train()
        self.semantic_generator.train()

        def to_rgb(images):
            return ((images.clamp(-1, 1) + 1) * 127.5).round().byte().permute(0, 2, 3, 1).cpu()

        parsing = lb.argmax_labels(probabilities)
        tiles = [
            to_rgb(source["image"]).numpy(),
            to_rgb(target["image"]).numpy(),
            np.stack([lb.colorize(p) for p in parsing]),
            to_rgb(fake).numpy(),
        ]
        return {
            "joint": np.concatenate(
                [np.concatenate([t[k] for t in tiles], axis=1) for k in range(len(rows))], axis=0
            )
        }


def load_joint_generators(checkpoint: str | Path, device="cpu"):
    """Both generators of a joint checkpoint (or run), in eval mode, each at its own size
    (a local-enhanced appearance network at its config's ``fade_in_alpha``, 1).

    Returns:
        (semantic generator, SemanticNetConfig, appearance generator, AppearanceNetConfig).

    Raises:
        CheckpointError: not a joint checkpoint, or weights that do not fit its config.
    """
    from spt_core.models.appearance import build_appearance_generator
    from spt_core.models.checkpoint import load_weights, read_config
    from spt_core.models.semantic import SemanticGenerator
    from spt_core.train.loop import resolve_checkpoint

    checkpoint = resolve_checkpoint(checkpoint)
    config = read_config(checkpoint, KIND)
    semantic_model = from_dict(SemanticNetConfig, config["semantic_model"])
    appearance_model = from_dict(AppearanceNetConfig, config["model"])
    semantic = SemanticGenerator.from_config(semantic_model).to(device)
    load_weights(semantic, checkpoint, "semantic_generator", device=device)
    appearance = build_appearance_generator(appearance_model).to(device)
    load_weights(appearance, checkpoint, "generator", device=device)
    return semantic.eval(), semantic_model, appearance.eval(), appearance_model


def check_sizes(semantic_model: SemanticNetConfig, appearance_model: AppearanceNetConfig) -> None:
    """Raise ValueError unless the semantic network works at the appearance network's size or
    at a smaller scaled copy of it (its map is then upsampled for G_A)."""
    from spt_core.data.parsing_pairs import scaled_copy

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
