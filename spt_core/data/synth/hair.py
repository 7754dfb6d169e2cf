"""The head: face with eyes, brows, nose and mouth hints; hair cap; long hair, ponytail, bun.

Face features sit at fixed azimuths on the head (eyes at +-30 degrees from the nose) and are
turned by the view's yaw, so a three-quarter face shows the near eye wide and the far eye
narrow, and a profile shows one eye. Hair covers the top of the head down to a hairline, the
back of the head in side views, and all of it in back views.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from spt_core import labels as lb
from spt_core.data.synth import textures as tx
from spt_core.data.synth.geometry import Ellipse, capsule, ellipse

if TYPE_CHECKING:
    from spt_core.data.synth.render import PersonPainter

_FRINGE = {"short": -0.45, "bob": -0.32, "long": -0.4, "ponytail": -0.5, "bun": -0.5}
_NAPE = {"short": 0.45, "bob": 0.8, "long": 1.4, "ponytail": 0.5, "bun": 0.5}
_EYE_AZIMUTH = math.radians(30)
_YAW_TO_AZIMUTH = math.radians(80)
_BACK_OF_HEAD = math.radians(98)  # azimuth (from the nose) beyond which hair covers the head


def _coverage(distance: np.ndarray, radius: float) -> np.ndarray:
    return np.clip(np.float32(radius) - distance + 0.5, 0.0, 1.0)


def _mix(rgb: np.ndarray, colour, weight: np.ndarray) -> np.ndarray:
    return rgb + weight[..., None] * (np.asarray(colour, np.float32) - rgb)


class HairPainter:
    """Head and hair steps of a :class:`PersonPainter`."""

    def __init__(self, painter: PersonPainter, rng: np.random.Generator):
        self.p = painter
        self.strand_phase = float(rng.uniform(0, 2 * math.pi))
        self.colour = np.asarray(painter.outfit.hair.colour, dtype=np.float32)

    @property
    def style(self) -> str:
        return self.p.outfit.hair.style

    def _back(self) -> float:
        """Image x direction of the back of the head (0 when it faces or turns from the camera)."""
        return -float(self.p.view.facing) if self.p.view.kind == "side" else 0.0

    # ----------------------------------------------------------------------------------------
    # Head

    def head(self) -> None:
        p, head = self.p, self.p.figure.head
        shape = ellipse(p.canvas.size, head.centre, head.rx, head.ry, head.down)
        if shape is None:
            return
        if self.style in ("short", "bald", "ponytail", "bun"):
            self._ears()
        shade = tx.sphere_shade(shape.u, shape.v, head.down, p.light)
        rgb = p.skin * shade[..., None]
        if p.view.face:
            rgb = self._features(shape, rgb)
        p.canvas.paint(shape.win, shape.sdf, rgb, lb.FACE)
        if self.style != "bald":
            self._cap()

    def _ears(self) -> None:
        """Ears at +-90 degrees from the nose, drawn before the head so only their rims show."""
        p, head = self.p, self.p.figure.head
        turn = _YAW_TO_AZIMUTH * p.view.yaw
        for azimuth in (-math.pi / 2, math.pi / 2):
            if math.cos(azimuth + turn) < -0.3:
                continue  # behind the head
            centre = head.point(0.97 * math.sin(azimuth + turn), 0.1)
            shape = ellipse(p.canvas.size, centre, 0.17 * head.rx, 0.26 * head.ry, head.down)
            if shape is None:
                continue
            shade = tx.sphere_shade(shape.u, shape.v, head.down, p.light) * np.float32(0.92)
            p.canvas.paint(shape.win, shape.sdf, p.skin * shade[..., None], lb.FACE)

    def _features(self, shape: Ellipse, rgb: np.ndarray) -> np.ndarray:
        p, head = self.p, self.p.figure.head
        S, rx, ry = p.S, head.rx, head.ry
        turn = _YAW_TO_AZIMUTH * p.view.yaw
        u, v = shape.u, shape.v
        detailed = S >= 50  # below this an eye is a pixel or two
        for azimuth in (-_EYE_AZIMUTH, _EYE_AZIMUTH):
            facing = math.cos(azimuth + turn)
            if facing < 0.3:
                continue  # turned away behind the nose
            centre_u = 0.92 * math.sin(azimuth + turn)
            dx = (u - np.float32(centre_u)) * np.float32(rx)
            dy = (v + np.float32(0.02)) * np.float32(ry)
            if detailed:
                white = np.hypot(dx / np.float32(0.042 * S * facing), dy / np.float32(0.021 * S))
                rgb = _mix(rgb, (0.93, 0.92, 0.9), np.clip((1.0 - white) * 2.5, 0, 1))
                rgb = _mix(rgb, (0.12, 0.08, 0.06), _coverage(np.hypot(dx, dy), 0.02 * S))
                brow = np.hypot(np.maximum(np.abs(dx) - 0.035 * S * facing, 0), dy + 0.085 * S)
                rgb = _mix(rgb, self.colour * 0.8, _coverage(brow, 0.012 * S) * 0.9)
            else:
                rgb = _mix(rgb, (0.1, 0.07, 0.06), _coverage(np.hypot(dx, dy), 0.028 * S) * 0.9)
        nose_u = np.float32(0.95 * math.sin(turn))
        nose = np.hypot((u - nose_u) * np.float32(rx), (v - np.float32(0.3)) * np.float32(ry))
        rgb = rgb * (1.0 - 0.12 * _coverage(nose, 0.04 * S))[..., None]
        mouth_u = np.float32(0.85 * math.sin(turn))
        half_width = 0.24 * rx * max(math.cos(turn), 0.35)
        mouth = np.hypot(
            np.maximum(np.abs((u - mouth_u) * np.float32(rx)) - np.float32(half_width), 0.0),
            (v - np.float32(0.55)) * np.float32(ry),
        )
        lips = np.clip(p.skin * np.float32(0.62) + np.float32([0.12, 0.0, 0.0]), 0, 1)
        return _mix(rgb, lips, _coverage(mouth, max(0.018 * S, 0.45)) * 0.85)

    def _cap(self) -> None:
        p, head, hair = self.p, self.p.figure.head, self.p.outfit.hair
        volume = hair.volume
        down = np.asarray(head.down)
        centre = head.centre - down * volume * 0.6 * head.ry
        shape = ellipse(
            p.canvas.size, centre, head.rx * (1 + volume), head.ry * (1 + volume), head.down
        )
        if shape is None:
            return
        u = shape.u * np.float32(1 + volume)
        v = shape.v * np.float32(1 + volume) - np.float32(volume * 0.6)
        sdf = np.maximum(shape.sdf, self._hair_region(u, v))
        shade = tx.sphere_shade(shape.u, shape.v, head.down, p.light) * self._strands(shape.u)
        p.canvas.paint(shape.win, sdf, self.colour * shade[..., None], lb.HAIR)

    def _hair_region(self, u: np.ndarray, v: np.ndarray) -> np.ndarray:
        """Signed distance (px, negative inside) of the hair-covered part of the head."""
        p, head = self.p, self.p.figure.head
        rx, ry = np.float32(head.rx), np.float32(head.ry)
        nape = _NAPE[self.style]
        if not p.view.face:
            return (v - np.float32(nape)) * ry
        turn = np.float32(_YAW_TO_AZIMUTH * p.view.yaw)
        azimuth = np.arcsin(np.clip(u, -1.0, 1.0))
        local = np.sin(azimuth - turn)  # across the head as the face sees it
        region = (v - (np.float32(_FRINGE[self.style]) + 0.4 * local * local)) * ry
        if self.style in ("bob", "long"):
            reach = np.float32(0.5 if self.style == "bob" else 1.4)
            sides = np.maximum((0.8 - np.abs(local)) * rx, (v - reach) * ry)
            region = np.minimum(region, sides)
        if abs(float(turn)) > 0.05:
            sign = np.float32(math.copysign(1.0, float(turn)))
            back = (sign * (azimuth - turn) + np.float32(_BACK_OF_HEAD)) * rx
            back = back * np.maximum(np.cos(azimuth), 0.25)
            region = np.minimum(region, np.maximum(back, (v - np.float32(nape)) * ry))
        return region

    def _strands(self, u: np.ndarray) -> np.ndarray:
        period = max(0.18, 3.0 / self.p.figure.head.rx)
        return 0.9 + 0.1 * np.sin(
            u * np.float32(2 * math.pi / period) + np.float32(self.strand_phase)
        )

    # ----------------------------------------------------------------------------------------
    # Hair beyond the head

    def behind(self) -> None:
        """Hair that hangs behind the body (front and side views) or over the back (back view)."""
        if self.style == "long":
            self._long()
        elif self.style == "ponytail" and self.p.view.kind != "back":
            self._ponytail()
        elif self.style == "bun" and self.p.view.kind == "front":
            self._bun()

    def accessory(self) -> None:
        """Hair drawn over the head: a ponytail seen from behind, a bun from behind or the side."""
        if self.style == "ponytail" and self.p.view.kind == "back":
            self._ponytail()
        elif self.style == "bun" and self.p.view.kind != "front":
            self._bun()

    def _hang(self, a: np.ndarray, b: np.ndarray, radius_a: float, radius_b: float) -> None:
        p = self.p
        shape = capsule(
            p.canvas.size, a, b, radius_a, radius_b, wobble=(0.03 * p.S, 1.2, self.strand_phase)
        )
        if shape is None:
            return
        shade = tx.cylinder_shade(shape.across / shape.radius, shape.normal, p.light, 0.7)
        shade = shade * self._strands(shape.across / np.float32(p.figure.head.rx))
        p.canvas.paint(shape.win, shape.sdf, self.colour * shade[..., None], lb.HAIR)

    def _long(self) -> None:
        p, head, hair = self.p, self.p.figure.head, self.p.outfit.hair
        down = np.asarray(head.down)
        hang = 0.7 * np.array([0.0, 1.0]) + 0.3 * down
        hang /= np.hypot(*hang)
        top = head.centre - down * 0.15 * head.ry + np.array([self._back() * 0.45 * head.rx, 0.0])
        bottom = top + hang * (head.ry + hair.length * p.S)
        bottom = bottom + np.array([self._back() * 0.12 * p.S, 0.0])
        radius = head.rx * (1.08 + hair.volume)
        self._hang(top, bottom, radius, head.rx * (0.9 + 0.35 * hair.length))

    def _ponytail(self) -> None:
        p, head, hair = self.p, self.p.figure.head, self.p.outfit.hair
        back = self._back()
        base = head.point(back * 0.75, -0.35) if back else head.point(0.0, -0.3)
        tip = base + np.array([back * 0.12 * p.S, hair.length * p.S + 0.3 * head.ry])
        self._hang(base, tip, 0.32 * head.rx, 0.16 * head.rx)

    def _bun(self) -> None:
        p, head = self.p, self.p.figure.head
        back = self._back()
        kind = p.view.kind
        if kind == "front":
            centre = head.point(0.0, -0.95)
        elif kind == "back":
            centre = head.point(0.0, -0.45)
        else:
            centre = head.point(back * 0.8, -0.55)
        shape = ellipse(p.canvas.size, centre, 0.42 * head.rx, 0.36 * head.ry, head.down)
        if shape is None:
            return
        shade = tx.sphere_shade(shape.u, shape.v, head.down, p.light) * self._strands(shape.u)
        p.canvas.paint(shape.win, shape.sdf, self.colour * shade[..., None], lb.HAIR)
