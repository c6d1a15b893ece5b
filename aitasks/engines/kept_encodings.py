"""Every window encoded once: the encoder outputs of language identification, kept for transcription.

Whisper's encoder is most of the work on a CPU (each window is a full 30 s pass, however much
speech it holds). Language identification runs the encoder on the windows it samples, and
transcription would run it again on the same windows. `KeptEncodings` wraps the CTranslate2
model (beside `replicas.SplitBatches`, at the seam where faster-whisper calls the model): the
outputs of `encode` calls made while `keeping()` are kept, keyed by a digest of their input
features, and a later `encode` of the same features (the same audio, sliced the same way) takes
them instead of encoding again. Rows not kept are encoded as before, in one call.

At most `capacity` windows are kept (about 3 MB each for Whisper base, 8 MB for large-v3), the
oldest dropped first: a window sampled for language ID and never transcribed (a code-switching
file is cut into other windows) costs memory only until newer windows replace it.
"""

from __future__ import annotations

import contextlib
import hashlib
import threading
from collections import OrderedDict
from collections.abc import Iterator
from typing import Any

import numpy as np


def digest(row: np.ndarray) -> bytes:
    """The key of one window's features (log-mel frames)."""
    return hashlib.blake2b(np.ascontiguousarray(row).data, digest_size=16).digest()


class KeptEncodings:
    """A `ctranslate2.models.Whisper` (CPU) that reuses the encoder outputs it was asked to keep."""

    def __init__(self, model: Any, capacity: int) -> None:
        self.inner = model
        self.capacity = max(1, capacity)
        self._kept: OrderedDict[bytes, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()
        self._keeping = threading.local()
        self.reused = 0  # windows taken from the kept outputs instead of encoded (for benches and tests)

    def __getattr__(self, name: str) -> Any:  # generate, detect_language, align, is_multilingual, ...
        return getattr(self.inner, name)

    @contextlib.contextmanager
    def keeping(self) -> Iterator[None]:
        """Within this block, this thread's encoder outputs are kept for reuse."""
        self._keeping.on = True
        try:
            yield
        finally:
            self._keeping.on = False

    def forget(self) -> None:
        with self._lock:
            self._kept.clear()

    def encode(self, features: Any, to_cpu: bool = False) -> Any:
        import ctranslate2

        rows = np.asarray(features)  # CPU storage: a view, no copy
        keys = [digest(row) for row in rows]
        with self._lock:
            found = {index: self._kept[key] for index, key in enumerate(keys) if key in self._kept}
            for index in found:
                self._kept.move_to_end(keys[index])
        missing = [index for index in range(len(keys)) if index not in found]
        if not found:
            output = self.inner.encode(features, to_cpu=to_cpu)
            encoded = dict(zip(missing, np.asarray(output), strict=True)) if self._keep_now() else {}
        else:
            encoded = {}
            if missing:
                part = ctranslate2.StorageView.from_array(np.ascontiguousarray(rows[missing]))
                encoded = dict(zip(missing, np.asarray(self.inner.encode(part, to_cpu=to_cpu)), strict=True))
            output = ctranslate2.StorageView.from_array(
                np.ascontiguousarray(
                    np.stack([found[index] if index in found else encoded[index] for index in range(len(keys))])
                )
            )
        if self._keep_now():
            with self._lock:
                for index, row in encoded.items():
                    self._kept[keys[index]] = np.array(row)  # a copy: the call's output is freed after it
                    self._kept.move_to_end(keys[index])
                while len(self._kept) > self.capacity:
                    self._kept.popitem(last=False)
        self.reused += len(found)
        return output

    def _keep_now(self) -> bool:
        return getattr(self._keeping, "on", False)
