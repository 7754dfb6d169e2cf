"""Training the human parser (:class:`~spt_core.models.parser.HumanParser`) with cross-entropy
on a dataset that has parsing maps (synthetic people, or LIP maps merged to the 10 labels), and
using it in ``spt prepare --parser`` (:class:`ParserPredictor`)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from spt_core import labels as lb
from spt_core.config import ParserConfig, TrainConfig, to_dict
from spt_core.data.dataset import PersonDataset
from spt_core.errors import DataError
from spt_core.letterbox import Letterbox
from spt_core.models.loading import build_network
from spt_core.train.loop import IndexSchedule, Trainer

KIND = "parser"

#: Label permutation of a horizontally mirrored image: the person's left becomes right.
MIRROR_LABELS = np.arange(lb.NUM_LABELS)
MIRROR_LABELS[[lb.LEFT_ARM, lb.RIGHT_ARM, lb.LEFT_LEG, lb.RIGHT_LEG]] = [
    lb.RIGHT_ARM,
    lb.LEFT_ARM,
    lb.RIGHT_LEG,
    lb.LEFT_LEG,
]


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
        self.images = np.stack(
            [Letterbox.fit(i.shape[:2], self.size).images(np.asarray(i, np.uint8)) for i in images]
        )
        parsings = lb.check_labels(np.asarray(parsings))
        self.parsings = Letterbox.fit(parsings.shape[-2:], self.size).labels(parsings)

    @classmethod
    def from_dataset(cls, dataset: PersonDataset, size, rows=None) -> ParsingImages:
        """Every image of ``dataset`` that has a parsing map (or only ``rows``)."""
        rows = range(len(dataset)) if rows is None else rows
        images, parsings = [], []
        for r in rows:
            parsing = dataset.load_parsing(r)
            if parsing is not None:
                image = dataset.load_image(r)
                letterbox = Letterbox.fit(image.shape[:2], size)
                images.append(letterbox.images(image))
                parsings.append(letterbox.labels(parsing))
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
        self.data, self.architecture = data, model

    def build(self) -> None:
        self.parser = self.dist.wrap(build_network(self.architecture).to(self.device))
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
        return {"model": to_dict(self.architecture)}

    def train_step(self, step: int) -> dict[str, float]:
        import torch

        rows = self.schedule.indices(step)
        # torch's generator is seeded per step by the loop: a resumed run flips the same images.
        flip = (torch.rand(len(rows)) < 0.5).numpy() if self.architecture.flip else None
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
