"""The training loop every trainer shares: steps, learning-rate schedule, logs, previews,
checkpoints, resume, stop requests, AMP and torchrun.

A trainer subclasses :class:`Trainer` and fills in ``build``, ``train_step``, ``preview``,
``networks`` and ``config_dict``. ``run()`` is a generator of events, so the CLI (printing with
tqdm) and the editor (plotting in a worker thread) drive exactly the same loop.
"""

from __future__ import annotations

import abc
import contextlib
import json
import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from spt_core.config import TrainConfig, to_dict
from spt_core.errors import SptError
from spt_core.io_utils import write_image_rgb, write_text_atomic
from spt_core.locks import OutputLock, lock_folder
from spt_core.models.checkpoint import (
    CHECKPOINTS,
    CheckpointError,
    latest_checkpoint,
    load_training_state,
    load_weights,
    read_config,
    remove_leftovers,
    save_checkpoint,
    write_latest,
)
from spt_core.train.distributed import DistributedContext
from spt_core.train.events import CheckpointEvent, DoneEvent, Event, PreviewEvent, StepEvent


class TrainingError(SptError):
    """A run cannot go on (out of memory, ...); the message says what to change."""


LOG = "log.jsonl"


class IndexSchedule:
    """The sample indices of every step, a pure function of (seed, step): resumable exactly.

    Epochs are seeded permutations laid end to end; step s takes the next
    ``batch_size * world_size`` positions and each process its own slice of them.
    """

    def __init__(self, count: int, batch_size: int, seed: int, rank: int = 0, world: int = 1):
        if count < 1:
            raise ValueError("no training samples")
        self.count, self.batch, self.seed = count, batch_size, seed
        self.rank, self.world = rank, world

    def _permutation(self, epoch: int) -> np.ndarray:
        return np.random.default_rng([self.seed, epoch]).permutation(self.count)

    def indices(self, step: int) -> np.ndarray:
        global_batch = self.batch * self.world
        start = step * global_batch + self.rank * self.batch
        positions = np.arange(start, start + self.batch)
        epochs, offsets = np.divmod(positions, self.count)
        return np.array([self._permutation(e)[o] for e, o in zip(epochs, offsets, strict=True)])


