"""Training of the pose regressor P (method §4.5): image -> the 18 sigma = 6 heat maps.

P judges the appearance network's pose loss, 700 x MSE(P(I~), H(p)): it must find the pose in
an image. The authors trained it separately (CycleGAN ``resnet_9blocks``, tanh output, MSE to
the Gaussian maps) and never released it, so we train our own here, then freeze it
(:func:`load_posenet`). See docs/posenet.md.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import numpy as np

from spt_core import skeleton as sk
from spt_core.config import TrainConfig, from_dict, to_dict
from spt_core.data.dataset import PersonDataset
from spt_core.data.parsing_pairs import fit_geometry
from spt_core.errors import DataError
from spt_core.train.loop import IndexSchedule, Trainer

KIND = "posenet"
#: PCK tolerance as a fraction of the torso scale. 0.5 x head size (PCKh@0.5, head size = the
#: diagonal of the box around nose, neck, eyes and ears) is a median 0.27 x torso scale on the
#: Market-1501 poses and 0.26 x on DeepFashion's, so 0.25 x torso scale is PCKh@0.5 in spirit,
#: without depending on head joints that profile and back views often lack.
PCK_TORSO_FRACTION = 0.25


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


def build_posenet(model: PoseNetConfig):
    """A fresh :class:`~spt_core.models.posenet.PoseRegressor` for ``model``."""
    from spt_core.models.posenet import PoseRegressor

    return PoseRegressor(
        base_channels=model.base_channels,
        n_blocks=model.n_blocks,
        n_downsampling=model.n_downsampling,
        dropout=model.dropout,
    )


# --------------------------------------------------------------------------------------------
# Data


def fit_image_poses(poses: np.ndarray, source: tuple[int, int], size: tuple[int, int]):
    """Poses of ``source``-sized images mapped into the frame of :func:`fit_image`.

    Pixel centres are aligned: an area-resized pixel covers source pixels whose centres
    average to ``(x + 0.5) / scale - 0.5``. (``parsing_pairs.fit_poses`` maps x -> x * scale,
    right for nearest-neighbour label maps, but 0.375 px off for images shrunk 4x.)
    """
    poses = np.asarray(poses, dtype=np.float32)
    if tuple(source) == tuple(size):
        return poses.copy()
    scale, pad_x, pad_y = fit_geometry(source, size)
    out = (poses + 0.5) * scale - 0.5
    out[..., 0] += pad_x
    out[..., 1] += pad_y
    return out


def fit_image(image: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """An (H0, W0, 3) uint8 image resized to fit entirely in ``size`` and centred on black."""
    import cv2

    if image.shape[:2] == tuple(size):
        return image
    scale, pad_x, pad_y = fit_geometry(image.shape[:2], size)
    new_h, new_w = round(image.shape[0] * scale), round(image.shape[1] * scale)
    method = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    out = np.zeros((*size, 3), np.uint8)
    out[pad_y : pad_y + new_h, pad_x : pad_x + new_w] = cv2.resize(
        image, (new_w, new_h), interpolation=method
    )
    return out


class PoseImages:
    """Images (uint8, in memory) and poses at P's size: the pose regressor's training set.

    Args:
        images: (N, H0, W0, 3) uint8 RGB images.
        poses: (N, 18, 2) (x, y) poses in that frame (NaN = missing).
        size: (H, W) of the network; images are resized to fit and padded with black, poses
            follow (:func:`fit_image`, :func:`fit_image_poses`).
        names: the N sample names (for messages).
    """

    def __init__(
        self,
        images: np.ndarray,
        poses: np.ndarray,
        size: tuple[int, int],
        names: list[str] | None = None,
    ):
        images = np.asarray(images)
        if images.ndim != 4 or images.shape[-1] != 3 or images.dtype != np.uint8:
            raise ValueError(f"images: expected (N, H, W, 3) uint8, got {images.shape}")
        if len(poses) != len(images):
            raise ValueError(f"{len(images)} images but {len(poses)} poses")
        if not len(images):
            raise DataError(None, "no images to train the pose regressor on")
        self.size = tuple(int(v) for v in size)
        self.images = np.stack([fit_image(image, self.size) for image in images])
        self.poses = fit_image_poses(poses, images.shape[1:3], self.size)
        self.names = names or [str(i) for i in range(len(images))]

    @classmethod
    def from_dataset(cls, dataset: PersonDataset, size, rows=None) -> PoseImages:
        """Every usable image of ``dataset`` (or only ``rows``), loaded and fitted to ``size``.

        Each image is fitted as it is read, so memory holds only N x H x W x 3 bytes at
        ``size`` (a Market-1501 training set at 128x64: 0.3 GiB).
        """
        rows = range(len(dataset)) if rows is None else [int(r) for r in rows]
        size = tuple(int(v) for v in size)
        source = tuple(dataset.size or size)
        images = np.stack([fit_image(dataset.load_image(r), size) for r in rows])
        poses = fit_image_poses(dataset.poses[list(rows)], source, size)
        return cls(images, poses, size, [dataset.names[r] for r in rows])

    def __len__(self) -> int:
        return len(self.images)

    def batch(self, rows, device, sigma: float = 6.0, flip=None) -> dict:
        """Tensors of samples ``rows``.

        Args:
            rows: sample indices.
            device: torch device.
            sigma: heat-map Gaussian width in pixels.
            flip: None, or one bool per row: mirror that image left-right, with its pose
                mirrored and left/right joints swapped.

        Returns:
            ``images`` (B, 3, H, W) in [-1, 1]; ``heatmaps`` (B, 18, H, W) in [0, 1], zero for
            a missing joint; ``poses`` (B, 18, 2) numpy, the poses the heat maps show.
        """
        import torch

        rows = np.asarray(rows, dtype=np.int64)
        images = self.images[rows]
        poses = self.poses[rows].copy()
        if flip is not None:
            flip = np.asarray(flip, dtype=bool)
            images = images.copy()
            images[flip] = images[flip][:, :, ::-1]
            poses[flip] = sk.mirror_pose(poses[flip], self.size[1])
        pixels = torch.from_numpy(np.ascontiguousarray(images)).to(device)
        pixels = pixels.permute(0, 3, 1, 2).float() / 127.5 - 1.0
        heatmaps = sk.pose_heatmaps_torch(torch.from_numpy(poses).to(device), self.size, sigma)
        return {"images": pixels, "heatmaps": heatmaps, "poses": poses}


# --------------------------------------------------------------------------------------------
# Evaluation


def heatmap_peaks(heatmaps) -> tuple[np.ndarray, np.ndarray]:
    """Arg-max of every channel: ((B, 18, 2) (x, y) float32, (B, 18) peak values)."""
    import torch

    heatmaps = torch.as_tensor(heatmaps).detach().float()
    batch, joints, _, width = heatmaps.shape
    values, flat = heatmaps.reshape(batch, joints, -1).max(dim=-1)
    flat = flat.cpu().numpy()
    peaks = np.stack([flat % width, flat // width], axis=-1).astype(np.float32)
    return peaks, values.cpu().numpy()


def _pck_hits(heatmaps, true_poses, fraction: float) -> tuple[int, int]:
    """(joints within the tolerance, joints counted) of a batch; see :func:`pck`."""
    peaks, _ = heatmap_peaks(heatmaps)
    true_poses = np.asarray(true_poses, dtype=np.float32)
    if true_poses.shape != peaks.shape:
        raise ValueError(f"true_poses: expected {peaks.shape}, got {true_poses.shape}")
    hits = counted = 0
    for peak, pose in zip(peaks, true_poses, strict=True):
        scale = sk.torso_scale(pose)
        if not np.isfinite(scale) or scale <= 0:
            continue  # no torso, no tolerance: the image is left out
        ok = sk.present(pose)
        distance = np.linalg.norm(peak[ok] - pose[ok], axis=-1)
        hits += int((distance <= fraction * scale).sum())
        counted += int(ok.sum())
    return hits, counted


def pck(predicted_heatmaps, true_poses, fraction: float = PCK_TORSO_FRACTION) -> float:
    """Share of present joints whose heat-map arg-max lies within ``fraction`` x torso scale.

    The tolerance is per image: ``fraction`` x the torso scale of its true pose
    (``skeleton.torso_scale``; 0.25 is about PCKh@0.5, see :data:`PCK_TORSO_FRACTION`).
    Missing joints and images without the four torso joints are not counted.

    Args:
        predicted_heatmaps: (B, 18, H, W) tensor or array (P's output).
        true_poses: (B, 18, 2) (x, y) poses in the heat maps' frame (NaN = missing).
        fraction: tolerance in torso scales.

    Returns:
        PCK in [0, 1]; NaN when no joint is counted.
    """
    hits, counted = _pck_hits(predicted_heatmaps, true_poses, fraction)
    return hits / counted if counted else float("nan")


def evaluate_posenet(
    posenet,
    images: PoseImages,
    device="cpu",
    sigma: float = 6.0,
    batch_size: int = 16,
    fraction: float = PCK_TORSO_FRACTION,
) -> dict[str, float]:
    """Mean ``mse`` against the heat maps and ``pck`` of ``posenet`` over all of ``images``.

    The network is run in eval mode under no_grad and left in the mode it was in.
    """
    import torch
    import torch.nn.functional as F

    was_training = posenet.training
    posenet.eval()
    squared = hits = counted = 0.0
    try:
        with torch.no_grad():
            for start in range(0, len(images), batch_size):
                rows = np.arange(start, min(start + batch_size, len(images)))
                batch = images.batch(rows, device, sigma)
                predicted = posenet(batch["images"]).float()
                squared += float(F.mse_loss(predicted, batch["heatmaps"], reduction="sum"))
                h, c = _pck_hits(predicted, batch["poses"], fraction)
                hits, counted = hits + h, counted + c
    finally:
        posenet.train(was_training)
    values = len(images) * sk.NUM_JOINTS * images.size[0] * images.size[1]
    return {"mse": squared / values, "pck": hits / counted if counted else float("nan")}


# --------------------------------------------------------------------------------------------
# Trainer


class PoseNetTrainer(Trainer):
    """P against the Gaussian heat maps: MSE of its tanh output, one Adam.

    Args:
        images: training images at ``model.size``.
        model: network configuration (and the flip augmentation).
        train: optimisation settings.
        run_dir: output directory.
        resume: continue from the newest checkpoint in ``run_dir``.
    """

    kind = KIND

    def __init__(
        self,
        images: PoseImages,
        model: PoseNetConfig,
        train: TrainConfig,
        run_dir: str | Path,
        resume: bool = False,
    ):
        super().__init__(train, run_dir, resume)
        if tuple(images.size) != tuple(model.size):
            raise ValueError(f"images are {images.size} but the network works at {model.size}")
        self.images = images
        self.model = model

    def build(self) -> None:
        self.posenet = self.dist.wrap(build_posenet(self.model).to(self.device))
        self.optimizers = {"posenet": self.make_adam(self.posenet.parameters())}
        self.schedule = IndexSchedule(
            len(self.images),
            self.train.batch_size,
            self.train.seed,
            self.dist.rank,
            self.dist.world_size,
        )
        preview_rng = np.random.default_rng(self.train.seed)
        self.preview_rows = preview_rng.choice(
            len(self.images), size=min(4, len(self.images)), replace=False
        )

    def networks(self) -> dict:
        return {"posenet": self.posenet}

    def config_dict(self) -> dict:
        return {"model": to_dict(self.model)}

    def flips(self, step: int) -> np.ndarray | None:
        """Which samples of ``step`` are mirrored: a pure function of (seed, step, rank)."""
        if not self.model.flip:
            return None
        rng = np.random.default_rng([self.train.seed, step, self.dist.rank])
        return rng.random(self.train.batch_size) < 0.5

    def train_step(self, step: int) -> dict[str, float]:
        from spt_core.losses.pose import pose_loss

        batch = self.images.batch(
            self.schedule.indices(step), self.device, self.model.heatmap_sigma, self.flips(step)
        )
        self.posenet.train()
        with self.autocast():
            predicted = self.posenet(batch["images"])
            mse = pose_loss(predicted.float(), batch["heatmaps"])
        self.optimise("posenet", mse)
        return {"mse": float(mse.detach()), "pck": pck(predicted.detach(), batch["poses"])}

    def preview(self) -> dict[str, np.ndarray]:
        """Rows: image with the true skeleton | with P's peaks | P's strongest channel."""
        import torch

        batch = self.images.batch(self.preview_rows, self.device, self.model.heatmap_sigma)
        self.posenet.eval()
        with torch.no_grad():
            predicted = self.posenet(batch["images"]).float()
        self.posenet.train()
        peaks, values = heatmap_peaks(predicted)
        # A channel whose peak stays below half a Gaussian's top is drawn as a missing joint.
        peaks[values < 0.5] = np.nan
        strongest = predicted.clamp(0, 1).amax(dim=1).cpu().numpy()
        zoom = max(1, 128 // self.images.size[0])
        rows = []
        for k, row in enumerate(self.preview_rows):
            image = np.repeat(np.repeat(self.images.images[row], zoom, 0), zoom, 1)
            heat = np.repeat(np.repeat(strongest[k], zoom, 0), zoom, 1)
            heat = np.repeat((255 * heat).astype(np.uint8)[..., None], 3, axis=-1)
            tiles = [
                sk.draw_skeleton(image, (self.images.poses[row] + 0.5) * zoom - 0.5),
                sk.draw_skeleton(image, (peaks[k] + 0.5) * zoom - 0.5),
                heat,
            ]
            rows.append(np.concatenate(tiles, axis=1))
        return {"posenet": np.concatenate(rows, axis=0)}


# --------------------------------------------------------------------------------------------
# Loading and the command line


def load_posenet(checkpoint: str | Path, device="cpu"):
    """The pose regressor of a posenet checkpoint (or run directory), frozen and in eval mode.

    Returns:
        (PoseRegressor with no trainable parameter, :class:`PoseNetConfig`).

    Raises:
        CheckpointError: not a posenet checkpoint, or weights that do not fit its config.
    """
    from spt_core.losses.pose import freeze_module
    from spt_core.models.checkpoint import load_weights, read_config
    from spt_core.train.loop import resolve_checkpoint

    checkpoint = resolve_checkpoint(checkpoint)
    model = from_dict(PoseNetConfig, read_config(checkpoint, KIND)["model"])
    posenet = build_posenet(model).to(device)
    load_weights(posenet, checkpoint, "posenet", device=device)
    return freeze_module(posenet), model


def _given(**values) -> dict:
    """The values that are not None (the options the user gave)."""
    return {k: v for k, v in values.items() if v is not None}


def train_posenet_from_args(
    data: str | Path,
    out: str | Path,
    steps: int | None = None,
    batch_size: int | None = None,
    size: tuple[int, int] | None = None,
    base_channels: int | None = None,
    n_blocks: int | None = None,
    device: str = "auto",
    resume: bool = False,
    quiet: bool = False,
    *,
    lr: float | None = None,
    checkpoint_every: int | None = None,
    seed: int | None = None,
    flip: bool | None = None,
    heatmap_sigma: float | None = None,
) -> PoseNetTrainer:
    """Load the data and build a :class:`PoseNetTrainer` (``spt train posenet``).

    None means "the default": for a new run the :class:`PoseNetConfig` / :class:`TrainConfig`
    defaults, with ``size`` the dataset's image size; when resuming, the values saved in the
    checkpoint, so a resumed run needs no flag repeated. ``steps`` may be raised on resume.

    Returns:
        The trainer; drive ``trainer.run()`` for its events.

    Raises:
        CheckpointError: resuming with an architecture value other than the checkpoint's.
        DataError: an unreadable dataset, or one without usable images.
    """
    from spt_core.models.checkpoint import CheckpointError, read_config
    from spt_core.train.loop import latest_checkpoint

    asked_model = _given(
        size=size,
        base_channels=base_channels,
        n_blocks=n_blocks,
        flip=flip,
        heatmap_sigma=heatmap_sigma,
    )
    asked_train = _given(
        steps=steps, batch_size=batch_size, lr=lr, seed=seed, checkpoint_every=checkpoint_every
    )
    dataset = PersonDataset(data)
    if not len(dataset):
        raise DataError(dataset.root, "no usable image (with its four torso joints)")
    saved = latest_checkpoint(out) if resume else None
    if saved is not None:
        config = read_config(saved, KIND)
        model = from_dict(PoseNetConfig, config["model"])
        clashes = [
            f"{key} {getattr(model, key)} in the checkpoint, {value} asked"
            for key, value in asked_model.items()
            if dataclasses.replace(model, **{key: value}) != model
        ]
        if clashes:
            raise CheckpointError(
                f"{saved}: cannot resume with another configuration ({'; '.join(clashes)}); "
                "leave those options out or start a new run"
            )
        base_train = from_dict(TrainConfig, config["train"])
    else:
        model = PoseNetConfig(**{"size": dataset.size, **asked_model})
        base_train = TrainConfig()
    train = dataclasses.replace(base_train, device=device, **asked_train)
    if not quiet and os.environ.get("RANK", "0") == "0":  # torchrun: rank 0 alone speaks
        print(f"loading {len(dataset)} images of {dataset.root} at {model.size[0]}x{model.size[1]}")
    images = PoseImages.from_dataset(dataset, model.size)
    trainer = PoseNetTrainer(images, model, train, out, resume)
    if trainer.dist.is_main and not quiet:
        print(
            f"pose regressor: {len(images)} images at {model.size[0]}x{model.size[1]}, "
            f"{model.n_blocks} blocks of width {model.base_channels * 2**model.n_downsampling}, "
            f"{train.steps} steps of {train.batch_size}, flip {'on' if model.flip else 'off'}, "
            f"device {trainer.device}, {trainer.dist.world_size} process(es)"
        )
    return trainer
