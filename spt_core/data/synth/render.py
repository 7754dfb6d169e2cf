"""Paint one synthetic person: body parts in depth order, image and exact parsing together.

Every part is a signed-distance shape. The image blends it with an anti-aliased coverage
(clip(0.5 - sdf, 0, 1)); the parsing takes its label where sdf <= 0, i.e. where it covers at
least half the pixel. Later parts overwrite earlier ones in both, so the parsing is exactly the
label of the visible surface and the image differs from a hard render only on edge pixels.

Labels follow LIP: bare arms and legs (with hands, socks and shoes) take the arm / leg labels of
the person's own side, sleeves are upper clothes, and the skin of the neck and of a low
neckline is labelled face, as LIP annotators label the neck.
"""

from __future__ import annotations

import math

import numpy as np

from spt_core import labels as lb
from spt_core.data.synth import textures as tx
from spt_core.data.synth.figure import ARMS, LEGS, Figure, build_figure, skirt_frame
from spt_core.data.synth.geometry import FrameSample, Window, capsule, frame_window, sample_frame
from spt_core.data.synth.hair import HairPainter
from spt_core.data.synth.outfit import Lower, Outfit
from spt_core.data.synth.posing import View

_SIDE_LABELS = {
    "arm": {"left": lb.LEFT_ARM, "right": lb.RIGHT_ARM},
    "leg": {"left": lb.LEFT_LEG, "right": lb.RIGHT_LEG},
}
#: Torso half-width beyond the shoulder / hip joints, as multiples of (arm, arm, arm, -S, leg, leg)
#: radii at u = -0.1, 0, 0.35, 0.65 (waist), 1, 1.3 of the torso frame.
_TORSO_KNOTS = (-0.1, 0.0, 0.35, 0.65, 1.0, 1.3)


class Canvas:
    """An RGB float image and its label map, painted together."""

    def __init__(self, rgb: np.ndarray):
        self.rgb = rgb
        self.labels = np.zeros(rgb.shape[:2], dtype=np.uint8)

    @property
    def size(self) -> tuple[int, int]:
        return self.rgb.shape[:2]

    def paint(self, win: Window, sdf: np.ndarray, colour: np.ndarray, label: int) -> None:
        alpha = np.clip(0.5 - sdf, 0.0, 1.0)
        region = self.rgb[win.rows, win.cols]
        region += alpha[..., None] * (colour - region)
        self.labels[win.rows, win.cols][sdf <= 0] = label


