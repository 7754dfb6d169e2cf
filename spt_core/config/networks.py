"""The networks' architectures: one frozen dataclass per network (saved in checkpoints).

Loading a checkpoint builds the network its config describes (``spt_core.models.loading``),
so these fields are the architecture flags a user never has to repeat.
"""

from __future__ import annotations

import dataclasses
from typing import ClassVar

from spt_core.config.base import choice
from spt_core.parts import TORSO_MASKS

#: How G_A's up blocks double the size (:class:`spt_core.models.blocks.UpBlock`).
UPSAMPLE_KINDS = ("transpose", "resize")

SEMANTIC_NORMS = ("sample", "instance", "batch")


@dataclasses.dataclass(frozen=True)
class SemanticNetConfig:
    """Semantic generative network H_S: E_S, E_P, G_S and D_S (method §3: [NOT FOUND]).

    The paper gives no layer details; the design (docs/semantic_network.md) reuses the
    appearance network's encoder/decoder blocks (method §4.2) as the method notes propose.

    Attributes:
        size: (H, W) the network works at: (128, 64) for Market-like data, (128, 128) for
            256-px images (predicted at 128 and upsampled, as in the paper).
        num_labels: parsing labels (10).
        pose_channels: heat-map channels (18).
        use_pose_mask: feed the PG2 pose masks M_s and M_t as an extra channel each.
        base_channels: width of the first encoder level; levels double up to max_channels.
        max_channels: cap on the width.
        depth: number of stride-2 down blocks in each encoder (5: 128x64 -> 4x2).
        dropout: Dropout2d probability of the first ``dropout_layers`` decoder blocks.
        dropout_layers: how many of the deepest decoder blocks use dropout.
        norm: "sample" (Def-GAN's whole-sample normalisation with a scalar affine), "instance"
            or "batch".
        disc_channels: width of the first PatchGAN layer of D_S.
        disc_layers: stride-2 layers of D_S.
        mask_radius: PG2 pose-mask disc radius in pixels at ``size`` (4 at 128 px).
        heatmap_sigma: heat-map Gaussian width in pixels (6, at every resolution).
    """

    size: tuple[int, int] = (128, 64)
    num_labels: int = 10
    pose_channels: int = 18
    use_pose_mask: bool = True
    base_channels: int = 64
    max_channels: int = 512
    depth: int = 5
    dropout: float = 0.5
    dropout_layers: int = 3
    norm: str = choice("sample", SEMANTIC_NORMS)
    disc_channels: int = 64
    disc_layers: int = 3
    mask_radius: int = 4
    heatmap_sigma: float = 6.0

    def __post_init__(self) -> None:
        if self.norm not in SEMANTIC_NORMS:
            raise ValueError(f"norm must be 'sample', 'instance' or 'batch', got {self.norm!r}")
        height, width = self.size
        if height % 2**self.depth or width % 2**self.depth:
            raise ValueError(f"size {self.size} must be divisible by 2**depth = {2**self.depth}")

    @classmethod
    def tiny(cls, **overrides) -> SemanticNetConfig:
        """A small 32x16 network for tests and for trying the editor (it learns little)."""
        values = dict(size=(32, 16), base_channels=8, max_channels=32, depth=3, disc_channels=8)
        values.update(disc_layers=2, mask_radius=1, heatmap_sigma=1.5)
        return cls(**{**values, **overrides})


APPEARANCE_NORMS = ("sample", "instance", "batch", "none")


