"""Face crops for the face discriminator D_F (method §4.4).

The face box is the head-part square of the deformable skips: centred on the integer mean of
the present head joints (nose, eyes, ears), half-side ``int(0.40 * torso scale)``, clipped to
the image. An affine maps the whole crop canvas onto that box (an inverse warp, crop pixel ->
image pixel) and bilinear resampling (``affine_grid`` / ``grid_sample``) produces the crop,
upscaled to ``crop_size``. A pose without head joints (or without a torso, so no scale) gives
a blank (all-zero) crop. Everything after the box is batched torch and differentiable with
respect to the images.

Pixel convention: the box covers pixel columns ``x0 .. x1 - 1`` (Def-GAN's ``mask[y0:y1,
x0:x1]``); its outer pixel edges map onto the crop's outer edges. With ``align_corners=False``
the edge at pixel-edge coordinate e is normalised to ``2 e / W - 1``, so the crop's theta is
``[[(x1 - x0) / W, 0, (x0 + x1) / W - 1], [0, (y1 - y0) / H, (y0 + y1) / H - 1]]`` at any crop
size. A crop of exactly the box's size is then a plain copy of the box. (The authors map the
canvas corner points onto the box corners with the pre-1.3 ``affine_grid`` semantics, which
differs from this by under one source pixel.)
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from spt_core import skeleton as sk
from spt_core.parts import torso_scales

#: Half-side of the face box, times the torso scale (method §4.4).
FACE_HALF_SIDE = 0.40


def face_boxes(
    poses: np.ndarray | torch.Tensor, size: tuple[int, int], half_side: float = FACE_HALF_SIDE
) -> tuple[np.ndarray, np.ndarray]:
    """Face boxes of a batch of poses.

    Args:
        poses: (B, 18, 2) or (18, 2) poses, (x, y) pixels of an image of ``size``, NaN missing.
        size: (H, W) of the image.
        half_side: half-side of the box, times the torso scale.

    Returns:
        (boxes (B, 4) int64 ``[x0, y0, x1, y1]`` with x1, y1 exclusive, valid (B,) bool).
        Invalid rows (no head joint, no torso, or a box outside the image) hold zeros.
    """
    if isinstance(poses, torch.Tensor):
        poses = poses.detach().cpu().numpy()
    poses = np.asarray(poses, dtype=np.float64)
    if poses.ndim == 2:
        poses = poses[None]
    if poses.shape[-2:] != (sk.NUM_JOINTS, 2):
        raise ValueError(f"poses: expected (B, 18, 2), got {poses.shape}")
    height, width = size
    head = poses[:, list(sk.HEAD_JOINTS)]
    present = ~np.isnan(head).any(-1)
    count = present.sum(-1)
    total = np.where(present[..., None], np.nan_to_num(head), 0.0).sum(-2)
    # Def-GAN / SPT truncate the mean to integer pixels (``astype(int)``).
    centre = np.trunc(total / np.maximum(count, 1)[:, None]).astype(np.int64)
    scales = torso_scales(poses)
    finite = np.isfinite(scales)
    half = np.trunc(half_side * np.where(finite, scales, 0.0)).astype(np.int64)
    x0 = np.maximum(centre[:, 0] - half, 0)
    y0 = np.maximum(centre[:, 1] - half, 0)
    x1 = np.minimum(centre[:, 0] + half, width)
    y1 = np.minimum(centre[:, 1] + half, height)
    valid = (count > 0) & finite & (x1 > x0) & (y1 > y0)
    boxes = np.stack([x0, y0, x1, y1], axis=-1)
    return np.where(valid[:, None], boxes, 0), valid


def face_thetas(
    poses: np.ndarray | torch.Tensor,
    size: tuple[int, int],
    half_side: float = FACE_HALF_SIDE,
    device: torch.device | str = "cpu",
) -> tuple[torch.Tensor, torch.Tensor]:
    """Normalised crop transforms (crop -> image) of a batch of poses.

    Args:
        poses, size, half_side: as ``face_boxes``.
        device: where the tensors go.

    Returns:
        (thetas (B, 2, 3) float32, valid (B,) bool); the thetas do not depend on the crop size.
        Invalid rows hold the identity (their crops are zeroed by ``apply_face_crop``).
    """
    boxes, valid = face_boxes(poses, size, half_side)
    height, width = size
    x0, y0, x1, y1 = (boxes[:, k].astype(np.float64) for k in range(4))
    thetas = np.zeros((len(boxes), 2, 3))
    thetas[:, 0, 0] = np.where(valid, (x1 - x0) / width, 1.0)
    thetas[:, 0, 2] = np.where(valid, (x0 + x1) / width - 1.0, 0.0)
    thetas[:, 1, 1] = np.where(valid, (y1 - y0) / height, 1.0)
    thetas[:, 1, 2] = np.where(valid, (y0 + y1) / height - 1.0, 0.0)
    return (
        torch.from_numpy(thetas).to(device=device, dtype=torch.float32),
        torch.from_numpy(valid).to(device),
    )


def apply_face_crop(
    images: torch.Tensor,
    thetas: torch.Tensor,
    valid: torch.Tensor,
    crop_size: tuple[int, int] | None = None,
) -> torch.Tensor:
    """Resample face crops with precomputed ``face_thetas`` (differentiable in ``images``).

    Args:
        images: (B, C, H, W).
        thetas: (B, 2, 3) from ``face_thetas``.
        valid: (B,) bool; False rows come out all zeros.
        crop_size: (h, w) of the crops; default the image size (the authors' 256x256).

    Returns:
        (B, C, h, w) crops.
    """
    if images.dim() != 4:
        raise ValueError(f"images: expected (B, C, H, W), got {tuple(images.shape)}")
    batch, channels, height, width = images.shape
    if tuple(thetas.shape) != (batch, 2, 3) or tuple(valid.shape) != (batch,):
        raise ValueError(
            f"thetas / valid: expected ({batch}, 2, 3) and ({batch},), got "
            f"{tuple(thetas.shape)} and {tuple(valid.shape)}"
        )
    out_h, out_w = (height, width) if crop_size is None else crop_size
    thetas = thetas.to(device=images.device, dtype=images.dtype)
    grid = F.affine_grid(thetas, [batch, channels, out_h, out_w], align_corners=False)
    crops = F.grid_sample(images, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
    return crops * valid.to(device=images.device, dtype=images.dtype).view(batch, 1, 1, 1)


def crop_faces(
    images: torch.Tensor,
    poses: np.ndarray | torch.Tensor,
    crop_size: tuple[int, int] | None = None,
    half_side: float = FACE_HALF_SIDE,
) -> torch.Tensor:
    """Face crops F(I) of a batch of images from their poses (method §4.4).

    Args:
        images: (B, C, H, W) images (real or generated; gradients flow to them).
        poses: (B, 18, 2) poses in the images' pixel frame (NaN missing).
        crop_size: (h, w) of the crops; default the image size.
        half_side: half-side of the face box, times the torso scale.

    Returns:
        (B, C, h, w) crops; all zeros for a pose without head joints or torso.
    """
    thetas, valid = face_thetas(poses, tuple(images.shape[-2:]), half_side, images.device)
    if thetas.shape[0] != images.shape[0]:
        raise ValueError(
            f"poses: expected {images.shape[0]} poses (one per image), got {thetas.shape[0]}"
        )
    return apply_face_crop(images, thetas, valid, crop_size)