class PersonPainter:
    """Draws one outfit in one pose; every method paints one body part."""

    def __init__(
        self, canvas: Canvas, outfit: Outfit, figure: Figure, view: View, rng: np.random.Generator
    ):
        self.canvas = canvas
        self.outfit = outfit
        self.figure = figure
        self.view = view
        self.S = figure.S
        self.light = tx.random_light(rng)
        self.skin = np.asarray(outfit.skin, dtype=np.float32)
        loose = 1.6 if outfit.upper.style == "jacket" else 1.0
        # Fresh fold phases for every garment piece in every image (drawn in a fixed order).
        self.folds = {
            name: tx.random_folds(rng, looseness)
            for name, looseness in (
                ("torso", loose),
                ("sleeve_right", loose),
                ("sleeve_left", loose),
                ("pelvis", 1.0),
                ("trousers_right", 1.2),
                ("trousers_left", 1.2),
                ("skirt", 1.3),
            )
        }
        self.wobble_phase = float(rng.uniform(0, 2 * math.pi))
        self.hair = HairPainter(self, rng)

    # ----------------------------------------------------------------------------------------
    # Primitive painters

    def skin_limb(
        self, a: np.ndarray, b: np.ndarray, radius_a: float, radius_b: float, label: int
    ) -> None:
        shape = capsule(self.canvas.size, a, b, radius_a, radius_b)
        if shape is None:
            return
        shade = tx.cylinder_shade(shape.across / shape.radius, shape.normal, self.light)
        self.canvas.paint(shape.win, shape.sdf, self.skin * shade[..., None], label)

    def cloth_limb(
        self,
        a: np.ndarray,
        b: np.ndarray,
        radius_a: float,
        radius_b: float,
        label: int,
        pattern: tx.Pattern,
        folds: tx.Folds,
        *,
        along0: float = 0.0,
        flat_b: bool = False,
        wobble: float = 0.0,
    ) -> None:
        wave = (wobble * self.S, 1.5, self.wobble_phase + along0) if wobble else None
        shape = capsule(self.canvas.size, a, b, radius_a, radius_b, flat_b=flat_b, wobble=wave)
        if shape is None:
            return
        cu = shape.across / np.float32(self.S)
        cv = (shape.along + np.float32(along0)) / np.float32(self.S)
        cu, cv, crease = tx.fold(cu, cv, folds)
        rgb = tx.evaluate(pattern, cu, cv, self.S)
        shade = tx.cylinder_shade(shape.across / shape.radius, shape.normal, self.light) * crease
        self.canvas.paint(shape.win, shape.sdf, rgb * shade[..., None], label)

    # ----------------------------------------------------------------------------------------
    # Limbs

    def leg(self, side: str) -> None:
        pose, S, lower = self.figure.pose, self.S, self.outfit.lower
        hip, knee, ankle = (pose[j] for j in LEGS[side])
        r_hip, r_knee, r_ankle = self.figure.leg_radii
        label = _SIDE_LABELS["leg"][side]
        long_trousers = lower.kind == "pants" and lower.length >= 0.99
        if not long_trousers:
            self.skin_limb(hip, knee, r_hip, r_knee, label)
            self.skin_limb(knee, ankle, r_knee, r_ankle, label)
        socks = self.outfit.socks
        if socks is not None and not long_trousers:
            top = ankle + (knee - ankle) * socks.height
            radius_top = r_ankle + (r_knee - r_ankle) * socks.height
            self.cloth_limb(
                ankle,
                top,
                r_ankle + 0.008 * S,
                radius_top + 0.008 * S,
                label,
                tx.Pattern("solid", (socks.colour,)),
                self.folds["pelvis"],
                flat_b=True,
            )
        self.shoe(side, label)
        if lower.kind != "skirt":
            self._trouser_leg(side, hip, knee, ankle)

    def _trouser_leg(self, side: str, hip: np.ndarray, knee: np.ndarray, ankle: np.ndarray) -> None:
        """Cloth over one leg: to a hem on the thigh (shorts) or on the shin (trousers)."""
        S, lower = self.S, self.outfit.lower
        r_hip, r_knee, r_ankle = self.figure.leg_radii
        ease = lower.ease * S
        folds = self.folds[f"trousers_{side}"]
        if lower.kind == "shorts":
            hem = hip + (knee - hip) * lower.length
            radius_hem = r_hip + (r_knee - r_hip) * lower.length + ease + 0.01 * S
            self.cloth_limb(
                hip, hem, r_hip + ease, radius_hem, lb.PANTS, lower.pattern, folds, flat_b=True
            )
            return
        self.cloth_limb(
            hip, knee, r_hip + ease, r_knee + ease, lb.PANTS, lower.pattern, folds, wobble=0.012
        )
        shin = ankle - knee
        # Long trousers end a little below the ankle, over the top of the shoe.
        hem = knee + shin * lower.length + (shin / max(np.hypot(*shin), 1e-6)) * 0.03 * S
        flare = ease * (1.3 if lower.length >= 0.99 else 1.0)
        self.cloth_limb(
            knee,
            hem,
            r_knee + ease,
            r_ankle + flare + 0.02 * S,
            lb.PANTS,
            lower.pattern,
            folds,
            along0=float(np.hypot(*(knee - hip))),
            flat_b=True,
            wobble=0.012,
        )

    def shoe(self, side: str, label: int) -> None:
        heel, toe = self.figure.feet[side]
        S = self.S
        shape = capsule(self.canvas.size, heel, toe, 0.085 * S, 0.07 * S)
        if shape is None:
            return
        ankle_y = np.float32(self.figure.pose[LEGS[side][2], 1])
        colour = np.empty(shape.sdf.shape + (3,), np.float32)
        colour[...] = self.outfit.shoes.colour
        sole = shape.win.y - ankle_y > np.float32(0.07 * S + 0.05 * S * (self.view.kind == "side"))
        colour[np.broadcast_to(sole, shape.sdf.shape)] = self.outfit.shoes.sole
        shade = tx.cylinder_shade(shape.across / shape.radius, shape.normal, self.light)
        self.canvas.paint(shape.win, shape.sdf, colour * shade[..., None], label)

    def arm(self, side: str) -> None:
        pose, S, upper = self.figure.pose, self.S, self.outfit.upper
        joint, elbow, wrist = (pose[j] for j in ARMS[side])
        # The arm's round top starts a little down the arm so it does not stand above the torso.
        shoulder = joint + (elbow - joint) * 0.06
        r_shoulder, r_elbow, r_wrist = self.figure.arm_radii
        label = _SIDE_LABELS["arm"][side]
        if upper.sleeves != "long":
            self.skin_limb(shoulder, elbow, r_shoulder, r_elbow, label)
            self.skin_limb(elbow, wrist, r_elbow, r_wrist, label)
        hand_start, hand_end = self.figure.hands[side]
        self.skin_limb(hand_start, hand_end, 0.058 * S, 0.045 * S, label)
        if upper.sleeves == "none":
            return
        ease = upper.ease * S
        folds = self.folds[f"sleeve_{side}"]
        if upper.sleeves == "short":
            end = shoulder + (elbow - shoulder) * upper.sleeve_length
            radius_end = r_shoulder + (r_elbow - r_shoulder) * upper.sleeve_length + ease
            self.cloth_limb(
                shoulder,
                end,
                r_shoulder + ease,
                radius_end + 0.01 * S,
                lb.UPPER_CLOTHES,
                upper.pattern,
                folds,
                flat_b=True,
            )
            return
        upper_arm = float(np.hypot(*(elbow - shoulder)))
        forearm = wrist - elbow
        cuff = wrist + forearm / max(np.hypot(*forearm), 1e-6) * 0.02 * S
        self.cloth_limb(
            shoulder,
            elbow,
            r_shoulder + ease,
            r_elbow + ease,
            lb.UPPER_CLOTHES,
            upper.pattern,
            folds,
            wobble=0.012,
        )
        self.cloth_limb(
            elbow,
            cuff,
            r_elbow + ease,
            r_wrist + ease * 0.8 + 0.01 * S,
            lb.UPPER_CLOTHES,
            upper.pattern,
            folds,
            along0=upper_arm,
            flat_b=True,
            wobble=0.012,
        )

    # ----------------------------------------------------------------------------------------
    # Trunk

    def _torso_half(self, sample: FrameSample, ease: float) -> np.ndarray:
        """Half-width (px) of the body at each pixel's torso coordinate u."""
        body = self.outfit.body
        r_arm = self.figure.arm_radii[0]
        r_leg = self.figure.leg_radii[0]
        S = self.S
        extras = (
            0.1 * r_arm * body.shoulders,
            0.5 * r_arm * body.shoulders,
            0.3 * r_arm,
            -body.waist * S + 0.4 * r_leg * (body.hips - 0.6),
            0.8 * r_leg * body.hips,
            0.85 * r_leg * body.hips,
        )
        return sample.half + np.interp(sample.u, _TORSO_KNOTS, extras).astype(np.float32) + ease

    def neck(self) -> None:
        S, head = self.S, self.figure.head
        base = self.figure.pose[1] + self.figure.down * 0.1 * S
        self.skin_limb(base, head.centre, 0.12 * S, 0.085 * S, lb.FACE)
        if self.view.kind == "front" and self.outfit.upper.neckline > 0.1:
            # Skin of the upper chest, seen through a deep neckline.
            top = self.figure.torso.top
            self.skin_limb(
                top,
                top + self.figure.down * self.outfit.upper.neckline * S,
                0.13 * S,
                0.08 * S,
                lb.FACE,
            )

    def torso(self) -> None:
        frame, S, upper = self.figure.torso, self.S, self.outfit.upper
        L = frame.length
        win = frame_window(frame, (-0.3, upper.hem + 0.1), 1.8, 0.35 * S, self.canvas.size)
        if win is None:
            return
        fs = sample_frame(frame, win)
        half = self._torso_half(fs, upper.ease * S)
        across = fs.s * fs.half
        along = fs.u * np.float32(L)
        top_edge = (-0.17 + 0.11 * np.minimum(fs.s * fs.s, 1.44)) * L
        hem = upper.hem * L + 0.008 * S * np.sin(fs.s * 2.5 + self.wobble_phase)
        sdf = np.maximum(np.maximum(np.abs(across) - half, top_edge - along), along - hem)
        front = self.view.kind == "front"
        depth = (upper.neckline if front else 0.02) * S + 0.12 * L
        width = 0.13 * S
        neckline = (across / width) ** 2 + ((along + 0.15 * L) / depth) ** 2 - 1.0
        sdf = np.maximum(sdf, -neckline * min(width, depth) * 0.5)
        cu, cv, crease = tx.fold(across / np.float32(S), along / np.float32(S), self.folds["torso"])
        rgb = tx.evaluate(upper.pattern, cu, cv, S)
        if upper.inner is not None and front:
            opening = 0.13 * S * (1.1 - 0.5 * np.clip(fs.u, 0, 1.2))
            inner = np.clip(opening - np.abs(across) + 0.5, 0, 1)
            rgb = rgb + inner[..., None] * (np.asarray(upper.inner, np.float32) - rgb)
            lapel = np.clip(1.0 - np.abs(np.abs(across) - opening), 0, 1) * 0.45
            rgb *= (1.0 - lapel)[..., None]
        if upper.placket and front:
            line = np.clip(0.5 + 0.012 * S - np.abs(across - 0.01 * S), 0, 1) * (fs.u > 0.05)
            rgb *= (1.0 - 0.35 * line)[..., None]
        if upper.logo is not None and front:
            shift = np.float32(self.view.yaw * 0.12)
            cover = tx.logo_coverage(upper.logo, cu - shift, cv, S)
            rgb = rgb + cover[..., None] * (np.asarray(upper.logo.colour, np.float32) - rgb)
        shade = tx.cylinder_shade(across / half, (fs.hx, fs.hy), self.light, 0.8) * crease
        self.canvas.paint(win, sdf, rgb * shade[..., None], lb.UPPER_CLOTHES)

    def pelvis(self) -> None:
        frame, S, lower = self.figure.torso, self.S, self.outfit.lower
        L = frame.length
        win = frame_window(frame, (lower.waist - 0.1, 1.45), 1.9, 0.35 * S, self.canvas.size)
        if win is None:
            return
        fs = sample_frame(frame, win)
        half = self._torso_half(fs, lower.ease * S)
        across = fs.s * fs.half
        along = fs.u * np.float32(L)
        spread = np.clip(np.abs(across) / half, 0, 1)
        crotch = (1.0 + 0.2 * S / L * (1.0 - spread * spread)) * L
        sdf = np.maximum(np.maximum(np.abs(across) - half, lower.waist * L - along), along - crotch)
        cu, cv, crease = tx.fold(
            across / np.float32(S), along / np.float32(S), self.folds["pelvis"]
        )
        rgb = tx.evaluate(lower.pattern, cu, cv, S)
        if lower.belt is not None:
            band = np.clip(0.5 + 0.035 * S - np.abs(along - (lower.waist * L + 0.035 * S)), 0, 1)
            rgb = rgb + band[..., None] * (np.asarray(lower.belt, np.float32) - rgb)
            if self.view.kind == "front":
                buckle = band * np.clip(0.5 + 0.04 * S - np.abs(across), 0, 1)
                rgb = rgb + buckle[..., None] * (np.float32([0.78, 0.74, 0.6]) - rgb)
        shade = tx.cylinder_shade(across / half, (fs.hx, fs.hy), self.light, 0.8) * crease
        self.canvas.paint(win, sdf, rgb * shade[..., None], lb.PANTS)

    def skirt(self) -> None:
        S, lower = self.S, self.outfit.lower
        frame = skirt_frame(self.figure, lower, self._waist_half(lower))
        L = frame.length
        win = frame_window(frame, (-0.05, 1.1), 1.15, 0.1 * S, self.canvas.size)
        if win is None:
            return
        fs = sample_frame(frame, win)
        across = fs.s * fs.half
        hem = 1.0 + 0.025 * S / L * np.sin(fs.s * 7.0 + self.wobble_phase)
        sdf = np.maximum(np.maximum((np.abs(fs.s) - 1.0) * fs.half, -fs.u * L), (fs.u - hem) * L)
        along = fs.u * np.float32(L)
        cu, cv, crease = tx.fold(across / np.float32(S), along / np.float32(S), self.folds["skirt"])
        rgb = tx.evaluate(lower.pattern, cu, cv, S)
        pleats = (
            1.0
            - 0.18 * np.clip(fs.u, 0, 1) * (0.5 + 0.5 * np.sin(fs.s * 9.0 + self.wobble_phase)) ** 3
        )
        shade = tx.cylinder_shade(fs.s, (fs.hx, fs.hy), self.light, 0.75) * crease * pleats
        self.canvas.paint(win, sdf, rgb * shade[..., None], lb.SKIRT)

    def _waist_half(self, lower: Lower) -> float:
        frame = self.figure.torso
        half = np.hypot(*(frame.top_half + lower.waist * (frame.bottom_half - frame.top_half)))
        r_leg = self.figure.leg_radii[0]
        return float(half + 0.5 * r_leg * self.outfit.body.hips + lower.ease * self.S)

    def lower_garment(self) -> None:
        if self.outfit.lower.kind == "skirt":
            self.skirt()
        else:
            self.pelvis()

    # ----------------------------------------------------------------------------------------
    # Order

    def draw(self) -> None:
        """Paint every part, back to front, in the order the view implies."""
        for step in draw_order(self.view, self.outfit):
            name, *args = step
            getattr(self, name)(*args)

    def head(self) -> None:
        self.hair.head()

    def hair_back(self) -> None:
        self.hair.behind()

    def hair_accessory(self) -> None:
        self.hair.accessory()


