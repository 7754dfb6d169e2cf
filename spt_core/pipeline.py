"""SPTPipeline: inference with a trained model, the one entry point of the CLI and the editor.

A model is a directory written by :meth:`SPTPipeline.save_pretrained` (``spt export``)::

    MODEL/model.json                 {"format": 1, "kind": "spt-model", "size": [H, W], ...}
    MODEL/semantic/config.json       the semantic generator's architecture (kind "semantic")
    MODEL/semantic/generator.safetensors
    MODEL/appearance/config.json     the appearance generator's architecture
    MODEL/appearance/generator.safetensors
    MODEL/MODEL_CARD.md              (optional) data, steps, time, metrics

``from_pretrained`` also takes an end-to-end run or checkpoint (``spt train joint``) directly.
Images are uint8 RGB, poses float32 (18, 2) (x, y) with NaN for missing joints, parsings uint8
label maps 0..9. Inputs of another size than the model's are letterboxed (resized, padded with
black) to it first, as :meth:`SPTPipeline.fit` does; results are at the model's size. Every call
also takes batches: a leading batch axis on every array.
"""

from __future__ import annotations

import copy
import json
import os
import threading
from pathlib import Path

import numpy as np

from spt_core import labels as lb
from spt_core import skeleton as sk
from spt_core.errors import SptError
from spt_core.letterbox import Letterbox, scaled_copy
from spt_core.person import Person, ReposeResult

__all__ = ["Person", "ReposeResult", "SPTPipeline", "ModelNotFoundError", "default_model_path"]

MODEL_FILE = "model.json"
MODEL_KIND = "spt-model"
MODEL_FORMAT = 1
DEFAULT_MODEL_NAME = "spt-synth-128x64"
CARD_FILE = "MODEL_CARD.md"


class ModelNotFoundError(SptError):
    """No model where one was asked for (or no default model shipped)."""


def default_model_path() -> Path:
    """``$SPT_MODEL`` if set, else the model shipped in ``spt_core/resources/models``."""
    override = os.environ.get("SPT_MODEL")
    if override:
        return Path(override)
    from spt_core.shipped import MODELS_DIR

    return MODELS_DIR / DEFAULT_MODEL_NAME


def _as_batch(person: Person) -> tuple[Person, bool]:
    if person.batched:
        return person, True
    return Person(person.image[None], np.asarray(person.pose)[None], person.parsing[None]), False


