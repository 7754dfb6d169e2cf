"""TensorBoard event files beside log.jsonl, when the optional ``tensorboard`` extra is there.

Every trainer logs the same scalars (the step's losses and learning rate) to ``RUN/log.jsonl``;
with ``pip install -e '.[tensorboard]'`` they also go to ``RUN/tensorboard/`` as event files,
with the preview images, so ``tensorboard --logdir RUN`` (or any tool that reads TensorBoard
files) can watch a run. Without the package nothing is written and nothing fails. A resumed
run purges the events after its checkpoint's step (TensorBoard's ``purge_step``), as the
log's lines after it are dropped, so each step appears once.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

#: The folder under a run directory that holds the event files.
BOARD_DIR = "tensorboard"


def tensorboard_available() -> bool:
    """Whether the ``tensorboard`` package (which torch's SummaryWriter needs) is installed."""
    try:
        import tensorboard  # noqa: F401
    except ImportError:
        return False
    return True


class Board:
    """A SummaryWriter when TensorBoard is installed, else a no-op with the same methods.

    Args:
        run_dir: the run directory (events go to ``run_dir / "tensorboard"``).
        purge_step: the step a resumed run continues from (events after it are dropped).
    """

    def __init__(self, run_dir: str | Path, purge_step: int | None = None) -> None:
        self.writer = None
        if not tensorboard_available():
            return
        from torch.utils.tensorboard import SummaryWriter

        self.writer = SummaryWriter(str(Path(run_dir) / BOARD_DIR), purge_step=purge_step)

    def scalars(self, step: int, values: dict[str, float]) -> None:
        """One scalar per name at ``step`` (tags ``loss/NAME``; ``lr`` as it is)."""
        if self.writer is None:
            return
        for name, value in values.items():
            tag = name if name == "lr" else f"loss/{name}"
            self.writer.add_scalar(tag, float(value), step)

    def images(self, step: int, images: dict[str, np.ndarray]) -> None:
        """Preview images, (H, W, 3) uint8 each, under ``preview/NAME``."""
        if self.writer is None:
            return
        for name, image in images.items():
            self.writer.add_image(f"preview/{name}", np.asarray(image), step, dataformats="HWC")

    def flush(self) -> None:
        """Write what is pending (each log line's scalars are on disk after it)."""
        if self.writer is not None:
            self.writer.flush()

    def close(self) -> None:
        """Flush and close the event file."""
        if self.writer is not None:
            self.writer.close()
            self.writer = None
