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

from spt_core.data.synth.outfit import LOWER_TYPES, SLEEVE_TYPES, Outfit
from spt_core.data.synth.preview import write_preview
from spt_core.data.synth.writer import generate_dataset, image_name, make_outfit, render_image

__all__ = [
    "LOWER_TYPES",
    "SLEEVE_TYPES",
    "Outfit",
    "generate_dataset",
    "image_name",
    "make_outfit",
    "render_image",
    "write_preview",
]
