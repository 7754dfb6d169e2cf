"""Training of the pose regressor P (method §4.5): image -> the 18 sigma = 6 heat maps.

P judges the appearance network's pose loss, 700 x MSE(P(I~), H(p)): it must find the pose in
an image. The authors trained it separately (CycleGAN ``resnet_9blocks``, tanh output, MSE to
the Gaussian maps) and never released it, so we train our own here, then freeze it
(:func:`load_posenet`). See docs/posenet.md.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from spt_core import skeleton as sk
from spt_core.config import PoseNetConfig, TrainConfig, to_dict
from spt_core.data.dataset import PersonDataset
from spt_core.errors import DataError
from spt_core.letterbox import Letterbox
from spt_core.models.loading import build_network
from spt_core.train.loop import IndexSchedule, Trainer

KIND = "posenet"
#: PCK tolerance as a fraction of the torso scale. 0.5 x head size (PCKh@0.5, head size = the
#: diagonal of the box around nose, neck, eyes and ears) is a median 0.27 x torso scale on the
#: Market-1501 poses and 0.26 x on DeepFashion's, so 0.25 x torso scale is PCKh@0.5 in spirit,
#: without depending on head joints that profile and back views often lack.
PCK_TORSO_FRACTION = 0.25


# --------------------------------------------------------------------------------------------
# Data


class PoseImages:
    """Images (uint8, in memory) and poses at P's size: the pose regressor's training set.

    Args:
        images: (N, H0, W0, 3) uint8 RGB images.
        poses: (N, 18, 2) (x, y) poses in that frame (NaN = missing).
        size: (H, W) of the network; images are resized to fit and padded with black, poses
            follow (:class:`~spt_core.letterbox.Letterbox`).
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
        letterbox = Letterbox.fit(images.shape[1:3], self.size)
        self.images = letterbox.images(images)
        self.poses = letterbox.poses(poses)
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
        letterbox = Letterbox.fit(source, size)
        images = np.stack([letterbox.images(dataset.load_image(r)) for r in rows])
        poses = letterbox.poses(dataset.poses[list(rows)])
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
        self.architecture = model

    def build(self) -> None:
        self.posenet = self.dist.wrap(build_network(self.architecture).to(self.device))
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
        return {"model": to_dict(self.architecture)}

    def flips(self, step: int) -> np.ndarray | None:
        """Which samples of ``step`` are mirrored: a pure function of (seed, step, rank)."""
        if not self.architecture.flip:
            return None
        rng = np.random.default_rng([self.train.seed, step, self.dist.rank])
        return rng.random(self.train.batch_size) < 0.5

    def train_step(self, step: int) -> dict[str, float]:
        from spt_core.losses.pose import pose_loss

        batch = self.images.batch(
            self.schedule.indices(step),
            self.device,
            self.architecture.heatmap_sigma,
            self.flips(step),
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

        batch = self.images.batch(self.preview_rows, self.device, self.architecture.heatmap_sigma)
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
