"""Image-quality metrics: SSIM and mask-SSIM as Def-GAN computes them, PSNR, VGG distance.

Which implementation, and why (details in docs/metrics.md):

* **SSIM** follows Def-GAN's ``compute_scores.py`` (Siarohin et al., CVPR 2018), which SPT's
  formats and appearance network come from: skimage's SSIM on RGB uint8 images with
  ``gaussian_weights=True, sigma=1.5, use_sample_covariance=False`` and, a quirk kept on
  purpose, ``data_range = generated.max() - generated.min()`` of each generated image.
* **mask-SSIM** follows Def-GAN too (not PG2's ``score_mask.py``, which uses skimage's
  default uniform-window SSIM): both images are multiplied by Def-GAN's ``produce_ma_mask`` of
  the *target* pose, then scored with the SSIM above.
* **PSNR** and the **VGG distance** (mean squared relu2_1 difference) are extra diagnostics that
  neither paper reports.

Everything here is Qt-free. Images are RGB ``uint8`` arrays (H, W, 3) or batches (B, H, W, 3);
the batch helpers also take the networks' tensors, (B, 3, H, W) in [-1, 1], converted with
:func:`to_uint8` (clamp, ``(x + 1) * 127.5``, round). Poses follow :mod:`spt_core.skeleton`:
(18, 2) float (x, y), NaN for a missing joint, in the images' pixel coordinates.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from spt_core.skeleton import MASK_SEGMENTS, present

if TYPE_CHECKING:
    import torch

    from spt_core.losses.perceptual import VGGFeatures

#: Def-GAN's SSIM settings (the arguments of skimage's SSIM, except data_range).
DEFGAN_SSIM_ARGS: dict[str, object] = {
    "gaussian_weights": True,
    "sigma": 1.5,
    "use_sample_covariance": False,
}
#: data_range used when the generated image is flat (max == min), where Def-GAN's own rule
#: would give 0 and a division by zero; 255 is the full uint8 range.
FLAT_IMAGE_DATA_RANGE = 255.0


# --------------------------------------------------------------------------------------------
# Image conversion


def to_uint8(images: np.ndarray | torch.Tensor) -> np.ndarray:
    """Images as RGB uint8, channels last.

    Args:
        images: a uint8 array (H, W, 3) or (B, H, W, 3), returned as is; or a float tensor or
            array in [-1, 1], (3, H, W) or (B, 3, H, W), clamped, mapped by
            ``(x + 1) * 127.5`` and rounded (as the trainers' previews do).

    Returns:
        (H, W, 3) or (B, H, W, 3) uint8 array.

    Raises:
        ValueError: a float input without 3 channels in front, or a non-uint8 integer input.
    """
    if isinstance(images, np.ndarray) and images.dtype == np.uint8:
        return images
    import torch

    if isinstance(images, torch.Tensor):
        array = images.detach().to("cpu", torch.float64).numpy()
    else:
        array = np.asarray(images)
        if not np.issubdtype(array.dtype, np.floating):
            raise ValueError(f"images: expected uint8 or float in [-1, 1], got {array.dtype}")
        array = array.astype(np.float64)
    if array.ndim not in (3, 4) or array.shape[-3] != 3:
        raise ValueError(f"float images: expected (3, H, W) or (B, 3, H, W), got {array.shape}")
    array = np.rint((np.clip(array, -1.0, 1.0) + 1.0) * 127.5).astype(np.uint8)
    return np.ascontiguousarray(np.moveaxis(array, -3, -1))


def _check_pair(generated: np.ndarray, target: np.ndarray) -> None:
    if generated.dtype != np.uint8 or target.dtype != np.uint8:
        raise ValueError(
            f"expected uint8 images, got {generated.dtype} and {target.dtype} (see to_uint8)"
        )
    if generated.shape != target.shape:
        raise ValueError(f"image shapes differ: {generated.shape} vs {target.shape}")
    if generated.ndim not in (2, 3):
        raise ValueError(f"expected one (H, W) or (H, W, C) image, got shape {generated.shape}")


# --------------------------------------------------------------------------------------------
# SSIM, PSNR


def ssim(generated: np.ndarray, target: np.ndarray) -> float:
    """SSIM with Def-GAN's settings.

    skimage's ``structural_similarity`` with a Gaussian window (sigma 1.5), population
    covariance, the channels scored separately and averaged, and
    ``data_range = generated.max() - generated.min()`` of this generated image. A flat
    generated image (range 0) would divide by zero in Def-GAN; it gets
    :data:`FLAT_IMAGE_DATA_RANGE` (255) instead.

    Current skimage cuts its Gaussian at 3.5 sigma (11 taps); the skimage of 2018 that Def-GAN
    ran cut at 4 sigma (13 taps). The two differ by under 1e-3 per image and a few 1e-4 on
    means (measured in docs/metrics.md); this function uses the installed skimage.

    Args:
        generated: (H, W, 3) uint8 RGB (a grey (H, W) image also works); at least 11 x 11.
        target: the real image, same shape and dtype.

    Returns:
        The mean SSIM, 1.0 for identical images.

    Raises:
        ValueError: not uint8, shapes differ, or the image is smaller than the 11 x 11 window.
    """
    from skimage.metrics import structural_similarity

    generated, target = np.asarray(generated), np.asarray(target)
    _check_pair(generated, target)
    data_range = float(generated.max()) - float(generated.min())
    if data_range == 0:
        data_range = FLAT_IMAGE_DATA_RANGE
    # Def-GAN calls compare_ssim(reference, generated); SSIM is symmetric in its two images,
    # only data_range depends on which one is the generated image.
    return float(
        structural_similarity(
            target,
            generated,
            data_range=data_range,
            channel_axis=-1 if generated.ndim == 3 else None,
            **DEFGAN_SSIM_ARGS,
        )
    )


def psnr(generated: np.ndarray, target: np.ndarray, data_range: float = 255.0) -> float:
    """Peak signal-to-noise ratio ``10 log10(data_range^2 / MSE)`` in dB (inf if identical).

    Args:
        generated: image array (any dtype; uint8 RGB in this project).
        target: same shape.
        data_range: the largest possible pixel difference (255 for uint8).
    """
    generated = np.asarray(generated, dtype=np.float64)
    target = np.asarray(target, dtype=np.float64)
    if generated.shape != target.shape:
        raise ValueError(f"image shapes differ: {generated.shape} vs {target.shape}")
    mse = float(np.mean((generated - target) ** 2))
    if mse == 0:
        return float("inf")
    return float(10.0 * np.log10(data_range**2 / mse))


# --------------------------------------------------------------------------------------------
# Def-GAN pose mask and mask-SSIM


def defgan_pose_mask(
    pose: np.ndarray,
    size: tuple[int, int],
    radius: float = 4,
    half_width: float = 4,
    closing: int = 5,
) -> np.ndarray:
    """Def-GAN's ``produce_ma_mask``: thickened bones and joint discs, then a closing.

    For each of the 23 :data:`~spt_core.skeleton.MASK_SEGMENTS` with both joints present, the
    quadrilateral ``a +- n, b -+ n`` (``n`` the unit normal times ``half_width``) is filled with
    ``skimage.draw.polygon`` (pixel centres inside or on the edge). Every present joint gets
    ``skimage.draw.disk`` of ``radius`` (pixels at distance **strictly** below the radius, as
    skimage's old ``circle`` that Def-GAN called). Then a ``closing`` x ``closing`` square
    dilation followed by an erosion (skimage's reflect border, which for a symmetric square
    ignores pixels outside the image, as :func:`spt_core.skeleton.pose_mask` does).

    Def-GAN uses one ``point_radius`` (4) for both the bone half-width and the discs; they are
    separate parameters here with those defaults. A segment whose two joints coincide has no
    direction; Def-GAN would divide by zero there, here it gets no rectangle (the discs cover it).

    Args:
        pose: (18, 2) (x, y) pose in the image's pixel coordinates, NaN for missing joints.
        size: (height, width) of the mask.
        radius: joint disc radius in pixels.
        half_width: half the thickness of each bone rectangle in pixels.
        closing: side of the square structuring element; 1 or less skips the closing.

    Returns:
        (H, W) uint8 mask in {0, 1}.
    """
    from skimage.draw import disk, polygon
    from skimage.morphology import dilation, erosion

    height, width = size
    mask = np.zeros((height, width), dtype=bool)
    pose = np.asarray(pose, dtype=np.float64)
    if pose.shape != (18, 2):
        raise ValueError(f"a pose must have shape (18, 2), got {pose.shape}")
    ok = present(pose)
    for a, b in MASK_SEGMENTS:
        if not (ok[a] and ok[b]):
            continue
        direction = pose[a] - pose[b]
        length = float(np.hypot(*direction))
        if length == 0:
            continue
        normal = half_width * np.array([-direction[1], direction[0]]) / length
        corners = np.stack([pose[a] + normal, pose[a] - normal, pose[b] - normal, pose[b] + normal])
        rows, cols = polygon(corners[:, 1], corners[:, 0], shape=(height, width))
        mask[rows, cols] = True
    for x, y in pose[ok]:
        rows, cols = disk((y, x), radius, shape=(height, width))
        mask[rows, cols] = True
    if closing > 1:
        footprint = np.ones((closing, closing), dtype=bool)
        mask = erosion(dilation(mask, footprint), footprint)
    return mask.astype(np.uint8)


def mask_ssim(generated: np.ndarray, target: np.ndarray, target_pose: np.ndarray) -> float:
    """Def-GAN's mask-SSIM: both images times the target pose's mask, then :func:`ssim`.

    Pixels outside :func:`defgan_pose_mask` of ``target_pose`` become black in both images, so
    only the person's pose region is compared (Def-GAN's Market-1501 protocol). The SSIM
    window still straddles the mask edge, so pixels just outside the mask do not count, but the
    black border around it does.

    Args:
        generated: (H, W, 3) uint8 RGB.
        target: the real target image, same shape.
        target_pose: (18, 2) (x, y) target pose in the images' coordinates.
    """
    generated, target = np.asarray(generated), np.asarray(target)
    _check_pair(generated, target)
    mask = defgan_pose_mask(target_pose, generated.shape[:2])
    if generated.ndim == 3:
        mask = mask[..., None]
    # uint8 * {0, 1} stays uint8, as Def-GAN's image * bool mask.
    return ssim(generated * mask, target * mask)


# --------------------------------------------------------------------------------------------
# VGG feature distance


def _as_model_input(images: np.ndarray | torch.Tensor, device) -> torch.Tensor:
    """uint8 (B, H, W, 3) array or [-1, 1] tensor (B, 3, H, W) -> float tensor in [-1, 1]."""
    import torch

    if isinstance(images, torch.Tensor):
        if images.dtype == torch.uint8:
            raise ValueError("uint8 tensors are ambiguous: pass a numpy array (B, H, W, 3)")
        return images.detach().to(device=device, dtype=torch.float32)
    array = np.asarray(images)
    if array.dtype != np.uint8:
        raise ValueError(f"numpy images must be uint8 (B, H, W, 3), got {array.dtype}")
    tensor = torch.from_numpy(np.ascontiguousarray(array)).to(device=device, dtype=torch.float32)
    return tensor.permute(0, 3, 1, 2) / 127.5 - 1.0


def vgg_distance(
    generated: np.ndarray | torch.Tensor,
    target: np.ndarray | torch.Tensor,
    extractor: VGGFeatures | None = None,
    batch_size: int = 16,
) -> np.ndarray | float:
    """Mean squared distance between VGG19 relu2_1 features, per image.

    ``mean over (C, H', W') of (phi(generated) - phi(target))^2`` with phi the frozen VGG19 of
    :class:`~spt_core.losses.perceptual.VGGFeatures` (relu2_1 = ``"block2_relu1"``), the layer
    of the method's content loss. Computed without gradients, ``batch_size`` images at a time.

    Args:
        generated: RGB uint8 numpy images (H, W, 3) / (B, H, W, 3), or float tensors in
            [-1, 1] (3, H, W) / (B, 3, H, W).
        target: the same kind and shape.
        extractor: the feature extractor; default a relu2_1 :class:`VGGFeatures` on the
            tensors' device (the CPU for numpy input). Its first layer is used.
        batch_size: images per forward pass.

    Returns:
        A (B,) float64 array for batches, a float for one image.
    """
    import torch

    single = generated.ndim == 3
    if single:
        generated, target = generated[None], target[None]
    if tuple(generated.shape) != tuple(target.shape):
        raise ValueError(f"image shapes differ: {tuple(generated.shape)} vs {tuple(target.shape)}")
    if extractor is None:
        from spt_core.losses.perceptual import VGGFeatures

        device = generated.device if isinstance(generated, torch.Tensor) else "cpu"
        extractor = VGGFeatures(device=device)
    layer = extractor.layers[0]
    distances = []
    with torch.no_grad():
        for start in range(0, generated.shape[0], batch_size):
            stop = start + batch_size
            gen = extractor.extract(_as_model_input(generated[start:stop], extractor.device))
            tgt = extractor.extract(_as_model_input(target[start:stop], extractor.device))
            diff = (gen[layer].double() - tgt[layer].double()) ** 2
            distances.append(diff.flatten(1).mean(dim=1).cpu().numpy())
    result = np.concatenate(distances) if distances else np.zeros(0)
    return float(result[0]) if single else result


# --------------------------------------------------------------------------------------------
# Accumulator


class ImageScores:
    """Running means of SSIM, mask-SSIM, PSNR and VGG distance over a test set.

    Example:
        >>> scores = ImageScores()
        >>> for batch in loader:
        ...     scores.add(generator(batch), batch["target_image"], batch["target_pose"])
        >>> scores.summary()
        {'ssim': 0.75, 'mask_ssim': 0.80, 'psnr': 17.9, 'vgg_distance': 310.0, 'count': 12000}

    Each score is a mean of per-image values (Def-GAN's ``np.mean`` over pairs). PSNR of an
    image identical to its target is inf, which makes the mean inf.

    Args:
        vgg: whether to compute the VGG distance (loads VGG19 on first use).
        extractor: a feature extractor to use instead of a CPU relu2_1 :class:`VGGFeatures`.
    """

    def __init__(self, vgg: bool = True, extractor: VGGFeatures | None = None) -> None:
        self.vgg = vgg
        self.extractor = extractor
        self._values: dict[str, list[float]] = {
            "ssim": [],
            "mask_ssim": [],
            "psnr": [],
            "vgg_distance": [],
        }

    def __len__(self) -> int:
        return len(self._values["ssim"])

    def add(
        self,
        generated: np.ndarray | torch.Tensor,
        target: np.ndarray | torch.Tensor,
        target_poses: np.ndarray | Sequence[np.ndarray] | None = None,
    ) -> None:
        """Score a batch of generated images against their targets.

        Args:
            generated: uint8 (B, H, W, 3) or a tensor (B, 3, H, W) in [-1, 1].
            target: the real target images, same kind and shape.
            target_poses: (B, 18, 2) (x, y) target poses for mask-SSIM; None skips mask-SSIM.
        """
        gen_u8, tgt_u8 = to_uint8(generated), to_uint8(target)
        if gen_u8.ndim != 4 or gen_u8.shape != tgt_u8.shape:
            raise ValueError(
                f"expected two batches of the same shape, got {gen_u8.shape} and {tgt_u8.shape}"
            )
        if target_poses is not None and len(target_poses) != len(gen_u8):
            raise ValueError(f"{len(target_poses)} target poses for {len(gen_u8)} images")
        for i, (gen, tgt) in enumerate(zip(gen_u8, tgt_u8, strict=True)):
            self._values["ssim"].append(ssim(gen, tgt))
            self._values["psnr"].append(psnr(gen, tgt))
            if target_poses is not None:
                self._values["mask_ssim"].append(mask_ssim(gen, tgt, target_poses[i]))
        if self.vgg:
            if self.extractor is None:
                from spt_core.losses.perceptual import VGGFeatures

                self.extractor = VGGFeatures()
            # The rounded uint8 images, so every score sees the same pixels.
            distances = vgg_distance(gen_u8, tgt_u8, self.extractor)
            self._values["vgg_distance"].extend(float(d) for d in distances)

    def summary(self) -> dict[str, float | int | None]:
        """Mean of each score (None where nothing was scored) and the number of images."""
        out: dict[str, float | int | None] = {
            name: (float(np.mean(values)) if values else None)
            for name, values in self._values.items()
        }
        out["count"] = len(self)
        out["mask_count"] = len(self._values["mask_ssim"])
        return out
