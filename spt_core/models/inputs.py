"""The ONE place the networks' inputs are built from images, label maps and poses.

:class:`SemanticInputs` is what G_S reads (at its own size), :class:`AppearanceInputs` what G_A
reads (heat maps, part warps, the local enhancer's half-size maps). The pipeline, the trainers
and the evaluation build them here, so training and inference cannot drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from spt_core import labels as lb
from spt_core import parts as parts_mod
from spt_core import skeleton as sk
from spt_core.letterbox import Letterbox


def images_to_tensor(images: np.ndarray, device) -> torch.Tensor:
    """(B, H, W, 3) uint8 RGB -> (B, 3, H, W) float32 in [-1, 1] on ``device``."""
    pixels = torch.from_numpy(np.ascontiguousarray(images)).to(device)
    return pixels.permute(0, 3, 1, 2).float() / 127.5 - 1.0


def heatmaps(poses, size: tuple[int, int], sigma: float, device) -> torch.Tensor:
    """(B, 18, H, W) Gaussian heat maps of (B, 18, 2) poses (numpy or tensor; NaN missing)."""
    if isinstance(poses, torch.Tensor):
        poses = poses.detach().float()
    else:
        poses = torch.from_numpy(np.asarray(poses, dtype=np.float32))
    return sk.pose_heatmaps_torch(poses.to(device), size, sigma)


def pose_masks(poses: np.ndarray, size: tuple[int, int], radius: int, device) -> torch.Tensor:
    """(B, 1, H, W) float PG2 pose masks of (B, 18, 2) poses."""
    masks = np.stack([sk.pose_mask(pose, size, radius) for pose in np.asarray(poses)])
    return torch.from_numpy(masks).to(device)[:, None].float()


def resize_soft_map(probabilities: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """A (B, C, h, w) soft map resized bilinearly to ``size`` (differentiable: in joint
    training the image losses reach G_S through it); unchanged at that size."""
    if tuple(probabilities.shape[-2:]) == tuple(size):
        return probabilities
    return F.interpolate(probabilities, size=tuple(size), mode="bilinear", align_corners=False)


def smooth_soft_map(probabilities: torch.Tensor, window: int) -> torch.Tensor:
    """A (B, C, H, W) soft map averaged over ``window`` x ``window`` pixels (edges: the mean of
    the pixels inside), so one- and two-pixel stripes of a label lose to their surroundings;
    ``window`` 1 leaves it as it is (inference only, decision 0010)."""
    if window <= 1:
        return probabilities
    return F.avg_pool2d(
        probabilities, window, stride=1, padding=window // 2, count_include_pad=False
    )


@dataclass
class SemanticInputs:
    """What G_S reads to move the source's map into the target pose, at its own size.

    Attributes:
        source_labels: (B, h, w) long source label maps.
        target_labels: (B, h, w) long target label maps (training only; None at inference).
        source_heatmaps, target_heatmaps: (B, 18, h, w) heat maps.
        source_mask, target_mask: (B, 1, h, w) float PG2 pose masks (always built: the
            pseudo-label cross-entropy weighs by the target's).
        source_poses, target_poses: (B, 18, 2) float32 poses in its frame.
        use_pose_mask: whether G_S reads the masks.
    """

    source_labels: torch.Tensor
    target_labels: torch.Tensor | None
    source_heatmaps: torch.Tensor
    target_heatmaps: torch.Tensor
    source_mask: torch.Tensor
    target_mask: torch.Tensor
    source_poses: np.ndarray
    target_poses: np.ndarray
    use_pose_mask: bool

    @classmethod
    def build(
        cls,
        config,
        frame: tuple[int, int],
        source_labels,
        source_poses: np.ndarray,
        target_poses: np.ndarray,
        device,
        target_labels=None,
        frame_heatmaps: tuple[torch.Tensor, torch.Tensor] | None = None,
        frame_sigma: float | None = None,
    ) -> SemanticInputs:
        """The inputs of a semantic network of ``config`` for maps and poses in ``frame``.

        Maps and poses are moved to the network's size by :class:`Letterbox` when it works
        at another (proportional) size, e.g. 128x128 under a 256x256 appearance network.

        Args:
            config: the network's ``SemanticNetConfig``.
            frame: (H, W) the given maps and poses are in.
            source_labels, target_labels: (B, H, W) label maps (numpy or long tensors).
            source_poses, target_poses: (B, 18, 2) poses in ``frame``.
            device: where the tensors go.
            frame_heatmaps: heat maps of the poses already made in ``frame`` (reused when the
                network works at that size and ``frame_sigma`` is its sigma).
            frame_sigma: the sigma of ``frame_heatmaps``.
        """
        size = tuple(config.size)
        letterbox = Letterbox.fit(frame, size)

        def labels(maps):
            if maps is None:
                return None
            if isinstance(maps, torch.Tensor):
                if tuple(maps.shape[-2:]) == size:
                    return maps.to(device).long()
                maps = maps.cpu().numpy()
            return torch.from_numpy(letterbox.labels(maps).astype(np.int64)).to(device)

        source = letterbox.poses(np.asarray(source_poses, np.float32))
        target = letterbox.poses(np.asarray(target_poses, np.float32))
        reuse = frame_heatmaps is not None and letterbox.identity
        if reuse and frame_sigma == config.heatmap_sigma:
            source_heatmaps, target_heatmaps = frame_heatmaps
        else:
            source_heatmaps = heatmaps(source, size, config.heatmap_sigma, device)
            target_heatmaps = heatmaps(target, size, config.heatmap_sigma, device)
        return cls(
            source_labels=labels(source_labels),
            target_labels=labels(target_labels),
            source_heatmaps=source_heatmaps,
            target_heatmaps=target_heatmaps,
            source_mask=pose_masks(source, size, config.mask_radius, device),
            target_mask=pose_masks(target, size, config.mask_radius, device),
            source_poses=source,
            target_poses=target,
            use_pose_mask=config.use_pose_mask,
        )

    def generator_args(self) -> tuple:
        """The positional arguments of ``SemanticGenerator.forward`` / ``predict``."""
        masks = (self.source_mask, self.target_mask) if self.use_pose_mask else (None, None)
        one_hot = lb.one_hot_torch(self.source_labels).float()
        return (one_hot, self.source_heatmaps, self.target_heatmaps, *masks)


@dataclass
class AppearanceInputs:
    """What G_A reads to draw the source person with a target parsing in a target pose.

    Attributes:
        image: (B, 3, H, W) source image in [-1, 1].
        source_parsing, target_parsing: (B, C, H, W) parsings (labels 1..9; soft maps
            allowed; C = 0 for the Baseline, which reads none).
        source_heatmaps, target_heatmaps: (B, 18, H, W) heat maps.
        thetas, part_masks: the part warps (:func:`part_warp_inputs`).
        extra: further ``forward`` keywords (a local enhancer's half-size maps, the label
            fill of a ``colour_hint`` generator).
    """

    image: torch.Tensor
    source_parsing: torch.Tensor
    source_heatmaps: torch.Tensor
    target_parsing: torch.Tensor
    target_heatmaps: torch.Tensor
    thetas: torch.Tensor
    part_masks: torch.Tensor
    extra: dict

    @classmethod
    def build(
        cls,
        generator,
        image: torch.Tensor,
        source_parsing: torch.Tensor,
        target_parsing: torch.Tensor,
        source_poses: np.ndarray,
        target_poses: np.ndarray,
        sigma: float,
        source_heatmaps: torch.Tensor | None = None,
        target_heatmaps: torch.Tensor | None = None,
    ) -> AppearanceInputs:
        """The inputs for ``generator`` (any appearance generator, DDP-wrapped or not).

        Args:
            image: (B, 3, H, W) in [-1, 1], at the generator's size.
            source_parsing, target_parsing: (B, C, H, W) parsings at that size.
            source_poses, target_poses: (B, 18, 2) poses in that frame.
            sigma: the heat maps' Gaussian width (the config's ``heatmap_sigma``).
            source_heatmaps, target_heatmaps: heat maps of the poses, if already made.
        """
        size = tuple(image.shape[-2:])
        device = image.device
        if source_heatmaps is None:
            source_heatmaps = heatmaps(source_poses, size, sigma, device)
        if target_heatmaps is None:
            target_heatmaps = heatmaps(target_poses, size, sigma, device)
        network = getattr(generator, "module", generator)
        geometry = parts_mod.PartGeometry(torso_mask=getattr(network, "torso_mask", "full"))
        thetas, masks = part_warp_inputs(source_poses, target_poses, size, device, geometry)
        if getattr(network, "label_gate", False):
            masks = masks * label_agreement(thetas, source_parsing, target_parsing)
        if getattr(network, "identity_part", False):
            thetas, masks = with_identity_part(thetas, masks, source_parsing, target_parsing)
        extra = low_res_inputs(
            generator, source_parsing, target_parsing, source_poses, target_poses, sigma
        )
        if getattr(network, "colour_hint", False):
            from spt_core.models.label_fill import label_fill

            extra["colour_hint"] = label_fill(image, source_parsing, target_parsing, source_poses)
        return cls(
            image,
            source_parsing,
            source_heatmaps,
            target_parsing,
            target_heatmaps,
            thetas,
            masks,
            extra,
        )

    def render(self, generator, **kwargs) -> torch.Tensor:
        """``generator`` on these inputs; ``kwargs`` (e.g. ``alpha``) go to ``forward``."""
        return generator(
            self.image,
            self.source_parsing,
            self.source_heatmaps,
            self.target_parsing,
            self.target_heatmaps,
            self.thetas,
            self.part_masks,
            **self.extra,
            **kwargs,
        )


def part_warp_inputs(
    source_poses: np.ndarray,
    target_poses: np.ndarray,
    size: tuple[int, int],
    device: torch.device | str = "cpu",
    geometry: parts_mod.PartGeometry = parts_mod.DEFAULT_GEOMETRY,
) -> tuple[torch.Tensor, torch.Tensor]:
    """The generator's part-warp inputs for pose pairs, as float32 tensors.

    Args:
        source_poses: (B, 18, 2) or (18, 2) source poses (x, y pixels, NaN missing) in a frame
            of ``size``.
        target_poses: the target poses, same shape and frame.
        size: (H, W) of the frame the poses refer to (the generator's input size).
        device: where the tensors go.
        geometry: part geometry constants (method §2.2).

    Returns:
        (thetas (B, 10, 2, 3), part_masks (B, 10, H, W)): normalised inverse warps target ->
        source (``parts.affine_to_theta``; valid at every resolution) and the target-frame part
        masks in {0, 1}.
    """
    source = np.asarray(source_poses, dtype=np.float64)
    target = np.asarray(target_poses, dtype=np.float64)
    if source.shape[-2:] != (18, 2) or target.shape[-2:] != (18, 2):
        raise ValueError(
            f"poses must be (B, 18, 2) or (18, 2), got {source.shape} and {target.shape}"
        )
    if source.ndim == 2:
        source, target = source[None], target[None]
    affines, _ = parts_mod.part_affines(source, target, geometry)
    thetas = parts_mod.affine_to_theta(torch.from_numpy(affines), size, size)
    masks = torch.from_numpy(parts_mod.part_masks(target, size, geometry))
    return thetas.to(device=device, dtype=torch.float32), masks.to(device, torch.float32)


def with_background(parsing: torch.Tensor) -> torch.Tensor:
    """(B, 9, H, W) body-label maps (labels 1..9, soft allowed) -> (B, 10, H, W) with the
    background channel 1 - their sum in front."""
    background = (1.0 - parsing.float().sum(1, keepdim=True)).clamp(0.0, 1.0)
    return torch.cat([background, parsing.float()], 1)


def same_label(source: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """(B, H, W) in [0, 1]: ``sum_l S_s[l] * S_t[l]`` of two (B, 10, H, W) label maps
    (background first; soft allowed): where they show the same label at the same place."""
    return (source.float() * target.float()).sum(1).clamp(0.0, 1.0)


def label_agreement(
    thetas: torch.Tensor, source_parsing: torch.Tensor, target_parsing: torch.Tensor
) -> torch.Tensor:
    """How well each part's warp of the source parsing matches the target parsing, per pixel.

    ``sum_l warp_p(S_s)[l] * S_t[l]`` over the 10 labels (background included): 1 where the
    part would carry a source pixel of the label the target asks for, 0 where it would carry
    another label (the old sleeve onto a forearm painted bare, the old arm onto background).

    Args:
        thetas: (B, P, 2, 3) part warps target -> source.
        source_parsing, target_parsing: (B, 9, H, W) maps (soft allowed: in joint training the
            image losses reach G_S through the target's).

    Returns:
        (B, P, H, W) in [0, 1].
    """
    source = with_background(source_parsing)
    target = with_background(target_parsing).to(source.dtype)
    warped = parts_mod.warp_parts(source, thetas)
    return (warped * target[:, None]).sum(2).clamp(0.0, 1.0)


def with_identity_part(
    thetas: torch.Tensor,
    part_masks: torch.Tensor,
    source_parsing: torch.Tensor,
    target_parsing: torch.Tensor,
) -> tuple[torch.Tensor, torch.Tensor]:
    """The part warps plus the identity part: no warp, mask = where source and target show the
    same label at the same place (``AppearanceNetConfig.identity_part``, decision 0006): the
    background the person did not move over, and in a paint edit everything not painted.

    Returns:
        (thetas (B, P + 1, 2, 3), part_masks (B, P + 1, H, W)).
    """
    batch = thetas.shape[0]
    identity = thetas.new_tensor([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]).expand(batch, 1, 2, 3)
    same = same_label(with_background(source_parsing), with_background(target_parsing))
    mask = same.to(part_masks.dtype)
    return torch.cat([thetas, identity], 1), torch.cat([part_masks, mask[:, None]], 1)


def low_res_inputs(
    generator: torch.nn.Module,
    source_parsing: torch.Tensor,
    target_parsing: torch.Tensor,
    source_poses: np.ndarray | torch.Tensor,
    target_poses: np.ndarray | torch.Tensor,
    sigma: float = 6.0,
) -> dict:
    """The ``forward`` keyword arguments that give a local enhancer's core its half-size maps.

    For a ``LocalEnhancedGenerator`` (or one wrapped in DistributedDataParallel): ``{"low_res":
    ...}`` with the parsings subsampled (every second pixel, the odd ones: what the letterbox's
    centre-aligned nearest resizing picks) and the heat maps recomputed from the poses moved
    into the half-size frame by :class:`Letterbox` with the same ``sigma`` (method §4.1). These
    are the maps a run at half the size was trained on, so a 128-px global generator loaded into
    the 256-px model sees what it knows (average-pooled heat maps would be sigma / 2). Images
    and part masks are left to the generator (2×2 average pooling, bilinear). For any other
    generator: ``{}``.

    Args:
        generator: the appearance generator the arguments are for.
        source_parsing, target_parsing: (B, 9, H, W) full-size parsings (soft maps allowed;
            the subsampling keeps their gradient).
        source_poses, target_poses: (B, 18, 2) poses in the full-size frame (NaN missing).
        sigma: heat-map Gaussian width in pixels at the half size.
    """
    from spt_core.models.local_enhancer import LocalEnhancedGenerator

    if not isinstance(getattr(generator, "module", generator), LocalEnhancedGenerator):
        return {}
    height, width = source_parsing.shape[-2:]
    half = (height // 2, width // 2)
    device = source_parsing.device

    letterbox = Letterbox.fit((height, width), half)

    def half_heatmaps(poses):
        if isinstance(poses, torch.Tensor):
            poses = poses.detach().float().cpu().numpy()
        return heatmaps(letterbox.poses(np.asarray(poses, np.float32)), half, sigma, device)

    return {
        "low_res": {
            "source_parsing": source_parsing[..., 1::2, 1::2],
            "target_parsing": target_parsing[..., 1::2, 1::2],
            "source_heatmaps": half_heatmaps(source_poses),
            "target_heatmaps": half_heatmaps(target_poses),
        }
    }
