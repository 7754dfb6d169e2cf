"""Synthetic people in clothes with exact ground truth: the project's training and test world.

Each identity has a fixed outfit (skin, build, hair, top with no / short / long sleeves,
trousers / shorts / skirt, shoes, patterned cloth) and is drawn in several real poses taken from
a PG2 annotation CSV. The parsing map is the exact label of the visible surface at every pixel;
the annotation is the exact pose drawn. Cloth moves with the body but folds differently in every
image, and the light is fixed in the image, so no part-wise affine warp maps one pose's image onto
another's.

The implementation lives in :mod:`spt_core.data.synth`; this module is its public face.
"""

from __future__ import annotations

import numpy as np

from spt_core.data.synth.background import random_background
from spt_core.data.synth.outfit import LOWER_TYPES, SLEEVE_TYPES, Outfit
from spt_core.data.synth.posing import classify_view
from spt_core.data.synth.preview import write_preview
from spt_core.data.synth.render import render_person
from spt_core.data.synth.writer import generate_dataset, image_name, make_outfit, render_image

__all__ = [
    "LOWER_TYPES",
    "SLEEVE_TYPES",
    "Outfit",
    "generate_dataset",
    "image_name",
    "make_outfit",
    "render_image",
    "render_parsing_at",
    "write_preview",
]


def render_parsing_at(
    seed: int, identity: int, pose: np.ndarray, size: tuple[int, int], rng_seed: int = 0
) -> np.ndarray:
    """The exact parsing of synthetic person ``identity`` (of a dataset made with ``seed``)
    drawn in ``pose``, with no perturbation: ground truth for any pose, e.g. to judge how close
    a pseudo label (another person's map in that pose) is to this person's true map there.
    """
    rng = np.random.default_rng([rng_seed, identity])
    outfit = make_outfit(seed, identity)
    background, _ = random_background(rng, size)
    _, parsing = render_person(
        background,
        outfit,
        np.asarray(pose, np.float32),
        classify_view(np.asarray(pose, np.float32), rng),
        rng,
    )
    return parsing
