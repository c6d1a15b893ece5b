"""Stage 5: speech to words, with word timestamps, window by window."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..engines.base import SpeechEngine
from .speech import Span


@dataclass(frozen=True)
class TimedWord:
    start_ms: int
    end_ms: int
    text: str
    language: str  # ISO-639-2/B of the text as written (the target language when translated)


def transcribe(
    engine: SpeechEngine,
    samples: np.ndarray,
    windows: list[Span],
    whisper_language: str,
    text_language: str,
    task: str = "transcribe",
    on_progress: Callable[[float], None] | None = None,
) -> list[TimedWord]:
    """All words spoken in `windows`; `on_progress` gets the fraction of speech time done."""
    if not windows:
        return []
    clips = [(window.start_s, window.end_s) for window in windows]
    total_ms = max(1.0, (windows[-1].end_s - windows[0].start_s) * 1000)
    first_ms = windows[0].start_s * 1000
    words: list[TimedWord] = []
    for segment in engine.transcribe(samples, clips, whisper_language, task):
        words.extend(TimedWord(word.start_ms, word.end_ms, word.text, text_language) for word in segment.words)
        if on_progress:
            on_progress(min(1.0, (segment.end_ms - first_ms) / total_ms))
    words.sort(key=lambda word: word.start_ms)
    return words
