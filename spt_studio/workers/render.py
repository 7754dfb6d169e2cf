"""Rendering off the GUI thread: a worker QObject in a QThread, latest request wins.

What to render is decided by the editing session
(:meth:`~spt_studio.document.session.EditorSession.render_request`); the GUI thread hands that
request to :class:`RenderController`, which never waits: when the worker is busy the request is
parked, and a newer request replaces a parked one (dragging a joint sends dozens per second;
only the newest pose matters). When the worker finishes, the parked request, if any, goes next.
So at most one render runs and at most one waits, and results arrive in request order.
"""

from __future__ import annotations

import os
import time
import traceback
from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QObject, QThread, Signal, Slot

from spt_studio.document.render_request import RenderRequest


@dataclass
class RenderResult:
    """A finished render: the image at the photo's size, the predicted parsing (photo's size;
    None when nothing was predicted), the model's own output and timings."""

    serial: int
    kind: str
    image: np.ndarray
    parsing: np.ndarray | None
    seconds: float  # time in the model
    latency: float  # from the request to the result
    tag: int = 0
    model_image: np.ndarray | None = None  # the model's frame (File > Export model frame)


def run_request(pipe, request: RenderRequest):
    """Make the pipeline call for ``request`` (in the worker thread).

    The model draws a box around the person and the result is put back into the photo at its
    resolution (:mod:`spt_core.photo_frame`).

    Returns:
        (image, parsing or None, model image).
    """
    from spt_core.photo_frame import render_in_photo, repose_in_photo, transfer_in_photo
    from spt_core.pipeline import Person

    person = Person(request.image, request.pose, request.parsing)
    if hasattr(pipe, "keep_unchanged"):  # the worker owns the pipeline: no other caller
        pipe.keep_unchanged = request.keep_unchanged
    if request.kind == "repose":
        out = repose_in_photo(pipe, person, request.target_pose)
        return out.image, out.parsing, out.model_image
    if request.kind == "render":
        out = render_in_photo(pipe, person, request.target_pose, request.target_parsing)
        return out.image, None, out.model_image
    if request.kind == "transfer":
        if request.reference is None:
            raise ValueError("clothing transfer needs a second image")
        reference = Person(*request.reference)
        labels = tuple(int(v) for v in request.labels)
        # The session decided whether she keeps her real pixels or is reposed too.
        moved = None if request.keep_real_pixels else request.target_pose
        out = transfer_in_photo(pipe, reference, person, labels, moved)
        return out.image, None if moved is None else out.parsing, out.model_image
    raise ValueError(f"unknown render kind {request.kind!r}")


class RenderWorker(QObject):
    """Lives in the render thread; owns the pipeline."""

    finished = Signal(object)  # RenderResult
    failed = Signal(int, str)  # serial, message
    model_loaded = Signal(str)  # description
    model_failed = Signal(str)

    def __init__(self, pipeline=None):
        super().__init__()
        self.pipeline = pipeline

    @Slot(str, str)
    def load_model(self, path: str, device: str) -> None:
        """Load a model: "" = the default shipped model, "random" = untrained (development)."""
        try:
            from spt_core.pipeline import SPTPipeline

            if path == "random":
                pipe = SPTPipeline.random(size=(128, 64), seed=0)
                if device not in ("", "auto", "cpu") and hasattr(pipe, "to"):
                    pipe = pipe.to(device)
            else:
                pipe = SPTPipeline.from_pretrained(path or None, device=device or "auto")
        except Exception as exc:  # noqa: BLE001 - any load failure is reported to the user
            self.model_failed.emit(str(exc))
            return
        self.pipeline = pipe
        self.model_loaded.emit(describe_pipeline(pipe, path))

    @Slot(object)
    def set_pipeline(self, pipeline) -> None:
        self.pipeline = pipeline
        self.model_loaded.emit(describe_pipeline(pipeline, "given"))

    @Slot(object)
    def render(self, request: RenderRequest) -> None:
        if self.pipeline is None:
            self.failed.emit(request.serial, "no model loaded (Tools > Model and device)")
            return
        start = time.perf_counter()
        try:
            image, parsing, model_image = run_request(self.pipeline, request)
        except Exception as exc:  # noqa: BLE001 - reported, the editor keeps running
            traceback.print_exc()
            self.failed.emit(request.serial, f"{type(exc).__name__}: {exc}")
            return
        end = time.perf_counter()
        self.finished.emit(
            RenderResult(
                serial=request.serial,
                kind=request.kind,
                image=np.asarray(image),
                parsing=None if parsing is None else np.asarray(parsing),
                seconds=end - start,
                latency=end - request.created,
                tag=request.tag,
                model_image=model_image,
            )
        )


