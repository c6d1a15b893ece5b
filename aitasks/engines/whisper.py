"""faster-whisper (CTranslate2) as the speech engine.

Batched inference with word timestamps: ~20x real time for base on 2 CPU cores, and the word
times let `subtitles.py` rebuild cues (batched segments run up to 30 s).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from .base import EngineError, Segment, Word
from .model_files import model_directory
from .replicas import SplitBatches, plan_threads

logger = logging.getLogger(__name__)


class FasterWhisperEngine:
    name = "faster-whisper"

    def __init__(
        self,
        model: str,
        cache_dir: Path,
        device: str = "cpu",
        compute_type: str = "int8",
        cpu_threads: int = 0,
        cpu_workers: int = 0,
        batch_size: int = 8,
        beam_size: int = 5,
        cores: int = 0,
    ) -> None:
        self.model = model
        self.cache_dir = cache_dir
        self.device = device
        self.compute_type = compute_type
        # CPU: `cpu_workers` model replicas with `cpu_threads` threads each (0: chosen from the
        # `cores` this process may use, all by default; see replicas.plan_threads); each replica
        # decodes its own windows of a batch.
        cores = cores or os.cpu_count() or 1
        self.cpu_workers, self.cpu_threads = plan_threads(cores, cpu_workers, cpu_threads)
        self.batch_size = batch_size
        self.beam_size = beam_size
        self._whisper: Any = None
        self._batched: Any = None

    @classmethod
    def from_settings(cls) -> FasterWhisperEngine:
        from django.conf import settings

        return cls(
            model=settings.AITASKS_WHISPER_MODEL,
            cache_dir=settings.AITASKS_MODEL_CACHE_DIR,
            device=settings.AITASKS_WHISPER_DEVICE,
            compute_type=settings.AITASKS_WHISPER_COMPUTE_TYPE,
            cpu_threads=settings.AITASKS_WHISPER_CPU_THREADS,
            cpu_workers=settings.AITASKS_WHISPER_CPU_WORKERS,
            batch_size=settings.AITASKS_WHISPER_BATCH_SIZE,
            beam_size=settings.AITASKS_WHISPER_BEAM_SIZE,
            # Worker processes share the machine's cores.
            cores=max(1, (os.cpu_count() or 1) // settings.Q_CLUSTER["workers"]),
        )

    def load(self) -> None:
        from faster_whisper import BatchedInferencePipeline

        directory = model_directory(self.model, self.cache_dir)
        device, compute_type = resolve_device(self.device, self.compute_type)
        try:
            self._whisper = self._open(directory, device, compute_type)
        except EngineError:
            if self.device != "auto" or device == "cpu":
                raise
            # "auto" saw a GPU it cannot use (e.g. no CUDA 12 cuBLAS/cuDNN): run on the CPU.
            logger.warning("cannot use the GPU, falling back to the CPU", exc_info=True)
            device, compute_type = resolve_device("cpu", self.compute_type)
            self._whisper = self._open(directory, device, compute_type)
        self.device, self.compute_type = device, compute_type
        if device == "cpu" and self.cpu_workers > 1:
            self._whisper.model = SplitBatches(self._whisper.model, self.cpu_workers)
        self._batched = BatchedInferencePipeline(self._whisper)

    def _open(self, directory: Path, device: str, compute_type: str) -> Any:
        from faster_whisper import WhisperModel

        try:
            # A directory path never touches a model hub; local_files_only makes sure of it.
            return WhisperModel(
                str(directory),
                device=device,
                compute_type=compute_type,
                cpu_threads=self.cpu_threads,
                # Replicas only pay on the CPU; one GPU runs a whole batch at once.
                num_workers=self.cpu_workers if device == "cpu" else 1,
                local_files_only=True,
            )
        except (RuntimeError, ValueError) as error:
            raise EngineError(f"cannot load model {directory} on {device}/{compute_type}: {error}") from None

    @property
    def is_multilingual(self) -> bool:
        return bool(self._whisper.model.is_multilingual)

    def detect_languages(self, clips: list[np.ndarray]) -> list[dict[str, float]]:
        if not self.is_multilingual:
            return [{"en": 1.0} for _clip in clips]
        from faster_whisper.audio import pad_or_trim

        extract = self._whisper.feature_extractor
        results: list[dict[str, float]] = []
        # One encoder pass per batch of clips: language ID over many short stretches of
        # speech (code-switching) costs a fraction of the transcription.
        for first in range(0, len(clips), self.batch_size):
            batch = clips[first : first + self.batch_size]
            features = np.stack([pad_or_trim(extract(clip)[..., :-1]) for clip in batch])
            for probabilities in self._whisper.model.detect_language(self._whisper.encode(features)):
                results.append({token[2:-2]: probability for token, probability in probabilities})
        return results

    def transcribe(
        self, samples: np.ndarray, clips: list[tuple[float, float]], language: str, task: str
    ) -> Iterator[Segment]:
        if not clips:
            return
        segments, _info = self._batched.transcribe(
            samples,
            language=language,
            task=task,
            beam_size=self.beam_size,
            batch_size=self.batch_size,
            word_timestamps=True,
            vad_filter=False,
            clip_timestamps=[{"start": start, "end": end} for start, end in clips],
            condition_on_previous_text=False,
        )
        for segment in segments:
            words = tuple(
                Word(_ms(word.start), _ms(word.end), word.word, float(word.probability))
                for word in (segment.words or ())
                if word.word.strip()
            )
            yield Segment(_ms(segment.start), _ms(segment.end), segment.text, words)


def resolve_device(device: str, compute_type: str) -> tuple[str, str]:
    """ "auto" means the GPU when CTranslate2 sees one (float16 there), else the CPU (int8)."""
    if device == "auto":
        import ctranslate2

        device = "cuda" if ctranslate2.get_cuda_device_count() > 0 else "cpu"
    if compute_type == "auto":
        compute_type = "float16" if device == "cuda" else "int8"
    return device, compute_type


def _ms(seconds: float) -> int:
    return int(round(seconds * 1000))
