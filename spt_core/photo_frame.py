"""A person in a larger photo: the crop the model renders, and the result put back at the photo's
resolution (issue #16).

The model works at 128x64; a whole street photo letterboxed into it leaves the person a few
pixels tall, and a result at the model's size is a thumbnail. Instead :func:`person_frame` takes
a box around the person (every joint of the source and the target pose, grown for the head and
feet, at the model's aspect), the model renders that crop, and :func:`paste` scales the result
back and replaces only the person's old and new regions (grown and feathered); every other
pixel stays the photo's own, at full resolution.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from spt_core import skeleton as sk

#: How far the frame reaches beyond the joints, as fractions of the joints' height: above the
#: top joint (the crown is above the eyes and ears), below the lowest (the feet below the
#: ankles), and to each side.
MARGIN_TOP, MARGIN_BOTTOM, MARGIN_SIDE = 0.2, 0.1, 0.1

#: A frame covering at least this share of the photo's area renders the whole photo instead.
WHOLE_PHOTO_SHARE = 0.8


@dataclass(frozen=True)
class Frame:
    """A box in photo pixels (it may reach past the photo's edges)."""

    top: int
    left: int
    height: int
    width: int

    def crop(self, array: np.ndarray) -> np.ndarray:
        """The box's part of an (H, W, ...) array, zeros where the box leaves the photo."""
        out = np.zeros((self.height, self.width, *array.shape[2:]), array.dtype)
        y0, x0 = max(self.top, 0), max(self.left, 0)
        y1 = min(self.top + self.height, array.shape[0])
        x1 = min(self.left + self.width, array.shape[1])
        if y1 > y0 and x1 > x0:
            out[y0 - self.top : y1 - self.top, x0 - self.left : x1 - self.left] = array[
                y0:y1, x0:x1
            ]
        return out

    def to_crop(self, pose: np.ndarray) -> np.ndarray:
        """Photo coordinates -> crop coordinates (NaN stays NaN)."""
        return (np.asarray(pose, np.float32) - (self.left, self.top)).astype(np.float32)

    def uncrop(self, array: np.ndarray, photo_size: tuple[int, int]) -> np.ndarray:
        """A frame-sized (h, w, ...) array placed in a zero photo-sized one (the inverse of
        :meth:`crop` where the box is inside the photo)."""
        out = np.zeros((*photo_size, *array.shape[2:]), array.dtype)
        y0, x0 = max(self.top, 0), max(self.left, 0)
        y1 = min(self.top + self.height, photo_size[0])
        x1 = min(self.left + self.width, photo_size[1])
        if y1 > y0 and x1 > x0:
            out[y0:y1, x0:x1] = array[
                y0 - self.top : y1 - self.top, x0 - self.left : x1 - self.left
            ]
        return out

    def crop_person(self, person):
        """A :class:`~spt_core.pipeline.Person` cut to the box (poses moved into it)."""
        from spt_core.pipeline import Person

        return Person(self.crop(person.image), self.to_crop(person.pose), self.crop(person.parsing))


def person_frame(
    poses: list[np.ndarray], photo_size: tuple[int, int], model_size: tuple[int, int]
) -> Frame:
    """The box around every present joint of ``poses``, grown by the margins and widened (or
    heightened) about its centre to the model's aspect, so the crop fills the model's frame.

    Raises:
        ValueError: no pose has a joint.
    """
    joints = np.concatenate([np.asarray(p, np.float64)[sk.present(p)] for p in poses])
    if not len(joints):
        raise ValueError("poses: no joint to frame the person by")
    (x0, y0), (x1, y1) = joints.min(0), joints.max(0)
    tall = max(y1 - y0, 1.0)
    y0, y1 = y0 - MARGIN_TOP * tall, y1 + MARGIN_BOTTOM * tall
    x0, x1 = x0 - MARGIN_SIDE * tall, x1 + MARGIN_SIDE * tall
    aspect = model_size[0] / model_size[1]  # height / width
    height, width = y1 - y0, x1 - x0
    if height / width < aspect:
        height = width * aspect
    else:
        width = height / aspect
    cy, cx = (y0 + y1) / 2, (x0 + x1) / 2
    h, w = int(np.ceil(height)), int(np.ceil(width))
    return Frame(int(round(cy - h / 2)), int(round(cx - w / 2)), h, w)


def photo_frame(
    poses: list[np.ndarray], photo_size: tuple[int, int], model_size: tuple[int, int]
) -> Frame:
    """The frame the model renders for a person of a photo: :func:`person_frame`, moved inside
    the photo where it fits and cut to the photo where it does not (the pipeline letterboxes a
    crop of another aspect), or the whole photo when the frame would cover most of it anyway
    (:data:`WHOLE_PHOTO_SHARE`: cropping would only resample the picture twice).

    Raises:
        ValueError: no pose has a joint.
    """
    frame = person_frame(poses, photo_size, model_size)
    spans = []
    for start, length, limit in ((frame.top, frame.height, photo_size[0]),
                                 (frame.left, frame.width, photo_size[1])):  # fmt: skip
        if length >= limit:
            spans.append((0, limit))
        else:
            spans.append((min(max(start, 0), limit - length), length))
    (top, height), (left, width) = spans
    if height * width >= WHOLE_PHOTO_SHARE * photo_size[0] * photo_size[1]:
        return Frame(0, 0, photo_size[0], photo_size[1])
    return Frame(top, left, height, width)


def paste(photo: np.ndarray, rendered: np.ndarray, frame: Frame, region: np.ndarray) -> np.ndarray:
    """``photo`` with ``rendered`` (the frame's size) mixed in by ``region`` (the frame's size,
    in [0, 1]); the parts of the frame outside the photo are dropped."""
    out = photo.copy()
    y0, x0 = max(frame.top, 0), max(frame.left, 0)
    y1 = min(frame.top + frame.height, photo.shape[0])
    x1 = min(frame.left + frame.width, photo.shape[1])
    if y1 <= y0 or x1 <= x0:
        return out
    inside = (slice(y0 - frame.top, y1 - frame.top), slice(x0 - frame.left, x1 - frame.left))
    alpha = region[inside][..., None].astype(np.float64)
    mixed = alpha * rendered[inside] + (1.0 - alpha) * photo[y0:y1, x0:x1]
    out[y0:y1, x0:x1] = np.clip(np.round(mixed), 0, 255).astype(photo.dtype)
    return out


def person_region(parsings: list[np.ndarray], grow: int) -> np.ndarray:
    """(H, W) float in [0, 1]: where any of the (H, W) label maps shows the person, grown by
    ``grow`` pixels and feathered over as many (the region a repose may change)."""
    import cv2

    union = np.zeros(parsings[0].shape, np.uint8)
    for parsing in parsings:
        union |= (np.asarray(parsing) > 0).astype(np.uint8)
    size = 2 * grow + 1
    grown = cv2.dilate(union, np.ones((size, size), np.uint8)).astype(np.float32)
    return np.clip(cv2.GaussianBlur(grown, (size, size), grow / 2 + 0.5), 0.0, 1.0)


@dataclass
class PhotoResult:
    """A result at the photo's resolution.

    Attributes:
        image: the photo with the person redrawn (the photo's size).
        frame: the box of the photo the model rendered.
        parsing: the target parsing the result shows, at the photo's size (predicted for a
            repose; the given or predicted map otherwise), zero outside the frame.
        model_image: the model's own output (its size, letterboxed: ``--model-frame``).
    """

    image: np.ndarray
    frame: Frame
    parsing: np.ndarray
    model_image: np.ndarray


def _back_to_photo(pipe, photo, frame, crop, model_image, model_parsing, changed) -> PhotoResult:
    """Scale the model's image and map back to the frame and put them into the photo inside the
    union of the crop's old person and ``changed`` (frame-sized label maps), grown by a few model
    pixels (the network's edge pixels blend into the photo's) and feathered."""
    import cv2

    letterbox = pipe.letterbox(crop.image.shape[:2])
    size = (frame.width, frame.height)
    rendered = letterbox.crop(model_image)
    parsing = letterbox.crop(model_parsing)
    if rendered.shape[:2] != (frame.height, frame.width):
        rendered = cv2.resize(rendered, size, interpolation=cv2.INTER_LINEAR)
        parsing = cv2.resize(parsing, size, interpolation=cv2.INTER_NEAREST)
    grow = max(1, round(2 * frame.height / pipe.size[0]))
    region = person_region([crop.parsing, parsing, *changed], grow)
    image = paste(photo.image, rendered, frame, region)
    return PhotoResult(image, frame, frame.uncrop(parsing, photo.image.shape[:2]), model_image)


def repose_in_photo(pipe, person, target_pose: np.ndarray) -> PhotoResult:
    """Repose the person of a photo and put the result back at the photo's resolution.

    Args:
        pipe: an :class:`~spt_core.pipeline.SPTPipeline`.
        person: a :class:`~spt_core.pipeline.Person` of any size (one person, not a batch).
        target_pose: (18, 2) in the photo's frame.
    """
    frame = photo_frame([person.pose, target_pose], person.image.shape[:2], pipe.size)
    crop = frame.crop_person(person)
    result = pipe.repose(crop, frame.to_crop(target_pose))
    return _back_to_photo(pipe, person, frame, crop, result.image, result.parsing, [])


def render_in_photo(
    pipe, person, target_pose: np.ndarray, target_parsing: np.ndarray
) -> PhotoResult:
    """Draw the person of a photo with a painted parsing (the photo's size), optionally in
    another pose, and put the result back at the photo's resolution."""
    frame = photo_frame([person.pose, target_pose], person.image.shape[:2], pipe.size)
    crop = frame.crop_person(person)
    painted = frame.crop(np.asarray(target_parsing, np.uint8))
    image = pipe.render(crop, frame.to_crop(target_pose), painted)
    model_parsing = pipe.letterbox(painted.shape).labels(painted)
    return _back_to_photo(pipe, person, frame, crop, image, model_parsing, [painted])


def transfer_in_photo(
    pipe, clothes_from, onto, labels, target_pose: np.ndarray | None = None
) -> PhotoResult:
    """``onto`` (a person of a photo) wearing ``clothes_from``'s garments ``labels``, optionally
    reposed, put back at ``onto``'s resolution; ``clothes_from`` is framed around its own pose
    first, so a person small in a large photo still fills the model's frame."""
    pose = onto.pose if target_pose is None else target_pose
    frame = photo_frame([onto.pose, pose], onto.image.shape[:2], pipe.size)
    crop = frame.crop_person(onto)
    other = photo_frame([clothes_from.pose], clothes_from.image.shape[:2], pipe.size)
    clothes = other.crop_person(clothes_from)
    moved = None if target_pose is None else frame.to_crop(target_pose)
    image = pipe.transfer(clothes, crop, labels, target_pose=moved)
    # Kept in her own pose, only her own garment pixels change (the pipeline composites them
    # into her map); reposed, she is redrawn in the predicted map.
    if target_pose is None:
        model_parsing = pipe.fit(crop).parsing
    else:
        model_parsing = pipe.predict_parsing(crop, moved)
    return _back_to_photo(pipe, onto, frame, crop, image, model_parsing, [])
