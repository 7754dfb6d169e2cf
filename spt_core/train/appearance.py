"""Training of the appearance generative network on unpaired data (method §4, §5).

Each step takes a source sample (I_s, S_s, P_s) and a target pose P_t with its parsing S_t,
renders I~_t = G(I_s, S_s, P_s, S_t, P_t), closes the cycle I~_s = G(I~_t, S_t, P_t, S_s, P_s),
and trains G with LSGAN (D_A on image | parsing), the frozen pose regressor's loss, the VGG
content loss of the cycle and the semantic-aware style loss; then D_A. No image of the source
person in the target pose is ever used.

Target parsing (``parsing_mode``): "gt" takes S_t from the image the target pose comes from
(another person's real map in that pose: the unpaired analogue of TS-GT); "predicted" asks a
trained semantic network for the source person's map in the target pose (TS-Pred).

The Baseline of the ablation (method §7.3) is this trainer with ``parsing_channels=0`` (no
semantic maps reach G_A or D_A) and ``style_variant="mask"``: its one person mask per image is
the PG2 pose mask, since a network without semantic maps has no map to take it from.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from spt_core import labels as lb
from spt_core.config import AppearanceLossWeights, AppearanceNetConfig, TrainConfig, to_dict
from spt_core.data.dataset import PersonDataset
from spt_core.data.parsing_pairs import fit_geometry, fit_labels, fit_poses
from spt_core.train.loop import IndexSchedule, Trainer

KIND = "appearance"


def fit_images(images: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """RGB images (N, H0, W0, 3) resized (area) and padded with black to ``size``."""
    import cv2

    if images.shape[1:3] == tuple(size):
        return images
    scale, pad_x, pad_y = fit_geometry(images.shape[1:3], size)
    new_h, new_w = round(images.shape[1] * scale), round(images.shape[2] * scale)
    out = np.zeros((len(images), *size, 3), np.uint8)
    for i, image in enumerate(images):
        out[i, pad_y : pad_y + new_h, pad_x : pad_x + new_w] = cv2.resize(
            image, (new_w, new_h), interpolation=cv2.INTER_AREA
        )
    return out


class PersonSamples:
    """Images, parsings and poses of a dataset in memory, at the network's size."""

    def __init__(self, images: np.ndarray, parsings: np.ndarray, poses: np.ndarray,
                 size: tuple[int, int]):  # fmt: skip
        self.size = tuple(size)
        self.images = fit_images(images, self.size)
        self.parsings = fit_labels(parsings, self.size)
        self.poses = fit_poses(poses, images.shape[1:3], self.size)

    @classmethod
    def from_dataset(cls, dataset: PersonDataset, size) -> PersonSamples:
        images = np.stack([dataset.load_image(i) for i in range(len(dataset))])
        return cls(images, dataset.load_all_parsings(), dataset.poses, size)

    def __len__(self) -> int:
        return len(self.images)

    def batch(self, rows, device, sigma: float = 6.0) -> dict:
        """Images in [-1, 1], 9-channel parsings (labels 1..9), heat maps, label maps, poses."""
        import torch

        from spt_core.skeleton import pose_heatmaps_torch

        rows = np.asarray(rows)
        images = torch.from_numpy(self.images[rows]).to(device).permute(0, 3, 1, 2).float()
        labels = torch.from_numpy(self.parsings[rows]).to(device).long()
        poses = self.poses[rows]
        return {
            "image": images / 127.5 - 1.0,
            "labels": labels,
            "parsing": lb.one_hot_torch(labels)[:, 1:],
            "heatmaps": pose_heatmaps_torch(torch.from_numpy(poses).to(device), self.size, sigma),
            "poses": poses,
        }


