"""Pre-training of the semantic generative network on pseudo labels (method §3, §5)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from spt_core import labels as lb
from spt_core import skeleton as sk
from spt_core.config import SemanticLossWeights, SemanticNetConfig, TrainConfig, to_dict
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
        self.architecture = model
        self.losses = losses

    def build(self) -> None:
        from spt_core.losses.objectives import SemanticObjective
        from spt_core.models.discriminators import ParsingDiscriminator
        from spt_core.models.loading import build_network

        self.generator = self.dist.wrap(build_network(self.architecture).to(self.device))
        self.discriminator = self.dist.wrap(
            ParsingDiscriminator.from_config(self.architecture).to(self.device)
        )
        self.objective = SemanticObjective(self.losses, self.autocast)
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
        return {"model": to_dict(self.architecture), "losses": to_dict(self.losses)}

    def _batch(self, rows):
        return self.pairs.batch(
            rows, self.device, self.architecture.heatmap_sigma, self.architecture.use_pose_mask
        )

    def train_step(self, step: int) -> dict[str, float]:
        batch = self._batch(self.schedule.indices(step))
        self.generator.train()
        self.discriminator.train()
        with self.autocast():
            logits = self.generator(*batch.generator_args())
        losses = self.objective.generator_losses(
            logits,
            batch.target_labels,
            batch.target_mask,
            batch.target_heatmaps,
            self.discriminator,
        )
        self.optimise("generator", losses["total"])
        d_loss = self.objective.discriminator_loss(
            losses["probabilities"], batch.target_labels, batch.target_heatmaps, self.discriminator
        )
        self.optimise("discriminator", d_loss)
        return {
            "cross_entropy": float(losses["cross_entropy"].detach()),
            "g_adversarial": float(losses["adversarial"].detach()),
            "g_total": float(losses["total"].detach()),
            "d": float(d_loss.detach()),
        }

    def preview(self) -> dict[str, np.ndarray]:
        """Rows: source map + pose | target pose | pseudo label | prediction."""
        import torch

        batch = self._batch(self.preview_rows)
        self.generator.eval()
        with torch.no_grad():
            predicted = lb.argmax_labels(self.generator(*batch.generator_args()))
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
