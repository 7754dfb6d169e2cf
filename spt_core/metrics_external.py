"""FID, IS and LPIPS from network files the user has on disk (nothing is ever downloaded).

The weights behind these metrics (Inception-v3, LPIPS's AlexNet/VGG) cannot ship with the
project and must not be fetched at run time, so the user exports them once, on a machine that
has pytorch-fid / torchvision / lpips, as **TorchScript** files (``torch.jit.trace(...).save``)
or **torch.export** archives (``torch.export.save``, ``.pt2``); snippets in
docs/external_metrics.md. Both keep the code with the weights, so loading needs neither package
here. (torch 2.13 warns that torch.jit is deprecated, hence the second format.)

Contracts (checked on a probe batch when a file is loaded):

* **Inception file** (FID and IS): ``forward(x)`` with ``x`` float (B, 3, H, W), RGB in [0, 1].
  By default this module resizes the images to 299 x 299 (bilinear, ``align_corners=False``,
  as pytorch-fid) before the call; ``resize=None`` passes them at their own size. It returns a
  tensor or a tuple/list of tensors; each output of shape (B, 2048) or (B, 2048, 1, 1) is the
  pool feature used by FID, each of shape (B, 1000) or (B, 1008) is the logits used by IS.
  Other outputs are ignored; a file with only one of the two gives only that metric.
* **LPIPS file**: ``forward(a, b)`` with two float batches (B, 3, H, W) in [-1, 1]; returns
  (B,), (B, 1) or (B, 1, 1, 1) distances. The reported LPIPS is their mean.

The formulas follow the reference code exactly: FID is pytorch-fid's
``calculate_frechet_distance`` (scipy ``sqrtm``, ``eps`` offset when the product is singular,
tolerance on the imaginary part); IS is improved-GAN's ``get_inception_score`` (softmax,
10 splits, ``exp(mean KL(p(y|x) || p(y)))``, mean and population std over splits).

Qt-free; torch is imported only when a network is loaded or run.
"""

from __future__ import annotations

import argparse
import warnings
import zipfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from spt_core.errors import DataError, SptError

if TYPE_CHECKING:
    import torch

#: Width of Inception-v3's final average pool, the FID feature.
FID_POOL_DIM = 2048
#: Logit widths accepted for IS: torchvision's ImageNet head (1000) and the 2015-12-05
#: TensorFlow graph used by improved-GAN and pytorch-fid (1008, 8 unused classes).
LOGIT_DIMS = (1000, 1008)
#: Input side the Inception networks were trained at; images are resized to it by default.
INCEPTION_SIZE = 299
#: improved-GAN's number of splits for IS.
IS_SPLITS = 10
#: pytorch-fid's offset added to the covariance diagonals when sqrtm fails.
FID_EPS = 1e-6
#: pytorch-fid's default batch size.
DEFAULT_BATCH_SIZE = 50

_KINDS = ("inception", "lpips")


class MetricError(SptError, ValueError):
    """A metric cannot be computed from the given numbers (shapes, too few samples, ...)."""


# --------------------------------------------------------------------------------------------
# Formulas