class AppearanceTrainer(Trainer):
    """G_A against D_A on unpaired samples (see the module docstring).

    Args:
        samples: training images with parsings and poses at ``model.size``.
        model: network configuration.
        losses: loss weights.
        train: optimisation settings.
        run_dir: output directory.
        posenet: frozen pose regressor (or None: the pose loss is then left out and the
            config records it).
        semantic: (generator, SemanticNetConfig) for ``parsing_mode="predicted"``.
        resume: continue from the newest checkpoint of ``run_dir``.
        init_from: an appearance checkpoint (or run) whose generator and discriminator weights
            start this run (fine-tuning; ignored when resuming). Its architecture must match.
    """

    kind = KIND

    def __init__(
        self,
        samples: PersonSamples,
        model: AppearanceNetConfig,
        losses: AppearanceLossWeights,
        train: TrainConfig,
        run_dir: str | Path,
        posenet=None,
        semantic=None,
        parsing_mode: str = "gt",
        resume: bool = False,
        init_from: str | Path | None = None,
    ):
        super().__init__(train, run_dir, resume)
        if parsing_mode not in ("gt", "predicted"):
            raise ValueError(f"parsing_mode must be 'gt' or 'predicted', got {parsing_mode!r}")
        if parsing_mode == "predicted" and semantic is None:
            raise ValueError("parsing_mode 'predicted' needs a trained semantic network")
        if model.local_enhancer or model.face_gan:
            raise ValueError(
                "this trainer covers the global generator without the face GAN "
                "(the 128x64 setting); the 256-px schedule is not implemented yet"
            )
        if model.parsing_channels not in (0, 9):
            raise ValueError(
                f"parsing_channels must be 9 (labels 1..9) or 0 (Baseline), got "
                f"{model.parsing_channels}"
            )
        self.samples, self.model, self.losses = samples, model, losses
        self.posenet, self.semantic, self.parsing_mode = posenet, semantic, parsing_mode
        self.init_from = init_from
        self.uses_parsing = model.parsing_channels > 0

    def build(self) -> None:
        from spt_core.losses.perceptual import VGGFeatures
        from spt_core.models.appearance import AppearanceGenerator
        from spt_core.models.appearance_discriminators import ImageDiscriminator

        self.generator = self.dist.wrap(AppearanceGenerator.from_config(self.model).to(self.device))
        self.discriminator = self.dist.wrap(
            ImageDiscriminator.from_config(self.model).to(self.device)
        )
        self.optimizers = {
            "generator": self.make_adam(self.generator.parameters()),
            "discriminator": self.make_adam(self.discriminator.parameters()),
        }
        if self.init_from is not None and not self.resume:
            self._initialise_from(self.init_from)
        self.vgg = VGGFeatures(device=self.device)
        if self.posenet is not None:
            self.posenet = self.posenet.to(self.device).eval().requires_grad_(False)
        # Two independent index streams: sources, and the samples whose pose is the target.
        n, b, w = len(self.samples), self.train.batch_size, self.dist.world_size
        self.sources = IndexSchedule(n, b, self.train.seed, self.dist.rank, w)
        self.targets = IndexSchedule(n, b, self.train.seed + 7919, self.dist.rank, w)

    def _initialise_from(self, checkpoint) -> None:
        from spt_core.models.checkpoint import load_weights, read_config
        from spt_core.train.loop import resolve_checkpoint

        path = resolve_checkpoint(checkpoint)
        read_config(path, KIND)
        load_weights(self.generator, path, "generator", device=self.device)
        load_weights(self.discriminator, path, "discriminator", device=self.device)
        self.initialised_from = str(path)

    def networks(self) -> dict:
        return {"generator": self.generator, "discriminator": self.discriminator}

    def config_dict(self) -> dict:
        return {
            "model": to_dict(self.model),
            "losses": to_dict(self.losses),
            "parsing_mode": self.parsing_mode,
            "pose_loss": self.posenet is not None,
            "init_from": self._provenance("init_from", self.init_from),
        }

    def _provenance(self, key: str, value):
        """A starting run's path, or on resume the one the run was started from."""
        if value is not None:
            return str(value)
        return self.restored_config.get(key)

    def _net(self, parsing):
        """What G_A and D_A see of a parsing: all of it, or nothing for the Baseline."""
        return parsing if self.uses_parsing else parsing[:, :0]

    def _style_loss(self, features1, map1, poses1, features2, map2, poses2):
        """The configured style loss between two images with their maps (or poses)."""
        from spt_core.losses.style import mask_style_loss, patch_style_loss, semantic_style_loss

        variant = self.losses.style_variant
        if variant == "semantic":
            return semantic_style_loss(features1, map1, features2, map2)
        if variant == "patch":
            import torch

            return patch_style_loss(features1, torch.from_numpy(poses1).to(self.device),
                                    features2, torch.from_numpy(poses2).to(self.device),
                                    self.model.size)  # fmt: skip
        return mask_style_loss(features1, map1, features2, map2)

    def _person_maps(self, source, target, target_style_map):
        """The maps the style loss reads: parsings, or for the Baseline the pose masks."""
        import torch

        if self.uses_parsing:
            return source["labels"], target_style_map
        from spt_core import skeleton as sk

        return tuple(
            torch.from_numpy(np.stack([sk.pose_mask(p, self.model.size) for p in item["poses"]]))
            .to(self.device).long()
            for item in (source, target)
        )  # fmt: skip

    def _target_parsing(self, source, target):
        """9-channel target parsing: the target image's map, or H_S's prediction."""
        import torch

        if self.parsing_mode == "gt":
            return target["parsing"], target["labels"]
        generator, config = self.semantic
        with torch.no_grad():
            probabilities = generator.predict(
                lb.one_hot_torch(source["labels"]),
                source["heatmaps"],
                target["heatmaps"],
                *self._masks(source, target, config),
            )
        return probabilities[:, 1:], probabilities

    def _masks(self, source, target, config):
        import torch

        from spt_core import skeleton as sk

        if not config.use_pose_mask:
            return None, None
        return tuple(
            torch.from_numpy(np.stack([sk.pose_mask(p, self.model.size, config.mask_radius)
                                       for p in item["poses"]])).to(self.device)[:, None].float()
            for item in (source, target)
        )  # fmt: skip

    def render(self, source, source_parsing, source_heatmaps, target_parsing, target_heatmaps,
               source_poses, target_poses):  # fmt: skip
        from spt_core.models.appearance import part_warp_inputs

        thetas, masks = part_warp_inputs(source_poses, target_poses, self.model.size, self.device)
        return self.generator(source, source_parsing, source_heatmaps, target_parsing,
                              target_heatmaps, thetas, masks)  # fmt: skip

    def train_step(self, step: int) -> dict[str, float]:
        sigma = self.model.heatmap_sigma
        source = self.samples.batch(self.sources.indices(step), self.device, sigma)
        target = self.samples.batch(self.targets.indices(step), self.device, sigma)
        target_parsing, target_style_map = self._target_parsing(source, target)
        self.generator.train()
        total, logs, fakes = self.generator_losses(source, target, target_parsing,
                                                   target_style_map)  # fmt: skip
        self.optimise("generator", total)
        logs["d"] = self.discriminator_step(source, target_parsing, *fakes)
        return logs

    def generator_losses(self, source, target, target_parsing, target_style_map):
        """L_A of one batch: (total, named floats, (fake target, fake source)).

        ``target_parsing`` (9 channels) may carry gradients (joint training): the image losses
        then reach whatever produced it.
        """
        import torch

        from spt_core.losses.adversarial import lsgan_generator_loss
        from spt_core.losses.perceptual import content_loss
        from spt_core.losses.pose import pose_loss_from_images

        net_target, net_source = self._net(target_parsing), self._net(source["parsing"])
        with self.autocast():
            fake_target = self.render(source["image"], net_source, source["heatmaps"],
                                      net_target, target["heatmaps"], source["poses"],
                                      target["poses"])  # fmt: skip
            fake_source = self.render(fake_target, net_target, target["heatmaps"],
                                      net_source, source["heatmaps"], target["poses"],
                                      source["poses"])  # fmt: skip
            self.discriminator.requires_grad_(False)
            adversarial = lsgan_generator_loss([
                self.discriminator(fake_target, net_target),
                self.discriminator(fake_source, net_source),
            ])  # fmt: skip
            self.discriminator.requires_grad_(True)
        # The perceptual terms run in float32: Gram matrices overflow float16.
        scale = self.losses.feature_scale
        with torch.no_grad():
            real_features = self.vgg(source["image"]) * scale
        target_features = self.vgg(fake_target.float()) * scale
        cycle_features = self.vgg(fake_source.float()) * scale
        content = content_loss(cycle_features, real_features)
        source_map, target_map = self._person_maps(source, target, target_style_map)
        style = self._style_loss(
            target_features, target_map, target["poses"],
            real_features, source_map, source["poses"],
        ) + self._style_loss(
            cycle_features, source_map, source["poses"],
            target_features, target_map, target["poses"],
        )  # fmt: skip
        total = self.losses.adversarial * adversarial + self.losses.content * content
        total = total + self.losses.style * style
        pose = torch.zeros((), device=self.device)
        if self.posenet is not None:
            pose = pose_loss_from_images(self.posenet, fake_target, target["heatmaps"])
            pose = pose + pose_loss_from_images(self.posenet, fake_source, source["heatmaps"])
            total = total + self.losses.pose * pose
        logs = {
            "g_adversarial": float(adversarial.detach()),
            "content": float(content.detach()),
            "style": float(style.detach()),
            "pose": float(pose.detach()),
            "g_total": float(total.detach()),
        }
        return total, logs, (fake_target, fake_source)

    def discriminator_step(self, source, target_parsing, fake_target, fake_source) -> float:
        """One D_A update on real sources against both (detached) fakes; returns its loss."""
        from spt_core.losses.adversarial import lsgan_discriminator_loss

        net_target, net_source = self._net(target_parsing.detach()), self._net(source["parsing"])
        with self.autocast():
            real_scores = self.discriminator(source["image"], net_source)
            d_loss = lsgan_discriminator_loss(
                [real_scores, real_scores],
                [self.discriminator(fake_target.detach(), net_target),
                 self.discriminator(fake_source.detach(), net_source)],
            )  # fmt: skip
        self.optimise("discriminator", d_loss)
        return float(d_loss.detach())

    def preview(self) -> dict[str, np.ndarray]:
        """Rows: source | the image the target pose comes from | generated."""
        import torch

        rows = np.arange(min(4, len(self.samples)))
        targets = (rows + 1) % len(self.samples)
        source = self.samples.batch(rows, self.device)
        target = self.samples.batch(targets, self.device)
        self.generator.eval()
        with torch.no_grad():
            target_parsing, _ = self._target_parsing(source, target)
            fake = self.render(source["image"], self._net(source["parsing"]),
                               source["heatmaps"], self._net(target_parsing),
                               target["heatmaps"], source["poses"], target["poses"])  # fmt: skip
        self.generator.train()

        def to_rgb(images):
            return ((images.clamp(-1, 1) + 1) * 127.5).round().byte().permute(0, 2, 3, 1).cpu()

        tiles = [to_rgb(source["image"]), to_rgb(target["image"]), to_rgb(fake)]
        return {"appearance": np.concatenate(
            [np.concatenate([t[k].numpy() for t in tiles], axis=1) for k in range(len(rows))],
            axis=0,
        )}  # fmt: skip


def load_appearance_generator(checkpoint: str | Path, device="cpu"):
    """The generator of an appearance checkpoint (or run directory), in eval mode.

    Raises:
        CheckpointError: not an appearance checkpoint, or weights that do not fit its config.
    """
    from spt_core.config import from_dict
    from spt_core.models.appearance import AppearanceGenerator
    from spt_core.models.checkpoint import load_weights, read_config
    from spt_core.train.loop import resolve_checkpoint

    checkpoint = resolve_checkpoint(checkpoint)
    config = read_config(checkpoint, KIND)
    model = from_dict(AppearanceNetConfig, config["model"])
    generator = AppearanceGenerator.from_config(model).to(device)
    load_weights(generator, checkpoint, "generator", device=device)
    generator.eval()
    return generator, model