@dataclasses.dataclass(frozen=True)
class AppearanceNetConfig:
    """Appearance generator G_A and discriminators D_A and D_F (P has :class:`PoseNetConfig`).

    Attributes:
        size: (H, W) of the images the network outputs. With ``local_enhancer`` or
            ``output_upsample`` the global core works at half of it (``core_size``).
        image_channels: image channels (3).
        parsing_channels: parsing channels fed to G_A and D_A: labels 1..9, background
            dropped (method §1.1, §1.6).
        pose_channels: heat-map channels (18).
        base_channels: width of the first encoder level (64); levels double up to
            ``max_channels``.
        max_channels: cap on the width (512).
        depth: stride-2 down blocks per encoder (5: Def-GAN's 64..512 list). Sizes not
            divisible by ``2**depth`` are zero-padded inside the generator.
        deformable_levels: finest levels with deformable skips (4 in the code); 0 disables
            the part warps.
        dropout: Dropout2d probability of the deepest ``dropout_layers`` up blocks (0.5).
        dropout_layers: how many of the deepest up blocks use dropout (3).
        test_time_dropout: keep dropout on in eval mode (the authors' inference does, because
            it never calls ``eval()``); off by default so inference is deterministic.
        norm: generator normalisation: "sample" (Def-GAN's whole-sample norm), "instance",
            "batch" or "none".
        output_upsample: the global generator upsamples ×2 (nearest) before its last conv,
            so a 128-px core outputs 256 px (the released DeepFashion model). Always on
            inside the local enhancer.
        local_enhancer: add the pix2pixHD-style local enhancer at ``size`` (global at half).
        local_channels: width of the local encoders' full-size level (32 in the code).
        fade_in_alpha: fade-in weight the built networks use outside training (the local
            enhancer and D_F's 256-px path; 1 = fully faded in, the test-time value). The
            appearance trainer ignores it and ramps alpha from 0 by
            ``ProgressiveConfig.fade_in_steps`` (the ramp is not in the released code).
        disc_channels: first-layer width of D_A (64).
        disc_layers: stride-2 layers of D_A (3: pix2pix "basic").
        disc_norm: D_A / D_F normalisation ("instance": InstanceNorm2d without affine).
        face_gan: use the face crop and D_F (off for 128x64: too low resolution, method §0).
        face_crop_size: (H, W) of the face crop given to D_F; None = ``size`` (the code crops
            to the full 256x256 canvas).
        face_half_side: half-side of the face box, times the torso scale (0.40).
        face_fade_in: D_F gets the fade-in variant (a 128-px path by 2×2 average pooling and
            a 256-px path with its own first conv, blended by alpha).
        face_disc_channels: first-layer width of D_F (64).
        face_disc_layers: stride-2 layers of D_F (3).
        heatmap_sigma: heat-map Gaussian width in pixels (6, at every resolution).
        torso_mask: the torso part's target mask in the deformable skips: "full" (the whole
            image, the authors' code: every source pixel, the old arm included, reaches every
            target pixel through the torso warp), "box" (their commented-out box) or "body"
            (the torso quad grown by 0.2 torso scale; decision 0006).
        identity_part: an eleventh deformable-skip part without a warp whose mask is where the
            source and target parsings show the same label at the same place: the background
            the person did not cross, and in a paint edit everything not painted (decision
            0006).
        label_gate: multiply every part's mask by the agreement between the part-warped source
            parsing and the target parsing, so a skip carries source appearance only where the
            target asks for the same label: a painted-bare forearm gets no sleeve, the place
            an arm left gets no arm (decision 0006).
        upsample: how G_A's decoder doubles the size: "transpose" (Def-GAN's 4x4 transposed
            convolution) or "resize" (nearest x2 + 3x3 convolution: no checkerboard texture;
            decision 0006).
        colour_hint: E'_S also reads the label fill, the source's colours laid into the target
            parsing (``models.label_fill``): what colour a painted garment, a bared arm or the
            place an arm left should get (decision 0007).
    """

    #: Fields of older versions: the pose regressor P is configured by PoseNetConfig.
    RETIRED_FIELDS: ClassVar[tuple[str, ...]] = (
        "pose_regressor_channels",
        "pose_regressor_blocks",
        "pose_regressor_dropout",
    )

    size: tuple[int, int] = (128, 64)
    image_channels: int = 3
    parsing_channels: int = 9
    pose_channels: int = 18
    base_channels: int = 64
    max_channels: int = 512
    depth: int = 5
    deformable_levels: int = 4
    dropout: float = 0.5
    dropout_layers: int = 3
    test_time_dropout: bool = False
    norm: str = choice("sample", APPEARANCE_NORMS)
    output_upsample: bool = False
    local_enhancer: bool = False
    local_channels: int = 32
    fade_in_alpha: float = 1.0
    disc_channels: int = 64
    disc_layers: int = 3
    disc_norm: str = choice("instance", APPEARANCE_NORMS)
    face_gan: bool = False
    face_crop_size: tuple[int, int] | None = None
    face_half_side: float = 0.40
    face_fade_in: bool = False
    face_disc_channels: int = 64
    face_disc_layers: int = 3
    heatmap_sigma: float = 6.0
    torso_mask: str = choice("full", TORSO_MASKS)
    identity_part: bool = False
    label_gate: bool = False
    upsample: str = choice("transpose", UPSAMPLE_KINDS)
    colour_hint: bool = False

    def __post_init__(self) -> None:
        # JSON round trips give lists; the frozen config keeps tuples (hashable, comparable).
        object.__setattr__(self, "size", tuple(self.size))
        if self.face_crop_size is not None:
            object.__setattr__(self, "face_crop_size", tuple(self.face_crop_size))
        if self.norm not in APPEARANCE_NORMS or self.disc_norm not in APPEARANCE_NORMS:
            raise ValueError(
                f"norm and disc_norm must be one of {APPEARANCE_NORMS}, "
                f"got {self.norm!r}, {self.disc_norm!r}"
            )
        if len(self.size) != 2 or min(self.size) < 1:
            raise ValueError(f"size must be (H, W) with positive sides, got {self.size}")
        if self.local_enhancer and (self.size[0] % 2 or self.size[1] % 2):
            raise ValueError(f"the local enhancer needs an even size, got {self.size}")
        if self.output_upsample and (self.size[0] % 2 or self.size[1] % 2):
            raise ValueError(f"output_upsample needs an even size, got {self.size}")
        if not 0 <= self.deformable_levels <= self.depth + 1:
            raise ValueError(
                f"deformable_levels must be in [0, depth + 1], got {self.deformable_levels}"
            )
        if not 0.0 <= self.fade_in_alpha <= 1.0:
            raise ValueError(f"fade_in_alpha must be in [0, 1], got {self.fade_in_alpha}")
        if not 0.0 <= self.dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {self.dropout}")
        if self.face_fade_in and not self.face_gan:
            raise ValueError("face_fade_in needs face_gan")
        if self.face_half_side <= 0:
            raise ValueError(f"face_half_side must be positive, got {self.face_half_side}")
        if self.upsample not in UPSAMPLE_KINDS:
            raise ValueError(f"upsample must be one of {UPSAMPLE_KINDS}, got {self.upsample!r}")
        if self.torso_mask not in TORSO_MASKS:
            raise ValueError(f"torso_mask must be one of {TORSO_MASKS}, got {self.torso_mask!r}")
        gated = self.identity_part or self.label_gate
        if gated and (self.parsing_channels == 0 or not self.deformable_levels):
            raise ValueError(
                "identity_part and label_gate need the parsings (parsing_channels 9) and "
                "deformable skips"
            )
        if self.colour_hint and (self.parsing_channels == 0 or self.local_enhancer):
            raise ValueError(
                "colour_hint needs the parsings (parsing_channels 9) and a global-only "
                "generator (the local enhancer does not read it)"
            )

    @property
    def core_size(self) -> tuple[int, int]:
        """(H, W) the global generator's encoders see (half of ``size`` when it upsamples)."""
        if self.local_enhancer or self.output_upsample:
            return self.size[0] // 2, self.size[1] // 2
        return self.size

    @property
    def face_size(self) -> tuple[int, int]:
        """(H, W) of the face crop (``face_crop_size`` or ``size``)."""
        return self.size if self.face_crop_size is None else self.face_crop_size

    @classmethod
    def market_128x64(cls, **overrides) -> AppearanceNetConfig:
        """Market-1501 at 128x64: the global generator only, no face GAN (the defaults)."""
        return cls(**overrides)

    @classmethod
    def deepfashion_256x256(cls, **overrides) -> AppearanceNetConfig:
        """The released DeepFashion model: 128-px global core + local enhancer, face GAN.

        D_F reads 256x256 face crops with the fade-in variant (method §4.2-4.4).
        """
        values = dict(
            size=(256, 256),
            local_enhancer=True,
            output_upsample=True,
            face_gan=True,
            face_fade_in=True,
            face_crop_size=(256, 256),
        )
        values.update(overrides)
        return cls(**values)

    @classmethod
    def deepfashion_256x176(cls, **overrides) -> AppearanceNetConfig:
        """DeepFashion at the Def-GAN/PATN 256x176 crop: as 256x256, core at 128x88.

        88 is not a multiple of 2**5, so the core pads to 128x96 internally; the face crop
        stays square (256x256).
        """
        return cls.deepfashion_256x256(**{"size": (256, 176), **overrides})

    @classmethod
    def tiny(cls, **overrides) -> AppearanceNetConfig:
        """A small 32x16 network for tests: base 8, depth 3, 3 deformable levels."""
        values = dict(
            size=(32, 16),
            base_channels=8,
            max_channels=32,
            depth=3,
            deformable_levels=3,
            local_channels=4,
            disc_channels=8,
            face_disc_channels=8,
        )
        values.update(overrides)
        return cls(**values)


