"""``spt prepare``: a folder of photos -> a dataset in the PG2 layout (what ``spt synth`` writes).

Per photo: read and check it (:mod:`.photo`), find the pose and the person mask on a working
copy (:mod:`.detect`), frame the person at the model's size (:mod:`.framing`), make the
parsing (rules, or a trained parser), write ``images/<stem>.png``, ``parsing/<stem>.png`` and
``masks/<stem>.png``. At the end: ``annotations.csv``, ``pairs.csv`` (same-identity pairs:
the identity is the name up to the first ``_``) and ``prepare.json``, which records for every
photo where it came from and its framing, so results map back (:func:`pose_to_photo`).
A photo that cannot be used is skipped with its reason; the others are still written.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import numpy as np

from spt_core import labels as lb
from spt_core import skeleton as sk
from spt_core.data.dataset import identity_of
from spt_core.errors import DataError, SptError
from spt_core.io_utils import write_image_rgb, write_text_atomic
from spt_core.letterbox import Letterbox
from spt_core.prepare import photo as ph
from spt_core.prepare.detect import Detection
from spt_core.prepare.framing import frame_person
from spt_core.prepare.rules import rule_parsing

RECORD = "prepare.json"
VERSION = 1


class Detector(Protocol):
    """What :func:`prepare_photos` needs of a detector (:class:`~.detect.PoseDetector`)."""

    name: str

    def detect(self, image: np.ndarray) -> Detection | None: ...


class Parser(Protocol):
    """A trained parser (:class:`spt_core.train.parser.ParserPredictor`)."""

    name: str

    def predict(self, image: np.ndarray) -> np.ndarray: ...


@dataclass
class Prepared:
    """One photo at the model's size, with what is needed to map it back."""

    name: str
    image: np.ndarray
    pose: np.ndarray
    mask: np.ndarray
    parsing: np.ndarray
    framing: Letterbox
    info: dict


@dataclass
class PrepareReport:
    """What ``spt prepare`` did: photos written (with warnings) and photos skipped (why)."""

    out: Path
    written: dict[str, dict] = field(default_factory=dict)
    failed: dict[str, str] = field(default_factory=dict)

    def lines(self) -> list[str]:
        out = [f"wrote {len(self.written)} photo(s) to {self.out}, skipped {len(self.failed)}"]
        for name, info in self.written.items():
            for warning in info["warnings"]:
                out.append(f"  warning: {name}: {warning}")
        for name, reason in self.failed.items():
            out.append(f"  skipped: {name}: {reason}")
        return out


def detect_full(photo: ph.Photo, detector: Detector) -> Detection | None:
    """Detection on a working copy (longest side <= ``WORK_SIDE``), mapped to the full photo."""
    import cv2

    work, factor = ph.work_copy(photo.image)
    found = detector.detect(work)
    if found is None or factor == 1.0:
        return found
    height, width = photo.size
    pose = ((found.pose + 0.5) / factor - 0.5).astype(np.float32)
    pose[(pose[:, 0] > width - 1) | (pose[:, 1] > height - 1)] = np.nan
    mask = cv2.resize(found.mask, (width, height), interpolation=cv2.INTER_LINEAR)
    landmarks = found.landmarks.copy()
    landmarks[:, :2] = (landmarks[:, :2] + 0.5) / factor - 0.5
    return Detection(pose=sk.as_pose(pose), mask=mask, landmarks=landmarks)


def prepare_photo(
    photo: ph.Photo, size: tuple[int, int], detector: Detector, parser: Parser | None = None
) -> Prepared:
    """Pose, mask, framing and parsing of one photo.

    Raises:
        DataError: no person found in the photo.
    """
    found = detect_full(photo, detector)
    if found is None or not sk.present(found.pose).any():
        raise DataError(photo.path, "no person found (BlazePose detected no one)")
    framing = frame_person(found.pose, found.mask, photo.size, size)
    image = framing.apply_image(photo.image)
    mask = framing.apply_mask(found.mask)
    pose = framing.pose_to_target(found.pose)
    warnings = []
    if (mask >= 0.5).sum() < 0.01 * mask.size:
        # BlazePose found joints but its segmentation saw (almost) nobody: fall back on PG2's
        # pose mask (discs along the bones), radius 4 px per 128 px of height as in the method.
        mask = sk.pose_mask(pose, size, radius=max(2, round(4 * size[0] / 128))).astype(np.float32)
        warnings.append("the detector gave no person mask; the pose mask stands in for it")
    if parser is not None:
        parsing = lb.check_labels(parser.predict(image))
        # The parser sees the whole frame; the mask still says where the person is not.
        parsing[mask < 0.5] = lb.BACKGROUND
    else:
        parsing = rule_parsing(image, mask, pose)
    if not sk.has_torso(pose):
        missing = [sk.JOINT_NAMES[j] for j in sk.TORSO_JOINTS if not sk.present(pose)[j]]
        warnings.append(
            f"no {', '.join(missing)}: dataset readers filter rows without the four torso joints"
        )
    info = {
        "source": str(photo.path),
        "source_size": list(photo.size),
        "framing": framing.to_dict(),
        "joints": int(sk.present(pose).sum()),
        "notes": photo.notes,
        "warnings": warnings,
    }
    name = f"{photo.path.stem}.png"
    return Prepared(name, image, pose, mask, parsing, framing, info)


