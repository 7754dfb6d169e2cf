"""The render controller on its own: latest request wins, the GUI thread never waits, failures
are reported and the next request still runs."""

from __future__ import annotations

import threading
import time

import numpy as np
from PySide6.QtCore import QThread

from spt_core import skeleton as sk
from spt_studio.document.render_request import RenderRequest
from spt_studio.workers.render import RenderController


class SlowPipeline:
    """Records every call; each takes ``seconds`` in the worker thread."""

    size = (8, 4)
    device = "cpu"
    name = "slow"

    def __init__(self, seconds: float = 0.2):
        self.seconds = seconds
        self.calls: list[float] = []
        self.threads: list[int] = []

    def letterbox(self, frame):
        from spt_core.letterbox import Letterbox

        return Letterbox.fit(tuple(frame), self.size)

    def render(self, person, target_pose, target_parsing):
        self.threads.append(threading.get_ident())
        time.sleep(self.seconds)
        marker = float(target_pose[sk.NOSE, 0])
        self.calls.append(marker)
        if marker < 0:
            raise RuntimeError("the model failed")
        return np.full((8, 4, 3), int(marker), np.uint8)


def request(marker: float) -> RenderRequest:
    pose = sk.missing_pose()
    pose[sk.NOSE] = (marker, 1.0)
    pose[sk.R_ANKLE] = (2.0, 7.0)  # a person as tall as the photo: the whole photo is drawn
    return RenderRequest(
        "render",
        image=np.zeros((8, 4, 3), np.uint8),
        pose=pose,
        parsing=np.ones((8, 4), np.uint8),  # the person everywhere: the drawing shows
        target_pose=pose,
        target_parsing=np.ones((8, 4), np.uint8),
    )


def test_latest_request_wins_and_the_gui_never_waits(qtbot):
    pipe = SlowPipeline(0.2)
    controller = RenderController(pipe)
    results, failures = [], []
    controller.result_ready.connect(results.append)
    controller.render_failed.connect(failures.append)
    qtbot.waitUntil(lambda: controller.has_model, timeout=5000)
    start = time.perf_counter()
    for marker in range(1, 6):
        controller.request(request(float(marker)))
    elapsed = time.perf_counter() - start
    assert elapsed < 0.05  # five requests while a 200 ms render runs: no waiting
    qtbot.waitUntil(lambda: not controller.busy, timeout=5000)
    # The first ran at once; 2, 3 and 4 were replaced while waiting; 5 ran next.
    assert pipe.calls == [1.0, 5.0]
    assert [r.image[0, 0, 0] for r in results] == [1, 5]
    assert controller.replaced == 3
    assert all(r.seconds >= 0.19 for r in results)
    assert results[1].latency > results[1].seconds  # it waited for the first one
    assert threading.get_ident() not in pipe.threads  # never on the GUI thread
    # A failing render is reported; the request behind it still runs.
    controller.request(request(-1.0))
    controller.request(request(7.0))
    qtbot.waitUntil(lambda: not controller.busy, timeout=5000)
    assert failures and "the model failed" in failures[0]
    assert results[-1].image[0, 0, 0] == 7
    controller.shutdown()
    assert not controller.thread.isRunning()
    assert QThread.currentThread() is not controller.worker.thread()
