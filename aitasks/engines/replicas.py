"""Several windows in flight at once on the CPU: CTranslate2 replicas fed from Python threads.

`WhisperModel(num_workers=N)` gives CTranslate2 N model replicas (`inter_threads`), each with its
own threads, but one call (`encode`, `generate`, `align`, `detect_language`) on a batch of
windows runs on ONE replica: faster-whisper's batched pipeline makes one call per batch, so the
other replicas would sit idle. `SplitBatches` wraps the CTranslate2 model and cuts every batched
call into one part per replica, run from a small thread pool (CTranslate2 releases the GIL), then
joins the results in order. Results are the same as one call on the whole batch: every window is
decoded on its own in either case.

A decoder step on a few beams is too small to keep several threads busy; independent windows
are not (bench/README.md, "CPU threading", for the figures). So each replica gets its share of
the cores (one thread each on 2 cores), and a call on one window alone (a short clip, the
sequential fallback, a stretch decoded again) goes to a `solo` model on all of them: one window
on one thread would leave the other cores idle, and four threads on two cores (2 replicas × 2
threads, the earlier plan) cost every batch ~8 % more CPU.
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
    """A `ctranslate2.models.Whisper` whose batched calls use all of its replicas at once, and
    whose calls on a single window use `solo` (the same weights on all the cores), when given."""

    def __init__(self, model: Any, replicas: int, solo: Any = None) -> None:
        self._model = model
        self._solo = solo
        self.replicas = max(1, replicas)
        self._pool = ThreadPoolExecutor(self.replicas, thread_name_prefix="ct2-replica")

    def __getattr__(self, name: str) -> Any:  # is_multilingual, num_languages, device, ...
        return getattr(self._model, name)

    def encode(self, features: Any, to_cpu: bool = False) -> Any:
        import ctranslate2

        parts = self._run(lambda model, part, _rows: model.encode(part, to_cpu=to_cpu), features, [], even=True)
        if len(parts) == 1:
            return parts[0]
        return ctranslate2.StorageView.from_array(np.ascontiguousarray(np.concatenate([np.asarray(p) for p in parts])))

    def generate(self, features: Any, prompts: Sequence[Any], **options: Any) -> list[Any]:
        return self._joined(lambda model, part, rows: model.generate(part, rows[0], **options), features, [prompts])

    def detect_language(self, features: Any) -> list[Any]:
        return self._joined(lambda model, part, _rows: model.detect_language(part), features, [])

    def align(
        self, features: Any, start_sequence: Sequence[int], text_tokens: Sequence[Any], num_frames: Any, **options: Any
    ) -> list[Any]:
        if isinstance(num_frames, int):  # one frame count for the whole batch
            return self._joined(
                lambda model, part, rows: model.align(part, start_sequence, rows[0], num_frames, **options),
                features,
                [text_tokens],
            )
        return self._joined(
            lambda model, part, rows: model.align(part, start_sequence, rows[0], rows[1], **options),
            features,
            [text_tokens, num_frames],
        )

    def _joined(self, call: Callable[[Any, Any, list[Any]], list[Any]], features: Any, per_row: list[Any]) -> list[Any]:
        return [item for part in self._run(call, features, per_row) for item in part]

    def _run(
        self, call: Callable[[Any, Any, list[Any]], Any], features: Any, per_row: list[Any], even: bool = False
    ) -> list[Any]:
        """`call(model, part, rows)` on each part of the batch in parallel; results in batch order.

        `even`: the replicas take equal parts and the rows left over go to the solo model,
        alongside them (for the encoder, whose cost per window does not fall with the batch:
        5 windows cut 3 + 2 left a core idle for a whole window's encoding; 2 + 2 + 1 ends the
        three parts together).
        """
        import ctranslate2

        batch = int(features.shape[0])
        left_over = batch % self.replicas if even and self._solo is not None and batch > self.replicas else 0
        sizes = split_sizes(batch - left_over, self.replicas) + ([left_over] if left_over else [])
        if len(sizes) == 1:
            alone = self._solo if self._solo is not None and batch == 1 else self._model
            return [call(alone, features, list(per_row))]
        array = np.asarray(features)  # the CPU storage, no copy
        jobs, alone = [], []
        start = 0
        for index, size in enumerate(sizes):
            part = ctranslate2.StorageView.from_array(np.ascontiguousarray(array[start : start + size]))
            rows = [list(values[start : start + size]) for values in per_row]
            if left_over and index == len(sizes) - 1:  # the last part, here while the replicas run theirs
                alone.append(call(self._solo, part, rows))
            else:
                jobs.append((part, self._pool.submit(call, self._model, part, rows)))  # `part` kept alive until done
            start += size
        return [future.result() for _part, future in jobs] + alone


def plan_threads(cores: int, workers: int, threads: int) -> tuple[int, int, int]:
    """(replicas, threads per replica, threads of the solo model) for the CPU: 0 means choose.

    Replicas: up to 4 windows in flight (a batch cut into 2-4 parts), never more than the cores.
    Threads: the replica's share of the cores, so that a batch never runs more threads than
    there are cores. The solo model decodes a window that comes alone (a short clip, the
    fallback) on all the cores, up to 8 (one window does not keep more busy); 0 when the
    replicas' threads already cover that (no solo model is loaded). Measured on 2 cores in
    bench/README.md ("CPU threading", "One window alone").
    """
    cores = max(1, cores)
    workers = workers or min(cores, 4)
    threads = threads or max(1, cores // workers)
    solo = min(cores, 8)
    return workers, threads, solo if workers > 1 and solo > threads else 0
