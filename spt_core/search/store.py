"""The pseudo-label file: one .npz per search, keyed by a fingerprint of the data and config."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from spt_core.errors import DataError
from spt_core.io_utils import atomic_path

FORMAT_VERSION = 1
#: The file name a dataset's pseudo labels get by default (inside the dataset folder).
DEFAULT_PSEUDO_LABELS = "pseudo_labels.npz"


def fingerprint(names: list[str], poses: np.ndarray, parsings: np.ndarray, config: dict) -> str:
    """SHA-256 over the sample names, poses, label maps and the search config."""
    digest = hashlib.sha256()
    digest.update(json.dumps(config, sort_keys=True).encode())
    digest.update("\n".join(names).encode())
    digest.update(np.ascontiguousarray(np.nan_to_num(poses, nan=-1.0), dtype=np.float32).tobytes())
    digest.update(np.ascontiguousarray(parsings, dtype=np.uint8).tobytes())
    digest.update(str(parsings.shape).encode())
    return digest.hexdigest()


def remove_save_leftovers(path: str | Path) -> list[Path]:
    """Delete the temporary files a killed :meth:`PseudoLabels.save` left beside ``path``.

    Call it only while holding the file's lock (:func:`spt_core.locks.lock_file`), when no
    save can be under way.
    """
    path = Path(path)
    found = [p for p in path.parent.glob(f".{path.name}.*.npz") if p.is_file()]
    for leftover in found:
        leftover.unlink(missing_ok=True)
    return found


@dataclass
class PseudoLabels:
    """Search results: for every usable sample, its best candidate (index into ``names``).

    ``best[i] == -1`` means every candidate was excluded for sample i. Rows at and after
    ``done`` are not computed yet (an interrupted search).
    """

    names: list[str]
    best: np.ndarray  # (N,) int64
    best_score: np.ndarray  # (N,) float32
    top_index: np.ndarray  # (N, k) int64, -1 padded
    top_score: np.ndarray  # (N, k) float32, inf padded
    done: int
    fingerprint: str
    config: dict
    skipped: dict = field(default_factory=dict)
    meta: dict = field(default_factory=dict)

    @classmethod
    def empty(
        cls, names: list[str], top_k: int, fingerprint: str, config: dict, skipped: dict
    ) -> PseudoLabels:
        n = len(names)
        return cls(
            names=list(names),
            best=np.full(n, -1, np.int64),
            best_score=np.full(n, np.inf, np.float32),
            top_index=np.full((n, top_k), -1, np.int64),
            top_score=np.full((n, top_k), np.inf, np.float32),
            done=0,
            fingerprint=fingerprint,
            config=config,
            skipped=skipped,
        )

    @property
    def complete(self) -> bool:
        return self.done >= len(self.names)

    def target_of(self, name: str) -> str | None:
        """Name of the pseudo-label map found for ``name`` (None if all were excluded)."""
        best = int(self.best[self.names.index(name)])
        return None if best < 0 else self.names[best]

    def save(self, path: str | Path) -> None:
        """Write atomically: an interrupted save leaves the previous file intact."""
        header = {
            "version": FORMAT_VERSION,
            "done": self.done,
            "fingerprint": self.fingerprint,
            "config": self.config,
            "skipped": self.skipped,
            "meta": self.meta,
        }
        with atomic_path(path, suffix=".npz") as tmp, open(tmp, "wb") as handle:
            np.savez(
                handle,
                header=np.array(json.dumps(header)),
                names=np.array(self.names),
                best=self.best,
                best_score=self.best_score,
                top_index=self.top_index,
                top_score=self.top_score,
            )

    @classmethod
    def load(cls, path: str | Path) -> PseudoLabels:
        """Read a pseudo-label file written by :meth:`save`.

        Raises:
            DataError: missing, unreadable, or of another format version.
        """
        path = Path(path)
        if not path.is_file():
            raise DataError(path, "pseudo-label file not found")
        try:
            with np.load(path, allow_pickle=False) as data:
                header = json.loads(str(data["header"]))
                arrays = {
                    k: data[k] for k in ("names", "best", "best_score", "top_index", "top_score")
                }
        except (OSError, ValueError, KeyError, json.JSONDecodeError) as exc:
            raise DataError(path, f"not a pseudo-label file ({exc})") from None
        if header.get("version") != FORMAT_VERSION:
            raise DataError(
                path,
                f"pseudo-label format {header.get('version')} is not "
                f"{FORMAT_VERSION}; run the search again",
            )
        return cls(
            names=[str(n) for n in arrays["names"]],
            best=arrays["best"],
            best_score=arrays["best_score"],
            top_index=arrays["top_index"],
            top_score=arrays["top_score"],
            done=int(header["done"]),
            fingerprint=header["fingerprint"],
            config=header["config"],
            skipped=header.get("skipped", {}),
            meta=header.get("meta", {}),
        )
