"""Training the human parser (:class:`~spt_core.models.parser.HumanParser`) with cross-entropy
on a dataset that has parsing maps (synthetic people, or LIP maps merged to the 10 labels), and
using it in ``spt prepare --parser`` (:class:`ParserPredictor`)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np

from spt_core import labels as lb
from spt_core.config import TrainConfig, from_dict, to_dict
from spt_core.data.dataset import PersonDataset
from spt_core.data.parsing_pairs import fit_labels
from spt_core.errors import DataError
from spt_core.train.loop import IndexSchedule, Trainer
from spt_core.train.posenet import fit_image

KIND = "parser"

#: Label permutation of a horizontally mirrored image: the person's left becomes right.
MIRROR_LABELS = np.arange(lb.NUM_LABELS)
MIRROR_LABELS[[lb.LEFT_ARM, lb.RIGHT_ARM, lb.LEFT_LEG, lb.RIGHT_LEG]] = [
    lb.RIGHT_ARM,
    lb.LEFT_ARM,
    lb.RIGHT_LEG,
    lb.LEFT_LEG,
]


@dataclasses.dataclass(frozen=True)
class ParserConfig:
    """The parser network and its input.

    Attributes:
        size: (H, W) the parser works at; divisible by ``2**depth``.
        base_channels: stem width (doubles per level up to ``max_channels``).
        max_channels: widest level.
        depth: stride-2 levels.
        norm: normalisation kind (see ``blocks.make_norm``).
        flip: mirror half of the training images (left/right labels swapped), so the side
            comes from the body and not from where the person stands.
    """

    size: tuple[int, int] = (128, 64)
    base_channels: int = 32
    max_channels: int = 256
    depth: int = 4
    norm: str = "instance"
    flip: bool = True

    def __post_init__(self) -> None:
        object.__setattr__(self, "size", tuple(int(v) for v in self.size))
        factor = 2**self.depth
        if len(self.size) != 2 or self.size[0] % factor or self.size[1] % factor:
            raise ValueError(f"size {self.size} must be (H, W) divisible by {factor} (depth)")

    def build(self):
        """A fresh :class:`~spt_core.models.parser.HumanParser`."""
        from spt_core.models.parser import HumanParser

        return HumanParser(self.base_channels, self.max_channels, self.depth, self.norm)


class ParsingImages:
    """Images and their parsing maps at the parser's size, in memory.

    Args:
        images: (N, H0, W0, 3) uint8.
        parsings: (N, H0, W0) labels 0..9.
        size: (H, W); both are fitted (resized to fit, padded with black / background).
    """

    def __init__(self, images: np.ndarray, parsings: np.ndarray, size: tuple[int, int]):
        if not len(images):
            raise DataError(None, "no image with a parsing map to train the parser on")
        if len(images) != len(parsings):
            raise ValueError(f"{len(images)} images but {len(parsings)} parsing maps")
        self.size = tuple(int(v) for v in size)
        self.images = np.stack([fit_image(np.asarray(i, np.uint8), self.size) for i in images])
        self.parsings = fit_labels(lb.check_labels(np.asarray(parsings)), self.size)

    @classmethod
    def from_dataset(cls, dataset: PersonDataset, size, rows=None) -> ParsingImages:
        """Every image of ``dataset`` that has a parsing map (or only ``rows``)."""
        rows = range(len(dataset)) if rows is None else rows
        images, parsings = [], []
        for r in rows:
            parsing = dataset.load_parsing(r)
            if parsing is not None:
                images.append(fit_image(dataset.load_image(r), tuple(size)))
                parsings.append(fit_labels(parsing, tuple(size)))
        if not images:
            raise DataError(dataset.root, "no image has a parsing map; the parser needs them")
        return cls(np.stack(images), np.stack(parsings), size)

    def __len__(self) -> int:
        return len(self.images)

    def batch(self, rows, device, flip=None) -> dict:
        """``images`` (B, 3, H, W) in [-1, 1] and ``labels`` (B, H, W) long; ``flip`` (one bool
        per row) mirrors an image and swaps its left and right labels."""
        import torch

        rows = np.asarray(rows, dtype=np.int64)
        images, labels = self.images[rows].copy(), self.parsings[rows].copy()
        if flip is not None:
            flip = np.asarray(flip, bool)
            images[flip] = images[flip][:, :, ::-1]
            labels[flip] = MIRROR_LABELS[labels[flip][:, :, ::-1]]
        pixels = torch.from_numpy(np.ascontiguousarray(images)).to(device)
        return {
            "images": pixels.permute(0, 3, 1, 2).float() / 127.5 - 1.0,
            "labels": torch.from_numpy(np.ascontiguousarray(labels)).to(device).long(),
        }


class ParserTrainer(Trainer):
    """Cross-entropy training of the parser on the shared loop (checkpoint kind "parser")."""

    kind = KIND

    def __init__(
        self,
        data: ParsingImages,
        model: ParserConfig,
        train: TrainConfig,
        run_dir: str | Path,
        resume: bool = False,
    ):
        super().__init__(train, run_dir, resume)
        if tuple(data.size) != tuple(model.size):
            raise ValueError(f"data are {data.size} but the parser works at {model.size}")
        self.data, self.model = data, model

    def build(self) -> None:
        self.parser = self.dist.wrap(self.model.build().to(self.device))
        self.optimizers = {"parser": self.make_adam(self.parser.parameters())}
        self.schedule = IndexSchedule(
            len(self.data),
            self.train.batch_size,
            self.train.seed,
            self.dist.rank,
            self.dist.world_size,
        )
        rng = np.random.default_rng(self.train.seed)
        self.preview_rows = rng.choice(len(self.data), size=min(4, len(self.data)), replace=False)

    def networks(self) -> dict:
        return {"parser": self.parser}

    def config_dict(self) -> dict:
        return {"model": to_dict(self.model)}

    def train_step(self, step: int) -> dict[str, float]:
        import torch

        rows = self.schedule.indices(step)
        # torch's generator is seeded per step by the loop: a resumed run flips the same images.
        flip = (torch.rand(len(rows)) < 0.5).numpy() if self.model.flip else None
        batch = self.data.batch(rows, self.device, flip)
        self.parser.train()
        with self.autocast():
            logits = self.parser(batch["images"])
            loss = torch.nn.functional.cross_entropy(logits.float(), batch["labels"])
        self.optimise("parser", loss)
        accuracy = (logits.detach().argmax(1) == batch["labels"]).float().mean()
        return {"cross_entropy": float(loss.detach()), "pixel_accuracy": float(accuracy)}

    def preview(self) -> dict[str, np.ndarray]:
        """Rows: image | true parsing | predicted parsing."""
        import torch

        batch = self.data.batch(self.preview_rows, self.device)
        self.parser.eval()
        with torch.no_grad():
            predicted = lb.argmax_labels(self.parser(batch["images"]))
        self.parser.train()
        rows = [
            np.concatenate(
                [self.data.images[r], lb.colorize(self.data.parsings[r]), lb.colorize(p)], axis=1
            )
            for r, p in zip(self.preview_rows, predicted, strict=True)
        ]
        return {"parser": np.concatenate(rows, axis=0)}


def load_parser(checkpoint: str | Path, device="cpu"):
    """(network in eval mode, its :class:`ParserConfig`) from a checkpoint or run directory.

    Raises:
        CheckpointError: not a parser checkpoint, or weights that do not fit its config.
    """
    from spt_core.models.checkpoint import load_weights, read_config
    from spt_core.train.loop import resolve_checkpoint

    checkpoint = resolve_checkpoint(checkpoint)
    model = from_dict(ParserConfig, read_config(checkpoint, KIND)["model"])
    network = model.build().to(device)
    load_weights(network, checkpoint, "parser", device=device)
    network.eval()
    return network, model


class ParserPredictor:
    """A trained parser applied to images of any size (fitted to its size and back).

    Args:
        checkpoint: parser checkpoint or run directory.
        device: torch device ("cpu", "cuda", "auto").
    """

    def __init__(self, checkpoint: str | Path, device: str = "cpu"):
        from spt_core.devices import resolve_device

        self.device = resolve_device(device)
        self.network, self.model = load_parser(checkpoint, self.device)
        self.name = f"parser {Path(checkpoint)}"

    def predict(self, image: np.ndarray) -> np.ndarray:
        """(H, W, 3) uint8 RGB -> (H, W) uint8 labels.

        The image is fitted into the parser's size keeping its proportions (as in training,
        :func:`~spt_core.train.posenet.fit_image`); the labels of the fitted area are resized
        back (nearest).
        """
        import cv2
        import torch

        from spt_core.data.parsing_pairs import fit_geometry

        height, width = image.shape[:2]
        fitted = fit_image(np.ascontiguousarray(image), self.model.size)
        pixels = torch.from_numpy(np.ascontiguousarray(fitted)).to(self.device).permute(2, 0, 1)
        with torch.no_grad():
            labels = lb.argmax_labels(self.network(pixels[None].float() / 127.5 - 1.0))[0]
        if (height, width) == tuple(self.model.size):
            return labels
        scale, pad_x, pad_y = fit_geometry((height, width), self.model.size)
        inner = labels[pad_y : pad_y + round(height * scale), pad_x : pad_x + round(width * scale)]
        return cv2.resize(inner, (width, height), interpolation=cv2.INTER_NEAREST_EXACT)


def train_parser_from_args(
    data: str | Path,
    out: str | Path,
    steps: int | None = None,
    batch_size: int | None = None,
    lr: float | None = None,
    size: tuple[int, int] | None = None,
    base_channels: int | None = None,
    depth: int | None = None,
    device: str = "auto",
    resume: bool = False,
    quiet: bool = False,
) -> ParserTrainer:
    """A :class:`ParserTrainer` from command-line values (None: default, or the checkpoint's
    value when resuming, so a resumed run needs no architecture flag repeated)."""
    from spt_core.models.checkpoint import read_config
    from spt_core.train.loop import latest_checkpoint

    dataset = PersonDataset(data, require_torso=False, require_parsing=True)
    saved = latest_checkpoint(out) if resume else None
    asked = {
        k: v
        for k, v in {"size": size, "base_channels": base_channels, "depth": depth}.items()
        if v is not None
    }
    if saved is not None:
        config = read_config(saved, KIND)
        model = dataclasses.replace(from_dict(ParserConfig, config["model"]), **asked)
        base_train = from_dict(TrainConfig, config["train"])
    else:
        model = ParserConfig(**{"size": (128, 64), **asked})
        base_train = TrainConfig(lr=1e-3, beta1=0.9)
    changes = {
        k: v
        for k, v in {"steps": steps, "batch_size": batch_size, "lr": lr}.items()
        if v is not None
    }
    train = dataclasses.replace(base_train, device=device, **changes)
    if not quiet:
        print(f"loading {len(dataset)} images with parsing from {dataset.root}")
    images = ParsingImages.from_dataset(dataset, model.size)
    trainer = ParserTrainer(images, model, train, out, resume)
    if not quiet and trainer.dist.is_main:
        print(
            f"human parser: {len(images)} images at {model.size[0]}x{model.size[1]}, depth "
            f"{model.depth}, base {model.base_channels}, {train.steps} steps of "
            f"{train.batch_size}, device {trainer.device}"
        )
    return trainer