@dataclasses.dataclass(frozen=True)
class PoseNetConfig:
    """The pose regressor P and its training data (method §4.5).

    The output is always tanh (the authors' CycleGAN generator), so it lies in [-1, 1] while the
    targets lie in [0, 1]: the negative half is unused, as in the authors' code.

    Attributes:
        size: (H, W) P works at: the appearance network's image size (128x64 for Market-like
            data). Divisible by ``2**n_downsampling``.
        base_channels: width of the first layer (64, CycleGAN's ngf).
        n_blocks: residual blocks (9: "resnet_9blocks").
        n_downsampling: stride-2 downs and ups (2).
        dropout: dropout inside the residual blocks (0, CycleGAN's default).
        heatmap_sigma: target Gaussian width in pixels at ``size`` (6, as everywhere).
        flip: train on horizontally mirrored images half of the time, with the left and right
            joints swapped (``skeleton.mirror_pose``), so P learns the person's own left from
            the body, not from a preference of the data. The authors' code has no augmentation
            (method §5.1); this is our choice.
    """

    size: tuple[int, int] = (128, 64)
    base_channels: int = 64
    n_blocks: int = 9
    n_downsampling: int = 2
    dropout: float = 0.0
    heatmap_sigma: float = 6.0
    flip: bool = True

    def __post_init__(self) -> None:
        object.__setattr__(self, "size", tuple(int(v) for v in self.size))
        factor = 2**self.n_downsampling
        if len(self.size) != 2 or self.size[0] % factor or self.size[1] % factor:
            raise ValueError(f"size {self.size} must be (H, W) divisible by {factor}")
        if self.base_channels < 1 or self.n_blocks < 0 or self.heatmap_sigma <= 0:
            raise ValueError("need base_channels >= 1, n_blocks >= 0 and heatmap_sigma > 0")


@dataclasses.dataclass(frozen=True)
class ParserConfig:
    """The parser network and its input.

    Attributes:
        size: (H, W) the parser works at; divisible by ``2**depth``.
        base_channels: stem width (doubles per level up to ``max_channels``).
        max_channels: widest level.
        depth: stride-2 levels.
        norm: normalisation kind (see ``blocks.make_norm``).
        flip: mirror half of the training images (left/right labels swapped), so the side
            comes from the body and not from where the person stands.
    """

    size: tuple[int, int] = (128, 64)
    base_channels: int = 32
    max_channels: int = 256
    depth: int = 4
    norm: str = choice("instance", APPEARANCE_NORMS)
    flip: bool = True

    def __post_init__(self) -> None:
        object.__setattr__(self, "size", tuple(int(v) for v in self.size))
        factor = 2**self.depth
        if len(self.size) != 2 or self.size[0] % factor or self.size[1] % factor:
            raise ValueError(f"size {self.size} must be (H, W) divisible by {factor} (depth)")
        if self.norm not in APPEARANCE_NORMS:
            raise ValueError(f"norm must be one of {APPEARANCE_NORMS}, got {self.norm!r}")
