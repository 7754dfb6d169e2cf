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

With ``face_gan`` the face crops (method §4.4) of I~_t (target pose) and I~_s (source pose)
also face D_F, whose real sample is the face of I_s; D_A and D_F share one Adam (the
"discriminator" optimiser). With ``local_enhancer`` the generator is the 256-px
``LocalEnhancedGenerator`` trained by the schedule of ``ProgressiveConfig`` (method §5.1):
global part (and D_A, D_F) from a 128-px run, the local enhancer alone for
``fix_global_steps``, then everything; alpha = min(1, step / ``fade_in_steps``) for the
generator and D_F. Both are functions of the step, so a resumed run repeats an uninterrupted
one.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from spt_core import labels as lb
from spt_core.config import (
    AppearanceLossWeights,
    AppearanceNetConfig,
    ProgressiveConfig,
    TrainConfig,
    to_dict,
)
from spt_core.data.dataset import PersonDataset
from spt_core.data.parsing_pairs import fit_geometry, fit_labels, fit_poses, scaled_copy
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

    def __init__(
        self, images: np.ndarray, parsings: np.ndarray, poses: np.ndarray, size: tuple[int, int]
    ):
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
        progressive: the 256-px schedule (used with ``model.local_enhancer``; default
            ``ProgressiveConfig()``).

    Raises:
        ValueError: a combination this trainer cannot train (see ``check_setup``).
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
        progressive: ProgressiveConfig | None = None,
    ):
        super().__init__(train, run_dir, resume)
        if parsing_mode not in ("gt", "predicted"):
            raise ValueError(f"parsing_mode must be 'gt' or 'predicted', got {parsing_mode!r}")
        if parsing_mode == "predicted" and semantic is None:
            raise ValueError("parsing_mode 'predicted' needs a trained semantic network")
        if parsing_mode == "predicted" and not scaled_copy(semantic[1].size, model.size):
            raise ValueError(
                f"the semantic network works at {semantic[1].size}: it must work at the "
                f"appearance network's size {model.size} or a scaled copy of it"
            )
        progressive = ProgressiveConfig() if progressive is None else progressive
        check_setup(model, progressive, init_from)
        if model.parsing_channels not in (0, 9):
            raise ValueError(
                f"parsing_channels must be 9 (labels 1..9) or 0 (Baseline), got "
                f"{model.parsing_channels}"
            )
        self.samples, self.model, self.losses = samples, model, losses
        self.posenet, self.semantic, self.parsing_mode = posenet, semantic, parsing_mode
        self.init_from = init_from
        self.progressive = progressive
        self.uses_parsing = model.parsing_channels > 0
        # The fade-in weight of the current step (set by ``prepare_step``).
        self.alpha = progressive.alpha(0) if model.local_enhancer else 1.0
        self.face_discriminator = None
        self._generator_scope: str | None = None

    def build(self) -> None:
        from spt_core.losses.perceptual import VGGFeatures
        from spt_core.models.appearance import build_appearance_generator
        from spt_core.models.appearance_discriminators import FaceDiscriminator, ImageDiscriminator

        self.generator = self.dist.wrap(build_appearance_generator(self.model).to(self.device))
        self.discriminator = self.dist.wrap(
            ImageDiscriminator.from_config(self.model).to(self.device)
        )
        discriminator_parameters = list(self.discriminator.parameters())
        if self.model.face_gan:
            self.face_discriminator = self.dist.wrap(
                FaceDiscriminator.from_config(self.model).to(self.device)
            )
            discriminator_parameters += list(self.face_discriminator.parameters())
        # One Adam for D_A and D_F (method §4.5); the generator's is made for step 0's phase.
        self.optimizers = {"generator": None, "discriminator": None}
        self._set_generator_scope(self._scope_of(0))
        self.optimizers["discriminator"] = self.make_adam(discriminator_parameters)
        if self.init_from is not None and not self.resume:
            self._initialise_from(self.init_from)
        if self.progressive.global_from and not self.resume:
            self._initialise_from_global(Path(self.progressive.global_from).expanduser())
        self.vgg = VGGFeatures(device=self.device)
        if self.posenet is not None:
            self.posenet = self.posenet.to(self.device).eval().requires_grad_(False)
        # Two independent index streams: sources, and the samples whose pose is the target.
        n, b, w = len(self.samples), self.train.batch_size, self.dist.world_size
        self.sources = IndexSchedule(n, b, self.train.seed, self.dist.rank, w)
        self.targets = IndexSchedule(n, b, self.train.seed + 7919, self.dist.rank, w)

    # ---- the 256-px schedule ------------------------------------------------------------------

    def _scope_of(self, step: int) -> str:
        """The generator scope of a step: "local" while the global part is fixed, else "all"."""
        if self.model.local_enhancer and self.progressive.fixes_global(step):
            return "local"
        return "all"

    def _set_generator_scope(self, scope: str) -> None:
        """A fresh generator Adam over the local enhancer's or all parameters
        (pix2pixHD's ``update_fixed_params`` at the phase change)."""
        generator = getattr(self.generator, "module", self.generator)
        parameters = (
            generator.local_parameters() if scope == "local" else self.generator.parameters()
        )
        self.optimizers["generator"] = self.make_adam(parameters)
        self._generator_scope = scope

    def prepare_step(self, step: int) -> None:
        """The fade-in weight of ``step``; the full generator optimiser once the global part
        is no longer fixed."""
        if self.model.local_enhancer:
            self.alpha = self.progressive.alpha(step)
        scope = self._scope_of(step)
        if scope != self._generator_scope:
            self._set_generator_scope(scope)

    def _initialise_from(self, checkpoint) -> None:
        from spt_core.models.checkpoint import load_weights, read_config
        from spt_core.train.loop import resolve_checkpoint

        path = resolve_checkpoint(checkpoint)
        read_config(path, KIND)
        load_weights(self.generator, path, "generator", device=self.device)
        load_weights(self.discriminator, path, "discriminator", device=self.device)
        if self.face_discriminator is not None:
            load_weights(self.face_discriminator, path, "face_discriminator", device=self.device)
        self.initialised_from = str(path)

    def _initialise_from_global(self, checkpoint) -> None:
        """Generator -> the global part, D_A -> D_A, D_F -> D_F's 128-px path (method §5.1).

        Raises:
            CheckpointError: not an appearance run, or not a global-only run of this model's
                core (the message names every difference).
        """
        from spt_core.config import from_dict
        from spt_core.models.appearance_discriminators import FaceDiscriminator
        from spt_core.models.checkpoint import CheckpointError, load_weights, read_config
        from spt_core.train.loop import resolve_checkpoint

        path = resolve_checkpoint(checkpoint)
        config = read_config(path, KIND)
        try:
            source = from_dict(AppearanceNetConfig, config["model"])
        except (KeyError, TypeError, ValueError) as exc:
            raise CheckpointError(f"{path}: no usable appearance model config ({exc})") from None
        problems = global_mismatches(self.model, source)
        if problems:
            raise CheckpointError(
                f"{path}: global_from must be a global-only appearance run of this model's "
                f"core ({self.model.core_size[0]}x{self.model.core_size[1]}, same "
                f"architecture); {'; '.join(problems)}"
            )
        generator = getattr(self.generator, "module", self.generator)
        load_weights(generator.global_generator, path, "generator", device=self.device)
        load_weights(self.discriminator, path, "discriminator", device=self.device)
        if self.face_discriminator is not None and source.face_gan:
            plain = FaceDiscriminator.from_config(source).to(self.device)
            load_weights(plain, path, "face_discriminator", device=self.device)
            face = getattr(self.face_discriminator, "module", self.face_discriminator)
            face.patch.load_state_dict(plain.patch.state_dict())
        self.initialised_from = str(path)

    def networks(self) -> dict:
        nets = {"generator": self.generator, "discriminator": self.discriminator}
        if self.face_discriminator is not None:
            nets["face_discriminator"] = self.face_discriminator
        return nets

    def config_dict(self) -> dict:
        progressive = to_dict(self.progressive)
        restored = self.restored_config.get("progressive") or {}
        progressive["global_from"] = self.progressive.global_from or restored.get("global_from", "")
        return {
            "model": to_dict(self.model),
            "losses": to_dict(self.losses),
            "progressive": progressive,
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

            return patch_style_loss(
                features1,
                torch.from_numpy(poses1).to(self.device),
                features2,
                torch.from_numpy(poses2).to(self.device),
                self.model.size,
            )
        return mask_style_loss(features1, map1, features2, map2)

    def _person_maps(self, source, target, target_style_map):
        """The maps the style loss reads: parsings, or for the Baseline the pose masks."""
        import torch

        if self.uses_parsing:
            return source["labels"], target_style_map
        from spt_core import skeleton as sk

        return tuple(
            torch.from_numpy(np.stack([sk.pose_mask(p, self.model.size) for p in item["poses"]]))
            .to(self.device)
            .long()
            for item in (source, target)
        )

    def _target_parsing(self, source, target):
        """9-channel target parsing: the target image's map, or H_S's prediction.

        A semantic network at another (proportional) size, e.g. 128x128 for a 256x256 model
        (the paper predicts 256-px maps at 128), gets its inputs rescaled and its
        probabilities are resized bilinearly (``semantic_inputs``, ``to_model_size``).
        """
        import torch

        if self.parsing_mode == "gt":
            return target["parsing"], target["labels"]
        generator, config = self.semantic
        inputs = self.semantic_inputs(source, target, config)
        masks = (inputs["source_mask"], inputs["target_mask"])
        with torch.no_grad():
            probabilities = generator.predict(
                lb.one_hot_torch(inputs["source_labels"].long()),
                inputs["source_heatmaps"],
                inputs["target_heatmaps"],
                *(masks if config.use_pose_mask else (None, None)),
            )
            probabilities = self.to_model_size(probabilities)
        return probabilities[:, 1:], probabilities

    def semantic_inputs(self, source, target, config) -> dict:
        """What a semantic network of ``config`` reads, at its own size, to move the source's
        map into the target pose (TS-Pred here, end-to-end training in ``JointTrainer``).

        Returns:
            "source_labels" / "target_labels": (B, H, W) long label maps (nearest-resized),
            "source_heatmaps" / "target_heatmaps": heat maps of the poses in its frame (with
            its sigma; at the appearance size the batch's own), "source_mask" / "target_mask":
            (B, 1, H, W) float PG2 pose masks of ``config.mask_radius`` (computed even without
            ``use_pose_mask``: the pseudo-label cross-entropy weighs by the target's), and
            "source_poses" / "target_poses" in its frame.
        """
        import torch

        from spt_core import skeleton as sk
        from spt_core.skeleton import pose_heatmaps_torch

        size, model_size = tuple(config.size), tuple(self.model.size)
        labels = (source["labels"], target["labels"])
        heatmaps = (source["heatmaps"], target["heatmaps"])
        poses = (source["poses"], target["poses"])
        if size != model_size:
            labels = tuple(
                torch.from_numpy(fit_labels(item.cpu().numpy(), size)).to(self.device).long()
                for item in labels
            )
            poses = tuple(fit_poses(p, model_size, size) for p in poses)
            heatmaps = tuple(
                pose_heatmaps_torch(torch.from_numpy(p).to(self.device), size, config.heatmap_sigma)
                for p in poses
            )
        masks = tuple(
            torch.from_numpy(np.stack([sk.pose_mask(p, size, config.mask_radius) for p in batch]))
            .to(self.device)[:, None]
            .float()
            for batch in poses
        )
        inputs = {}
        for index, side in enumerate(("source", "target")):
            inputs[f"{side}_labels"] = labels[index]
            inputs[f"{side}_heatmaps"] = heatmaps[index]
            inputs[f"{side}_mask"] = masks[index]
            inputs[f"{side}_poses"] = poses[index]
        return inputs

    def to_model_size(self, probabilities):
        """A semantic network's (B, C, h, w) map resized bilinearly to the appearance size
        (differentiable: in joint training the image losses reach G_S through it); unchanged
        at that size."""
        import torch.nn.functional as F

        if tuple(probabilities.shape[-2:]) == tuple(self.model.size):
            return probabilities
        return F.interpolate(
            probabilities, size=tuple(self.model.size), mode="bilinear", align_corners=False
        )

    def render(
        self,
        source,
        source_parsing,
        source_heatmaps,
        target_parsing,
        target_heatmaps,
        source_poses,
        target_poses,
    ):
        """G_A on full-size inputs. The local enhancer gets the step's alpha and its core's
        half-size maps (``low_res_inputs``); its image input at half size is the 2×2 average
        of ``source``, so in the cycle that is the pooled I~_t, as in the method (§4.1)."""
        from spt_core.models.appearance import low_res_inputs, part_warp_inputs

        thetas, masks = part_warp_inputs(source_poses, target_poses, self.model.size, self.device)
        extra = {}
        if self.model.local_enhancer:
            extra = {
                "alpha": self.alpha,
                **low_res_inputs(
                    self.generator,
                    source_parsing,
                    target_parsing,
                    source_poses,
                    target_poses,
                    self.model.heatmap_sigma,
                ),
            }
        return self.generator(
            source,
            source_parsing,
            source_heatmaps,
            target_parsing,
            target_heatmaps,
            thetas,
            masks,
            **extra,
        )

    def _faces(self, images, poses):
        """Face crops (method §4.4) of images in the frame of ``poses``; blank without a head."""
        from spt_core.models.face import crop_faces

        return crop_faces(images, poses, self.model.face_size, self.model.face_half_side)

    def _face_scores(self, crops):
        return self.face_discriminator(crops, self.alpha)

    def train_step(self, step: int) -> dict[str, float]:
        sigma = self.model.heatmap_sigma
        source = self.samples.batch(self.sources.indices(step), self.device, sigma)
        target = self.samples.batch(self.targets.indices(step), self.device, sigma)
        target_parsing, target_style_map = self._target_parsing(source, target)
        self.generator.train()
        total, logs, fakes = self.generator_losses(source, target, target_parsing, target_style_map)
        self.optimise("generator", total)
        if self._generator_scope == "local":  # the fixed global part's gradients go unused
            getattr(self.generator, "module", self.generator).global_generator.zero_grad(
                set_to_none=True
            )
        logs.update(self.discriminator_step(source, target_parsing, *fakes))
        if self.model.local_enhancer:
            logs["alpha"] = self.alpha
        return logs

    def generator_losses(self, source, target, target_parsing, target_style_map):
        """L_A of one batch: (total, named floats, (fake target, fake source, faces)).

        ``faces`` is None without the face GAN, else the face crops (real source, fake target,
        fake source) for ``discriminator_step``. ``target_parsing`` (9 channels) may carry
        gradients (joint training): the image losses then reach whatever produced it.
        """
        import torch

        from spt_core.losses.adversarial import lsgan_generator_loss
        from spt_core.losses.perceptual import content_loss
        from spt_core.losses.pose import pose_loss_from_images

        net_target, net_source = self._net(target_parsing), self._net(source["parsing"])
        with self.autocast():
            fake_target = self.render(
                source["image"],
                net_source,
                source["heatmaps"],
                net_target,
                target["heatmaps"],
                source["poses"],
                target["poses"],
            )
            fake_source = self.render(
                fake_target,
                net_target,
                target["heatmaps"],
                net_source,
                source["heatmaps"],
                target["poses"],
                source["poses"],
            )
            self.discriminator.requires_grad_(False)
            adversarial = lsgan_generator_loss(
                [
                    self.discriminator(fake_target, net_target),
                    self.discriminator(fake_source, net_source),
                ]
            )
            self.discriminator.requires_grad_(True)
            faces = face = None
            if self.face_discriminator is not None:
                # The target-pose face of I~_t and the source-pose faces of I~_s and I_s.
                faces = (
                    self._faces(source["image"], source["poses"]),
                    self._faces(fake_target, target["poses"]),
                    self._faces(fake_source, source["poses"]),
                )
                self.face_discriminator.requires_grad_(False)
                face = lsgan_generator_loss(
                    [self._face_scores(faces[1]), self._face_scores(faces[2])]
                )
                self.face_discriminator.requires_grad_(True)
        # The perceptual terms run in float32: Gram matrices overflow float16.
        scale = self.losses.feature_scale
        with torch.no_grad():
            real_features = self.vgg(source["image"]) * scale
        target_features = self.vgg(fake_target.float()) * scale
        cycle_features = self.vgg(fake_source.float()) * scale
        content = content_loss(cycle_features, real_features)
        source_map, target_map = self._person_maps(source, target, target_style_map)
        style = self._style_loss(
            target_features,
            target_map,
            target["poses"],
            real_features,
            source_map,
            source["poses"],
        ) + self._style_loss(
            cycle_features,
            source_map,
            source["poses"],
            target_features,
            target_map,
            target["poses"],
        )
        total = self.losses.adversarial * adversarial + self.losses.content * content
        total = total + self.losses.style * style
        if face is not None:
            total = total + self.losses.face * face
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
        if face is not None:
            logs["g_face"] = float(face.detach())
        return total, logs, (fake_target, fake_source, faces)

    def discriminator_step(
        self, source, target_parsing, fake_target, fake_source, faces=None
    ) -> dict[str, float]:
        """One update of D_A (and D_F, with ``faces``: one shared Adam) on the real source
        against both detached fakes; returns {"d": D_A's loss[, "d_face": D_F's]}."""
        from spt_core.losses.adversarial import lsgan_discriminator_loss

        net_target, net_source = self._net(target_parsing.detach()), self._net(source["parsing"])
        with self.autocast():
            real_scores = self.discriminator(source["image"], net_source)
            d_loss = lsgan_discriminator_loss(
                [real_scores, real_scores],
                [
                    self.discriminator(fake_target.detach(), net_target),
                    self.discriminator(fake_source.detach(), net_source),
                ],
            )
            total, logs = d_loss, {"d": d_loss}
            if faces is not None:
                real_face, fake_target_face, fake_source_face = faces
                real_face_scores = self._face_scores(real_face.detach())
                d_face = lsgan_discriminator_loss(
                    [real_face_scores, real_face_scores],
                    [
                        self._face_scores(fake_target_face.detach()),
                        self._face_scores(fake_source_face.detach()),
                    ],
                )
                total, logs["d_face"] = total + d_face, d_face
        self.optimise("discriminator", total)
        return {name: float(value.detach()) for name, value in logs.items()}

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
            fake = self.render(
                source["image"],
                self._net(source["parsing"]),
                source["heatmaps"],
                self._net(target_parsing),
                target["heatmaps"],
                source["poses"],
                target["poses"],
            )
        self.generator.train()

        def to_rgb(images):
            return ((images.clamp(-1, 1) + 1) * 127.5).round().byte().permute(0, 2, 3, 1).cpu()

        tiles = [to_rgb(source["image"]), to_rgb(target["image"]), to_rgb(fake)]
        return {
            "appearance": np.concatenate(
                [np.concatenate([t[k].numpy() for t in tiles], axis=1) for k in range(len(rows))],
                axis=0,
            )
        }


def check_setup(model: AppearanceNetConfig, progressive: ProgressiveConfig, init_from) -> None:
    """Raise ValueError (saying what to change) for a combination the trainer cannot train."""
    if model.output_upsample and not model.local_enhancer:
        raise ValueError(
            "output_upsample alone is not trainable here (the output would be twice the "
            "inputs' size): train the 128-px stage at its own size without it; the local "
            "enhancer's global part upsamples by itself"
        )
    if model.face_fade_in and not model.local_enhancer:
        raise ValueError(
            "face_fade_in grows D_F together with the local enhancer (alpha ramps with it); "
            "without local_enhancer use the plain D_F (face_fade_in off)"
        )
    if model.face_gan and model.face_fade_in and (model.face_size[0] % 2 or model.face_size[1] % 2):
        raise ValueError(f"the fade-in D_F needs an even face crop size, got {model.face_size}")
    if progressive.global_from and not model.local_enhancer:
        raise ValueError(
            "global_from loads a 128-px run into the local enhancer's global part and needs "
            "local_enhancer; to start from a run of the same architecture use init"
        )
    if progressive.global_from and init_from is not None:
        raise ValueError(
            "give global_from (start the 256-px stage from a 128-px run) or init (fine-tune a "
            "run of this architecture), not both"
        )


#: The fields that make a global-only run's networks the global part (and D_A, D_F) of a
#: local-enhanced model.
_GLOBAL_FIELDS = ("image_channels", "parsing_channels", "pose_channels", "base_channels",
                  "max_channels", "depth", "deformable_levels", "dropout_layers", "norm",
                  "heatmap_sigma", "disc_channels", "disc_layers", "disc_norm")  # fmt: skip


def global_mismatches(model: AppearanceNetConfig, source: AppearanceNetConfig) -> list[str]:
    """Why ``source`` (a run's model) cannot start the global part of ``model``; [] if it can."""
    problems = []
    if source.local_enhancer:
        problems.append("it has a local enhancer itself (give the 128-px stage's run)")
    if source.output_upsample:
        problems.append("it upsamples its output (output_upsample)")
    if tuple(source.size) != tuple(model.core_size):
        problems.append(f"size {source.size} there, core size {model.core_size} here")
    fields = list(_GLOBAL_FIELDS)
    if source.face_gan and model.face_gan:
        fields += ["face_disc_channels", "face_disc_layers"]
    problems += [
        f"{name} {getattr(source, name)!r} there, {getattr(model, name)!r} here"
        for name in fields
        if getattr(source, name) != getattr(model, name)
    ]
    return problems


def load_appearance_generator(checkpoint: str | Path, device="cpu"):
    """The generator of an appearance checkpoint (or run directory), in eval mode.

    A local-enhanced run gives a ``LocalEnhancedGenerator`` whose alpha is the config's
    ``fade_in_alpha`` (1 by default: the local enhancer fully faded in, the test-time value).

    Raises:
        CheckpointError: not an appearance checkpoint, or weights that do not fit its config.
    """
    from spt_core.config import from_dict
    from spt_core.models.appearance import build_appearance_generator
    from spt_core.models.checkpoint import load_weights, read_config
    from spt_core.train.loop import resolve_checkpoint

    checkpoint = resolve_checkpoint(checkpoint)
    config = read_config(checkpoint, KIND)
    model = from_dict(AppearanceNetConfig, config["model"])
    generator = build_appearance_generator(model).to(device)
    load_weights(generator, checkpoint, "generator", device=device)
    generator.eval()
    return generator, model