class Trainer(abc.ABC):
    """Base class of the trainers (see the module docstring).

    Args:
        train: optimisation settings.
        run_dir: where checkpoints, log.jsonl and previews go.
        resume: continue from the newest checkpoint in ``run_dir`` (an error if there is none).
    """

    kind = "base"

    def __init__(self, train: TrainConfig, run_dir: str | Path, resume: bool = False):
        import torch

        self.train = train
        self.run_dir = Path(run_dir)
        self.resume = resume
        self.dist = DistributedContext.from_env(train.device)
        self.device = self.dist.device
        self.use_amp = bool(train.amp and self.device.type == "cuda")
        self.step = 0
        self.restored_config: dict = {}
        self.optimizers: dict = {}
        self.scalers: dict = {}
        self._stop = threading.Event()
        self._board = None  # TensorBoard events beside log.jsonl (train/board.py)
        torch.manual_seed(train.seed)

    # ---- hooks for subclasses -------------------------------------------------------------

    @abc.abstractmethod
    def build(self) -> None:
        """Create networks, optimisers (``self.optimizers``) and data."""

    @abc.abstractmethod
    def networks(self) -> dict:
        """name -> nn.Module to checkpoint (e.g. generator, discriminator)."""

    @abc.abstractmethod
    def config_dict(self) -> dict:
        """JSON-ready description of the run (architecture, losses, train settings)."""

    @abc.abstractmethod
    def train_step(self, step: int) -> dict[str, float]:
        """One optimisation step; returns named float losses."""

    def preview(self) -> dict[str, np.ndarray]:
        """Pictures of the current state (RGB uint8); empty when there is nothing to show."""
        return {}

    def prepare_step(self, step: int) -> None:
        """Make the trainer what (0-based) step ``step`` needs (e.g. rebuild an optimiser when
        a phase of the schedule begins, set a fade-in weight). Must depend on ``step`` alone.

        The loop calls it before every step (before the learning rate is set); a resume calls
        it for the last step the checkpoint holds before loading the optimiser states, so
        those states fit the optimisers they were saved from. Does nothing by default.
        """
        return None

    # ---- helpers for subclasses -------------------------------------------------------------

    def autocast(self):
        """Mixed precision on CUDA when ``amp`` is on; a no-op context otherwise."""
        import torch

        if self.use_amp:
            return torch.autocast(device_type="cuda", dtype=torch.float16)
        return contextlib.nullcontext()

    def optimise(self, name: str, loss) -> None:
        """Backward and step of optimiser ``name`` (through a GradScaler under AMP)."""
        import torch

        optimizer = self.optimizers[name]
        optimizer.zero_grad(set_to_none=True)
        if self.use_amp:
            scaler = self.scalers.setdefault(name, torch.amp.GradScaler("cuda"))
            scaler.scale(loss).backward()
            scaler.step(optimizer)
            scaler.update()
        else:
            loss.backward()
            optimizer.step()

    def make_adam(self, parameters):
        import torch

        return torch.optim.Adam(
            parameters, lr=self.train.lr, betas=(self.train.beta1, self.train.beta2)
        )

    def provenance(self, key: str, value) -> str | None:
        """A starting run's path (for ``config_dict``), or on resume the one recorded when the
        run was started."""
        if value is not None:
            return str(value)
        return self.restored_config.get(key)

    def request_stop(self) -> None:
        """Ask the loop to stop after the current step (thread-safe); it saves a checkpoint."""
        self._stop.set()

    def learning_rate(self, step: int) -> float:
        """Constant, then linear decay to 0 from ``decay_from * steps`` (pix2pix's 'lambda')."""
        start = self.train.decay_from * self.train.steps
        if step < start or self.train.decay_from >= 1.0:
            return self.train.lr
        return self.train.lr * max(
            0.0, (self.train.steps - step) / max(1.0, self.train.steps - start)
        )

    # ---- the loop -----------------------------------------------------------------------------

    def run(self) -> Iterator[Event]:
        """Train, yielding events; stops at ``train.steps`` or on :meth:`request_stop`.

        The main process holds the run folder's lock from start to end (also on a stop request,
        an error, or when the caller drops the generator), so a second run into the same folder
        is refused instead of interleaving with this one.

        Raises:
            OutputLockedError: another live process trains into ``run_dir``.
        """
        created = not self.run_dir.exists()
        lock = lock_folder(self.run_dir) if self.dist.is_main else None
        try:
            if lock is not None:
                lock.acquire()
                remove_leftovers(self.run_dir)  # safe now: no other writer is mid-write
            yield from self._run()
        finally:
            self._release(lock, created)
            self.dist.close()

    def _release(self, lock: OutputLock | None, created: bool) -> None:
        """Give the lock back; remove the folder again if this run created it and wrote nothing
        (a refused resume must not leave an empty run folder behind)."""
        if lock is None:
            return
        lock.release()
        if created:
            with contextlib.suppress(OSError):
                self.run_dir.rmdir()  # fails, as wanted, when anything was written

    def _run(self) -> Iterator[Event]:
        self.build()
        if self.resume:
            self._restore()
        elif latest_checkpoint(self.run_dir) is not None:
            raise CheckpointError(
                f"{self.run_dir} already holds a run; pass --resume to continue it or choose "
                "another --out"
            )
        self.run_dir.mkdir(parents=True, exist_ok=True)
        if self.dist.is_main:
            self._trim_log()
            from spt_core.train.board import Board

            self._board = Board(self.run_dir, purge_step=self.step + 1 if self.resume else None)
        try:
            yield from self._steps()
        finally:
            if self._board is not None:
                self._board.close()

    def _steps(self) -> Iterator[Event]:
        saved_at = self.step if self.resume else -1
        last_time = time.perf_counter()
        steps_since = 0
        while self.step < self.train.steps and not self._stop.is_set():
            losses = self._advance()
            steps_since += 1
            final = self.step == self.train.steps
            if self.step % self.train.log_every == 0 or final:
                losses = self.dist.mean(losses)
                now = time.perf_counter()
                event = StepEvent(
                    self.step,
                    self.train.steps,
                    losses,
                    self.learning_rate(self.step - 1),
                    (now - last_time) / max(1, steps_since),
                )
                last_time, steps_since = now, 0
                if self.dist.is_main:
                    self._log(event)
                    yield event
            if self.train.preview_every and self.step % self.train.preview_every == 0:
                images = self.preview()
                if images and self.dist.is_main:
                    self._save_previews(images)
                    yield PreviewEvent(self.step, images)
            if self.step % self.train.checkpoint_every == 0 and not final:
                path = self.save()
                saved_at = self.step
                if path is not None:
                    yield CheckpointEvent(self.step, path)
        path = None
        if saved_at != self.step:
            path = self.save()
            if path is not None:
                yield CheckpointEvent(self.step, path)
        else:
            path = latest_checkpoint(self.run_dir)
        reason = "finished" if self.step >= self.train.steps else "stopped"
        if self.dist.is_main:
            yield DoneEvent(self.step, reason, path)

    def _advance(self) -> dict[str, float]:
        """Run step ``self.step`` and count it; returns its losses."""
        import torch

        self.prepare_step(self.step)
        for optimizer in self.optimizers.values():
            for group in optimizer.param_groups:
                group["lr"] = self.learning_rate(self.step)
        # Dropout and any sampling draw from a generator seeded by the step, so a resumed
        # run repeats exactly what an uninterrupted one would have done.
        torch.manual_seed(self.train.seed * 1_000_003 + self.step * 997 + self.dist.rank)
        try:
            losses = self.train_step(self.step)
        except torch.cuda.OutOfMemoryError:
            raise self._out_of_memory() from None
        self.step += 1
        return losses

    def _out_of_memory(self) -> TrainingError:
        """Free what can be freed and explain; the last checkpoint stays usable."""
        import torch

        for optimizer in self.optimizers.values():
            optimizer.zero_grad(set_to_none=True)
        if torch.cuda.is_available():
            torch.cuda.empty_cache()
        last = latest_checkpoint(self.run_dir)
        where = f"the last checkpoint is {last}" if last else "no checkpoint was written yet"
        return TrainingError(
            f"out of GPU memory at step {self.step + 1} with a batch of {self.train.batch_size} "
            f"on {self.device}; {where}. Lower --batch-size (then --resume) or use a smaller "
            "network."
        )

    # ---- checkpoints --------------------------------------------------------------------------

    def save(self) -> Path | None:
        """Write a checkpoint of the current step (main process only); prune old ones."""
        import torch

        self.dist.barrier()
        if not self.dist.is_main:
            return None
        name = f"step_{self.step:07d}"
        state = {
            "step": self.step,
            "optimizers": {k: o.state_dict() for k, o in self.optimizers.items()},
            "scalers": {k: s.state_dict() for k, s in self.scalers.items()},
            "torch_rng": torch.get_rng_state(),
        }
        config = {**self.config_dict(), "step": self.step, "train": to_dict(self.train)}
        path = save_checkpoint(
            self.run_dir / CHECKPOINTS / name, self.kind, config, self.networks(), state
        )
        write_latest(self.run_dir, path, self.step)
        kept = sorted((self.run_dir / CHECKPOINTS).glob("step_*"))
        for old in kept[: -self.train.keep_checkpoints]:
            shutil.rmtree(old, ignore_errors=True)
        return path

    def _restore(self) -> None:
        import torch

        path = latest_checkpoint(self.run_dir)
        if path is None:
            raise CheckpointError(f"{self.run_dir}: nothing to resume (no checkpoint)")
        # Kept so a resumed run can record where its first steps started from.
        self.restored_config = read_config(path, self.kind)
        for name, module in self.networks().items():
            load_weights(module, path, name, device=self.device)
        # Plain tensors and numbers only: a crafted training.pt cannot run code on --resume.
        state = load_training_state(path, device=self.device)
        if int(state["step"]) > 0:
            # The optimisers as they were when the checkpoint was written (its last step).
            self.prepare_step(int(state["step"]) - 1)
        for name, optimizer in self.optimizers.items():
            optimizer.load_state_dict(state["optimizers"][name])
        for name, scaler_state in state.get("scalers", {}).items():
            if self.use_amp:
                self.scalers.setdefault(name, torch.amp.GradScaler("cuda")).load_state_dict(
                    scaler_state
                )
        torch.set_rng_state(state["torch_rng"].cpu())
        self.step = int(state["step"])

    def _trim_log(self) -> None:
        """Keep only the log lines of steps the run starts from (``self.step``).

        A killed run logged steps after its last checkpoint, and a half-written last line; the
        resumed run logs those steps again, so each step must appear once.
        """
        path = self.run_dir / LOG
        if not path.is_file():
            return
        lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
        kept = [line for line in lines if 0 < _logged_step(line) <= self.step]
        if kept != lines:
            write_text_atomic(path, "".join(kept))

    def _log(self, event: StepEvent) -> None:
        self.run_dir.mkdir(parents=True, exist_ok=True)
        with (self.run_dir / LOG).open("a", encoding="utf-8") as handle:
            handle.write(json.dumps({"step": event.step, "lr": event.lr, **event.losses}) + "\n")
        if self._board is not None:
            self._board.scalars(event.step, {"lr": event.lr, **event.losses})
            self._board.flush()

    def _save_previews(self, images: dict[str, np.ndarray]) -> None:
        for name, image in images.items():
            write_image_rgb(self.run_dir / "previews" / f"{name}_{self.step:07d}.png", image)
        if self._board is not None:
            self._board.images(self.step, images)


def _logged_step(line: str) -> int:
    """The step of a complete log line; 0 for a damaged or unfinished one."""
    if not line.endswith("\n"):
        return 0  # the process died while writing it
    try:
        return int(json.loads(line)["step"])
    except (ValueError, TypeError, KeyError):
        return 0
