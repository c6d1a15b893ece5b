"""faster-whisper (CTranslate2) as the speech engine.

Batched inference with word timestamps: ~20x real time for base on 2 CPU cores, and the word
times let `subtitles.py` rebuild cues (batched segments run up to 30 s). Batched decoding skips
Whisper's own checks, so `transcribe` hands the windows to the safeguards (`safeguards.py`),
which check each one afterwards and decide what to decode again, drop or collapse. This engine
offers them the two operations they work over: a batch of windows through the batched decoder
(`decode_batch`), and one window through the sequential decoder with its temperature fallback
and compression-ratio, log-probability and no-speech checks (`decode_alone`).
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from .. import languages
from . import safeguards
from .base import SAMPLE_RATE, EngineError, Segment
from .kept_encodings import KeptEncodings
from .model_files import model_directory
from .replicas import SplitBatches, plan_threads
from .safeguards import DecodedSegment, DecodedWord

logger = logging.getLogger(__name__)
TOKENS_PER_SECOND = 15
MAX_NEW_TOKENS = 220  # Whisper's limit is 448 tokens, prompt included
FALLBACK_TEMPERATURES = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)  # Whisper's own steps
# Whisper codes outside our 99 languages that belong to one of them.
WHISPER_ALIASES = {"yue": "zh"}


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
        batch_size: int = 16,
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
        self.cpu_workers, self.cpu_threads, self.solo_threads = plan_threads(cores, cpu_workers, cpu_threads)
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
            cores=settings.AITASKS_WHISPER_CORES,
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
            solo = self._solo(directory, compute_type) if self.solo_threads else None
            self._whisper.model = SplitBatches(self._whisper.model, self.cpu_workers, solo)
        if device == "cpu":
            # Language ID's windows are transcription's windows: encoded once (kept_encodings.py).
            # On a GPU the encoder is cheap and its outputs live in GPU memory: not kept.
            self._whisper.model = KeptEncodings(self._whisper.model, capacity=2 * self.batch_size)
        self._batched = BatchedInferencePipeline(self._whisper)

    def _open(self, directory: Path, device: str, compute_type: str) -> Any:
        from faster_whisper import WhisperModel

        with _load_errors(directory, device, compute_type):
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

    def _solo(self, directory: Path, compute_type: str) -> Any:
        """The model for a window decoded alone, on `solo_threads` cores (see replicas.py)."""
        import ctranslate2

        with _load_errors(directory, "cpu", compute_type):
            return ctranslate2.models.Whisper(
                str(directory), device="cpu", compute_type=compute_type, intra_threads=self.solo_threads
            )

    @property
    def is_multilingual(self) -> bool:
        return bool(self._whisper.model.is_multilingual)

    def detect_languages(self, samples: np.ndarray, clips: list[tuple[float, float]]) -> list[dict[str, float]]:
        """Language probabilities of each clip, by our codes (ISO-639-2/B), only our 99 languages.

        The encoder outputs are kept (on the CPU): a `transcribe` of the same clips of the same
        samples then decodes them without encoding them again.
        """
        if not self.is_multilingual:
            return [{"eng": 1.0} for _clip in clips]
        from faster_whisper.audio import pad_or_trim

        extract = self._whisper.feature_extractor
        keeping = getattr(self._whisper.model, "keeping", contextlib.nullcontext)
        results: list[dict[str, float]] = []
        # One encoder pass per batch of clips, sliced and featurised as the batched decoder does,
        # so that transcription finds these encodings.
        for first in range(0, len(clips), self.batch_size):
            batch = [samples[start:end] for start, end in map(_samples_of, clips[first : first + self.batch_size])]
            features = np.stack([pad_or_trim(extract(clip)[..., :-1]) for clip in batch])
            with keeping():
                encoded = self._whisper.encode(features)
            for probabilities in self._whisper.model.detect_language(encoded):
                results.append(_our_codes((token[2:-2], probability) for token, probability in probabilities))
        return results

    def transcribe(
        self,
        samples: np.ndarray,
        clips: list[tuple[float, float]],
        language: str,
        task: str,
        prompt: str = "",
        temperature: float = 0.0,
    ) -> Iterator[Segment]:
        """Batched decoding, then Whisper's safeguards window by window (see safeguards.py)."""
        if not clips:
            return
        # Where a clip starts and ends, in samples, exactly as `detect_languages` cut it: the
        # batched decoder truncates seconds × rate, so each edge is given half a sample past it.
        clips = [((start + 0.5) / SAMPLE_RATE, (end + 0.5) / SAMPLE_RATE) for start, end in map(_samples_of, clips)]
        # What every decoder call of this transcription shares: the client's prompt (names,
        # spellings, style) and the temperature the fallback starts from.
        options = {
            "language": whisper_code(language),
            "task": task,
            "initial_prompt": prompt or None,
            "temperature": [step for step in FALLBACK_TEMPERATURES if step >= temperature] or [temperature],
        }
        yield from safeguards.decode_with_safeguards(self, samples, clips, options)

    def decode_batch(
        self, samples: np.ndarray, clips: list[tuple[float, float]], options: Mapping[str, Any]
    ) -> Iterator[list[DecodedSegment]]:
        """Each clip's segments from one batched pass (see safeguards.WindowDecoder), clip by clip
        as the batches are decoded."""
        segments, _info = self._batched.transcribe(
            samples,
            **options,
            beam_size=self.beam_size,
            batch_size=self.batch_size,
            word_timestamps=True,
            vad_filter=False,
            clip_timestamps=[{"start": start, "end": end} for start, end in clips],
            condition_on_previous_text=False,
        )
        given = 0
        for index, decoded in _by_clip(segments, clips, self._whisper.frames_per_second):
            # Clips the decoder wrote nothing for come between those it wrote for.
            yield from ([] for _clip in range(given, index))
            yield [_decoded(segment) for segment in decoded]
            given = index + 1
        yield from ([] for _clip in range(given, len(clips)))

    def decode_alone(
        self, samples: np.ndarray, clip: tuple[float, float], options: Mapping[str, Any]
    ) -> list[DecodedSegment]:
        """The clip through Whisper's sequential decoder, with its temperature fallback and
        compression-ratio, log-probability and no-speech checks; times shifted to the file."""
        first, last = (int(round(edge * SAMPLE_RATE)) for edge in clip)
        segments, _info = self._whisper.transcribe(
            samples[first:last],
            **options,
            beam_size=self.beam_size,
            word_timestamps=True,
            vad_filter=False,
            condition_on_previous_text=False,
            # Room for fast speech (CJK writes ~10 tokens a second), not for a 224-token loop at
            # every temperature: a loop costs its window a few short tries, not minutes.
            max_new_tokens=min(MAX_NEW_TOKENS, int(TOKENS_PER_SECOND * (last - first) / SAMPLE_RATE) + 24),
        )
        return [_decoded(segment, offset=first / SAMPLE_RATE) for segment in segments]


