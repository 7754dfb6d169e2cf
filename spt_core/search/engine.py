"""The pseudo-label search over a dataset: exact or fast, chunked, resumable."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from spt_core import skeleton as sk
from spt_core.config import SearchConfig, to_dict
from spt_core.data.dataset import PersonDataset
from spt_core.devices import resolve_device
from spt_core.errors import DataError, SptError
from spt_core.locks import holding, lock_file
from spt_core.search.canonical import NONE_LABEL, CanonicalLayout, embed_parsings
from spt_core.search.score import distances_from_encodings, encode, pose_distances, sample_weights
from spt_core.search.store import PseudoLabels, fingerprint, remove_save_leftovers

Progress = Callable[[int, int], None]
MEMORY_KEYS = ("query_chunk", "candidate_chunk", "cache_mb")


class SearchError(SptError):
    """The search cannot go on; the message says what to change."""


@dataclass
class SearchInputs:
    """What the search needs of a dataset: usable samples only."""

    names: list[str]
    poses: np.ndarray  # (N, 18, 2)
    parsings: np.ndarray  # (N, H, W) uint8
    identities: list[str]
    skipped: dict

    @classmethod
    def from_dataset(cls, dataset: PersonDataset) -> SearchInputs:
        """Keep samples with a torso and a parsing map; count the others by reason."""
        keep, parsings = [], []
        for i in range(len(dataset)):
            parsing = dataset.load_parsing(i)
            if parsing is not None:
                keep.append(i)
                parsings.append(parsing)
        skipped = {
            "no_torso": len(dataset.report.without_torso),
            "missing_image": len(dataset.report.missing_images),
            "no_parsing": len(dataset) - len(keep),
        }
        if not keep:
            raise DataError(dataset.root, "no sample has both a torso and a parsing map")
        return cls(
            names=[dataset.names[i] for i in keep],
            poses=dataset.poses[keep],
            parsings=np.stack(parsings),
            identities=[dataset.identities[i] for i in keep],
            skipped=skipped,
        )


class PseudoLabelSearch:
    """Find, for every sample, the training map that best matches it part by part.

    Args:
        config: search settings (mode, resolution, exclusions, chunk sizes).
        device: "auto", "cpu" or "cuda".
    """

    def __init__(self, config: SearchConfig | None = None, device: str = "auto"):
        self.config = config or SearchConfig()
        self.device = resolve_device(device)
        self.layout = CanonicalLayout(self.config.samples_per_unit)
        self.fast_layout = CanonicalLayout(self.config.fast_samples_per_unit)
        self._cache: dict = {}  # candidate encodings of the current run, by resolution
        # Chunk sizes in force; halved when CUDA runs out of memory.
        self._query_chunk = self.config.query_chunk
        self._candidate_chunk = self.config.candidate_chunk

    def run(
        self,
        inputs: SearchInputs,
        out: str | Path | None = None,
        progress: Progress | None = None,
        resume: bool = True,
    ) -> PseudoLabels:
        """Search every sample; save after each chunk of queries when ``out`` is given.

        An existing ``out`` with the same fingerprint is resumed from its last saved chunk (or
        returned as it is when complete); one with another fingerprint is an error unless
        ``resume`` is False, in which case it is replaced.

        Raises:
            OutputLockedError: another live search writes to ``out``.
        """
        # One writer per file: a second search into ``out`` would overwrite this one's saves.
        lock = None if out is None else lock_file(out)
        with holding(lock):
            if out is not None:
                remove_save_leftovers(out)
            return self._run(inputs, out, progress, resume)

    def _run(self, inputs, out, progress, resume) -> PseudoLabels:
        import torch

        config_dict = to_dict(self.config)
        # Chunk sizes and the cache bound change speed and memory, never the result.
        result_config = {k: v for k, v in config_dict.items() if k not in MEMORY_KEYS}
        key = fingerprint(inputs.names, inputs.poses, inputs.parsings, result_config)
        result = self._resume_or_new(out, key, inputs, config_dict, resume)
        total = len(inputs.names)
        if progress:
            progress(result.done, total)
        if result.complete:
            return result

        started = time.perf_counter()
        self._cache = {}
        dev = self.device
        query_codes = torch.from_numpy(
            embed_parsings(inputs.parsings, inputs.poses, self.layout, mirror_fallback=True)
        ).to(dev)
        candidate_codes = torch.from_numpy(
            embed_parsings(inputs.parsings, inputs.poses, self.layout, mirror_fallback=False)
        ).to(dev)
        weights = torch.from_numpy(self._weights(self.layout)).to(dev)
        fast = None
        if self.config.mode == "fast":
            fast = (
                torch.from_numpy(
                    embed_parsings(inputs.parsings, inputs.poses, self.fast_layout, True)
                ).to(dev),
                torch.from_numpy(
                    embed_parsings(inputs.parsings, inputs.poses, self.fast_layout, False)
                ).to(dev),
                torch.from_numpy(self._weights(self.fast_layout)).to(dev),
            )
        poses = torch.from_numpy(inputs.poses.astype(np.float32)).to(dev)
        _, identity_ids = np.unique(np.array(inputs.identities), return_inverse=True)
        identities = torch.from_numpy(identity_ids).to(dev)

        self._query_chunk = self.config.query_chunk
        self._candidate_chunk = self.config.candidate_chunk
        while result.done < total:
            start = result.done
            stop = min(start + self._query_chunk, total)
            rows = torch.arange(start, stop, device=dev)
            try:
                if fast is None:
                    scores, index = self._exact_chunk(
                        rows, query_codes, candidate_codes, weights, poses, identities
                    )
                else:
                    scores, index = self._fast_chunk(
                        rows, query_codes, candidate_codes, weights, poses, identities, fast
                    )
            except torch.cuda.OutOfMemoryError:
                self._shrink_chunks()
                continue
            result.top_score[start:stop] = scores.cpu().numpy()
            result.top_index[start:stop] = index.cpu().numpy()
            result.best[start:stop] = result.top_index[start:stop, 0]
            result.best_score[start:stop] = result.top_score[start:stop, 0]
            result.done = stop
            result.meta["seconds"] = result.meta.get("seconds", 0.0) + time.perf_counter() - started
            started = time.perf_counter()
            if out is not None:
                result.save(out)
            if progress:
                progress(stop, total)
        self._cache = {}
        return result

    # ------------------------------------------------------------------------------------

    def _shrink_chunks(self) -> None:
        """After running out of GPU memory: drop the cache, halve the chunks, try again."""
        import torch

        self._cache = {}
        if torch.cuda.is_available():
            torch.cuda.empty_cache()
        if self._query_chunk == 1 and self._candidate_chunk == 1:
            raise SearchError(
                f"out of memory on {self.device} even one query against one candidate at a "
                "time; use --device cpu or a lower resolution (samples_per_unit)"
            )
        self._query_chunk = max(1, self._query_chunk // 2)
        self._candidate_chunk = max(1, self._candidate_chunk // 2)

    def _resume_or_new(self, out, key, inputs, config_dict, resume) -> PseudoLabels:
        if out is not None and Path(out).exists() and resume:
            previous = PseudoLabels.load(out)
            if previous.fingerprint != key:
                raise DataError(
                    out,
                    "holds a search of other data or another config; choose another "
                    "--out or pass --force to replace it",
                )
            return previous
        return PseudoLabels.empty(inputs.names, self.config.top_k, key, config_dict, inputs.skipped)

    def _weights(self, layout: CanonicalLayout) -> np.ndarray:
        return sample_weights(layout, self.config.part_weights, self.config.part_balance)

    def _excluded(self, rows, cols, poses, identities):
        """(Q, C) bool: the query itself, too-similar poses, and (optionally) the same person."""
        excluded = rows[:, None] == cols[None, :]
        close = pose_distances(poses[rows], poses[cols]) < self.config.min_pose_distance
        excluded |= close
        if self.config.exclude_same_identity:
            excluded |= identities[rows][:, None] == identities[cols][None, :]
        return excluded

    def _candidate_encodings(self, candidate_codes, weights, key: str = "exact"):
        """Yield (columns, encoding) per candidate chunk; kept in memory when they fit in
        ``cache_mb``, so each is built once rather than once per query chunk."""
        import torch

        total, dims = candidate_codes.shape
        fits = total * dims * 10 * 4 <= self.config.cache_mb * 2**20
        if fits and key in self._cache:
            yield from self._cache[key]
            return
        built = []
        chunk = self._candidate_chunk
        for c0 in range(0, total, chunk):
            cols = torch.arange(c0, min(c0 + chunk, total), device=candidate_codes.device)
            item = (cols, encode(candidate_codes[cols], weights, weighted=False))
            if fits:
                built.append(item)
            yield item
        if fits:
            self._cache[key] = built

    def _exact_chunk(self, rows, query_codes, candidate_codes, weights, poses, identities):
        import torch

        k = self.config.top_k
        best_scores = torch.full((len(rows), 0), float("inf"), device=rows.device)
        best_index = torch.full((len(rows), 0), -1, dtype=torch.long, device=rows.device)
        queries = encode(query_codes[rows], weights, weighted=True)
        for cols, candidates in self._candidate_encodings(candidate_codes, weights):
            scores = distances_from_encodings(queries, candidates)
            scores = scores.masked_fill(self._excluded(rows, cols, poses, identities), float("inf"))
            # Running top-k; earlier chunks (smaller indices) come first, and the sort is stable,
            # so ties go to the smallest index, as a plain loop over candidates would.
            merged_scores = torch.cat([best_scores, scores], dim=1)
            merged_index = torch.cat([best_index, cols.expand(len(rows), -1)], dim=1)
            order = torch.sort(merged_scores, dim=1, stable=True).indices[:, :k]
            best_scores = torch.gather(merged_scores, 1, order)
            best_index = torch.gather(merged_index, 1, order)
        return _pad(best_scores, best_index, k)

    def _fast_chunk(self, rows, query_codes, candidate_codes, weights, poses, identities, fast):
        import torch

        fast_query, fast_candidates, fast_weights = fast
        keep = min(self.config.fast_candidates, candidate_codes.shape[0])
        queries = encode(fast_query[rows], fast_weights, weighted=True)
        coarse, excluded = [], []
        for cols, candidates in self._candidate_encodings(fast_candidates, fast_weights, "fast"):
            excluded.append(self._excluded(rows, cols, poses, identities))
            coarse.append(distances_from_encodings(queries, candidates))
        excluded = torch.cat(excluded, dim=1)
        coarse = torch.cat(coarse, dim=1).masked_fill(excluded, float("inf"))
        shortlist = torch.topk(coarse, keep, dim=1, largest=False).indices
        shortlist = torch.sort(shortlist, dim=1).values  # index order, for stable tie-breaking
        exact = torch.cat(
            [
                _paired_distances(
                    query_codes[rows[i : i + 32]], candidate_codes[shortlist[i : i + 32]], weights
                )
                for i in range(0, len(rows), 32)
            ]
        )
        exact = exact.masked_fill(torch.gather(excluded, 1, shortlist), float("inf"))
        order = torch.sort(exact, dim=1, stable=True).indices[:, : self.config.top_k]
        return _pad(
            torch.gather(exact, 1, order), torch.gather(shortlist, 1, order), self.config.top_k
        )


def _paired_distances(query, candidates, weights):
    """(Q, D) codes against their own shortlists (Q, K, D) -> (Q, K) distances."""
    present_q = (query != NONE_LABEL).float() @ weights
    present_c = (candidates != NONE_LABEL).float() @ weights
    same = ((candidates == query[:, None]) & (query[:, None] != NONE_LABEL)).float() @ weights
    return present_q[:, None] + present_c - 2.0 * same


def _pad(scores, index, k):
    """Pad to k columns and mark excluded (infinite) entries with index -1."""
    import torch

    if scores.shape[1] < k:
        extra = k - scores.shape[1]
        scores = torch.cat([scores, scores.new_full((scores.shape[0], extra), float("inf"))], 1)
        index = torch.cat([index, index.new_full((index.shape[0], extra), -1)], 1)
    index = torch.where(torch.isfinite(scores), index, torch.full_like(index, -1))
    return scores, index


def pose_of(inputs: SearchInputs, result: PseudoLabels, i: int) -> np.ndarray:
    """The pose of the pseudo label of sample i (all missing if there is none)."""
    best = int(result.best[i])
    return inputs.poses[best] if best >= 0 else sk.missing_pose()
