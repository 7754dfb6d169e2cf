"""A reference for the appearance network's applications (method §8), for tests only.

Reposing, clothing texture transfer and controlled manipulation (an edited parsing map) are
all the same generator with different inputs. These helpers build the generator's inputs by
hand, one person at a time, from numpy images (uint8 RGB), label maps and poses, without
``spt_core.models.inputs``; the pipeline's batched path is tested against them.
"""

from __future__ import annotations

import numpy as np

from spt_core import labels as lb


def _tensors(image, parsing, pose, size, device):
    import torch

    from spt_core.skeleton import pose_heatmaps_torch

    image_t = torch.from_numpy(np.ascontiguousarray(image)).to(device).permute(2, 0, 1)[None]
    labels = torch.from_numpy(lb.check_labels(parsing).astype(np.int64)).to(device)[None]
    heatmaps = pose_heatmaps_torch(
        torch.from_numpy(np.asarray(pose, np.float32))[None].to(device), size
    )
    return image_t.float() / 127.5 - 1.0, lb.one_hot_torch(labels)[:, 1:], heatmaps


def render(
    generator,
    source_image: np.ndarray,
    source_parsing: np.ndarray,
    source_pose: np.ndarray,
    target_parsing: np.ndarray,
    target_pose: np.ndarray,
    device="cpu",
) -> np.ndarray:
    """The source person drawn with ``target_parsing`` in ``target_pose`` ((H, W, 3) uint8).

    Args:
        generator: an appearance generator (eval mode) working at the images' size.
        source_image: (H, W, 3) uint8 RGB.
        source_parsing, target_parsing: (H, W) label maps 0..9.
        source_pose, target_pose: (18, 2) poses (x, y; NaN missing).
    """
    import torch

    from spt_core.metrics import to_uint8
    from spt_core.models.inputs import low_res_inputs, part_warp_inputs

    size = source_image.shape[:2]
    for name, labels in (("source_parsing", source_parsing), ("target_parsing", target_parsing)):
        if labels.shape != size:
            raise ValueError(f"{name} is {labels.shape}, the image is {size}")
    image, parsing, heatmaps = _tensors(source_image, source_parsing, source_pose, size, device)
    _, target, target_heatmaps = _tensors(source_image, target_parsing, target_pose, size, device)
    thetas, masks = part_warp_inputs(source_pose, target_pose, size, device)
    extra = low_res_inputs(
        generator, parsing, target, np.asarray(source_pose)[None], np.asarray(target_pose)[None]
    )
    with torch.no_grad():
        out = generator(image, parsing, heatmaps, target, target_heatmaps, thetas, masks, **extra)
    return to_uint8(out)[0]


def manipulate(
    generator,
    image: np.ndarray,
    parsing: np.ndarray,
    pose: np.ndarray,
    edited_parsing: np.ndarray,
    device="cpu",
) -> np.ndarray:
    """Controlled manipulation: the same person and pose re-rendered with an edited map
    (e.g. upper-clothes labels painted over the arms for longer sleeves)."""
    return render(generator, image, parsing, pose, edited_parsing, pose, device)


def transfer_clothes(
    generator,
    clothes_image: np.ndarray,
    clothes_parsing: np.ndarray,
    clothes_pose: np.ndarray,
    onto_image: np.ndarray,
    onto_parsing: np.ndarray,
    onto_pose: np.ndarray,
    garments: tuple[int, ...] = lb.GARMENT_LABELS,
    device="cpu",
) -> np.ndarray:
    """Clothing texture transfer: person B (``onto``) wearing A's (``clothes``) garments.

    The generator renders A's appearance into B's parsing and pose; the result is kept only
    where B's map shows one of ``garments``. Everywhere else (face, hair, skin, background)
    B's own pixels stay: the compositing step the paper leaves unspecified (method §8).
    """
    rendered = render(
        generator, clothes_image, clothes_parsing, clothes_pose, onto_parsing, onto_pose, device
    )
    region = np.isin(onto_parsing, np.asarray(garments))[..., None]
    return np.where(region, rendered, onto_image).astype(np.uint8)
