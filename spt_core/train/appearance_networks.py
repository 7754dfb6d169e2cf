"""The appearance networks of a run: G_A, D_A and (with the face GAN) D_F, built together,
started from an earlier run, and called on inputs built by :class:`AppearanceInputs`.

Both the appearance pre-training and the end-to-end training own one of these, so the two
trainers are siblings that share the networks without sharing a procedure.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from spt_core.config import AppearanceNetConfig, from_dict
from spt_core.models.checkpoint import CheckpointError, read_config, resolve_checkpoint
from spt_core.models.inputs import AppearanceInputs
from spt_core.models.loading import build_network, load_run_weights

KIND = "appearance"

#: The fields that make a global-only run's networks the global part (and D_A, D_F) of a
#: local-enhanced model.
_GLOBAL_FIELDS = ("image_channels", "parsing_channels", "pose_channels", "base_channels",
                  "max_channels", "depth", "deformable_levels", "dropout_layers", "norm",
                  "heatmap_sigma", "disc_channels", "disc_layers", "disc_norm")  # fmt: skip


class AppearanceNetworks:
    """G_A, D_A and D_F of one run, on ``device`` and wrapped by ``wrap`` (DDP or identity).

    Attributes:
        alpha: the fade-in weight the local enhancer and D_F use (1 outside the 256-px ramp).
    """

    def __init__(self, model: AppearanceNetConfig, device, wrap=lambda module: module):
        from spt_core.models.appearance_discriminators import FaceDiscriminator, ImageDiscriminator

        self.architecture, self.device = model, device
        self.generator = wrap(build_network(model).to(device))
        self.discriminator = wrap(ImageDiscriminator.from_config(model).to(device))
        self.face_discriminator = None
        if model.face_gan:
            self.face_discriminator = wrap(FaceDiscriminator.from_config(model).to(device))
        self.alpha = 1.0

    def as_dict(self) -> dict:
        """Weight name -> module, as checkpoints store them."""
        nets = {"generator": self.generator, "discriminator": self.discriminator}
        if self.face_discriminator is not None:
            nets["face_discriminator"] = self.face_discriminator
        return nets

    def discriminator_parameters(self) -> list:
        """D_A's and D_F's parameters: one Adam holds both (method §4.5)."""
        parameters = list(self.discriminator.parameters())
        if self.face_discriminator is not None:
            parameters += list(self.face_discriminator.parameters())
        return parameters

    def unwrapped_generator(self):
        return getattr(self.generator, "module", self.generator)

    def load(self, checkpoint: str | Path, kind: str = KIND, grow_inputs: bool = False) -> Path:
        """All three networks from an appearance run of the same architecture (fine-tuning;
        ``grow_inputs``: the generator may read more input channels, as with ``colour_hint``
        on a run without it: the new ones start at zero weight)."""
        return load_run_weights(
            checkpoint, kind, self.as_dict(), self.device, grow_inputs=grow_inputs
        )

    def load_global(self, checkpoint: str | Path) -> Path:
        """Generator -> the global part, D_A -> D_A, D_F -> D_F's 128-px path (method §5.1).

        Raises:
            CheckpointError: not an appearance run, or not a global-only run of this model's
                core (the message names every difference).
        """
        from spt_core.models.appearance_discriminators import FaceDiscriminator
        from spt_core.models.checkpoint import load_weights

        path = resolve_checkpoint(checkpoint)
        config = read_config(path, KIND)
        try:
            source = from_dict(AppearanceNetConfig, config["model"])
        except (KeyError, TypeError, ValueError) as exc:
            raise CheckpointError(f"{path}: no usable appearance model config ({exc})") from None
        problems = global_mismatches(self.architecture, source)
        if problems:
            raise CheckpointError(
                f"{path}: global_from must be a global-only appearance run of this model's "
                f"core ({self.architecture.core_size[0]}x{self.architecture.core_size[1]}, same "
                f"architecture); {'; '.join(problems)}"
            )
        generator = self.unwrapped_generator()
        load_weights(generator.global_generator, path, "generator", device=self.device)
        load_weights(self.discriminator, path, "discriminator", device=self.device)
        if self.face_discriminator is not None and source.face_gan:
            plain = FaceDiscriminator.from_config(source).to(self.device)
            load_weights(plain, path, "face_discriminator", device=self.device)
            face = getattr(self.face_discriminator, "module", self.face_discriminator)
            face.patch.load_state_dict(plain.patch.state_dict())
        return path

    def render(
        self,
        source_image,
        source_parsing,
        source_heatmaps,
        target_parsing,
        target_heatmaps,
        source_poses: np.ndarray,
        target_poses: np.ndarray,
    ):
        """G_A on full-size inputs (:class:`AppearanceInputs`). The local enhancer gets the
        current alpha and its core's half-size maps; its image input at half size is the 2×2
        average of ``source_image``, so in the cycle that is the pooled I~_t (method §4.1)."""
        inputs = AppearanceInputs.build(
            self.generator,
            source_image,
            source_parsing,
            target_parsing,
            source_poses,
            target_poses,
            self.architecture.heatmap_sigma,
            source_heatmaps,
            target_heatmaps,
        )
        extra = {"alpha": self.alpha} if self.architecture.local_enhancer else {}
        return inputs.render(self.generator, **extra)


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


class AppearanceNetworksOwner:
    """What the appearance and end-to-end trainers share (a mixin of ``Trainer``s that set
    ``self.nets`` and ``self.objective``): the networks under the names checkpoints use, and
    the two half-steps of L_A. The procedures (schedules, optimisers, the semantic network)
    stay in the trainers."""

    nets: AppearanceNetworks

    @property
    def generator(self):
        return self.nets.generator

    @property
    def discriminator(self):
        return self.nets.discriminator

    @property
    def face_discriminator(self):
        return self.nets.face_discriminator

    def generator_losses(self, source, target, target_parsing, target_style_map):
        """Render I~_t and the cycle I~_s and take L_A's generator terms. ``target_parsing``
        (9 channels) may carry gradients (joint training): the image losses then reach whatever
        produced it.

        Returns:
            (named loss tensors, (fake target, fake source, face crops or None)).
        """
        nets, objective = self.nets, self.objective
        net_target, net_source = (
            objective.visible(target_parsing),
            objective.visible(source["parsing"]),
        )
        with self.autocast():
            fake_target = nets.render(
                source["image"],
                net_source,
                source["heatmaps"],
                net_target,
                target["heatmaps"],
                source["poses"],
                target["poses"],
            )
            fake_source = nets.render(
                fake_target,
                net_target,
                target["heatmaps"],
                net_source,
                source["heatmaps"],
                target["poses"],
                source["poses"],
            )
        losses, faces = objective.generator_losses(
            source,
            target,
            fake_target,
            fake_source,
            target_parsing,
            target_style_map,
            nets.discriminator,
            nets.face_discriminator,
            nets.alpha,
        )
        return losses, (fake_target, fake_source, faces)

    def discriminator_step(
        self, source, target_parsing, fake_target, fake_source, faces=None
    ) -> dict[str, float]:
        """One update of D_A (and D_F with ``faces``: one shared Adam) against the detached
        fakes; returns {"d": D_A's loss[, "d_face": D_F's]}."""
        from spt_core.losses.objectives import as_floats

        nets = self.nets
        losses = self.objective.discriminator_losses(
            source,
            target_parsing,
            fake_target,
            fake_source,
            nets.discriminator,
            nets.face_discriminator,
            faces,
            nets.alpha,
        )
        self.optimise("discriminator", losses.pop("total"))
        return as_floats(losses)