def frechet_distance(
    mu1: np.ndarray,
    sigma1: np.ndarray,
    mu2: np.ndarray,
    sigma2: np.ndarray,
    eps: float = FID_EPS,
) -> float:
    """Fréchet distance between two Gaussians, as pytorch-fid's ``calculate_frechet_distance``.

    ``d² = ||mu1 - mu2||² + Tr(S1 + S2 - 2 sqrtm(S1 S2))``.

    Args:
        mu1, mu2: means (D,).
        sigma1, sigma2: covariances (D, D).
        eps: added to both diagonals when ``sqrtm(S1 S2)`` is not finite (a near-singular
            product, typical with fewer samples than dimensions); a RuntimeWarning says so.

    Returns:
        The distance (a float; tiny negative values from rounding are returned as they are,
        as in pytorch-fid).

    Raises:
        MetricError: shapes differ, or ``sqrtm`` has an imaginary diagonal part above 1e-3
            (pytorch-fid's check; a smaller one is rounding and is dropped).
    """
    from scipy import linalg

    mu1 = np.atleast_1d(np.asarray(mu1, np.float64))
    mu2 = np.atleast_1d(np.asarray(mu2, np.float64))
    sigma1 = np.atleast_2d(np.asarray(sigma1, np.float64))
    sigma2 = np.atleast_2d(np.asarray(sigma2, np.float64))
    if mu1.shape != mu2.shape or mu1.ndim != 1:
        raise MetricError(
            f"FID: means must be two vectors of one length, got {mu1.shape} and {mu2.shape}"
        )
    if sigma1.shape != sigma2.shape or sigma1.shape != (mu1.size, mu1.size):
        raise MetricError(
            f"FID: covariances must be ({mu1.size}, {mu1.size}), got {sigma1.shape} and "
            f"{sigma2.shape}"
        )
    diff = mu1 - mu2
    # scipy >= 1.16 deprecates sqrtm(disp=False); its non-finite result is the same signal.
    covmean = linalg.sqrtm(sigma1.dot(sigma2))
    if not np.isfinite(covmean).all():
        warnings.warn(
            f"FID: singular covariance product; adding {eps} to the diagonals (as pytorch-fid)",
            RuntimeWarning,
            stacklevel=2,
        )
        offset = np.eye(sigma1.shape[0]) * eps
        covmean = linalg.sqrtm((sigma1 + offset).dot(sigma2 + offset))
    # The product of two PSD matrices has a real square root; an imaginary part is rounding,
    # unless it is large, which means the covariances are broken.
    if np.iscomplexobj(covmean):
        if not np.allclose(np.diagonal(covmean).imag, 0, atol=1e-3):
            largest = np.max(np.abs(covmean.imag))
            raise MetricError(f"FID: sqrtm has an imaginary component of {largest:.3g}")
        covmean = covmean.real
    return float(diff.dot(diff) + np.trace(sigma1) + np.trace(sigma2) - 2.0 * np.trace(covmean))


