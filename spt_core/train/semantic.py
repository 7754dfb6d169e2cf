"""Pre-training of the semantic generative network on pseudo labels (method §3, §5)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from spt_core import labels as lb
from spt_core import skeleton as sk
from spt_core.config import (
    SemanticLossWeights,
    SemanticNetConfig,
    TrainConfig,
    from_dict,
    to_dict,
)
from spt_core.data.parsing_pairs import ParsingPairs
from spt_core.train.loop import IndexSchedule, Trainer

KIND = "semantic"


class SemanticTrainer(Trainer):
    """G_S against D_S: (1 + M_t)-weighted cross-entropy to the pseudo label plus LSGAN.

    Args:
        pairs: training pairs (source -> pseudo-label target) at ``model.size``.
        model: network configuration.
        losses: loss weights.
        train: optimisation settings.
        run_dir: output directory.
        resume: continue from the newest checkpoint in ``run_dir``.
    """

    kind = KIND

    def __init__(
        self,
        pairs: ParsingPairs,
        model: SemanticNetConfig,
        losses: SemanticLossWeights,
        train: TrainConfig,
        run_dir: str | Path,
        resume: bool = False,
    ):
        super().__init__(train, run_dir, resume)
        if tuple(pairs.size) != tuple(model.size):
            raise ValueError(f"pairs are {pairs.size} but the network works at {model.size}")
        self.pairs = pairs
        self.model = model
        self.losses = losses

    def build(self) -> None:
        from spt_core.models.discriminators import ParsingDiscriminator
        from spt_core.models.semantic import SemanticGenerator

        self.generator = self.dist.wrap(SemanticGenerator.from_config(self.model).to(self.device))
        self.discriminator = self.dist.wrap(
            ParsingDiscriminator.from_config(self.model).to(self.device)
        )
        self.optimizers = {
            "generator": self.make_adam(self.generator.parameters()),
            "discriminator": self.make_adam(self.discriminator.parameters()),
        }
        self.schedule = IndexSchedule(
            len(self.pairs),
            self.train.batch_size,
            self.train.seed,
            self.dist.rank,
            self.dist.world_size,
        )
        preview_rng = np.random.default_rng(self.train.seed)
        self.preview_rows = preview_rng.choice(
            len(self.pairs), size=min(4, len(self.pairs)), replace=False
        )

    def networks(self) -> dict:
        return {"generator": self.generator, "discriminator": self.discriminator}

    def config_dict(self) -> dict:
        return {"model": to_dict(self.model), "losses": to_dict(self.losses)}

    def _forward(self, batch):
        return self.generator(
            batch["source_parsing"],
            batch["source_heatmaps"],
            batch["target_heatmaps"],
            batch["source_mask"] if self.model.use_pose_mask else None,
            batch["target_mask"] if self.model.use_pose_mask else None,
        )

    def train_step(self, step: int) -> dict[str, float]:
        import torch

        from spt_core.losses.adversarial import lsgan_discriminator_loss, lsgan_generator_loss
        from spt_core.losses.parsing import pose_weighted_cross_entropy

        batch = self.pairs.batch(self.schedule.indices(step), self.device, self.model.heatmap_sigma)
        self.generator.train()
        self.discriminator.train()
        with self.autocast():
            logits = self._forward(batch)
            probabilities = torch.softmax(logits.float(), dim=1)
            cross_entropy = pose_weighted_cross_entropy(
                logits.float(), batch["target_labels"], batch["target_mask"]
            )
            self.discriminator.requires_grad_(False)
            adversarial = lsgan_generator_loss(
                self.discriminator(probabilities, batch["target_heatmaps"])
            )
            self.discriminator.requires_grad_(True)
            total = (
                self.losses.cross_entropy * cross_entropy + self.losses.adversarial * adversarial
            )
        self.optimise("generator", total)

        real = lb.one_hot_torch(batch["target_labels"]).to(probabilities.dtype)
        with self.autocast():
            d_loss = lsgan_discriminator_loss(
                self.discriminator(real, batch["target_heatmaps"]),
                self.discriminator(probabilities.detach(), batch["target_heatmaps"]),
            )
        self.optimise("discriminator", d_loss)
        return {
            "cross_entropy": float(cross_entropy.detach()),
            "g_adversarial": float(adversarial.detach()),
            "g_total": float(total.detach()),
            "d": float(d_loss.detach()),
        }

    def preview(self) -> dict[str, np.ndarray]:
        """Rows: source map + pose | target pose | pseudo label | prediction."""
        import torch

        batch = self.pairs.batch(self.preview_rows, self.device, self.model.heatmap_sigma)
        self.generator.eval()
        with torch.no_grad():
            predicted = lb.argmax_labels(self._forward(batch))
        self.generator.train()
        rows = []
        for k, row in enumerate(self.preview_rows):
            source, target = self.pairs.pairs[row]
            blank = np.zeros((*self.pairs.size, 3), np.uint8)
            tiles = [
                sk.draw_skeleton(
                    lb.colorize(self.pairs.parsings[source]), self.pairs.poses[source]
                ),
                sk.draw_skeleton(blank, self.pairs.poses[target]),
                lb.colorize(self.pairs.parsings[target]),
                lb.colorize(predicted[k]),
            ]
            rows.append(np.concatenate(tiles, axis=1))
        return {"semantic": np.concatenate(rows, axis=0)}


def load_semantic_generator(checkpoint: str | Path, device="cpu"):
    """The generator of a semantic checkpoint directory (or run directory), in eval mode.

    Raises:
        CheckpointError: not a semantic checkpoint, or weights that do not fit its config.
    """
    from spt_core.models.checkpoint import load_weights, read_config
    from spt_core.models.semantic import SemanticGenerator
    from spt_core.train.loop import resolve_checkpoint

    checkpoint = resolve_checkpoint(checkpoint)
    config = read_config(checkpoint, KIND)
    model = from_dict(SemanticNetConfig, config["model"])
    generator = SemanticGenerator.from_config(model).to(device)
    load_weights(generator, checkpoint, "generator", device=device)
    generator.eval()
    return generator, model
