"""Pose animation (issue #19): a person drawn through a sequence of keyframe poses, written as
an animated GIF or an MP4.

Keyframes are placed on the person first (:func:`place_on`: her neck, her torso length, her
bone lengths), the poses in between come from :func:`spt_core.pose_tree.frame_poses` (bones
turn about their parent joints), and every frame is rendered at the photo's resolution
(:func:`spt_core.photo_frame.repose_in_photo`). Writers: MP4 through OpenCV's ``VideoWriter``
(``mp4v``; the ``opencv-python-headless`` wheels the project already needs carry FFmpeg on
Linux, Windows and macOS, where imageio would need a separate ``imageio-ffmpeg``) and GIF through
Pillow (already installed with scikit-image).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

from spt_core import skeleton as sk
from spt_core.errors import InputError

#: Video formats by file suffix.
FORMATS: tuple[str, ...] = (".mp4", ".gif")


def place_on(key: np.ndarray, person_pose: np.ndarray) -> np.ndarray:
    """A keyframe pose moved onto a person: its neck on hers, scaled to her torso length, then
    her bone lengths along its bone directions (she keeps her proportions)."""
    from spt_core.data.synth.posing import torso_length
    from spt_core.pose_tree import with_bone_lengths

    key = np.asarray(key, np.float64)
    person = np.asarray(person_pose, np.float64)
    if not (sk.has_torso(key) and sk.has_torso(person)):
        raise InputError("a keyframe and the person both need the four torso joints")
    scale = torso_length(person) / max(torso_length(key), 1e-6)
    moved = (key - key[sk.NECK]) * scale + person[sk.NECK]
    return with_bone_lengths(moved, person)


def animation_poses(
    person_pose: np.ndarray, keyframes: list[np.ndarray], seconds: float, fps: float
) -> list[np.ndarray]:
    """Every frame's pose: ``round(seconds * fps)`` frames (at least 2) through the keyframes
    placed on the person."""
    from spt_core.pose_tree import frame_poses

    if seconds <= 0 or fps <= 0:
        raise InputError(f"--seconds and --fps must be positive, got {seconds} and {fps}")
    frames = max(2, int(round(seconds * fps)))
    return frame_poses([place_on(k, person_pose) for k in keyframes], frames)


def render_frames(
    pipe,
    person,
    poses: list[np.ndarray],
    progress: Callable[[int, int], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> list[np.ndarray]:
    """The person drawn in each pose at her photo's resolution (``progress(done, total)``
    after each frame; stops early, returning what is done, when ``cancelled()`` says so)."""
    from spt_core.photo_frame import repose_in_photo

    frames = []
    for k, pose in enumerate(poses):
        if cancelled is not None and cancelled():
            break
        frames.append(repose_in_photo(pipe, person, pose).image)
        if progress is not None:
            progress(k + 1, len(poses))
    return frames


def write_video(path: str | Path, frames: list[np.ndarray], fps: float) -> Path:
    """Write RGB uint8 frames as an MP4 or an animated GIF (by suffix), atomically.

    Raises:
        InputError: another suffix, no frames, or frames of different sizes.
    """
    from spt_core.io_utils import atomic_path

    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise InputError(f"{path}: write .mp4 or .gif, not {suffix or 'no suffix'}")
    if not frames or len({f.shape for f in frames}) != 1:
        raise InputError(f"{path}: frames must exist and share one size")
    with atomic_path(path) as tmp:
        if suffix == ".gif":
            _write_gif(tmp, frames, fps)
        else:
            _write_mp4(tmp, frames, fps)
    return path


def _write_gif(path: Path, frames: list[np.ndarray], fps: float) -> None:
    from PIL import Image

    images = [Image.fromarray(np.ascontiguousarray(f)) for f in frames]
    images[0].save(
        path,
        format="GIF",
        save_all=True,
        append_images=images[1:],
        duration=max(20, int(round(1000 / fps))),
        loop=0,
    )


def _write_mp4(path: Path, frames: list[np.ndarray], fps: float) -> None:
    import cv2

    height, width = frames[0].shape[:2]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, (width, height))
    if not writer.isOpened():
        raise InputError(f"{path}: OpenCV cannot write MP4 here (no FFmpeg backend)")
    try:
        for frame in frames:
            writer.write(np.ascontiguousarray(frame[..., ::-1]))
    finally:
        writer.release()


def read_video(path: str | Path) -> list[np.ndarray]:
    """RGB frames of an MP4 or GIF written by :func:`write_video` (tests, checks)."""
    path = Path(path)
    if path.suffix.lower() == ".gif":
        from PIL import Image, ImageSequence

        with Image.open(path) as image:
            return [np.asarray(f.convert("RGB")) for f in ImageSequence.Iterator(image)]
    import cv2

    capture = cv2.VideoCapture(str(path))
    frames = []
    while True:
        ok, frame = capture.read()
        if not ok:
            break
        frames.append(frame[..., ::-1].copy())
    capture.release()
    return frames