def feature_statistics(features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean (D,) and sample covariance (D, D) of features (N, D), in float64.

    The covariance is ``np.cov(features, rowvar=False)`` (divides by N - 1), as pytorch-fid.
    pytorch-fid takes the mean of float32 features in float32; here both are float64, which
    differs by rounding only.

    Raises:
        MetricError: not (N, D), or fewer than 2 samples.
    """
    features = np.asarray(features, dtype=np.float64)
    if features.ndim != 2 or len(features) < 2:
        raise MetricError(f"FID: need features (N >= 2, D), got shape {features.shape}")
    return features.mean(axis=0), np.cov(features, rowvar=False)


def fid_from_features(features1: np.ndarray, features2: np.ndarray, eps: float = FID_EPS) -> float:
    """FID between two feature sets (N1, D) and (N2, D).

    Warns when a set has fewer samples than dimensions: its covariance is then singular and the
    FID strongly biased upwards (the FID paper recommends at least 10,000 images; never compare
    FIDs computed on different numbers of images).
    """
    for features in (features1, features2):
        shape = np.shape(features)
        if len(shape) == 2 and shape[0] < shape[1]:
            warnings.warn(
                f"FID from {shape[0]} samples of {shape[1]} dimensions: the covariance is "
                "singular and the score biased; use more images",
                RuntimeWarning,
                stacklevel=2,
            )
    mu1, sigma1 = feature_statistics(features1)
    mu2, sigma2 = feature_statistics(features2)
    return frechet_distance(mu1, sigma1, mu2, sigma2, eps=eps)


def inception_score(logits: np.ndarray, splits: int = IS_SPLITS) -> tuple[float, float]:
    """Inception score of logits (N, C), as improved-GAN's ``get_inception_score``.

    Softmax per row; rows are cut into ``splits`` consecutive parts
    ``[i * N // splits, (i + 1) * N // splits)``; each part scores
    ``exp(mean_x KL(p(y|x) || p(y)))`` with ``p(y)`` the part's mean prediction.

    improved-GAN takes ``log`` of float32 softmax values, which gives NaN when one underflows
    to 0; here the softmax is computed in float64 from ``log_softmax``, and a zero probability
    contributes 0 (its limit). Wherever the original is finite the two agree to rounding.

    Returns:
        (mean, std) of the per-split scores; std is the population one (``np.std``).

    Raises:
        MetricError: logits not (N, C), or fewer rows than splits (a split would be empty).
    """
    from scipy.special import log_softmax

    logits = np.asarray(logits, dtype=np.float64)
    if logits.ndim != 2 or logits.shape[1] < 2:
        raise MetricError(f"IS: need logits (N, C >= 2), got shape {logits.shape}")
    if splits < 1 or len(logits) < splits:
        raise MetricError(f"IS: {len(logits)} images cannot be cut into {splits} splits")
    log_p = log_softmax(logits, axis=1)
    p = np.exp(log_p)
    n = len(p)
    scores = []
    for i in range(splits):
        rows = slice(i * n // splits, (i + 1) * n // splits)
        part, log_part = p[rows], log_p[rows]
        with np.errstate(divide="ignore"):
            log_marginal = np.log(part.mean(axis=0, keepdims=True))
        # p * (log p - log p(y)); where p == 0 the term is 0 even if p(y) == 0 too.
        kl = np.where(part > 0, part * (log_part - log_marginal), 0.0)
        scores.append(np.exp(np.mean(np.sum(kl, axis=1))))
    return float(np.mean(scores)), float(np.std(scores))


# --------------------------------------------------------------------------------------------
# Loading and checking the files


def _not_torchscript_hint(path: Path) -> str:
    """Why torch.jit.load refused the file, in the user's terms."""
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
        if any(name.endswith("data.pkl") for name in names) and not any(
            name.endswith("constants.pkl") for name in names
        ):
            return (
                "this is a torch.save checkpoint (a state dict or pickled module), not "
                "TorchScript; it cannot be used without the network's code. Export it with "
                "torch.jit.trace / torch.jit.script and .save(), or torch.export.save "
                "(docs/external_metrics.md)"
            )
    return (
        "not a TorchScript file nor a torch.export archive; export the network with "
        "torch.jit.trace / torch.jit.script and .save(), or torch.export.save "
        "(docs/external_metrics.md)"
    )


def _is_exported_program(path: Path) -> bool:
    """A torch.export.save archive (.pt2) holds an ``archive_format`` record."""
    if not zipfile.is_zipfile(path):
        return False
    with zipfile.ZipFile(path) as archive:
        return any(name.split("/")[-1] == "archive_format" for name in archive.namelist())


def _outputs(result: Any) -> list[torch.Tensor]:
    """A module's return value as a list of tensors (a tensor, or a tuple/list of them)."""
    import torch

    if isinstance(result, torch.Tensor):
        return [result]
    if isinstance(result, (tuple, list)) and all(isinstance(t, torch.Tensor) for t in result):
        return list(result)
    raise TypeError(f"returned {type(result).__name__}, not a tensor or a tuple/list of tensors")


def _describe(tensors: Sequence[torch.Tensor]) -> str:
    return ", ".join(str(tuple(t.shape)) for t in tensors)


def inception_roles(
    result: Any, batch: int, path: str | Path | None, pool_dim: int = FID_POOL_DIM
) -> dict[str, int | None]:
    """Which of an Inception file's outputs is the pool feature and which the logits.

    Args:
        result: what the module returned for a batch of ``batch`` images.
        batch: the batch size, which every used output must have in front.
        path: the file, for messages.
        pool_dim: the feature width taken as the pool (2048 for Inception-v3).

    Returns:
        ``{"pool": index or None, "logits": index or None}``, at least one not None.

    Raises:
        DataError: naming the file, when no output has a recognised shape or two share a role.
    """
    try:
        tensors = _outputs(result)
    except TypeError as error:
        raise DataError(path, f"inception network {error}") from None
    roles: dict[str, int | None] = {"pool": None, "logits": None}
    for index, tensor in enumerate(tensors):
        shape = tuple(tensor.shape)
        # pytorch-fid's blocks end in (B, 2048, 1, 1); only squeeze a 1x1 map, never pool one.
        if len(shape) == 4 and shape[2:] == (1, 1):
            shape = shape[:2]
        if len(shape) != 2 or shape[0] != batch:
            continue
        role = "pool" if shape[1] == pool_dim else "logits" if shape[1] in LOGIT_DIMS else None
        if role is None:
            continue
        if roles[role] is not None:
            raise DataError(
                path, f"inception network returns two {role} outputs ({_describe(tensors)})"
            )
        roles[role] = index
    if roles["pool"] is None and roles["logits"] is None:
        raise DataError(
            path,
            f"inception network returned {_describe(tensors)} for a batch of {batch}; expected "
            f"({batch}, {pool_dim}) pool features (also ({batch}, {pool_dim}, 1, 1)) and/or "
            f"({batch}, 1000 or 1008) logits",
        )
    return roles


def _pick(result: Any, index: int) -> torch.Tensor:
    tensor = _outputs(result)[index]
    return tensor.flatten(1) if tensor.ndim == 4 else tensor


def lpips_distances(result: Any, batch: int, path: str | Path | None) -> torch.Tensor:
    """An LPIPS file's output as (B,) distances.

    Raises:
        DataError: naming the file, unless the output is one tensor (B,), (B, 1) or (B, 1, 1, 1).
    """
    import torch

    if not isinstance(result, torch.Tensor):
        raise DataError(path, f"LPIPS network returned {type(result).__name__}, not a tensor")
    if result.ndim == 0 or result.shape[0] != batch or result.numel() != batch:
        raise DataError(
            path,
            f"LPIPS network returned {tuple(result.shape)} for {batch} pairs; expected "
            f"({batch},), ({batch}, 1) or ({batch}, 1, 1, 1)",
        )
    return result.reshape(batch)


def _probe(module: Any, kind: str, path: Path, device: Any, size: tuple[int, int], pool_dim: int):
    """Run a probe batch; return the Inception roles (None for LPIPS).

    Two batches share their first row, so a network traced in training mode (batch-norm on
    batch statistics, live dropout) is caught: its first row would differ between them.
    """
    import torch

    generator = torch.Generator().manual_seed(0)
    shape = (3, 3, *size)
    low = 0.0 if kind == "inception" else -1.0
    first = (torch.rand(shape, generator=generator) * (1.0 - low) + low).to(device)
    second = (torch.rand(shape, generator=generator) * (1.0 - low) + low).to(device)
    results = []
    with torch.no_grad():
        for rows in ([0, 1], [0, 2]):
            try:
                if kind == "inception":
                    results.append(module(first[rows]))
                else:
                    results.append(module(first[rows], second[rows]))
            except Exception as error:  # any failure inside foreign code is the file's problem
                message = str(error).strip().splitlines()[0] if str(error).strip() else ""
                hint = ""
                if _is_exported_program(path):
                    # Static shapes are torch.export's default; the batch must be dynamic.
                    hint = " (export with dynamic_shapes, see docs/external_metrics.md)"
                raise DataError(
                    path,
                    f"{kind} network failed on a probe batch of shape {(2, *shape[1:])}: "
                    f"{type(error).__name__}: {message}{hint}",
                ) from error
    if kind == "inception":
        roles = inception_roles(results[0], 2, path, pool_dim)
        firsts = [
            [_pick(result, index)[0] for result in results]
            for index in roles.values()
            if index is not None
        ]
    else:
        roles = None
        firsts = [[lpips_distances(result, 2, path)[:1] for result in results]]
    for pair in firsts:
        a, b = (t.float() for t in pair)
        scale = float(a.abs().max()) + 1e-6
        if not torch.allclose(a, b, rtol=1e-3, atol=1e-4 * scale):
            raise DataError(
                path,
                f"{kind} network gives an image a different output depending on the rest of the "
                "batch; it was probably exported in training mode (call .eval() before "
                "torch.jit.trace / torch.jit.script)",
            )
    return roles


def _load(
    path: str | Path,
    kind: str,
    device: Any = "cpu",
    resize: int | None = INCEPTION_SIZE,
    pool_dim: int = FID_POOL_DIM,
):
    """Load and probe a file; return (module, Inception roles or None)."""
    import torch

    from spt_core.devices import resolve_device

    if kind not in _KINDS:
        raise ValueError(f"what must be one of {_KINDS}, got {kind!r}")
    if pool_dim in LOGIT_DIMS:
        raise ValueError(f"pool_dim {pool_dim} would be taken for logits")
    path = Path(path)
    if not path.exists():
        raise DataError(path, f"{kind} network file not found")
    if not path.is_file():
        raise DataError(path, f"{kind} network path is not a file")
    device = resolve_device(device)
    if _is_exported_program(path):
        # Recent torch (2.13 here) deprecates torch.jit in favour of torch.export, so .pt2
        # archives are taken too. Their train/eval mode is fixed at export time (.eval() is
        # refused by the loaded module).
        try:
            module = torch.export.load(str(path)).module().to(device)
        except Exception as error:
            raise DataError(
                path, f"torch.export archive could not be loaded on {device}: {error}"
            ) from None
    else:
        try:
            module = torch.jit.load(str(path), map_location=device)
        except Exception:  # RuntimeError or others, depending on how the file is broken
            raise DataError(path, _not_torchscript_hint(path)) from None
        module.eval()
    # Probe at the size the module will see: 299 after our resize; otherwise a typical
    # person-image size (the LPIPS file always sees the images at their own size).
    side = resize if (kind == "inception" and resize) else None
    size = (side, side) if side else (128, 64)
    return module, _probe(module, kind, path, device, size, pool_dim)


def load_scripted(
    path: str | Path,
    what: str,
    device: Any = "cpu",
    resize: int | None = INCEPTION_SIZE,
    pool_dim: int = FID_POOL_DIM,
):
    """Load a TorchScript file (or a torch.export .pt2 archive) and check it on a probe batch.

    Args:
        path: the file written by ``torch.jit.trace(...).save(path)``, ``torch.jit.script``, or
            ``torch.export.save`` (recognised by its content, not its name).
        what: ``"inception"`` (FID / IS) or ``"lpips"``; selects the contract checked.
        device: "auto", "cpu", "cuda", ... (``spt_core.devices.resolve_device``).
        resize: for "inception", the side the probe uses, as the images will be resized to it
            (None: probe at 128 x 64, the module must accept any size).
        pool_dim: the feature width taken as the FID pool output.

    Returns:
        The loaded module on ``device``: a ``torch.jit.ScriptModule`` in eval mode, or the
        ``torch.export`` program's ``.module()``.

    Raises:
        DataError: naming the file: missing, not TorchScript (e.g. a torch.save state dict), the
            probe fails, the output has the wrong shape, or the output of an image depends on
            the rest of the batch (exported in training mode).
        ValueError: ``what`` is not "inception" or "lpips".
    """
    return _load(path, what, device, resize, pool_dim)[0]


# --------------------------------------------------------------------------------------------
# Running them on images


def _uint8_images(images: Any, name: str) -> np.ndarray:
    """(N, H, W, 3) uint8, from uint8 arrays or [-1, 1] tensors (as ``metrics.to_uint8``)."""
    from spt_core.metrics import to_uint8

    array = to_uint8(images)
    if array.ndim != 4 or array.shape[-1] != 3 or array.dtype != np.uint8:
        raise MetricError(f"{name}: expected uint8 images (N, H, W, 3), got {array.shape}")
    if len(array) == 0:
        raise MetricError(f"{name}: no images")
    return array


class ExternalMetrics:
    """FID, IS and LPIPS from user-supplied network files (see the module docstring).

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
    ) -> None:
        from spt_core.devices import resolve_device

        if batch_size < 1:
            raise ValueError(f"batch_size must be positive, got {batch_size}")
        self.device = resolve_device(device)
        self.batch_size = batch_size
        self.resize = resize
        # Read at call time, not as a default argument, so that it can be changed module-wide.
        self.pool_dim = FID_POOL_DIM if pool_dim is None else pool_dim
        self.inception_path = None if inception is None else Path(inception)
        self.lpips_path = None if lpips is None else Path(lpips)
        self._inception = self._roles = self._lpips = None
        if inception is not None:
            self._inception, self._roles = _load(
                inception, "inception", self.device, resize, self.pool_dim
            )
        if lpips is not None:
            self._lpips = _load(lpips, "lpips", self.device)[0]

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
        images = _uint8_images(images, "inception images")
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
                        out.append(_pick(result, roles[key]).float().cpu().numpy())
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
        generated = _uint8_images(generated, "LPIPS images")
        targets = _uint8_images(targets, "LPIPS targets")
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


# --------------------------------------------------------------------------------------------
# Command-line glue (the ``spt eval`` commands add these two flags)


def add_external_metric_args(parser: argparse.ArgumentParser) -> None:
    """Add ``--inception FILE`` and ``--lpips FILE`` to an evaluation subcommand."""
    parser.add_argument(
        "--inception",
        type=Path,
        default=None,
        metavar="FILE",
        help="Inception network file (TorchScript or torch.export .pt2): FID against the "
        "real images, and IS (docs/external_metrics.md; nothing is downloaded)",
    )
    parser.add_argument(
        "--lpips",
        type=Path,
        default=None,
        metavar="FILE",
        help="LPIPS network file (TorchScript or .pt2): mean LPIPS of generated vs true "
        "target images",
    )


def external_scores(
    args: argparse.Namespace,
    generated: Any,
    real_images: np.ndarray,
    pairs: np.ndarray,
    log: Callable[[str], None] | None = print,
) -> dict[str, float]:
    """FID, IS and LPIPS asked for on the command line; prints them and returns them.

    Args:
        args: parsed arguments with ``inception``, ``lpips`` and (optionally) ``device``.
        generated: the generated images, uint8 (N, H, W, 3), row i for ``pairs[i]``.
        real_images: the real images, uint8 (M, H, W, 3): the FID reference set (all of them)
            and, through ``pairs[:, 1]``, the true targets for LPIPS.
        pairs: (N, 2) rows (source, target) indexing ``real_images``.
        log: where the result lines go (None: silent).

    Returns:
        The computed subset of ``{"fid", "is_mean", "is_std", "lpips"}``; empty, without
        touching torch, when neither flag was given. IS is skipped (with a note) when there
        are fewer images than its 10 splits.
    """
    inception = getattr(args, "inception", None)
    lpips = getattr(args, "lpips", None)
    if inception is None and lpips is None:
        return {}
    say = log or (lambda _line: None)
    # Check the inputs before loading (and probing) any network.
    generated = _uint8_images(generated, "generated images")
    pairs = np.asarray(pairs, dtype=np.int64).reshape(-1, 2)
    if len(pairs) != len(generated):
        raise MetricError(f"{len(generated)} generated images for {len(pairs)} pairs")
    metrics = ExternalMetrics(
        inception,
        lpips,
        device=getattr(args, "device", "cpu") or "cpu",
        resize=INCEPTION_SIZE,  # looked up now, so a test can shrink it module-wide
    )
    scores: dict[str, float] = {}
    if inception is not None:
        pool, logits = metrics.inception_outputs(generated)
        if pool is not None:
            real_pool = metrics.inception_outputs(real_images)[0]
            scores["fid"] = fid_from_features(pool, real_pool)
            say(
                f"FID {scores['fid']:.3f} ({len(generated)} generated vs {len(real_pool)} real "
                f"images, {Path(inception).name})"
            )
        if logits is not None and len(logits) >= IS_SPLITS:
            scores["is_mean"], scores["is_std"] = inception_score(logits, IS_SPLITS)
            say(f"IS {scores['is_mean']:.3f} ± {scores['is_std']:.3f} ({IS_SPLITS} splits)")
        elif logits is not None:
            say(f"IS skipped: {len(logits)} images, fewer than its {IS_SPLITS} splits")
    if lpips is not None:
        scores["lpips"] = metrics.lpips(generated, np.asarray(real_images)[pairs[:, 1]])
        say(f"LPIPS {scores['lpips']:.4f} (mean of {len(pairs)} pairs, {Path(lpips).name})")
    return scores
