"""An initial 10-label parsing of a photo from its person mask, its pose and colour clusters.

No network: a starting point to correct with the editor's brush, or to use until a parser is
trained (``spt train parser``, ``spt prepare --parser``). The rules (docs/prepare.md):

1. **Person**: mask >= 0.5; everything else is background.
2. **Body part** of a person pixel: the nearest of six skeleton shapes: the head (a disc around
   the face joints plus the neck segment), the torso (the shoulder-hip quadrilateral; without
   hips, the shoulders extended down by 1.6 shoulder widths), the two arms (shoulder-elbow-wrist
   polylines) and the two legs (hip-knee-ankle polylines, extended past the ankle for the shoe).
3. **Skin or cloth**: the person's pixels are clustered by colour (k-means in CIE Lab). The skin
   colour is the median colour around the nose and eyes; a cluster whose centre lies within
   :data:`SKIN_DELTA` of it (lightness at half weight) is skin. A back view (no nose or eye)
   has no such reference: a cluster is skin when its mean chroma lies in the classic YCrCb
   skin box (Chai and Ngan, 1999: Cr 133..173, Cb 77..127).
4. **Colour evidence**: a skin pixel of an arm whose colour is nearer the torso's garment (its
   median colour) than the face's is a sleeve; one of a leg nearer the colour of the tops of
   the thighs is the lower garment (unless that colour is the face's: bare thighs).
5. **Labels**: head: skin -> face, else hair. Torso -> upper clothes. Arm: skin -> left/right
   arm (the person's own side), else upper clothes (a sleeve). Leg: skin, or the shoe zone
   below the ankle, -> left/right leg (LIP merges shoes into legs); else the lower garment:
   skirt when the gap between the thighs is filled with cloth although the knees stand apart,
   pants otherwise.
"""

from __future__ import annotations

import numpy as np

from spt_core import labels as lb
from spt_core import skeleton as sk

#: Lab distance within which a colour cluster counts as skin ...
SKIN_DELTA = 20.0
#: ... with lightness at half weight: shading changes a face's lightness far more than its
#: chroma (on synthetic people: mean IoU 0.644 against 0.636 with plain CIE76 ΔE).
SKIN_WEIGHTS = np.array([0.5, 1.0, 1.0])
#: A garment colour this near (weighted Lab) the face's is skin itself (bare thighs): its
#: pixels are not told apart from skin by colour. (On synthetic people 2 beat 20, 10 and 5:
#: docs/prepare.md.)
SAME_COLOUR = 2.0
#: Colour clusters of the person's pixels.
CLUSTERS = 6
#: Skirt: fraction of the between-thighs triangle covered by cloth ...
SKIRT_FILL = 0.7
#: ... while the knees are at least this many hip widths apart (pants would show a gap).
SKIRT_KNEE_SPREAD = 1.2

PARTS: tuple[str, ...] = ("head", "torso", "right_arm", "left_arm", "right_leg", "left_leg")


def _point(pose: np.ndarray, joint: int) -> np.ndarray | None:
    return None if np.isnan(pose[joint]).any() else pose[joint].astype(np.float64)


def _body_unit(pose: np.ndarray, size: tuple[int, int]) -> float:
    """Shoulder width, or a stand-in from other joints, or a sixth of the image height."""
    rs, ls = _point(pose, sk.R_SHOULDER), _point(pose, sk.L_SHOULDER)
    if rs is not None and ls is not None:
        return max(2.0, float(np.linalg.norm(rs - ls)))
    neck, nose = _point(pose, sk.NECK), _point(pose, sk.NOSE)
    if neck is not None and nose is not None:
        return max(2.0, 1.6 * float(np.linalg.norm(neck - nose)))
    return size[0] / 6.0