def draw_order(view: View, outfit: Outfit) -> list[tuple[str, ...]]:
    """Part steps back to front.

    Front: arms over the torso (arms crossing the chest are in front). Back: arms behind the
    torso, long hair over the back. Side: the far arm and leg first, the near arm last.
    """
    trunk = [("neck",), ("torso",), ("lower_garment",)]
    if not outfit.upper.tucked:
        trunk = [("lower_garment",), ("neck",), ("torso",)]
    legs = [("leg", "right"), ("leg", "left")]
    if view.kind == "front":
        return [
            ("hair_back",),
            *legs,
            *trunk,
            ("arm", "right"),
            ("arm", "left"),
            ("head",),
            ("hair_accessory",),
        ]
    if view.kind == "back":
        lower_first = [] if outfit.upper.tucked else [("lower_garment",)]
        lower_last = [("lower_garment",)] if outfit.upper.tucked else []
        return [
            *legs,
            *lower_first,
            ("arm", "right"),
            ("arm", "left"),
            ("neck",),
            ("torso",),
            *lower_last,
            ("hair_back",),
            ("head",),
            ("hair_accessory",),
        ]
    near = view.near_side()
    far = "left" if near == "right" else "right"
    return [
        ("arm", far),
        ("leg", far),
        ("hair_back",),
        ("leg", near),
        *trunk,
        ("arm", near),
        ("head",),
        ("hair_accessory",),
    ]


def render_person(
    background: np.ndarray, outfit: Outfit, pose: np.ndarray, view: View, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Paint ``outfit`` in ``pose`` over ``background`` (float RGB, modified in place).

    Returns:
        The float RGB image and the (H, W) uint8 parsing.
    """
    canvas = Canvas(background)
    figure = build_figure(pose, outfit, view)
    PersonPainter(canvas, outfit, figure, view, rng).draw()
    return canvas.rgb, canvas.labels
