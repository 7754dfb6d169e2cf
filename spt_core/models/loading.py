"""The one place a checkpoint becomes a network: ``config.json`` -> config -> module -> weights.

Inference (:class:`~spt_core.pipeline.SPTPipeline`, the parser's predictor), evaluation and the
trainers all load through here, so the checkpoint layout (which key of ``config.json`` holds
which network's architecture, which ``*.safetensors`` holds its weights) is read in one place.
Every function takes a checkpoint directory or a run directory (its newest checkpoint), and
raises :class:`~spt_core.models.checkpoint.CheckpointError` with the path and the problem.
"""

from __future__ import annotations

from pathlib import Path
from typing import TypeVar

from spt_core.config import (
    AppearanceNetConfig,
    ParserConfig,
    PoseNetConfig,
    SemanticNetConfig,
    from_dict,
)
from spt_core.models.checkpoint import (
    CheckpointError,
    load_weights,
    read_config,
    resolve_checkpoint,
)

C = TypeVar("C")


def network_config(
    checkpoint: str | Path, kind: str | None, cls: type[C], key: str = "model"
) -> tuple[Path, C]:
    """(checkpoint directory, the ``cls`` architecture stored under ``key``).

    Raises:
        CheckpointError: no checkpoint, another kind, or no usable ``key`` in its config.
    """
    path = resolve_checkpoint(checkpoint)
    config = read_config(path, kind)
    try:
        return path, from_dict(cls, config[key])
    except (KeyError, TypeError, ValueError) as exc:
        raise CheckpointError(f"{path}: no usable {cls.__name__} under {key!r} ({exc})") from None


def build_network(config):
    """A freshly initialised network for an architecture config.

    ``AppearanceNetConfig`` builds the local-enhanced generator when it asks for one.
    """
    if isinstance(config, SemanticNetConfig):
        from spt_core.models.semantic import SemanticGenerator

        return SemanticGenerator.from_config(config)
    if isinstance(config, AppearanceNetConfig):
        if config.local_enhancer:
            from spt_core.models.local_enhancer import LocalEnhancedGenerator

            return LocalEnhancedGenerator.from_config(config)
        from spt_core.models.appearance import AppearanceGenerator

        return AppearanceGenerator.from_config(config)
    if isinstance(config, PoseNetConfig):
        from spt_core.models.posenet import PoseRegressor

        return PoseRegressor.from_config(config)
    if isinstance(config, ParserConfig):
        from spt_core.models.parser import HumanParser

        return HumanParser(config.base_channels, config.max_channels, config.depth, config.norm)
    raise TypeError(f"no network is built from a {type(config).__name__}")


def load_network(
    checkpoint: str | Path,
    kind: str,
    cls: type[C],
    weights: str = "generator",
    key: str = "model",
    device="cpu",
):
    """(network in eval mode on ``device``, its config) of one network of a checkpoint.

    Args:
        checkpoint: checkpoint or run directory.
        kind: the checkpoint kind it must be ("semantic", "appearance", "joint", ...).
        cls: the architecture's config class.
        weights: the weight file's name (``weights.safetensors``).
        key: the ``config.json`` key holding the architecture.
    """
    path, config = network_config(checkpoint, kind, cls, key)
    network = build_network(config).to(device)
    load_weights(network, path, weights, device=device)
    check_finite(network, path / f"{weights}.safetensors")
    return network.eval(), config


def check_finite(module, source: Path) -> None:
    """Refuse weights holding NaN or Inf (a diverged run, a corrupt file).

    Such a network draws an all-black or all-grey picture without any error, so the file and
    the first bad tensor are named at load instead.

    Raises:
        CheckpointError: some floating-point parameter or buffer is not finite.
    """
    import torch

    module = getattr(module, "module", module)
    for name, tensor in module.state_dict().items():
        if tensor.is_meta:  # no values (device-correctness tests)
            continue
        if tensor.is_floating_point() and not bool(torch.isfinite(tensor).all()):
            raise CheckpointError(
                f"{source}: tensor {name!r} holds NaN or Inf values; the run diverged or the "
                "file is damaged (use an earlier checkpoint)"
            )


def load_semantic_generator(checkpoint: str | Path, device="cpu"):
    """(G_S, SemanticNetConfig) of a semantic checkpoint or run."""
    return load_network(checkpoint, "semantic", SemanticNetConfig, device=device)


def load_appearance_generator(checkpoint: str | Path, device="cpu"):
    """(G_A, AppearanceNetConfig) of an appearance checkpoint or run.

    A local-enhanced run gives a ``LocalEnhancedGenerator`` whose alpha is the config's
    ``fade_in_alpha`` (1 by default: the local enhancer fully faded in, the test-time value).
    """
    return load_network(checkpoint, "appearance", AppearanceNetConfig, device=device)


def load_joint_generators(checkpoint: str | Path, device="cpu"):
    """Both generators of an end-to-end checkpoint or run, each at its own size.

    Returns:
        (G_S, SemanticNetConfig, G_A, AppearanceNetConfig).
    """
    path = resolve_checkpoint(checkpoint)
    semantic, semantic_config = load_network(
        path, "joint", SemanticNetConfig, "semantic_generator", "semantic_model", device
    )
    appearance, appearance_config = load_network(
        path, "joint", AppearanceNetConfig, "generator", "model", device
    )
    return semantic, semantic_config, appearance, appearance_config


def load_parser(checkpoint: str | Path, device="cpu"):
    """(human parser in eval mode, ParserConfig) of a parser checkpoint or run."""
    return load_network(checkpoint, "parser", ParserConfig, weights="parser", device=device)


def load_posenet(checkpoint: str | Path, device="cpu"):
    """(pose regressor P, PoseNetConfig) of a posenet checkpoint or run, frozen: no
    parameter requires a gradient and it is in eval mode (the pose loss must not be noisy)."""
    network, config = load_network(
        checkpoint, "posenet", PoseNetConfig, weights="posenet", device=device
    )
    network.requires_grad_(False)
    return network, config


def load_run_weights(
    checkpoint: str | Path, kind: str, modules: dict, device="cpu", grow_inputs: bool = False
) -> Path:
    """Load the weights of a ``kind`` checkpoint (or run) into ``modules`` (weight name ->
    module, DDP-wrapped or not), insisting that each fits (``grow_inputs``: see
    ``load_weights``); returns the checkpoint path."""
    path = resolve_checkpoint(checkpoint)
    read_config(path, kind)
    for name, module in modules.items():
        load_weights(module, path, name, device=device, grow_inputs=grow_inputs)
        check_finite(module, path / f"{name}.safetensors")
    return path