class SPTPipeline:
    """Semantic network + appearance network, inference only.

    Build it with :meth:`from_pretrained` (a model directory, a joint run, or the shipped
    default), :meth:`from_checkpoints` (two separately trained networks) or :meth:`random`
    (untrained, for tests). Calls are serialised by a lock, so one pipeline can serve a worker
    thread while another thread holds a reference.

    ``keep_unchanged`` puts the source's pixels back where nothing changed and ``fill_uncovered``
    fills the place the person left (``spt_core/unchanged.py``, decision 0007; on by default).
    ``limb_labels`` puts what the geometry knows into the predicted map: moved limbs carry the
    source's limb labels, a still body keeps the source's map (``spt_core/limb_labels.py``,
    decisions 0008, 0010); ``limb_pixels`` pastes the moved limbs' own pixels
    (``spt_core/limb_pixels.py``, decision 0010; with ``keep_unchanged`` only). All on by
    default. ``map_smoothing`` averages the semantic network's probabilities over that many
    pixels square before use (3; 1 = off), which removes its thin stripes (decision 0010).
    """

    def __init__(
        self,
        semantic,
        semantic_config,
        appearance,
        appearance_config,
        device,
        name: str = "",
        path: Path | None = None,
        keep_unchanged: bool = True,
        fill_uncovered: bool = True,
        limb_labels: bool = True,
        limb_pixels: bool = True,
        map_smoothing: int = 3,
    ):
        self.map_smoothing = map_smoothing
        self.keep_unchanged, self.limb_labels, self.limb_pixels = (
            keep_unchanged,
            limb_labels,
            limb_pixels,
        )
        self.fill_uncovered = fill_uncovered
        self.semantic, self.semantic_config = semantic.eval(), semantic_config
        self.appearance, self.appearance_config = appearance.eval(), appearance_config
        self.device = device
        self.name = name
        self.path = path
        self._lock = threading.Lock()
        if not scaled_copy(semantic_config.size, appearance_config.size):
            raise SptError(
                f"{name or 'model'}: the semantic network works at {semantic_config.size} and "
                f"the appearance network at {appearance_config.size}; this pipeline needs one "
                "size for both, or the semantic network at a scaled copy of the appearance "
                "network's (e.g. 128x128 for a 256x256 model: its map is upsampled)"
            )

    # ---- construction ----------------------------------------------------------------------

    @classmethod
    def from_pretrained(cls, path: str | Path | None = None, device="auto") -> SPTPipeline:
        """Load a model directory, an end-to-end run/checkpoint, or (``None``) the default.

        Raises:
            ModelNotFoundError: nothing at ``path`` (or no default model shipped).
            CheckpointError: a directory that is not a model, or weights that do not fit.
        """
        from spt_core.devices import resolve_device
        from spt_core.models.checkpoint import CheckpointError, read_config, resolve_checkpoint
        from spt_core.models.loading import load_joint_generators

        path = default_model_path() if path is None else Path(path)
        device = resolve_device(device)
        if not path.exists():
            raise ModelNotFoundError(
                f"{path}: no model there (train one with `spt train joint` and `spt export`, "
                "or point SPT_MODEL / --model at a model directory)"
            )
        if (path / MODEL_FILE).is_file():
            return cls._from_model_dir(path, device)
        checkpoint = resolve_checkpoint(path)
        kind = read_config(checkpoint).get("kind")
        if kind != "joint":
            raise CheckpointError(
                f"{path}: a {kind!r} run is one network of a model; a model needs both. Train "
                "the whole recipe with Tools > Train a model (`spt train recipe`), which ends "
                "with a model directory, or export two runs with `spt export --semantic RUN "
                "--appearance RUN --out MODEL`"
            )
        semantic, s_cfg, appearance, a_cfg = load_joint_generators(checkpoint, device)
        return cls(semantic, s_cfg, appearance, a_cfg, device, checkpoint.name, checkpoint)

    @classmethod
    def from_checkpoints(
        cls, semantic: str | Path, appearance: str | Path, device="auto"
    ) -> SPTPipeline:
        """A two-stage model from a semantic and an appearance run (or checkpoint)."""
        from spt_core.devices import resolve_device
        from spt_core.models.loading import load_appearance_generator, load_semantic_generator

        device = resolve_device(device)
        s_net, s_cfg = load_semantic_generator(semantic, device)
        a_net, a_cfg = load_appearance_generator(appearance, device)
        return cls(
            s_net, s_cfg, a_net, a_cfg, device, f"{Path(semantic).name}+{Path(appearance).name}"
        )

    @classmethod
    def random(
        cls,
        size: tuple[int, int] = (128, 64),
        seed: int = 0,
        base_channels: int = 16,
        max_channels: int = 64,
        device="cpu",
    ) -> SPTPipeline:
        """Untrained networks (for tests and development only; never a shipped model)."""
        import torch

        from spt_core.config import AppearanceNetConfig, SemanticNetConfig
        from spt_core.devices import resolve_device
        from spt_core.models.loading import build_network

        device = resolve_device(device)
        # The deepest U-Net (at most 5 levels) whose strides divide both sides.
        depth = next(d for d in (5, 4, 3, 2, 1) if size[0] % 2**d == 0 and size[1] % 2**d == 0)
        torch.manual_seed(seed)
        s_cfg = SemanticNetConfig(
            size=tuple(size), base_channels=base_channels, max_channels=max_channels, depth=depth
        )
        a_cfg = AppearanceNetConfig(
            size=tuple(size),
            base_channels=base_channels,
            max_channels=max_channels,
            depth=depth,
            deformable_levels=min(4, depth),
        )
        semantic = build_network(s_cfg).to(device)
        appearance = build_network(a_cfg).to(device)
        return cls(semantic, s_cfg, appearance, a_cfg, device, f"random-{seed}")

    @classmethod
    def _from_model_dir(cls, path: Path, device) -> SPTPipeline:
        from spt_core.models.checkpoint import CheckpointError

        try:
            meta = json.loads((path / MODEL_FILE).read_text())
        except (json.JSONDecodeError, UnicodeDecodeError, OSError) as exc:
            raise CheckpointError(f"{path / MODEL_FILE}: unreadable ({exc})") from None
        if not isinstance(meta, dict):
            raise CheckpointError(f"{path / MODEL_FILE}: not a JSON object")
        if meta.get("kind") != MODEL_KIND or meta.get("format") != MODEL_FORMAT:
            raise CheckpointError(
                f"{path / MODEL_FILE}: not an SPT model of format {MODEL_FORMAT} "
                f"(kind {meta.get('kind')!r}, format {meta.get('format')!r})"
            )
        from spt_core.models.loading import load_appearance_generator, load_semantic_generator

        parts = [meta.get(key) for key in ("semantic", "appearance")]
        if not all(isinstance(part, str) for part in parts):
            raise CheckpointError(
                f"{path / MODEL_FILE}: needs 'semantic' and 'appearance' folder names"
            )
        semantic, s_cfg = load_semantic_generator(path / parts[0], device)
        appearance, a_cfg = load_appearance_generator(path / parts[1], device)
        return cls(semantic, s_cfg, appearance, a_cfg, device, meta.get("name", path.name), path)

    def save_pretrained(
        self,
        directory: str | Path,
        half: bool = True,
        card: str | None = None,
        meta: dict | None = None,
    ) -> Path:
        """Write a model directory atomically (float16 weights when ``half``; loading casts
        them back to float32, which loses nothing the networks can use)."""
        import shutil
        import uuid

        from spt_core.config import to_dict
        from spt_core.models.checkpoint import move_into_place, save_checkpoint

        directory = Path(directory)
        directory.parent.mkdir(parents=True, exist_ok=True)
        staging = directory.parent / f".{directory.name}.{uuid.uuid4().hex[:8]}.tmp"
        try:
            for name, net, cfg in (
                ("semantic", self.semantic, self.semantic_config),
                ("appearance", self.appearance, self.appearance_config),
            ):
                module = copy.deepcopy(getattr(net, "module", net)).half() if half else net
                save_checkpoint(
                    staging / name, name, {"model": to_dict(cfg)}, {"generator": module}
                )
            header = {
                "format": MODEL_FORMAT,
                "kind": MODEL_KIND,
                "name": directory.name,
                "size": list(self.size),
                "semantic": "semantic",
                "appearance": "appearance",
                "dtype": "float16" if half else "float32",
                **(meta or {}),
            }
            (staging / MODEL_FILE).write_text(json.dumps(header, indent=2, sort_keys=True))
            if card is not None:
                (staging / CARD_FILE).write_text(card)
            move_into_place(staging, directory)
        finally:
            if staging.exists():
                shutil.rmtree(staging, ignore_errors=True)
        return directory

    # ---- inputs ---------------------------------------------------------------------------

    @property
    def size(self) -> tuple[int, int]:
        """(H, W) the model works at."""
        return tuple(self.appearance_config.size)

    def letterbox(self, frame: tuple[int, int]) -> Letterbox:
        """The mapping from a person's frame (H, W) into the model's."""
        return Letterbox.fit(tuple(frame), self.size)

    def fit(self, person: Person) -> Person:
        """The person letterboxed to the model's size (unchanged when already that size)."""
        person.check()
        batch, was_batched = _as_batch(person)
        letterbox = self.letterbox(batch.image.shape[1:3])
        batch = Person(
            letterbox.images(batch.image),
            letterbox.poses(np.asarray(batch.pose, np.float32)),
            letterbox.labels(batch.parsing),
        )
        return batch if was_batched else Person(batch.image[0], batch.pose[0], batch.parsing[0])

    def fit_pose(self, pose: np.ndarray, frame: tuple[int, int], count: int) -> np.ndarray:
        """(count, 18, 2) target poses moved from an image of size ``frame`` into the model's
        frame (letterboxed like :meth:`fit`); a single (18, 2) pose is shared by all."""
        # Checked before the float32 cast: booleans and 1e300 must not pass as 1.0 and inf.
        sk.check_pose(pose, tuple(frame), "target_pose")
        pose = np.asarray(pose, np.float32)
        if pose.shape == (sk.NUM_JOINTS, 2):
            pose = np.repeat(pose[None], count, axis=0)
        if pose.shape != (count, sk.NUM_JOINTS, 2):
            raise ValueError(f"target_pose must be (18, 2) or ({count}, 18, 2), got {pose.shape}")
        return self.letterbox(frame).poses(pose)

    # ---- inference ------------------------------------------------------------------------

    def predict_parsing(self, person: Person, target_pose: np.ndarray) -> np.ndarray:
        """The person's parsing in ``target_pose`` (argmax of the semantic network)."""
        batch, was_batched = _as_batch(self.fit(person))
        frame = person.image.shape[-3:-1]
        targets = self.fit_pose(target_pose, frame, len(batch.image))
        with self._lock:
            parsing = lb.argmax_labels(self._probabilities(batch, targets)).astype(np.uint8)
        return parsing if was_batched else parsing[0]

    def repose(self, person: Person, target_pose: np.ndarray) -> ReposeResult:
        """The person drawn in ``target_pose``: semantic network, then appearance network.

        ``target_pose`` is in the frame of ``person.image`` (a single pose, or one per person).
        """
        fitted = self.fit(person)
        batch, was_batched = _as_batch(fitted)
        frame = person.image.shape[-3:-1]
        targets = self.fit_pose(target_pose, frame, len(batch.image))
        with self._lock:
            probabilities = self._probabilities(batch, targets)
            images = self._render(batch, targets, probabilities[:, 1:])
        parsing = lb.argmax_labels(probabilities).astype(np.uint8)
        letterbox = self.letterbox(frame)
        if not was_batched:
            return ReposeResult(images[0], parsing[0], fitted, letterbox)
        return ReposeResult(images, parsing, fitted, letterbox)

    def render(
        self, person: Person, target_pose: np.ndarray, target_parsing: np.ndarray, keep: bool = True
    ) -> np.ndarray:
        """The person drawn with a given (e.g. painted) target parsing in ``target_pose``.

        Skips the semantic network. ``target_parsing`` is at the model's size (or, like the
        pose, in the person's frame: it is letterboxed the same way). ``keep=False`` redraws
        every pixel even when the pipeline keeps unchanged ones (``keep_unchanged``).
        """
        import torch

        batch, was_batched = _as_batch(self.fit(person))
        frame = person.image.shape[-3:-1]
        targets = self.fit_pose(target_pose, frame, len(batch.image))
        target_parsing = lb.check_labels(np.asarray(target_parsing))
        if target_parsing.ndim == 2:
            target_parsing = np.repeat(target_parsing[None], len(batch.image), axis=0)
        target_parsing = Letterbox.fit(target_parsing.shape[1:], self.size).labels(target_parsing)
        labels = torch.from_numpy(target_parsing.astype(np.int64)).to(self.device)
        with self._lock:
            images = self._render(batch, targets, lb.one_hot_torch(labels)[:, 1:].float(), keep)
        return images if was_batched else images[0]

    def transfer(
        self,
        clothes_from: Person,
        onto: Person,
        labels: tuple[int, ...] | list[int] = lb.GARMENT_LABELS,
        target_pose: np.ndarray | None = None,
    ) -> np.ndarray:
        """Person ``onto`` wearing the chosen garments of ``clothes_from``.

        The appearance network renders ``clothes_from``'s appearance into ``onto``'s parsing
        and pose; the result is kept where ``onto``'s map shows one of ``labels`` and ``onto``'s
        own pixels everywhere else (face, hair, skin, background, unchosen garments): the
        compositing step the paper leaves open (method §8).

        With ``target_pose`` (in ``onto``'s frame, like :meth:`repose`'s) the person is reposed
        as well: the semantic network predicts ``onto``'s map in that pose, the chosen garments
        are rendered from ``clothes_from`` into it, and everything else is ``onto`` rendered in
        that pose (:meth:`repose`'s image), since a new pose has no real pixels to keep.
        """
        batch_b, was_batched = _as_batch(self.fit(onto))
        batch_a, _ = _as_batch(self.fit(clothes_from))
        if len(batch_a.image) != len(batch_b.image):
            raise ValueError(
                f"clothes_from has {len(batch_a.image)} people, onto {len(batch_b.image)}"
            )
        chosen = lb.chosen_labels(labels)
        if target_pose is None:
            garments = self.render(batch_a, batch_b.pose, batch_b.parsing, keep=False)
            region = np.isin(batch_b.parsing, chosen)[..., None]
            out = np.where(region, garments, batch_b.image).astype(np.uint8)
            return out if was_batched else out[0]
        targets = self.fit_pose(target_pose, onto.image.shape[-3:-1], len(batch_b.image))
        with self._lock:
            probabilities = self._probabilities(batch_b, targets)
            # Both renders read the same soft map, so garments and the rest meet on its labels.
            own = self._render(batch_b, targets, probabilities[:, 1:])
            garments = self._render(batch_a, targets, probabilities[:, 1:], keep=False)
        region = np.isin(lb.argmax_labels(probabilities), chosen)[..., None]
        out = np.where(region, garments, own).astype(np.uint8)
        return out if was_batched else out[0]

    # ---- internals ------------------------------------------------------------------------

    def _probabilities(self, batch: Person, targets: np.ndarray):
        """(B, 10, H, W) soft target parsing (a torch tensor on the device).

        A semantic network at a smaller (proportional) size than the model's reads the maps and
        poses letterboxed to its size, and its probabilities are upsampled bilinearly (the
        paper predicts 256-px parsings at 128 px). With ``limb_labels`` the moved limbs carry
        the source's labels (decision 0008).
        """
        import torch

        from spt_core.models.inputs import SemanticInputs, resize_soft_map, smooth_soft_map

        inputs = SemanticInputs.build(
            self.semantic_config, self.size, batch.parsing, batch.pose, targets, self.device
        )
        with torch.inference_mode():
            probabilities = self.semantic.predict(*inputs.generator_args()).float()
            probabilities = resize_soft_map(probabilities, self.size)
            probabilities = smooth_soft_map(probabilities, self.map_smoothing)
        if self.limb_labels:
            from spt_core.limb_labels import correct_limbs

            probabilities = correct_limbs(probabilities, batch.parsing, batch.pose, targets)
        return probabilities

    def _render(
        self, batch: Person, targets: np.ndarray, target_parsing, keep: bool = True
    ) -> np.ndarray:
        """G_A's drawing of ``batch`` with ``target_parsing`` (B, 9, H, W) in ``targets``;
        with ``keep`` the unchanged source pixels put back (``keep_unchanged``) and the moved
        limbs' own pixels pasted (``limb_pixels``)."""
        import torch

        from spt_core.metrics import to_uint8
        from spt_core.models.inputs import AppearanceInputs, images_to_tensor

        labels = torch.from_numpy(batch.parsing.astype(np.int64)).to(self.device)
        source = images_to_tensor(batch.image, self.device)
        source_parsing = lb.one_hot_torch(labels)[:, 1:].float()
        inputs = AppearanceInputs.build(
            self.appearance,
            source,
            source_parsing,
            target_parsing.float(),
            np.asarray(batch.pose, np.float32),
            np.asarray(targets, np.float32),
            self.appearance_config.heatmap_sigma,
        )
        with torch.inference_mode():
            image = inputs.render(self.appearance)
            if keep and self.keep_unchanged:
                from spt_core.unchanged import put_back

                image = put_back(image, source, source_parsing, target_parsing, batch.pose,
                                 targets, self.fill_uncovered)  # fmt: skip
            if keep and self.keep_unchanged and self.limb_pixels:
                from spt_core.limb_pixels import paste_limbs
                from spt_core.models.inputs import with_background

                target = with_background(target_parsing.float())
                image = paste_limbs(image, batch.image, batch.parsing, target, batch.pose, targets)
            return to_uint8(image)
