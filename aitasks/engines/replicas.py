"""Several windows in flight at once on the CPU: CTranslate2 replicas fed from Python threads.

`WhisperModel(num_workers=N)` gives CTranslate2 N model replicas (`inter_threads`), each with its
own threads, but one call (`encode`, `generate`, `align`, `detect_language`) on a batch of
windows runs on ONE replica: faster-whisper's batched pipeline makes one call per batch, so the
other replicas would sit idle. `SplitBatches` wraps the CTranslate2 model and cuts every batched
call into one part per replica, run from a small thread pool (CTranslate2 releases the GIL), then
joins the results in order. Results are the same as one call on the whole batch: every window is
decoded on its own in either case.

A decoder step on a few beams is too small to keep several threads busy; independent windows
are not (bench/README.md, "CPU threading", for the figures).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np


def split_sizes(batch: int, parts: int) -> list[int]:
    """`batch` windows cut into at most `parts` runs of nearly equal size, in order."""
    parts = max(1, min(parts, batch))
    base, extra = divmod(batch, parts)
    return [base + (1 if index < extra else 0) for index in range(parts)]


class SplitBatches:
    """A `ctranslate2.models.Whisper` whose batched calls use all of its replicas at once."""

    def __init__(self, model: Any, replicas: int) -> None:
        self._model = model
        self.replicas = max(1, replicas)
        self._pool = ThreadPoolExecutor(self.replicas, thread_name_prefix="ct2-replica")

    def __getattr__(self, name: str) -> Any:  # is_multilingual, num_languages, device, ...
        return getattr(self._model, name)

    def encode(self, features: Any, to_cpu: bool = False) -> Any:
        import ctranslate2

        parts = self._run(lambda part, _rows: self._model.encode(part, to_cpu=to_cpu), features, [])
        if len(parts) == 1:
            return parts[0]
        return ctranslate2.StorageView.from_array(np.ascontiguousarray(np.concatenate([np.asarray(p) for p in parts])))

    def generate(self, features: Any, prompts: Sequence[Any], **options: Any) -> list[Any]:
        return self._joined(lambda part, rows: self._model.generate(part, rows[0], **options), features, [prompts])

    def detect_language(self, features: Any) -> list[Any]:
        return self._joined(lambda part, _rows: self._model.detect_language(part), features, [])

    def align(
        self, features: Any, start_sequence: Sequence[int], text_tokens: Sequence[Any], num_frames: Any, **options: Any
    ) -> list[Any]:
        if isinstance(num_frames, int):  # one frame count for the whole batch
            return self._joined(
                lambda part, rows: self._model.align(part, start_sequence, rows[0], num_frames, **options),
                features,
                [text_tokens],
            )
        return self._joined(
            lambda part, rows: self._model.align(part, start_sequence, rows[0], rows[1], **options),
            features,
            [text_tokens, num_frames],
        )

    def _joined(self, call: Callable[[Any, list[Any]], list[Any]], features: Any, per_row: list[Any]) -> list[Any]:
        return [item for part in self._run(call, features, per_row) for item in part]

    def _run(self, call: Callable[[Any, list[Any]], Any], features: Any, per_row: list[Any]) -> list[Any]:
        """`call(part, rows)` on each part of the batch in parallel; results in batch order."""
        import ctranslate2

        batch = int(features.shape[0])
        sizes = split_sizes(batch, self.replicas)
        if len(sizes) == 1:
            return [call(features, list(per_row))]
        array = np.asarray(features)  # the CPU storage, no copy
        jobs = []
        start = 0
        for size in sizes:
            part = ctranslate2.StorageView.from_array(np.ascontiguousarray(array[start : start + size]))
            rows = [list(values[start : start + size]) for values in per_row]
            jobs.append((part, self._pool.submit(call, part, rows)))  # `part` kept alive until done
            start += size
        return [future.result() for _part, future in jobs]


def plan_threads(cores: int, workers: int, threads: int) -> tuple[int, int]:
    """(replicas, threads per replica) for the CPU: 0 means choose.

    Replicas: up to 4 windows in flight (a batch of 8 cut into 2-4 parts), never more than the
    cores. Threads: twice the replica's share of the cores (at most all of them), so a window
    decoded alone (a short clip, the last window of a file) still uses the cores the others
    leave idle. On 2 cores that is 2 replicas × 2 threads: measured against 1 × 2 and 2 × 1 in
    bench/README.md ("CPU threading").
    """
    cores = max(1, cores)
    workers = workers or min(cores, 4)
    threads = threads or max(1, min(cores, 2 * cores // workers))
    return workers, threads