def _check_output(out: Path, overwrite: bool) -> None:
    if out.exists() and any(out.iterdir()):
        if not overwrite:
            raise FileExistsError(f"{out} is not empty; choose a new folder or pass --overwrite")
        if not (out / RECORD).is_file():
            raise FileExistsError(f"{out} holds files but no {RECORD}; refusing to overwrite it")


def _check_names(photos: list[Path]) -> None:
    seen: dict[str, Path] = {}
    for path in photos:
        if ":" in path.stem or "," in path.stem:
            raise DataError(path, "a photo name cannot hold ':' or ',' (the CSV separators)")
        if path.stem in seen:
            raise DataError(path, f"same name as {seen[path.stem].name}; rename one of them")
        seen[path.stem] = path


def prepare_photos(
    source: str | Path,
    out: str | Path,
    size: tuple[int, int],
    detector: Detector,
    parser: Parser | None = None,
    progress: Callable[[int, int, str], None] | None = None,
    overwrite: bool = False,
) -> PrepareReport:
    """Prepare every photo of ``source`` (a folder or one file) into the dataset ``out``.

    Args:
        source: folder of photos, or a single photo.
        out: output dataset folder (empty, missing, or a previous ``spt prepare`` output with
            ``overwrite``).
        size: (H, W) of the model (128x64 Market-like, 256x176 DeepFashion-like).
        detector: pose and mask detector (:class:`~.detect.PoseDetector`).
        parser: a trained parser; None uses the rules of :mod:`.rules`.
        progress: called as progress(done, total, photo name) after each photo.
        overwrite: allow writing over a previous ``spt prepare`` output.

    Returns:
        The report; photos that failed are listed there with their reason.

    Raises:
        DataError: no photo in ``source``, or two photos with the same name stem.
        FileExistsError: ``out`` holds other files.
    """
    out = Path(out)
    photos = ph.list_photos(source)
    _check_names(photos)
    _check_output(out, overwrite)
    report = PrepareReport(out=out)
    poses: dict[str, np.ndarray] = {}
    for done, path in enumerate(photos, start=1):
        try:
            prepared = prepare_photo(ph.load_photo(path), size, detector, parser)
        except SptError as exc:
            report.failed[path.name] = getattr(exc, "problem", str(exc))
        else:
            write_image_rgb(out / "images" / prepared.name, prepared.image)
            lb.write_parsing(out / "parsing" / prepared.name, prepared.parsing)
            mask = (np.clip(prepared.mask, 0, 1) * 255 + 0.5).astype(np.uint8)
            write_image_rgb(out / "masks" / prepared.name, np.repeat(mask[..., None], 3, axis=2))
            poses[prepared.name] = prepared.pose
            report.written[prepared.name] = prepared.info
        if progress is not None:
            progress(done, len(photos), path.name)
    _write_tables(out, poses, report, size, detector, parser)
    return report


def _write_tables(out: Path, poses, report: PrepareReport, size, detector, parser) -> None:
    out.mkdir(parents=True, exist_ok=True)
    sk.write_pose_csv(out / "annotations.csv", poses)
    names = list(poses)
    lines = ["from,to"] + [
        f"{a},{b}" for a in names for b in names if a != b and identity_of(a) == identity_of(b)
    ]
    write_text_atomic(out / "pairs.csv", "\n".join(lines) + "\n")
    record = {
        "generator": "spt_core.prepare",
        "version": VERSION,
        "size": list(size),
        "detector": detector.name,
        "parsing": "rules" if parser is None else parser.name,
        "photos": report.written,
        "failed": report.failed,
    }
    write_text_atomic(out / RECORD, json.dumps(record, indent=1) + "\n")


# --------------------------------------------------------------------------------------------
# Back to the photo


def read_record(out: str | Path) -> dict:
    """The ``prepare.json`` of a prepared dataset.

    Raises:
        DataError: missing or not valid JSON.
    """
    path = Path(out) / RECORD
    if not path.is_file():
        raise DataError(path, "not found (is this a folder written by spt prepare?)")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise DataError(path, f"not valid JSON ({exc.msg})", exc.lineno) from None


def framing_of(out: str | Path, name: str) -> Letterbox:
    """The framing of prepared image ``name`` (e.g. "me_front.png").

    Raises:
        DataError: no such image in ``prepare.json``.
    """
    photos = read_record(out)["photos"]
    if name not in photos:
        raise DataError(Path(out) / RECORD, f"no prepared image named {name!r}")
    return Letterbox.from_dict(photos[name]["framing"])


def pose_to_photo(out: str | Path, name: str, pose: np.ndarray) -> np.ndarray:
    """A pose in the model frame of prepared image ``name`` mapped onto the original photo."""
    return sk.as_pose(framing_of(out, name).to_source(sk.as_pose(pose)))


def result_to_photo(
    out: str | Path, name: str, result: np.ndarray, mask: np.ndarray | None = None
) -> np.ndarray:
    """A model-frame image (e.g. the person re-posed) pasted back into the original photo.

    Args:
        out: the prepared dataset folder.
        name: the prepared image's name.
        result: (H, W, 3) uint8 at the model's size.
        mask: optional (H, W) weights in [0, 1]: where to use ``result`` (everywhere if None).

    Raises:
        DataError: unknown name, or the original photo can no longer be read.
    """
    info = read_record(out)["photos"].get(name)
    if info is None:
        raise DataError(Path(out) / RECORD, f"no prepared image named {name!r}")
    photo = ph.load_photo(info["source"]).image
    return Letterbox.from_dict(info["framing"]).paste_back(result, photo, mask)
