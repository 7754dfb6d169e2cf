"""What one render is: the request the editing session decides and the render worker runs.

Qt-free, so the session builds requests (and tests check them) without a GUI; the worker in
:mod:`spt_studio.workers.render` only carries out what a request says.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

#: Render kinds and the pipeline call each makes.
KINDS: tuple[str, ...] = ("repose", "render", "transfer")


@dataclass
class RenderRequest:
    """Everything one render needs, as private copies (the document may change meanwhile).

    Attributes:
        kind: "repose" (predict the target parsing, then the image), "render" (use the painted
            ``target_parsing``) or "transfer" (``reference``'s garments ``labels`` onto the
            person).
        image, pose, parsing: the person (source).
        target_pose: effective target pose (hidden joints NaN).
        target_parsing: the painted map, for "render".
        reference: (image, pose, parsing) of the second person, for "transfer".
        labels: garment labels taken from the reference.
        keep_real_pixels: for "transfer": the person keeps her own pose, so her real pixels
            outside the garments are kept instead of reposing her (the session decides).
        keep_unchanged: put the source's own pixels back where nothing moved or was painted
            (``SPTPipeline.keep_unchanged``; decision 0007).
        tag: the caller's label (the editor's document generation), copied to the result.
        serial: the render controller's number for the request.
        created: when the request was made (for the edit-to-result latency).
    """

    kind: str
    image: np.ndarray
    pose: np.ndarray
    parsing: np.ndarray
    target_pose: np.ndarray
    target_parsing: np.ndarray | None = None
    reference: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
    labels: tuple[int, ...] = ()
    keep_real_pixels: bool = False
    keep_unchanged: bool = True
    tag: int = 0
    serial: int = 0
    created: float = field(default_factory=time.perf_counter)