def _down(pose: np.ndarray) -> np.ndarray:
    """Unit vector from the shoulders towards the hips (image down when unknown)."""
    shoulders = [
        p for p in (_point(pose, sk.R_SHOULDER), _point(pose, sk.L_SHOULDER)) if p is not None
    ]
    hips = [p for p in (_point(pose, sk.R_HIP), _point(pose, sk.L_HIP)) if p is not None]
    if shoulders and hips:
        vector = np.mean(hips, axis=0) - np.mean(shoulders, axis=0)
        if np.linalg.norm(vector) > 1e-6:
            return vector / np.linalg.norm(vector)
    return np.array([0.0, 1.0])


def head_geometry(pose: np.ndarray, size: tuple[int, int]) -> tuple[np.ndarray, float] | None:
    """(centre, radius) of the head disc, or None without any head joint or neck."""
    unit = _body_unit(pose, size)
    points = [p for j in sk.HEAD_JOINTS if (p := _point(pose, j)) is not None]
    if points:
        centre = np.mean(points, axis=0)
        spread = max(float(np.linalg.norm(p - centre)) for p in points)
        return centre, max(0.28 * unit, 1.2 * spread, 1.5)
    neck = _point(pose, sk.NECK)
    if neck is None:
        return None
    return neck - _down(pose) * 0.55 * unit, max(0.28 * unit, 1.5)


def part_shapes(pose: np.ndarray, size: tuple[int, int]) -> dict[str, np.ndarray]:
    """uint8 (H, W) drawings of the six skeleton shapes (absent parts are missing)."""
    import cv2

    unit = _body_unit(pose, size)
    shapes: dict[str, np.ndarray] = {}

    def canvas() -> np.ndarray:
        return np.zeros(size, np.uint8)

    def pixel(p: np.ndarray) -> tuple[int, int]:
        return int(round(p[0])), int(round(p[1]))

    head = head_geometry(pose, size)
    if head is not None:
        drawing = canvas()
        cv2.circle(drawing, pixel(head[0]), max(1, int(round(head[1]))), 1, -1)
        neck = _point(pose, sk.NECK)
        if neck is not None:
            cv2.line(drawing, pixel(neck), pixel(head[0]), 1, 1)
        shapes["head"] = drawing
    rs, ls = _point(pose, sk.R_SHOULDER), _point(pose, sk.L_SHOULDER)
    rh, lh = _point(pose, sk.R_HIP), _point(pose, sk.L_HIP)
    if rs is not None and ls is not None:
        if rh is None or lh is None:
            drop = _down(pose) * 1.6 * unit
            rh = rs + drop if rh is None else rh
            lh = ls + drop if lh is None else lh
        drawing = canvas()
        quad = np.array([pixel(rs), pixel(ls), pixel(lh), pixel(rh)], np.int32)
        cv2.fillPoly(drawing, [quad], 1)
        shapes["torso"] = drawing
    chains = {
        "right_arm": (sk.R_SHOULDER, sk.R_ELBOW, sk.R_WRIST),
        "left_arm": (sk.L_SHOULDER, sk.L_ELBOW, sk.L_WRIST),
        "right_leg": (sk.R_HIP, sk.R_KNEE, sk.R_ANKLE),
        "left_leg": (sk.L_HIP, sk.L_KNEE, sk.L_ANKLE),
    }
    for name, joints in chains.items():
        points = [p for j in joints if (p := _point(pose, j)) is not None]
        if name.endswith("leg") and len(points) >= 2 and _point(pose, joints[2]) is not None:
            # The shoe: past the ankle along the shin, a quarter of the shin's length.
            points.append(points[-1] + (points[-1] - points[-2]) * 0.25)
        if len(points) < 2:
            continue
        drawing = canvas()
        for a, b in zip(points[:-1], points[1:], strict=True):
            cv2.line(drawing, pixel(a), pixel(b), 1, 1)
        shapes[name] = drawing
    return shapes


