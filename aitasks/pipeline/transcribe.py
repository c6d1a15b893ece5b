"""Stage 5: speech to words, with word timestamps, window by window."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..engines.base import SpeechEngine
from .speech import Span

# Languages written without spaces between words (ISO-639-2/B).
UNSPACED_LANGUAGES = frozenset({"chi", "jpn", "tha", "lao", "khm", "bur", "tib"})


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
    spaced = text_language not in UNSPACED_LANGUAGES
    for segment in engine.transcribe(samples, clips, whisper_language, task):
        for index, word in enumerate(segment.words):
            text = word.text
            if index == 0 and spaced and not text[:1].isspace():
                text = " " + text  # a segment starts a new word, even where the model left out the space
            words.append(TimedWord(word.start_ms, word.end_ms, text, text_language))
        if on_progress:
            on_progress(min(1.0, (segment.end_ms - first_ms) / total_ms))
    words.sort(key=lambda word: word.start_ms)
    return words
