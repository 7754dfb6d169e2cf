"""The networks' objectives as dicts of named loss tensors (SPADE's ``G_losses`` pattern).

:class:`SemanticObjective` is L_S (method §3): the (1 + M_t)-weighted cross-entropy to the
pseudo label plus D_S's LSGAN term. :class:`AppearanceObjective` is L_A (method §4.5): D_A's
(and D_F's) LSGAN terms, the cycle's VGG content loss, the semantic-aware style loss and the
frozen pose regressor's loss. Trainers compose them: the semantic and appearance pre-training
use one each, end-to-end training both. Every dict has a ``"total"`` entry (the weighted sum
that is optimised) and the unweighted terms under their log names.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable

import numpy as np
import torch

from spt_core import labels as lb
from spt_core.config import AppearanceLossWeights, AppearanceNetConfig, SemanticLossWeights
from spt_core.losses.adversarial import lsgan_discriminator_loss, lsgan_generator_loss

Autocast = Callable[[], contextlib.AbstractContextManager]


class SemanticObjective:
    """L_S of the semantic generator G_S against its discriminator D_S.

    Args:
        weights: the loss weights.
        autocast: a context factory for mixed precision (the trainer's).
    """

    def __init__(self, weights: SemanticLossWeights, autocast: Autocast = contextlib.nullcontext):
        self.weights = weights
        self.autocast = autocast

    def generator_losses(
        self, logits: torch.Tensor, target_labels, target_mask, target_heatmaps, discriminator
    ) -> dict[str, torch.Tensor]:
        """{"cross_entropy", "adversarial", "total", "probabilities"} of G_S's ``logits``.

        ``probabilities`` (the softmax map) is returned for D_S's step and for G_A.
        """
        from spt_core.losses.parsing import pose_weighted_cross_entropy

        logits = logits.float()
        probabilities = torch.softmax(logits, dim=1)
        cross_entropy = pose_weighted_cross_entropy(logits, target_labels, target_mask)
        discriminator.requires_grad_(False)
        with self.autocast():
            adversarial = lsgan_generator_loss(discriminator(probabilities, target_heatmaps))
        discriminator.requires_grad_(True)
        total = self.weights.cross_entropy * cross_entropy + self.weights.adversarial * adversarial
        return {
            "cross_entropy": cross_entropy,
            "adversarial": adversarial,
            "total": total,
            "probabilities": probabilities,
        }

    def discriminator_loss(
        self, probabilities: torch.Tensor, target_labels, target_heatmaps, discriminator
    ) -> torch.Tensor:
        """D_S's LSGAN loss: the pseudo label's one-hot map real, G_S's (detached) map fake."""
        real = lb.one_hot_torch(target_labels).to(probabilities.dtype)
        with self.autocast():
            return lsgan_discriminator_loss(
                discriminator(real, target_heatmaps),
                discriminator(probabilities.detach(), target_heatmaps),
            )


class AppearanceObjective:
    """L_A of the appearance generator G_A against D_A (and D_F with the face GAN).

    Args:
        weights: the loss weights (and the style loss variant).
        model: the appearance network's config (size, face crop, parsing channels).
        vgg: the VGG19 feature extractor of the content and style terms.
        posenet: the frozen pose regressor P, or None (the pose term is then 0).
        autocast: a context factory for mixed precision (the trainer's).
    """

    def __init__(
        self,
        weights: AppearanceLossWeights,
        model: AppearanceNetConfig,
        vgg,
        posenet=None,
        autocast: Autocast = contextlib.nullcontext,
    ):
        self.weights, self.architecture, self.vgg, self.posenet = weights, model, vgg, posenet
        self.autocast = autocast
        self.uses_parsing = model.parsing_channels > 0

    def visible(self, parsing: torch.Tensor) -> torch.Tensor:
        """What G_A and D_A see of a parsing: all of it, or nothing for the Baseline."""
        return parsing if self.uses_parsing else parsing[:, :0]

    def faces(self, images: torch.Tensor, poses: np.ndarray) -> torch.Tensor:
        """Face crops (method §4.4) of images in the frame of ``poses``; blank without a head."""
        from spt_core.models.face import crop_faces

        return crop_faces(
            images, poses, self.architecture.face_size, self.architecture.face_half_side
        )

    def generator_losses(
        self,
        source: dict,
        target: dict,
        fake_target: torch.Tensor,
        fake_source: torch.Tensor,
        target_parsing: torch.Tensor,
        target_style_map: torch.Tensor,
        discriminator,
        face_discriminator=None,
        alpha: float = 1.0,
    ) -> tuple[dict[str, torch.Tensor], tuple | None]:
        """L_A's generator terms for one batch.

        Args:
            source, target: batches (``PersonSamples.batch``) of the source people and of the
                samples whose poses are the targets.
            fake_target, fake_source: I~_t = G(I_s -> target) and the cycle I~_s.
            target_parsing: the 9-channel target parsing G_A drew into (may carry gradients).
            target_style_map: the target map the style loss reads (labels or soft map).
            discriminator: D_A.
            face_discriminator: D_F (None without the face GAN).
            alpha: the fade-in weight D_F scores with (the 256-px schedule's).

        Returns:
            ({"g_adversarial", "content", "style", "pose", ["g_face",] "g_total"} tensors,
            the face crops (real source, fake target, fake source) for D_F's step or None).
        """
        from spt_core.losses.perceptual import content_loss
        from spt_core.losses.pose import pose_loss_from_images

        net_target, net_source = self.visible(target_parsing), self.visible(source["parsing"])
        with self.autocast():
            discriminator.requires_grad_(False)
            adversarial = lsgan_generator_loss(
                [discriminator(fake_target, net_target), discriminator(fake_source, net_source)]
            )
            discriminator.requires_grad_(True)
            faces = face = None
            if face_discriminator is not None:
                # The target-pose face of I~_t and the source-pose faces of I~_s and I_s.
                faces = (
                    self.faces(source["image"], source["poses"]),
                    self.faces(fake_target, target["poses"]),
                    self.faces(fake_source, source["poses"]),
                )
                face_discriminator.requires_grad_(False)
                face = lsgan_generator_loss(
                    [face_discriminator(faces[1], alpha), face_discriminator(faces[2], alpha)]
                )
                face_discriminator.requires_grad_(True)
        # The perceptual terms run in float32: Gram matrices overflow float16.
        scale = self.weights.feature_scale
        with torch.no_grad():
            real_features = self.vgg(source["image"]) * scale
        target_features = self.vgg(fake_target.float()) * scale
        cycle_features = self.vgg(fake_source.float()) * scale
        content = content_loss(cycle_features, real_features)
        source_map, target_map = self.person_maps(source, target, target_style_map)
        style = self.style_loss(
            target_features, target_map, target["poses"], real_features, source_map, source["poses"]
        ) + self.style_loss(
            cycle_features,
            source_map,
            source["poses"],
            target_features,
            target_map,
            target["poses"],
        )
        weights = self.weights
        total = weights.adversarial * adversarial + weights.content * content
        total = total + weights.style * style
        extra = {}
        if self.uses_parsing and (weights.pixels > 0 or weights.label_colours > 0):
            extra = self.pixel_terms(source, fake_target, fake_source, source_map, target_map)
            total = total + weights.pixels * extra["pixels"]
            total = total + weights.label_colours * extra["label_colours"]
        if face is not None:
            total = total + weights.face * face
        pose = torch.zeros((), device=fake_target.device)
        if self.posenet is not None:
            pose = pose_loss_from_images(self.posenet, fake_target, target["heatmaps"])
            pose = pose + pose_loss_from_images(self.posenet, fake_source, source["heatmaps"])
            total = total + weights.pose * pose
        losses = {
            "g_adversarial": adversarial,
            "content": content,
            "style": style,
            "pose": pose,
            "g_total": total,
        }
        if face is not None:
            losses["g_face"] = face
        losses.update(extra)
        return losses, faces

    def pixel_terms(self, source, fake_target, fake_source, source_map, target_map) -> dict:
        """{"pixels", "label_colours"} (decision 0006): kept pixels of I~_t plus the cycle I~_s
        against I_s in L1, and the mean colour per label of I~_t against I_s."""
        from spt_core.losses.pixels import kept_pixel_loss, label_colour_loss

        image = source["image"]
        pixels = kept_pixel_loss(fake_target.float(), image, source_map, target_map)
        pixels = pixels + (fake_source.float() - image).abs().mean()
        colours = label_colour_loss(fake_target.float(), target_map, image, source_map)
        return {"pixels": pixels, "label_colours": colours}

    def discriminator_losses(
        self,
        source: dict,
        target_parsing: torch.Tensor,
        fake_target: torch.Tensor,
        fake_source: torch.Tensor,
        discriminator,
        face_discriminator=None,
        faces: tuple | None = None,
        alpha: float = 1.0,
    ) -> dict[str, torch.Tensor]:
        """{"d"[, "d_face"], "total"}: D_A on the real source against both detached fakes,
        and D_F on the face crops when given (one shared Adam, so one total)."""
        net_target = self.visible(target_parsing.detach())
        net_source = self.visible(source["parsing"])
        with self.autocast():
            real_scores = discriminator(source["image"], net_source)
            d_loss = lsgan_discriminator_loss(
                [real_scores, real_scores],
                [
                    discriminator(fake_target.detach(), net_target),
                    discriminator(fake_source.detach(), net_source),
                ],
            )
            losses = {"d": d_loss, "total": d_loss}
            if faces is not None and face_discriminator is not None:

                def face_scores(crops):
                    return face_discriminator(crops, alpha)

                real_face, fake_target_face, fake_source_face = faces
                real_face_scores = face_scores(real_face.detach())
                d_face = lsgan_discriminator_loss(
                    [real_face_scores, real_face_scores],
                    [
                        face_scores(fake_target_face.detach()),
                        face_scores(fake_source_face.detach()),
                    ],
                )
                losses["d_face"] = d_face
                losses["total"] = d_loss + d_face
        return losses

    def person_maps(self, source: dict, target: dict, target_style_map):
        """The maps the style loss reads: parsings, or for the Baseline the pose masks."""
        if self.uses_parsing:
            return source["labels"], target_style_map
        from spt_core import skeleton as sk

        device = source["image"].device
        return tuple(
            torch.from_numpy(
                np.stack([sk.pose_mask(p, self.architecture.size) for p in item["poses"]])
            )
            .to(device)
            .long()
            for item in (source, target)
        )

    def style_loss(self, features1, map1, poses1, features2, map2, poses2) -> torch.Tensor:
        """The configured style loss between two images with their maps (or poses)."""
        from spt_core.losses.style import mask_style_loss, patch_style_loss, semantic_style_loss

        variant = self.weights.style_variant
        if variant == "semantic":
            return semantic_style_loss(features1, map1, features2, map2)
        if variant == "patch":
            device = features1.device
            return patch_style_loss(
                features1,
                torch.from_numpy(poses1).to(device),
                features2,
                torch.from_numpy(poses2).to(device),
                self.architecture.size,
            )
        return mask_style_loss(features1, map1, features2, map2)


def as_floats(losses: dict[str, torch.Tensor], skip: tuple[str, ...] = ()) -> dict[str, float]:
    """The named losses as floats for the log (tensors that are not losses left out)."""
    return {
        name: float(value.detach())
        for name, value in losses.items()
        if name not in skip and name != "probabilities"
    }