def nearest_part(pose: np.ndarray, size: tuple[int, int]) -> tuple[np.ndarray, list[str]]:
    """(H, W) index of the nearest skeleton shape at every pixel, and the shape names.

    Returns index -1 everywhere when the pose has no shape at all.
    """
    import cv2

    shapes = part_shapes(pose, size)
    if not shapes:
        return np.full(size, -1, np.int64), []
    names = [name for name in PARTS if name in shapes]
    distances = [
        cv2.distanceTransform(
            (1 - shapes[name]).astype(np.uint8), cv2.DIST_L2, cv2.DIST_MASK_PRECISE
        )
        for name in names
    ]
    return np.argmin(np.stack(distances), axis=0), names


def _lab(image: np.ndarray) -> np.ndarray:
    import cv2

    return cv2.cvtColor(image.astype(np.float32) / 255.0, cv2.COLOR_RGB2LAB)


def kmeans(colours: np.ndarray, k: int, iterations: int = 12) -> tuple[np.ndarray, np.ndarray]:
    """Deterministic k-means: (centres (k', 3), assignment (N,)). Farthest-point start from
    the median colour, so the same photo always gives the same clusters."""
    colours = np.asarray(colours, np.float64)
    centres = [np.median(colours, axis=0)]
    for _ in range(1, min(k, len(colours))):
        gaps = np.min([np.sum((colours - c) ** 2, axis=1) for c in centres], axis=0)
        if gaps.max() <= 1e-9:
            break
        centres.append(colours[int(np.argmax(gaps))])
    centres = np.array(centres)
    for _ in range(iterations):
        assign = np.argmin(((colours[:, None, :] - centres[None]) ** 2).sum(-1), axis=1)
        for c in range(len(centres)):
            if (assign == c).any():
                centres[c] = colours[assign == c].mean(axis=0)
    assign = np.argmin(((colours[:, None, :] - centres[None]) ** 2).sum(-1), axis=1)
    return centres, assign


def skin_reference(
    lab: np.ndarray, person: np.ndarray, pose: np.ndarray, size: tuple[int, int]
) -> np.ndarray | None:
    """Median Lab colour of the person's pixels around the nose and eyes; None for a back view."""
    face = [p for j in (sk.NOSE, sk.R_EYE, sk.L_EYE) if (p := _point(pose, j)) is not None]
    head = head_geometry(pose, size)
    if not face or head is None:
        return None
    centre = np.mean(face, axis=0)
    radius = max(1.0, 0.45 * head[1])
    ys, xs = np.mgrid[: size[0], : size[1]]
    near = ((xs - centre[0]) ** 2 + (ys - centre[1]) ** 2 <= radius**2) & person
    if near.sum() < 3:
        return None
    return np.median(lab[near], axis=0)


