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

from spt_core.config import (
    AppearanceLossWeights,
    AppearanceNetConfig,
    ProgressiveConfig,
    TrainConfig,
    to_dict,
)
from spt_core.data.samples import PersonSamples
from spt_core.letterbox import scaled_copy
from spt_core.train.appearance_networks import KIND, AppearanceNetworks, AppearanceNetworksOwner
from spt_core.train.loop import IndexSchedule, Trainer


class AppearanceTrainer(AppearanceNetworksOwner, Trainer):
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
        self.samples, self.architecture, self.losses = samples, model, losses
        self.posenet, self.semantic, self.parsing_mode = posenet, semantic, parsing_mode
        self.init_from = init_from
        self.progressive = progressive
        self._alpha = progressive.alpha(0) if model.local_enhancer else 1.0
        self._generator_scope: str | None = None

    def build(self) -> None:
        from spt_core.losses.objectives import AppearanceObjective
        from spt_core.losses.perceptual import VGGFeatures

        self.nets = AppearanceNetworks(self.architecture, self.device, self.dist.wrap)
        self.nets.alpha = self._alpha
        # One Adam for D_A and D_F (method §4.5); the generator's is made for step 0's phase.
        self.optimizers = {"generator": None, "discriminator": None}
        self._set_generator_scope(self._scope_of(0))
        self.optimizers["discriminator"] = self.make_adam(self.nets.discriminator_parameters())
        if self.init_from is not None and not self.resume:
            self.nets.load(self.init_from, grow_inputs=True)
        if self.progressive.global_from and not self.resume:
            global_from = Path(self.progressive.global_from).expanduser()
            self.nets.load_global(global_from)
        if self.posenet is not None:
            self.posenet = self.posenet.to(self.device).eval().requires_grad_(False)
        self.objective = AppearanceObjective(
            self.losses,
            self.architecture,
            VGGFeatures(device=self.device),
            self.posenet,
            self.autocast,
        )
        # Two independent index streams: sources, and the samples whose pose is the target.
        n, b, w = len(self.samples), self.train.batch_size, self.dist.world_size
        self.sources = IndexSchedule(n, b, self.train.seed, self.dist.rank, w)
        self.targets = IndexSchedule(n, b, self.train.seed + 7919, self.dist.rank, w)

    # ---- the networks (the same objects checkpoints store) -----------------------------------

    @property
    def alpha(self) -> float:
        """The fade-in weight of the current step (set by ``prepare_step``)."""
        return self._alpha

    @alpha.setter
    def alpha(self, value: float) -> None:
        self._alpha = value
        if hasattr(self, "nets"):
            self.nets.alpha = value

    def networks(self) -> dict:
        return self.nets.as_dict()

    def render(self, *args):
        """G_A on full-size inputs (:meth:`AppearanceNetworks.render`)."""
        return self.nets.render(*args)

    # ---- the 256-px schedule ------------------------------------------------------------------

    def _scope_of(self, step: int) -> str:
        """The generator scope of a step: "local" while the global part is fixed, else "all"."""
        if self.architecture.local_enhancer and self.progressive.fixes_global(step):
            return "local"
        return "all"

    def _set_generator_scope(self, scope: str) -> None:
        """A fresh generator Adam over the local enhancer's or all parameters
        (pix2pixHD's ``update_fixed_params`` at the phase change)."""
        generator = self.nets.unwrapped_generator()
        parameters = (
            generator.local_parameters() if scope == "local" else self.generator.parameters()
        )
        self.optimizers["generator"] = self.make_adam(parameters)
        self._generator_scope = scope

    def prepare_step(self, step: int) -> None:
        """The fade-in weight of ``step``; the full generator optimiser once the global part
        is no longer fixed."""
        if self.architecture.local_enhancer:
            self.alpha = self.progressive.alpha(step)
        scope = self._scope_of(step)
        if scope != self._generator_scope:
            self._set_generator_scope(scope)

    def config_dict(self) -> dict:
        progressive = to_dict(self.progressive)
        restored = self.restored_config.get("progressive") or {}
        progressive["global_from"] = self.progressive.global_from or restored.get("global_from", "")
        return {
            "model": to_dict(self.architecture),
            "losses": to_dict(self.losses),
            "progressive": progressive,
            "parsing_mode": self.parsing_mode,
            "pose_loss": self.posenet is not None,
            "init_from": self.provenance("init_from", self.init_from),
        }

    # ---- one step ------------------------------------------------------------------------------

    def _target_parsing(self, source, target):
        """9-channel target parsing: the target image's map, or G_S's prediction.

        A semantic network at another (proportional) size, e.g. 128x128 for a 256x256 model
        (the paper predicts 256-px maps at 128), reads its inputs letterboxed to its size and
        its probabilities are resized bilinearly (:class:`SemanticInputs`).
        """
        import torch

        from spt_core.models.inputs import SemanticInputs, resize_soft_map

        if self.parsing_mode == "gt":
            return target["parsing"], target["labels"]
        generator, config = self.semantic
        inputs = SemanticInputs.build(
            config,
            self.architecture.size,
            source["labels"],
            source["poses"],
            target["poses"],
            self.device,
            frame_heatmaps=(source["heatmaps"], target["heatmaps"]),
            frame_sigma=self.architecture.heatmap_sigma,
        )
        with torch.no_grad():
            probabilities = generator.predict(*inputs.generator_args())
            probabilities = resize_soft_map(probabilities, self.architecture.size)
        return probabilities[:, 1:], probabilities

    def train_step(self, step: int) -> dict[str, float]:
        from spt_core.losses.objectives import as_floats

        sigma = self.architecture.heatmap_sigma
        source = self.samples.batch(self.sources.indices(step), self.device, sigma)
        target = self.samples.batch(self.targets.indices(step), self.device, sigma)
        target_parsing, target_style_map = self._target_parsing(source, target)
        self.generator.train()
        losses, fakes = self.generator_losses(source, target, target_parsing, target_style_map)
        self.optimise("generator", losses["g_total"])
        if self._generator_scope == "local":  # the fixed global part's gradients go unused
            self.nets.unwrapped_generator().global_generator.zero_grad(set_to_none=True)
        logs = as_floats(losses)
        logs.update(self.discriminator_step(source, target_parsing, *fakes))
        if self.architecture.local_enhancer:
            logs["alpha"] = self.alpha
        return logs

    def preview(self) -> dict[str, np.ndarray]:
        """Rows: source | the image the target pose comes from | generated."""
        import torch

        from spt_core.metrics import to_uint8

        rows = np.arange(min(4, len(self.samples)))
        targets = (rows + 1) % len(self.samples)
        source = self.samples.batch(rows, self.device)
        target = self.samples.batch(targets, self.device)
        visible = self.objective.visible
        self.generator.eval()
        with torch.no_grad():
            target_parsing, _ = self._target_parsing(source, target)
            fake = self.render(
                source["image"],
                visible(source["parsing"]),
                source["heatmaps"],
                visible(target_parsing),
                target["heatmaps"],
                source["poses"],
                target["poses"],
            )
        self.generator.train()
        tiles = [to_uint8(source["image"]), to_uint8(target["image"]), to_uint8(fake)]
        return {"appearance": preview_sheet(tiles)}


def preview_sheet(tiles: list[np.ndarray]) -> np.ndarray:
    """One row per sample of the (N, H, W, 3) tiles side by side."""
    rows = len(tiles[0])
    return np.concatenate([np.concatenate([t[k] for t in tiles], axis=1) for k in range(rows)])


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
