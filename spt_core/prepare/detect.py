"""Keypoints and a person mask from BlazePose (MediaPipe Pose, the ``detect`` extra).

BlazePose finds 33 landmarks; the method works with the 18 OpenPose-COCO joints. The mapping
(:data:`BLAZEPOSE_TO_OPENPOSE`) takes the landmark of the same name for 17 joints; OpenPose's
neck has no BlazePose landmark and is the midpoint of the two shoulders (OpenPose's own neck
lies there too, give or take a few pixels). A landmark whose visibility is below a threshold, or
that lies outside the image (BlazePose guesses joints beyond the frame), is missing (NaN), as
OpenPose would not report it.

By default the detector also runs on the mirrored photo and averages the two answers
(:func:`average_with_mirror`): test-time flip averaging, decided on two portraits annotated by
hand that the acceptance photo is not one of (docs/prepare.md, "Accuracy"). It costs a second
pass (about 0.1 s a photo on a CPU).

MediaPipe is imported only inside :class:`PoseDetector`, so the rest of the package works
without it; :func:`require_mediapipe` explains how to install it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from spt_core import skeleton as sk
from spt_core.errors import SptError

#: BlazePose's 33 landmark names, in its output order.
BLAZEPOSE_NAMES: tuple[str, ...] = (
    "nose", "left_eye_inner", "left_eye", "left_eye_outer", "right_eye_inner", "right_eye",
    "right_eye_outer", "left_ear", "right_ear", "mouth_left", "mouth_right", "left_shoulder",
    "right_shoulder", "left_elbow", "right_elbow", "left_wrist", "right_wrist", "left_pinky",
    "right_pinky", "left_index", "right_index", "left_thumb", "right_thumb", "left_hip",
    "right_hip", "left_knee", "right_knee", "left_ankle", "right_ankle", "left_heel",
    "right_heel", "left_foot_index", "right_foot_index",
)  # fmt: skip
BLAZEPOSE_INDEX: dict[str, int] = {name: i for i, name in enumerate(BLAZEPOSE_NAMES)}

#: OpenPose joint -> the BlazePose landmarks averaged for it (one landmark, or two for the neck).
#: Both skeletons name sides from the person's own point of view.
BLAZEPOSE_TO_OPENPOSE: dict[str, tuple[str, ...]] = {
    "nose": ("nose",),
    "neck": ("left_shoulder", "right_shoulder"),
    "right_shoulder": ("right_shoulder",),
    "right_elbow": ("right_elbow",),
    "right_wrist": ("right_wrist",),
    "left_shoulder": ("left_shoulder",),
    "left_elbow": ("left_elbow",),
    "left_wrist": ("left_wrist",),
    "right_hip": ("right_hip",),
    "right_knee": ("right_knee",),
    "right_ankle": ("right_ankle",),
    "left_hip": ("left_hip",),
    "left_knee": ("left_knee",),
    "left_ankle": ("left_ankle",),
    "right_eye": ("right_eye",),
    "left_eye": ("left_eye",),
    "right_ear": ("right_ear",),
    "left_ear": ("left_ear",),
}

#: Visibility below which a landmark counts as missing. BlazePose's visibility is a sigmoid
#: score; 0.5 is its own drawing threshold, and on the astronaut photo it keeps the upper body
#: and drops the legs outside the frame.
MIN_VISIBILITY = 0.5

INSTALL_HINT = (
    "keypoints from photos (spt prepare, spt bench detect) need the 'detect' extra "
    "(MediaPipe BlazePose); install it with\n"
    "    pip install 'spt-studio[detect]'\n"
    "or, in a source checkout,\n"
    "    pip install -e '.[detect]'"
)


class DetectorUnavailableError(SptError):
    """MediaPipe (the ``detect`` extra) is not installed."""


def require_mediapipe():
    """Import and return ``mediapipe``; :class:`DetectorUnavailableError` says how to install it."""
    try:
        import mediapipe
    except ImportError as exc:
        problem = f"{INSTALL_HINT}\n(import mediapipe failed: {exc})"
        raise DetectorUnavailableError(problem) from None
    return mediapipe


#: BlazePose index of each landmark's mirror image (left <-> right; the nose is its own).
MIRROR_INDEX: tuple[int, ...] = tuple(
    BLAZEPOSE_INDEX[name.replace("left", "@").replace("right", "left").replace("@", "right")]
    for name in BLAZEPOSE_NAMES
)


def mirror_landmarks(landmarks: np.ndarray, width: int) -> np.ndarray:
    """Landmarks found on a left-right mirrored image, expressed in the original image.

    x runs over the continuous pixel range [0, width] (MediaPipe's normalised x times the
    width), so the mirror of x is ``width - x``; each landmark takes its partner's row, since
    the person's left in the mirrored photo is their right in the original.
    """
    landmarks = np.asarray(landmarks, dtype=np.float32)
    out = landmarks[list(MIRROR_INDEX)].copy()
    out[:, 0] = width - out[:, 0]
    return out


#: Landmark groups of one limb on each side (arm, leg): the two passes may name the sides of a
#: side view differently, so each group's sides are matched before averaging.
SIDE_GROUPS: tuple[tuple[tuple[int, ...], tuple[int, ...]], ...] = tuple(
    (
        tuple(BLAZEPOSE_INDEX[f"left_{n}"] for n in names),
        tuple(BLAZEPOSE_INDEX[f"right_{n}"] for n in names),
    )
    for names in (
        ("shoulder", "elbow", "wrist", "pinky", "index", "thumb"),
        ("hip", "knee", "ankle", "heel", "foot_index"),
    )
)


def match_sides(landmarks: np.ndarray, other: np.ndarray) -> np.ndarray:
    """``other`` with the left and right landmarks of an arm or leg pair swapped wherever the
    swap lies nearer ``landmarks`` (sum of distances over the group)."""
    other = np.asarray(other, np.float32).copy()
    for left, right in SIDE_GROUPS:
        left, right = list(left), list(right)

        def cost(a, b):
            return float(np.linalg.norm(landmarks[a, :2] - other[b, :2], axis=1).sum())

        if cost(left, right) + cost(right, left) < cost(left, left) + cost(right, right):
            other[left + right] = other[right + left]
    return other


def average_with_mirror(
    landmarks: np.ndarray | None, mirrored: np.ndarray | None, width: int
) -> np.ndarray | None:
    """Mean of a pass on the photo and a pass on its mirror image (None: nobody found).

    ``mirrored`` holds the landmarks as found on the mirrored photo; a pass that found nobody
    leaves the other one's answer. Positions and visibilities are averaged, after the mirrored
    pass's sides are matched to the direct pass's (:func:`match_sides`): in side views the two
    passes often disagree on which leg is the left one, and averaging them as named put both
    legs on one line.
    """
    if mirrored is None:
        return landmarks
    back = mirror_landmarks(mirrored, width)
    if landmarks is None:
        return back
    landmarks = np.asarray(landmarks, np.float32)
    return (landmarks + match_sides(landmarks, back)) / 2


def blazepose_to_openpose(
    landmarks: np.ndarray, size: tuple[int, int], min_visibility: float = MIN_VISIBILITY
) -> np.ndarray:
    """Map BlazePose's 33 landmarks to the 18 OpenPose joints.

    Args:
        landmarks: (33, 3) rows of (x, y, visibility), x and y in pixels of the image.
        size: (height, width) of the image; landmarks outside it are missing.
        min_visibility: landmarks below this visibility are missing.

    Returns:
        (18, 2) float32 (x, y) pose, NaN for missing joints. The neck is missing unless both
        shoulders are present.
    """
    landmarks = np.asarray(landmarks, dtype=np.float64)
    if landmarks.shape != (len(BLAZEPOSE_NAMES), 3):
        raise ValueError(f"expected (33, 3) landmarks (x, y, visibility), got {landmarks.shape}")
    height, width = size
    x, y, visibility = landmarks.T
    usable = (
        (visibility >= min_visibility)
        & np.isfinite(x)
        & np.isfinite(y)
        & (x >= 0)
        & (y >= 0)
        & (x <= width - 1)
        & (y <= height - 1)
    )
    pose = sk.missing_pose()
    for joint, sources in BLAZEPOSE_TO_OPENPOSE.items():
        rows = [BLAZEPOSE_INDEX[s] for s in sources]
        if usable[rows].all():
            pose[sk.JOINT_INDEX[joint]] = landmarks[rows, :2].mean(axis=0)
    return pose


@dataclass
class Detection:
    """What the detector found in one image.

    Attributes:
        pose: (18, 2) OpenPose pose in the image's pixels (NaN = missing).
        mask: (H, W) float32 person probability in [0, 1].
        landmarks: (33, 3) BlazePose (x, y, visibility) in pixels, for the record.
    """

    pose: np.ndarray
    mask: np.ndarray
    landmarks: np.ndarray


class PoseDetector:
    """BlazePose (full model, static images) with its segmentation mask.

    Only ``model_complexity=1`` ships inside the MediaPipe wheel; 0 and 2 download their model
    at run time, which must never happen here.

    Args:
        min_visibility: see :func:`blazepose_to_openpose`.
        min_detection_confidence: BlazePose's person-detector threshold.
        mirror_average: also run on the mirrored photo and average landmarks and masks
            (:func:`average_with_mirror`). On the two validation portraits it lowered 7 of 8
            point errors (docs/prepare.md, "Accuracy"); it doubles the detection time.

    Raises:
        DetectorUnavailableError: MediaPipe is not installed.
    """

    def __init__(
        self,
        min_visibility: float = MIN_VISIBILITY,
        min_detection_confidence: float = 0.5,
        mirror_average: bool = True,
    ):
        mediapipe = require_mediapipe()
        self.min_visibility = min_visibility
        self.mirror_average = mirror_average
        self._pose = mediapipe.solutions.pose.Pose(
            static_image_mode=True,
            model_complexity=1,
            enable_segmentation=True,
            min_detection_confidence=min_detection_confidence,
        )
        self.name = f"mediapipe {mediapipe.__version__} BlazePose full (model_complexity=1)"
        if mirror_average:
            self.name += ", averaged with its mirror image"

    def detect(self, image: np.ndarray) -> Detection | None:
        """Pose and mask of the most prominent person in an RGB uint8 image; None if nobody."""
        image = np.ascontiguousarray(image)
        height, width = image.shape[:2]
        landmarks, mask = self._process(image)
        if self.mirror_average:
            mirrored, mirrored_mask = self._process(np.ascontiguousarray(image[:, ::-1]))
            if mirrored is not None:
                mirrored_mask = mirrored_mask[:, ::-1]
                mask = mirrored_mask if landmarks is None else (mask + mirrored_mask) / 2
            landmarks = average_with_mirror(landmarks, mirrored, width)
        if landmarks is None:
            return None
        pose = blazepose_to_openpose(landmarks, (height, width), self.min_visibility)
        return Detection(pose=pose, mask=np.ascontiguousarray(mask), landmarks=landmarks)

    def _process(self, image: np.ndarray) -> tuple[np.ndarray | None, np.ndarray | None]:
        """One BlazePose pass: (33, 3) landmarks in pixels and the mask, or (None, None)."""
        result = self._pose.process(image)
        if result.pose_landmarks is None:
            return None, None
        height, width = image.shape[:2]
        landmarks = np.array(
            [(p.x * width, p.y * height, p.visibility) for p in result.pose_landmarks.landmark],
            dtype=np.float32,
        )
        if result.segmentation_mask is not None:
            mask = np.clip(np.asarray(result.segmentation_mask, np.float32), 0.0, 1.0)
        else:
            mask = np.zeros((height, width), np.float32)
        return landmarks, mask

    def close(self) -> None:
        """Free the MediaPipe graph."""
        self._pose.close()

    def __enter__(self) -> PoseDetector:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
