"""Identities: skin, body build, hair and clothes, drawn once per person and kept for all poses.

Garment types are assigned in balanced blocks: every 9 consecutive identities hold each
(sleeves, lower garment) combination once, in a seeded order, so every type is equally common
and the pseudo-label search can be scored per type.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np

from spt_core.data.synth.textures import Colour, Logo, Pattern

SLEEVE_TYPES: tuple[str, ...] = ("none", "short", "long")
LOWER_TYPES: tuple[str, ...] = ("pants", "shorts", "skirt")
HAIR_STYLES: tuple[str, ...] = ("bald", "short", "bob", "long", "ponytail", "bun")
_HAIR_WEIGHTS = (0.05, 0.34, 0.14, 0.25, 0.13, 0.09)

# A ramp of realistic skin tones, light to dark (sRGB, 0..1); identities sample along it.
_SKIN_RAMP = np.array(
    [
        (0.98, 0.87, 0.78), (0.95, 0.80, 0.68), (0.91, 0.74, 0.60), (0.86, 0.67, 0.52),
        (0.78, 0.58, 0.42), (0.67, 0.47, 0.32), (0.55, 0.37, 0.24), (0.42, 0.28, 0.18),
        (0.31, 0.20, 0.13),
    ]
)  # fmt: skip

_HAIR_COLOURS: dict[str, tuple[Colour, float]] = {
    "black": ((0.07, 0.06, 0.05), 0.3),
    "dark_brown": ((0.19, 0.12, 0.07), 0.25),
    "brown": ((0.36, 0.23, 0.13), 0.16),
    "light_brown": ((0.55, 0.40, 0.24), 0.09),
    "blonde": ((0.86, 0.72, 0.45), 0.09),
    "auburn": ((0.52, 0.2, 0.09), 0.05),
    "grey": ((0.58, 0.57, 0.56), 0.04),
    "white": ((0.84, 0.83, 0.8), 0.02),
}

_CLOTH: dict[str, Colour] = {
    "black": (0.08, 0.08, 0.09), "white": (0.93, 0.93, 0.92), "grey": (0.5, 0.5, 0.52),
    "light_grey": (0.76, 0.76, 0.77), "charcoal": (0.24, 0.24, 0.26), "navy": (0.1, 0.14, 0.32),
    "blue": (0.15, 0.3, 0.7), "sky": (0.52, 0.7, 0.9), "denim": (0.22, 0.32, 0.5),
    "light_denim": (0.45, 0.56, 0.72), "red": (0.78, 0.1, 0.12), "burgundy": (0.45, 0.08, 0.15),
    "pink": (0.95, 0.6, 0.7), "orange": (0.95, 0.5, 0.15), "yellow": (0.95, 0.85, 0.25),
    "mustard": (0.8, 0.63, 0.18), "olive": (0.4, 0.42, 0.2), "green": (0.15, 0.5, 0.25),
    "teal": (0.08, 0.48, 0.5), "mint": (0.62, 0.86, 0.76), "khaki": (0.72, 0.65, 0.45),
    "beige": (0.86, 0.79, 0.66), "brown": (0.42, 0.27, 0.15), "purple": (0.4, 0.2, 0.55),
    "lavender": (0.72, 0.62, 0.86), "coral": (0.95, 0.45, 0.4),
}  # fmt: skip
_LOWER_COLOURS = (
    "denim", "denim", "light_denim", "black", "black", "navy", "khaki", "grey", "charcoal",
    "beige", "brown", "olive", "white", "burgundy",
)  # fmt: skip
_SHOE_COLOURS = ("black", "black", "white", "white", "brown", "grey", "navy", "red", "beige")


@dataclass(frozen=True)
class Body:
    """Build, relative to the torso length S: limb thickness, shoulder/waist/hip shape, head."""

    thickness: float
    shoulders: float
    waist: float
    hips: float
    head: float
    height: float


@dataclass(frozen=True)
class Hair:
    """Hair style, colour and, for long styles, the length below the head (in S)."""

    style: str
    colour: Colour
    length: float
    volume: float


@dataclass(frozen=True)
class Upper:
    """Top: style (tank, tshirt, longsleeve, jacket), sleeve type and length, hem, pattern."""

    style: str
    sleeves: str
    sleeve_length: float
    hem: float
    tucked: bool
    neckline: float
    ease: float
    pattern: Pattern
    logo: Logo | None
    inner: Colour | None
    placket: bool


@dataclass(frozen=True)
class Lower:
    """Bottom: kind (pants, shorts, skirt), named length, length value, fit, pattern.

    ``length`` is a fraction of the shin (pants), of the thigh (shorts), or of the whole leg
    below the hips (skirt).
    """

    kind: str
    length_name: str
    length: float
    ease: float
    flare: float
    waist: float
    pattern: Pattern
    belt: Colour | None


@dataclass(frozen=True)
class Shoes:
    """Shoe upper and sole colours."""

    colour: Colour
    sole: Colour


@dataclass(frozen=True)
class Socks:
    """Socks or knee socks shown below shorts, skirts and cropped trousers (height in shins)."""

    colour: Colour
    height: float


@dataclass(frozen=True)
class Outfit:
    """Everything fixed about one synthetic person."""

    identity: int
    skin: Colour
    body: Body
    hair: Hair
    upper: Upper
    lower: Lower
    shoes: Shoes
    socks: Socks | None

    def garment_types(self) -> dict[str, str]:
        """The garment classes the pseudo-label search is scored on."""
        return {
            "sleeves": self.upper.sleeves,
            "upper": self.upper.style,
            "lower": self.lower.kind,
            "lower_length": self.lower.length_name,
            "hair": self.hair.style,
        }

    def to_dict(self) -> dict:
        """A JSON-serialisable description (tuples become lists)."""
        return {"types": self.garment_types(), **asdict(self)}


# --------------------------------------------------------------------------------------------
# Sampling


def balanced_types(seed: int, identity: int) -> tuple[str, str]:
    """(sleeves, lower) for an identity: each block of 9 identities holds every pair once."""
    block, slot = divmod(identity, len(SLEEVE_TYPES) * len(LOWER_TYPES))
    order = np.random.default_rng([seed, block, 9]).permutation(
        len(SLEEVE_TYPES) * len(LOWER_TYPES)
    )
    sleeves, lower = divmod(int(order[slot]), len(LOWER_TYPES))
    return SLEEVE_TYPES[sleeves], LOWER_TYPES[lower]


def _colour(values) -> Colour:
    return tuple(round(float(np.clip(c, 0.0, 1.0)), 3) for c in values)  # type: ignore[return-value]


def _jitter(rng: np.random.Generator, colour: Colour, amount: float = 0.04) -> Colour:
    return _colour(
        np.asarray(colour) * rng.uniform(1 - amount, 1 + amount) + rng.normal(0, amount / 2, 3)
    )


def _cloth(rng: np.random.Generator, names=None, avoid: Colour | None = None) -> Colour:
    names = names or tuple(_CLOTH)
    for _ in range(8):
        colour = _jitter(rng, _CLOTH[names[int(rng.integers(len(names)))]])
        if avoid is None or np.abs(np.subtract(colour, avoid)).sum() > 0.45:
            return colour
    return colour


def _skin(rng: np.random.Generator) -> Colour:
    position = rng.uniform(0, len(_SKIN_RAMP) - 1)
    low = int(position)
    high = min(low + 1, len(_SKIN_RAMP) - 1)
    tone = _SKIN_RAMP[low] + (position - low) * (_SKIN_RAMP[high] - _SKIN_RAMP[low])
    return _colour(tone + rng.normal(0, 0.012, 3))


def _waves(rng: np.random.Generator, count: int, wavelength: tuple[float, float]):
    waves = []
    for _ in range(count):
        k = 2 * math.pi / rng.uniform(*wavelength)
        theta = rng.uniform(0, 2 * math.pi)
        waves.append(
            (
                round(k * math.cos(theta), 3),
                round(k * math.sin(theta), 3),
                round(rng.uniform(0, 6.283), 3),
            )
        )
    return tuple(waves)


def sample_pattern(rng: np.random.Generator, kinds: dict[str, float], base: Colour) -> Pattern:
    """A pattern of a kind drawn from ``kinds`` (name -> weight) on ``base``."""
    names = list(kinds)
    weights = np.array([kinds[n] for n in names], dtype=float)
    kind = names[int(rng.choice(len(names), p=weights / weights.sum()))]
    second = _cloth(rng, avoid=base)
    if kind == "solid":
        return Pattern("solid", (base,))
    if kind == "stripes":
        return Pattern(
            "stripes",
            (base, second),
            period=float(rng.choice([0.07, 0.1, 0.14, 0.2, 0.3, 0.42])),
            duty=round(float(rng.uniform(0.3, 0.6)), 2),
            angle=float(rng.choice([0.0, 0.0, 0.0, 90.0, 90.0, 45.0, -45.0, 30.0, -60.0])),
        )
    if kind == "checks":
        style = "plaid" if rng.random() < 0.45 else "gingham"
        return Pattern(
            "checks",
            (base, second, _cloth(rng, avoid=second)),
            period=float(rng.choice([0.1, 0.15, 0.22, 0.3])),
            duty=0.5,
            angle=float(rng.choice([0.0, 0.0, 45.0])),
            style=style,
        )
    if kind == "dots":
        return Pattern(
            "dots",
            (base, second),
            period=float(rng.choice([0.12, 0.18, 0.26])),
            duty=round(float(rng.uniform(0.2, 0.34)), 2),
            angle=float(rng.choice([0.0, 30.0])),
        )
    style = "camo" if rng.random() < 0.5 else "heather"
    wavelength = (0.25, 0.6) if style == "camo" else (0.08, 0.2)
    return Pattern(
        "noise",
        (base, second, _cloth(rng, avoid=second)),
        style=style,
        waves=_waves(rng, 4, wavelength),
    )


def _logo(rng: np.random.Generator, base: Colour) -> Logo:
    return Logo(
        shape=str(rng.choice(["circle", "ring", "star", "diamond", "bars"])),
        colour=_cloth(rng, avoid=base),
        size=round(float(rng.uniform(0.1, 0.17)), 3),
        drop=round(float(rng.uniform(0.28, 0.4)), 3),
    )


def _upper(rng: np.random.Generator, sleeves: str) -> Upper:
    style = {"none": "tank", "short": "tshirt"}.get(sleeves) or (
        "jacket" if rng.random() < 0.4 else "longsleeve"
    )
    base = _cloth(rng)
    pattern = sample_pattern(
        rng, {"solid": 0.32, "stripes": 0.24, "checks": 0.16, "dots": 0.12, "noise": 0.16}, base
    )
    length = {"none": 0.0, "short": float(rng.uniform(0.35, 0.65)), "long": 1.0}[sleeves]
    return Upper(
        style=style,
        sleeves=sleeves,
        sleeve_length=round(length, 3),
        hem=round(
            float(rng.uniform(1.02, 1.14) if style == "jacket" else rng.uniform(0.95, 1.08)), 3
        ),
        tucked=bool(rng.random() < 0.25) and style != "jacket",
        neckline=round(float(rng.uniform(0.06, 0.2) if style != "jacket" else 0.1), 3),
        ease=round(float(rng.uniform(0.01, 0.035) if style != "jacket" else 0.04), 3),
        pattern=pattern,
        logo=_logo(rng, base) if style != "jacket" and rng.random() < 0.4 else None,
        inner=_cloth(rng, avoid=base) if style == "jacket" else None,
        placket=style == "longsleeve" and bool(rng.random() < 0.5),
    )


def _lower(rng: np.random.Generator, kind: str, top: Colour) -> Lower:
    """A bottom whose colour stands apart from the top's base colour ``top``."""
    if kind == "skirt":
        base = _cloth(rng, avoid=top)
        kinds = {"solid": 0.45, "stripes": 0.12, "checks": 0.18, "dots": 0.12, "noise": 0.13}
        name = str(rng.choice(["mini", "knee", "midi"]))
        length = {"mini": (0.24, 0.32), "knee": (0.45, 0.55), "midi": (0.66, 0.78)}[name]
    else:
        base = _cloth(rng, _LOWER_COLOURS, avoid=top)
        kinds = {"solid": 0.62, "noise": 0.22, "checks": 0.1, "stripes": 0.06}
        if kind == "pants":
            name = str(rng.choice(["long", "long", "cropped", "capri"]))
            length = {"long": (1.0, 1.0), "cropped": (0.8, 0.88), "capri": (0.5, 0.65)}[name]
        else:
            name = str(rng.choice(["short", "bermuda"]))
            length = {"short": (0.35, 0.5), "bermuda": (0.75, 0.92)}[name]
    return Lower(
        kind=kind,
        length_name=name,
        length=round(float(rng.uniform(*length)), 3),
        ease=round(float(rng.uniform(0.02, 0.06)), 3),
        flare=round(float(rng.uniform(1.1, 1.6)), 3),
        waist=round(float(rng.uniform(0.8, 0.88)), 3),
        pattern=sample_pattern(rng, kinds, base),
        belt=_cloth(rng, ("black", "brown", "brown", "charcoal", "beige"))
        if kind != "skirt" and rng.random() < 0.35
        else None,
    )