def _decoded(segment: Any, offset: float = 0.0) -> DecodedSegment:
    """A faster-whisper segment as the safeguards read it, `offset` seconds later."""
    words = tuple(
        DecodedWord(word.start + offset, word.end + offset, word.word, float(word.probability))
        for word in (segment.words or ())
    )
    return DecodedSegment(
        start=segment.start + offset,
        end=segment.end + offset,
        text=segment.text,
        avg_logprob=segment.avg_logprob,
        no_speech_prob=segment.no_speech_prob,
        temperature=float(segment.temperature or 0.0),
        words=words,
    )


def _by_clip(
    segments: Iterable[Any], clips: list[tuple[float, float]], frames_per_second: int
) -> Iterator[tuple[int, list[Any]]]:
    """(clip index, its segments) in clip order, as the batched decoder produces them.

    The batched decoder marks each segment with its clip's start (`seek`, in frames), computed
    as here from the clip start in samples.
    """
    by_seek = {
        int(int(start * SAMPLE_RATE) / SAMPLE_RATE * frames_per_second): index
        for index, (start, _end) in enumerate(clips)
    }
    current: int | None = None
    buffered: list[Any] = []
    for segment in segments:
        index = by_seek.get(segment.seek)
        if index is None:  # not one of ours: keep it with the window it falls in
            index = next((i for i, (start, end) in enumerate(clips) if start <= segment.start < end), current or 0)
        if current is not None and index < current:
            # The decoder writes its clips in order: a segment that seems to belong to an earlier
            # clip stays with the current one, so that each clip is judged once, whole.
            index = current
        if current is not None and index != current:
            yield current, buffered
            buffered = []
        current = index
        buffered.append(segment)
    if current is not None:
        yield current, buffered


@contextlib.contextmanager
def _load_errors(directory: Path, device: str, compute_type: str) -> Iterator[None]:
    """CTranslate2's errors while loading a model, as an EngineError that names the model."""
    try:
        yield
    except (RuntimeError, ValueError) as error:
        raise EngineError(f"cannot load model {directory} on {device}/{compute_type}: {error}") from None


def _samples_of(clip: tuple[float, float]) -> tuple[int, int]:
    """A clip's first and last sample (seconds rounded to the nearest sample)."""
    return int(round(clip[0] * SAMPLE_RATE)), int(round(clip[1] * SAMPLE_RATE))


def whisper_code(code: str) -> str:
    """Our code (ISO-639-2/B) as Whisper's: the pipeline speaks ours, the model its own."""
    return languages.get(code).whisper_code


def _our_codes(probabilities: Iterable[tuple[str, float]]) -> dict[str, float]:
    """Whisper's language probabilities by our codes; languages outside our 99 left out."""
    scores: dict[str, float] = {}
    for code, probability in probabilities:
        language = languages.from_whisper(WHISPER_ALIASES.get(code, code))
        if language is not None:
            scores[language.code] = scores.get(language.code, 0.0) + probability
    return scores


def resolve_device(device: str, compute_type: str) -> tuple[str, str]:
    """ "auto" means the GPU when CTranslate2 sees one (float16 there), else the CPU (int8)."""
    if device == "auto":
        import ctranslate2

        device = "cuda" if ctranslate2.get_cuda_device_count() > 0 else "cpu"
    if compute_type == "auto":
        compute_type = "float16" if device == "cuda" else "int8"
    return device, compute_type