def describe_pipeline(pipe, source: str) -> str:
    size = getattr(pipe, "size", None)
    device = getattr(pipe, "device", "?")
    name = getattr(pipe, "name", "") or {"": "default model", "random": "random (untrained)"}.get(
        source, source
    )
    size_text = f"{size[0]}x{size[1]}" if size else "?"
    return f"{name} {size_text} on {device}"


class RenderController(QObject):
    """GUI-side scheduler of the render worker; never blocks.

    Signals:
        result_ready(RenderResult), render_failed(str), model_loaded(str), model_failed(str),
        busy_changed(bool).
    """

    result_ready = Signal(object)
    render_failed = Signal(str)
    model_loaded = Signal(str)
    model_failed = Signal(str)
    busy_changed = Signal(bool)
    _submit = Signal(object)
    _load = Signal(str, str)
    _give = Signal(object)

    def __init__(self, pipeline=None, parent=None):
        super().__init__(parent)
        self.thread = QThread()
        self.thread.setObjectName("spt-render")
        self.worker = RenderWorker()
        self.worker.moveToThread(self.thread)
        self._submit.connect(self.worker.render)
        self._load.connect(self.worker.load_model)
        self._give.connect(self.worker.set_pipeline)
        self.worker.finished.connect(self._on_finished)
        self.worker.failed.connect(self._on_failed)
        self.worker.model_loaded.connect(self._on_model_loaded)
        # A method, not signal-to-signal: PySide6 dropped a cross-thread re-emission here.
        self.worker.model_failed.connect(self._on_model_failed)
        self.thread.started.connect(_limit_torch_threads)
        self.thread.start()
        self.busy = False
        self.pending: RenderRequest | None = None
        self.has_model = False
        self.model_text = "no model"
        self.completed = 0
        self.replaced = 0
        self._serial = 0
        if pipeline is not None:
            self.set_pipeline(pipeline)

    def set_pipeline(self, pipeline) -> None:
        """Hand an already built pipeline to the worker (tests, development)."""
        self._give.emit(pipeline)

    def load_model(self, path: str = "", device: str = "auto") -> None:
        """Load a model in the worker thread (the GUI stays live while it loads)."""
        self._load.emit(path, device)

    def request(self, request: RenderRequest) -> int:
        """Schedule a render; returns its serial. A parked older request is dropped."""
        self._serial += 1
        request.serial = self._serial
        if self.busy:
            if self.pending is not None:
                self.replaced += 1
            self.pending = request
        else:
            self._send(request)
        return request.serial

    def _send(self, request: RenderRequest) -> None:
        self.busy = True
        self.busy_changed.emit(True)
        self._submit.emit(request)

    def _next(self) -> None:
        if self.pending is not None:
            request, self.pending = self.pending, None
            self._send(request)
        else:
            self.busy = False
            self.busy_changed.emit(False)

    def _on_finished(self, result: RenderResult) -> None:
        self.completed += 1
        self.result_ready.emit(result)
        self._next()

    def _on_failed(self, serial: int, message: str) -> None:
        self.render_failed.emit(message)
        self._next()

    def _on_model_loaded(self, text: str) -> None:
        self.has_model = True
        self.model_text = text
        self.model_loaded.emit(text)

    def _on_model_failed(self, message: str) -> None:
        self.model_failed.emit(message)

    def shutdown(self, timeout_ms: int = 10000) -> None:
        """Stop the thread (after the running render, if any, finishes)."""
        self.pending = None
        self.thread.quit()
        self.thread.wait(timeout_ms)


def _limit_torch_threads() -> None:
    """Leave a core to the GUI: torch's intra-op pool would otherwise take them all, and the
    GUI thread would wait for the CPU even though it never waits for the model."""
    try:
        import torch

        torch.set_num_threads(max(1, (os.cpu_count() or 2) - 1))
    except ImportError:
        pass