def skin_mask(
    image: np.ndarray, person: np.ndarray, pose: np.ndarray, clusters: int = CLUSTERS
) -> np.ndarray:
    """Boolean (H, W): the person's pixels that fall in a skin-coloured cluster."""
    import cv2

    size = person.shape
    out = np.zeros(size, bool)
    if not person.any():
        return out
    lab = _lab(image)
    reference = skin_reference(lab, person, pose, size)
    colours = lab[person]
    step = max(1, len(colours) // 20000)  # cluster a subsample; assign every pixel after
    centres, _ = kmeans(colours[::step], clusters)
    assign = np.argmin(((colours[:, None, :] - centres[None]) ** 2).sum(-1), axis=1)
    if reference is not None:
        distance = np.linalg.norm((centres - reference) * SKIN_WEIGHTS, axis=1)
        skin_clusters = (distance < SKIN_DELTA) | (distance == distance.min())
    else:
        chroma = cv2.cvtColor(image, cv2.COLOR_RGB2YCrCb)[person].astype(np.float64)
        skin_clusters = np.zeros(len(centres), bool)
        for c in range(len(centres)):
            if (assign == c).any():
                _, cr, cb = chroma[assign == c].mean(axis=0)
                skin_clusters[c] = 133 <= cr <= 173 and 77 <= cb <= 127
    out[person] = skin_clusters[assign]
    return out


def _is_skirt(pose: np.ndarray, cloth: np.ndarray, bare_shins: bool) -> bool:
    """Cloth fills the triangle between the hips' midpoint and the knees, while the knees
    stand apart (trousers would show a gap) or the shins are bare (trousers would cover them)."""
    import cv2

    joints = [_point(pose, j) for j in (sk.R_HIP, sk.L_HIP, sk.R_KNEE, sk.L_KNEE)]
    if any(p is None for p in joints):
        return False
    rh, lh, rk, lk = joints
    hip_width = float(np.linalg.norm(rh - lh))
    if hip_width < 1:
        return False
    if np.linalg.norm(rk - lk) < SKIRT_KNEE_SPREAD * hip_width and not bare_shins:
        return False
    top = (rh + lh) / 2 + ((rk + lk) / 2 - (rh + lh) / 2) * 0.25  # below the crotch
    triangle = np.array([top, rk, lk])
    triangle = triangle.mean(axis=0) + (triangle - triangle.mean(axis=0)) * 0.8
    region = np.zeros(cloth.shape, np.uint8)
    cv2.fillPoly(region, [np.round(triangle).astype(np.int32)], 1)
    inside = region.astype(bool)
    return bool(inside.sum() >= 4 and cloth[inside].mean() >= SKIRT_FILL)


def _along(pose: np.ndarray, size: tuple[int, int], start: int, end: int) -> np.ndarray | None:
    """(H, W) position of every pixel along the bone start -> end (0 at start, 1 at end)."""
    a, b = _point(pose, start), _point(pose, end)
    if a is None or b is None or np.linalg.norm(b - a) < 1e-6:
        return None
    ys, xs = np.mgrid[: size[0], : size[1]]
    axis = b - a
    return ((xs - a[0]) * axis[0] + (ys - a[1]) * axis[1]) / float(axis @ axis)


def _shoe_zone(pose: np.ndarray, size: tuple[int, int], knee: int, ankle: int) -> np.ndarray:
    """Pixels past 90 % of the way from knee to ankle, along the shin."""
    along = _along(pose, size, knee, ankle)
    return np.zeros(size, bool) if along is None else along > 0.9


def _above_hairline(pose: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Pixels more than 0.7 head radii above the eyes (towards the top of the head): hair,
    whatever their colour (blond hair is often as light as skin; a forehead rarely reaches
    that high). All False without eyes or nose."""
    head = head_geometry(pose, size)
    eyes = [p for j in (sk.R_EYE, sk.L_EYE) if (p := _point(pose, j)) is not None]
    nose = _point(pose, sk.NOSE)
    if head is None or (not eyes and nose is None):
        return np.zeros(size, bool)
    up = -_down(pose)
    level = np.mean(eyes, axis=0) if eyes else nose + up * 0.3 * head[1]
    ys, xs = np.mgrid[: size[0], : size[1]]
    height = (xs - level[0]) * up[0] + (ys - level[1]) * up[1]
    return height > 0.7 * head[1]


def _nearer_cloth(
    lab: np.ndarray, where: np.ndarray, cloth: np.ndarray | None, skin: np.ndarray | None
) -> np.ndarray:
    """(H, W) bool: pixels of ``where`` whose colour is nearer the garment colour ``cloth``
    than the skin colour ``skin`` (weighted Lab). All False without both references, or when
    the garment itself is skin-coloured (bare thighs: nothing to tell apart)."""
    out = np.zeros(where.shape, bool)
    if cloth is None or skin is None:
        return out
    if np.linalg.norm((cloth - skin) * SKIN_WEIGHTS) < SAME_COLOUR:
        return out
    colours = lab[where]
    to_cloth = np.linalg.norm((colours - cloth) * SKIN_WEIGHTS, axis=1)
    to_skin = np.linalg.norm((colours - skin) * SKIN_WEIGHTS, axis=1)
    out[where] = to_cloth < to_skin
    return out


def _median_colour(lab: np.ndarray, where: np.ndarray) -> np.ndarray | None:
    return np.median(lab[where], axis=0) if where.sum() >= 3 else None


def _is_back_view(pose: np.ndarray) -> bool:
    """No nose and no eye: the face is turned away."""
    return not sk.present(pose)[[sk.NOSE, sk.R_EYE, sk.L_EYE]].any()


def rule_parsing(image: np.ndarray, mask: np.ndarray, pose: np.ndarray) -> np.ndarray:
    """The initial parsing of the module docstring.

    Args:
        image: (H, W, 3) uint8 RGB, framed at the model's size.
        mask: (H, W) person probability in [0, 1] (or a 0/1 mask).
        pose: (18, 2) pose in the same frame (NaN = missing).

    Returns:
        (H, W) uint8 labels 0..9.
    """
    size = mask.shape
    person = np.asarray(mask) >= 0.5
    labels = np.zeros(size, np.uint8)
    part, names = nearest_part(np.asarray(pose, np.float32), size)
    if not names or not person.any():
        return labels
    skin = skin_mask(image, person, pose)
    region = {name: person & (part == i) for i, name in enumerate(names)}
    empty = np.zeros(size, bool)
    # Colour evidence against the skin clusters: a sleeve or a trouser leg is the colour of
    # the garment it belongs to (the torso's; the tops of the thighs'), which in grey or dim
    # photos is often as near the face's colour as a bare arm would be.
    lab = _lab(image)
    face = skin_reference(lab, person, pose, size)
    top = _median_colour(lab, region.get("torso", empty))
    if "head" in region:
        labels[region["head"]] = lb.HAIR
        if not _is_back_view(pose):
            labels[region["head"] & skin & ~_above_hairline(pose, size)] = lb.FACE
    labels[region.get("torso", empty)] = lb.UPPER_CLOTHES
    for name, arm in (("right_arm", lb.RIGHT_ARM), ("left_arm", lb.LEFT_ARM)):
        where = region.get(name, empty)
        labels[where] = lb.UPPER_CLOTHES
        labels[where & skin & ~_nearer_cloth(lab, where, top, face)] = arm
    leg_regions = (
        ("right_leg", lb.RIGHT_LEG, sk.R_KNEE, sk.R_ANKLE),
        ("left_leg", lb.LEFT_LEG, sk.L_KNEE, sk.L_ANKLE),
    )
    thighs = np.zeros(size, bool)
    for name, _, hip in (("right_leg", 0, sk.R_HIP), ("left_leg", 0, sk.L_HIP)):
        knee = sk.R_KNEE if hip == sk.R_HIP else sk.L_KNEE
        along = _along(pose, size, hip, knee)
        if along is not None:
            thighs |= region.get(name, empty) & (along < 0.3)
    bottom = _median_colour(lab, thighs)
    legs = region.get("right_leg", empty) | region.get("left_leg", empty)
    skin = skin & ~(legs & _nearer_cloth(lab, legs, bottom, face))
    cloth, shins = np.zeros(size, bool), np.zeros(size, bool)
    for name, _, knee, ankle in leg_regions:
        cloth |= region.get(name, empty) & ~skin
        along = _along(pose, size, knee, ankle)
        if along is not None:
            shins |= region.get(name, empty) & (along > 0.2) & (along < 0.8)
    bare_shins = bool(shins.any() and skin[shins].mean() > 0.5)
    garment = lb.SKIRT if _is_skirt(pose, cloth, bare_shins) else lb.PANTS
    for name, leg, knee, ankle in leg_regions:
        where = region.get(name, empty)
        labels[where] = garment
        bare = skin | _shoe_zone(pose, size, knee, ankle)
        labels[where & bare] = leg
    return labels
