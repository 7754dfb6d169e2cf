"""A pose and a parsing for a new photo: a detector when one is installed, else a template.

With the ``detect`` extra, ``spt_core.prepare`` finds the pose (BlazePose) and draws a parsing
from the person mask, the pose and colour clusters.

Without the ``detect`` extra the editor cannot find the person, so it offers a starting point
for the user to adjust: a real standing pose (Market-1501 training image
``0321_c6s1_080976_06.jpg``, frontal, arms down, every joint present) scaled to fill 90 % of the
image height and centred, and a parsing drawn from that pose with plain shapes (torso polygon =
upper clothes, arms and legs = thick lines as arm / pants labels, head = face disc with a hair
cap). The user drags the joints onto the person and paints the parsing, or replaces the parsing
from the adjusted pose (Parsing > Initialise from pose).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from spt_core import labels as lb
from spt_core import skeleton as sk
from spt_core.io_utils import read_image_rgb
from spt_studio.document.model import Document

#: The template pose in its 128 x 64 (H x W) Market image, (x, y) per joint.
TEMPLATE_POSE_128x64 = np.array(
    [
        [29, 13],
        [29, 26],
        [16, 26],
        [12, 43],
        [20, 56],
        [42, 27],
        [45, 43],
        [43, 53],
        [20, 59],
        [20, 85],
        [21, 109],
        [36, 59],
        [35, 85],
        [32, 109],
        [27, 10],
        [31, 10],
        [24, 12],
        [36, 12],
    ],
    dtype=np.float32,
)


def template_pose(size: tuple[int, int], fill: float = 0.9) -> np.ndarray:
    """The standing template scaled so its head-to-ankle span is ``fill`` of the image height,
    centred horizontally and vertically."""
    height, width = size
    pose = TEMPLATE_POSE_128x64.copy()
    top, bottom = pose[:, 1].min(), pose[:, 1].max()
    # The ankles are not the soles and the eyes not the crown: leave room for both.
    span = (bottom - top) * 1.15
    scale = fill * height / span
    centre = np.array([pose[:, 0].mean(), (top + bottom) / 2], np.float32)
    out = (pose - centre) * scale + np.array([(width - 1) / 2, (height - 1) / 2], np.float32)
    return out.astype(np.float32)


def parsing_from_pose(pose: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """A plain parsing drawn from a pose: a starting point to paint over, not a prediction.

    Torso (shoulders and hips polygon) = upper clothes; arms = left / right arm; legs = pants;
    a face disc at the head with a hair cap on its upper half. Limb width is a quarter of the
    shoulder-hip distance. Missing joints just leave their shapes out.
    """
    import cv2

    parsing = np.zeros(size, np.uint8)
    ok = sk.present(pose)
    torso = (sk.R_SHOULDER, sk.L_SHOULDER, sk.L_HIP, sk.R_HIP)
    if ok[list(torso)].all():
        length = np.linalg.norm(pose[sk.R_SHOULDER] - pose[sk.R_HIP])
    else:
        length = 0.35 * size[0]
    width = max(2, int(round(0.28 * length)))

    def point(j: int) -> tuple[int, int]:
        return (int(round(float(pose[j, 0]))), int(round(float(pose[j, 1]))))

    def limb(a: int, b: int, label: int) -> None:
        if ok[a] and ok[b]:
            cv2.line(parsing, point(a), point(b), int(label), thickness=width)

    for hip, knee, ankle in ((sk.R_HIP, sk.R_KNEE, sk.R_ANKLE), (sk.L_HIP, sk.L_KNEE, sk.L_ANKLE)):
        limb(hip, knee, lb.PANTS)
        limb(knee, ankle, lb.PANTS)
    if ok[list(torso)].all():
        polygon = np.array([point(j) for j in torso], np.int32)
        cv2.fillPoly(parsing, [polygon], lb.UPPER_CLOTHES)
        cv2.polylines(parsing, [polygon], True, lb.UPPER_CLOTHES, thickness=width // 2 + 1)
    for (shoulder, elbow, wrist), label in (
        ((sk.R_SHOULDER, sk.R_ELBOW, sk.R_WRIST), lb.RIGHT_ARM),
        ((sk.L_SHOULDER, sk.L_ELBOW, sk.L_WRIST), lb.LEFT_ARM),
    ):
        limb(shoulder, elbow, label)
        limb(elbow, wrist, label)
    head = [j for j in sk.HEAD_JOINTS if ok[j]]
    if head:
        centre = pose[head].mean(axis=0)
        radius = max(2, int(round(0.75 * width)))
        c = (int(round(float(centre[0]))), int(round(float(centre[1]))))
        cv2.circle(parsing, c, radius, lb.FACE, -1)
        cv2.ellipse(parsing, c, (radius, radius), 0, 180, 360, lb.HAIR, -1)
    return parsing


def detector_installed() -> bool:
    """Whether the ``detect`` extra (MediaPipe) can be imported."""
    import importlib.util

    return importlib.util.find_spec("mediapipe") is not None


def detect_person(image: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """Pose and parsing from ``spt_core.prepare`` (BlazePose, the ``detect`` extra) and its
    rule-based parsing, or None when the extra is not installed or nobody is found."""
    try:
        from spt_core.prepare.detect import DetectorUnavailableError, PoseDetector
        from spt_core.prepare.rules import rule_parsing
    except ImportError:
        return None
    try:
        with PoseDetector() as detector:
            found = detector.detect(image)
    except (DetectorUnavailableError, ImportError):
        return None
    if found is None or not sk.present(found.pose).any():
        return None
    parsing = rule_parsing(image, found.mask, found.pose)
    return sk.as_pose(found.pose), lb.check_labels(parsing)


#: A box is searched with this much room around it (share of its height): a detector needs the
#: whole person, and a box drawn by hand is rarely generous.
BOX_MARGIN = 0.15

#: People smaller than this (pixels tall) are enlarged before detection: BlazePose misses
#: most pedestrians of 50-100 pixels.
DETECT_MIN_HEIGHT = 256


def person_in_box(
    image: np.ndarray, box: tuple[float, float, float, float], use_detector: bool = True
) -> tuple[np.ndarray, np.ndarray, bool]:
    """The pose and parsing of the person inside ``box`` (x0, y0, x1, y1 in photo pixels):
    the one the user chose where a photo shows several people, or where no detector is.

    With the detector, the box (with :data:`BOX_MARGIN` around it, enlarged to at least
    :data:`DETECT_MIN_HEIGHT` pixels tall) is searched for a person; otherwise, or when nobody
    is found, the standing template fills the box. Maps are at the photo's size, zero outside
    the box.

    Returns:
        (pose, parsing, found): ``found`` is False when the template was used.

    Raises:
        ValueError: a box of less than 4 pixels a side.
    """
    import cv2

    height, width = image.shape[:2]
    x0, x1 = sorted((float(box[0]), float(box[2])))
    y0, y1 = sorted((float(box[1]), float(box[3])))
    x0, y0 = max(x0, 0.0), max(y0, 0.0)
    x1, y1 = min(x1, float(width)), min(y1, float(height))
    if x1 - x0 < 4 or y1 - y0 < 4:
        raise ValueError(f"the box is {x1 - x0:.0f}x{y1 - y0:.0f} pixels: draw it around a person")
    if use_detector:
        grow = BOX_MARGIN * (y1 - y0)
        left, top = int(max(x0 - grow, 0)), int(max(y0 - grow, 0))
        right, bottom = int(min(x1 + grow, width)), int(min(y1 + grow, height))
        crop = image[top:bottom, left:right]
        scale = max(1.0, DETECT_MIN_HEIGHT / crop.shape[0])
        if scale > 1:
            size = (round(crop.shape[1] * scale), round(crop.shape[0] * scale))
            crop = cv2.resize(crop, size, interpolation=cv2.INTER_CUBIC)
        found = detect_person(crop)
        if found is not None:
            pose, labels = found
            pose = (pose / scale + (left, top)).astype(np.float32)
            small = (right - left, bottom - top)
            labels = cv2.resize(labels, small, interpolation=cv2.INTER_NEAREST)
            parsing = np.zeros((height, width), np.uint8)
            parsing[top:bottom, left:right] = labels
            return pose, parsing, True
    pose = template_pose((y1 - y0, x1 - x0)) + np.array([x0, y0], np.float32)
    return pose.astype(np.float32), parsing_from_pose(pose, (height, width)), False


def is_person_folder(folder: str | Path) -> bool:
    """Whether ``folder`` is a person folder (image.png with pose.json beside it), like the
    shipped samples and what ``spt`` commands read and write."""
    from spt_core.person_files import IMAGE_FILE, POSE_FILE

    folder = Path(folder)
    return (folder / IMAGE_FILE).is_file() and (folder / POSE_FILE).is_file()


def document_from_person_folder(folder: str | Path) -> Document:
    """A document of a person folder: its image with its own pose and parsing.

    Raises:
        DataError: a missing or unreadable file, or parts that do not fit together.
    """
    from spt_core.person_files import read_person

    folder = Path(folder)
    person = read_person(folder)
    return Document.from_person(folder.name, person.image, person.pose, person.parsing)


def document_from_image(path: str | Path, use_detector: bool = True) -> tuple[Document, bool]:
    """Read a photo and give it a pose and parsing: the person folder's own when the photo is
    the image.png of one, else detected, else the template.

    Returns:
        (document, found): ``found`` is False when the template was used.

    Raises:
        DataError: the file is missing or not a readable image.
    """
    path = Path(path)
    from spt_core.person_files import IMAGE_FILE

    if path.name == IMAGE_FILE and is_person_folder(path.parent):
        return document_from_person_folder(path.parent), True
    image = read_image_rgb(path)
    found = detect_person(image) if use_detector else None
    if found is not None:
        pose, parsing = found
        return Document.from_person(path.name, image, pose, parsing), True
    pose = template_pose(image.shape[:2])
    return Document.from_person(
        path.name, image, pose, parsing_from_pose(pose, image.shape[:2])
    ), False


def document_from_sample(dataset, index: int) -> Document:
    """A document from a :class:`~spt_core.data.dataset.PersonDataset` sample (a missing
    parsing is drawn from its pose)."""
    sample = dataset[index]
    parsing = sample.parsing
    if parsing is None:
        parsing = parsing_from_pose(sample.pose, sample.image.shape[:2])
    return Document.from_person(sample.name, sample.image, sample.pose, parsing)
