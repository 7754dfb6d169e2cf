"""The edit benchmark's world: one synthetic person drawn twice on one background, before and
after an edit, so the true result of the edit is known pixel for pixel.

An edit is either a **repose** (the same outfit in another pose: a real held-out pose, or the
source pose with one arm raised) or a **paint** edit (the same pose with one garment changed:
sleeves removed, shortened or added, trousers shortened, legs covered, pants into a skirt). The
person's lighting, cloth folds, hair and the camera are seeded once per person, so everything
the edit does not touch is drawn identically; the background carries no shadow (a shadow would
move with the feet and count as an edit). The networks never train on these pairs: the people
are drawn with their own seed and the benchmark is only read by the evaluation.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np

from spt_core import skeleton as sk
from spt_core.data.synth.background import random_background
from spt_core.data.synth.outfit import Outfit, sample_outfit
from spt_core.data.synth.posing import PosePool, classify_view, fit_pose, perturb
from spt_core.data.synth.render import render_person

#: Paint edits (see :func:`edited_outfit`) and reposes.
PAINT_EDITS = ("sleeves_removed", "sleeves_shortened", "sleeves_added", "trousers_shortened",
               "legs_covered", "pants_to_skirt")  # fmt: skip
REPOSE_EDITS = ("pose", "arm_raised")
EDIT_KINDS = REPOSE_EDITS + PAINT_EDITS
_SLEEVES = ("none", "short", "long")
_LOWERS = ("pants", "shorts", "skirt")


@dataclass
class EditCase:
    """One edit with its truth, at the benchmark's size.

    Attributes:
        person: identity index (its outfit, background and camera are seeded from it).
        kind: one of :data:`EDIT_KINDS`.
        image, parsing, pose: the source person.
        target_pose: the pose asked for (the source pose for paint edits).
        target_parsing: the true parsing after the edit (given to the model for paint edits;
            for reposes the model predicts its own).
        truth: the true image after the edit.
        pose_rows: the pose pool rows of the source pose and of the "pose" edit's target.
    """

    person: int
    kind: str
    image: np.ndarray
    parsing: np.ndarray
    pose: np.ndarray
    target_pose: np.ndarray
    target_parsing: np.ndarray
    truth: np.ndarray
    pose_rows: tuple[int, int] = (-1, -1)

    @property
    def repose(self) -> bool:
        return self.kind in REPOSE_EDITS


@dataclass(frozen=True)
class Scene:
    """What stays fixed between the two drawings of one person."""

    outfit: Outfit
    background: np.ndarray  # (H, W, 3) float32
    person_seed: tuple[int, ...]
    gain: np.ndarray  # (3,) exposure x white balance
    noise: np.ndarray  # (H, W, 3) float32 sensor noise

    def draw(self, pose: np.ndarray, outfit: Outfit | None = None):
        """(uint8 image, uint8 parsing) of ``outfit`` (default the scene's) in ``pose``."""
        rng = np.random.default_rng(list(self.person_seed))
        view = classify_view(pose, rng)
        rgb, parsing = render_person(self.background.copy(), outfit or self.outfit, pose, view, rng)
        rgb = rgb * self.gain + self.noise
        return (np.clip(rgb, 0.0, 1.0) * 255 + 0.5).astype(np.uint8), parsing


def make_scene(seed: int, person: int, size: tuple[int, int]) -> Scene:
    """The outfit, background and camera of benchmark ``person`` (any garment types)."""
    rng = np.random.default_rng([seed, 101, person])
    sleeves = _SLEEVES[int(rng.integers(3))]
    lower = _LOWERS[int(rng.integers(3))]
    outfit = sample_outfit(rng, person, sleeves, lower)
    background, _ = random_background(rng, size)
    gain = rng.uniform(0.92, 1.06) * (1 + rng.normal(0, 0.02, 3))
    noise = rng.normal(0, 0.012, (*size, 3))
    return Scene(
        outfit, background, (seed, 102, person), gain.astype(np.float32), noise.astype(np.float32)
    )


def edited_outfit(outfit: Outfit, kind: str) -> Outfit | None:
    """``outfit`` with the garment edit ``kind`` applied, or None when it does not apply."""
    upper, lower = outfit.upper, outfit.lower
    if kind == "sleeves_removed" and upper.sleeves != "none":
        new_upper = dataclasses.replace(upper, sleeves="none", sleeve_length=0.0)
    elif kind == "sleeves_shortened" and upper.sleeves == "long":
        new_upper = dataclasses.replace(upper, sleeves="short", sleeve_length=0.5)
    elif kind == "sleeves_added" and upper.sleeves != "long":
        new_upper = dataclasses.replace(upper, sleeves="long", sleeve_length=1.0)
    else:
        new_upper = None
    if new_upper is not None:
        return dataclasses.replace(outfit, upper=new_upper)
    if kind == "trousers_shortened" and lower.kind == "pants":
        new_lower = dataclasses.replace(lower, kind="shorts", length_name="short", length=0.45)
    elif kind == "legs_covered" and lower.kind != "pants":
        new_lower = dataclasses.replace(lower, kind="pants", length_name="long", length=1.0)
    elif kind == "pants_to_skirt" and lower.kind != "skirt":
        new_lower = dataclasses.replace(lower, kind="skirt", length_name="knee", length=0.5)
    else:
        return None
    return dataclasses.replace(outfit, lower=new_lower)


#: (upper arm, forearm) angles from straight down, in degrees, tried for a raised arm:
#: the arm out and up, then less far out where the picture is too narrow.
_RAISES = ((140, 165), (120, 150), (100, 135), (90, 120), (75, 110), (60, 100))


def raise_arm(pose: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """``pose`` with one arm swung out and up about the shoulder (bone lengths kept).

    Of both arms and the angles of ``_RAISES`` the highest raise whose elbow and wrist stay
    inside the picture wins (ties: the arm with more room)."""
    height, width = size
    centre = pose[sk.NECK, 0]
    best = None
    for shoulder, elbow, wrist in (
        (sk.R_SHOULDER, sk.R_ELBOW, sk.R_WRIST),
        (sk.L_SHOULDER, sk.L_ELBOW, sk.L_WRIST),
    ):
        upper = float(np.hypot(*(pose[elbow] - pose[shoulder])))
        fore = float(np.hypot(*(pose[wrist] - pose[elbow])))
        outward = 1.0 if pose[shoulder, 0] >= centre else -1.0
        for rank, (a1, a2) in enumerate(_RAISES):
            d1 = np.array([outward * math.sin(math.radians(a1)), math.cos(math.radians(a1))])
            d2 = np.array([outward * math.sin(math.radians(a2)), math.cos(math.radians(a2))])
            new_elbow = pose[shoulder] + upper * d1
            new_wrist = new_elbow + fore * d2
            points = np.stack([new_elbow, new_wrist])
            room = min(points[:, 0].min(), (width - 1 - points[:, 0]).min(), points[:, 1].min())
            if room < 1:
                continue
            key = (-rank, room)
            if best is None or key > best[0]:
                best = (key, elbow, wrist, new_elbow, new_wrist)
            break
    out = pose.copy()
    if best is not None:
        _, elbow, wrist, new_elbow, new_wrist = best
        out[elbow], out[wrist] = np.round(new_elbow), np.round(new_wrist)
    return out.astype(np.float32)


def training_pose_rows(
    pool: PosePool, seed: int = 0, count: int = 2000, per_identity: int = 4
) -> set[int]:
    """The pool rows ``spt synth --seed SEED --count COUNT`` posed its people from (the shipped
    model's training set by default), computed without the dataset."""
    from spt_core.data.synth.writer import source_pose_indices

    rows: set[int] = set()
    for identity in range(math.ceil(count / per_identity)):
        images = min(per_identity, count - identity * per_identity)
        rows.update(int(i) for i in source_pose_indices(seed, identity, images, pool))
    return rows


def build_cases(
    pool: PosePool,
    count: int = 24,
    size: tuple[int, int] = (128, 64),
    seed: int = 2024,
    kinds: tuple[str, ...] = EDIT_KINDS,
    exclude: set[int] | frozenset[int] = frozenset(),
) -> list[EditCase]:
    """Every applicable edit of ``count`` benchmark people (reproducible from ``seed``).

    Each person gets a source pose and a target pose from ``pool`` (real annotations; poses
    are drawn with the benchmark's own seed from the rows not in ``exclude``, e.g. the
    training set's, :func:`training_pose_rows`) and every edit of ``kinds`` that applies to
    the outfit (a person in shorts has no "trousers_shortened").
    """
    unknown = sorted(set(kinds) - set(EDIT_KINDS))
    if unknown:
        raise ValueError(f"unknown edit kinds {unknown}; choose from {EDIT_KINDS}")
    allowed = np.array([i for i in range(len(pool.poses)) if i not in exclude])
    if len(allowed) < 2:
        raise ValueError(f"{len(allowed)} poses left after the exclusion; need 2")
    cases = []
    for person in range(count):
        scene = make_scene(seed, person, size)
        rng = np.random.default_rng([seed, 103, person])
        picks = allowed[rng.choice(len(allowed), size=2, replace=False)]
        height = scene.outfit.body.height
        source = fit_pose(perturb(pool.poses[picks[0]], rng), size, height, rng)
        image, parsing = scene.draw(source)
        for kind in kinds:
            outfit, target = None, source
            if kind == "pose":
                target = fit_pose(perturb(pool.poses[picks[1]], rng), size, height, rng)
            elif kind == "arm_raised":
                target = raise_arm(source, size)
            else:
                outfit = edited_outfit(scene.outfit, kind)
                if outfit is None:
                    continue
            truth, target_parsing = scene.draw(target, outfit)
            cases.append(
                EditCase(
                    person,
                    kind,
                    image,
                    parsing,
                    source.astype(np.float32),
                    target.astype(np.float32),
                    target_parsing,
                    truth,
                    (int(picks[0]), int(picks[1])),
                )
            )
    return cases


def redraw_sample(
    seed: int,
    identity: int,
    index: int,
    size: tuple[int, int] = (128, 64),
    pose_edit=None,
    garment_edit: str | None = None,
    per_identity: int = 4,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Draw image ``index`` of ``identity`` of ``spt synth --seed SEED`` again, optionally with
    the pose changed by ``pose_edit`` ((18, 2) -> (18, 2)) or one garment edit (a kind of
    :data:`PAINT_EDITS`); everything else is drawn exactly as in the dataset, so an unedited
    redraw is the dataset's image bit for bit.

    The shipped samples (spt_core/resources/samples) are such images, which gives the true result of
    an edit made on them in the editor.

    Returns:
        (uint8 RGB image, uint8 parsing, float (18, 2) pose drawn).
    """
    from spt_core.data.synth.posing import load_pose_pool
    from spt_core.data.synth.writer import (
        default_pose_csv,
        image_rng,
        make_outfit,
        render_image,
        source_pose_indices,
    )

    pool = load_pose_pool(default_pose_csv(size))
    chosen = source_pose_indices(seed, identity, per_identity, pool)
    outfit = make_outfit(seed, identity)
    if garment_edit is not None:
        edited = edited_outfit(outfit, garment_edit)
        if edited is None:
            raise ValueError(f"{garment_edit!r} does not apply to identity {identity}'s outfit")
        outfit = edited
    rng = image_rng(seed, identity, index)
    image, parsing, pose, _ = render_image(outfit, pool.poses[chosen[index]], size, rng, pose_edit)
    return image, parsing, pose