def _hair(rng: np.random.Generator) -> Hair:
    style = HAIR_STYLES[int(rng.choice(len(HAIR_STYLES), p=_HAIR_WEIGHTS))]
    names = list(_HAIR_COLOURS)
    weights = np.array([_HAIR_COLOURS[n][1] for n in names])
    colour = _HAIR_COLOURS[names[int(rng.choice(len(names), p=weights / weights.sum()))]][0]
    length = {"long": rng.uniform(0.35, 0.9), "ponytail": rng.uniform(0.3, 0.55)}.get(style, 0.0)
    return Hair(
        style,
        _jitter(rng, colour, 0.06),
        round(float(length), 3),
        round(float(rng.uniform(0.04, 0.12)), 3),
    )


def sample_outfit(rng: np.random.Generator, identity: int, sleeves: str, lower: str) -> Outfit:
    """Draw one identity's skin, build, hair and clothes with the given garment types."""
    body = Body(
        thickness=round(float(rng.uniform(0.88, 1.15)), 3),
        shoulders=round(float(rng.uniform(0.85, 1.15)), 3),
        waist=round(float(rng.uniform(0.0, 0.06)), 3),
        hips=round(float(rng.uniform(0.9, 1.25)), 3),
        head=round(float(rng.uniform(0.93, 1.07)), 3),
        height=round(float(rng.uniform(0.92, 1.05)), 3),
    )
    upper = _upper(rng, sleeves)
    lower_garment = _lower(rng, lower, upper.pattern.colours[0])
    shoe = _cloth(rng, _SHOE_COLOURS)
    sole = _cloth(rng, ("white", "black", "beige", "grey"))
    socks = None
    if rng.random() < 0.35:
        socks = Socks(
            _cloth(rng, ("black", "charcoal", "navy", "white", "white", "grey", "red")),
            round(float(rng.uniform(0.15, 0.6)), 3),
        )
    return Outfit(
        identity=identity,
        skin=_skin(rng),
        body=body,
        hair=_hair(rng),
        upper=upper,
        lower=lower_garment,
        shoes=Shoes(shoe, sole),
        socks=socks,
    )
