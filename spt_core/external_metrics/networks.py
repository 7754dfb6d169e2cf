"""The user's network files: their contracts, loading them, and checking them on a probe batch.

An **Inception file** (FID and IS) takes float (B, 3, H, W) RGB in [0, 1] and returns a tensor
or a tuple/list of tensors, among them the pool feature (B, 2048) or (B, 2048, 1, 1) and/or the
logits (B, 1000) or (B, 1008). An **LPIPS file** takes two float batches (B, 3, H, W) in
[-1, 1] and returns (B,), (B, 1) or (B, 1, 1, 1) distances. Either is a TorchScript file or a
torch.export ``.pt2`` archive, recognised by its content (docs/external_metrics.md).

Trust: load only files from people you trust (docs/reliability.md). A TorchScript file runs the
graph it holds (TorchScript operators, no arbitrary Python), but torch 2.13's
``torch.export.load`` unpickles some weights and constants of a ``.pt2`` archive without the
weights-only restriction, so a crafted ``.pt2`` file can run any Python code when it is loaded.

torch is imported only when a file is loaded or an output examined.
"""

from __future__ import annotations

import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from spt_core.errors import DataError

if TYPE_CHECKING:
    import torch

#: Width of Inception-v3's final average pool, the FID feature.
FID_POOL_DIM = 2048
#: Logit widths accepted for IS: torchvision's ImageNet head (1000) and the 2015-12-05
#: TensorFlow graph used by improved-GAN and pytorch-fid (1008, 8 unused classes).
LOGIT_DIMS = (1000, 1008)
#: Input side the Inception networks were trained at; images are resized to it by default.
INCEPTION_SIZE = 299

_KINDS = ("inception", "lpips")


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


#: Why a .pt2 archive is refused without ``trust_archive`` / ``--trust-pt2``.
UNTRUSTED_ARCHIVE = (
    "a torch.export .pt2 archive can run Python code while it is loaded (torch.export.load "
    "unpickles parts of it); export a TorchScript file instead (torch.jit.trace(...).save), or "
    "pass --trust-pt2 (trust_archive=True) for a file you made yourself"
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


def select_output(result: Any, index: int) -> torch.Tensor:
    """Output ``index`` of a module's return value, a (B, D, 1, 1) map flattened to (B, D)."""
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
            [select_output(result, index)[0] for result in results]
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


def load_network(
    path: str | Path,
    kind: str,
    device: Any = "cpu",
    resize: int | None = INCEPTION_SIZE,
    pool_dim: int = FID_POOL_DIM,
    trust_archive: bool = False,
) -> tuple[Any, dict[str, int | None] | None]:
    """Load and probe a file; return (module, Inception roles or None).

    As :func:`load_scripted` (same arguments, ``kind`` for ``what``), but also returns the roles
    of the Inception file's outputs found by the probe (see :func:`inception_roles`).
    """
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
        if not trust_archive:
            # torch.export.load unpickles parts of the archive without the weights-only
            # restriction: a crafted .pt2 file runs code when loaded, so it is opened only when
            # the user vouches for it.
            raise DataError(path, UNTRUSTED_ARCHIVE)
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
    trust_archive: bool = False,
) -> Any:
    """Load a TorchScript file (or a torch.export .pt2 archive) and check it on a probe batch.

    Args:
        path: the file written by ``torch.jit.trace(...).save(path)``, ``torch.jit.script``, or
            ``torch.export.save`` (recognised by its content, not its name).
        what: ``"inception"`` (FID / IS) or ``"lpips"``; selects the contract checked.
        device: "auto", "cpu", "cuda", ... (``spt_core.devices.resolve_device``).
        resize: for "inception", the side the probe uses, as the images will be resized to it
            (None: probe at 128 x 64, the module must accept any size).
        pool_dim: the feature width taken as the FID pool output.
        trust_archive: open a torch.export ``.pt2`` archive (loading one can run code from it:
            only for files the user made or trusts; TorchScript files need no such trust).

    Returns:
        The loaded module on ``device``: a ``torch.jit.ScriptModule`` in eval mode, or the
        ``torch.export`` program's ``.module()``.

    Raises:
        DataError: naming the file: missing, not TorchScript (e.g. a torch.save state dict), the
            probe fails, the output has the wrong shape, or the output of an image depends on
            the rest of the batch (exported in training mode).
        ValueError: ``what`` is not "inception" or "lpips".
    """
    return load_network(path, what, device, resize, pool_dim, trust_archive)[0]
