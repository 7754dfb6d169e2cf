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
- One Adam holds G_A and G_S (the same learning rate); D_A and D_S have their own.
- Both networks start from pre-trained checkpoints (``semantic_init``, ``appearance_init``) and
  must work at the same size (the 128x64 setting). A local-enhanced (256-px) or face-GAN
  appearance network is refused: end-to-end training of the 256-px schedule is not built.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from spt_core import labels as lb
from spt_core import skeleton as sk
from spt_core.config import (
    AppearanceLossWeights,
    AppearanceNetConfig,
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
        samples: images, parsings and poses at the networks' size.
        pairs: (K, 2) sample indices (source, pseudo-label target), see
            :func:`pseudo_label_pairs`.
        semantic_model, appearance_model: the architectures (as in the init checkpoints).
        semantic_losses: weights of the pseudo-label cross-entropy and D_S's term.
        appearance_losses: weights of the image losses.
        train: optimisation settings.
        run_dir: output directory.
        semantic_init: semantic checkpoint or run whose G_S and D_S start this run.
        appearance_init: appearance checkpoint or run whose G_A and D_A start this run.
        posenet: frozen pose regressor for the pose loss (None: left out).
        resume: continue from the newest checkpoint of ``run_dir`` (the inits are then unused).
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
        if appearance_model.local_enhancer or appearance_model.face_gan:
            raise ValueError(
                "joint training covers the global appearance generator without the face GAN "
                "(the 128x64 setting); a local-enhanced or face-GAN appearance run is trained "
                "with `spt train appearance` (the 256-px schedule) and used with its semantic "
                "network as is"
            )
        if tuple(semantic_model.size) != tuple(appearance_model.size):
            raise ValueError(
                f"joint training needs both networks at one size; semantic "
                f"{semantic_model.size}, appearance {appearance_model.size}"
            )
        if appearance_model.parsing_channels != semantic_model.num_labels - 1:
            raise ValueError("the appearance network must read the semantic network's labels")
        super().__init__(samples, appearance_model, appearance_losses, train, run_dir,
                         posenet=posenet, parsing_mode="gt", resume=resume,
                         init_from=appearance_init)  # fmt: skip
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
                itertools.chain(
                    self.generator.parameters(), self.semantic_generator.parameters()
                )  # fmt: skip
            ),
            "discriminator": self.optimizers["discriminator"],
            "semantic_discriminator": self.make_adam(self.semantic_discriminator.parameters()),
        }
        n, b, w = len(self.pairs), self.train.batch_size, self.dist.world_size
        self.schedule = IndexSchedule(n, b, self.train.seed, self.dist.rank, w)

    def networks(self) -> dict:
        return {
            "generator": self.generator,
            "discriminator": self.discriminator,
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

    def _pose_masks(self, poses) -> object:
        import torch

        masks = np.stack(
            [sk.pose_mask(p, self.model.size, self.semantic_model.mask_radius) for p in poses]
        )
        return torch.from_numpy(masks).to(self.device)[:, None].float()

    def predict_target(self, source, target):
        """(logits, probabilities) of G_S for the source map moved to the target pose."""
        import torch

        source_mask, target_mask = (
            self._pose_masks(source["poses"]),
            self._pose_masks(target["poses"]),
        )
        use_masks = self.semantic_model.use_pose_mask
        with self.autocast():
            logits = self.semantic_generator(
                lb.one_hot_torch(source["labels"]),
                source["heatmaps"],
                target["heatmaps"],
                source_mask if use_masks else None,
                target_mask if use_masks else None,
            )
        logits = logits.float()
        return logits, torch.softmax(logits, dim=1), target_mask

    def train_step(self, step: int) -> dict[str, float]:
        from spt_core.losses.adversarial import lsgan_discriminator_loss, lsgan_generator_loss
        from spt_core.losses.parsing import pose_weighted_cross_entropy

        rows = self.schedule.indices(step)
        sigma = self.model.heatmap_sigma
        source = self.samples.batch(self.pairs[rows, 0], self.device, sigma)
        target = self.samples.batch(self.pairs[rows, 1], self.device, sigma)
        self.generator.train()
        self.semantic_generator.train()
        logits, probabilities, target_mask = self.predict_target(source, target)
        cross_entropy = pose_weighted_cross_entropy(logits, target["labels"], target_mask)
        self.semantic_discriminator.requires_grad_(False)
        with self.autocast():
            semantic_adversarial = lsgan_generator_loss(
                self.semantic_discriminator(probabilities, target["heatmaps"])
            )
        self.semantic_discriminator.requires_grad_(True)
        # The soft map itself (labels 1..9) goes to G_A: gradients of the image losses reach G_S.
        image_total, logs, fakes = self.generator_losses(
            source, target, probabilities[:, 1:], probabilities
        )
        total = (
            image_total
            + self.semantic_losses.cross_entropy * cross_entropy
            + self.semantic_losses.adversarial * semantic_adversarial
        )
        self.optimise("generator", total)
        logs.update(self.discriminator_step(source, probabilities[:, 1:], *fakes))

        real = lb.one_hot_torch(target["labels"]).to(probabilities.dtype)
        with self.autocast():
            d_semantic = lsgan_discriminator_loss(
                self.semantic_discriminator(real, target["heatmaps"]),
                self.semantic_discriminator(probabilities.detach(), target["heatmaps"]),
            )
        self.optimise("semantic_discriminator", d_semantic)
        logs.update(
            cross_entropy=float(cross_entropy.detach()),
            semantic_adversarial=float(semantic_adversarial.detach()),
            d_semantic=float(d_semantic.detach()),
            total=float(total.detach()),
        )
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
            _, probabilities, _ = self.predict_target(source, target)
            fake = self.render(source["image"], source["parsing"], source["heatmaps"],
                               probabilities[:, 1:], target["heatmaps"], source["poses"],
                               target["poses"])  # fmt: skip
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
        return {"joint": np.concatenate(
            [np.concatenate([t[k] for t in tiles], axis=1) for k in range(len(rows))], axis=0
        )}  # fmt: skip


def load_joint_generators(checkpoint: str | Path, device="cpu"):
    """Both generators of a joint checkpoint (or run), in eval mode.

    Returns:
        (semantic generator, SemanticNetConfig, appearance generator, AppearanceNetConfig).

    Raises:
        CheckpointError: not a joint checkpoint, or weights that do not fit its config.
    """
    from spt_core.models.appearance import AppearanceGenerator
    from spt_core.models.checkpoint import load_weights, read_config
    from spt_core.models.semantic import SemanticGenerator
    from spt_core.train.loop import resolve_checkpoint

    checkpoint = resolve_checkpoint(checkpoint)
    config = read_config(checkpoint, KIND)
    semantic_model = from_dict(SemanticNetConfig, config["semantic_model"])
    appearance_model = from_dict(AppearanceNetConfig, config["model"])
    semantic = SemanticGenerator.from_config(semantic_model).to(device)
    load_weights(semantic, checkpoint, "semantic_generator", device=device)
    appearance = AppearanceGenerator.from_config(appearance_model).to(device)
    load_weights(appearance, checkpoint, "generator", device=device)
    return semantic.eval(), semantic_model, appearance.eval(), appearance_model
