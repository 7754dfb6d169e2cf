"""Small data builders shared by tests (on sys.path through pytest's ``pythonpath``)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from spt_core import labels as lb
from spt_core import skeleton as sk
from spt_core.io_utils import write_image_rgb

SIZE = (32, 16)


def tiny_pose(shift: float) -> np.ndarray:
    """A torso-only pose shifted right by ``shift`` pixels."""
    pose = sk.missing_pose()
    pose[sk.NECK] = (8 + shift, 6)
    pose[[sk.R_SHOULDER, sk.L_SHOULDER, sk.R_HIP, sk.L_HIP]] = [
        [5 + shift, 7],
        [11 + shift, 7],
        [6 + shift, 17],
        [10 + shift, 17],
    ]
    return pose


def make_tiny_dataset(root: Path, with_torso_less: bool = True) -> dict[str, np.ndarray]:
    """Three usable 32x16 samples of two people, one torso-less row, one missing image."""
    rng = np.random.default_rng(0)
    poses = {}
    for i, name in enumerate(["0001_00.png", "0001_01.png", "0002_00.png"]):
        write_image_rgb(root / "images" / name, rng.integers(0, 255, SIZE + (3,), dtype=np.uint8))
        parsing = np.zeros(SIZE, np.uint8)
        parsing[5:20, 4:12] = 3
        lb.write_parsing(root / "parsing" / name, parsing)
        poses[name] = tiny_pose(i)
    if with_torso_less:
        headless = tiny_pose(0)
        headless[sk.L_HIP] = np.nan
        write_image_rgb(root / "images" / "0003_00.png", np.zeros(SIZE + (3,), np.uint8))
        poses["0003_00.png"] = headless
    poses["0004_00.png"] = tiny_pose(1)  # annotated, but its image file is missing
    sk.write_pose_csv(root / "annotations.csv", poses)
    (root / "pairs.csv").write_text(
        "from,to\n0001_00.png,0001_01.png\n0001_01.png,0001_00.png\n0003_00.png,0002_00.png\n"
    )
    return poses


#: (hip, knee, ankle) and (shoulder, elbow, wrist) of each side with its skin label.
_LEGS = (((sk.R_HIP, sk.R_KNEE, sk.R_ANKLE), 9), ((sk.L_HIP, sk.L_KNEE, sk.L_ANKLE), 8))
_ARMS = (((sk.R_SHOULDER, sk.R_ELBOW, sk.R_WRIST), 7), ((sk.L_SHOULDER, sk.L_ELBOW, sk.L_WRIST), 6))


def draw_parsing(
    pose: np.ndarray, size: tuple[int, int], sleeves: str = "long", legwear: str = "pants"
) -> np.ndarray:
    """A plain parsing map drawn from a pose: capsules and polygons, no synthetic renderer.

    Args:
        pose: (18, 2) pose with every body joint present.
        size: (H, W).
        sleeves: "long" (arms are upper clothes), "short" (upper arms only) or "none".
        legwear: "pants", "shorts" (thighs only) or "skirt" (a trapezoid over the thighs).
    """
    import cv2

    parsing = np.zeros(size, np.uint8)
    width = max(2, int(0.25 * np.linalg.norm(pose[sk.R_SHOULDER] - pose[sk.R_HIP])))

    def limb(a: int, b: int, label: int) -> None:
        pa = tuple(int(round(v)) for v in pose[a])
        pb = tuple(int(round(v)) for v in pose[b])
        cv2.line(parsing, pa, pb, int(label), thickness=width)

    def limbs(chains, labels: tuple[int, int]) -> None:
        """The upper and lower segment of each (joints, skin label) chain; 0 draws skin."""
        for (top, middle, end), skin in chains:
            limb(top, middle, labels[0] or skin)
            limb(middle, end, labels[1] or skin)

    limbs(_LEGS, {"pants": (4, 4), "shorts": (4, 0), "skirt": (0, 0)}[legwear])
    if legwear == "skirt":
        hips = pose[[sk.R_HIP, sk.L_HIP]]
        knees = pose[[sk.R_KNEE, sk.L_KNEE]]
        flare = (knees - hips.mean(0)) * 1.3 + hips.mean(0)
        polygon = np.array([hips[0], hips[1], flare[1], flare[0]]).round().astype(np.int32)
        cv2.fillPoly(parsing, [polygon], 5)
    torso = pose[[sk.R_SHOULDER, sk.L_SHOULDER, sk.L_HIP, sk.R_HIP]].round().astype(np.int32)
    cv2.fillPoly(parsing, [torso], 3)
    limbs(_ARMS, {"long": (3, 3), "short": (3, 0), "none": (0, 0)}[sleeves])
    neck = pose[sk.NECK]
    head = neck + (neck - (pose[sk.R_HIP] + pose[sk.L_HIP]) / 2) * 0.35
    radius = max(2, int(width * 0.9))
    centre = tuple(int(round(v)) for v in head)
    cv2.circle(parsing, centre, radius, 1, -1)
    cv2.ellipse(parsing, centre, (radius, radius), 0, 180, 360, 2, -1)
    return parsing


def body_poses(count: int, seed: int = 0) -> np.ndarray:
    """``count`` real Market-1501 poses with every body joint (1..13) present."""
    from conftest import SHARED_POSES_DIR

    poses = sk.read_pose_csv(SHARED_POSES_DIR / "market-annotation-train.csv")
    full = np.stack([p for p in poses.values() if sk.present(p)[1:14].all()])
    rng = np.random.default_rng(seed)
    return full[rng.choice(len(full), size=count, replace=False)]


def quick_train(**changes):
    """A ``TrainConfig`` for a test run on the CPU: a few steps, every step logged, no
    previews, a constant learning rate; ``changes`` override any field."""
    from spt_core.config import TrainConfig

    short = dict(steps=4, batch_size=4, checkpoint_every=2, device="cpu")
    plain = dict(lr=2e-3, log_every=1, preview_every=0, decay_from=1.0)
    return TrainConfig(**{**short, **plain, **changes})


def spt_argv(*words, **options) -> list[str]:
    """The argument list of an ``spt`` command, written as at a shell: each text in ``words``
    is split at spaces, any other word (a path, a number) is one argument; then each option
    as ``--name value`` (``batch_size`` becomes ``--batch-size``; ``True``: a bare flag)."""
    argv = []
    for word in words:
        argv += word.split() if isinstance(word, str) else [str(word)]
    for name, value in options.items():
        flag = "--" + name.replace("_", "-")
        argv += [flag] if value is True else [flag, str(value)]
    return argv


def synthetic_data(tmp_path_factory, name: str, count: int, seed: int, **options) -> Path:
    """A fresh ``<name>/data`` folder of ``count`` synthetic people made on one worker."""
    from spt_core.data import synthetic

    data = tmp_path_factory.mktemp(name) / "data"
    synthetic.generate_dataset(data, count=count, seed=seed, workers=1, **options)
    return data


def synthetic_data_fixture(name: str, count: int, seed: int, **options):
    """A module-scoped fixture giving the folder of :func:`synthetic_data`, made once."""
    import pytest

    @pytest.fixture(scope="module")
    def data(tmp_path_factory) -> Path:
        return synthetic_data(tmp_path_factory, name, count, seed, **options)

    return data


def searched_people(tmp_path_factory, name: str) -> Path:
    """24 synthetic people (seed 5) with the pseudo labels of the default search saved in the
    dataset folder, where the editor and the trainer factory look for them."""
    from spt_core.config import SearchConfig
    from spt_core.data.dataset import PersonDataset
    from spt_core.search.engine import PseudoLabelSearch, SearchInputs

    data = synthetic_data(tmp_path_factory, name, count=24, seed=5)
    search = PseudoLabelSearch(SearchConfig(), device="cpu")
    search.run(SearchInputs.from_dataset(PersonDataset(data)), data / "pseudo_labels.npz")
    return data


def person_at(samples, index: int):
    """Row ``index`` of a ``PersonSamples`` as a pipeline ``Person``."""
    from spt_core.pipeline import Person

    return Person(samples.images[index], samples.poses[index], samples.parsings[index])


def round_weights_to_float16(*nets) -> None:
    """Rounds every floating-point weight of ``nets`` to float16 and back, in place: what a
    model saved with half-precision storage loads as."""
    import torch

    for net in nets:
        with torch.no_grad():
            for value in net.state_dict().values():
                if value.is_floating_point():
                    value.copy_(value.half().float())
