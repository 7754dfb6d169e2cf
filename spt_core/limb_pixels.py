"""A moved limb keeps its own pixels, and a moved torso its garments' (decision 0010).

When an arm is raised, the appearance network has to draw a sleeve or a bare arm in a place
where the source has background, and its drawing is soft and speckled. The geometry knows
better for a limb: it is a rigid part, and its transform (:func:`spt_core.parts.part_affines`)
carries the source's own pixels of that limb (those nearest its bone,
:func:`spt_core.limb_labels.limb_owners`) to its new place. So after the network (and after the
unchanged pixels are put back), the moved limbs' own source pixels are pasted where they land
inside the limb's target mask and the target map shows the same label there (the torso's
garments likewise, by the torso's transform, where no limb landed): a limb the user
painted differently (a raised long sleeve painted as a bare arm) keeps the network's drawing
of the painted label. The edge is feathered inside the limb (its mask blurred, times the
mask) so the limb meets the network's pixels without a seam.
"""

from __future__ import annotations

import numpy as np

from spt_core import labels as lb
from spt_core.limb_labels import HEAD_LABELS, carry_parts
from spt_core.parts import DEFAULT_GEOMETRY, PartGeometry

#: The labels a moved torso carries: its garments. Its skin and hair stay the network's (a
#: neckline or long hair does not follow the torso's transform), and so does everything in a
#: limb's source mask (an arm held across the chest must not move with the torso).
TORSO_LABELS: tuple[int, ...] = lb.GARMENT_LABELS


def moved_limb_pixels(
    image: np.ndarray,
    parsing: np.ndarray,
    source_pose: np.ndarray,
    target_pose: np.ndarray,
    geometry: PartGeometry = DEFAULT_GEOMETRY,
) -> tuple[np.ndarray, np.ndarray]:
    """The source's moved limbs and torso garments, each moved by its part's transform
    (:func:`spt_core.limb_labels.carry_parts` with the picture and :data:`TORSO_LABELS`).

    Args:
        image: (H, W, C) source picture (any dtype; sampled bilinearly).
        parsing: (H, W) source labels.
        source_pose, target_pose: (18, 2) poses in that frame (NaN = missing).

    Returns:
        (picture (H, W, C) float32, labels (H, W) uint8): where a moved limb's own labelled
        pixels land inside its target mask, their colours and labels; then, where no limb
        landed, the moved torso's garments inside its target body mask; 0 elsewhere.
    """
    labels, picture = carry_parts(
        parsing, source_pose, target_pose, geometry, image=image, torso_labels=TORSO_LABELS,
        head_labels=HEAD_LABELS,
    )  # fmt: skip
    return picture, labels


def paste_limbs(
    output,
    source_images: np.ndarray,
    source_parsings: np.ndarray,
    target_labels,
    source_poses: np.ndarray,
    target_poses: np.ndarray,
):
    """``output`` (B, 3, H, W) in [-1, 1] with the moved limbs' own pixels pasted in
    (the module docstring).

    Args:
        source_images: (B, H, W, 3) uint8 pictures in the output's frame.
        source_parsings: (B, H, W) their labels.
        target_labels: (B, 10, H, W) target map, background first (soft allowed; its argmax
            decides whether a limb's label is still wanted there).
        source_poses, target_poses: (B, 18, 2) poses in that frame.
    """
    import torch

    from spt_core.unchanged import blur

    wanted = target_labels.argmax(1).cpu().numpy()
    pictures, alphas = [], []
    for b in range(len(source_images)):
        picture, labels = moved_limb_pixels(
            source_images[b], source_parsings[b], source_poses[b], target_poses[b]
        )
        pictures.append(picture)
        alphas.append((labels > 0) & (labels == wanted[b]))
    if not any(alpha.any() for alpha in alphas):
        return output
    device, dtype = output.device, output.dtype
    pasted = torch.from_numpy(np.stack(pictures)).to(device, dtype).permute(0, 3, 1, 2)
    pasted = pasted / 127.5 - 1.0
    # Soft towards the limb's edge, never past it: the network's outline stays outside.
    inside = torch.from_numpy(np.stack(alphas)[:, None]).to(device, dtype)
    alpha = blur(inside) * inside
    return alpha * pasted + (1.0 - alpha) * output
