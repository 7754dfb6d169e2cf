"""The pseudo-label search off the GUI thread, with progress and cancel.

The search engine saves its result after every chunk of queries and resumes a file of the same
data and settings, so cancelling loses at most the chunk in progress: starting again continues.
The engine has no stop flag of its own; the progress callback raises to leave it between chunks.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, Signal, Slot

from spt_core.config import SearchConfig
from spt_studio.workers.training import describe_error

log = logging.getLogger(__name__)


class _CancelledError(Exception):
    """Raised from the progress callback to leave the search between two chunks."""


@dataclass
class SearchSummary:
    """What a search run produced (the numbers ``spt search`` prints)."""

    out: Path
    samples: int
    done: int
    with_label: int
    median_distance: float | None
    skipped: dict
    device: str
    seconds: float
    cancelled: bool = False
    agreement: dict | None = field(default=None)

    def lines(self) -> list[str]:
        """Human-readable summary."""
        head = (
            f"cancelled after {self.done} of {self.samples} samples; start again to continue"
            if self.cancelled
            else f"{self.samples} samples searched"
        )
        out = [
            f"pseudo labels: {self.out}",
            f"{head} (device {self.device}, {self.seconds:.1f} s)",
            "skipped: " + (", ".join(f"{k} {v}" for k, v in self.skipped.items()) or "none"),
            f"with a pseudo label: {self.with_label} of {self.done}",
        ]
        if self.median_distance is not None:
            out.append(f"distance: median {self.median_distance:.0f}")
        if self.agreement:
            a = self.agreement
            out.append(
                f"same garment types (sleeves and lower): {100 * a['same_types']:.1f}% of "
                f"{a['queries']} queries (sleeves {100 * a['same_sleeves']:.1f}%, lower "
                f"{100 * a['same_lower']:.1f}%)"
            )
        return out


def summarize(
    result, out: Path, device, seconds: float, record: dict | None, cancelled: bool = False
) -> SearchSummary:
    """A :class:`SearchSummary` of a (possibly partial) PseudoLabels result."""
    from spt_core.search.report import garment_agreement

    found = result.best[: result.done] >= 0
    median = float(np.median(result.best_score[: result.done][found])) if found.any() else None
    agreement = garment_agreement(result, record) if record and not cancelled else None
    return SearchSummary(
        out=Path(out),
        samples=len(result.names),
        done=int(result.done),
        with_label=int(found.sum()),
        median_distance=median,
        skipped=dict(result.skipped),
        device=str(device),
        seconds=seconds,
        cancelled=cancelled,
        agreement=agreement,
    )


class SearchWorker(QObject):
    """Run :class:`~spt_core.search.engine.PseudoLabelSearch` over a dataset folder.

    Args:
        data_dir: dataset folder (PG2 layout, with parsing maps).
        out: pseudo-label file to write (resumed when it holds the same search).
        config: search settings.
        device: "auto", "cpu" or "cuda[:N]".
        replace: replace an ``out`` file of other data or settings instead of refusing.

    Signals:
        status(str), progress(int, int): (queries done, total), finished(object): the
        :class:`SearchSummary` (also after a cancel; None when cancelled before anything was
        saved), failed(str), ended() (always last).
    """

    status = Signal(str)
    progress = Signal(int, int)
    finished = Signal(object)
    failed = Signal(str)
    ended = Signal()

    def __init__(
        self,
        data_dir: str | Path,
        out: str | Path,
        config: SearchConfig | None = None,
        device: str = "auto",
        replace: bool = False,
    ):
        super().__init__()
        self.data_dir, self.out = Path(data_dir), Path(out)
        self.config = config or SearchConfig()
        self.device, self.replace = device, replace
        self._cancel = threading.Event()

    def cancel(self) -> None:
        """Stop after the chunk of queries in progress (callable from any thread)."""
        self._cancel.set()

    def _progress(self, done: int, total: int) -> None:
        self.progress.emit(done, total)
        if self._cancel.is_set() and done < total:
            raise _CancelledError

    @Slot()
    def run(self) -> None:
        from spt_core.data.dataset import PersonDataset
        from spt_core.errors import DataError
        from spt_core.search.engine import PseudoLabelSearch, SearchInputs
        from spt_core.search.store import PseudoLabels

        try:
            if not self.data_dir.is_dir():
                raise DataError(self.data_dir, "dataset folder not found")
            self.status.emit("reading the dataset")
            dataset = PersonDataset(self.data_dir)
            inputs = SearchInputs.from_dataset(dataset)
            search = PseudoLabelSearch(self.config, device=self.device)
            self.status.emit(f"searching {len(inputs.names)} samples on {search.device}")
            self.out.parent.mkdir(parents=True, exist_ok=True)
            start = time.perf_counter()
            try:
                result = search.run(inputs, self.out, self._progress, resume=not self.replace)
                cancelled = False
            except _CancelledError:
                # What the engine saved after its last complete chunk.
                cancelled = True
                result = PseudoLabels.load(self.out) if self.out.is_file() else None
            seconds = time.perf_counter() - start
            if result is None:  # cancelled before the first chunk was saved
                self.finished.emit(None)
                return
            self.finished.emit(
                summarize(result, self.out, search.device, seconds, dataset.record, cancelled)
            )
        except Exception as exc:  # noqa: BLE001 (a failed search must never take the editor down)
            log.exception("search failed")
            self.failed.emit(describe_error(exc))
        finally:
            self.ended.emit()
