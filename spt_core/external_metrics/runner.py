"""``ExternalMetrics``: FID, IS and LPIPS of image sets through the user's network files."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from spt_core.errors import DataError, SptError
from spt_core.external_metrics import networks
from spt_core.external_metrics.networks import (
    INCEPTION_SIZE,
    inception_roles,
    load_network,
    lpips_distances,
    select_output,
)
from spt_core.external_metrics.scores import (
    IS_SPLITS,
    MetricError,
    fid_from_features,
    inception_score,
)

if TYPE_CHECKING:
    import torch

#: pytorch-fid's default batch size.
DEFAULT_BATCH_SIZE = 50


def uint8_images(images: Any, name: str) -> np.ndarray:
    """(N, H, W, 3) uint8, from uint8 arrays or [-1, 1] tensors (as ``metrics.to_uint8``).

    Args:
        images: uint8 (N, H, W, 3), or float tensors (N, 3, H, W) in [-1, 1].
        name: what the images are, for messages.

    Raises:
        MetricError: not (N, H, W, 3) uint8 after conversion, or no images.
    """
    from spt_core.metrics import to_uint8

    array = to_uint8(images)
    if array.ndim != 4 or array.shape[-1] != 3 or array.dtype != np.uint8:
        raise MetricError(f"{name}: expected uint8 images (N, H, W, 3), got {array.shape}")
    if len(array) == 0:
        raise MetricError(f"{name}: no images")
    return array


class ExternalMetrics:
    """FID, IS and LPIPS from user-supplied network files (contracts: ``networks``).

    Args:
        inception: Inception file for FID (pool output) and IS (logits output), or None.
        lpips: LPIPS file, or None.
        device: where the networks run ("auto", "cpu", "cuda", ...).
        batch_size: images per forward pass (pytorch-fid's default 50).
        resize: side the images are resized to (bilinear, ``align_corners=False``, no
            antialiasing, as pytorch-fid) before the Inception file; None passes them as they
            are, for a module that resizes itself.
        pool_dim: the feature width taken as the FID pool (None: ``FID_POOL_DIM``, 2048).

    Raises:
        DataError: a file is missing or breaks its contract (see :func:`load_scripted`).
    """

    def __init__(
        self,
        inception: str | Path | None = None,
        lpips: str | Path | None = None,
        device: Any = "cpu",
        batch_size: int = DEFAULT_BATCH_SIZE,
        resize: int | None = INCEPTION_SIZE,
        pool_dim: int | None = None,
        trust_archives: bool = False,
    ) -> None:
        from spt_core.devices import resolve_device

        if batch_size < 1:
            raise ValueError(f"batch_size must be positive, got {batch_size}")
        self.device = resolve_device(device)
        self.batch_size = batch_size
        self.resize = resize
        # Read from the networks module at call time, not as a default argument, so that it can
        # be changed module-wide (networks.FID_POOL_DIM).
        self.pool_dim = networks.FID_POOL_DIM if pool_dim is None else pool_dim
        self.inception_path = None if inception is None else Path(inception)
        self.lpips_path = None if lpips is None else Path(lpips)
        self._inception = self._roles = self._lpips = None
        if inception is not None:
            self._inception, self._roles = load_network(
                inception, "inception", self.device, resize, self.pool_dim, trust_archives
            )
        if lpips is not None:
            self._lpips = load_network(lpips, "lpips", self.device, trust_archive=trust_archives)[0]

    @property
    def has_fid(self) -> bool:
        """The Inception file gives pool features."""
        return self._roles is not None and self._roles["pool"] is not None

    @property
    def has_is(self) -> bool:
        """The Inception file gives logits."""
        return self._roles is not None and self._roles["logits"] is not None

    @property
    def has_lpips(self) -> bool:
        """An LPIPS file was given."""
        return self._lpips is not None

    def inception_inputs(self, images: np.ndarray) -> torch.Tensor:
        """uint8 (B, H, W, 3) -> float (B, 3, S, S) in [0, 1] on the device (S = ``resize``)."""
        import torch
        import torch.nn.functional as F

        x = torch.from_numpy(np.ascontiguousarray(images)).to(self.device)
        x = x.permute(0, 3, 1, 2).float() / 255.0
        if self.resize is not None and tuple(x.shape[2:]) != (self.resize, self.resize):
            x = F.interpolate(
                x, size=(self.resize, self.resize), mode="bilinear", align_corners=False
            )
        return x

    def inception_outputs(self, images: Any) -> tuple[np.ndarray | None, np.ndarray | None]:
        """Pool features (N, D) and logits (N, C) of images, float32; None where not given.

        Args:
            images: uint8 (N, H, W, 3), or float tensors (N, 3, H, W) in [-1, 1].
        """
        import torch

        if self._inception is None:
            raise SptError("no Inception file was given (--inception)")
        images = uint8_images(images, "inception images")
        pools, logits = [], []
        with torch.no_grad():
            for start in range(0, len(images), self.batch_size):
                batch = images[start : start + self.batch_size]
                result = self._inception(self.inception_inputs(batch))
                # Checked on every batch: a traced module can behave differently on a last,
                # smaller batch than on the probe.
                roles = inception_roles(result, len(batch), self.inception_path, self.pool_dim)
                for key, out in (("pool", pools), ("logits", logits)):
                    if self._roles[key] is not None:
                        if roles[key] != self._roles[key]:
                            raise DataError(
                                self.inception_path,
                                f"inception network changed its outputs on a batch of {len(batch)}",
                            )
                        out.append(select_output(result, roles[key]).float().cpu().numpy())
        return (
            np.concatenate(pools) if pools else None,
            np.concatenate(logits) if logits else None,
        )

    def fid(self, generated: Any, real: Any) -> float:
        """FID between two image sets (any sizes; each is resized as configured)."""
        if self._inception is None:
            raise SptError("no Inception file was given (--inception)")
        if not self.has_fid:
            raise SptError(f"{self.inception_path}: the network has no pool output; no FID")
        return fid_from_features(
            self.inception_outputs(generated)[0], self.inception_outputs(real)[0]
        )

    def inception_score(self, generated: Any, splits: int = IS_SPLITS) -> tuple[float, float]:
        """IS (mean, std over splits) of images. For mask-IS pass pose-masked images."""
        if self._inception is None:
            raise SptError("no Inception file was given (--inception)")
        if not self.has_is:
            raise SptError(f"{self.inception_path}: the network has no logits output; no IS")
        return inception_score(self.inception_outputs(generated)[1], splits)

    def lpips(self, generated: Any, targets: Any) -> float:
        """Mean LPIPS distance of corresponding images (N, H, W, 3), at their own size."""
        import torch

        if self._lpips is None:
            raise SptError("no LPIPS file was given (--lpips)")
        generated = uint8_images(generated, "LPIPS images")
        targets = uint8_images(targets, "LPIPS targets")
        if generated.shape != targets.shape:
            raise MetricError(f"LPIPS: {generated.shape} images against {targets.shape} targets")
        total = 0.0
        with torch.no_grad():
            for start in range(0, len(generated), self.batch_size):
                a, b = (
                    torch.from_numpy(np.ascontiguousarray(x[start : start + self.batch_size]))
                    .to(self.device)
                    .permute(0, 3, 1, 2)
                    .float()
                    / 127.5
                    - 1.0
                    for x in (generated, targets)
                )
                distances = lpips_distances(self._lpips(a, b), len(a), self.lpips_path)
                total += float(distances.double().sum())
        return total / len(generated)
