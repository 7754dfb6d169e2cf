"""Device selection: every entry point takes ``device``; "auto" picks CUDA when present."""

from __future__ import annotations

from spt_core.errors import SptError


class DeviceError(SptError, ValueError):
    """A device was requested that this machine does not have."""


def resolve_device(device=None):
    """Turn "auto" (or None), "cpu", "cuda", "cuda:N" or a ``torch.device`` into a device.

    Raises:
        DeviceError: CUDA was asked for but is not available, or the name is not a device.
    """
    import torch

    name = str(device or "auto").lower()
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise DeviceError(f"device {device!r} requested but CUDA is not available on this machine")
    try:
        return torch.device(name)
    except RuntimeError:
        raise DeviceError(f"unknown device {device!r} (use auto, cpu, cuda or cuda:N)") from None


def available_devices() -> tuple[str, ...]:
    """The devices to offer: "auto", "cpu", then "cuda:0", "cuda:1"... for every visible GPU."""
    import torch

    gpus = torch.cuda.device_count() if torch.cuda.is_available() else 0
    return ("auto", "cpu", *(f"cuda:{i}" for i in range(gpus)))
